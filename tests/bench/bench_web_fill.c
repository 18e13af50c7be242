/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_web_fill - a store of N decisions for the console's benchmark
 * (tests/bench/web.sh): six months of a large Caf, written through the
 * store's own batches (each decision with its audit row, one in ten
 * rejections with its notice), oldest first.
 *
 *   bench_web_fill CONF N
 *
 * Partners and senders are the demo ones (demo_home) and made-up
 * addresses; outcomes 70 % accepted, 20 % rejected, 10 % quarantined;
 * every decision a pseudonym, one in five among 1,000 shared ones (so
 * that a NIR search finds several).  The pseudonym of the NIR
 * 185057800608491 (tests/data/demo) is one of them: the benchmark
 * searches it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/keyfile.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"

#define BATCH		10000
#define SPAN		(182L * 86400)

int
main(int argc, char **argv)
{
	static const char *const partners[] = { "apeai-ouest-herault",
	    "ccas-lespignan" };
	static const char *const types[] = { "rib", "suspension", "blocage" };
	static const char *const queues[] = { "BALP/RIB", "BALP/Suspension",
	    "BALP/Blocage" };
	struct balp_conf conf;
	struct store *st = NULL;
	struct store_decision_spec d;
	struct store_notice notice;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];
	char ref[64], sender[64], mid[64], pseud[KEYFILE_PSEUDONYM_LEN + 1];
	char demo[KEYFILE_PSEUDONYM_LEN + 1];
	long n, i;
	time_t now = time(NULL), t;
	unsigned r;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: bench_web_fill CONF N\n");
		return 2;
	}
	if (sodium_init() < 0 || conf_load(argv[1], &conf, &err) == -1 ||
	    store_open(conf.store_path, &st, &err) != STORE_OK ||
	    store_audit_key_load(st, conf.audit_key_file, conf.admin_gid,
	    &err) == -1 || keyfile_load_shared(conf.key_file, conf.admin_gid,
	    key, &err) == -1) {
		fprintf(stderr, "bench_web_fill: %s\n", buf_str(&err));
		return 1;
	}
	keyfile_pseudonym(key, "185057800608491", demo);
	sodium_memzero(key, sizeof(key));
	srand(20);
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0 && store_batch_begin(st) != STORE_OK)
			goto fail;
		r = (unsigned)rand();
		memset(&d, 0, sizeof(d));
		snprintf(ref, sizeof(ref), "bench.%08ld", i);
		snprintf(mid, sizeof(mid), "bench.%08ld@partner.test", i);
		snprintf(sender, sizeof(sender), "agent%u@%s.test", r % 40,
		    partners[r % 2]);
		d.source = "maildir";
		d.source_ref = ref;
		d.message_id = mid;
		d.sender = sender;
		d.partner_id = partners[r % 2];
		d.type = types[(r >> 3) % 3];
		if ((r >> 6) % 10 < 7) {
			d.outcome = OUTCOME_ACCEPTED;
			d.queue = queues[(r >> 3) % 3];
		} else if ((r >> 6) % 10 < 9) {
			d.outcome = OUTCOME_REJECTED;
			d.reasons = REASON_BIT(REASON_NIR_INVALID);
			d.queue = "BALP/Rejets";
		} else {
			d.outcome = OUTCOME_QUARANTINED;
			d.reasons = REASON_BIT(REASON_AUTH_FAILED);
			d.queue = "BALP/Quarantaine";
		}
		if ((r >> 10) % 5 == 0 && (r >> 13) % 1000 == 0)
			memcpy(pseud, demo, sizeof(pseud));
		else if ((r >> 10) % 5 == 0)
			snprintf(pseud, sizeof(pseud), "%064u", (r >> 13) % 1000);
		else
			snprintf(pseud, sizeof(pseud), "%032lx%032lx",
			    (unsigned long)rand(), (unsigned long)i);
		d.nir_pseudonym = pseud;
		notice.recipient = sender;
		notice.subject = "BALP : votre message n'a pas pu être traité";
		notice.body = "Le NIR est invalide.";
		t = now - SPAN + (time_t)((double)SPAN * (double)i / (double)n);
		if (store_batch_add(st, &d, d.outcome == OUTCOME_REJECTED &&
		    (r >> 20) % 10 == 0 ? &notice : NULL, "balpd", t, NULL) !=
		    STORE_OK)
			goto fail;
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			if (store_batch_commit(st) != STORE_OK)
				goto fail;
		}
	}
	store_close(st);
	conf_free(&conf);
	printf("%ld decisions\n", n);
	return 0;
fail:
	fprintf(stderr, "bench_web_fill: %s\n", store_errmsg(st));
	store_batch_abort(st);
	store_close(st);
	return 1;
}
