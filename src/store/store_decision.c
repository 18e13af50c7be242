/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_decision - decisions and the outbox (see
 * include/balp/store_decision.h).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/store_audit.h"
#include "balp/text.h"
#include "store_priv.h"

/* The audit actor of the notifier's reports (sent, failed). */
#define NOTIFIER_ACTOR	"notifier"

/* ---- decisions -------------------------------------------------------- */

#define DECISION_COLS "id, decided_at, source, source_ref, message_id, " \
	"sender, partner_id, type, outcome, reasons, queue, nir_pseudonym, " \
	"supersedes"

static int
decision_from_row(sqlite3_stmt *s, struct store_decision *d)
{
	int fail = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->decided_at = col_str0(s, 1, &fail);
	d->source = col_str0(s, 2, &fail);
	d->source_ref = col_str0(s, 3, &fail);
	d->message_id = col_str(s, 4, &fail);
	d->sender = col_str(s, 5, &fail);
	d->partner_id = col_str(s, 6, &fail);
	d->type = col_str(s, 7, &fail);
	d->outcome = col_str0(s, 8, &fail);
	d->reasons = col_str0(s, 9, &fail);
	d->queue = col_str0(s, 10, &fail);
	d->nir_pseudonym = col_str(s, 11, &fail);
	d->supersedes = sqlite3_column_int64(s, 12);
	if (fail) {
		store_decision_free(d);
		return -1;
	}
	return 0;
}

void
store_decision_free(struct store_decision *d)
{
	free(d->decided_at);
	free(d->source);
	free(d->source_ref);
	free(d->message_id);
	free(d->sender);
	free(d->partner_id);
	free(d->type);
	free(d->outcome);
	free(d->reasons);
	free(d->queue);
	free(d->nir_pseudonym);
	memset(d, 0, sizeof(*d));
}

int
store_decision_traced(struct store *st, const char *actor,
    const struct store_decision_filter *f, int32_t since, int32_t until,
    size_t rows, time_t now)
{
	struct buf d = BUF_INIT;
	char day[11];
	int rc;

	if (since != DATE_NONE) {
		date_format_iso(since, day);
		buf_printf(&d, "since=%s; ", day);
	}
	if (until != DATE_NONE) {
		date_format_iso(until, day);
		buf_printf(&d, "until=%s; ", day);
	}
	if (f->partner_id != NULL)
		buf_printf(&d, "partner=%s; ", f->partner_id);
	if (f->sender != NULL)
		buf_printf(&d, "sender=%s; ", f->sender);
	if (f->outcome != NULL)
		buf_printf(&d, "outcome=%s; ", f->outcome);
	if (f->reason != NULL)
		buf_printf(&d, "reason=%s; ", f->reason);
	if (f->type != NULL)
		buf_printf(&d, "type=%s; ", f->type);
	if (f->queue != NULL)
		buf_printf(&d, "queue=%s; ", f->queue);
	if (f->nir_pseudonym != NULL)
		buf_printf(&d, "nir_pseudonym=%s; ", f->nir_pseudonym);
	buf_printf(&d, "rows=%zu", rows);
	if (d.failed) {
		buf_free(&d);
		return store_seterr(st, STORE_ERROR, "out of memory");
	}
	rc = store_audit_note(st, actor, "trace.query", "decisions",
	    buf_str(&d), now);
	buf_free(&d);
	return rc;
}

void
store_decision_list_free(struct store_decision_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_decision_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
is_hex64(const char *s)
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
	    /* A server names a retriaged message itself: its header key. */
	    "(SELECT r.decision_id FROM retriages r JOIN decisions o ON "
	    "o.id = r.decision_id WHERE ?12 IS NOT NULL AND o.header_key = ?12 "
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

int
store_decision_findings(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s;
	int rc, step, fail = 0;

	*out = NULL;
	if ((rc = stmt_get(st, STMT_FINDINGS_GET, "SELECT findings FROM "
	    "decision_findings WHERE decision_id = ?1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*out = col_str(s, 0, &fail);
		step = fail ? SQLITE_NOMEM : sqlite3_step(s);
	}
	if (fail)
		rc = store_oom(st);
	else if (step != SQLITE_DONE)
		rc = store_sqlerr(st, "findings get");
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
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
	if (d->nir_pseudonym != NULL && !is_hex64(d->nir_pseudonym))
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

/*
 * Steps a bound statement for at most one decision row into *out and
 * hands the statement back.  STORE_NOTFOUND (message left to the caller,
 * who knows what it looked for) when there is none.
 */
static int
decision_one(struct store *st, sqlite3_stmt *s, int rc,
    struct store_decision *out, const char *what)
{
	if (rc == STORE_OK) {
		switch (sqlite3_step(s)) {
		case SQLITE_ROW:
			rc = decision_from_row(s, out) == 0 ? STORE_OK :
			    store_oom(st);
			break;
		case SQLITE_DONE:
			rc = STORE_NOTFOUND;
			break;
		default:
			rc = store_sqlerr(st, what);
		}
	}
	stmt_done(s);
	return rc;
}

int
store_decision_find(struct store *st, const char *source,
    const char *source_ref, struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_FIND, "SELECT " DECISION_COLS
	    " FROM decisions WHERE source = ? AND source_ref = ?", &s))
	    != STORE_OK)
		return rc;
	bind_text(st, s, 1, source, &rc);
	bind_text(st, s, 2, source_ref, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision find")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision for %s:%s",
		    source ? source : "", source_ref ? source_ref : "");
	return rc;
}

int
store_decision_find_by_key(struct store *st, const char *header_key,
    struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_FIND_BY_KEY, "SELECT "
	    DECISION_COLS " FROM decisions WHERE header_key = ?1 ORDER BY id"
	    " DESC LIMIT 1", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, header_key, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision find by key")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision for that"
		    " message");
	return rc;
}

int
store_decision_get(struct store *st, int64_t id, struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_GET, "SELECT " DECISION_COLS
	    " FROM decisions WHERE id = ?1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision get")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision %" PRId64,
		    id);
	return rc;
}

/* refs sorted by text, to map each row found back to its entries. */
struct ref_slot {
	const char	*ref;
	size_t		 i;
};

static int
ref_slot_cmp(const void *a, const void *b)
{
	const struct ref_slot *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ref, y->ref)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Fills every out[] whose ref is the current row's (a ref may repeat). */
static int
find_many_row(sqlite3_stmt *s, const struct ref_slot *slot, size_t nslot,
    struct store_decision *out)
{
	const char *ref = (const char *)sqlite3_column_text(s, 3);
	size_t lo = 0, hi = nslot, mid;

	if (ref == NULL)
		return 0;
	while (lo < hi) {		/* the first slot >= ref */
		mid = lo + (hi - lo) / 2;
		if (strcmp(slot[mid].ref, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nslot && strcmp(slot[lo].ref, ref) == 0; lo++) {
		if (out[slot[lo].i].id != 0)
			continue;
		if (decision_from_row(s, &out[slot[lo].i]) == -1)
			return -1;
	}
	return 0;
}

int
store_decision_find_many(struct store *st, const char *source,
    const char *const *refs, size_t n, struct store_decision *out)
{
	struct buf json = BUF_INIT;
	struct ref_slot *slot = NULL;
	struct store_decision one;
	sqlite3_stmt *s = NULL;
	size_t i, nslot = 0;
	int rc = STORE_OK, step = SQLITE_DONE;

	if (n > 0)
		memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		return store_oom(st);
	buf_putc(&json, '[');
	for (i = 0; i < n; i++) {
		if (refs[i] == NULL)
			continue;
		/* JSON carries UTF-8 only: another ref is looked up alone. */
		if (!text_utf8_valid(refs[i], strlen(refs[i]))) {
			rc = store_decision_find(st, source, refs[i], &one);
			if (rc == STORE_OK)
				out[i] = one;
			else if (rc != STORE_NOTFOUND)
				goto out;
			rc = STORE_OK;
			continue;
		}
		if (nslot > 0)
			buf_putc(&json, ',');
		json_string(&json, refs[i]);
		slot[nslot].ref = refs[i];
		slot[nslot++].i = i;
	}
	buf_putc(&json, ']');
	if (json.failed) {
		rc = store_oom(st);
		goto out;
	}
	if (nslot == 0)
		goto out;
	qsort(slot, nslot, sizeof(*slot), ref_slot_cmp);
	/*
	 * One statement for a whole pass; the IN list is a subquery on
	 * json_each, so the (source, source_ref) unique index answers it.
	 */
	if ((rc = stmt_get(st, STMT_DECISION_FIND_MANY, "SELECT "
	    DECISION_COLS " FROM decisions WHERE source = ?1 AND "
	    "source_ref IN (SELECT value FROM json_each(?2))", &s))
	    != STORE_OK)
		goto out;
	bind_text(st, s, 1, source, &rc);
	bind_text(st, s, 2, buf_str(&json), &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
		if (find_many_row(s, slot, nslot, out) == -1)
			rc = store_oom(st);
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "decision find many");
	stmt_done(s);
out:
	if (rc != STORE_OK)
		for (i = 0; i < n; i++)
			store_decision_free(&out[i]);
	free(slot);
	buf_free(&json);
	return rc;
}

/*
 * The trace filter, ANDed; an unset (NULL) parameter lets every row
 * through.  Reasons are matched as whole codes in the comma-separated
 * list (instr, not LIKE: '_' in a code is a LIKE wildcard).
 */
#define DECISION_FILTER \
	"(?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR sender = ?2) " \
	"AND (?3 IS NULL OR decided_at >= ?3) " \
	"AND (?4 IS NULL OR decided_at < ?4) " \
	"AND (?5 IS NULL OR outcome = ?5) " \
	"AND (?6 IS NULL OR instr(',' || reasons || ',', ',' || ?6 || ',') " \
	"> 0) AND (?7 IS NULL OR type = ?7) " \
	"AND (?8 IS NULL OR nir_pseudonym = ?8) " \
	"AND (?10 IS NULL OR queue = ?10)"

/*
 * One fixed statement (cached), yet indexed: `?N IS NULL OR col = ?N`
 * alone makes sqlite scan the whole table, so the query is four branches
 * whose guards on the parameters are constants (evaluated once; exactly
 * one branch runs): by pseudonym (decisions_pseudonym), else by partner
 * (decisions_partner), else by sender (decisions_sender), else a scan
 * from the newest row, which LIMIT stops early.  Each branch yields ids
 * in order, so the UNION ALL is a merge, with no sort.  On a million
 * rows (a year at one decision every 30 s): --nir 0 ms instead of a
 * 170 ms scan, --sender 6 ms; a period alone scans, 120 ms: hence the
 * statement below for a period alone.
 */
#define DECISION_SELECT "SELECT " DECISION_COLS " FROM decisions WHERE "
#define DECISION_BRANCHES \
	DECISION_SELECT "?8 IS NOT NULL AND nir_pseudonym = ?8 AND " \
	DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NOT NULL AND " \
	"partner_id = ?1 AND " DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NULL AND ?2 IS NOT NULL AND " \
	"sender = ?2 AND " DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NULL AND ?2 IS NULL AND " \
	DECISION_FILTER " ORDER BY id DESC LIMIT ?9"

/*
 * A period with no pseudonym, partner or sender: the period's rows by
 * decisions_decided, newest first, which LIMIT stops early; not the
 * table from its newest row, which reads every later decision first (on
 * a million, the first week of six months quarantined as malformed: 150
 * ms read whole, tests/bench/web.sh).  Ordered by time, then id: the
 * same order as the ids' unless the clock went back.
 */
#define DECISION_PERIOD \
	DECISION_SELECT "decided_at >= coalesce(?3, '') AND " \
	"decided_at < coalesce(?4, '~') AND " DECISION_FILTER \
	" ORDER BY decided_at DESC, id DESC LIMIT ?9"

int
store_decision_list(struct store *st, const struct store_decision_filter *f,
    struct store_decision_list *out)
{
	static const struct store_decision_filter all;
	sqlite3_stmt *s;
	char *sender = NULL;
	size_t cap = 0;
	int rc, step = SQLITE_DONE;

	out->v = NULL;
	out->n = 0;
	if (f == NULL)
		f = &all;
	/*
	 * None of the refused values is echoed: a caller that mixed up its
	 * fields may hold a NIR in any of them.
	 */
	if (f->outcome != NULL && strcmp(f->outcome,
	    outcome_name(OUTCOME_ACCEPTED)) != 0 && strcmp(f->outcome,
	    outcome_name(OUTCOME_REJECTED)) != 0 && strcmp(f->outcome,
	    outcome_name(OUTCOME_QUARANTINED)) != 0)
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "outcome must be accepted, rejected or quarantined");
	if (f->reason != NULL && reason_from_code(f->reason) == -1)
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "reason must be one code of reason.h");
	if (f->nir_pseudonym != NULL && !is_hex64(f->nir_pseudonym))
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "NIR pseudonym must be 64 lower-case hex digits");
	if (f->sender != NULL && (sender = lower_trim(f->sender)) == NULL)
		return store_oom(st);
	if (f->nir_pseudonym == NULL && f->partner_id == NULL &&
	    sender == NULL && (f->from != 0 || f->before != 0))
		rc = stmt_get(st, STMT_DECISION_LIST_PERIOD, DECISION_PERIOD,
		    &s);
	else
		rc = stmt_get(st, STMT_DECISION_LIST, DECISION_BRANCHES, &s);
	if (rc != STORE_OK) {
		free(sender);
		return rc;
	}
	bind_text(st, s, 1, f->partner_id, &rc);
	bind_text(st, s, 2, sender, &rc);
	if (f->from != 0)
		bind_ts(st, s, 3, f->from, &rc);
	else
		bind_null(st, s, 3, &rc);
	if (f->before != 0)
		bind_ts(st, s, 4, f->before, &rc);
	else
		bind_null(st, s, 4, &rc);
	bind_text(st, s, 5, f->outcome, &rc);
	bind_text(st, s, 6, f->reason, &rc);
	bind_text(st, s, 7, f->type, &rc);
	bind_text(st, s, 8, f->nir_pseudonym, &rc);
	bind_int64(st, s, 9, f->limit ? (int64_t)f->limit : -1, &rc);
	bind_text(st, s, 10, f->queue, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    decision_from_row(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "decision list");
	stmt_done(s);
	free(sender);
	if (rc != STORE_OK)
		store_decision_list_free(out);
	return rc;
}

/* ---- outbox ----------------------------------------------------------- */

void
store_outbox_list_free(struct store_outbox_list *l)
{
	struct store_outbox_item *it;
	size_t i;

	for (i = 0; i < l->n; i++) {
		it = &l->v[i];
		free(it->created_at);
		free(it->recipient);
		free(it->subject);
		free(it->body);
		free(it->status);
		free(it->next_attempt_at);
		free(it->last_error);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_outbox_read(struct store *st, sqlite3_stmt *s, const char *what,
    struct store_outbox_list *out)
{
	struct store_outbox_item *it;
	size_t cap = 0;
	int rc = STORE_OK, step = SQLITE_DONE, fail = 0;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			rc = store_oom(st);
			break;
		}
		it = &out->v[out->n++];
		memset(it, 0, sizeof(*it));
		it->id = sqlite3_column_int64(s, 0);
		it->decision_id = sqlite3_column_int64(s, 1);
		it->created_at = col_str0(s, 2, &fail);
		it->recipient = col_str0(s, 3, &fail);
		it->subject = col_str0(s, 4, &fail);
		it->body = col_str0(s, 5, &fail);
		it->status = col_str0(s, 6, &fail);
		it->attempts = sqlite3_column_int(s, 7);
		it->next_attempt_at = col_str0(s, 8, &fail);
		it->last_error = col_str(s, 9, &fail);
		if (fail) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, what);
	stmt_done(s);
	if (rc != STORE_OK)
		store_outbox_list_free(out);
	return rc;
}

int
store_outbox_pending(struct store *st, time_t now, size_t limit,
    struct store_outbox_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_OUTBOX_PENDING, "SELECT id, decision_id, "
	    "created_at, recipient, subject, body, status, attempts, "
	    "next_attempt_at, last_error FROM outbox WHERE status = 'pending' "
	    "AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
	    &s)) != STORE_OK)
		return rc;
	bind_ts(st, s, 1, now, &rc);
	bind_int64(st, s, 2, limit ? (int64_t)limit : -1, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return store_outbox_read(st, s, "outbox pending", out);
}

/*
 * The pending notice id: its decision, recipient (caller frees
 * *recipient, set even on error) and attempts so far.
 */
static int
outbox_get_pending(struct store *st, int64_t id, int64_t *decision_id,
    char **recipient, int *attempts)
{
	sqlite3_stmt *s;
	int rc, fail = 0;

	*recipient = NULL;
	if ((rc = stmt_get(st, STMT_OUTBOX_GET_PENDING, "SELECT decision_id, "
	    "recipient, attempts FROM outbox WHERE id = ? AND "
	    "status = 'pending'", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		*decision_id = sqlite3_column_int64(s, 0);
		*recipient = col_str0(s, 1, &fail);
		*attempts = sqlite3_column_int(s, 2);
		if (fail)
			rc = store_oom(st);
		break;
	case SQLITE_DONE:
		rc = store_seterr(st, STORE_NOTFOUND, "no pending notice %"
		    PRId64, id);
		break;
	default:
		rc = store_sqlerr(st, "outbox get");
	}
	stmt_done(s);
	return rc;
}

/* The audit row of an attempt: ids, recipient, attempt; never the text. */
static int
notice_audit(struct store *st, const char *action, int64_t id,
    int64_t decision_id, const char *recipient, int attempt,
    const char *more, time_t now)
{
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	int rc;

	buf_printf(&obj, "outbox/%" PRId64, id);
	buf_printf(&detail, "decision=%" PRId64 "; recipient=%s; attempt=%d%s",
	    decision_id, recipient, attempt, more);
	rc = obj.failed || detail.failed ? store_oom(st) :
	    store_audit_append(st, "decision", NOTIFIER_ACTOR, action,
	    buf_str(&obj), buf_str(&detail), now);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_outbox_sent(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s;
	char *recipient = NULL;
	int64_t decision_id = 0;
	int rc, attempts = 0;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = outbox_get_pending(st, id, &decision_id, &recipient,
	    &attempts)) != STORE_OK ||
	    (rc = stmt_get(st, STMT_OUTBOX_SENT, "UPDATE outbox SET status = "
	    "'sent', attempts = attempts + 1, next_attempt_at = ? "
	    "WHERE id = ? AND status = 'pending'", &s)) != STORE_OK)
		goto out;
	bind_ts(st, s, 1, now, &rc);
	bind_int64(st, s, 2, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "outbox sent", NULL)) != STORE_OK)
		goto out;
	rc = notice_audit(st, "notice.sent", id, decision_id, recipient,
	    attempts + 1, "", now);
out:
	free(recipient);
	return store_tx_end(st, rc);
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error,
    time_t retry_at, time_t now)
{
	sqlite3_stmt *s;
	char *recipient = NULL, more[48], ts[21];
	int64_t decision_id = 0;
	int rc, attempts = 0;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = outbox_get_pending(st, id, &decision_id, &recipient,
	    &attempts)) != STORE_OK ||
	    (rc = stmt_get(st, STMT_OUTBOX_FAILED, "UPDATE outbox SET "
	    "attempts = attempts + 1, last_error = ?, status = CASE WHEN ?2 "
	    "IS NULL THEN 'failed' ELSE 'pending' END, next_attempt_at = "
	    "coalesce(?2, next_attempt_at) WHERE id = ?3 AND "
	    "status = 'pending'", &s)) != STORE_OK)
		goto out;
	bind_text(st, s, 1, error != NULL ? error : "", &rc);
	if (retry_at == (time_t)-1)
		bind_null(st, s, 2, &rc);
	else
		bind_ts(st, s, 2, retry_at, &rc);
	bind_int64(st, s, 3, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "outbox failed", NULL)) != STORE_OK)
		goto out;
	if (retry_at == (time_t)-1) {
		snprintf(more, sizeof(more), "; given up");
	} else {
		store_timestamp(retry_at, ts);
		snprintf(more, sizeof(more), "; retry at %s", ts);
	}
	rc = notice_audit(st, "notice.failed", id, decision_id, recipient,
	    attempts + 1, more, now);
out:
	free(recipient);
	return store_tx_end(st, rc);
}

int
store_outbox_sent_since(struct store *st, const char *recipient,
    time_t since, unsigned *count)
{
	sqlite3_stmt *s;
	int rc;

	*count = 0;
	/* next_attempt_at of a sent notice is when it was sent. */
	if ((rc = stmt_get(st, STMT_OUTBOX_SENT_SINCE, "SELECT count(*) FROM "
	    "outbox WHERE status = 'sent' AND next_attempt_at >= ? AND "
	    "recipient = ? COLLATE NOCASE", &s)) != STORE_OK)
		return rc;
	bind_ts(st, s, 1, since, &rc);
	bind_text(st, s, 2, recipient, &rc);
	if (rc == STORE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			*count = (unsigned)sqlite3_column_int64(s, 0);
		else
			rc = store_sqlerr(st, "outbox sent since");
	}
	stmt_done(s);
	return rc;
}
