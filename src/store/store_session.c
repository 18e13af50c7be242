/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_session - the console's sessions and failed logins (see
 * include/balp/store_session.h).
 *
 * Ownership: a struct store_session owns its strings.  The lockout's
 * times are read and written as the users table keeps them (UTC
 * timestamps); sqlite's strftime('%s') turns them into seconds.
 */
#include "balp/store_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/store_user.h"
#include "store_priv.h"

void
store_session_free(struct store_session *s)
{
	free(s->login);
	free(s->name);
	free(s->role);
	memset(s, 0, sizeof(*s));
}

/* 1 if h is 64 lower-case hex digits: what a session's hash is. */
static int
hash_ok(const char *h)
{
	size_t i;

	if (h == NULL || strlen(h) != STORE_HASH_HEX_LEN)
		return 0;
	for (i = 0; i < STORE_HASH_HEX_LEN; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return 1;
}

static int
bad_hash(struct store *st)
{
	return store_seterr(st, STORE_REFUSED, "a session is named by 64 hex "
	    "digits");
}

int
store_session_get(struct store *st, const char *id_hash,
    struct store_session *out)
{
	sqlite3_stmt *s;
	int rc, step, fail = 0;

	memset(out, 0, sizeof(*out));
	if (!hash_ok(id_hash))
		return bad_hash(st);
	if ((rc = stmt_get(st, STMT_SESSION_GET, "SELECT u.login, u.name, "
	    "u.role, u.must_change, u.disabled, s.created_at, s.seen_at FROM "
	    "sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
	    &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, id_hash, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			out->login = col_str0(s, 0, &fail);
			out->name = col_str0(s, 1, &fail);
			out->role = col_str0(s, 2, &fail);
			out->must_change = sqlite3_column_int(s, 3) != 0;
			out->disabled = sqlite3_column_int(s, 4) != 0;
			out->created = (time_t)sqlite3_column_int64(s, 5);
			out->seen = (time_t)sqlite3_column_int64(s, 6);
			if (fail) {
				store_session_free(out);
				rc = store_oom(st);
			}
		} else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no such session");
		else
			rc = store_sqlerr(st, "session get");
	}
	stmt_done(s);
	return rc;
}

int
store_session_create(struct store *st, const char *id_hash,
    const char *login, const char *actor, time_t now)
{
	struct store_user u;
	struct store_session old;
	sqlite3_stmt *s;
	int rc;

	memset(&u, 0, sizeof(u));
	if (!hash_ok(id_hash))
		return bad_hash(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	rc = store_session_get(st, id_hash, &old);
	if (rc == STORE_OK) {
		store_session_free(&old);
		rc = store_seterr(st, STORE_EXISTS, "session exists already");
	} else if (rc == STORE_NOTFOUND)
		rc = store_user_get(st, login, &u);
	if (rc == STORE_OK && (rc = stmt_get(st, STMT_SESSION_INSERT,
	    "INSERT INTO sessions (id_hash, user_id, created_at, seen_at) "
	    "VALUES (?, ?, ?, ?)", &s)) == STORE_OK) {
		bind_text(st, s, 1, id_hash, &rc);
		bind_int64(st, s, 2, u.id, &rc);
		bind_int64(st, s, 3, (int64_t)now, &rc);
		bind_int64(st, s, 4, (int64_t)now, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "session insert", NULL);
	}
	if (rc == STORE_OK && (rc = stmt_get(st, STMT_SESSION_SET_LOCKOUT,
	    "UPDATE users SET failures = ?, failures_since = ?, locked_until "
	    "= ? WHERE id = ?", &s)) == STORE_OK) {
		bind_int64(st, s, 1, 0, &rc);
		bind_null(st, s, 2, &rc);
		bind_null(st, s, 3, &rc);
		bind_int64(st, s, 4, u.id, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "session lockout clear", NULL);
	}
	if (rc == STORE_OK)
		rc = store_audit_append(st, "admin", actor_or_default(actor),
		    "user.login", u.login, "", now);
	rc = store_tx_end(st, rc);
	store_user_free(&u);
	return rc;
}

int
store_session_touch(struct store *st, const char *id_hash, time_t now)
{
	sqlite3_stmt *s;
	int rc, changes = 0;

	if (!hash_ok(id_hash))
		return bad_hash(st);
	if ((rc = stmt_get(st, STMT_SESSION_TOUCH, "UPDATE sessions SET "
	    "seen_at = ? WHERE id_hash = ?", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, (int64_t)now, &rc);
	bind_text(st, s, 2, id_hash, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "session touch", &changes)) == STORE_OK &&
	    changes == 0)
		rc = store_seterr(st, STORE_NOTFOUND, "no such session");
	return rc;
}

int
store_session_end(struct store *st, const char *id_hash, const char *why,
    const char *actor, time_t now)
{
	struct store_session cur;
	sqlite3_stmt *s;
	int rc;

	memset(&cur, 0, sizeof(cur));
	if (!hash_ok(id_hash))
		return bad_hash(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_session_get(st, id_hash, &cur)) == STORE_OK &&
	    (rc = stmt_get(st, STMT_SESSION_DELETE, "DELETE FROM sessions "
	    "WHERE id_hash = ?", &s)) == STORE_OK) {
		bind_text(st, s, 1, id_hash, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "session delete", NULL);
	}
	if (rc == STORE_OK)
		rc = store_audit_append(st, "admin", actor_or_default(actor),
		    "user.logout", cur.login, why != NULL ? why : "logout",
		    now);
	rc = store_tx_end(st, rc);
	store_session_free(&cur);
	return rc;
}

/* The (hash, login) pairs a prepared statement selects, appended. */
struct ended {
	char	**hash;
	char	**login;
	size_t	  n;
	size_t	  cap;
};

static void
ended_free(struct ended *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->hash[i]);
		free(e->login[i]);
	}
	free(e->hash);
	free(e->login);
	memset(e, 0, sizeof(*e));
}

static int
ended_read(struct store *st, sqlite3_stmt *s, const char *what,
    struct ended *e)
{
	size_t cap;
	int rc = STORE_OK, step, fail = 0;
	char **h, **l;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (e->n == e->cap) {
			cap = e->cap == 0 ? 8 : e->cap * 2;
			if ((h = realloc(e->hash, cap * sizeof(*h))) == NULL)
				break;
			e->hash = h;
			if ((l = realloc(e->login, cap * sizeof(*l))) == NULL)
				break;
			e->login = l;
			e->cap = cap;
		}
		e->hash[e->n] = col_str0(s, 0, &fail);
		e->login[e->n] = col_str0(s, 1, &fail);
		e->n++;
		if (fail)
			break;
	}
	if (step == SQLITE_ROW || fail)
		rc = store_oom(st);
	else if (step != SQLITE_DONE)
		rc = store_sqlerr(st, what);
	stmt_done(s);
	return rc;
}

/* Deletes the sessions of e, one user.logout row each; in a transaction. */
static int
ended_apply(struct store *st, const struct ended *e, const char *why,
    const char *actor, time_t now)
{
	sqlite3_stmt *s;
	char owner[STORE_USER_LOGIN_MAX + 8];
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < e->n && rc == STORE_OK; i++) {
		if ((rc = stmt_get(st, STMT_SESSION_DELETE, "DELETE FROM "
		    "sessions WHERE id_hash = ?", &s)) != STORE_OK)
			break;
		bind_text(st, s, 1, e->hash[i], &rc);
		if (rc != STORE_OK) {
			stmt_done(s);
			break;
		}
		if ((rc = step_done(st, s, "session delete", NULL)) !=
		    STORE_OK)
			break;
		snprintf(owner, sizeof(owner), "web:%s", e->login[i]);
		rc = store_audit_append(st, "admin", actor != NULL ? actor :
		    owner, "user.logout", e->login[i], why, now);
	}
	return rc;
}

int
store_session_expire(struct store *st, time_t seen_before,
    time_t created_before, time_t now, size_t *ended)
{
	struct ended e;
	sqlite3_stmt *s;
	int rc;

	memset(&e, 0, sizeof(e));
	if (ended != NULL)
		*ended = 0;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = stmt_get(st, STMT_SESSION_EXPIRED, "SELECT s.id_hash, "
	    "u.login FROM sessions s JOIN users u ON u.id = s.user_id WHERE "
	    "s.seen_at < ? OR s.created_at < ? ORDER BY s.created_at", &s)) ==
	    STORE_OK) {
		bind_int64(st, s, 1, (int64_t)seen_before, &rc);
		bind_int64(st, s, 2, (int64_t)created_before, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = ended_read(st, s, "sessions expired", &e);
	}
	if (rc == STORE_OK)
		rc = ended_apply(st, &e, "expired", NULL, now);
	rc = store_tx_end(st, rc);
	if (rc == STORE_OK && ended != NULL)
		*ended = e.n;
	ended_free(&e);
	return rc;
}

int
store_session_end_user(struct store *st, const char *login,
    const char *keep_hash, const char *why, const char *actor, time_t now,
    size_t *ended)
{
	struct ended e;
	sqlite3_stmt *s;
	int rc;

	memset(&e, 0, sizeof(e));
	if (ended != NULL)
		*ended = 0;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = stmt_get(st, STMT_SESSION_OF_USER, "SELECT s.id_hash, "
	    "u.login FROM sessions s JOIN users u ON u.id = s.user_id WHERE "
	    "u.login = ? AND s.id_hash IS NOT ? ORDER BY s.created_at", &s)) ==
	    STORE_OK) {
		bind_text(st, s, 1, login, &rc);
		bind_text(st, s, 2, keep_hash, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = ended_read(st, s, "sessions of a user", &e);
	}
	if (rc == STORE_OK)
		rc = ended_apply(st, &e, why, actor_or_default(actor), now);
	rc = store_tx_end(st, rc);
	if (rc == STORE_OK && ended != NULL)
		*ended = e.n;
	ended_free(&e);
	return rc;
}

/* login's row id and lockout state; STORE_NOTFOUND. */
static int
lockout_read(struct store *st, const char *login, int64_t *id,
    char **canon, struct lockout *out)
{
	sqlite3_stmt *s;
	int rc, step, fail = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_SESSION_LOCKOUT, "SELECT id, login, "
	    "failures, coalesce(CAST(strftime('%s', failures_since) AS "
	    "INTEGER), 0), coalesce(CAST(strftime('%s', locked_until) AS "
	    "INTEGER), 0) FROM users WHERE login = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, login, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			*id = sqlite3_column_int64(s, 0);
			if (canon != NULL &&
			    (*canon = col_str0(s, 1, &fail)) == NULL)
				rc = store_oom(st);
			out->failures = sqlite3_column_int(s, 2);
			out->first = (time_t)sqlite3_column_int64(s, 3);
			out->locked_until = (time_t)sqlite3_column_int64(s, 4);
		} else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no console "
			    "account '%s'", login);
		else
			rc = store_sqlerr(st, "user lockout");
	}
	stmt_done(s);
	return rc;
}

int
store_session_lockout(struct store *st, const char *login,
    struct lockout *out)
{
	int64_t id;

	return lockout_read(st, login, &id, NULL, out);
}

/* A timestamp, or SQL NULL for 0. */
static void
bind_ts0(struct store *st, sqlite3_stmt *s, int i, time_t t, int *rc)
{
	if (t == 0)
		bind_null(st, s, i, rc);
	else
		bind_ts(st, s, i, t, rc);
}

int
store_session_login_failed(struct store *st, const char *login,
    const char *why, const char *actor, time_t now, int *locked)
{
	struct lockout lo;
	sqlite3_stmt *s;
	char *canon = NULL, until[21], detail[40];
	int64_t id = 0;
	int rc, known;

	*locked = 0;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if (login == NULL || !store_user_login_valid(login))
		rc = STORE_NOTFOUND;
	else
		rc = lockout_read(st, login, &id, &canon, &lo);
	known = rc == STORE_OK;
	if (rc == STORE_NOTFOUND)
		rc = store_audit_append(st, "admin", actor_or_default(actor),
		    "user.login_failed", "", "unknown", now);
	else if (rc == STORE_OK) {
		if (strcmp(why, "locked") != 0 && !lockout_locked(&lo, now))
			*locked = lockout_fail(&lo, now);
		rc = stmt_get(st, STMT_SESSION_SET_LOCKOUT, "UPDATE users SET "
		    "failures = ?, failures_since = ?, locked_until = ? WHERE "
		    "id = ?", &s);
	}
	if (known && rc == STORE_OK) {
		bind_int64(st, s, 1, lo.failures, &rc);
		bind_ts0(st, s, 2, lo.first, &rc);
		bind_ts0(st, s, 3, lo.locked_until, &rc);
		bind_int64(st, s, 4, id, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "user lockout", NULL);
		if (rc == STORE_OK)
			rc = store_audit_append(st, "admin",
			    actor_or_default(actor), "user.login_failed", canon,
			    why, now);
		if (rc == STORE_OK && *locked) {
			store_timestamp(lo.locked_until, until);
			snprintf(detail, sizeof(detail), "until=%s", until);
			rc = store_audit_append(st, "admin",
			    actor_or_default(actor), "user.lock", canon, detail,
			    now);
		}
	}
	rc = store_tx_end(st, rc);
	if (rc != STORE_OK)
		*locked = 0;
	free(canon);
	return rc;
}
