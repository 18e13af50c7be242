/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_audit_from - the audit chain checked from where the last
 * check stopped (store_audit_check_from, balpweb's 5-minute watch): it
 * reads only the rows added since; a new row edited, one chained wrongly
 * or forged without the key, a new decision edited, are caught at once; a
 * purge between two checks is no false alarm (the chain is walked whole
 * then); an old row edited is not seen going on from the mark, and is
 * caught by the whole walk (balpweb's daily one); the mark's own row
 * changed sends the check back to the whole walk.  Each test has its own
 * database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "audit-from"
#include "test_store_open.h"
#include "tmpdir.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_purge.h"

/* 2026-09-21T...Z */
#define NOW	((time_t)1790000000)
#define DAY	((time_t)86400)
#define ACTOR	"admin:test"

static int64_t
record(struct fx *fx, const char *ref, time_t t)
{
	struct store_decision_spec d;
	struct store_notice n = { "a@x.test", "Votre demande", "Bonjour" };
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.sender = "a@x.test";
	d.outcome = OUTCOME_REJECTED;
	d.queue = "BALP/Rejets";
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", t,
	    &id), STORE_OK);
	return id;
}

/* n decisions of time t, refs PREFIX0...; a release and a note too. */
static void
some(struct fx *fx, const char *prefix, int n, time_t t)
{
	char ref[32];
	int64_t id = 0;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof(ref), "%s%d", prefix, i);
		id = record(fx, ref, t + i);
	}
	assert_int_equal(store_message_release(fx->st, id, "BALP/Rejets",
	    "BALP/RIB", "vu", NULL, ACTOR, t + n), STORE_OK);
	assert_int_equal(store_audit_note(fx->st, ACTOR, "trace.query",
	    "decisions", "rows=1", t + n), STORE_OK);
}

static long
head(struct fx *fx)
{
	return raw_count(fx->path, "SELECT max(id) FROM audit");
}

/* A whole check from a mark all zero: intact, the mark at the head. */
static void
whole(struct fx *fx, struct store_audit_mark *m)
{
	struct store_audit_report r;

	memset(m, 0, sizeof(*m));
	assert_int_equal(store_audit_check_from(fx->st, m, &r), 0);
	assert_int_equal(r.from_id, 0);
	assert_int_equal(m->id, head(fx));
	assert_string_equal(m->hash, r.head_hash);
}

/* Raw SQL behind the store's back, printf-style. */
static void sql(struct fx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sql(struct fx *fx, const char *fmt, ...)
{
	char q[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	raw_exec(fx->path, q);
}

/* Intact: only the rows since are read, and the mark moves on. */
static void
test_goes_on_from_mark(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m, before;
	struct store_audit_report r, full;
	long mark;

	some(fx, "a", 5, NOW);
	whole(fx, &m);
	mark = m.id;
	/* Nothing new: nothing read, the mark stays. */
	before = m;
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(r.rows, 0);
	assert_memory_equal(&m, &before, sizeof(m));
	some(fx, "b", 3, NOW + DAY);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(r.rows, head(fx) - mark);
	assert_int_equal(m.id, head(fx));
	/* The head it reached is the whole walk's. */
	assert_int_equal(store_audit_check(fx->st, NULL, &full), 0);
	assert_string_equal(m.hash, full.head_hash);
	assert_int_equal(m.records[0], raw_count(fx->path,
	    "SELECT max(id) FROM decisions"));
	assert_int_equal(m.records[1], raw_count(fx->path,
	    "SELECT max(id) FROM outbox"));
	assert_int_equal(m.records[3], raw_count(fx->path,
	    "SELECT max(id) FROM releases"));
}

/* A row added since the mark and edited: caught at the next check. */
static void
test_new_row_edited(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m, before;
	struct store_audit_report r;
	long mark, bad;

	some(fx, "a", 5, NOW);
	whole(fx, &m);
	mark = m.id;
	some(fx, "b", 3, NOW + DAY);
	bad = mark + 2;
	sql(fx, "UPDATE audit SET detail = detail || ' ' WHERE id = %ld", bad);
	before = m;
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(r.why, STORE_AUDIT_EDITED);
	assert_int_equal(r.bad_id, bad);
	/* The mark stays: the next check says it again. */
	assert_memory_equal(&m, &before, sizeof(m));
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.bad_id, bad);
}

/*
 * A row appended by hand after the mark: linked to a wrong row, or linked
 * right and hashed without the key; either is caught at the next check.
 */
static void
test_new_row_chained_wrongly(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m;
	struct store_audit_report r;
	long mark, prev;
	char q[1024];

	some(fx, "a", 5, NOW);
	whole(fx, &m);
	mark = m.id;
	some(fx, "b", 2, NOW + DAY);
	prev = head(fx);
	raw_exec(fx->path, "CREATE TABLE saved AS SELECT * FROM audit");
	/* Linked to the row before the head, not the head. */
	snprintf(q, sizeof(q), "INSERT INTO audit (id, at, kind, actor, "
	    "action, object, detail, prev_hash, hash, keyed, content_hash) "
	    "SELECT %ld, at, kind, actor, action, object, detail, prev_hash, "
	    "hash, keyed, content_hash FROM audit WHERE id = %ld", prev + 1,
	    prev);
	raw_exec(fx->path, q);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(r.why, STORE_AUDIT_LINK);
	assert_int_equal(r.bad_id, prev + 1);
	/* Linked to the head, its hash made up (no key). */
	sql(fx, "DELETE FROM audit WHERE id = %ld", prev + 1);
	snprintf(q, sizeof(q), "INSERT INTO audit (id, at, kind, actor, "
	    "action, object, detail, prev_hash, hash, keyed, content_hash) "
	    "SELECT %ld, at, kind, actor, 'user.add', object, detail, hash, "
	    "hash, keyed, content_hash FROM audit WHERE id = %ld", prev + 1,
	    prev);
	raw_exec(fx->path, q);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(r.why, STORE_AUDIT_EDITED);
	assert_int_equal(r.bad_id, prev + 1);
	/* Taken out: intact again, and the mark goes on. */
	sql(fx, "DELETE FROM audit WHERE id = %ld", prev + 1);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_int_equal(r.from_id, mark);
	assert_int_equal(m.id, prev);
}

/*
 * A decision recorded since the mark, edited in its table (its audit row
 * intact): the check compares the new rows of the tables too.
 */
static void
test_new_decision_edited(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m;
	struct store_audit_report r;
	int64_t id;

	some(fx, "a", 3, NOW);
	whole(fx, &m);
	id = record(fx, "b0", NOW + DAY);
	sql(fx, "UPDATE decisions SET outcome = 'accepted' WHERE id = %ld",
	    (long)id);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, m.id);
	assert_int_equal(r.why, STORE_AUDIT_RECORD);
	assert_non_null(strstr(r.record, "outcome"));
}

/*
 * A purge between two checks empties rows the first verified and writes
 * its row: no false alarm, the chain walked whole (the purge row checked
 * against every row it emptied), and the next check goes on from there.
 * Rows emptied by hand in the name of that purge are caught so.
 */
static void
test_purge_between_checks(void **state)
{
	struct fx *fx = *state;
	struct store_purge_spec spec = { (int32_t)(NOW / DAY),
	    STORE_PURGE_TRACES_MONTHS, STORE_PURGE_HABILITATION_YEARS, 0 };
	struct store_purge_report p;
	struct store_audit_mark m;
	struct store_audit_report r;
	long mark;

	some(fx, "old", 4, NOW - 300 * DAY);
	some(fx, "new", 2, NOW - DAY);
	whole(fx, &m);
	mark = m.id;
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW, &p),
	    STORE_OK);
	assert_true(p.audit_rows > 0);
	assert_true(p.checkpoint_id > mark);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_int_equal(r.from_id, 0);
	assert_int_equal(r.purged_rows, p.audit_rows);
	assert_int_equal(m.id, p.checkpoint_id);
	/* Then from the purge row on. */
	record(fx, "after", NOW);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_int_equal(r.from_id, p.checkpoint_id);
	assert_int_equal(m.id, head(fx));

	/* A purge whose row lists fewer rows than it emptied: caught. */
	some(fx, "old2", 2, NOW - 250 * DAY);
	whole(fx, &m);
	spec.today = (int32_t)(NOW / DAY) + 60;
	assert_int_equal(store_purge(fx->st, &spec, ACTOR, NOW + 60 * DAY,
	    &p), STORE_OK);
	assert_true(p.audit_rows > 0);
	sql(fx, "UPDATE audit SET purged = %ld, at = '', actor = '', "
	    "action = '', object = '', detail = '' WHERE id = (SELECT max(id) "
	    "FROM audit WHERE purged = 0 AND action = 'trace.query' AND id < "
	    "(SELECT max(id) FROM audit))", p.checkpoint_id);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, 0);
	assert_int_equal(r.why, STORE_AUDIT_PURGE);
}

/*
 * A row verified before the mark, edited: not seen going on from the
 * mark (it reads only the new rows), seen by the whole walk, which
 * balpweb runs once a day.  The same for a decision compared before.
 */
static void
test_old_row_edited_whole(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m;
	struct store_audit_report r;

	some(fx, "a", 5, NOW);
	whole(fx, &m);
	sql(fx, "UPDATE audit SET detail = detail || ' ' WHERE id = 2");
	record(fx, "b0", NOW + DAY);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	assert_true(r.from_id > 2);
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, 0);
	assert_int_equal(r.why, STORE_AUDIT_EDITED);
	assert_int_equal(r.bad_id, 2);
	assert_int_equal(m.id, 0);

	sql(fx, "UPDATE audit SET detail = rtrim(detail) WHERE id = 2");
	whole(fx, &m);
	sql(fx, "UPDATE decisions SET queue = 'BALP/RIB' WHERE id = 1");
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 0);
	memset(&m, 0, sizeof(m));
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.why, STORE_AUDIT_RECORD);
}

/*
 * The mark's own row no longer holds its hash (edited, or the chain
 * rewritten from before it): the check walks whole and says where.
 */
static void
test_mark_row_changed(void **state)
{
	struct fx *fx = *state;
	struct store_audit_mark m;
	struct store_audit_report r;
	long mark;

	some(fx, "a", 3, NOW);
	whole(fx, &m);
	mark = m.id;
	sql(fx, "UPDATE audit SET hash = replace(hash, substr(hash, 1, 1), "
	    "'0') WHERE id = %ld", mark);
	assert_int_equal(store_audit_check_from(fx->st, &m, &r), 1);
	assert_int_equal(r.from_id, 0);
	assert_int_equal(r.why, STORE_AUDIT_EDITED);
	assert_int_equal(r.bad_id, mark);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_goes_on_from_mark, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_row_edited, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_row_chained_wrongly,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_decision_edited,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_between_checks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_row_edited_whole,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_row_changed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
