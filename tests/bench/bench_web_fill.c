/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_web_fill - a store of N decisions for the console's benchmark
 * (tests/bench/web.sh): six months of a large Caf, written through the
 * store layer's own functions, oldest first, so that balpweb, balpctl and
 * `audit verify` read it as one balpd wrote over six months.
 *
 *   bench_web_fill CONF N
 *
 * What it holds (a deterministic generator: the same N gives the same
 * store but for the dates, which end now):
 *
 * - 300 partners (the two demo ones among them), of Zipf sizes: the
 *   largest (a city's CCAS, a social landlord) sends 5 % of the mail,
 *   the smallest 0.1 %; each with 1 to 40 agents.
 * - Dates: the 182 days up to today, working days carrying 98 % of the
 *   mail, between 07:30 and 18:30 UTC, in id order (as balpd writes).
 * - Senders: the partner's agents; 2 % from unknown addresses (no
 *   partner, sender_unknown).
 * - Outcomes: 75 % accepted in their type's queue (rib 50 %, suspension
 *   30 %, blocage 20 %), 20 % rejected with one or two reasons of the
 *   real mix (NIR missing or invalid, name or attachment missing...),
 *   5 % quarantined (authentication failed, forbidden or encrypted
 *   attachment, malformed).
 * - NIR pseudonyms: keyfile_pseudonym() under the store's key, of 400,000
 *   beneficiaries drawn with a skew (some files get many letters); none
 *   when the reasons say the NIR was missing or invalid.  The demo NIR
 *   185057800608491 is one of them (some twenty decisions): the benchmark
 *   searches it.
 * - Every rejection from a known sender queues its notice, sent a moment
 *   later (store_outbox_sent), but for the last batch's (pending, as
 *   when the notifier is a pass behind); one quarantined message in ten
 *   released to its type's queue by an admin (store_message_release).
 *
 * Decisions go in batches of BATCH (store_batch_*: one transaction each,
 * every decision with its audit row, as balpd records them).  The caller
 * runs it on a store in tmpfs (web.sh) where fdatasync costs nothing,
 * then moves the store to disk: the same rows, minutes instead of hours.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/date.h"
#include "balp/keyfile.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_partner.h"

#define BATCH		1000
#define DAYS		182
#define PARTNERS	300
#define BENEFICIARIES	400000u
#define DEMO_NIR	"185057800608491"
#define DEMO_BENEF	1234u	/* the demo NIR's rank in the skew */

struct partner {
	char	 id[48];
	double	 cum;		/* cumulative weight, for the draw */
	unsigned agents;
};

static uint64_t rng = 0x20c0ffee2026ULL;

/* xorshift64*: deterministic and fast; quality is no concern here. */
static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1). */
static double
unit(void)
{
	return (double)(next() >> 11) / 9007199254740992.0;
}

/* An index drawn by the weights w[0..n) (percentages or any scale). */
static size_t
pick(const unsigned *w, size_t n)
{
	unsigned total = 0, x;
	size_t i;

	for (i = 0; i < n; i++)
		total += w[i];
	x = (unsigned)(next() % total);
	for (i = 0; i + 1 < n && x >= w[i]; i++)
		x -= w[i];
	return i;
}

static const char *const kinds[] = { "ccas", "asso", "bailleur", "mairie",
    "centre-social", "udaf" };
static const char *const kind_names[] = { "CCAS de la commune",
    "Association d'aide", "Bailleur social", "Mairie", "Centre social",
    "UDAF, antenne" };

static int
partners_make(struct store *st, struct partner *p, time_t t)
{
	struct store_partner_spec s;
	char name[96];
	double w, total = 0;
	size_t i;
	int rc;

	for (i = 0; i < PARTNERS; i++) {
		/* The demo partners keep their ids (demo_home made them). */
		if (i == 3)
			snprintf(p[i].id, sizeof(p[i].id), "ccas-lespignan");
		else if (i == 40)
			snprintf(p[i].id, sizeof(p[i].id),
			    "apeai-ouest-herault");
		else {
			snprintf(p[i].id, sizeof(p[i].id), "%s-%03zu",
			    kinds[i % 6], i);
			snprintf(name, sizeof(name), "%s n° %zu",
			    kind_names[i % 6], i);
			memset(&s, 0, sizeof(s));
			s.id = p[i].id;
			s.name = name;
			s.start = (int32_t)(t / 86400) - 400 + (int32_t)(i % 200);
			s.end = DATE_NONE;
			s.max_persons = STORE_NO_QUOTA;
			if ((rc = store_partner_add(st, &s, "balpctl", t)) !=
			    STORE_OK)
				return rc;
		}
		w = 1.0 / ((double)i + 5.0);
		total += w;
		p[i].cum = total;
		p[i].agents = 1 + (unsigned)(39.0 / (1.0 + (double)i / 6.0));
	}
	for (i = 0; i < PARTNERS; i++)
		p[i].cum /= total;
	return STORE_OK;
}

static const struct partner *
partner_draw(const struct partner *p)
{
	double x = unit();
	size_t lo = 0, hi = PARTNERS - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (p[mid].cum > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &p[lo];
}

/* Day d's weight: a weekend day sees a twentieth of a working day's mail. */
static double
day_weight(time_t day0, int d)
{
	time_t t = day0 + (time_t)d * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_wday == 0 || tm.tm_wday == 6 ? 0.05 : 1.0;
}

static const char *const types[] = { "rib", "suspension", "blocage" };
static const char *const queues[] = { "BALP/RIB", "BALP/Suspension",
    "BALP/Blocage" };
static const unsigned type_w[] = { 50, 30, 20 };

static const enum reason rejects[] = { REASON_NIR_MISSING,
    REASON_NIR_INVALID, REASON_NIR_KEY_MISSING, REASON_NAME_MISSING,
    REASON_ATTACHMENT_MISSING, REASON_TYPE_UNKNOWN,
    REASON_SENDER_HABILITATION_ENDED, REASON_TOO_RECENT, REASON_TOO_LARGE };
static const unsigned reject_w[] = { 25, 15, 10, 15, 15, 8, 5, 4, 3 };
static const enum reason quarantines[] = { REASON_AUTH_FAILED,
    REASON_ATTACHMENT_FORBIDDEN, REASON_ATTACHMENT_ENCRYPTED,
    REASON_MALFORMED };
static const unsigned quarantine_w[] = { 40, 30, 20, 10 };

#define NIR_GONE	(REASON_BIT(REASON_NIR_MISSING) | \
    REASON_BIT(REASON_NIR_INVALID) | REASON_BIT(REASON_NIR_KEY_MISSING) | \
    REASON_BIT(REASON_MALFORMED))

/* Sends the pending notices (all of this batch's) at t. */
static int
notices_send(struct store *st, time_t t)
{
	struct store_outbox_list l;
	size_t i;
	int rc;

	if ((rc = store_outbox_pending(st, t, 0, &l)) != STORE_OK)
		return rc;
	for (i = 0; i < l.n && rc == STORE_OK; i++)
		rc = store_outbox_sent(st, l.v[i].id, t);
	store_outbox_list_free(&l);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct partner partners[PARTNERS];
	struct balp_conf conf;
	struct store *st = NULL;
	struct store_decision_spec d;
	struct store_notice notice;
	struct buf err = BUF_INIT;
	const struct partner *p;
	unsigned char key[KEYFILE_KEY_LEN];
	char ref[64], sender[96], mid[96], pseud[KEYFILE_PSEUDONYM_LEN + 1];
	char benef[32];
	double wsum[DAYS + 1], x, frac;
	int64_t id, held[BATCH];
	size_t nheld = 0, k, type;
	long n, i;
	time_t now = time(NULL), day0, t = 0;
	unsigned b, roll;
	int day = 0, rc;

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
	day0 = (now / 86400 - DAYS + 1) * 86400;
	if (partners_make(st, partners, day0) != STORE_OK)
		goto fail;
	wsum[0] = 0;
	for (day = 0; day < DAYS; day++)
		wsum[day + 1] = wsum[day] + day_weight(day0, day);
	day = 0;
	notice.subject = "BALP : votre message n'a pas pu être traité";
	notice.body = "Votre message n'a pas pu être traité : voyez le motif "
	    "ci-dessous.";
	for (i = 0; i < n; i++) {
		if (i % BATCH == 0 && store_batch_begin(st) != STORE_OK)
			goto fail;
		memset(&d, 0, sizeof(d));
		/* The i-th of n along the weighted days, 07:30 to 18:30. */
		x = ((double)i + 0.5) / (double)n * wsum[DAYS];
		while (day + 1 < DAYS && wsum[day + 1] <= x)
			day++;
		frac = (x - wsum[day]) / (wsum[day + 1] - wsum[day]);
		t = day0 + (time_t)day * 86400 + 27000 + (time_t)(frac * 39600);
		if (t > now)
			t = now;
		snprintf(ref, sizeof(ref), "%ld.M%ldP%ld.balp,S=4096:2,",
		    (long)t, i, 4000L + i % 997);
		snprintf(mid, sizeof(mid), "<%016" PRIx64 ".%ld@mail.test>",
		    next(), i);
		d.source = "maildir";
		d.source_ref = ref;
		d.message_id = mid;
		type = pick(type_w, 3);
		d.type = types[type];
		roll = (unsigned)(next() % 100);
		if (next() % 50 == 0) {
			/* An address no annex knows. */
			snprintf(sender, sizeof(sender),
			    "contact%u@webmail%u.test", (unsigned)(next() %
			    5000), (unsigned)(next() % 7));
			d.sender = sender;
			d.outcome = OUTCOME_REJECTED;
			d.reasons = REASON_BIT(REASON_SENDER_UNKNOWN);
		} else {
			p = partner_draw(partners);
			snprintf(sender, sizeof(sender), "agent%u@%s.test",
			    (unsigned)(next() % p->agents), p->id);
			d.sender = sender;
			d.partner_id = p->id;
			if (roll < 75)
				d.outcome = OUTCOME_ACCEPTED;
			else if (roll < 95) {
				d.outcome = OUTCOME_REJECTED;
				d.reasons = REASON_BIT(rejects[pick(reject_w,
				    9)]);
				if (next() % 5 == 0)
					d.reasons |= REASON_BIT(
					    REASON_NAME_MISSING);
			} else {
				d.outcome = OUTCOME_QUARANTINED;
				d.reasons = REASON_BIT(quarantines[pick(
				    quarantine_w, 4)]);
			}
		}
		if (d.reasons & REASON_BIT(REASON_TYPE_UNKNOWN))
			d.type = NULL;
		d.queue = d.outcome == OUTCOME_ACCEPTED ? queues[type] :
		    d.outcome == OUTCOME_REJECTED ? conf.rules.queue_rejects :
		    conf.rules.queue_quarantine;
		if ((d.reasons & NIR_GONE) == 0) {
			/* Skewed: low ranks write often. */
			x = unit();
			b = (unsigned)(x * x * BENEFICIARIES);
			if (b == DEMO_BENEF)
				keyfile_pseudonym(key, DEMO_NIR, pseud);
			else {
				snprintf(benef, sizeof(benef), "bench-%u", b);
				keyfile_pseudonym(key, benef, pseud);
			}
			d.nir_pseudonym = pseud;
		}
		notice.recipient = sender;
		rc = store_batch_add(st, &d, d.outcome == OUTCOME_REJECTED &&
		    d.partner_id != NULL ? &notice : NULL, "balpd", t, &id);
		if (rc != STORE_OK)
			goto fail;
		if (d.outcome == OUTCOME_QUARANTINED && next() % 10 == 0)
			held[nheld++] = id;
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			if (store_batch_commit(st) != STORE_OK)
				goto fail;
			for (k = 0; k < nheld; k++)
				if (store_message_release(st, held[k],
				    conf.rules.queue_quarantine, queues[0],
				    "expéditeur vérifié par téléphone", NULL,
				    "web:adm", t) != STORE_OK)
					goto fail;
			nheld = 0;
			if (i + 1 < n && notices_send(st, t) != STORE_OK)
				goto fail;
		}
	}
	sodium_memzero(key, sizeof(key));
	store_close(st);
	conf_free(&conf);
	printf("%ld decisions over %d days, %d partners\n", n, DAYS,
	    PARTNERS);
	return 0;
fail:
	sodium_memzero(key, sizeof(key));
	fprintf(stderr, "bench_web_fill: %s\n", store_errmsg(st));
	store_batch_abort(st);
	store_close(st);
	return 1;
}
