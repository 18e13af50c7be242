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
	unsigned char key[KEYFILE_KEY_LEN], digest[SOURCE_DIGEST_LEN];
	char header_key[KEYFILE_PSEUDONYM_LEN + 1];
	char pseudonym[KEYFILE_PSEUDONYM_LEN + 1];
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct store_decision old;
	struct store_decision_spec spec;
	struct pipeline_result res;
	struct pipeline_report rep;
	struct buf ref = BUF_INIT, reasons = BUF_INIT;
	char *rcpts = NULL;
	const char *type;
	int r, rc = -1;

	memset(todo, 0, sizeof(*todo));
	memset(&old, 0, sizeof(old));
	memset(&res, 0, sizeof(res));
	facts_init(&res.facts);
	pseudonym[0] = '\0';
	if (p->key_file == NULL) {
		buf_puts(err, "no pseudonym key: LMTP needs one");
		return -1;
	}
	if (digest_of(msg, digest, err) == -1 ||
	    keyfile_load_shared(p->key_file, p->conf->admin_gid, key, err) ==
	    -1)
		return -1;
	keyfile_header_key(key, digest, header_key);

	r = store_decision_find_by_key(p->store, header_key, &old);
	if (r == STORE_OK && old.source != NULL &&
	    strcmp(old.source, "lmtp") == 0) {
		sodium_memzero(key, sizeof(key));
		rc = again(src, msg, digest, &old, report, arg, todo, err);
		store_decision_free(&old);
		return rc;
	}
	store_decision_free(&old);
	if (r != STORE_OK && r != STORE_NOTFOUND) {
		sodium_memzero(key, sizeof(key));
		buf_printf(err, "%s", store_errmsg(p->store));
		return -1;
	}

	blob.fd = msg->fd;
	blob.size = msg->size;
	blob.len = msg->size < PIPELINE_READ_MAX ? (size_t)msg->size :
	    PIPELINE_READ_MAX;
	if (pipeline_decide_blob(p, &blob, &res, err) != 0) {
		sodium_memzero(key, sizeof(key));
		goto out;
	}
	if (res.decision.nir[0] != '\0')
		keyfile_pseudonym(key, res.decision.nir, pseudonym);
	sodium_memzero(key, sizeof(key));

	/* A Maildir name: time, then what makes it this message's. */
	buf_printf(&ref, "%" PRId64 ".L%.24s.balp", (int64_t)msg->arrived,
	    header_key);
	if ((rcpts = recipients_of(msg)) == NULL || ref.failed) {
		buf_puts(err, "out of memory");
		goto out;
	}
	memset(&spec, 0, sizeof(spec));
	spec.source = "lmtp";
	spec.source_ref = buf_str(&ref);
	spec.nir_pseudonym = pseudonym[0] != '\0' ? pseudonym : NULL;
	spec.header_key = header_key;
	spec.envelope_sender = msg->sender;
	spec.envelope_recipients = rcpts;
	if (store_batch_begin(p->store) != STORE_OK) {
		buf_printf(err, "%s", store_errmsg(p->store));
		goto out;
	}
	if ((r = pipeline_record(p, &spec, &res, err)) != 0) {
		store_batch_abort(p->store);
		if (r == 1)
			buf_printf(err, "%s was already decided", buf_str(&ref));
		goto out;
	}
	if (store_batch_commit(p->store) != STORE_OK) {
		buf_printf(err, "cannot commit the decision: %s",
		    store_errmsg(p->store));
		store_batch_abort(p->store);
		goto out;
	}
	p->stats.batches++;
	type = res.decision.type != NULL ? res.decision.type->id : NULL;
	reason_join(&reasons, res.decision.reasons, ",");
	/* Decided and recorded: filed next, or found by its key next time. */
	if (todo_set(todo, res.decision.queue, buf_str(&ref), type,
	    buf_str(&reasons), err) == -1)
		goto out;
	p->stats.messages++;
	p->stats.decided++;
	if (report != NULL) {
		memset(&rep, 0, sizeof(rep));
		rep.label = buf_str(&ref);
		rep.decision = &res.decision;
		rep.sender = res.facts.from_addr;
		rep.queue = res.decision.queue;
		rep.message_id = res.facts.message_id;
		rep.partner_id = res.decision.partner_id;
		report(&rep, arg);
	}
	rc = 0;
out:
	pipeline_result_free(&res);
	free(rcpts);
	buf_free(&ref);
	buf_free(&reasons);
	return rc;
}
