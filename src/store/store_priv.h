/*
 * store_priv - what the store's files share and nobody else may use: the
 * connection, the transaction calls, the audit append, the bind and column
 * helpers, and person writes without their own transaction (the annex
 * import, annex.c, is ONE transaction).
 *
 * Not installed in include/: these calls break the store's rule "every
 * public write is its own transaction with its audit row" unless the caller
 * keeps it (begin, write, audit, commit).
 */
#ifndef BALP_STORE_PRIV_H
#define BALP_STORE_PRIV_H

#include <sqlite3.h>

#include "balp/store.h"
#include "balp/store_partner.h"

struct store {
	sqlite3		*db;
	struct buf	 err;
};

sqlite3	*store_db(struct store *);

/* Sets the message; returns status (for `return store_seterr(...)`). */
int	 store_seterr(struct store *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "sqlite: <message> (<what>)"; returns STORE_ERROR. */
int	 store_sqlerr(struct store *, const char *what);
/* "out of memory"; returns STORE_ERROR. */
int	 oom(struct store *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Rollback never fails visibly. */
int	 store_tx_begin(struct store *);
int	 store_tx_commit(struct store *);
void	 store_tx_rollback(struct store *);
/* Ends a write: commit if rc is STORE_OK, else roll back; returns rc. */
int	 tx_end(struct store *, int rc);

int	 prep(struct store *, sqlite3_stmt **, const char *sql);
/* Steps a bound write statement and finalizes it; STORE_OK or error. */
int	 step_done(struct store *, sqlite3_stmt *, const char *what);
int	 bind_text(sqlite3_stmt *, int, const char *);
int	 bind_date(sqlite3_stmt *, int, int32_t);
int	 bind_ts(sqlite3_stmt *, int, time_t);
int32_t	 col_date(sqlite3_stmt *, int);
/* A copy of a text column (caller frees); NULL for SQL NULL; *fail = 1 on ENOMEM. */
char	*col_str(sqlite3_stmt *, int, int *fail);
/* Like col_str but "" for SQL NULL. */
char	*col_str0(sqlite3_stmt *, int, int *fail);

int	 is_blank(const char *);
/* text_clean of a C string (NULL is ""); caller frees; NULL on ENOMEM. */
char	*clean(const char *);
/* Trimmed, ASCII lower-cased copy (caller frees); NULL on ENOMEM. */
char	*lower_trim(const char *);
const char *actor_or_default(const char *);

/* Appends one chained audit row; must run inside a transaction. */
int	 store_audit_append(struct store *, const char *kind,
	    const char *actor, const char *action, const char *object,
	    const char *detail, time_t now);

/*
 * Person writes without transaction, audit nor quota: the caller checked
 * the values (clean names, canonical email, dates) and holds the
 * transaction.  NULL job_title = "".
 */
int	 store_person_insert(struct store *, const struct store_person_spec *,
	    time_t now, int64_t *id);
int	 store_person_update(struct store *, int64_t id, const char *last_name,
	    const char *first_name, const char *job_title, int32_t start,
	    int32_t end, time_t now);
int	 store_person_set_end(struct store *, int64_t id, int32_t end,
	    time_t now);

/* "YYYY-MM-DD", or "(none)" for DATE_NONE, into out (11 bytes). */
void	 store_date_text(int32_t day, char out[11]);

#endif
