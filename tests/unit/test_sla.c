/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sla - queue ages against their SLA (sla.c), as `balpctl queue
 * status` and the supervisors' digest read them, and the digest's text:
 * counts, ages and decision ids, nothing that names a person; and that
 * the report and the dashboard's summary, counted on the store's index,
 * agree with the report of every decision read (sla_report_every).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_store_open.h"
#include "tmpdir.h"

#include <stdlib.h>
#include <string.h>

#include "balp/conf.h"
#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/sla.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"

/* Tuesday 2026-09-22, noon UTC. */
#define NOW	((time_t)1790078400)
#define DAY	((time_t)86400)

struct fx {
	char			 dir[64];
	char			 path[128];
	struct store		*st;
	struct balp_conf	 conf;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct buf err = BUF_INIT;

	if (fx == NULL || tmpdir_make(fx->dir, sizeof(fx->dir), "sla") == -1)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/balp.db", fx->dir);
	if (test_store_open(fx->path, &fx->st, &err) != STORE_OK ||
	    conf_load(BALP_SRCDIR "/conf/balp.conf", &fx->conf, &err) != 0) {
		fprintf(stderr, "%s\n", buf_str(&err));
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	conf_free(&fx->conf);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static int64_t
record(struct fx *fx, const char *ref, const char *queue, time_t t)
{
	struct store_decision_spec d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.sender = "a.martin@apeai34.fr";
	d.partner_id = "apeai";
	d.outcome = OUTCOME_ACCEPTED;
	d.queue = queue;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", t,
	    &id), STORE_OK);
	return id;
}

static void
test_report_and_digest(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	struct buf err = BUF_INIT;
	const struct sla_queue *rib = NULL;
	char *subject = NULL, *body = NULL, want[64];
	int64_t old1, old2;
	size_t i;

	old1 = record(fx, "a", "BALP/RIB", NOW - 30 * DAY);
	old2 = record(fx, "b", "BALP/RIB", NOW - 20 * DAY);
	record(fx, "c", "BALP/RIB", NOW - 2 * DAY);
	record(fx, "d", "BALP/Quarantaine", NOW);
	assert_int_equal(sla_report(fx->st, &fx->conf, pipeline_today(NOW),
	    SIZE_MAX, &r, &err), 0);
	assert_int_equal(r.waiting, 4);
	assert_int_equal(r.overdue, 2);
	for (i = 0; i < r.n; i++)
		if (strcmp(r.v[i].name, "BALP/RIB") == 0)
			rib = &r.v[i];
	assert_non_null(rib);
	assert_int_equal(rib->sla, 10);
	assert_int_equal(rib->overdue, 2);
	assert_int_equal(rib->overdue_ids[0], old1);
	assert_int_equal(rib->overdue_ids[1], old2);
	/* 30 calendar days back from a Tuesday: 22 working days (no public
	 * holiday between 2026-08-23 and 2026-09-22). */
	assert_int_equal(rib->oldest_days, 30);
	assert_int_equal(rib->oldest_wd, 22);

	assert_int_equal(sla_digest(&r, &subject, &body), 0);
	assert_string_equal(subject, "BALP : 2 messages en attente au-delà du "
	    "délai au 22/09/2026");
	assert_non_null(strstr(body, "BALP/RIB : 2 en retard (délai 10 jours "
	    "ouvrés), le plus ancien depuis le 23/08/2026 (22 jours ouvrés)"));
	snprintf(want, sizeof(want), "décisions : %lld, %lld\n",
	    (long long)old1, (long long)old2);
	assert_non_null(strstr(body, want));
	assert_non_null(strstr(body, "(4 messages en attente en tout)"));
	/* A queue with nothing late is not named. */
	assert_null(strstr(body, "Quarantaine"));
	assert_null(strstr(body, "apeai"));
	assert_null(strstr(body, "martin"));
	free(subject);
	free(body);
	sla_report_free(&r);
	buf_free(&err);
}

/* 60 overdue in one queue: 50 ids listed, the rest counted. */
static void
test_digest_caps_ids(void **state)
{
	struct fx *fx = *state;
	struct sla_report r;
	struct buf err = BUF_INIT;
	char *subject = NULL, *body = NULL, ref[16];
	int i;

	for (i = 0; i < 60; i++) {
		snprintf(ref, sizeof(ref), "m%d", i);
		record(fx, ref, "BALP/RIB", NOW - 40 * DAY + i);
	}
	assert_int_equal(sla_report(fx->st, &fx->conf, pipeline_today(NOW),
	    SIZE_MAX, &r, &err), 0);
	assert_int_equal(r.overdue, 60);
	assert_int_equal(sla_digest(&r, &subject, &body), 0);
	assert_non_null(strstr(body, " et 10 autres\n"));
	assert_non_null(strstr(body, ", 50 et 10 autres"));
	free(subject);
	free(body);
	sla_report_free(&r);
	buf_free(&err);
}

/* Both digests' texts, byte for byte. */
static void
digests_equal(const struct sla_report *a, const struct sla_report *b)
{
	char *sa = NULL, *ba = NULL, *sb = NULL, *bb = NULL;

	assert_int_equal(sla_digest(a, &sa, &ba), 0);
	assert_int_equal(sla_digest(b, &sb, &bb), 0);
	assert_string_equal(sa, sb);
	assert_string_equal(ba, bb);
	free(sa);
	free(ba);
	free(sb);
	free(bb);
}

/*
 * On today, sla_report (counted on the index: `balpctl queue status`,
 * the digest) says what sla_report_every says (every decision read, as
 * both did before): the same queues, counts, oldest, ages, overdue, and
 * the overdue ids, all of them or the first max asked, and the same
 * digest; sla_summary (the dashboard's) the same without ids.  Returns
 * how many queues the cutoff fell inside (some overdue, some not).
 */
static int
reports_agree(struct fx *fx, int32_t today)
{
	static const size_t maxes[] = { SIZE_MAX, SLA_DIGEST_IDS, 20, 3, 1,
	    0 };
	struct sla_report every, r;
	struct buf err = BUF_INIT;
	size_t i, k, m, want;
	int inside = 0;

	assert_int_equal(sla_report_every(fx->st, &fx->conf, today, &every,
	    &err), 0);
	for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		if (maxes[m] == 0)
			assert_int_equal(sla_summary(fx->st, &fx->conf, today,
			    &r, &err), 0);
		else
			assert_int_equal(sla_report(fx->st, &fx->conf, today,
			    maxes[m], &r, &err), 0);
		assert_int_equal(r.n, every.n);
		assert_int_equal(r.waiting, every.waiting);
		assert_int_equal(r.overdue, every.overdue);
		for (i = 0; i < every.n; i++) {
			const struct sla_queue *e = &every.v[i], *q = &r.v[i];

			assert_string_equal(q->name, e->name);
			assert_int_equal(q->in_rules, e->in_rules);
			assert_int_equal(q->sla, e->sla);
			assert_int_equal(q->q == NULL, e->q == NULL);
			if (e->q != NULL) {
				assert_int_equal(q->q->count, e->q->count);
				assert_int_equal(q->q->oldest, e->q->oldest);
			}
			assert_int_equal(q->oldest_day, e->oldest_day);
			assert_int_equal(q->oldest_wd, e->oldest_wd);
			assert_int_equal(q->oldest_days, e->oldest_days);
			assert_int_equal(q->overdue, e->overdue);
			assert_int_equal(e->n_ids, e->overdue);
			want = e->overdue < maxes[m] ? e->overdue : maxes[m];
			assert_int_equal(q->n_ids, want);
			if (want == 0)
				assert_null(q->overdue_ids);
			for (k = 0; k < want; k++)
				if (q->overdue_ids[k] != e->overdue_ids[k])
					fail_msg("%s: overdue id %zu is %lld, "
					    "want %lld (max %zu)", e->name, k,
					    (long long)q->overdue_ids[k],
					    (long long)e->overdue_ids[k],
					    maxes[m]);
			inside += m == 0 && e->overdue > 0 && e->q != NULL &&
			    e->overdue < e->q->count;
		}
		if (maxes[m] >= SLA_DIGEST_IDS)
			digests_equal(&every, &r);
		sla_report_free(&r);
	}
	sla_report_free(&every);
	buf_free(&err);
	return inside;
}

/*
 * The index's report agrees with every decision read: a message every 50
 * minutes over six weeks in two queues, read on several days (a Monday,
 * the day after a public holiday, a Sunday), in Paris time, where the
 * local midnight that parts overdue from not yet overdue is not UTC's.
 */
static void
test_summary_agrees(void **state)
{
	static const time_t days[] = { NOW, NOW + 6 * DAY, NOW - 12 * DAY,
	    NOW + 5 * DAY, NOW - 37 * DAY };
	struct fx *fx = *state;
	char ref[16];
	size_t i, k;
	int n = 0;

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	for (i = 0; i < 6 * 7 * 24 * 60 / 50; i++) {
		snprintf(ref, sizeof(ref), "m%zu", i);
		record(fx, ref, i % 3 == 0 ? "BALP/Suspension" : "BALP/RIB",
		    NOW + 6 * DAY - (time_t)i * 3000);
	}
	for (k = 0; k < sizeof(days) / sizeof(days[0]); k++)
		n += reports_agree(fx, pipeline_today(days[k]));
	/* The cutoffs fell inside the queues, not past their ends. */
	assert_true(n >= 5);
	unsetenv("TZ");
	tzset();
}

/*
 * The same for messages on the same day, on days either side of the
 * SLA's edge (10 working days), a queue without SLA, a queue only the
 * store knows, a message released to another queue.
 */
static void
test_summary_agrees_queues(void **state)
{
	struct fx *fx = *state;
	char ref[16];
	int64_t id;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(ref, sizeof(ref), "r%d", i);
		record(fx, ref, i % 3 == 0 ? "BALP/RIB" : i % 3 == 1 ?
		    "BALP/Rejets" : "BALP/Renamed", NOW - (time_t)i * DAY / 2);
	}
	id = record(fx, "q", "BALP/Quarantaine", NOW - 13 * DAY);
	/* Released 2 days ago: it waits in RIB since then. */
	assert_int_equal(store_message_release(fx->st, id, "BALP/Quarantaine",
	    "BALP/RIB", "vérifié", NULL, "admin:test", NOW - 2 * DAY),
	    STORE_OK);
	record(fx, "q2", "BALP/Quarantaine", NOW - 13 * DAY);
	assert_true(reports_agree(fx, pipeline_today(NOW)) > 0);
}

/*
 * The same on a store of varied decisions, read on many days: several
 * queues with ties in one second, more overdue than a digest lists,
 * releases (an old message released into a queue among older ones, one
 * released twice, one released long ago and now overdue in its new
 * queue), a retriage pending (in no queue), one decided again (the new
 * decision alone counts), one undone (back in its queue), a queue the
 * rules do not know.
 */
static void
test_report_agrees_varied(void **state)
{
	static const char *const queues[] = { "BALP/RIB", "BALP/Suspension",
	    "BALP/Rejets", "BALP/Quarantaine", "BALP/Old" };
	struct fx *fx = *state;
	char ref[16];
	int64_t ids[400];
	size_t i;
	int k, n = 0;

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	for (i = 0; i < 400; i++) {
		snprintf(ref, sizeof(ref), "v%zu", i);
		/* Five in each second, queues in turn; oldest 50 days. */
		ids[i] = record(fx, ref, queues[(i * 7) % 5],
		    NOW - 50 * DAY + (time_t)(i / 5) * 15 * 3600);
	}
	/* Released: into RIB two weeks ago, among the older ones. */
	assert_int_equal(store_message_release(fx->st, ids[3],
	    queues[(3 * 7) % 5], "BALP/RIB", "vérifié", NULL, "admin:test",
	    NOW - 14 * DAY), STORE_OK);
	/* Released twice: its last release counts. */
	assert_int_equal(store_message_release(fx->st, ids[10],
	    queues[(10 * 7) % 5], "BALP/Suspension", "vérifié", NULL,
	    "admin:test", NOW - 40 * DAY), STORE_OK);
	assert_int_equal(store_message_release(fx->st, ids[10],
	    "BALP/Suspension", "BALP/Rejets", "mauvaise file", NULL,
	    "admin:test", NOW - 3 * DAY), STORE_OK);
	/* Released long ago, into a queue of the same second's others. */
	assert_int_equal(store_message_release(fx->st, ids[21],
	    queues[(21 * 7) % 5], "BALP/Quarantaine", "vérifié", NULL,
	    "admin:test", NOW - 50 * DAY + 4 * 15 * 3600), STORE_OK);
	/* Retriaged, pending: in no queue. */
	assert_int_equal(store_message_retriage(fx->st, ids[30], "v30.r1",
	    "NIR corrigé", "admin:test", NOW - 20 * DAY), STORE_OK);
	/* Retriaged and decided again: the new decision alone. */
	assert_int_equal(store_message_retriage(fx->st, ids[31], "v31.r1",
	    "NIR corrigé", "admin:test", NOW - 20 * DAY), STORE_OK);
	record(fx, "v31.r1", "BALP/RIB", NOW - 19 * DAY);
	/* Retriaged, undone: back where it was. */
	assert_int_equal(store_message_retriage(fx->st, ids[32], "v32.r1",
	    "", "admin:test", NOW - 20 * DAY), STORE_OK);
	assert_int_equal(store_message_retriage_undo(fx->st, ids[32],
	    "not found", "admin:test", NOW - 20 * DAY), STORE_OK);
	for (k = -60; k <= 10; k += 3)
		n += reports_agree(fx, pipeline_today(NOW + k * DAY));
	assert_true(n >= 10);
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_and_digest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_digest_caps_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_summary_agrees, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_summary_agrees_queues,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_agrees_varied,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
