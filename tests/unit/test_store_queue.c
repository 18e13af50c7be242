/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_queue - the messages waiting in each queue by the record:
 * grouped by queue, oldest first; a release moves a message and restarts
 * its wait; a pending retriage takes it out of every queue until its new
 * decision, which alone counts; an undone retriage puts it back; a time
 * that is no timestamp is an error naming the decision.  Each test has its
 * own database.  In every test, store_queue_summary (the dashboard's,
 * indexed) agrees with store_queue_status: the same queues, counts and
 * oldest, and before counting the messages waiting since before each of
 * several cutoffs, and store_queue_overdue (`balpctl queue status`'s,
 * the digest's) gives the first ids of those as the status lists them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_store_open.h"
#include "tmpdir.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/store.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_queue.h"

#define NOW	((time_t)1790000000)
#define DAY	((time_t)86400)

struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
	unsigned	 refs;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || test_store_make(fx->dir, fx->path, &fx->st,
	    "queue") == -1)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	test_store_done(fx->dir, fx->st);
	free(fx);
	return 0;
}

/* A decision of a new message, or of ref when given (a retriaged one). */
static int64_t
record_ref(struct fx *fx, const char *ref, enum outcome o, const char *queue,
    time_t at)
{
	struct store_decision_spec d;
	char name[32];
	int64_t id = 0;

	if (ref == NULL) {
		snprintf(name, sizeof(name), "m%u", ++fx->refs);
		ref = name;
	}
	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.sender = "a@x.test";
	d.outcome = o;
	d.queue = queue;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", at,
	    &id), STORE_OK);
	return id;
}

static int64_t
record(struct fx *fx, enum outcome o, const char *queue, time_t at)
{
	return record_ref(fx, NULL, o, queue, at);
}

static time_t
cut_at(const char *name, void *arg)
{
	(void)name;
	return *(const time_t *)arg;
}

/* The RIB queue's cutoff is arg, the others' none. */
static time_t
cut_rib(const char *name, void *arg)
{
	return strcmp(name, "BALP/RIB") == 0 ? *(const time_t *)arg : 0;
}

/*
 * The summary agrees with the status l for these cutoffs; so does
 * store_queue_overdue, whose ids are the first of the status's items
 * before the cutoff, all of them or as many as asked.
 */
static void
summary_agrees(struct fx *fx, const struct store_queue_list *l)
{
	static const time_t cuts[] = { 0, NOW - 5 * DAY, NOW - DAY, NOW,
	    NOW + 1, NOW + 10 * DAY };
	static const size_t maxes[] = { 0, SIZE_MAX, 1, 2 };
	struct store_queue_list sl;
	const struct store_queue *q, *sq;
	size_t i, k, j, m, n, before, want;
	time_t cut;

	for (k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		for (j = 0; j < 2 * 4; j++) {
			cut = cuts[k];
			m = maxes[j / 2];
			if ((m == 0 ? store_queue_summary(fx->st, j % 2 == 0 ?
			    cut_at : cut_rib, &cut, &sl) :
			    store_queue_overdue(fx->st, j % 2 == 0 ? cut_at :
			    cut_rib, &cut, m, &sl)) != STORE_OK)
				fail_msg("store_queue_summary: %s",
				    store_errmsg(fx->st));
			assert_int_equal(sl.n, l->n);
			for (i = 0; i < l->n; i++) {
				q = &l->v[i];
				sq = &sl.v[i];
				assert_string_equal(sq->name, q->name);
				assert_null(sq->items);
				assert_int_equal(sq->count, q->count);
				assert_int_equal(sq->oldest, q->oldest);
				for (before = 0; cut != 0 && (j % 2 == 0 ||
				    strcmp(q->name, "BALP/RIB") == 0) &&
				    before < q->count &&
				    q->items[before].since < cut; before++)
					;
				assert_int_equal(sq->before, before);
				want = before < m ? before : m;
				assert_int_equal(sq->n_before_ids, want);
				if (want == 0)
					assert_null(sq->before_ids);
				for (n = 0; n < want; n++)
					assert_int_equal(sq->before_ids[n],
					    q->items[n].decision_id);
			}
			store_queue_list_free(&sl);
		}
	}
}

static void
status(struct fx *fx, struct store_queue_list *l)
{
	if (store_queue_status(fx->st, l) != STORE_OK)
		fail_msg("store_queue_status: %s", store_errmsg(fx->st));
	summary_agrees(fx, l);
}

/* The queue's entry, which must be there with n messages. */
static const struct store_queue *
queue_n(const struct store_queue_list *l, const char *name, size_t n)
{
	const struct store_queue *q = store_queue_find(l, name);

	if (q == NULL)
		fail_msg("queue %s not listed", name);
	if (q->count != n)
		fail_msg("queue %s: %zu messages, want %zu", name, q->count, n);
	return q;
}

static void
test_empty(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;

	status(fx, &l);
	assert_int_equal(l.n, 0);
	assert_null(store_queue_find(&l, "BALP/RIB"));
	store_queue_list_free(&l);
	store_queue_list_free(&l);	/* freeing twice is harmless */
}

static void
test_grouped_oldest_first(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	const struct store_queue *q;
	int64_t a, b, c, d, e;

	a = record(fx, OUTCOME_ACCEPTED, "BALP/RIB", NOW);
	b = record(fx, OUTCOME_ACCEPTED, "BALP/RIB", NOW + DAY);
	c = record(fx, OUTCOME_ACCEPTED, "BALP/RIB", NOW - 3 * DAY);
	d = record(fx, OUTCOME_REJECTED, "BALP/Rejets", NOW);
	e = record(fx, OUTCOME_QUARANTINED, "BALP/Quarantaine", NOW + 5);
	status(fx, &l);
	assert_int_equal(l.n, 3);
	/* By name, bytewise. */
	assert_string_equal(l.v[0].name, "BALP/Quarantaine");
	assert_string_equal(l.v[1].name, "BALP/RIB");
	assert_string_equal(l.v[2].name, "BALP/Rejets");
	q = queue_n(&l, "BALP/RIB", 3);
	assert_int_equal(q->items[0].decision_id, c);
	assert_int_equal(q->items[1].decision_id, a);
	assert_int_equal(q->items[2].decision_id, b);
	assert_int_equal(q->items[0].since, NOW - 3 * DAY);
	assert_int_equal(q->items[2].since, NOW + DAY);
	assert_int_equal(q->oldest, NOW - 3 * DAY);
	q = queue_n(&l, "BALP/Rejets", 1);
	assert_int_equal(q->items[0].decision_id, d);
	q = queue_n(&l, "BALP/Quarantaine", 1);
	assert_int_equal(q->items[0].decision_id, e);
	assert_int_equal(q->oldest, NOW + 5);
	assert_null(store_queue_find(&l, "BALP/Suspension"));
	assert_null(store_queue_find(&l, NULL));
	store_queue_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

/* Messages of the same second: by decision id. */
static void
test_ties_by_id(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	const struct store_queue *q;
	int64_t ids[5];
	size_t i;

	for (i = 0; i < 5; i++)
		ids[i] = record(fx, OUTCOME_ACCEPTED, "BALP/Blocage", NOW);
	status(fx, &l);
	q = queue_n(&l, "BALP/Blocage", 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(q->items[i].decision_id, ids[i]);
	store_queue_list_free(&l);
}

/* A release moves the message; its wait starts at the last release. */
static void
test_release_moves(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	const struct store_queue *q;
	int64_t id, other;

	id = record(fx, OUTCOME_QUARANTINED, "BALP/Quarantaine", NOW);
	other = record(fx, OUTCOME_QUARANTINED, "BALP/Quarantaine", NOW + 1);
	assert_int_equal(store_message_release(fx->st, id, "BALP/Quarantaine",
	    "BALP/RIB", "faux positif", NULL, "admin:x", NOW + 2 * DAY),
	    STORE_OK);
	status(fx, &l);
	q = queue_n(&l, "BALP/Quarantaine", 1);
	assert_int_equal(q->items[0].decision_id, other);
	q = queue_n(&l, "BALP/RIB", 1);
	assert_int_equal(q->items[0].decision_id, id);
	assert_int_equal(q->items[0].since, NOW + 2 * DAY);
	store_queue_list_free(&l);

	/* Released again: the last release's queue and time. */
	assert_int_equal(store_message_release(fx->st, id, "BALP/RIB",
	    "BALP/Suspension", "mauvaise file", NULL, "admin:x", NOW + 3 * DAY),
	    STORE_OK);
	status(fx, &l);
	assert_null(store_queue_find(&l, "BALP/RIB"));
	q = queue_n(&l, "BALP/Suspension", 1);
	assert_int_equal(q->items[0].decision_id, id);
	assert_int_equal(q->items[0].since, NOW + 3 * DAY);
	queue_n(&l, "BALP/Quarantaine", 1);
	store_queue_list_free(&l);
}

/*
 * A retriage takes the message out of every queue (it is back in the
 * inbox); its new decision counts, in its own queue, from its own time;
 * the old one never again.
 */
static void
test_retriage(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	const struct store_queue *q;
	int64_t old, keep, new;

	old = record_ref(fx, "r1", OUTCOME_REJECTED, "BALP/Rejets", NOW);
	keep = record(fx, OUTCOME_REJECTED, "BALP/Rejets", NOW + 1);
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r1",
	    "NIR corrigé", "admin:x", NOW + DAY), STORE_OK);
	status(fx, &l);
	q = queue_n(&l, "BALP/Rejets", 1);
	assert_int_equal(q->items[0].decision_id, keep);
	assert_null(store_queue_find(&l, "BALP/RIB"));
	store_queue_list_free(&l);

	new = record_ref(fx, "r1.r1", OUTCOME_ACCEPTED, "BALP/RIB",
	    NOW + 2 * DAY);
	assert_true(new != old);
	status(fx, &l);
	queue_n(&l, "BALP/Rejets", 1);
	q = queue_n(&l, "BALP/RIB", 1);
	assert_int_equal(q->items[0].decision_id, new);
	assert_int_equal(q->items[0].since, NOW + 2 * DAY);
	store_queue_list_free(&l);

	/* Retriaged again, back in the inbox again. */
	assert_int_equal(store_message_retriage(fx->st, new, "r1.r2", "",
	    "admin:x", NOW + 3 * DAY), STORE_OK);
	status(fx, &l);
	assert_null(store_queue_find(&l, "BALP/RIB"));
	assert_int_equal(l.n, 1);
	store_queue_list_free(&l);
}

/* An undone retriage (the file could not move): the message is back. */
static void
test_retriage_undone(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	const struct store_queue *q;
	int64_t id;

	id = record(fx, OUTCOME_ACCEPTED, "BALP/Blocage", NOW);
	assert_int_equal(store_message_retriage(fx->st, id, "m1.r1", "",
	    "admin:x", NOW + DAY), STORE_OK);
	status(fx, &l);
	assert_int_equal(l.n, 0);
	store_queue_list_free(&l);
	assert_int_equal(store_message_retriage_undo(fx->st, id, "not found",
	    "admin:x", NOW + DAY), STORE_OK);
	status(fx, &l);
	q = queue_n(&l, "BALP/Blocage", 1);
	assert_int_equal(q->items[0].since, NOW);
	store_queue_list_free(&l);
}

/* Many messages in one pass of the query: every one counted once. */
static void
test_many(void **state)
{
	static const char *const queues[] = { "BALP/RIB", "BALP/Suspension",
	    "BALP/Blocage", "BALP/Rejets", "BALP/Quarantaine" };
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_queue_list l;
	const struct store_queue *q;
	size_t want[5] = { 0 }, i, k, total = 0;
	char ref[32];

	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	for (i = 0; i < 3000; i++) {
		memset(&d, 0, sizeof(d));
		snprintf(ref, sizeof(ref), "b%zu", i);
		d.source = "maildir";
		d.source_ref = ref;
		d.outcome = OUTCOME_ACCEPTED;
		d.queue = queues[(i * 7) % 5];
		want[(i * 7) % 5]++;
		assert_int_equal(store_batch_add(fx->st, &d, NULL, "balpd",
		    NOW - (time_t)(i % 40) * DAY, NULL), STORE_OK);
	}
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);
	status(fx, &l);
	assert_int_equal(l.n, 5);
	for (k = 0; k < 5; k++) {
		q = queue_n(&l, queues[k], want[k]);
		total += q->count;
		assert_int_equal(q->oldest, q->items[0].since);
		for (i = 1; i < q->count; i++)
			assert_true(q->items[i - 1].since <= q->items[i].since);
	}
	assert_int_equal(total, 3000);
	store_queue_list_free(&l);
}

/* A decided_at edited into something else: an error naming the row. */
static void
test_bad_time(void **state)
{
	struct fx *fx = *state;
	struct store_queue_list l;
	sqlite3 *db;
	char want[64];
	int64_t id;

	record(fx, OUTCOME_ACCEPTED, "BALP/RIB", NOW);
	id = record(fx, OUTCOME_ACCEPTED, "BALP/RIB", NOW);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE decisions SET decided_at ="
	    " 'hier' WHERE id = (SELECT max(id) FROM decisions)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_queue_status(fx->st, &l), STORE_ERROR);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	snprintf(want, sizeof(want), "decision %lld:", (long long)id);
	if (strstr(store_errmsg(fx->st), want) == NULL)
		fail_msg("message: %s", store_errmsg(fx->st));
	/* The statement was handed back: the next call runs it again
	 * (rather than "still in use") and says the same. */
	assert_int_equal(store_queue_status(fx->st, &l), STORE_ERROR);
	if (strstr(store_errmsg(fx->st), want) == NULL)
		fail_msg("message: %s", store_errmsg(fx->st));
	store_queue_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grouped_oldest_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ties_by_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_release_moves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retriage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retriage_undone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_time, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
