/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_message - retriages and releases of decided messages (see
 * include/balp/store_message.h).
 *
 * Ownership: struct store_message owns everything in it
 * (store_message_free).  Failure: a status, message in store_errmsg().
 */
#include "balp/store_message.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/store_staged.h"
#include "store_priv.h"

#define DECISION_OBJ	"decision/%" PRId64

static int
release_from_row(sqlite3_stmt *s, struct store_release *r)
{
	int fail = 0;

	r->id = sqlite3_column_int64(s, 0);
	r->at = col_str0(s, 1, &fail);
	r->actor = col_str0(s, 2, &fail);
	r->from_queue = col_str0(s, 3, &fail);
	r->to_queue = col_str0(s, 4, &fail);
	r->reason = col_str0(s, 5, &fail);
	return fail ? -1 : 0;
}

static void
release_free(struct store_release *r)
{
	free(r->at);
	free(r->actor);
	free(r->from_queue);
	free(r->to_queue);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

void
store_message_free(struct store_message *m)
{
	size_t i;

	store_decision_free(&m->decision);
	free(m->retriage_ref);
	for (i = 0; i < m->n_releases; i++)
		release_free(&m->releases[i]);
	free(m->releases);
	store_audit_list_free(&m->audit);
	memset(m, 0, sizeof(*m));
}

const char *
store_message_queue(const struct store_message *m)
{
	if (m->retriage_ref != NULL)
		return NULL;
	if (m->n_releases > 0)
		return m->releases[m->n_releases - 1].to_queue;
	return m->decision.queue;
}

/* The id of the decision that supersedes id, or 0. */
static int
superseded_by(struct store *st, int64_t id, int64_t *by)
{
	sqlite3_stmt *s;
	int rc, step;

	*by = 0;
	if ((rc = stmt_get(st, STMT_SUPERSEDED_BY, "SELECT id FROM decisions "
	    "WHERE supersedes = ?1 ORDER BY id LIMIT 1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc == STORE_OK) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			*by = sqlite3_column_int64(s, 0);
		else if (step != SQLITE_DONE)
			rc = store_sqlerr(st, "superseded by");
	}
	stmt_done(s);
	return rc;
}

/* The name of a pending retriage of id (caller frees), or NULL. */
static int
retriage_get(struct store *st, int64_t id, char **ref)
{
	sqlite3_stmt *s;
	int rc, step, fail = 0;

	*ref = NULL;
	if ((rc = stmt_get(st, STMT_RETRIAGE_GET, "SELECT new_ref FROM "
	    "retriages WHERE decision_id = ?1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc == STORE_OK) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW) {
			*ref = col_str0(s, 0, &fail);
			if (fail)
				rc = store_oom(st);
		} else if (step != SQLITE_DONE)
			rc = store_sqlerr(st, "retriage get");
	}
	stmt_done(s);
	return rc;
}

static int
releases_get(struct store *st, struct store_message *m)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step = SQLITE_DONE;

	if ((rc = stmt_get(st, STMT_RELEASE_LIST, "SELECT id, at, actor, "
	    "from_queue, to_queue, reason FROM releases WHERE decision_id = ?1 "
	    "ORDER BY id", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, m->decision.id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(m->releases, cap, m->n_releases) ||
		    release_from_row(s, &m->releases[m->n_releases++]) == -1) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "release list");
	stmt_done(s);
	return rc;
}

int
store_message_get(struct store *st, int64_t id, struct store_message *m)
{
	struct buf obj = BUF_INIT;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = store_decision_get(st, id, &m->decision)) != STORE_OK)
		return rc;
	buf_printf(&obj, DECISION_OBJ, id);
	if (obj.failed)
		rc = store_oom(st);
	if (rc == STORE_OK)
		rc = superseded_by(st, id, &m->superseded_by);
	if (rc == STORE_OK && m->superseded_by == 0)
		rc = retriage_get(st, id, &m->retriage_ref);
	if (rc == STORE_OK)
		rc = releases_get(st, m);
	if (rc == STORE_OK)
		rc = store_audit_of(st, buf_str(&obj), &m->audit);
	buf_free(&obj);
	if (rc != STORE_OK)
		store_message_free(m);
	return rc;
}

int
store_message_find(struct store *st, const char *message_id, int64_t *id)
{
	sqlite3_stmt *s;
	char *bare = NULL;
	size_t n;
	int rc, step;

	*id = 0;
	if (message_id == NULL || (n = strlen(message_id)) == 0)
		return store_seterr(st, STORE_NOTFOUND, "no Message-ID given");
	/* Stored without <>, as the parser reads it. */
	if (message_id[0] == '<' && n > 1 && message_id[n - 1] == '>')
		bare = buf_strndup(message_id + 1, n - 2);
	else
		bare = buf_strdup(message_id);
	if (bare == NULL)
		return store_oom(st);
	if ((rc = stmt_get(st, STMT_MESSAGE_FIND, "SELECT id FROM decisions "
	    "WHERE message_id = ?1 ORDER BY id DESC LIMIT 1", &s)) !=
	    STORE_OK) {
		free(bare);
		return rc;
	}
	bind_text(st, s, 1, bare, &rc);
	if (rc == STORE_OK) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no decision for"
			    " Message-ID <%s>", bare);
		else
			rc = store_sqlerr(st, "message find");
	}
	stmt_done(s);
	free(bare);
	return rc;
}

/*
 * Inside a transaction: refuses to act on a decision that is superseded,
 * whose mail's annex is staged and pending, or that has a pending
 * retriage other than new_ref (NULL: any).
 * STORE_EXISTS when new_ref itself is pending.
 */
static int
actionable(struct store *st, int64_t id, const char *new_ref,
    struct store_decision *d)
{
	int64_t by, staged;
	char *pending = NULL;
	int rc;

	if ((rc = store_decision_get(st, id, d)) != STORE_OK ||
	    (rc = superseded_by(st, id, &by)) != STORE_OK ||
	    (rc = retriage_get(st, id, &pending)) != STORE_OK ||
	    (rc = store_staged_pending_of(st, id, &staged)) != STORE_OK)
		return rc;
	if (staged != 0)
		/*
		 * Moved away or decided again, its mail would leave an
		 * approvable annex behind it (or two of them).
		 */
		rc = store_seterr(st, STORE_REFUSED, "decision %" PRId64 ": "
		    "its annex is staged for approval (staged annex %" PRId64
		    ", pending): approve or reject it first (balpctl annex "
		    "approve|reject %" PRId64 ")", id, staged, staged);
	else if (by != 0)
		rc = store_seterr(st, STORE_REFUSED, "decision %" PRId64 " is "
		    "superseded by decision %" PRId64 ": act on that one", id,
		    by);
	else if (pending != NULL && new_ref != NULL &&
	    strcmp(pending, new_ref) == 0)
		rc = store_seterr(st, STORE_EXISTS, "decision %" PRId64 ": its"
		    " retriage is pending already", id);
	else if (pending != NULL)
		rc = store_seterr(st, STORE_REFUSED, "decision %" PRId64 ": its"
		    " message is back in the inbox as %s, waiting for the next"
		    " pass", id, pending);
	free(pending);
	return rc;
}

/* The admin's audit row about decision id, in the open transaction. */
static int
message_audit(struct store *st, int64_t id, const char *action,
    const struct buf *detail, const char *actor, time_t now)
{
	struct buf obj = BUF_INIT;
	int rc;

	buf_printf(&obj, DECISION_OBJ, id);
	rc = obj.failed || detail->failed ? store_oom(st) :
	    store_audit_append(st, "admin", actor, action, buf_str(&obj),
	    buf_str(detail), now);
	buf_free(&obj);
	return rc;
}

int
store_message_retriage(struct store *st, int64_t id, const char *new_ref,
    const char *reason, const char *actor, time_t now)
{
	struct store_decision d;
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	if (is_blank(new_ref))
		return store_seterr(st, STORE_REFUSED, "retriage: a new name "
		    "is required");
	if ((why = clean(reason)) == NULL)
		return store_oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = actionable(st, id, new_ref, &d)) != STORE_OK)
		goto out;
	if ((rc = stmt_get(st, STMT_RETRIAGE_INSERT, "INSERT INTO retriages "
	    "(decision_id, source, new_ref, at, actor, reason) "
	    "VALUES (?, ?, ?, ?, ?, ?)", &s)) != STORE_OK)
		goto out;
	bind_int64(st, s, 1, id, &rc);
	bind_text(st, s, 2, d.source, &rc);
	bind_text(st, s, 3, new_ref, &rc);
	bind_ts(st, s, 4, now, &rc);
	bind_text(st, s, 5, actor_or_default(actor), &rc);
	bind_text(st, s, 6, why, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "retriage insert", NULL)) != STORE_OK)
		goto out;
	buf_printf(&detail, "source=%s; ref=%s; new_ref=%s; queue=%s; "
	    "reason=%s", d.source, d.source_ref, new_ref, d.queue, why);
	rc = message_audit(st, id, "message.retriage", &detail, actor, now);
out:
	rc = store_tx_end(st, rc);
done:
	store_decision_free(&d);
	free(why);
	buf_free(&detail);
	return rc;
}

int
store_message_retriage_undo(struct store *st, int64_t id, const char *why,
    const char *actor, time_t now)
{
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	int rc, changes = 0;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = stmt_get(st, STMT_RETRIAGE_DELETE, "DELETE FROM retriages "
	    "WHERE decision_id = ?1 AND NOT EXISTS (SELECT 1 FROM decisions "
	    "WHERE supersedes = ?1)", &s)) != STORE_OK)
		goto out;
	bind_int64(st, s, 1, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "retriage delete", &changes)) != STORE_OK)
		goto out;
	if (changes == 0) {
		rc = store_seterr(st, STORE_NOTFOUND, "decision %" PRId64 ": no"
		    " pending retriage to undo", id);
		goto out;
	}
	buf_printf(&detail, "why=%s", why != NULL ? why : "");
	rc = message_audit(st, id, "message.retriage.undone", &detail, actor,
	    now);
out:
	rc = store_tx_end(st, rc);
	buf_free(&detail);
	return rc;
}

int
store_message_release(struct store *st, int64_t id, const char *from_queue,
    const char *to_queue, const char *reason,
    const struct store_notice *notice, const char *actor, time_t now)
{
	struct store_decision d;
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	if (is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "release: a reason is "
		    "required");
	if (is_blank(from_queue) || is_blank(to_queue))
		return store_seterr(st, STORE_REFUSED, "release: both queues "
		    "are required");
	if ((why = clean(reason)) == NULL)
		return store_oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = actionable(st, id, NULL, &d)) != STORE_OK)
		goto out;
	if ((rc = stmt_get(st, STMT_RELEASE_INSERT, "INSERT INTO releases "
	    "(decision_id, at, actor, from_queue, to_queue, reason) "
	    "VALUES (?, ?, ?, ?, ?, ?)", &s)) != STORE_OK)
		goto out;
	bind_int64(st, s, 1, id, &rc);
	bind_ts(st, s, 2, now, &rc);
	bind_text(st, s, 3, actor_or_default(actor), &rc);
	bind_text(st, s, 4, from_queue, &rc);
	bind_text(st, s, 5, to_queue, &rc);
	bind_text(st, s, 6, why, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "release insert", NULL)) != STORE_OK)
		goto out;
	buf_printf(&detail, "source=%s; ref=%s; from=%s; to=%s; reason=%s; "
	    "notice=%s", d.source, d.source_ref, from_queue, to_queue, why,
	    notice != NULL ? "yes" : "no");
	rc = message_audit(st, id, "message.release", &detail, actor, now);
	if (rc == STORE_OK && notice != NULL)
		rc = store_notice_queue(st, id, notice, actor, now);
out:
	rc = store_tx_end(st, rc);
done:
	store_decision_free(&d);
	free(why);
	buf_free(&detail);
	return rc;
}
