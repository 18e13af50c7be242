/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_audit_from - what balpweb's audit watch costs on a store made by
 * bench_web_fill (tests/bench/web.sh keeps one): the whole walk of the
 * chain (at start and once a day, as `balpctl audit verify`), then the
 * check of every 5 minutes going on from where the last one stopped
 * (store_audit_check_from) with nothing new, and after N decisions
 * recorded as balpd records them (one batch, each with its audit row and
 * a notice for the rejected), RUNS times:
 *
 *   bench_audit_from CONF [N] [RUNS]      (defaults 100, 5)
 *
 * It writes N * RUNS decisions into that store (dated now, source_ref
 * "bench-audit-..."), which stay.  Prints each figure in ms (CPU time of
 * the check: the thread's, which is what the pages share the machine
 * with, and the wall time).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"

static double
ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* One check from *m, timed; its result must be intact. */
static int
timed(struct store *st, struct store_audit_mark *m, const char *what)
{
	struct store_audit_report r;
	struct timespec w0, w1, c0, c1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &w0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	rc = store_audit_check_from(st, m, &r);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &w1);
	if (rc != 0) {
		fprintf(stderr, "bench_audit_from: %s: %s\n", what,
		    store_errmsg(st));
		return -1;
	}
	printf("%-34s %9.1f ms cpu %9.1f ms wall  %" PRId64 " rows read "
	    "(from row %" PRId64 ")\n", what, ms(&c0, &c1), ms(&w0, &w1),
	    r.rows, r.from_id);
	return 0;
}

int
main(int argc, char **argv)
{
	struct balp_conf conf;
	struct store *st = NULL;
	struct store_audit_mark m;
	struct store_decision_spec d;
	struct store_notice notice = { NULL, "BALP : message non traité",
	    "Votre message n'a pas pu être traité." };
	struct buf err = BUF_INIT;
	char ref[64], what[64];
	long n = 100, runs = 5, i, k;
	time_t now = time(NULL);

	if (argc < 2 || argc > 4 || (argc > 2 && (n = strtol(argv[2], NULL,
	    10)) <= 0) || (argc > 3 && (runs = strtol(argv[3], NULL, 10)) <=
	    0)) {
		fprintf(stderr, "usage: bench_audit_from CONF [N] [RUNS]\n");
		return 2;
	}
	if (sodium_init() < 0 || conf_load(argv[1], &conf, &err) == -1 ||
	    store_open(conf.store_path, &st, &err) != STORE_OK ||
	    store_audit_key_load(st, conf.audit_key_file, conf.admin_gid,
	    &err) == -1) {
		fprintf(stderr, "bench_audit_from: %s\n", buf_str(&err));
		return 1;
	}
	memset(&m, 0, sizeof(m));
	if (timed(st, &m, "whole walk") == -1 ||
	    timed(st, &m, "from the mark, nothing new") == -1)
		goto fail;
	for (k = 0; k < runs; k++) {
		if (store_batch_begin(st) != STORE_OK)
			goto fail;
		for (i = 0; i < n; i++) {
			memset(&d, 0, sizeof(d));
			snprintf(ref, sizeof(ref), "bench-audit-%lld-%ld-%ld",
			    (long long)now, k, i);
			d.source = "maildir";
			d.source_ref = ref;
			d.sender = "agent1@bench.test";
			d.outcome = i % 5 == 0 ? OUTCOME_REJECTED :
			    OUTCOME_ACCEPTED;
			d.queue = i % 5 == 0 ? conf.rules.queue_rejects :
			    "BALP/RIB";
			notice.recipient = d.sender;
			if (store_batch_add(st, &d, i % 5 == 0 ? &notice :
			    NULL, "balpd", now, NULL) != STORE_OK)
				goto fail;
		}
		if (store_batch_commit(st) != STORE_OK)
			goto fail;
		snprintf(what, sizeof(what), "from the mark, %ld new decisions",
		    n);
		if (timed(st, &m, what) == -1)
			goto fail;
	}
	store_close(st);
	conf_free(&conf);
	return 0;
fail:
	fprintf(stderr, "bench_audit_from: %s\n", store_errmsg(st));
	store_close(st);
	return 1;
}
