/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store - the embedded sqlite store: opening it, its schema, its errors and
 * what every part of it shares.  The parts, one header each:
 *
 *   store_partner.h   partners, their conventions and quota, the annex
 *                     of habilitated persons, the lookup decide() uses
 *   store_decision.h  one decision row per message, the outbox of
 *                     notices, the group commit of a pass
 *   store_audit.h     ONE hash-chained audit table
 *
 * (docs/store.md says why it is cut this way.)
 *
 * Every write is one transaction that also appends its audit row, so the
 * store never holds a change without its trace nor a trace without its
 * change.  Nothing here reads the clock: callers pass `today` (a date.h day
 * number, the local civil day) and `now` (a time_t, written as UTC ISO 8601
 * timestamps).  Dates are stored as 'YYYY-MM-DD' text, NULL when absent.
 *
 * Never hand the store a NIR or a beneficiary name: decisions keep only the
 * keyed pseudonym (keyfile.h), and the store refuses anything in that field
 * that is not 64 hex digits.
 *
 * Errors: functions return a enum store_status.  On any non-OK status
 * store_errmsg() gives a one-line message (it names the partner, the email
 * or the value at fault; never a NIR).  The message stays valid until the
 * next call on the same store.
 *
 * Ownership: struct store is opaque; store_close() releases it.  Every
 * result struct filled by the store owns its strings; release it with the
 * matching *_free() function (which also accepts a zeroed struct and leaves
 * the struct zeroed, so freeing twice is harmless).  Input ("spec") structs
 * are only read during the call.
 *
 * Concurrency: one struct store per thread.  Several processes may open the
 * same file (WAL, busy timeout); write transactions take the write lock at
 * BEGIN so a read-then-write (quota, audit chain) cannot interleave.
 */
#ifndef BALP_STORE_H
#define BALP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"

struct store;

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,	/* the partner / person / row does not exist */
	STORE_ERROR = -1,	/* sqlite, I/O or allocation failure */
	STORE_REFUSED = -2,	/* breaks a rule: dates, quota, siret... */
	STORE_EXISTS = -3,	/* key taken: partner id, email, message */
};

#define STORE_HASH_HEX_LEN	64	/* audit hashes, pseudonyms */
#define STORE_AUDIT_KEY_LEN	32	/* the audit key (keyfile.h's format) */

/*
 * Opens (creating it with mode 0600 if missing) the database at path and
 * brings its schema to the current version.  On error *out is NULL and err
 * (may be NULL) holds the message.  The database is refused if its schema
 * is newer than this program.
 */
int		 store_open(const char *path, struct store **out,
		    struct buf *err);
/*
 * Opens an existing database read-only, for a command that must change
 * nothing (balpctl test): never created, never migrated.  STORE_REFUSED,
 * with "run `balpctl init` to upgrade it" in err, when its schema is not
 * this program's; STORE_ERROR when it cannot be opened.  Every write
 * through it fails.
 */
int		 store_open_readonly(const char *path, struct store **out,
		    struct buf *err);
/* Finalizes every cached statement and closes the connection. */
void		 store_close(struct store *);
/* The message of the last failure on this store; "" if none.  Owned. */
const char	*store_errmsg(const struct store *);
/* PRAGMA user_version after migration, or -1. */
int		 store_schema_version(struct store *);
/* The version this program migrates to. */
int		 store_schema_latest(void);

/*
 * "  A.Martin@X.fr " -> "a.martin@x.fr" in *out (caller frees) if it looks
 * like local@domain.tld: printable ASCII, no space, one '@', a dot inside
 * the domain, no empty label.  Returns 0, STORE_REFUSED (*out NULL) for a
 * bad address, STORE_ERROR on allocation failure.
 */
int	 store_email_canon(const char *in, char **out);

/*
 * Why this process cannot use path (the database, a key), after stat() or
 * open() failed on it with errnum.  ENOENT: 0, nothing written (the
 * caller says what is missing).  Otherwise 1, and err gets one line:
 * for EACCES or EPERM "permission denied: " and the first folder of the
 * path this user cannot enter (or the file itself), its mode and group,
 * then who may (the members of admin_group, or the owner when it is
 * NULL); for anything else "PATH: strerror".  A store that exists but is
 * closed to the user must not read as "no store: run init".
 */
int	 store_access_explain(const char *path, int errnum,
	    const char *admin_group, struct buf *err);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) for t into out (21 bytes). */
void	 store_timestamp(time_t t, char out[21]);

#endif
