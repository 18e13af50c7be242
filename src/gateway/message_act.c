/* SPDX-License-Identifier: Apache-2.0 */
/*
 * message_act - retriage and release of a decided message, record and
 * move together (see include/balp/message_act.h).  Moved here from
 * balpctl's ctl_message.c so that the console does exactly the same.
 */
#include "balp/message_act.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/decide.h"
#include "balp/notice.h"
#include "balp/reason.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_staged.h"

void
message_act_free(struct message_act *a)
{
	free(a->source_ref);
	free(a->from);
	free(a->to);
	free(a->new_ref);
	a->source_ref = a->from = a->to = a->new_ref = NULL;
}

/* Why the store said no, as a refusal (a failure unless it refused). */
static enum message_act_refusal
store_refusal(int rc)
{
	return rc == STORE_NOTFOUND ? MESSAGE_ACT_NO_DECISION :
	    rc == STORE_REFUSED || rc == STORE_EXISTS ? MESSAGE_ACT_STATE :
	    MESSAGE_ACT_FAILED;
}

int
message_act_known_queue(const struct rules *r, const char *q)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].queue, q) == 0)
			return 1;
	return strcmp(r->queue_rejects, q) == 0 ||
	    strcmp(r->queue_quarantine, q) == 0;
}

/* "ref.rID": the name a retriaged message takes back in the inbox. */
static char *
retriage_name(const char *ref, int64_t id)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s.r%" PRId64, ref, id);
	return buf_detach(&b);
}

/* The store's message, as the error line. */
static int
store_fail(struct store *st, struct buf *err)
{
	buf_puts(err, store_errmsg(st));
	return -1;
}

/*
 * Whether queue is that of a type of the annex (rules' annex_update):
 * only a triage files a mail there, staging its file.
 */
static int
annex_queue(const struct rules *r, const char *queue)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (r->types[i].annex_update &&
		    strcmp(r->types[i].queue, queue) == 0)
			return 1;
	return 0;
}

/*
 * -1 with err when the mail of decision id has its annex staged and
 * pending (the store refuses it again in its transaction,
 * store_message.h); 0 otherwise.
 */
static int
staged_pending(struct store *st, int64_t id, struct message_act *out,
    struct buf *err)
{
	int64_t staged;

	if (store_staged_pending_of(st, id, &staged) != STORE_OK)
		return store_fail(st, err);
	if (staged == 0)
		return 0;
	out->refusal = MESSAGE_ACT_ANNEX_PENDING;
	out->staged = staged;
	buf_printf(err, "decision %" PRId64 ": its annex is staged for "
	    "approval (staged annex %" PRId64 ", pending): approve or reject "
	    "it first (balpctl annex approve|reject %" PRId64 ")", id, staged,
	    staged);
	return -1;
}

int
message_act_retriage(struct store *st, const struct balp_conf *conf,
    int64_t id, const char *reason, const char *actor, time_t now,
    struct message_act *out, struct buf *err)
{
	struct store_message m;
	struct source src = { NULL, NULL };
	struct buf why = BUF_INIT;
	const char *from;
	int r, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((r = store_message_get(st, id, &m)) != STORE_OK) {
		out->refusal = store_refusal(r);
		return store_fail(st, err);
	}
	if (staged_pending(st, id, out, err) != 0)
		goto out;
	/* Where the record says it is, a pending retriage aside. */
	from = m.n_releases > 0 ? m.releases[m.n_releases - 1].to_queue :
	    m.decision.queue;
	if ((out->new_ref = retriage_name(m.decision.source_ref, id)) ==
	    NULL || (out->source_ref = buf_strdup(m.decision.source_ref)) ==
	    NULL || (out->from = buf_strdup(from)) == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if (source_registry_open(&conf->source, 0, &src, err) == -1)
		goto out;
	r = store_message_retriage(st, id, out->new_ref, reason != NULL ?
	    reason : "", actor, now);
	if (r != STORE_OK && r != STORE_EXISTS) {
		out->refusal = store_refusal(r);
		store_fail(st, err);
		goto out;
	}
	switch (src.ops->relocate(src.state, from, m.decision.source_ref,
	    m.decision.message_id, NULL, out->new_ref, &why)) {
	case 0:
		rc = 0;
		break;
	case 1:
		if (r == STORE_EXISTS) {
			out->refusal = MESSAGE_ACT_RETRIAGE_GONE;
			buf_printf(err, "decision %" PRId64 ": retriage "
			    "pending, and its message is no longer in %s (in "
			    "the inbox as %s already?)", id, from,
			    out->new_ref);
			break;
		}
		out->refusal = MESSAGE_ACT_NOT_IN_QUEUE;
		buf_printf(err, "decision %" PRId64 ": %s is not in %s (moved "
		    "or deleted in a mail client?): nothing done", id,
		    m.decision.source_ref, from);
		(void)store_message_retriage_undo(st, id, "message not found "
		    "in its queue", actor, now);
		break;
	default:
		buf_puts(err, buf_str(&why));
		if (r == STORE_OK)
			(void)store_message_retriage_undo(st, id, "the move "
			    "failed", actor, now);
	}
out:
	if (src.ops != NULL)
		src.ops->close(src.state);
	store_message_free(&m);
	buf_free(&why);
	if (rc != 0)
		message_act_free(out);
	return rc;
}

/*
 * The rejection notice of a stored decision, as decide() would have
 * written it: its reasons and type, rendered from the rules' templates
 * (the NIR is not kept, so its key is not echoed).  0, or -1 on ENOMEM.
 */
static int
stored_notice(const struct rules *r, const struct store_decision *d,
    int32_t today, char **subject, char **body)
{
	struct decision dec;
	char *codes, *code, *save = NULL;
	size_t i;
	int rv;

	memset(&dec, 0, sizeof(dec));
	if ((codes = buf_strdup(d->reasons)) == NULL)
		return -1;
	for (code = strtok_r(codes, ",", &save); code != NULL;
	    code = strtok_r(NULL, ",", &save))
		if ((rv = reason_from_code(code)) >= 0)
			dec.reasons |= REASON_BIT(rv);
	free(codes);
	for (i = 0; d->type != NULL && i < r->n_types; i++)
		if (strcmp(r->types[i].id, d->type) == 0)
			dec.type = &r->types[i];
	dec.outcome = OUTCOME_REJECTED;
	dec.queue = r->queue_rejects;
	dec.partner_id = d->partner_id;
	dec.notify = 1;
	return notice_render(r, &dec, today, subject, body);
}

int
message_act_release(struct store *st, const struct balp_conf *conf,
    int64_t id, const char *to, const char *reason, int notify,
    int32_t today, const char *actor, time_t now, struct message_act *out,
    struct buf *err)
{
	struct store_notice notice = { NULL, NULL, NULL };
	char *subject = NULL, *body = NULL;
	struct store_message m;
	struct source src = { NULL, NULL };
	struct buf why = BUF_INIT;
	const char *from;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	if (!message_act_known_queue(&conf->rules, to)) {
		out->refusal = MESSAGE_ACT_UNKNOWN_QUEUE;
		buf_printf(err, "release: %s is none of the rules' queues", to);
		return -1;
	}
	if (annex_queue(&conf->rules, to)) {
		out->refusal = MESSAGE_ACT_ANNEX_QUEUE;
		buf_printf(err, "release: %s holds the annexes staged for "
		    "approval, and a release stages nothing: send the message "
		    "back to triage (balpctl message retriage %" PRId64 "), "
		    "which reads its file and stages it if the mail is accepted "
		    "then (from a referent, authenticated, with one valid "
		    "file); a file the gateway will not accept can be imported "
		    "by hand (balpctl annex import)", to, id);
		return -1;
	}
	if ((rc = store_message_get(st, id, &m)) != STORE_OK) {
		out->refusal = store_refusal(rc);
		return store_fail(st, err);
	}
	rc = -1;
	if ((from = store_message_queue(&m)) == NULL || m.superseded_by) {
		out->refusal = m.superseded_by ? MESSAGE_ACT_SUPERSEDED :
		    MESSAGE_ACT_IN_INBOX;
		buf_printf(err, "decision %" PRId64 ": %s", id,
		    m.superseded_by ? "superseded: release its current "
		    "decision" : "its message is back in the inbox for a "
		    "retriage");
		goto out;
	}
	if (staged_pending(st, id, out, err) != 0)
		goto out;
	if (strcmp(from, to) == 0) {
		out->refusal = MESSAGE_ACT_SAME_QUEUE;
		buf_printf(err, "decision %" PRId64 ": the message is in %s "
		    "already", id, to);
		goto out;
	}
	if (notify && m.decision.sender == NULL) {
		out->refusal = MESSAGE_ACT_NO_SENDER;
		buf_printf(err, "decision %" PRId64 ": no sender to notify",
		    id);
		goto out;
	}
	if ((out->source_ref = buf_strdup(m.decision.source_ref)) == NULL ||
	    (out->from = buf_strdup(from)) == NULL ||
	    (out->to = buf_strdup(to)) == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if (notify) {
		if (stored_notice(&conf->rules, &m.decision, today, &subject,
		    &body) == -1) {
			buf_puts(err, "out of memory");
			goto out;
		}
		notice.recipient = m.decision.sender;
		notice.subject = subject;
		notice.body = body;
	}
	if (source_registry_open(&conf->source, 0, &src, err) == -1)
		goto out;
	switch (src.ops->relocate(src.state, from, m.decision.source_ref,
	    m.decision.message_id, to, NULL, &why)) {
	case 0:
		break;
	case 1:
		out->refusal = MESSAGE_ACT_NOT_IN_QUEUE;
		buf_printf(err, "decision %" PRId64 ": %s is not in %s (moved "
		    "or deleted in a mail client?): nothing done", id,
		    m.decision.source_ref, from);
		goto out;
	default:
		buf_puts(err, buf_str(&why));
		goto out;
	}
	if ((rc = store_message_release(st, id, from, to, reason,
	    notify ? &notice : NULL, actor, now)) != STORE_OK) {
		out->refusal = store_refusal(rc);
		rc = -1;
		buf_puts(err, store_errmsg(st));
		/* Put it back: no move without its record. */
		buf_reset(&why);
		if (src.ops->relocate(src.state, to, m.decision.source_ref,
		    m.decision.message_id, from, NULL, &why) != 0)
			buf_printf(err, "\nand it could not be put back in %s: "
			    "%s", from, buf_str(&why));
		goto out;
	}
	rc = 0;
out:
	if (src.ops != NULL)
		src.ops->close(src.state);
	store_message_free(&m);
	buf_free(&why);
	free(subject);
	free(body);
	if (rc != 0)
		message_act_free(out);
	return rc;
}
