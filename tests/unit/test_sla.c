/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sla - queue ages against their SLA (sla.c), as `balpctl queue
 * status` and the supervisors' digest read them, and the digest's text:
 * counts, ages and decision ids, nothing that names a person; and the
 * dashboard's summary, which must agree with the report.
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
	    &r, &err), 0);
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
	    &r, &err), 0);
	assert_int_equal(r.overdue, 60);
	assert_int_equal(sla_digest(&r, &subject, &body), 0);
	assert_non_null(strstr(body, " et 10 autres\n"));
	assert_non_null(strstr(body, ", 50 et 10 autres"));
	free(subject);
	free(body);
	sla_report_free(&r);
	buf_free(&err);
}

/*
 * sla_summary (the dashboard's, counted by the index) says what
 * sla_report says: a message every 50 minutes over six weeks in two
 * queues, read on several days (a Monday, the day after a public
 * holiday, a Sunday), in Paris time, where the local midnight that
 * parts overdue from not yet overdue is not UTC's.
 */
static void
test_summary_agrees(void **state)
{
	static const time_t days[] = { NOW, NOW + 6 * DAY, NOW - 12 * DAY,
	    NOW + 5 * DAY, NOW - 37 * DAY };
	struct fx *fx = *state;
	struct sla_report r, s;
	struct buf err = BUF_INIT;
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
	for (k = 0; k < sizeof(days) / sizeof(days[0]); k++) {
		assert_int_equal(sla_report(fx->st, &fx->conf,
		    pipeline_today(days[k]), &r, &err), 0);
		assert_int_equal(sla_summary(fx->st, &fx->conf,
		    pipeline_today(days[k]), &s, &err), 0);
		assert_int_equal(s.n, r.n);
		assert_int_equal(s.waiting, r.waiting);
		assert_int_equal(s.overdue, r.overdue);
		for (i = 0; i < r.n; i++) {
			assert_string_equal(s.v[i].name, r.v[i].name);
			assert_int_equal(s.v[i].overdue, r.v[i].overdue);
			assert_int_equal(s.v[i].oldest_wd, r.v[i].oldest_wd);
			assert_int_equal(s.v[i].oldest_days,
			    r.v[i].oldest_days);
			assert_null(s.v[i].overdue_ids);
			n += r.v[i].overdue > 0 && r.v[i].q != NULL &&
			    r.v[i].overdue < r.v[i].q->count;
		}
		sla_report_free(&r);
		sla_report_free(&s);
	}
	/* The cutoffs fell inside the queues, not past their ends. */
	assert_true(n >= 5);
	unsetenv("TZ");
	tzset();
	buf_free(&err);
}

/*
 * sla_summary gives sla_report's figures (counts, oldest, ages, overdue)
 * for messages on the same day, on days either side of the SLA's edge
 * (10 working days), a queue without SLA, a queue only the store knows,
 * a message released to another queue.
 */
static void
test_summary_agrees_queues(void **state)
{
	struct fx *fx = *state;
	struct sla_report full, sum;
	struct buf err = BUF_INIT;
	char ref[16];
	int64_t id;
	int i;
	size_t k;

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
	assert_int_equal(sla_report(fx->st, &fx->conf, pipeline_today(NOW),
	    &full, &err), 0);
	assert_int_equal(sla_summary(fx->st, &fx->conf, pipeline_today(NOW),
	    &sum, &err), 0);
	assert_true(full.overdue > 0);
	assert_int_equal(sum.waiting, full.waiting);
	assert_int_equal(sum.overdue, full.overdue);
	assert_int_equal(sum.n, full.n);
	for (k = 0; k < full.n; k++) {
		assert_string_equal(sum.v[k].name, full.v[k].name);
		assert_int_equal(sum.v[k].in_rules, full.v[k].in_rules);
		assert_int_equal(sum.v[k].sla, full.v[k].sla);
		assert_int_equal(sum.v[k].q == NULL, full.v[k].q == NULL);
		if (full.v[k].q != NULL) {
			assert_int_equal(sum.v[k].q->count,
			    full.v[k].q->count);
			assert_int_equal(sum.v[k].q->oldest,
			    full.v[k].q->oldest);
		}
		assert_int_equal(sum.v[k].oldest_day, full.v[k].oldest_day);
		assert_int_equal(sum.v[k].oldest_wd, full.v[k].oldest_wd);
		assert_int_equal(sum.v[k].oldest_days, full.v[k].oldest_days);
		assert_int_equal(sum.v[k].overdue, full.v[k].overdue);
		assert_null(sum.v[k].overdue_ids);
	}
	sla_report_free(&full);
	sla_report_free(&sum);
	buf_free(&err);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
