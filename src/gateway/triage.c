/*
 * triage - the pipeline (see triage.h).
 *
 * Order matters for crash safety: record first, then move.  If the process
 * dies in between, the next pass finds the stored decision and only
 * completes the move.  A fetch or move failure leaves the message where it
 * is; the next pass tries again.
 */
#include "balp/triage.h"
#include "balp/date.h"
#include "balp/keyfile.h"
#include "balp/mime.h"
#include "balp/notice.h"
#include "balp/reason.h"
#include "balp/store_decision.h"
#include "balp/store_partner.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int32_t
triage_today(time_t t)
{
	struct tm tm;
	int32_t d;

	if (localtime_r(&t, &tm) == NULL ||
	    date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d) == -1)
		return 0;
	return d;
}

void
triage_result_free(struct triage_result *res)
{
	facts_free(&res->facts);
	store_habilitations_free(&res->habs);
	memset(&res->decision, 0, sizeof(res->decision));
}

int
triage_decide(const struct triage *t, const char *msg, size_t len,
    uint64_t full_size, struct triage_result *res, struct buf *err)
{
	const struct balp_conf *c = t->conf;
	struct decide_ctx ctx;
	struct annex_view annex;
	int r;

	memset(res, 0, sizeof(*res));
	facts_init(&res->facts);
	r = mime_parse_isolated(msg, len, &c->limits, &res->facts);
	if (r == -1) {
		buf_puts(err, "cannot run the parser: out of resources");
		return -2;
	}
	res->facts.raw_size = full_size;
	if (len < full_size && res->facts.malformed == NULL)
		res->facts.malformed = FACTS_MALFORMED_TOO_LARGE;
	if (res->facts.from_addr != NULL &&
	    store_habilitations(t->store, res->facts.from_addr, &res->habs) !=
	    STORE_OK) {
		buf_printf(err, "annex lookup: %s", store_errmsg(t->store));
		return -1;
	}
	annex.v = res->habs.v;
	annex.n = res->habs.n;
	ctx.rules = &c->rules;
	ctx.trusted_authserv_ids = (const char *const *)c->trusted_authserv_ids.v;
	ctx.n_trusted_authserv_ids = c->trusted_authserv_ids.n;
	ctx.public_suffixes = &c->public_suffixes;
	ctx.today = t->today;
	decide(&res->facts, &annex, &ctx, &res->decision);
	return 0;
}

static int
record(const struct triage *t, const struct source *src,
    const struct source_msg *m, const struct triage_result *res,
    struct buf *err)
{
	const struct decision *d = &res->decision;
	struct store_decision_spec spec;
	struct store_notice notice = { NULL, NULL, NULL };
	char pseudonym[STORE_HASH_HEX_LEN + 1];
	unsigned char key[KEYFILE_KEY_LEN];
	char *subject = NULL, *body = NULL;
	int r;

	memset(&spec, 0, sizeof(spec));
	spec.source = src->ops->name;
	spec.source_ref = m->ref;
	spec.message_id = res->facts.message_id;
	spec.sender = res->facts.from_addr;
	spec.partner_id = d->partner_id;
	spec.type = d->type != NULL ? d->type->id : NULL;
	spec.outcome = d->outcome;
	spec.reasons = d->reasons;
	spec.queue = d->queue;
	if (d->nir[0] != '\0' && t->key_file != NULL) {
		if (keyfile_load(t->key_file, key, err) == -1)
			return -1;
		keyfile_pseudonym(key, d->nir, pseudonym);
		sodium_memzero(key, sizeof(key));
		spec.nir_pseudonym = pseudonym;
	}
	if (d->notify && res->facts.from_addr != NULL) {
		if (notice_render(&t->conf->rules, d, t->today, &subject,
		    &body) == -1) {
			buf_puts(err, "out of memory");
			return -1;
		}
		notice.recipient = res->facts.from_addr;
		notice.subject = subject;
		notice.body = body;
	}
	r = store_decision_record(t->store, &spec,
	    notice.recipient != NULL ? &notice : NULL, t->actor, t->now, NULL);
	free(subject);
	free(body);
	if (r == STORE_EXISTS)
		return 1;
	if (r != STORE_OK) {
		buf_printf(err, "cannot record the decision: %s",
		    store_errmsg(t->store));
		return -1;
	}
	return 0;
}

/* A message decided earlier (crash before its move): only move it now. */
static void
finish_move(struct source *src, const struct source_msg *m,
    const struct store_decision *old, triage_report_fn *report, void *arg)
{
	struct triage_report rep;
	struct buf err = BUF_INIT;

	memset(&rep, 0, sizeof(rep));
	rep.label = m->label;
	rep.sender = old->sender;
	rep.queue = old->queue;
	rep.stored_outcome = old->outcome;
	rep.stored_type = old->type;
	rep.stored_reasons = old->reasons;
	if (src->ops->move(src->state, m, old->queue, &err) == -1)
		rep.error = buf_str(&err);
	if (report != NULL)
		report(&rep, arg);
	buf_free(&err);
}

/* Decides a message that could not be read: it is only "malformed". */
static void
decide_unreadable(const struct triage *t, struct triage_result *res)
{
	struct annex_view none = { NULL, 0 };
	struct decide_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.rules = &t->conf->rules;
	ctx.public_suffixes = &t->conf->public_suffixes;
	ctx.today = t->today;
	decide(&res->facts, &none, &ctx, &res->decision);
}

static int
handle(const struct triage *t, struct source *src, const struct source_msg *m,
    triage_report_fn *report, void *arg, struct buf *err)
{
	struct store_decision old;
	struct triage_result res;
	struct triage_report rep;
	struct buf merr = BUF_INIT;
	char *data = NULL;
	size_t len = 0;
	int r;

	memset(&old, 0, sizeof(old));
	r = store_decision_find(t->store, src->ops->name, m->ref, &old);
	if (r == STORE_OK) {
		finish_move(src, m, &old, report, arg);
		store_decision_free(&old);
		return 0;
	}
	if (r != STORE_NOTFOUND) {
		buf_printf(err, "%s", store_errmsg(t->store));
		return -1;
	}
	memset(&rep, 0, sizeof(rep));
	rep.label = m->label;
	r = src->ops->fetch(src->state, m, TRIAGE_READ_MAX, &data, &len, &merr);
	if (r == 1) {
		/* Gone: another reader took it.  Nothing to decide or say. */
		buf_free(&merr);
		return 0;
	}
	if (r == -1) {
		/*
		 * Unreadable (permissions, I/O error, not a file): decided as
		 * malformed and quarantined, so that it is neither lost nor
		 * retried forever.
		 */
		memset(&res, 0, sizeof(res));
		facts_init(&res.facts);
		res.facts.malformed = FACTS_MALFORMED_UNREADABLE;
		res.facts.raw_size = m->size;
		decide_unreadable(t, &res);
		r = 0;
	} else {
		r = triage_decide(t, data, len, m->size, &res, err);
		free(data);
		if (r == -2) {
			/* The parser could not run: try again next pass. */
			rep.error = buf_str(err);
			if (report != NULL)
				report(&rep, arg);
			buf_reset(err);
			triage_result_free(&res);
			buf_free(&merr);
			return 0;
		}
	}
	buf_reset(&merr);
	if (r == 0)
		r = record(t, src, m, &res, err);
	if (r == 1) {
		/* Another balpd recorded it first: do as it said. */
		triage_result_free(&res);
		r = store_decision_find(t->store, src->ops->name, m->ref, &old);
		if (r == STORE_OK) {
			finish_move(src, m, &old, report, arg);
			store_decision_free(&old);
			return 0;
		}
		buf_printf(err, "%s", store_errmsg(t->store));
		return -1;
	}
	if (r == -1) {
		triage_result_free(&res);
		return -1;
	}
	rep.decision = &res.decision;
	rep.sender = res.facts.from_addr;
	rep.queue = res.decision.queue;
	if (src->ops->move(src->state, m, res.decision.queue, &merr) == -1)
		rep.error = buf_str(&merr);
	if (report != NULL)
		report(&rep, arg);
	buf_free(&merr);
	triage_result_free(&res);
	return 0;
}

int
triage_pass(const struct triage *t, struct source *src,
    triage_report_fn *report, void *arg, struct buf *err)
{
	struct source_msg *v = NULL;
	size_t n = 0, i;
	int done = 0;

	if (src->ops->list(src->state, &v, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (handle(t, src, &v[i], report, arg, err) == -1) {
			source_msgs_free(v, n);
			return -1;
		}
		done++;
	}
	source_msgs_free(v, n);
	return done;
}
