/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_outbox - the outbox: the notifier's reading, sending and failing
 * of the notices decisions queue (declared in
 * include/balp/store_decision.h, beside the queueing in
 * store_decision.c), and the outbox's waiting and an admin's resend (see
 * include/balp/store_outbox.h).
 */
#include "balp/store_outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "store_priv.h"

/* What store_outbox_read() reads, in its order: every SELECT of a list. */
#define OUTBOX_COLUMNS	"id, decision_id, created_at, recipient, subject, " \
			"body, status, attempts, next_attempt_at, last_error"

/* The audit actor of the notifier's reports (sent, failed). */
#define NOTIFIER_ACTOR	"notifier"
#define CAP_WINDOW	3600	/* the cap is per hour */

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds; -1 if not that. */
static time_t
ts_parse(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;
	int32_t day;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d,
	    &h, &mi, &se, &n) != 6 || s[n] != '\0' ||
	    date_from_ymd(y, mo, d, &day) == -1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60)
		return (time_t)-1;
	return (time_t)day * 86400 + h * 3600 + mi * 60 + se;
}

int
store_outbox_cap_free_at(struct store *st, const char *recipient,
    unsigned cap, time_t now, time_t *at)
{
	sqlite3_stmt *s;
	unsigned sent = 0;
	time_t t;
	int rc, step;

	*at = now;
	if ((rc = store_outbox_sent_since(st, recipient, now - CAP_WINDOW,
	    &sent)) != STORE_OK || sent < cap)
		return rc;
	/*
	 * The (sent - cap + 1)-th oldest of the hour: once it is an hour
	 * old, cap - 1 are left in the hour and one more may go.  (The
	 * sending time of a sent notice is its next_attempt_at.)
	 */
	if ((rc = stmt_get(st, STMT_OUTBOX_CAP_FREE, "SELECT next_attempt_at "
	    "FROM outbox WHERE status = 'sent' AND next_attempt_at >= ? AND "
	    "recipient = ? COLLATE NOCASE ORDER BY next_attempt_at, id "
	    "LIMIT 1 OFFSET ?", &s)) != STORE_OK)
		return rc;
	bind_ts(st, s, 1, now - CAP_WINDOW, &rc);
	bind_text(st, s, 2, recipient, &rc);
	bind_int64(st, s, 3, (int64_t)(sent - cap), &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			t = ts_parse((const char *)sqlite3_column_text(s, 0));
			*at = t == (time_t)-1 ? now + CAP_WINDOW :
			    t + CAP_WINDOW + 1;
		} else if (step == SQLITE_DONE)
			*at = now + CAP_WINDOW;
		else
			rc = store_sqlerr(st, "outbox cap");
	}
	stmt_done(s);
	return rc;
}

/* The audit row of the outbox: ids and recipient, never the text. */
static int
outbox_audit(struct store *st, const char *kind, const char *actor,
    const char *action, int64_t id, const char *detail, time_t now)
{
	struct buf obj = BUF_INIT;
	int rc;

	buf_printf(&obj, "outbox/%" PRId64, id);
	rc = obj.failed ? store_oom(st) : store_audit_append(st, kind, actor,
	    action, buf_str(&obj), detail, now);
	buf_free(&obj);
	return rc;
}

/*
 * The notice id: its decision, recipient, status and last error (NULL
 * if none; caller frees the three).
 */
static int
outbox_get(struct store *st, int64_t id, int64_t *decision_id,
    char **recipient, char **status, int *attempts, char **last_error)
{
	sqlite3_stmt *s;
	int rc, fail = 0, step;

	*recipient = *status = *last_error = NULL;
	if ((rc = stmt_get(st, STMT_OUTBOX_GET, "SELECT decision_id, "
	    "recipient, status, attempts, last_error FROM outbox WHERE id = ?",
	    &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			*decision_id = sqlite3_column_int64(s, 0);
			*recipient = col_str0(s, 1, &fail);
			*status = col_str0(s, 2, &fail);
			*attempts = sqlite3_column_int(s, 3);
			*last_error = col_str(s, 4, &fail);
			if (fail)
				rc = store_oom(st);
		} else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no notice %"
			    PRId64, id);
		else
			rc = store_sqlerr(st, "outbox get");
	}
	stmt_done(s);
	return rc;
}

int
store_outbox_defer(struct store *st, int64_t id, const char *why, time_t at,
    time_t now)
{
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *recipient = NULL, *status = NULL, *last = NULL, ts[21];
	int64_t decision_id = 0;
	int rc, attempts = 0, changes = 0, again;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = outbox_get(st, id, &decision_id, &recipient, &status,
	    &attempts, &last)) != STORE_OK)
		goto out;
	/* Waiting again for the same reason: one audit row said it. */
	again = last != NULL && why != NULL && strcmp(last, why) == 0;
	if (strcmp(status, "pending") != 0) {
		rc = store_seterr(st, STORE_NOTFOUND, "no pending notice %"
		    PRId64, id);
		goto out;
	}
	if ((rc = stmt_get(st, STMT_OUTBOX_DEFER, "UPDATE outbox SET "
	    "next_attempt_at = ?, last_error = ? WHERE id = ? AND "
	    "status = 'pending'", &s)) != STORE_OK)
		goto out;
	bind_ts(st, s, 1, at, &rc);
	bind_text(st, s, 2, why != NULL ? why : "", &rc);
	bind_int64(st, s, 3, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "outbox defer", &changes)) != STORE_OK ||
	    again)
		goto out;
	store_timestamp(at, ts);
	buf_printf(&detail, "decision=%" PRId64 "; recipient=%s; until %s",
	    decision_id, recipient, ts);
	rc = detail.failed ? store_oom(st) : outbox_audit(st, "decision",
	    NOTIFIER_ACTOR, "notice.deferred", id, buf_str(&detail), now);
out:
	free(recipient);
	free(status);
	free(last);
	buf_free(&detail);
	return store_tx_end(st, rc);
}

int
store_outbox_all(struct store *st, struct store_outbox_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_OUTBOX_ALL, "SELECT " OUTBOX_COLUMNS
	    " FROM outbox ORDER BY id DESC", &s)) !=
	    STORE_OK)
		return rc;
	return store_outbox_read(st, s, "outbox list", out);
}

int
store_outbox_count(struct store *st, size_t *pending, size_t *failed)
{
	sqlite3_stmt *s;
	int rc, step;

	*pending = *failed = 0;
	if ((rc = stmt_get(st, STMT_OUTBOX_COUNT, "SELECT (SELECT count(*) "
	    "FROM outbox WHERE status = 'pending'), (SELECT count(*) FROM "
	    "outbox WHERE status = 'failed')", &s)) != STORE_OK)
		return rc;
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*pending = (size_t)sqlite3_column_int64(s, 0);
		*failed = (size_t)sqlite3_column_int64(s, 1);
	} else
		rc = store_sqlerr(st, "outbox count");
	stmt_done(s);
	return rc;
}

int
store_outbox_of(struct store *st, int64_t decision_id,
    struct store_outbox_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_OUTBOX_OF, "SELECT " OUTBOX_COLUMNS
	    " FROM outbox WHERE decision_id = ? "
	    "ORDER BY id", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, decision_id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return store_outbox_read(st, s, "outbox of a decision", out);
}

int
store_outbox_resend(struct store *st, int64_t id, const char *actor,
    time_t now, int64_t *new_id)
{
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *recipient = NULL, *status = NULL, *last = NULL;
	int64_t decision_id = 0;
	int rc, attempts = 0;

	*new_id = 0;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = outbox_get(st, id, &decision_id, &recipient, &status,
	    &attempts, &last)) != STORE_OK)
		goto out;
	if (strcmp(status, "pending") == 0) {
		rc = store_seterr(st, STORE_REFUSED, "notice %" PRId64 " is "
		    "still pending: it goes by itself (notices.max_per_sender_"
		    "hour permitting)", id);
		goto out;
	}
	if ((rc = stmt_get(st, STMT_OUTBOX_RESEND, "INSERT INTO outbox "
	    "(decision_id, created_at, recipient, subject, body, status, "
	    "attempts, next_attempt_at) SELECT decision_id, ?1, recipient, "
	    "subject, body, 'pending', 0, ?1 FROM outbox WHERE id = ?2",
	    &s)) != STORE_OK)
		goto out;
	bind_ts(st, s, 1, now, &rc);
	bind_int64(st, s, 2, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "outbox resend", NULL)) != STORE_OK)
		goto out;
	*new_id = sqlite3_last_insert_rowid(store_db(st));
	buf_printf(&detail, "decision=%" PRId64 "; recipient=%s; resends="
	    "outbox/%" PRId64 " (%s)", decision_id, recipient, id, status);
	rc = detail.failed ? store_oom(st) : outbox_audit(st, "admin", actor,
	    "notice.resend", *new_id, buf_str(&detail), now);
out:
	free(recipient);
	free(status);
	free(last);
	buf_free(&detail);
	return store_tx_end(st, rc);
}

/* ---- sending (store_decision.h) --------------------------------------- */

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
	if ((rc = stmt_get(st, STMT_OUTBOX_PENDING, "SELECT " OUTBOX_COLUMNS
	    " FROM outbox WHERE status = 'pending' "
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
