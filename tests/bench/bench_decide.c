/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_decide - decide() alone, in messages per second on one core.
 *
 *   bench_decide CONF FILE.eml...
 *
 * Parses each file once (in-process: this is a benchmark of the decision,
 * not of the parser), gives every sender a habilitation in force at a
 * partner in force (so that every rule runs), then calls decide() over
 * the corpus again and again for about two seconds, and prints the
 * median rate of ten rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balp/conf.h"
#include "balp/date.h"
#include "balp/decide.h"
#include "balp/mime.h"

#define ROUNDS	10

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) == -1 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) == -1 || (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, fp) != (size_t)n) {
		if (fp != NULL)
			fclose(fp);
		free(p);
		return NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct balp_conf conf;
	struct buf err = BUF_INIT;
	struct msg_facts *facts;
	struct habilitation hab;
	struct annex_view annex = { &hab, 1, NULL, 0 };
	struct decide_ctx ctx;
	struct decision d;
	double rate[ROUNDS], t0, t;
	size_t n = 0, len, i, calls;
	int32_t today;
	int k;
	char *msg;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_decide CONF FILE.eml...\n");
		return 2;
	}
	if (conf_load(argv[1], &conf, &err) == -1) {
		fputs(buf_str(&err), stderr);
		return 2;
	}
	if ((facts = calloc((size_t)argc, sizeof(*facts))) == NULL)
		return 1;
	for (k = 2; k < argc; k++) {
		if ((msg = slurp(argv[k], &len)) == NULL)
			continue;
		facts_init(&facts[n]);
		if (mime_parse(msg, len, &conf.limits, &facts[n]) == 0)
			n++;
		free(msg);
	}
	if (n == 0)
		return 1;
	date_parse_iso("2026-11-23", &today);
	memset(&hab, 0, sizeof(hab));
	hab.partner_id = "bench";
	date_parse_iso("2020-01-01", &hab.convention_start);
	hab.convention_end = DATE_NONE;
	hab.start = hab.convention_start;
	hab.end = DATE_NONE;
	memset(&ctx, 0, sizeof(ctx));
	ctx.rules = &conf.rules;
	ctx.trusted_authserv_ids = (const char *const *)conf.trusted_authserv_ids.v;
	ctx.n_trusted_authserv_ids = conf.trusted_authserv_ids.n;
	ctx.public_suffixes = &conf.public_suffixes;
	ctx.today = today;

	for (k = 0; k < ROUNDS; k++) {
		calls = 0;
		t0 = now_s();
		do {
			for (i = 0; i < n; i++)
				decide(&facts[i], &annex, &ctx, &d);
			calls += n;
		} while ((t = now_s() - t0) < 0.2);
		rate[k] = (double)calls / t;
	}
	qsort(rate, ROUNDS, sizeof(rate[0]), by_value);
	printf("decide alone: %zu messages of the corpus, median of %d rounds:"
	    " %.0f msg/s on one core (min %.0f, max %.0f)\n", n, ROUNDS,
	    rate[ROUNDS / 2], rate[0], rate[ROUNDS - 1]);
	for (i = 0; i < n; i++)
		facts_free(&facts[i]);
	free(facts);
	conf_free(&conf);
	return 0;
}
