/*
 * store_priv - what annex.c needs from store.c and nobody else may use: the
 * connection, the transaction calls, the audit append, and person writes
 * without their own transaction (the annex import is ONE transaction).
 *
 * Not installed in include/: these calls break the store's rule "every
 * public write is its own transaction with its audit row" unless the caller
 * keeps it (begin, write, audit, commit).
 */
#ifndef BALP_STORE_PRIV_H
#define BALP_STORE_PRIV_H

#include <sqlite3.h>

#include "balp/store.h"

sqlite3	*store_db(struct store *);

/* Sets the message; returns status (for `return store_seterr(...)`). */
int	 store_seterr(struct store *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "sqlite: <message> (<what>)"; returns STORE_ERROR. */
int	 store_sqlerr(struct store *, const char *what);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Rollback never fails visibly. */
int	 store_tx_begin(struct store *);
int	 store_tx_commit(struct store *);
void	 store_tx_rollback(struct store *);

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
