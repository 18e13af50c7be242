/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_decision - decisions recorded (see include/balp/store_decision.h):
 * the checks of a decision, its rows (decision, findings, envelope), its
 * audit row and its notice queued in the outbox, one by one or in a
 * batch.  Reading them back is store_decision_find.c's; the outbox's
 * sending store_outbox.c's.
 *
 * A decision, its audit row and its notice (with the notice's own audit
 * row) are in one transaction: either the message has all or none, so the
 * pipeline can move it once the commit returned, and find it again after
 * a crash.  A batch is one transaction holding many decisions: one COMMIT,
 * one fdatasync, for a whole pass.
 *
 * Ownership: result structs own their strings (their *_free).  Failure: a
 * status, message in store_errmsg().
 */
#include "balp/store_decision.h"

#include <inttypes.h>
#include <stdlib.h>

#include "store_priv.h"

/* ---- decisions -------------------------------------------------------- */

int
store_is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < STORE_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* "code,code" for the set; -1 if a bit names no reason. */
static int
reasons_text(reason_set set, struct buf *b)
{
	int r;

	buf_add(b, "", 0);
	for (r = 0; r < 32; r++) {
		if (!(set & REASON_BIT(r)))
			continue;
		if (r >= REASON_COUNT || reason_code((enum reason)r) == NULL)
			return -1;
		if (b->len > 0)
			buf_putc(b, ',');
		buf_puts(b, reason_code((enum reason)r));
	}
	return 0;
}

/*
 * The decision row.  A message an admin sent back to the inbox
 * (store_message_retriage) names the decision its new one supersedes.
 */
static int
decision_insert(struct store *st, const struct store_decision_spec *d,
    const char *sender, const char *reasons, time_t now, int64_t *id,
    int64_t *supersedes)
{
	sqlite3_stmt *s;
	int rc, step;

	if ((rc = stmt_get(st, STMT_DECISION_INSERT, "INSERT INTO decisions "
	    "(decided_at, source, source_ref, message_id, sender, partner_id, "
	    "type, outcome, reasons, queue, nir_pseudonym, supersedes, "
	    "header_key) "
	    "VALUES (?, ?2, ?3, ?, ?, ?, ?, ?, ?, ?, ?, coalesce((SELECT "
	    "decision_id FROM retriages WHERE source = ?2 AND new_ref = ?3), "
	    /*
	     * A server names a retriaged message itself: its header key.
	     * CROSS JOIN makes the decisions of that key (none for a new
	     * message, by decisions_header_key_all) the outer loop.  The
	     * other way round, sqlite read every retriage of the source,
	     * done or pending, for every new message: 10 VM steps each,
	     * 1,300 a message on a store of 200,000 decisions and 132
	     * retriages instead of 170, growing with the retriages kept.
	     */
	    "(SELECT r.decision_id FROM decisions o CROSS JOIN retriages r ON "
	    "r.decision_id = o.id WHERE ?12 IS NOT NULL AND o.header_key = ?12 "
	    "AND r.source = ?2 AND NOT EXISTS (SELECT 1 FROM decisions x "
	    "WHERE x.supersedes = r.decision_id))), ?12) "
	    "RETURNING id, supersedes", &s)) != STORE_OK)
		return rc;
	bind_ts(st, s, 1, now, &rc);
	bind_text(st, s, 2, d->source, &rc);
	bind_text(st, s, 3, d->source_ref, &rc);
	bind_text(st, s, 4, d->message_id, &rc);
	bind_text(st, s, 5, sender, &rc);
	bind_text(st, s, 6, d->partner_id, &rc);
	bind_text(st, s, 7, d->type, &rc);
	bind_text(st, s, 8, outcome_name(d->outcome), &rc);
	bind_text(st, s, 9, reasons, &rc);
	bind_text(st, s, 10, d->queue, &rc);
	bind_text(st, s, 11, d->nir_pseudonym, &rc);
	bind_text(st, s, 12, d->header_key, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*supersedes = sqlite3_column_int64(s, 1);
		step = sqlite3_step(s);
	}
	if (step != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = store_seterr(st, STORE_EXISTS, "message %s:%s "
			    "was already decided", d->source, d->source_ref);
		else
			rc = store_sqlerr(st, "decision insert");
	}
	stmt_done(s);
	return rc;
}

/* The envelope of a message taken over LMTP (a row of its own). */
static int
envelope_insert(struct store *st, int64_t decision_id,
    const struct store_decision_spec *d)
{
	sqlite3_stmt *s;
	int rc;

	if (d->envelope_recipients == NULL)
		return STORE_OK;
	if ((rc = stmt_get(st, STMT_ENVELOPE_INSERT, "INSERT INTO "
	    "decision_envelopes (decision_id, sender, recipients) VALUES "
	    "(?, lower(?), lower(?))", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, decision_id, &rc);
	bind_text(st, s, 2, d->envelope_sender != NULL ? d->envelope_sender :
	    "", &rc);
	bind_text(st, s, 3, d->envelope_recipients, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "envelope insert", NULL);
}

/* The decision's findings, when it has any (a row of its own). */
static int
findings_insert(struct store *st, int64_t decision_id, const char *findings)
{
	sqlite3_stmt *s;
	int rc;

	if (findings == NULL || findings[0] == '\0')
		return STORE_OK;
	if ((rc = stmt_get(st, STMT_FINDINGS_INSERT, "INSERT INTO "
	    "decision_findings (decision_id, findings) VALUES (?, ?)", &s)) !=
	    STORE_OK)
		return rc;
	bind_int64(st, s, 1, decision_id, &rc);
	bind_text(st, s, 2, findings, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "findings insert", NULL);
}

static int
outbox_insert(struct store *st, int64_t decision_id,
    const struct store_notice *n, time_t now, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_OUTBOX_INSERT, "INSERT INTO outbox "
	    "(decision_id, created_at, recipient, subject, body, status, "
	    "attempts, next_attempt_at) "
	    "VALUES (?, ?2, ?, ?, ?, 'pending', 0, ?2)", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, decision_id, &rc);
	bind_ts(st, s, 2, now, &rc);
	bind_text(st, s, 3, n->recipient, &rc);
	bind_text(st, s, 4, n->subject, &rc);
	bind_text(st, s, 5, n->body, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "outbox insert", NULL)) == STORE_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

/*
 * The checks of a decision before any write; fills *reasons with its
 * codes.  STORE_REFUSED with the message (never the pseudonym's value).
 */
static int
decision_check(struct store *st, const struct store_decision_spec *d,
    const struct store_notice *notice, struct buf *reasons)
{
	if (is_blank(d->source) || is_blank(d->source_ref))
		return store_seterr(st, STORE_REFUSED, "decision: source and "
		    "source_ref required");
	if (is_blank(d->queue))
		return store_seterr(st, STORE_REFUSED, "decision: queue "
		    "required");
	if (outcome_name(d->outcome) == NULL)
		return store_seterr(st, STORE_REFUSED, "decision: bad "
		    "outcome %d", (int)d->outcome);
	/* Never let anything but a pseudonym reach this column. */
	if (d->nir_pseudonym != NULL && !store_is_hex64(d->nir_pseudonym))
		return store_seterr(st, STORE_REFUSED, "decision: the NIR "
		    "pseudonym must be 64 lower-case hex digits");
	if (notice != NULL && (is_blank(notice->recipient) ||
	    notice->subject == NULL || notice->body == NULL))
		return store_seterr(st, STORE_REFUSED, "decision: a notice "
		    "needs a recipient, a subject and a body");
	buf_reset(reasons);
	if (reasons_text(d->reasons, reasons) == -1)
		return store_seterr(st, STORE_REFUSED, "decision: unknown "
		    "reason bit in 0x%" PRIx32, (uint32_t)d->reasons);
	if (reasons->failed)
		return store_oom(st);
	return STORE_OK;
}

/* The notice's outbox row and its audit row notice.queue. */
int
store_notice_queue(struct store *st, int64_t decision_id,
    const struct store_notice *notice, const char *actor, time_t now)
{
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	int64_t oid = 0;
	int rc;

	if ((rc = outbox_insert(st, decision_id, notice, now, &oid))
	    != STORE_OK)
		return rc;
	buf_printf(&obj, "outbox/%" PRId64, oid);
	/* Ids and the recipient only: subject and body may name someone. */
	buf_printf(&detail, "decision=%" PRId64 "; recipient=%s",
	    decision_id, notice->recipient);
	rc = obj.failed || detail.failed ? store_oom(st) :
	    store_audit_append(st, "decision", actor, "notice.queue",
	    buf_str(&obj), buf_str(&detail), now);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_batch_add(struct store *st, const struct store_decision_spec *d,
    const struct store_notice *notice, const char *actor, time_t now,
    int64_t *idp)
{
	struct buf reasons = BUF_INIT, detail = BUF_INIT, obj = BUF_INIT;
	char *sender = NULL;
	int64_t id = 0, supersedes = 0;
	int rc;

	if ((rc = store_tx_required(st, "decision: store_batch_add")) !=
	    STORE_OK ||
	    (rc = decision_check(st, d, notice, &reasons)) != STORE_OK)
		goto done;
	if (d->sender != NULL && (sender = lower_trim(d->sender)) == NULL) {
		rc = store_oom(st);
		goto done;
	}
	/*
	 * First write of the decision: STORE_EXISTS here leaves nothing of
	 * it, and a constraint error undoes only its own statement, so the
	 * transaction (the rest of the batch) goes on.
	 */
	if ((rc = decision_insert(st, d, sender, buf_str(&reasons), now, &id,
	    &supersedes)) != STORE_OK ||
	    (rc = findings_insert(st, id, d->findings)) != STORE_OK ||
	    (rc = envelope_insert(st, id, d)) != STORE_OK)
		goto done;
	buf_printf(&obj, "decision/%" PRId64, id);
	buf_printf(&detail, "source=%s; ref=%s; outcome=%s; reasons=%s; "
	    "type=%s; partner=%s; sender=%s; queue=%s; notice=%s", d->source,
	    d->source_ref, outcome_name(d->outcome), buf_str(&reasons),
	    d->type ? d->type : "(none)",
	    d->partner_id ? d->partner_id : "(none)",
	    sender ? sender : "(none)", d->queue, notice ? "yes" : "no");
	if (supersedes != 0)
		buf_printf(&detail, "; supersedes=decision/%" PRId64,
		    supersedes);
	if (obj.failed || detail.failed) {
		rc = store_oom(st);
		goto done;
	}
	if ((rc = store_audit_append(st, "decision", actor, "decision.record",
	    buf_str(&obj), buf_str(&detail), now)) != STORE_OK)
		goto done;
	if (notice != NULL &&
	    (rc = store_notice_queue(st, id, notice, actor, now)) != STORE_OK)
		goto done;
	if (idp != NULL)
		*idp = id;
done:
	free(sender);
	buf_free(&reasons);
	buf_free(&detail);
	buf_free(&obj);
	return rc;
}

int
store_batch_begin(struct store *st)
{
	return store_tx_begin(st);
}

int
store_batch_commit(struct store *st)
{
	int rc;

	if ((rc = store_tx_required(st, "store_batch_commit")) != STORE_OK)
		return rc;
	return store_tx_commit(st);
}

void
store_batch_abort(struct store *st)
{
	store_tx_rollback(st);
}

int
store_decision_record(struct store *st, const struct store_decision_spec *d,
    const struct store_notice *notice, const char *actor, time_t now,
    int64_t *idp)
{
	struct buf reasons = BUF_INIT;
	int64_t id = 0;
	int rc;

	/* Refuse a bad spec before taking the write lock. */
	rc = decision_check(st, d, notice, &reasons);
	buf_free(&reasons);
	if (rc != STORE_OK)
		return rc;
	if ((rc = store_batch_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_batch_add(st, d, notice, actor, now, &id))
	    != STORE_OK) {
		store_batch_abort(st);
		return rc;
	}
	if ((rc = store_batch_commit(st)) != STORE_OK)
		return rc;
	if (idp != NULL)
		*idp = id;
	return STORE_OK;
}
