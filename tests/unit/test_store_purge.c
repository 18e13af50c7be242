/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_purge - retention: what a purge destroys and keeps, the
 * audit chain green after it, and each way of faking a purge by hand
 * caught by store_audit_check; staged annexes gone 6 months after their
 * decision, a pending one kept with its mail's decision.  Each test has its own database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "purge"
#include "test_store_open.h"
#include "tmpdir.h"

#include <sqlite3.h>
#include <inttypes.h>
#include <string.h>

#include "balp/date.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_partner.h"
#include "balp/store_purge.h"
#include "balp/store_staged.h"

/* 2026-09-21T...Z: the "today" of these tests is its day. */
#define NOW	((time_t)1790000000)
#define DAY	((time_t)86400)
#define ACTOR	"admin:test"

static int32_t
day_of(time_t t)
{
	return (int32_t)(t / DAY);
}

/* A rejected decision for ref at time t, with a notice; its id. */
static int64_t
record(struct fx *fx, const char *ref, const char *sender, time_t t)
{
	struct store_decision_spec d;
	struct store_notice n = { "a@x.test", "Votre demande", "Bonjour" };
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.message_id = "m1@x.test";
	d.sender = sender;
	d.partner_id = "apeai";
	d.outcome = OUTCOME_REJECTED;
	d.queue = "BALP/Rejets";
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", t,
	    &id), STORE_OK);
	return id;
}

static void
add_person(struct fx *fx, const char *email, const char *start,
    const char *end)
{
	struct store_person_spec p = { "apeai", "MARTIN", "Anne", email,
	    "Assistante sociale", 0, DATE_NONE };

	assert_int_equal(date_parse_iso(start, &p.start), 0);
	if (end != NULL)
		assert_int_equal(date_parse_iso(end, &p.end), 0);
	assert_int_equal(store_person_add(fx->st, &p, p.start, ACTOR, NOW,
	    NULL), STORE_OK);
}

/*
 * A store with a partner, two persons (one ended in 2019, one open), two
 * decisions 300 days old (one released to RIB) and one of today.
 */
static void
fill(struct fx *fx)
{
	struct store_partner_spec p = { "apeai", "APEAI", NULL, DATE_NONE,
	    DATE_NONE, -1 };
	int64_t old;

	assert_int_equal(store_partner_add(fx->st, &p, ACTOR, NOW - 400 * DAY),
	    STORE_OK);
	add_person(fx, "gone@x.test", "2015-01-01", "2019-12-31");
	add_person(fx, "here@x.test", "2020-01-01", NULL);
	old = record(fx, "old-1", "gone@x.test", NOW - 300 * DAY);
	record(fx, "old-2", "here@x.test", NOW - 299 * DAY);
	assert_int_equal(store_message_release(fx->st, old, "BALP/Rejets",
	    "BALP/RIB", "vu", NULL, ACTOR, NOW - 298 * DAY), STORE_OK);
	record(fx, "new-1", "here@x.test", NOW);
	/* An admin's trace query: a trace too. */
	assert_int_equal(store_audit_note(fx->st, ACTOR, "trace.query",
	    "decisions", "sender=gone@x.test; rows=1", NOW - 297 * DAY),
	    STORE_OK);
}

static struct store_purge_spec
spec_at(time_t t, int dry)
{
	struct store_purge_spec s = { day_of(t), STORE_PURGE_TRACES_MONTHS,
	    STORE_PURGE_HABILITATION_YEARS, dry };

	return s;
}

static void
assert_chain(struct fx *fx)
{
	int64_t bad = -1;

	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(bad, 0);
}

static void
test_purge_destroys_what_is_due(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 0);
	struct store_purge_report r;
	struct store_audit_report a;
	long rows = 0;

	fill(fx);
	rows = raw_count(fx->path, "SELECT count(*) FROM audit");
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_string_equal(r.traces_before, "2026-03-21");
	assert_string_equal(r.habilitations_before, "2020-09-21");
	assert_int_equal(r.decisions, 2);
	assert_int_equal(r.outbox, 2);
	assert_int_equal(r.releases, 1);
	assert_int_equal(r.persons, 1);
	assert_int_equal(r.periods, 1);
	/*
	 * 2 decision.record + 2 notice.queue + 1 release + 1 trace.query +
	 * 1 person.add
	 */
	assert_int_equal(r.audit_rows, 7);
	assert_int_equal(r.audit_kept, 0);
	assert_int_equal(r.checkpoint_id, rows + 1);
	/* What stays: today's decision, the open person, the partner. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions "
	    "WHERE source_ref = 'new-1'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions"),
	    1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM releases"),
	    0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM persons "
	    "WHERE email = 'here@x.test'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM persons"),
	    1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "hab_periods"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM partners"),
	    1);
	/* The rows stay, emptied; nothing of them is readable. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows + 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "purged <> 0 AND detail = '' AND actor = '' AND object = ''"), 7);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "detail LIKE '%old-%' OR detail LIKE '%gone@%' OR object LIKE "
	    "'%gone@%'"), 0);
	/* What went is said, and no more: counts, never content. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "action = 'audit.purge' AND detail LIKE 'traces_before=2026-03-21; "
	    "habilitations_before=2020-09-21; decisions=2; outbox=2; "
	    "retriages=0; releases=1; persons=1; periods=1; "
	    "staged_annexes=0; staged_rows=0; audit_rows=7; "
	    "audit_ids=%'"), 1);
	assert_chain(fx);
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 0);
	assert_int_equal(a.purged_rows, 7);
	/* Nothing more is due: nothing written, the chain as it was. */
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_int_equal(r.checkpoint_id, 0);
	assert_int_equal(r.decisions + r.audit_rows + r.persons, 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows + 1);
	/* Later, the rest goes, and the chain holds across two purges. */
	spec = spec_at(NOW + 200 * DAY, 0);
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW + 200 * DAY,
	    &r), STORE_OK);
	assert_int_equal(r.decisions, 1);
	assert_chain(fx);
}

static void
test_purge_dry_run_changes_nothing(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 1);
	struct store_purge_report r;
	long rows;

	fill(fx);
	rows = raw_count(fx->path, "SELECT count(*) FROM audit");
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_int_equal(r.decisions, 2);
	assert_int_equal(r.audit_rows, 7);
	assert_int_equal(r.checkpoint_id, 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions"),
	    3);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "purged <> 0"), 0);
}

/* A superseded decision purged: the one that replaced it forgets it. */
static void
test_purge_supersede_link(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 0);
	struct store_purge_report r;
	int64_t old;

	fill(fx);
	old = record(fx, "old-3", "here@x.test", NOW - 250 * DAY);
	assert_int_equal(store_message_retriage(fx->st, old, "old-3.r1", "x",
	    ACTOR, NOW - 250 * DAY), STORE_OK);
	record(fx, "old-3.r1", "here@x.test", NOW - 10 * DAY);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions "
	    "WHERE supersedes IS NOT NULL"), 1);
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_int_equal(r.retriages, 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions "
	    "WHERE source_ref = 'old-3.r1' AND supersedes IS NULL"), 1);
	assert_chain(fx);
}

/* Shorter periods from the configuration are followed. */
static void
test_purge_periods(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 1);
	struct store_purge_report r;

	fill(fx);
	spec.traces_months = 12;
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_string_equal(r.traces_before, "2025-09-21");
	assert_int_equal(r.decisions, 0);
	spec.habilitation_years = 10;
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_int_equal(r.persons, 0);
	spec.traces_months = 0;
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r),
	    STORE_ERROR);
}

/* Faking a purge by hand: each way is caught. */
static void
test_purge_forgeries(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 0);
	struct store_purge_report r;
	struct store_audit_report a;
	char sql[200];
	long kept;

	fill(fx);
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	raw_exec(fx->path, "CREATE TABLE saved AS SELECT * FROM audit");
	/* A kept row emptied as if purged, named by the real purge row. */
	kept = raw_count(fx->path, "SELECT min(id) FROM audit WHERE purged = "
	    "0 AND action = 'decision.record'");
	snprintf(sql, sizeof(sql), "UPDATE audit SET at = '', actor = '', "
	    "action = '', object = '', detail = '', purged = %" PRId64
	    " WHERE id = %ld", r.checkpoint_id, kept);
	raw_exec(fx->path, sql);
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 1);
	assert_int_equal(a.why, STORE_AUDIT_PURGE);
	/* ... or named by no purge row at all. */
	raw_exec(fx->path, "DELETE FROM audit; INSERT INTO audit SELECT * FROM "
	    "saved");
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 0);
	snprintf(sql, sizeof(sql), "UPDATE audit SET at = '', actor = '', "
	    "action = '', object = '', detail = '', purged = %" PRId64
	    " WHERE id = %ld", r.checkpoint_id + 5, kept);
	raw_exec(fx->path, sql);
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 1);
	assert_int_equal(a.why, STORE_AUDIT_PURGE);
	assert_int_equal(a.bad_id, kept);
	/* A purged row whose mark points before it. */
	raw_exec(fx->path, "DELETE FROM audit; INSERT INTO audit SELECT * FROM "
	    "saved");
	raw_exec(fx->path, "UPDATE audit SET purged = 1 WHERE id = (SELECT "
	    "max(id) FROM audit WHERE purged <> 0)");
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 1);
	assert_int_equal(a.why, STORE_AUDIT_PURGE);
	/* Content put back into a purged row. */
	raw_exec(fx->path, "DELETE FROM audit; INSERT INTO audit SELECT * FROM "
	    "saved");
	raw_exec(fx->path, "UPDATE audit SET detail = 'restored' WHERE id = "
	    "(SELECT min(id) FROM audit WHERE purged <> 0)");
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 1);
	assert_int_equal(a.why, STORE_AUDIT_EDITED);
	/* The purge row's counts changed (it is keyed like any row). */
	raw_exec(fx->path, "DELETE FROM audit; INSERT INTO audit SELECT * FROM "
	    "saved");
	raw_exec(fx->path, "UPDATE audit SET detail = replace(detail, "
	    "'decisions=2', 'decisions=0') WHERE action = 'audit.purge'");
	assert_int_equal(store_audit_check(fx->st, NULL, &a), 1);
	assert_int_equal(a.why, STORE_AUDIT_EDITED);
	assert_int_equal(a.bad_id, r.checkpoint_id);
	raw_exec(fx->path, "DELETE FROM audit; INSERT INTO audit SELECT * FROM "
	    "saved");
	assert_chain(fx);
}

/*
 * A person due for purge with suspensions in their history: the
 * suspensions go with the person (habilitation data), the others stay.
 */
static void
test_purge_suspensions(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 0);
	struct store_purge_report r;

	fill(fx);
	raw_exec(fx->path, "INSERT INTO suspensions (person_id, first_day, "
	    "last_day, reason, created_at) SELECT id, '2018-01-01', "
	    "'2018-02-01', 'r', '2018-01-01T00:00:00Z' FROM persons");
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "suspensions"), 2);
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	assert_int_equal(r.persons, 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM suspensions"
	    " s JOIN persons p ON p.id = s.person_id WHERE p.email = "
	    "'here@x.test'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "suspensions"), 1);
	assert_chain(fx);
}

/* An accepted annex mail at time t, its file staged: the staged id. */
static int64_t
stage(struct fx *fx, const char *ref, time_t t)
{
	static const char csv[] =
	    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
	    "MARTIN;Anne;here@x.test;AS;01/01/2020;\n"
	    "ZORGLUB;Zoe;z@x.test;AS;01/01/2026;\n";
	struct store_decision_spec d;
	struct store_staged_spec g;
	struct annex_rows rows;
	struct annex_plan plan;
	struct buf err = BUF_INIT;
	int64_t did, id;

	assert_int_equal(annex_file_parse(csv, strlen(csv), &rows, &err), 0);
	assert_int_equal(annex_digest(csv, strlen(csv), &rows), 0);
	buf_free(&err);
	assert_int_equal(annex_import_locked(fx->st, "apeai", &rows,
	    day_of(t), 1, 0, "balpd", t, &plan), STORE_OK);
	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.sender = "referente@x.test";
	d.partner_id = "apeai";
	d.type = "annexe";
	d.outcome = OUTCOME_ACCEPTED;
	d.queue = "BALP/Annexes";
	memset(&g, 0, sizeof(g));
	g.partner_id = "apeai";
	g.sender = "referente@x.test";
	g.received_at = t;
	g.rows = &rows;
	g.plan = &plan;
	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	assert_int_equal(store_batch_add(fx->st, &d, NULL, "balpd", t, &did),
	    STORE_OK);
	g.decision_id = did;
	assert_int_equal(store_staged_add(fx->st, &g, "balpd", t, &id),
	    STORE_OK);
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);
	annex_plan_free(&plan);
	annex_rows_free(&rows);
	return id;
}

/*
 * Three annexes mailed 300 days ago: one rejected 250 days ago (gone,
 * with its mail's decision and notice), one rejected 10 days ago and one
 * pending (both kept, each with its mail's decision, notice and audit
 * rows: the records still agree with the chain); the pending one can be
 * decided after the purge (its notice needs its decision).
 */
static void
test_purge_staged(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = spec_at(NOW, 0);
	struct store_purge_report r;
	struct store_notice n = { "referente@x.test", "Annexe", "Bonjour" };
	int64_t gone, late, pending;

	fill(fx);
	gone = stage(fx, "annex-1", NOW - 300 * DAY);
	late = stage(fx, "annex-2", NOW - 300 * DAY);
	pending = stage(fx, "annex-3", NOW - 300 * DAY);
	assert_int_equal(store_staged_reject(fx->st, gone, "doublon", &n,
	    ACTOR, NOW - 250 * DAY), STORE_OK);
	assert_int_equal(store_staged_reject(fx->st, late, "doublon", &n,
	    ACTOR, NOW - 10 * DAY), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(DISTINCT staged_id) "
	    "FROM staged_annex_changes"), 3);
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &r), STORE_OK);
	/* fill's two old decisions and the first annex's */
	assert_int_equal(r.decisions, 3);
	assert_int_equal(r.outbox, 3);
	assert_int_equal(r.staged, 1);
	assert_int_equal(r.staged_rows, 2);
	assert_int_equal(r.staged_pending, 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "staged_annexes"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "staged_annex_rows"), 4);
	/* its changes as staged went with it */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "staged_annex_changes WHERE staged_id NOT IN (SELECT id FROM "
	    "staged_annexes)"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(DISTINCT staged_id) "
	    "FROM staged_annex_changes"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions "
	    "WHERE source_ref IN ('annex-2', 'annex-3')"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions "
	    "WHERE source_ref = 'annex-1'"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE detail LIKE 'staged=1;%'"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE detail LIKE 'staged=2;%'"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'audit.purge' AND detail LIKE '%; staged_annexes=1;"
	    " staged_rows=2; %'"), 1);
	assert_chain(fx);
	assert_int_equal(store_staged_reject(fx->st, pending, "trop tard", &n,
	    ACTOR, NOW), STORE_OK);
	assert_chain(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_purge_destroys_what_is_due,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_purge_dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_suspensions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_supersede_link,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_periods, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_forgeries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_staged, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
