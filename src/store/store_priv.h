/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_priv - what the store's files (store*.c, annex.c) share and nobody
 * else may use: struct store and its statement cache, errors, transactions,
 * the audit append, the bind and column helpers, the quota rule, and person
 * writes without their own transaction (the annex import is ONE
 * transaction).
 *
 * Not installed in include/: these calls break the store's rule "every
 * public write is its own transaction with its audit row" unless the caller
 * keeps it (begin, write, audit, commit).
 */
#ifndef BALP_STORE_PRIV_H
#define BALP_STORE_PRIV_H

#include <sys/types.h>

#include <sqlite3.h>

#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_partner.h"

/*
 * One slot of the statement cache per SQL statement of the store, grouped
 * by the file that owns it.  The SQL text stays at its call site, beside
 * the binds and columns that depend on it (docs/store.md).
 */
enum stmt_id {
	/* store.c, store_sql.c */
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_USER_VERSION,
	/* store_audit.c */
	STMT_AUDIT_HEAD,
	STMT_AUDIT_INSERT,
	STMT_AUDIT_ALL,
	STMT_AUDIT_MARK,
	STMT_AUDIT_LIST,
	STMT_AUDIT_OF,
	/* store_partner.c */
	STMT_PARTNER_GET,
	STMT_PARTNER_LIST,
	STMT_PARTNER_INSERT,
	STMT_PARTNER_SET_END,
	STMT_PARTNER_SET_SUSPENDED,
	STMT_PARTNER_SET_QUOTA,
	STMT_PERSON_LIST,
	STMT_PERSON_LIST_PARTNER,
	STMT_PERSON_BY_EMAIL,
	STMT_PERSON_INSERT,
	STMT_PERSON_UPDATE,
	STMT_PERSON_SET_END,
	STMT_PERSON_SET_SUSPENDED,
	STMT_SUSPENSION_LAST,
	STMT_SUSPENSION_OPEN,
	STMT_SUSPENSION_CLOSE,
	STMT_SUSPENSION_LIST,
	STMT_PARTNER_SUSPENSION_LAST,
	STMT_PARTNER_SUSPENSION_OPEN,
	STMT_PARTNER_SUSPENSION_CLOSE,
	STMT_OUTBOX_CAP_FREE,
	STMT_OUTBOX_GET,
	STMT_OUTBOX_DEFER,
	STMT_OUTBOX_ALL,
	STMT_OUTBOX_RESEND,
	STMT_QUOTA_ENDS,
	STMT_HABILITATIONS,
	STMT_PERIOD_INSERT,
	STMT_PERIOD_SET_LATEST,
	STMT_PARTNER_UPDATE,
	/* store_referent.c */
	STMT_REFERENT_LIST,
	STMT_REFERENT_INSERT,
	STMT_REFERENT_DELETE,
	STMT_REFERENT_PARTNERS,
	/* store_decision.c */
	STMT_DECISION_INSERT,
	STMT_DECISION_FIND,
	STMT_DECISION_FIND_MANY,
	STMT_DECISION_FIND_BY_KEY,
	STMT_DECISION_LIST,
	STMT_DECISION_LIST_PERIOD,
	STMT_OUTBOX_INSERT,
	STMT_OUTBOX_PENDING,
	STMT_OUTBOX_GET_PENDING,
	STMT_OUTBOX_SENT,
	STMT_OUTBOX_FAILED,
	STMT_OUTBOX_SENT_SINCE,
	STMT_DECISION_GET,
	STMT_FINDINGS_INSERT,
	STMT_ENVELOPE_INSERT,
	STMT_FINDINGS_GET,
	STMT_MESSAGE_FIND,
	STMT_SUPERSEDED_BY,
	STMT_RETRIAGE_GET,
	STMT_RETRIAGE_INSERT,
	STMT_RETRIAGE_DELETE,
	STMT_RELEASE_LIST,
	STMT_RELEASE_INSERT,
	STMT_AUDIT_LEGACY,
	STMT_AUDIT_PURGE_IDS,
	STMT_AUDIT_PURGE_EMPTY,
	STMT_AUDIT_PURGE_KEPT,
	STMT_AUDIT_LAST,
	/* store_queue.c */
	STMT_QUEUE_STATUS,
	STMT_QUEUE_NAMES,
	STMT_QUEUE_MOVED,
	STMT_QUEUE_COUNT,
	STMT_QUEUE_RECENT,
	STMT_QUEUE_OLDEST,
	STMT_QUEUE_OVERDUE,
	/* store_partner.c: the yearly review */
	STMT_REVIEW_PERSONS,
	STMT_REVIEW_PERSONS_PARTNER,
	/* store_user.c */
	STMT_USER_INSERT,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_USER_SET_HASH,
	STMT_USER_DISABLE,
	STMT_USER_HASH,

	STMT_STAGED_INSERT,
	STMT_STAGED_ROW_INSERT,
	STMT_STAGED_LIST,
	STMT_STAGED_LIST_PENDING,
	STMT_STAGED_GET,
	STMT_STAGED_ROWS,
	STMT_STAGED_DECIDE,
	STMT_STAGED_PENDING_OF,
	STMT_STAGED_CHANGE_INSERT,
	STMT_STAGED_CHANGES,
	/* store_session.c */
	STMT_SESSION_INSERT,
	STMT_SESSION_GET,
	STMT_SESSION_TOUCH,
	STMT_SESSION_DELETE,
	STMT_SESSION_LOCKOUT,
	STMT_SESSION_SET_LOCKOUT,
	STMT_SESSION_EXPIRED,
	STMT_SESSION_OF_USER,
	/* store_outbox.c: the console's counts and a decision's notices */
	STMT_OUTBOX_COUNT,
	STMT_OUTBOX_OF,
	STMT_COUNT
};

struct store {
	sqlite3		*db;
	struct buf	 err;
	/* Prepared on first use, reset after each, finalized at close. */
	sqlite3_stmt	*stmt[STMT_COUNT];
	const char	*stmt_sql[STMT_COUNT];
	/*
	 * The audit chain's head (last id and hash), read once per write
	 * transaction: BEGIN IMMEDIATE holds the write lock, so nobody else
	 * can append until COMMIT or ROLLBACK, which forget it.
	 */
	int		 head_known;
	int		 head_keyed;	/* the head row was hashed with the key */
	int64_t		 head_id;
	char		 head_hash[STORE_HASH_HEX_LEN + 1];
	/*
	 * The audit key.  From a file (store_audit_key_load): read when a
	 * write transaction first appends, or when a check starts, and wiped
	 * at COMMIT, ROLLBACK or the check's end (audit_key_held says it is
	 * in audit_key now).  Given as bytes (store_audit_key): kept, wiped
	 * at close.
	 */
	int		 has_audit_key;
	int		 audit_key_held;
	char		*audit_key_path;	/* NULL: given as bytes */
	gid_t		 audit_key_gid;
	unsigned char	 audit_key[STORE_AUDIT_KEY_LEN];
};

sqlite3	*store_db(struct store *);

/* Sets the message; returns status (for `return store_seterr(...)`). */
int	 store_seterr(struct store *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "sqlite: <message> (<what>)"; returns STORE_ERROR. */
int	 store_sqlerr(struct store *, const char *what);
/* "out of memory"; returns STORE_ERROR. */
int	 store_oom(struct store *);

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK.  A failed commit rolls back.
 * Rollback never fails visibly and leaves store_errmsg() as it was.
 */
int	 store_tx_begin(struct store *);
int	 store_tx_commit(struct store *);
void	 store_tx_rollback(struct store *);
/* Ends a write: commit if rc is STORE_OK, else roll back; returns rc. */
int	 store_tx_end(struct store *, int rc);
/* STORE_ERROR with a message unless a transaction is open. */
int	 store_tx_required(struct store *, const char *what);
/*
 * Wipes the audit key when it was read from its file (store_audit.c);
 * store_tx_commit and store_tx_rollback call it.
 */
void	 store_audit_key_drop(struct store *);

/*
 * The cached statement `id`, prepared from sql (a string literal: the
 * cache keeps the pointer) on first use.  Hand it back with stmt_done()
 * on every path, which resets it and clears its bindings.  STORE_ERROR if
 * it cannot be prepared, if id was first prepared from another text, or
 * if it is still in use (a missing stmt_done).
 */
int	 stmt_get(struct store *, enum stmt_id id, const char *sql,
	    sqlite3_stmt **out);
void	 stmt_done(sqlite3_stmt *);
/* Finalizes every cached statement (store_close). */
void	 stmt_finalize_all(struct store *);
/*
 * Steps a bound write statement to its end and hands it back; STORE_OK or
 * the sqlite error (what names the statement in the message).  *changes
 * (may be NULL) gets the rows it changed.
 */
int	 step_done(struct store *, sqlite3_stmt *, const char *what,
	    int *changes);

/*
 * Checked binds.  A bind fails on a value too big or out of memory, and
 * the parameter then stays NULL: unchecked, a row would be stored without
 * its value.  Sticky, as buf.h's `failed`: each does nothing once *rc is
 * not STORE_OK and sets it (with the message) on failure, so a run of
 * binds is checked once, after the last.
 */
void	 bind_text(struct store *, sqlite3_stmt *, int, const char *v,
	    int *rc);		/* NULL v binds SQL NULL */
void	 bind_int64(struct store *, sqlite3_stmt *, int, int64_t, int *rc);
void	 bind_null(struct store *, sqlite3_stmt *, int, int *rc);
void	 bind_date(struct store *, sqlite3_stmt *, int, int32_t day,
	    int *rc);		/* DATE_NONE binds SQL NULL */
void	 bind_ts(struct store *, sqlite3_stmt *, int, time_t, int *rc);

/* DATE_NONE for SQL NULL or a text that is no date. */
int32_t	 col_date(sqlite3_stmt *, int);
/*
 * A copy of a text column (caller frees); NULL for SQL NULL; *fail set
 * to 1 on ENOMEM.
 */
char	*col_str(sqlite3_stmt *, int, int *fail);
/* Like col_str but "" for SQL NULL (caller frees). */
char	*col_str0(sqlite3_stmt *, int, int *fail);

/* NULL, "" or only spaces, tabs, CR, LF. */
int	 is_blank(const char *);
/*
 * 64 lower-case hex digits and nothing after: a NIR pseudonym
 * (store_decision.c).
 */
int	 store_is_hex64(const char *);
/* The local day of t, as balpctl and balpd count days (store_suspension.c). */
int32_t	 store_local_day(time_t t);
/* text_clean of a C string (NULL is ""); caller frees; NULL on ENOMEM. */
char	*clean(const char *);
/*
 * Trimmed, ASCII lower-cased copy (a lookup key, not validated); caller
 * frees; NULL on ENOMEM.
 */
char	*lower_trim(const char *);
/* actor, or "unknown" when NULL or "". */
const char *actor_or_default(const char *);

/*
 * A notice about decision_id in the outbox, with its audit row
 * (notice.queue), inside the caller's transaction.
 */
struct store_notice;
/*
 * The rows of a prepared outbox query (columns id, decision_id,
 * created_at, recipient, subject, body, status, attempts,
 * next_attempt_at, last_error) appended to out; the statement is done
 * with.  STORE_OK, or an error with out freed.
 */
struct store_outbox_list;
int	 store_outbox_read(struct store *, sqlite3_stmt *, const char *what,
	    struct store_outbox_list *out);
int	 store_notice_queue(struct store *, int64_t decision_id,
	    const struct store_notice *, const char *actor, time_t now);

/* "YYYY-MM-DD", or "(none)" for DATE_NONE, into out (11 bytes). */
void	 store_date_text(int32_t day, char out[11]);

/*
 * Appends one chained audit row (kind "admin" or "decision"); STORE_ERROR
 * outside a write transaction.  store_audit.c.
 */
int	 store_audit_append(struct store *, const char *kind,
	    const char *actor, const char *action, const char *object,
	    const char *detail, time_t now);

/*
 * The audit side of a purge (store_purge.c), in the open transaction: the
 * keyed rows it destroys - kind "decision" rows and admin rows about a
 * decision written before traces_before, admin rows about the persons
 * whose habilitation ended before hab_before (both "YYYY-MM-DD") - are
 * counted into *rows, and unless dry_run emptied (their hashes stay, so
 * the chain still verifies) after one purge row (action audit.purge,
 * detail: `detail`, then the count, a digest of their ids and the hash of
 * the last of them).  *kept: rows from before the audit key it would
 * destroy but cannot (their hash covers their content).
 */
int	 store_audit_purge(struct store *, const char *traces_before,
	    const char *hab_before, const char *detail, int dry_run,
	    const char *actor, time_t now, int64_t *rows, int64_t *kept);

/*
 * The quota rule, the one place it is written (store_partner.c; the rule:
 * see store_person_add in store_partner.h).  STORE_REFUSED, with the
 * message, when more persons of pa would count on today than its quota:
 * the stored ones (none when replace: an exhaustive annex replaces them)
 * plus those whose habilitation ends are ends[0..n).
 */
int	 store_quota_check(struct store *, const struct store_partner *pa,
	    int32_t today, const int32_t *ends, size_t n, int replace);
/* *count: the persons of partner_id that count on today (the quota rule). */
int	 store_quota_count(struct store *, const char *partner_id,
	    int32_t today, size_t *count);
/* max_persons as stored: NULL for STORE_NO_QUOTA.  store_partner.c. */
void	 store_bind_quota(struct store *, sqlite3_stmt *, int, int max_persons,
	    int *rc);
/*
 * A partner's values as add and update check them
 * (store_partner_update.c): STORE_OK, or STORE_REFUSED with the message.
 * siret: 14 digits (spaces ignored) whose key is right, into out.  name:
 * no control character, *out a clean copy (caller frees).  referents:
 * n emails canonicalised into *out (store_strv_free(*out, n)).
 */
int	 store_partner_siret_check(struct store *, const char *id,
	    const char *in, char out[15]);
int	 store_partner_name_check(struct store *, const char *id,
	    const char *in, char **out);
int	 store_partner_referents_canon(struct store *, const char *id,
	    const char *const *in, size_t n, char ***out);
/* Frees v[0..n) and v; NULL is fine. */
void	 store_strv_free(char **v, size_t n);
/*
 * 1 if a habilitation ending on `end` (DATE_NONE: open) is not ended on
 * today (its last day is valid): the persons the quota counts.
 */
int	 store_person_counts(int32_t end, int32_t today);

/*
 * Person writes without transaction, audit nor quota: the caller checked
 * the values (clean names, canonical email, dates) and holds the
 * transaction.  NULL job_title = "".  store_partner_person.c.
 */
int	 store_person_insert(struct store *, const struct store_person_spec *,
	    time_t now, int64_t *id);
int	 store_person_update(struct store *, int64_t id, const char *last_name,
	    const char *first_name, const char *job_title, int32_t start,
	    int32_t end, time_t now);
int	 store_person_set_end(struct store *, int64_t id, int32_t end,
	    time_t now);
/*
 * The habilitation is a list of periods (table hab_periods); the person
 * row keeps the dates of the latest one.  insert opens the first period,
 * update and set_end change the latest, new_period opens another one
 * after the latest (the caller checked start > its end) and takes the
 * names the annex gives.
 */
int	 store_person_new_period(struct store *, int64_t id,
	    const char *last_name, const char *first_name,
	    const char *job_title, int32_t start, int32_t end, time_t now);

/*
 * The rows of the tables beside the chain against the audit rows that
 * recorded them (store_audit_records.c): 0 all agree, 1 the first that
 * does not in r (why, bad_id, record), -1 error (store_errmsg).  Only the
 * rows after the ids in after (decisions, outbox, retriages, releases;
 * NULL: every row); last (NULL: not wanted) gets the last id read in
 * each, or after's when none.
 */
struct store_audit_report;
int	 store_audit_check_records(struct store *,
	    struct store_audit_report *r,
	    const int64_t after[STORE_AUDIT_RECORD_TABLES],
	    int64_t last[STORE_AUDIT_RECORD_TABLES]);

/*
 * A partner's referent (email canonical), in the caller's transaction,
 * without audit row (partner add and update write it).  *added / *removed:
 * 1 if the row was written, 0 if it was there already / was not there.
 * store_referent.c.
 */
int	 store_referent_insert(struct store *, const char *partner_id,
	    const char *email, time_t now, int *added);
int	 store_referent_delete(struct store *, const char *partner_id,
	    const char *email, int *removed);

/*
 * Retention of the staged annexes (store_purge.c, store_audit.c; ?1 the
 * traces' cut-off day, as the purge binds it): a staged annex and the
 * decision of its mail are one record, kept while it is pending and
 * destroyed with the traces once it has been approved or rejected before
 * the cut-off (docs/annex-mail.md, "Retention").  The decision is kept
 * because approving or rejecting queues a notice about it.
 */
#define STAGED_KEPT_DECISIONS "(SELECT decision_id FROM staged_annexes " \
	"WHERE status = 'pending' OR decided_at >= ?1)"
#define STAGED_OLD "(SELECT id FROM staged_annexes WHERE status <> " \
	"'pending' AND decided_at < ?1)"

#endif
