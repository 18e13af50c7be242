/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline - source -> parse -> decide -> record -> act (see pipeline.h
 * and docs/pipeline.md).
 *
 * A pass walks the listed messages in order with two cursors: `sub`, the
 * next message to hand to the parser workers, runs up to PIPELINE_WINDOW
 * messages ahead of `col`, the next answer to decide, so the workers parse
 * while this process decides, records and moves.  Decided messages gather
 * in a batch that is recorded in one transaction, committed, and only then
 * moved: a crash at any point leaves each message either undecided in the
 * inbox, or decided and in the inbox (the next pass moves it by its stored
 * decision), or decided and moved.
 */
#include "balp/pipeline.h"
#include "balp/breaker.h"
#include "balp/date.h"
#include "balp/keyfile.h"
#include "balp/mime.h"
#include "balp/pipeline_annex.h"
#include "balp/reason.h"
#include "balp/sandbox.h"
#include "balp/store_decision.h"
#include "pipeline_priv.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/*
 * Messages in the workers ahead of the one being decided: enough to keep
 * them busy while a batch commits (an fdatasync of milliseconds).
 */
#define PIPELINE_WINDOW		128
/*
 * Message bytes held in memory for the workers at once (a source that
 * hands bytes, not descriptors: IMAP): the window also stops there, so
 * that a backlog of 5 MB attachments does not cost 128 of them.
 */
#define PIPELINE_HELD_MAX	((size_t)16 << 20)

enum item_state {
	ITEM_NEW,	/* listed, not yet handed to a worker */
	ITEM_OLD,	/* decided by an earlier pass: only move it */
	ITEM_GONE,	/* taken by another reader: nothing to do */
	ITEM_PARSING,	/* in a worker */
	ITEM_DECIDED,	/* decided now: record, then move */
	ITEM_ERROR,	/* stays in the inbox; error says why */
};

struct item {
	struct source_msg	*m;
	enum item_state		 state;
	struct source_blob	 blob;
	uint64_t		 submitted_ns;
	struct store_decision	 old;		/* ITEM_OLD */
	struct pipeline_result	 res;		/* ITEM_DECIDED */
	char			 pseudonym[KEYFILE_PSEUDONYM_LEN + 1];
	int			 has_digest;
	unsigned char		 digest[SOURCE_DIGEST_LEN];
	char			 header_key[KEYFILE_PSEUDONYM_LEN + 1];
	char			*warning;	/* decided, with a remark */
	char			*error;		/* ITEM_ERROR */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
readable(int fd)
{
	struct pollfd pfd;

	if (fd < 0)
		return 0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

int32_t
pipeline_today(time_t t)
{
	struct tm tm;
	int32_t d;

	if (localtime_r(&t, &tm) == NULL ||
	    date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d) == -1)
		return 0;
	return d;
}

static int
pipeline_new(const struct balp_conf *conf, struct store *store,
    struct sandbox_zygote *zygote, int own, const char *key_file,
    const char *actor, struct pipeline **out, struct buf *err)
{
	struct pipeline *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		buf_puts(err, "out of memory");
		if (own)
			sandbox_zygote_stop(zygote);
		return -1;
	}
	p->conf = conf;
	p->store = store;
	p->zygote = zygote;
	p->own_zygote = own;
	p->key_file = key_file;
	p->actor = actor;
	breaker_init(&p->brk, conf->parser_breaker);
	pipeline_set_time(p, time(NULL), 0);
	*out = p;
	return 0;
}

int
pipeline_open(const struct balp_conf *conf, struct store *store,
    struct sandbox_zygote *zygote, const char *key_file, const char *actor,
    struct pipeline **out, struct buf *err)
{
	int own = zygote == NULL;

	if (own && sandbox_zygote_start(mime_worker, mime_warm_up, NULL,
	    &zygote, err) == -1)
		return -1;
	if (pipeline_new(conf, store, zygote, own, key_file, actor, out,
	    err) == -1)
		return -1;
	/* The limits go to each worker as values: a reload's new limits
	 * need no new zygote. */
	(*out)->worker_arg = &conf->limits;
	(*out)->worker_arglen = sizeof(conf->limits);
	return 0;
}

int
pipeline_open_with(const struct balp_conf *conf, struct store *store,
    const char *key_file, const char *actor, sandbox_fn *parse,
    void *parse_arg, struct pipeline **out, struct buf *err)
{
	struct sandbox_zygote *z;

	if (sandbox_zygote_start(parse, mime_warm_up, parse_arg, &z, err) == -1)
		return -1;
	return pipeline_new(conf, store, z, 1, key_file, actor, out, err);
}

void
pipeline_close(struct pipeline *p)
{
	if (p == NULL)
		return;
	sandbox_close(p->sandbox);
	if (p->own_zygote)
		sandbox_zygote_stop(p->zygote);
	breaker_free(&p->brk);
	free(p);
}

void
pipeline_set_time(struct pipeline *p, time_t now, int32_t today)
{
	p->now = now;
	p->today = today != 0 ? today : pipeline_today(now);
}

int
pipeline_interrupted(const struct pipeline *p)
{
	return p->interrupted;
}

const struct pipeline_stats *
pipeline_stats(const struct pipeline *p)
{
	return &p->stats;
}

void
pipeline_result_free(struct pipeline_result *res)
{
	facts_free(&res->facts);
	store_habilitations_free(&res->habs);
	store_referent_list_free(&res->referent_of);
	pipeline_annex_free(res->annex);
	res->annex = NULL;
	memset(&res->decision, 0, sizeof(res->decision));
}

/* mime_worker's option for a blob: where the bodies cut to heads start. */
static uint64_t
parse_option(const struct source_blob *blob)
{
	return blob->partial ? (uint64_t)blob->heads_from + 1 : 0;
}

/* The worker's answer as facts: whatever went wrong is "malformed". */
static void
take_answer(enum sandbox_status st, const char *answer, size_t len,
    const struct source_blob *blob, struct msg_facts *f)
{
	const char *why = NULL;

	facts_init(f);
	switch (st) {
	case SANDBOX_OK:
		if (facts_deserialize(answer, len, f) == -1)
			why = FACTS_MALFORMED_PARSER;
		break;
	case SANDBOX_TIMEOUT:
		why = FACTS_MALFORMED_TIMEOUT;
		break;
	case SANDBOX_CRASHED:
		why = FACTS_MALFORMED_CRASHED;
		break;
	default:
		why = FACTS_MALFORMED_PARSER;
		break;
	}
	if (why != NULL) {
		facts_free(f);
		f->malformed = facts_malformed_static(why);
	}
	f->raw_size = blob->size;
	/* Cut short, unless the source rebuilt it whole from its parts. */
	if (blob->len < blob->size && !blob->partial && f->malformed == NULL)
		f->malformed = facts_malformed_static(FACTS_MALFORMED_TOO_LARGE);
}

/* Annex lookup and decision on parsed facts.  0, or -1 (store). */
static int
decide_facts(struct pipeline *p, struct pipeline_result *res,
    struct buf *err)
{
	const struct balp_conf *c = p->conf;
	struct decide_ctx ctx;
	struct annex_view annex;
	uint64_t t0 = now_ns(), t1;

	/* The periods that answer for the day of processing. */
	if (res->facts.from_addr != NULL && store_habilitations_at(p->store,
	    res->facts.from_addr, p->today, &res->habs) != STORE_OK) {
		buf_printf(err, "annex lookup: %s", store_errmsg(p->store));
		return -1;
	}
	t1 = now_ns();
	p->stats.ns_annex += t1 - t0;
	annex.v = res->habs.v;
	annex.n = res->habs.n;
	annex.referent_of = (const char *const *)res->referent_of.v;
	annex.n_referent_of = res->referent_of.n;
	ctx.rules = &c->rules;
	ctx.trusted_authserv_ids = (const char *const *)c->trusted_authserv_ids.v;
	ctx.n_trusted_authserv_ids = c->trusted_authserv_ids.n;
	ctx.public_suffixes = &c->public_suffixes;
	ctx.today = p->today;
	decide(&res->facts, &annex, &ctx, &res->decision);
	/* A mail of the annex: whose referent its sender is (pipeline_annex). */
	if (pipeline_annex_redecide(p, res, &annex, &ctx, err) == -1)
		return -1;
	p->stats.ns_decide += now_ns() - t1;
	return 0;
}

void
pipeline_decide_blobs(struct pipeline *p, const struct source_blob *blobs,
    size_t n, struct pipeline_result *res, int *rc, struct buf *errs)
{
	enum sandbox_status st;
	struct buf why = BUF_INIT;
	uint64_t tag;
	char *answer;
	size_t alen, i, sent = 0, got;
	int r;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		facts_init(&res[i].facts);
		rc[i] = -2;
	}
	if (p->brk.open)
		buf_printf(&why, "the parser is failing: %s", p->brk.cause);
	else if (pipeline_sandbox_start(p, &why) == 0) {
		/* All at once: the workers parse them side by side. */
		for (; sent < n; sent++)
			if (sandbox_submit(p->sandbox, sent, blobs[sent].fd,
			    blobs[sent].data, blobs[sent].len,
			    parse_option(&blobs[sent]), &why) == -1)
				break;
	}
	/* Answers come in the order asked: the i-th is blob i's. */
	for (got = 0; got < sent; got++) {
		answer = NULL;
		alen = 0;
		if ((r = sandbox_collect(p->sandbox, -1, &tag, &st, &answer,
		    &alen, &why)) != 1 || tag != got) {
			if (r == 0)
				buf_puts(&why, "the parser gave no answer");
			free(answer);
			sandbox_close(p->sandbox);
			p->sandbox = NULL;
			break;
		}
		i = got;
		/*
		 * A dry run has no inbox to leave the message in: a failed
		 * parse is the message's (malformed) when the canary parses,
		 * else the parser's, said as such.
		 */
		if (pipeline_parse_failed(st) && pipeline_probe(p,
		    &errs[i]) == -1) {
			free(answer);
			continue;
		}
		take_answer(st, answer, alen, &blobs[i], &res[i].facts);
		free(answer);
		rc[i] = decide_facts(p, &res[i], &errs[i]) == -1 ||
		    pipeline_annex_read(p, &blobs[i], &res[i], &errs[i]) == -1 ?
		    -1 : 0;
	}
	/* Not asked, or not answered: the parser's failure. */
	for (i = got; i < n; i++)
		if (rc[i] == -2 && errs[i].len == 0)
			buf_puts(&errs[i], why.len > 0 ? buf_str(&why) :
			    "the parser could not be asked");
	buf_free(&why);
}

int
pipeline_decide_blob(struct pipeline *p, const struct source_blob *blob,
    struct pipeline_result *res, struct buf *err)
{
	int rc;

	pipeline_decide_blobs(p, blob, 1, res, &rc, err);
	return rc;
}

/* ------------------------------------------------------------------ */
/* A pass                                                               */

/*
 * The messages of a pass between the batch being gathered and the last
 * one asked "already decided?" live in a ring of items, so that memory
 * does not grow with the backlog: message i is ring[i % ring_len].
 */
struct pass {
	struct pipeline		*p;
	struct source		*src;
	int			 wake_fd;
	struct source_msg	*msgs;
	size_t			 n;
	struct item		*ring;
	size_t			 ring_len;
	size_t			 bstart;	/* first of the batch in hand */
	size_t			 checked;	/* "already decided?" asked up to */
	size_t			 sub;		/* next to hand to a worker */
	size_t			 held;		/* bytes of blobs in flight */
	size_t			 held_now;	/* parses failed: left */
};

static struct item *
item_at(const struct pass *ps, size_t i)
{
	return &ps->ring[i % ps->ring_len];
}

static void
item_free(struct item *it)
{
	source_blob_free(&it->blob);
	store_decision_free(&it->old);
	pipeline_result_free(&it->res);
	free(it->warning);
	free(it->error);
	it->warning = it->error = NULL;
}

static void
item_fail(struct item *it, const char *why)
{
	free(it->error);
	it->error = buf_strdup(why);
	it->state = ITEM_ERROR;
	source_blob_free(&it->blob);
}

/* One query for the next batch-size of messages: decided before? */
static int
lookup_chunk(struct pass *ps, struct buf *err)
{
	struct pipeline *p = ps->p;
	struct store_decision *found = NULL;
	struct item *it;
	const char **refs = NULL;
	size_t k, i, end;
	uint64_t t0 = now_ns();
	int rc = -1;

	k = p->conf->batch_size;
	end = ps->checked + k < ps->n ? ps->checked + k : ps->n;
	k = end - ps->checked;
	if ((refs = calloc(k, sizeof(*refs))) == NULL ||
	    (found = calloc(k, sizeof(*found))) == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	for (i = 0; i < k; i++) {
		it = item_at(ps, ps->checked + i);
		memset(it, 0, sizeof(*it));
		it->m = &ps->msgs[ps->checked + i];
		it->blob.fd = -1;
		refs[i] = it->m->ref;
	}
	if (store_decision_find_many(p->store, ps->src->ops->name, refs, k,
	    found) != STORE_OK) {
		buf_printf(err, "%s", store_errmsg(p->store));
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (found[i].id == 0)
			continue;
		it = item_at(ps, ps->checked + i);
		it->old = found[i];
		it->state = ITEM_OLD;
		memset(&found[i], 0, sizeof(found[i]));
	}
	ps->checked = end;
	rc = 0;
out:
	if (found != NULL)
		for (i = 0; i < k; i++)
			store_decision_free(&found[i]);
	free(found);
	free(refs);
	p->stats.ns_lookup += now_ns() - t0;
	return rc;
}

/*
 * A message that cannot be read for good (permissions, not a regular
 * file) is decided as malformed, so that it is quarantined: neither lost
 * nor retried forever.  Its reason is kept for the log.
 */
static void
decide_unreadable(struct pipeline *p, struct item *it, const char *why)
{
	struct annex_view none = { NULL, 0, NULL, 0 };
	struct decide_ctx ctx;

	facts_init(&it->res.facts);
	it->res.facts.malformed =
	    facts_malformed_static(FACTS_MALFORMED_UNREADABLE);
	it->res.facts.raw_size = it->m->size;
	memset(&ctx, 0, sizeof(ctx));
	ctx.rules = &p->conf->rules;
	ctx.public_suffixes = &p->conf->public_suffixes;
	ctx.today = p->today;
	decide(&it->res.facts, &none, &ctx, &it->res.decision);
	it->warning = buf_strdup(why);
	it->state = ITEM_DECIDED;
}

/*
 * Keeps the workers fed: hands them messages until PIPELINE_WINDOW are in
 * flight.  -1 when the store or the parser fails.
 */
static int
fill(struct pass *ps, struct buf *err)
{
	struct pipeline *p = ps->p;
	struct buf ferr = BUF_INIT;
	struct item *it;
	uint64_t t0;
	int r;

	while (ps->sub < ps->n &&
	    sandbox_in_flight(p->sandbox) < PIPELINE_WINDOW &&
	    (ps->held < PIPELINE_HELD_MAX ||
	    sandbox_in_flight(p->sandbox) == 0) &&
	    ps->sub - ps->bstart < PIPELINE_WINDOW + p->conf->batch_size) {
		if (ps->sub == ps->checked && lookup_chunk(ps, err) == -1)
			return -1;
		it = item_at(ps, ps->sub);
		/* A big one waits until the others' bytes are gone. */
		if (it->state == ITEM_NEW && it->m->size > PIPELINE_HELD_MAX &&
		    ps->held > 0)
			break;
		ps->sub++;
		if (it->state != ITEM_NEW)
			continue;
		buf_reset(&ferr);
		t0 = now_ns();
		r = ps->src->ops->fetch(ps->src->state, it->m,
		    PIPELINE_READ_MAX, &it->blob, &ferr);
		p->stats.ns_read += now_ns() - t0;
		if (r == 1) {
			it->state = ITEM_GONE;
			continue;
		}
		if (r == -1) {
			decide_unreadable(p, it, buf_str(&ferr));
			continue;
		}
		if (r != 0) {
			/* Transient (no descriptor left...): next pass. */
			item_fail(it, buf_str(&ferr));
			continue;
		}
		if ((it->has_digest = it->blob.has_digest))
			memcpy(it->digest, it->blob.header_digest,
			    sizeof(it->digest));
		if (sandbox_submit(p->sandbox, ps->sub - 1, it->blob.fd,
		    it->blob.data, it->blob.len, parse_option(&it->blob),
		    &ferr) == -1) {
			/* No worker to be had: the parser is broken. */
			breaker_trip(&p->brk, buf_str(&ferr), p->now);
			buf_printf(err, "cannot run the parser: %s",
			    buf_str(&ferr));
			item_fail(it, buf_str(err));
			buf_free(&ferr);
			return -1;
		}
		it->submitted_ns = now_ns();
		it->state = ITEM_PARSING;
		ps->held += it->blob.held;
	}
	buf_free(&ferr);
	return 0;
}

/*
 * Waits for the answer about items[idx] and decides it.  1 done (or held
 * in the inbox: its parse failed); 0 when woken by wake_fd first; -1 when
 * the store or the parser fails; -3 when the breaker opened.
 */
static int
take(struct pass *ps, size_t idx, struct buf *err)
{
	struct pipeline *p = ps->p;
	struct item *it = item_at(ps, idx);
	enum sandbox_status st;
	uint64_t tag, t0;
	char *answer = NULL;
	size_t alen = 0;
	int r;

	if (it->state != ITEM_PARSING)
		return 1;
	t0 = now_ns();
	r = sandbox_collect(p->sandbox, ps->wake_fd, &tag, &st, &answer,
	    &alen, err);
	p->stats.ns_parse_wait += now_ns() - t0;
	if (r == 0 && readable(ps->wake_fd))
		return 0;
	if (r != 1 || tag != idx) {
		free(answer);
		if (r != -1)
			buf_puts(err, "the parser lost a message");
		else	/* no worker to be had: the parser is broken */
			breaker_trip(&p->brk, buf_str(err), p->now);
		item_fail(it, buf_str(err));
		return -1;
	}
	p->stats.ns_parse_rtt += now_ns() - it->submitted_ns;
	ps->held -= it->blob.held < ps->held ? it->blob.held : ps->held;
	if (!pipeline_parse_failed(st))
		breaker_success(&p->brk);
	else if (breaker_failure(&p->brk, it->m->ref) == BREAKER_HOLD) {
		/* Not decided: its own fault, or the parser's? (breaker.h) */
		free(answer);
		buf_reset(err);
		buf_printf(err, "%s; tried again once the "
		    "parser is seen to work", pipeline_failure_name(st));
		item_fail(it, buf_str(err));
		buf_reset(err);
		ps->held_now++;
		if (breaker_should_probe(&p->brk) && pipeline_probe(p, err) == -1)
			return -3;
		buf_reset(err);
		return 1;
	}
	take_answer(st, answer, alen, &it->blob, &it->res.facts);
	free(answer);
	/* The annex's file is read from the message: the blob still. */
	if (decide_facts(p, &it->res, err) == -1 ||
	    pipeline_annex_read(p, &it->blob, &it->res, err) == -1) {
		source_blob_free(&it->blob);
		item_fail(it, buf_str(err));
		return -1;
	}
	source_blob_free(&it->blob);
	it->state = ITEM_DECIDED;
	return 1;
}

/*
 * The keyed hashes of the batch: NIR pseudonyms and header keys.  The key
 * is read once, wiped.
 */
static int
pseudonyms(struct pass *ps, size_t from, size_t to, struct buf *err)
{
	unsigned char key[KEYFILE_KEY_LEN];
	struct item *it;
	size_t k;
	int need = 0;

	if (ps->p->key_file == NULL)
		return 0;
	for (k = from; k < to && !need; k++) {
		it = item_at(ps, k);
		need = it->state == ITEM_DECIDED &&
		    (it->res.decision.nir[0] != '\0' || it->has_digest);
	}
	if (!need)
		return 0;
	if (keyfile_load_shared(ps->p->key_file, ps->p->conf->admin_gid, key,
	    err) == -1)
		return -1;
	for (k = from; k < to; k++) {
		it = item_at(ps, k);
		if (it->state != ITEM_DECIDED)
			continue;
		if (it->res.decision.nir[0] != '\0')
			keyfile_pseudonym(key, it->res.decision.nir,
			    it->pseudonym);
		if (it->has_digest)
			keyfile_header_key(key, it->digest, it->header_key);
	}
	sodium_memzero(key, sizeof(key));
	return 0;
}

/* The decision's rows in the open batch: 0, 1 if already decided, -1. */
static int
record(struct pass *ps, struct item *it, struct buf *err)
{
	struct store_decision_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.source = ps->src->ops->name;
	spec.source_ref = it->m->ref;
	spec.nir_pseudonym = it->pseudonym[0] != '\0' ? it->pseudonym : NULL;
	spec.header_key = it->header_key[0] != '\0' ? it->header_key : NULL;
	return pipeline_record(ps->p, &spec, &it->res, err);
}

static void
report_item(struct item *it, pipeline_report_fn *report, void *arg)
{
	struct pipeline_report rep;

	if (report == NULL || it->state == ITEM_GONE)
		return;
	memset(&rep, 0, sizeof(rep));
	rep.label = it->m->label;
	rep.error = it->error;
	if (it->state == ITEM_OLD) {
		rep.sender = it->old.sender;
		rep.queue = it->old.queue;
		rep.stored_outcome = it->old.outcome;
		rep.stored_type = it->old.type;
		rep.stored_reasons = it->old.reasons;
		rep.message_id = it->old.message_id;
		rep.partner_id = it->old.partner_id;
	} else if (it->state == ITEM_DECIDED) {
		rep.decision = &it->res.decision;
		rep.sender = it->res.facts.from_addr;
		rep.queue = it->res.decision.queue;
		rep.warning = it->warning;
		rep.message_id = it->res.facts.message_id;
		rep.partner_id = it->res.decision.partner_id;
		if (it->submitted_ns != 0)
			rep.ms = (now_ns() - it->submitted_ns) / 1000000;
	}
	report(&rep, arg);
}

/*
 * Records the batch, messages [from, to), in one transaction, commits, then moves its
 * messages and syncs the folders.  Returns the messages handled, or -1
 * with err set when nothing of the batch could be recorded (its messages
 * stay in the inbox).
 */
static int
flush(struct pass *ps, size_t from, size_t to, pipeline_report_fn *report,
    void *arg, struct buf *err)
{
	struct pipeline *p = ps->p;
	struct source *src = ps->src;
	struct buf merr = BUF_INIT, kw = BUF_INIT, reasons = BUF_INIT;
	size_t k, handled = 0, recorded = 0;
	struct item *it;
	uint64_t t0;
	const char *queue, *type;
	int r;

	if (pseudonyms(ps, from, to, err) == -1)
		return -1;
	t0 = now_ns();
	for (k = from; k < to; k++)
		recorded += item_at(ps, k)->state == ITEM_DECIDED;
	if (recorded > 0) {
		if (store_batch_begin(p->store) != STORE_OK) {
			buf_printf(err, "%s", store_errmsg(p->store));
			return -1;
		}
		for (k = from; k < to; k++) {
			it = item_at(ps, k);
			if (it->state != ITEM_DECIDED)
				continue;
			if ((r = record(ps, it, err)) == -1) {
				store_batch_abort(p->store);
				return -1;
			}
			if (r == 1)	/* raced: a stored decision rules */
				it->state = ITEM_OLD;
		}
		p->stats.ns_record += now_ns() - t0;
		t0 = now_ns();
		if (store_batch_commit(p->store) != STORE_OK) {
			buf_printf(err, "cannot commit the decisions: %s",
			    store_errmsg(p->store));
			store_batch_abort(p->store);
			return -1;
		}
		p->stats.ns_commit += now_ns() - t0;
		p->stats.batches++;
	}
	for (k = from; k < to; k++) {
		it = item_at(ps, k);
		if (it->state != ITEM_OLD || it->old.id != 0)
			continue;
		pipeline_result_free(&it->res);
		r = store_decision_find(p->store, src->ops->name, it->m->ref,
		    &it->old);
		/* Decided under another name (a new UIDVALIDITY). */
		if (r == STORE_NOTFOUND && it->header_key[0] != '\0')
			r = store_decision_find_by_key(p->store,
			    it->header_key, &it->old);
		if (r != STORE_OK)
			item_fail(it, store_errmsg(p->store));
	}

	t0 = now_ns();
	for (k = from; k < to; k++) {
		it = item_at(ps, k);
		buf_reset(&reasons);
		if (it->state == ITEM_OLD) {
			queue = it->old.queue;
			type = it->old.type;
			buf_puts(&reasons, it->old.reasons ? it->old.reasons : "");
		} else if (it->state == ITEM_DECIDED) {
			queue = it->res.decision.queue;
			type = it->res.decision.type ?
			    it->res.decision.type->id : NULL;
			reason_join(&reasons, it->res.decision.reasons, ",");
		} else
			continue;
		buf_reset(&merr);
		pipeline_keywords(type, buf_str(&reasons), &kw);
		r = src->ops->move(src->state, it->m, queue, buf_str(&kw),
		    &merr);
		if (r == 1)
			it->state = ITEM_GONE;
		else if (r == -1) {
			free(it->error);
			it->error = buf_strdup(buf_str(&merr));
		}
	}
	p->stats.ns_move += now_ns() - t0;
	t0 = now_ns();
	buf_reset(&merr);
	r = src->ops->sync(src->state, 0, &merr);
	p->stats.ns_sync += now_ns() - t0;

	for (k = from; k < to; k++) {
		it = item_at(ps, k);
		if (it->state != ITEM_GONE) {
			report_item(it, report, arg);
			handled++;
			p->stats.messages++;
			if (it->state == ITEM_DECIDED && it->error == NULL)
				p->stats.decided++;
		}
		item_free(it);
	}
	buf_free(&kw);
	buf_free(&reasons);
	if (r == -1) {
		buf_printf(err, "%s", buf_str(&merr));
		buf_free(&merr);
		return -1;
	}
	buf_free(&merr);
	return (int)handled;
}

static int pass_once(struct pipeline *, struct source *, int,
    pipeline_report_fn *, void *, size_t *, struct buf *);

int
pipeline_pass(struct pipeline *p, struct source *src, int wake_fd,
    pipeline_report_fn *report, void *arg, struct buf *err)
{
	size_t held = 0;
	int n, again;

	if (p->brk.open) {
		buf_printf(err, "the parser is failing: %s", p->brk.cause);
		return -1;
	}
	n = pass_once(p, src, wake_fd, report, arg, &held, err);
	if (n < 0 && p->brk.open) {
		buf_reset(err);
		buf_printf(err, "the parser is failing: %s", p->brk.cause);
	}
	if (n < 0 || held == 0 || p->interrupted)
		return n;
	n -= (int)held;		/* not handled: they come again */
	/*
	 * Parses failed and left their messages in the inbox.  Once the
	 * parser is proven (another message parsed, or the canary), one
	 * more pass settles them: parsed, or quarantined as their own
	 * fault.  If the canary fails too, the breaker is open.
	 */
	if (!breaker_pending(&p->brk) && pipeline_probe(p, err) == -1)
		return -1;
	buf_reset(err);
	held = 0;
	again = pass_once(p, src, wake_fd, report, arg, &held, err);
	if (again < 0 && p->brk.open) {
		buf_reset(err);
		buf_printf(err, "the parser is failing: %s", p->brk.cause);
	}
	return again < 0 ? again : n + again;
}

static int
pass_once(struct pipeline *p, struct source *src, int wake_fd,
    pipeline_report_fn *report, void *arg, size_t *held_out,
    struct buf *err)
{
	struct source_msg *v = NULL;
	struct buf ferr = BUF_INIT;
	struct pass ps;
	size_t n = 0, i, col = 0;
	uint64_t t0, batch_t0 = 0, max_ns;
	int rc = 0, r, done = 0, stop = 0;

	p->interrupted = 0;
	if (pipeline_sandbox_start(p, err) == -1)
		return -1;
	t0 = now_ns();
	if (src->ops->list(src->state, &v, &n, err) == -1)
		return -1;
	p->stats.ns_list += now_ns() - t0;
	if (n == 0) {
		source_msgs_free(v, n);
		return 0;
	}
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.src = src;
	ps.wake_fd = wake_fd;
	ps.msgs = v;
	ps.n = n;
	/* The batch, the window ahead of it, one lookup chunk ahead of that. */
	ps.ring_len = PIPELINE_WINDOW + 2 * (size_t)p->conf->batch_size + 1;
	if ((ps.ring = calloc(ps.ring_len, sizeof(*ps.ring))) == NULL) {
		source_msgs_free(v, n);
		buf_puts(err, "out of memory");
		return -1;
	}
	for (i = 0; i < ps.ring_len; i++)
		ps.ring[i].blob.fd = -1;
	max_ns = (uint64_t)p->conf->batch_max_ms * 1000000u;

	while (col < n && !stop) {
		if (fill(&ps, err) == -1) {
			rc = stop = 1;
		} else if ((r = take(&ps, col, err)) == 0) {
			p->interrupted = stop = 1;
		} else {
			if (r < 0)
				rc = stop = 1;
			if (col == ps.bstart)
				batch_t0 = now_ns();
			col++;
		}
		if (col > ps.bstart && (stop || col == n ||
		    col - ps.bstart >= p->conf->batch_size ||
		    now_ns() - batch_t0 >= max_ns)) {
			buf_reset(&ferr);
			r = flush(&ps, ps.bstart, col, report, arg, &ferr);
			if (r == -1) {
				buf_printf(err, "%s%s", rc != 0 ? "; " : "",
				    buf_str(&ferr));
				rc = stop = 1;
			} else
				done += r;
			ps.bstart = col;
			if (!stop && readable(wake_fd))
				p->interrupted = stop = 1;
		}
	}
	/* Moves a source held for a larger round go now. */
	t0 = now_ns();
	buf_reset(&ferr);
	if (src->ops->sync(src->state, 1, &ferr) == -1) {
		buf_printf(err, "%s%s", rc != 0 ? "; " : "", buf_str(&ferr));
		rc = 1;
	}
	p->stats.ns_sync += now_ns() - t0;
	/*
	 * Answers still due belong to messages this pass leaves in the
	 * inbox: the workers go, with their queue, and come back fresh.
	 */
	if (p->sandbox != NULL && sandbox_in_flight(p->sandbox) > 0) {
		sandbox_close(p->sandbox);
		p->sandbox = NULL;
	}
	for (i = 0; i < ps.ring_len; i++)
		item_free(&ps.ring[i]);
	free(ps.ring);
	source_msgs_free(v, n);
	buf_free(&ferr);
	*held_out = ps.held_now;
	return rc != 0 ? -1 : done;
}

int
pipeline_ensure_queues(const struct rules *r, struct source *src,
    struct buf *err)
{
	const char *q;
	size_t i;

	for (i = 0; i < r->n_types + 2; i++) {
		q = i < r->n_types ? r->types[i].queue :
		    i == r->n_types ? r->queue_rejects : r->queue_quarantine;
		if (src->ops->ensure_folder(src->state, q, err) == -1)
			return -1;
	}
	return 0;
}
