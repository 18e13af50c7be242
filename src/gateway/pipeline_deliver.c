/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_deliver - mail at delivery time (pipeline.h, docs/lmtp.md):
 * one message from LMTP through the same parse, decide and record as the
 * pass, then filed into its queue with source->append, and only then
 * "delivered".
 *
 * The order is what makes a crash harmless: the decision is committed
 * before the message is filed, and Postfix hears 250 only after both.  A
 * message handed over again (balpd died before its 250) has the same
 * bytes, so the same header key: its stored decision is found, the
 * folder is asked whether it holds it (Maildir: the file's name; IMAP:
 * the header digest of the messages of its Message-ID, or of its size
 * without one), and it is filed only if it does not.
 */
#include "balp/keyfile.h"
#include "balp/lmtp.h"
#include "balp/pipeline.h"
#include "balp/reason.h"
#include "pipeline_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The header digest of the spooled message (mapped, not copied). */
static int
digest_of(const struct lmtp_message *msg, unsigned char out[SOURCE_DIGEST_LEN],
    struct buf *err)
{
	void *map;

	if (msg->size == 0 || msg->size > SIZE_MAX) {
		buf_puts(err, "an empty message");
		return -1;
	}
	if ((map = mmap(NULL, (size_t)msg->size, PROT_READ, MAP_PRIVATE,
	    msg->fd, 0)) == MAP_FAILED) {
		buf_printf(err, "cannot map the message: %s", strerror(errno));
		return -1;
	}
	source_header_digest(map, (size_t)msg->size, msg->size, out);
	(void)munmap(map, (size_t)msg->size);
	return 0;
}

/* "a@x,b@y": the recipients as stored. */
static char *
recipients_of(const struct lmtp_message *msg)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < msg->n_recipients; i++)
		buf_printf(&b, "%s%s", i > 0 ? "," : "", msg->recipients[i]);
	return buf_detach(&b);
}

/* What is left to do: file into queue under ref, with these keywords. */
static int
todo_set(struct pipeline_filing *todo, const char *queue, const char *ref,
    const char *type, const char *reasons, struct buf *err)
{
	struct buf kw = BUF_INIT;

	pipeline_keywords(type, reasons != NULL ? reasons : "", &kw);
	todo->queue = buf_strdup(queue);
	todo->ref = buf_strdup(ref);
	todo->keywords = buf_detach(&kw);
	if (todo->queue == NULL || todo->ref == NULL ||
	    todo->keywords == NULL) {
		pipeline_filing_free(todo);
		buf_puts(err, "out of memory");
		return -1;
	}
	return 0;
}

void
pipeline_filing_free(struct pipeline_filing *todo)
{
	free(todo->queue);
	free(todo->ref);
	free(todo->keywords);
	memset(todo, 0, sizeof(*todo));
}

/* Handed over again: to be filed by its stored decision if not there. */
static int
again(struct source *src, const struct lmtp_message *msg,
    const unsigned char digest[SOURCE_DIGEST_LEN],
    const struct store_decision *old, pipeline_report_fn *report, void *arg,
    struct pipeline_filing *todo, struct buf *err)
{
	struct pipeline_report rep;
	struct buf why = BUF_INIT;
	int r;

	/* This very message, not another of its Message-ID (or size). */
	r = src->ops->holds(src->state, old->queue, old->source_ref,
	    old->message_id, msg->size, digest, &why);
	if (r == -1) {
		buf_printf(err, "cannot tell whether %s holds it: %s",
		    old->queue, buf_str(&why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	if (r == 1 && todo_set(todo, old->queue, old->source_ref, old->type,
	    old->reasons, err) == -1)
		return -1;
	if (report != NULL) {
		memset(&rep, 0, sizeof(rep));
		rep.label = old->source_ref;
		rep.sender = old->sender;
		rep.queue = old->queue;
		rep.stored_outcome = old->outcome;
		rep.stored_type = old->type;
		rep.stored_reasons = old->reasons;
		rep.message_id = old->message_id;
		rep.partner_id = old->partner_id;
		report(&rep, arg);
	}
	return 0;
}

int
pipeline_deliver(struct pipeline *p, struct source *src,
    const struct lmtp_message *msg, pipeline_report_fn *report, void *arg,
    struct buf *err)
{
	struct pipeline_filing todo;
	int rc;

	memset(&todo, 0, sizeof(todo));
	if (pipeline_deliver_prepare(p, src, msg, report, arg, &todo, err) ==
	    -1)
		return -1;
	/* Decided and recorded: filed now, or found by its key next time. */
	rc = todo.queue == NULL ? 0 : src->ops->append(src->state, todo.queue,
	    todo.ref, msg->fd, msg->size, todo.keywords, msg->arrived, err);
	pipeline_filing_free(&todo);
	return rc;
}

int
pipeline_deliver_prepare(struct pipeline *p, struct source *src,
    const struct lmtp_message *msg, pipeline_report_fn *report, void *arg,
    struct pipeline_filing *todo, struct buf *err)
{
	struct pipeline_delivery d;

	memset(&d, 0, sizeof(d));
	d.msg = msg;
	d.err = *err;
	pipeline_deliver_batch(p, src, &d, 1, report, arg);
	*todo = d.todo;
	*err = d.err;
	return d.rc == 0 ? 0 : -1;
}

/* A delivery of the batch between its steps. */
struct step {
	unsigned char	 digest[SOURCE_DIGEST_LEN];
	char		 header_key[KEYFILE_PSEUDONYM_LEN + 1];
	char		 pseudonym[KEYFILE_PSEUDONYM_LEN + 1];
	int		 fresh;		/* to be decided */
	size_t		 slot;		/* its place among the fresh ones */
};

/* The one line of every failure of the batch from here on. */
static void
fail_fresh(struct pipeline_delivery *v, const struct step *st, size_t n,
    const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (st[i].fresh && v[i].rc == 0) {
			v[i].rc = -1;
			buf_printf(&v[i].err, "%s", why);
		}
}

void
pipeline_deliver_batch(struct pipeline *p, struct source *src,
    struct pipeline_delivery *v, size_t n, pipeline_report_fn *report,
    void *arg)
{
	unsigned char key[KEYFILE_KEY_LEN];
	struct store_decision old;
	struct store_decision_spec spec;
	struct pipeline_report rep;
	struct source_blob *blobs = NULL;
	struct pipeline_result *res = NULL;
	struct buf *errs = NULL;
	struct step *st = NULL;
	struct buf why = BUF_INIT, ref = BUF_INIT, reasons = BUF_INIT;
	size_t i, j, k, nf = 0;
	int *rcs = NULL, r, recorded = 0;
	char *rcpts;
	const char *type;

	for (i = 0; i < n; i++) {
		memset(&v[i].todo, 0, sizeof(v[i].todo));
		v[i].rc = 0;
	}
	if ((st = calloc(n, sizeof(*st))) == NULL) {
		for (i = 0; i < n; i++) {
			v[i].rc = -1;
			buf_puts(&v[i].err, "out of memory");
		}
		return;
	}
	if (p->key_file == NULL ||
	    keyfile_load_shared(p->key_file, p->conf->admin_gid, key,
	    &why) == -1) {
		for (i = 0; i < n; i++) {
			v[i].rc = -1;
			buf_puts(&v[i].err, p->key_file == NULL ?
			    "no pseudonym key: LMTP needs one" : buf_str(&why));
		}
		goto out;
	}
	/* Keyed: the same bytes give the same key, no two mails do. */
	for (i = 0; i < n; i++) {
		if (digest_of(v[i].msg, st[i].digest, &v[i].err) == -1) {
			v[i].rc = -1;
			continue;
		}
		keyfile_header_key(key, st[i].digest, st[i].header_key);
	}
	/* Handed over before (a crash before its 250), or new. */
	for (i = 0; i < n; i++) {
		if (v[i].rc != 0)
			continue;
		/* The same message twice in the batch: the later one waits
		 * for the first's decision (then found by its key). */
		for (j = 0; j < i; j++)
			if (st[j].fresh && strcmp(st[j].header_key,
			    st[i].header_key) == 0)
				break;
		if (j < i) {
			v[i].rc = 1;
			continue;
		}
		memset(&old, 0, sizeof(old));
		r = store_decision_find_by_key(p->store, st[i].header_key,
		    &old);
		if (r == STORE_OK && old.source != NULL &&
		    strcmp(old.source, "lmtp") == 0) {
			v[i].rc = again(src, v[i].msg, st[i].digest, &old,
			    report, arg, &v[i].todo, &v[i].err);
		} else if (r != STORE_OK && r != STORE_NOTFOUND) {
			v[i].rc = -1;
			buf_printf(&v[i].err, "%s", store_errmsg(p->store));
		} else {
			st[i].fresh = 1;
			st[i].slot = nf++;
		}
		store_decision_free(&old);
	}
	if (nf == 0)
		goto out;

	/* Parsed side by side, each decided. */
	if ((blobs = calloc(nf, sizeof(*blobs))) == NULL ||
	    (res = calloc(nf, sizeof(*res))) == NULL ||
	    (rcs = calloc(nf, sizeof(*rcs))) == NULL ||
	    (errs = calloc(nf, sizeof(*errs))) == NULL) {
		fail_fresh(v, st, n, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!st[i].fresh)
			continue;
		k = st[i].slot;
		blobs[k] = (struct source_blob)SOURCE_BLOB_INIT;
		blobs[k].fd = v[i].msg->fd;
		blobs[k].size = v[i].msg->size;
		blobs[k].len = v[i].msg->size < PIPELINE_READ_MAX ?
		    (size_t)v[i].msg->size : PIPELINE_READ_MAX;
	}
	for (k = 0; k < nf; k++)
		errs[k] = (struct buf)BUF_INIT;
	pipeline_decide_blobs(p, blobs, nf, res, rcs, errs);
	for (i = 0; i < n; i++) {
		if (!st[i].fresh)
			continue;
		k = st[i].slot;
		if (rcs[k] != 0) {
			v[i].rc = -1;
			buf_puts(&v[i].err, buf_str(&errs[k]));
			st[i].fresh = 0;
		} else if (res[k].decision.nir[0] != '\0')
			keyfile_pseudonym(key, res[k].decision.nir,
			    st[i].pseudonym);
	}
	sodium_memzero(key, sizeof(key));

	/* Recorded together: one transaction, one sync to disk. */
	if (store_batch_begin(p->store) != STORE_OK) {
		fail_fresh(v, st, n, store_errmsg(p->store));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!st[i].fresh)
			continue;
		k = st[i].slot;
		buf_reset(&ref);
		/* A Maildir name: time, then what makes it this message's. */
		buf_printf(&ref, "%" PRId64 ".L%.24s.balp",
		    (int64_t)v[i].msg->arrived, st[i].header_key);
		if ((rcpts = recipients_of(v[i].msg)) == NULL || ref.failed) {
			free(rcpts);
			store_batch_abort(p->store);
			fail_fresh(v, st, n, "out of memory");
			goto out;
		}
		memset(&spec, 0, sizeof(spec));
		spec.source = "lmtp";
		spec.source_ref = buf_str(&ref);
		spec.nir_pseudonym = st[i].pseudonym[0] != '\0' ?
		    st[i].pseudonym : NULL;
		spec.header_key = st[i].header_key;
		spec.envelope_sender = v[i].msg->sender;
		spec.envelope_recipients = rcpts;
		buf_reset(&why);
		r = pipeline_record(p, &spec, &res[k], &why);
		free(rcpts);
		if (r == -1) {
			store_batch_abort(p->store);
			fail_fresh(v, st, n, buf_str(&why));
			goto out;
		}
		if (r == 1) {
			/* Decided meanwhile: its retry finds that one. */
			v[i].rc = -1;
			buf_printf(&v[i].err, "%s was already decided",
			    buf_str(&ref));
			st[i].fresh = 0;
			continue;
		}
		/* Decided and recorded: filed next, or found by its key. */
		type = res[k].decision.type != NULL ?
		    res[k].decision.type->id : NULL;
		buf_reset(&reasons);
		reason_join(&reasons, res[k].decision.reasons, ",");
		if (todo_set(&v[i].todo, res[k].decision.queue,
		    buf_str(&ref), type, buf_str(&reasons), &v[i].err) == -1) {
			store_batch_abort(p->store);
			fail_fresh(v, st, n, "out of memory");
			goto out;
		}
		recorded++;
	}
	if (recorded > 0 && store_batch_commit(p->store) != STORE_OK) {
		buf_reset(&why);
		buf_printf(&why, "cannot commit the decision: %s",
		    store_errmsg(p->store));
		store_batch_abort(p->store);
		fail_fresh(v, st, n, buf_str(&why));
		goto out;
	}
	if (recorded == 0)
		store_batch_abort(p->store);
	else
		p->stats.batches++;
	for (i = 0; i < n; i++) {
		if (!st[i].fresh)
			continue;
		k = st[i].slot;
		p->stats.messages++;
		p->stats.decided++;
		if (report == NULL)
			continue;
		memset(&rep, 0, sizeof(rep));
		rep.label = v[i].todo.ref;
		rep.decision = &res[k].decision;
		rep.sender = res[k].facts.from_addr;
		rep.queue = res[k].decision.queue;
		rep.message_id = res[k].facts.message_id;
		rep.partner_id = res[k].decision.partner_id;
		report(&rep, arg);
	}
out:
	sodium_memzero(key, sizeof(key));
	/* A failure after the decision: nothing is left to file. */
	for (i = 0; i < n; i++)
		if (v[i].rc != 0)
			pipeline_filing_free(&v[i].todo);
	for (k = 0; res != NULL && k < nf; k++)
		pipeline_result_free(&res[k]);
	for (k = 0; errs != NULL && k < nf; k++)
		buf_free(&errs[k]);
	free(errs);
	free(res);
	free(blobs);
	free(rcs);
	free(st);
	buf_free(&why);
	buf_free(&ref);
	buf_free(&reasons);
}
