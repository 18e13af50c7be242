/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_staged - annexes staged for an admin (store_staged.h): staged
 * only inside a write transaction, with its rows and an audit row; listed
 * pending; its plan kept value by value and read back as its diff says
 * it; re-validated (a change of the annex since makes it refused,
 * naming what differs, and nothing is written); approved once, in one
 * transaction with the import's rows, annex.approve and the notice;
 * rejected only with a reason; never twice; its mail neither retriaged
 * nor released while it is pending.  Then annex_act.h, what balpctl
 * and the console both call: the acknowledgment written from the plan
 * and queued to the referent, refusals with their line (twice, after a
 * conflicting import, a blank reason, no such id), nothing written
 * then.  Each test has its own database; the notices are the shipped
 * rules'.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "staged"
#include "test_store_open.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex.h"
#include "balp/annex_act.h"
#include "balp/conf.h"
#include "balp/date.h"
#include "balp/store.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_partner.h"
#include "balp/store_staged.h"

#define NOW	((time_t)1795000000)
#define P	"apeai"
#define REF	"referente@apeai34.fr"

static const char v1[] =
    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\n"
    "ROUX;Julien;j.roux@apeai34.fr;ES;01/03/2025;\n";
static const char v2[] =
    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\n"
    "ROUX;Julien;j.roux@apeai34.fr;Educateur;01/03/2025;\n"
    "PETIT;Claire;c.petit@apeai34.fr;;01/09/2026;\n";

/* The shipped configuration and rules (their annex notices). */
static struct balp_conf conf;

static int32_t
today(void)
{
	int32_t d;

	assert_int_equal(date_parse_iso("2026-11-23", &d), 0);
	return d;
}

static void
rows_of(const char *csv, struct annex_rows *rows)
{
	struct buf err = BUF_INIT;

	assert_int_equal(annex_file_parse(csv, strlen(csv), rows, &err), 0);
	assert_int_equal(annex_digest(csv, strlen(csv), rows), 0);
	buf_free(&err);
}

static int
count(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int n;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* A partner with before imported, and after staged from a decision. */
static int64_t
stage(struct fx *fx, const char *before, const char *after)
{
	struct store_partner_spec ps = { P, "APEAI", NULL, DATE_NONE,
	    DATE_NONE, STORE_NO_QUOTA };
	struct store_decision_spec ds;
	struct store_staged_spec ss;
	struct annex_rows r1, r2;
	struct annex_plan plan;
	int64_t did, id;

	assert_int_equal(store_partner_add(fx->st, &ps, "admin:test", NOW),
	    STORE_OK);
	rows_of(before, &r1);
	assert_int_equal(annex_import(fx->st, P, &r1, today(), 0, 0,
	    "admin:test", NOW, &plan), STORE_OK);
	annex_plan_free(&plan);
	rows_of(after, &r2);
	assert_int_equal(annex_import_locked(fx->st, P, &r2, today(), 1, 0,
	    "balpd", NOW, &plan), STORE_OK);
	memset(&ds, 0, sizeof(ds));
	ds.source = "maildir";
	ds.source_ref = "1.annex";
	ds.sender = REF;
	ds.partner_id = P;
	ds.type = "annexe";
	ds.outcome = OUTCOME_ACCEPTED;
	ds.queue = "BALP/Annexes";
	memset(&ss, 0, sizeof(ss));
	ss.partner_id = P;
	ss.sender = REF;
	ss.received_at = NOW;
	ss.rows = &r2;
	ss.plan = &plan;
	/* Outside a transaction: refused, it is the decision's. */
	assert_int_equal(store_staged_add(fx->st, &ss, "balpd", NOW, &id),
	    STORE_ERROR);
	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	assert_int_equal(store_batch_add(fx->st, &ds, NULL, "balpd", NOW,
	    &did), STORE_OK);
	ss.decision_id = did;
	assert_int_equal(store_staged_add(fx->st, &ss, "balpd", NOW, &id),
	    STORE_OK);
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);
	annex_plan_free(&plan);
	annex_rows_free(&r1);
	annex_rows_free(&r2);
	return id;
}

/* v1 imported, v2 staged (one update, one addition): its id. */
static int64_t
stage_v2(struct fx *fx)
{
	return stage(fx, v1, v2);
}

static void
test_stage_and_list(void **state)
{
	struct fx *fx = *state;
	struct store_staged_list l;
	struct annex_rows rows;
	int64_t id = stage_v2(fx);

	assert_int_equal(store_staged_list(fx->st, 1, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, id);
	assert_string_equal(l.v[0].sender, REF);
	assert_string_equal(l.v[0].status, "pending");
	assert_int_equal(l.v[0].added, 1);
	assert_int_equal(l.v[0].updated, 1);
	assert_non_null(strstr(l.v[0].diff, "+ add c.petit@apeai34.fr"));
	assert_string_equal(l.v[0].plan_key, "update line 3 j.roux@apeai34.fr "
	    "fields 0x4\nadd line 4 c.petit@apeai34.fr\n");
	store_staged_list_free(&l);
	assert_int_equal(store_staged_rows(fx->st, id, &rows), STORE_OK);
	assert_int_equal(rows.n, 3);
	assert_string_equal(rows.v[2].email, "c.petit@apeai34.fr");
	assert_int_equal(rows.v[2].line, 4);
	annex_rows_free(&rows);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.stage'"), 1);
	/* Staged is not applied. */
	assert_int_equal(count(fx, "SELECT count(*) FROM persons WHERE email "
	    "= 'c.petit@apeai34.fr'"), 0);
}

/*
 * The plan as staged, value by value (schema 15): read back, it is the
 * plan the diff renders, every kind of change with its values before and
 * after; one staged before its changes were kept has its diff alone.
 */
static void
test_staged_plan(void **state)
{
	static const char w1[] =
	    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
	    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\n"
	    "ROUX;Julien;j.roux@apeai34.fr;ES;01/03/2025;31/08/2026\n"
	    "BENALI;Sarah;s.benali@apeai34.fr;CESF;01/09/2026;\n"
	    "DURAND;Paul;p.durand@apeai34.fr;ES;01/01/2025;\n";
	static const char w2[] =
	    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
	    "MARTIN;Anne-Marie;a.martin@apeai34.fr;AS;05/01/2025;31/12/2027\n"
	    "ROUX;Julien;j.roux@apeai34.fr;ES;01/10/2026;\n"
	    "DURAND;Paul;p.durand@apeai34.fr;ES;01/01/2025;\n"
	    "LEBLANC;Léa;l.leblanc@apeai34.fr;AS;01/12/2026;\n";
	struct fx *fx = *state;
	struct store_staged g;
	struct annex_plan plan;
	struct buf text = BUF_INIT;
	const struct annex_change *c;
	char sql[128];
	int32_t d;
	int64_t id = stage(fx, w1, w2);

	assert_int_equal(store_staged_get(fx->st, id, &g), STORE_OK);
	assert_int_equal(g.changes_kept, 1);
	assert_int_equal(store_staged_plan(fx->st, id, &plan), STORE_OK);
	assert_string_equal(plan.partner_id, P);
	assert_int_equal(plan.n, 4);
	assert_int_equal(plan.n_unchanged, 1);
	assert_int_equal(annex_plan_render(&plan, &text), 0);
	assert_string_equal(buf_str(&text), g.diff);
	c = &plan.v[0];
	assert_int_equal(c->kind, ANNEX_UPDATE);
	assert_int_equal(c->line, 2);
	assert_int_equal(c->changed, ANNEX_F_PRENOM | ANNEX_F_DATE_FIN);
	assert_string_equal(c->old_first_name, "Anne");
	assert_string_equal(c->first_name, "Anne-Marie");
	assert_int_equal(c->old_end, DATE_NONE);
	assert_int_equal(date_parse_iso("2027-12-31", &d), 0);
	assert_int_equal(c->end, d);
	c = &plan.v[1];
	assert_int_equal(c->kind, ANNEX_NEW_PERIOD);
	assert_int_equal(date_parse_iso("2026-08-31", &d), 0);
	assert_int_equal(c->old_end, d);
	assert_int_equal(date_parse_iso("2026-10-01", &d), 0);
	assert_int_equal(c->start, d);
	assert_int_equal(c->end, DATE_NONE);
	c = &plan.v[2];
	assert_int_equal(c->kind, ANNEX_ADD);
	assert_string_equal(c->email, "l.leblanc@apeai34.fr");
	assert_string_equal(c->first_name, "Léa");
	assert_null(c->old_last_name);
	assert_int_equal(c->old_start, DATE_NONE);
	c = &plan.v[3];
	assert_int_equal(c->kind, ANNEX_END);
	assert_int_equal(c->line, 0);
	assert_string_equal(c->last_name, "BENALI");
	assert_int_equal(c->end, today());
	annex_plan_free(&plan);
	store_staged_free(&g);
	/* Staged before schema 15: no changes kept, the diff alone. */
	snprintf(sql, sizeof(sql), "UPDATE staged_annexes SET changes_kept = 0 "
	    "WHERE id = %lld", (long long)id);
	raw_exec(fx->path, sql);
	assert_int_equal(store_staged_plan(fx->st, id, &plan), STORE_NOTFOUND);
	assert_int_equal(plan.n, 0);
	annex_plan_free(&plan);
	assert_int_equal(store_staged_plan(fx->st, id + 1, &plan),
	    STORE_NOTFOUND);
	annex_plan_free(&plan);
	buf_free(&text);
}

static void
test_conflict(void **state)
{
	struct fx *fx = *state;
	struct annex_plan plan;
	struct annex_rows r;
	int64_t id = stage_v2(fx);

	/* Another import adds PETIT meanwhile. */
	rows_of(v2, &r);
	assert_int_equal(annex_import(fx->st, P, &r, today(), 0, 0,
	    "admin:other", NOW, &plan), STORE_OK);
	annex_plan_free(&plan);
	annex_rows_free(&r);
	assert_int_equal(store_staged_check(fx->st, id, today(), &plan),
	    STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "no longer applies as "
	    "staged"));
	assert_non_null(strstr(store_errmsg(fx->st),
	    "staged: add line 4 c.petit@apeai34.fr"));
	annex_plan_free(&plan);
	assert_int_equal(store_staged_approve(fx->st, id, today(), 0, NULL,
	    "admin:test", NOW, &plan), STORE_REFUSED);
	assert_int_equal(plan.applied, 0);
	annex_plan_free(&plan);
	assert_int_equal(count(fx, "SELECT count(*) FROM staged_annexes WHERE "
	    "status = 'pending'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.approve'"), 0);
}

static void
test_approve(void **state)
{
	struct fx *fx = *state;
	struct store_notice n = { REF, "Annexe appliquée", "Bonjour" };
	struct annex_plan plan;
	int64_t id = stage_v2(fx);

	assert_int_equal(store_staged_check(fx->st, id, today(), &plan),
	    STORE_OK);
	annex_plan_free(&plan);
	assert_int_equal(store_staged_approve(fx->st, id, today() + 3, 0, &n,
	    "admin:alice", NOW, &plan), STORE_OK);
	assert_int_equal(plan.applied, 1);
	annex_plan_free(&plan);
	assert_int_equal(count(fx, "SELECT count(*) FROM persons WHERE email "
	    "= 'c.petit@apeai34.fr'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM staged_annexes WHERE "
	    "status = 'approved' AND decided_by = 'admin:alice'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.approve' AND actor = 'admin:alice' AND detail LIKE "
	    "'staged=1; decision=1; %'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox WHERE "
	    "recipient = '" REF "' AND decision_id = 1"), 1);
	/* Never twice. */
	assert_int_equal(store_staged_approve(fx->st, id, today(), 0, &n,
	    "admin:alice", NOW, &plan), STORE_REFUSED);
	annex_plan_free(&plan);
	assert_int_equal(store_staged_reject(fx->st, id, "trop tard", &n,
	    "admin:alice", NOW), STORE_REFUSED);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox"), 1);
}

static void
test_reject(void **state)
{
	struct fx *fx = *state;
	struct store_notice n = { REF, "Annexe non appliquée", "Bonjour" };
	struct annex_plan plan;
	int64_t id = stage_v2(fx);

	assert_int_equal(store_staged_reject(fx->st, id, " ", &n,
	    "admin:bob", NOW), STORE_REFUSED);
	assert_int_equal(store_staged_reject(fx->st, id, "doublon", &n,
	    "admin:bob", NOW), STORE_OK);
	assert_int_equal(count(fx, "SELECT count(*) FROM staged_annexes WHERE "
	    "status = 'rejected' AND reason = 'doublon'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.reject' AND actor = 'admin:bob'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox"), 1);
	assert_int_equal(store_staged_approve(fx->st, id, today(), 0, &n,
	    "admin:bob", NOW, &plan), STORE_REFUSED);
	annex_plan_free(&plan);
	assert_int_equal(count(fx, "SELECT count(*) FROM persons WHERE email "
	    "= 'c.petit@apeai34.fr'"), 0);
	assert_int_equal(store_staged_reject(fx->st, 99, "x", &n, "admin:bob",
	    NOW), STORE_NOTFOUND);
}

/*
 * The mail of a pending staged annex is neither retriaged nor released
 * (store_message.h): refused in the store's own transaction, naming the
 * staged annex; allowed once it is decided.
 */
static void
test_message_guard(void **state)
{
	struct fx *fx = *state;
	struct store_notice n = { REF, "Annexe non appliquée", "Bonjour" };
	struct store_staged g;
	int64_t id = stage_v2(fx), did, pending;

	assert_int_equal(store_staged_get(fx->st, id, &g), STORE_OK);
	did = g.decision_id;
	store_staged_free(&g);
	assert_int_equal(store_staged_pending_of(fx->st, did, &pending),
	    STORE_OK);
	assert_int_equal(pending, id);
	assert_int_equal(store_message_retriage(fx->st, did, "1.annex.r1",
	    "", "admin:bob", NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "its annex is staged "
	    "for approval (staged annex 1, pending)"));
	assert_int_equal(store_message_release(fx->st, did, "BALP/Annexes",
	    "BALP/Quarantaine", "doute", NULL, "admin:bob", NOW),
	    STORE_REFUSED);
	assert_int_equal(count(fx, "SELECT count(*) FROM retriages"), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM releases"), 0);
	assert_int_equal(store_staged_reject(fx->st, id, "doublon", &n,
	    "admin:bob", NOW), STORE_OK);
	assert_int_equal(store_staged_pending_of(fx->st, did, &pending),
	    STORE_OK);
	assert_int_equal(pending, 0);
	assert_int_equal(store_message_release(fx->st, did, "BALP/Annexes",
	    "BALP/Quarantaine", "doute", NULL, "admin:bob", NOW), STORE_OK);
}

static void
test_act_approve(void **state)
{
	struct fx *fx = *state;
	struct annex_act done;
	struct buf err = BUF_INIT;
	int64_t id = stage_v2(fx);

	assert_int_equal(annex_act_approve(fx->st, &conf.rules, id, today(), 0,
	    "web:alice", NOW, &done, &err), STORE_OK);
	assert_string_equal(done.partner_id, P);
	assert_string_equal(done.sender, REF);
	assert_non_null(strstr(buf_str(&done.applied),
	    "+ add c.petit@apeai34.fr (PETIT Claire, from 2026-09-01)\n"));
	assert_non_null(strstr(buf_str(&done.applied), "1 added, 1 updated, "
	    "0 ended"));
	annex_act_free(&done);
	assert_int_equal(count(fx, "SELECT count(*) FROM persons WHERE email "
	    "= 'c.petit@apeai34.fr'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.approve' AND actor = 'web:alice'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.import' AND actor = 'web:alice'"), 1);
	/* The acknowledgment: about the mail, to the referent, what changed. */
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox WHERE "
	    "recipient = '" REF "' AND decision_id = 1 AND subject LIKE "
	    "'%appliquée' AND body LIKE '%- ajout : c.petit@apeai34.fr "
	    "(PETIT Claire), habilitation du 01/09/2026%' AND body LIKE "
	    "'%- modification : j.roux@apeai34.fr (ROUX Julien) : "
	    "fonction%'"), 1);
	/* Never twice, nothing written. */
	assert_int_equal(annex_act_approve(fx->st, &conf.rules, id, today(), 0,
	    "web:alice", NOW, &done, &err), STORE_REFUSED);
	assert_string_equal(buf_str(&err), "annex 1 not approved, nothing "
	    "changed: staged annex 1 is approved already (by web:alice)");
	annex_act_free(&done);
	buf_reset(&err);
	assert_int_equal(annex_act_reject(fx->st, &conf.rules, id, "x", today(),
	    "web:alice", NOW, &done, &err), STORE_REFUSED);
	annex_act_free(&done);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox"), 1);
	buf_reset(&err);
	assert_int_equal(annex_act_approve(fx->st, &conf.rules, 99, today(), 0,
	    "web:alice", NOW, &done, &err), STORE_NOTFOUND);
	assert_string_equal(buf_str(&err), "no staged annex 99");
	annex_act_free(&done);
	buf_free(&err);
}

static void
test_act_conflict(void **state)
{
	struct fx *fx = *state;
	struct annex_act done;
	struct annex_plan plan;
	struct annex_rows r;
	struct buf err = BUF_INIT;
	int64_t id = stage_v2(fx);

	rows_of(v2, &r);
	assert_int_equal(annex_import(fx->st, P, &r, today(), 0, 0,
	    "admin:other", NOW, &plan), STORE_OK);
	annex_plan_free(&plan);
	annex_rows_free(&r);
	assert_int_equal(annex_act_approve(fx->st, &conf.rules, id, today(), 0,
	    "web:alice", NOW, &done, &err), STORE_REFUSED);
	assert_non_null(strstr(buf_str(&err), "annex 1 not approved, nothing "
	    "changed: staged annex 1 no longer applies as staged: the annex "
	    "of apeai changed since"));
	assert_non_null(strstr(buf_str(&err), "staged: add line 4 "
	    "c.petit@apeai34.fr"));
	annex_act_free(&done);
	buf_free(&err);
	assert_int_equal(count(fx, "SELECT count(*) FROM staged_annexes WHERE "
	    "status = 'pending'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox"), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE actor = "
	    "'web:alice'"), 0);
}

static void
test_act_reject(void **state)
{
	struct fx *fx = *state;
	struct annex_act done;
	struct buf err = BUF_INIT;
	int64_t id = stage_v2(fx);

	assert_int_equal(annex_act_reject(fx->st, &conf.rules, id, " \t",
	    today(), "web:bob", NOW, &done, &err), STORE_REFUSED);
	assert_non_null(strstr(buf_str(&err), "annex 1 not rejected: a "
	    "rejection needs its reason"));
	annex_act_free(&done);
	buf_reset(&err);
	assert_int_equal(annex_act_reject(fx->st, &conf.rules, id, NULL,
	    today(), "web:bob", NOW, &done, &err), STORE_REFUSED);
	annex_act_free(&done);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox"), 0);
	buf_reset(&err);
	assert_int_equal(annex_act_reject(fx->st, &conf.rules, id, "Liste en "
	    "double", today(), "web:bob", NOW, &done, &err), STORE_OK);
	assert_string_equal(done.sender, REF);
	annex_act_free(&done);
	assert_int_equal(count(fx, "SELECT count(*) FROM staged_annexes WHERE "
	    "status = 'rejected' AND decided_by = 'web:bob' AND reason = "
	    "'Liste en double'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'annex.reject' AND actor = 'web:bob'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM outbox WHERE "
	    "recipient = '" REF "' AND decision_id = 1 AND body LIKE "
	    "'%Liste en double%'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM persons WHERE email "
	    "= 'c.petit@apeai34.fr'"), 0);
	buf_free(&err);
}

static void
test_act_age(void **state)
{
	struct store_staged g;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.received_at = "2026-11-20T23:59:59Z";
	assert_int_equal(annex_act_age_days(&g, today()), 3);
	g.received_at = "2026-11-23T00:00:00Z";
	assert_int_equal(annex_act_age_days(&g, today()), 0);
	g.received_at = "yesterday";
	assert_int_equal(annex_act_age_days(&g, today()), -1);
}

static int
conf_setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	if (conf_load(BALP_SRCDIR "/conf/balp.conf", &conf, &err) != 0) {
		fprintf(stderr, "%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	return 0;
}

static int
conf_teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stage_and_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_staged_plan, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_guard, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_act_approve, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_act_conflict, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_act_reject, setup,
		    teardown),
		cmocka_unit_test(test_act_age),
	};

	return cmocka_run_group_tests_name("store_staged", tests, conf_setup,
	    conf_teardown);
}
