/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sql - what every file of the store uses to speak to sqlite (see
 * store_priv.h): the error message, the statement cache, the checked
 * binds and columns, and the transactions.  Apart from store.c, which
 * opens the store and holds the list of its schema's migrations, the
 * part that grows.
 *
 * Ownership: the store owns its error message and its statements; col_str
 * and col_str0 return copies the caller frees.  Failure: a status from
 * enum store_status, message in store_errmsg().
 */
#include "store_priv.h"

#include <stdarg.h>
#include <string.h>

#include <sqlite3.h>

#include "balp/date.h"

/* ---- errors ----------------------------------------------------------- */

static int vseterr(struct store *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static int
vseterr(struct store *st, int status, const char *fmt, va_list ap)
{
	buf_reset(&st->err);
	st->err.failed = 0;
	buf_vprintf(&st->err, fmt, ap);
	return status;
}

int
store_seterr(struct store *st, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vseterr(st, status, fmt, ap);
	va_end(ap);
	return status;
}

int
store_sqlerr(struct store *st, const char *what)
{
	return store_seterr(st, STORE_ERROR, "sqlite: %s (%s)",
	    sqlite3_errmsg(st->db), what);
}

int
store_oom(struct store *st)
{
	return store_seterr(st, STORE_ERROR, "out of memory");
}

const char *
store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return buf_str(&st->err);
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

/* ---- the statement cache ---------------------------------------------- */

/*
 * Re-preparing every statement was a third of the instructions spent per
 * message; a prepared statement lives as long as the connection instead.
 * PERSISTENT tells sqlite it will be kept, so it allocates it accordingly.
 * After a schema change (a migration, another process) sqlite prepares it
 * again by itself on the next step.
 */
int
stmt_get(struct store *st, enum stmt_id id, const char *sql,
    sqlite3_stmt **out)
{
	sqlite3_stmt *s;

	*out = NULL;
	if ((unsigned)id >= STMT_COUNT)
		return store_seterr(st, STORE_ERROR, "statement cache: no "
		    "slot %d", (int)id);
	if ((s = st->stmt[id]) != NULL) {
		/* Two statements given one slot would answer each other. */
		if (st->stmt_sql[id] != sql && strcmp(st->stmt_sql[id], sql))
			return store_seterr(st, STORE_ERROR, "statement "
			    "cache: slot %d holds another statement", (int)id);
		/* Still stepping: a stmt_done is missing, or a nested use. */
		if (sqlite3_stmt_busy(s))
			return store_seterr(st, STORE_ERROR, "statement "
			    "cache: slot %d is in use", (int)id);
		*out = s;
		return STORE_OK;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
	    NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_sqlerr(st, "prepare");
	}
	st->stmt[id] = s;
	st->stmt_sql[id] = sql;
	*out = s;
	return STORE_OK;
}

void
stmt_done(sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	/* reset's code repeats the step's error, handled by the caller. */
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
}

int
step_done(struct store *st, sqlite3_stmt *s, const char *what, int *changes)
{
	int rc;

	rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK :
	    store_sqlerr(st, what);
	if (rc == STORE_OK && changes != NULL)
		*changes = sqlite3_changes(st->db);
	stmt_done(s);
	return rc;
}

void
stmt_finalize_all(struct store *st)
{
	size_t i;

	for (i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
		st->stmt_sql[i] = NULL;
	}
}

/* ---- checked binds and columns ---------------------------------------- */

static void
bind_check(struct store *st, sqlite3_stmt *s, int i, int code, int *rc)
{
	/* The statement's text, never the value: it may be a name. */
	if (code != SQLITE_OK)
		*rc = store_seterr(st, STORE_ERROR, "sqlite: %s (binding "
		    "parameter %d of '%.40s...')", sqlite3_errstr(code), i,
		    sqlite3_sql(s));
}

void
bind_text(struct store *st, sqlite3_stmt *s, int i, const char *v, int *rc)
{
	if (*rc != STORE_OK)
		return;
	bind_check(st, s, i, v == NULL ? sqlite3_bind_null(s, i) :
	    sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT), rc);
}

void
bind_int64(struct store *st, sqlite3_stmt *s, int i, int64_t v, int *rc)
{
	if (*rc != STORE_OK)
		return;
	bind_check(st, s, i, sqlite3_bind_int64(s, i, (sqlite3_int64)v), rc);
}

void
bind_null(struct store *st, sqlite3_stmt *s, int i, int *rc)
{
	if (*rc != STORE_OK)
		return;
	bind_check(st, s, i, sqlite3_bind_null(s, i), rc);
}

void
bind_date(struct store *st, sqlite3_stmt *s, int i, int32_t day, int *rc)
{
	char d[11];

	if (*rc != STORE_OK)
		return;
	if (day == DATE_NONE) {
		bind_check(st, s, i, sqlite3_bind_null(s, i), rc);
		return;
	}
	date_format_iso(day, d);
	bind_check(st, s, i, sqlite3_bind_text(s, i, d, 10, SQLITE_TRANSIENT),
	    rc);
}

void
bind_ts(struct store *st, sqlite3_stmt *s, int i, time_t t, int *rc)
{
	char ts[21];

	if (*rc != STORE_OK)
		return;
	store_timestamp(t, ts);
	bind_check(st, s, i, sqlite3_bind_text(s, i, ts, -1,
	    SQLITE_TRANSIENT), rc);
}

int32_t
col_date(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	int32_t d;

	if (t == NULL || date_parse_iso(t, &d) == -1)
		return DATE_NONE;
	return d;
}

char *
col_str(sqlite3_stmt *s, int i, int *fail)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	char *p;

	if (t == NULL)
		return NULL;
	if ((p = buf_strndup(t, (size_t)sqlite3_column_bytes(s, i))) == NULL)
		*fail = 1;
	return p;
}

char *
col_str0(sqlite3_stmt *s, int i, int *fail)
{
	char *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		if ((p = buf_strdup("")) == NULL)
			*fail = 1;
		return p;
	}
	return col_str(s, i, fail);
}

/* ---- transactions ----------------------------------------------------- */

/* Runs a cached statement that returns no row (BEGIN, COMMIT...). */
static int
run(struct store *st, enum stmt_id id, const char *sql, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, id, sql, &s)) != STORE_OK)
		return rc;
	return step_done(st, s, what, NULL);
}

int
store_tx_begin(struct store *st)
{
	int rc;

	st->head_known = 0;
	/* IMMEDIATE: the write lock before the first read (quota, chain). */
	if ((rc = run(st, STMT_BEGIN, "BEGIN IMMEDIATE", "begin"))
	    != STORE_OK && !sqlite3_get_autocommit(st->db))
		store_tx_rollback(st);
	return rc;
}

int
store_tx_commit(struct store *st)
{
	int rc;

	st->head_known = 0;
	store_audit_key_drop(st);
	if ((rc = run(st, STMT_COMMIT, "COMMIT", "commit")) != STORE_OK)
		store_tx_rollback(st);
	return rc;
}

void
store_tx_rollback(struct store *st)
{
	sqlite3_stmt *s = st->stmt[STMT_ROLLBACK];

	st->head_known = 0;
	store_audit_key_drop(st);
	/* After some errors sqlite already rolled back: nothing to undo. */
	if (sqlite3_get_autocommit(st->db))
		return;
	/*
	 * Prepared at open: preparing here could fail and replace the
	 * message of the error being rolled back.
	 */
	if (s != NULL) {
		(void)sqlite3_step(s);
		stmt_done(s);
	} else {
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

int
store_tx_end(struct store *st, int rc)
{
	if (rc == STORE_OK)
		return store_tx_commit(st);
	store_tx_rollback(st);
	return rc;
}

int
store_tx_required(struct store *st, const char *what)
{
	if (sqlite3_get_autocommit(st->db))
		return store_seterr(st, STORE_ERROR, "%s: no transaction is "
		    "open", what);
	return STORE_OK;
}
