/*
 * store - the embedded sqlite store: partners and their conventions, the
 * annex of habilitated persons, one decision row per message, the outbox of
 * notices and ONE hash-chained audit table.
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
#include "balp/decide.h"
#include "balp/reason.h"

struct store;

enum store_status {
	STORE_OK = 0,
	STORE_NOTFOUND = 1,	/* the partner / person / row does not exist */
	STORE_ERROR = -1,	/* sqlite, I/O or allocation failure */
	STORE_REFUSED = -2,	/* breaks a rule: dates, quota, siret... */
	STORE_EXISTS = -3,	/* key taken: partner id, email, message */
};

#define STORE_NO_QUOTA		(-1)	/* max_persons: no quota */
#define STORE_HASH_HEX_LEN	64	/* audit hashes, pseudonyms */

/* ---- opening ---------------------------------------------------------- */

/*
 * Opens (creating it with mode 0600 if missing) the database at path and
 * brings its schema to the current version.  On error *out is NULL and err
 * (may be NULL) holds the message.  The database is refused if its schema
 * is newer than this program.
 */
int		 store_open(const char *path, struct store **out,
		    struct buf *err);
void		 store_close(struct store *);
/* The message of the last failure on this store; "" if none.  Owned. */
const char	*store_errmsg(const struct store *);
/* PRAGMA user_version after migration, or -1. */
int		 store_schema_version(struct store *);
/* The version this program migrates to. */
int		 store_schema_latest(void);

/* ---- partners --------------------------------------------------------- */

struct store_partner_spec {
	const char	*id;		/* the caller validated the slug */
	const char	*name;		/* required, trimmed */
	const char	*siret;		/* NULL or 14 digits, spaces ignored */
	int32_t		 start;		/* convention start; DATE_NONE = none */
	int32_t		 end;		/* convention end; DATE_NONE = open */
	int		 max_persons;	/* >= 0, or STORE_NO_QUOTA */
};

struct store_partner {
	char		*id;
	char		*name;
	char		*siret;		/* NULL if none */
	int32_t		 start;		/* DATE_NONE if none */
	int32_t		 end;		/* DATE_NONE = open */
	int		 suspended;
	char		*suspend_reason; /* NULL unless suspended */
	int		 max_persons;	/* STORE_NO_QUOTA if none */
	char		*created_at;	/* "YYYY-MM-DDTHH:MM:SSZ" */
};

struct store_partner_list {
	struct store_partner	*v;
	size_t			 n;
};

/*
 * Adds a partner.  STORE_EXISTS if the id is taken; STORE_REFUSED for an
 * empty id or name, a siret that is not 14 digits, end < start, or a
 * negative quota.  Audit: partner.add.
 */
int	 store_partner_add(struct store *, const struct store_partner_spec *,
	    const char *actor, time_t now);
/* STORE_OK and *out filled, STORE_NOTFOUND, or STORE_ERROR. */
int	 store_partner_get(struct store *, const char *id,
	    struct store_partner *out);
/* Every partner, ordered by id. */
int	 store_partner_list(struct store *, struct store_partner_list *out);
/*
 * Terminates the convention at `end` (inclusive; the last day in force).
 * Replaces any earlier end date.  STORE_REFUSED if end is before the
 * convention start (suspend the partner instead).  Audit: partner.end.
 */
int	 store_partner_end(struct store *, const char *id, int32_t end,
	    const char *actor, time_t now);
/*
 * Suspends at once, with a required reason; STORE_REFUSED if already
 * suspended.  Audit: partner.suspend.
 */
int	 store_partner_suspend(struct store *, const char *id,
	    const char *reason, const char *actor, time_t now);
/* STORE_REFUSED if not suspended.  Audit: partner.resume. */
int	 store_partner_resume(struct store *, const char *id,
	    const char *actor, time_t now);
/*
 * Sets or removes (STORE_NO_QUOTA) the quota.  Persons already habilitated
 * stay even if they now exceed it; the quota refuses the next add.
 * Audit: partner.quota.
 */
int	 store_partner_set_max_persons(struct store *, const char *id,
	    int max_persons, const char *actor, time_t now);
void	 store_partner_free(struct store_partner *);
void	 store_partner_list_free(struct store_partner_list *);

/* ---- persons (the annex) ---------------------------------------------- */

struct store_person_spec {
	const char	*partner_id;
	const char	*last_name;	/* required */
	const char	*first_name;	/* required */
	const char	*email;		/* required; trimmed, lower-cased */
	const char	*job_title;	/* NULL or "" if none */
	int32_t		 start;		/* required */
	int32_t		 end;		/* DATE_NONE = open */
};

struct store_person {
	int64_t		 id;
	char		*partner_id;
	char		*last_name;
	char		*first_name;
	char		*email;		/* lower case */
	char		*job_title;	/* "" if none */
	int32_t		 start;
	int32_t		 end;		/* DATE_NONE = open */
	int		 suspended;
	char		*suspend_reason; /* NULL unless suspended */
	char		*created_at;
	char		*updated_at;
};

struct store_person_list {
	struct store_person	*v;
	size_t			 n;
};

/*
 * Adds a person to a partner's annex.  STORE_NOTFOUND if the partner does
 * not exist; STORE_EXISTS if the partner already has that email;
 * STORE_REFUSED for a missing field, an email that is not local@domain.tld,
 * end < start, or the quota: when the partner has max_persons, its persons
 * habilitated on `today` or later (not ended before today, not suspended)
 * plus this one (if it is not itself ended before today) may not exceed it.
 * *id (may be NULL) gets the new row id.  Audit: person.add.
 */
int	 store_person_add(struct store *, const struct store_person_spec *,
	    int32_t today, const char *actor, time_t now, int64_t *id);
/*
 * The person with that email, on partner_id or, when partner_id is NULL,
 * on the only partner that has it.  STORE_NOTFOUND if none; STORE_REFUSED
 * if partner_id is NULL and several partners have that email (the message
 * lists them and asks for the partner).  Same rule for end/suspend/resume.
 */
int	 store_person_get(struct store *, const char *partner_id,
	    const char *email, struct store_person *out);
/*
 * Sets the habilitation end (the last valid day), replacing any earlier
 * one.  A day before the start is allowed: the habilitation never takes
 * effect (an arrival cancelled before it started).  Audit: person.end.
 */
int	 store_person_end(struct store *, const char *partner_id,
	    const char *email, int32_t end, const char *actor, time_t now);
/* Required reason; STORE_REFUSED if already suspended.  person.suspend. */
int	 store_person_suspend(struct store *, const char *partner_id,
	    const char *email, const char *reason, const char *actor,
	    time_t now);
/*
 * STORE_REFUSED if not suspended, or if resuming would exceed the
 * partner's quota on `today`.  Audit: person.resume.
 */
int	 store_person_resume(struct store *, const char *partner_id,
	    const char *email, int32_t today, const char *actor, time_t now);
/*
 * Persons of partner_id (NULL = every partner), ordered by partner, last
 * name, first name, email.  With at != DATE_NONE, only those habilitated
 * on that day: start <= at <= end (or open) and not suspended.  The
 * partner's own state (convention, suspension) is not considered.
 */
int	 store_person_list(struct store *, const char *partner_id, int32_t at,
	    struct store_person_list *out);
void	 store_person_free(struct store_person *);
void	 store_person_list_free(struct store_person_list *);

/*
 * "  A.Martin@X.fr " -> "a.martin@x.fr" in *out (caller frees) if it looks
 * like local@domain.tld: printable ASCII, no space, one '@', a dot inside
 * the domain, no empty label.  Returns 0, STORE_REFUSED (*out NULL) for a
 * bad address, STORE_ERROR on allocation failure.
 */
int	 store_email_canon(const char *in, char **out);

/* ---- habilitations (for decide) --------------------------------------- */

/*
 * Every person row whose email is the sender's, joined with its partner,
 * as the struct habilitation entries decide() takes (annex_view).  The
 * partner_id strings are owned by this struct.
 */
struct store_habilitations {
	struct habilitation	*v;
	size_t			 n;
	char			**owned;	/* private: the strings in v */
};

/* Email is trimmed and lower-cased here.  n == 0 if unknown. */
int	 store_habilitations(struct store *, const char *email,
	    struct store_habilitations *out);
void	 store_habilitations_free(struct store_habilitations *);

/* ---- decisions and the outbox ----------------------------------------- */

struct store_decision_spec {
	const char	*source;	/* "maildir", "imap" */
	const char	*source_ref;	/* unique within source */
	const char	*message_id;	/* NULL if none */
	const char	*sender;	/* NULL if none; stored lower-case */
	const char	*partner_id;	/* NULL if unknown */
	const char	*type;		/* request type name; NULL if unknown */
	enum outcome	 outcome;
	reason_set	 reasons;	/* stored as comma-separated codes */
	const char	*queue;		/* the folder the message goes to */
	const char	*nir_pseudonym;	/* NULL or 64 hex digits, NEVER a NIR */
};

/* A notice to send; queued in the outbox with the decision. */
struct store_notice {
	const char	*recipient;
	const char	*subject;
	const char	*body;		/* must not contain a NIR */
};

struct store_decision {
	int64_t		 id;
	char		*decided_at;	/* "YYYY-MM-DDTHH:MM:SSZ" */
	char		*source;
	char		*source_ref;
	char		*message_id;	/* NULL if none */
	char		*sender;	/* NULL if none */
	char		*partner_id;	/* NULL if unknown */
	char		*type;		/* NULL if unknown */
	char		*outcome;	/* "accepted", "rejected"... */
	char		*reasons;	/* "nir_invalid,name_missing" or "" */
	char		*queue;
	char		*nir_pseudonym;	/* NULL if none */
};

struct store_decision_list {
	struct store_decision	*v;
	size_t			 n;
};

struct store_decision_filter {
	const char	*partner_id;	/* NULL = any */
	const char	*sender;	/* NULL = any; compared lower-cased */
	size_t		 limit;		/* 0 = no limit */
};

/*
 * Records one decision, its audit row (kind 'decision', action
 * decision.record) and, when notice is not NULL, its outbox row (pending,
 * first attempt at `now`), all in ONE transaction: either all three are
 * stored or none.  STORE_EXISTS if (source, source_ref) was already
 * decided: use store_decision_find() to redo the move.  *id (may be NULL)
 * gets the decision id.
 */
int	 store_decision_record(struct store *,
	    const struct store_decision_spec *,
	    const struct store_notice *notice,
	    const char *actor, time_t now, int64_t *id);
/* The stored decision for a message: STORE_OK, STORE_NOTFOUND or error. */
int	 store_decision_find(struct store *, const char *source,
	    const char *source_ref, struct store_decision *out);
/* Most recent first. */
int	 store_decision_list(struct store *,
	    const struct store_decision_filter *,
	    struct store_decision_list *out);
void	 store_decision_free(struct store_decision *);
void	 store_decision_list_free(struct store_decision_list *);

struct store_outbox_item {
	int64_t		 id;
	int64_t		 decision_id;
	char		*created_at;
	char		*recipient;
	char		*subject;
	char		*body;
	char		*status;	/* "pending", "sent", "failed" */
	int		 attempts;
	char		*next_attempt_at;
	char		*last_error;	/* NULL if none */
};

struct store_outbox_list {
	struct store_outbox_item	*v;
	size_t				 n;
};

/*
 * Pending notices whose next attempt is due at `now`, oldest first, at
 * most limit (0 = all).
 */
int	 store_outbox_pending(struct store *, time_t now, size_t limit,
	    struct store_outbox_list *out);
/*
 * Marks a pending notice sent (attempts + 1; next_attempt_at then holds
 * the time it was sent).  STORE_NOTFOUND if it is not pending.
 */
int	 store_outbox_sent(struct store *, int64_t id, time_t now);
/*
 * Records a failed attempt (attempts + 1, last_error): the notice stays
 * pending until retry_at, or becomes 'failed' for good when retry_at is
 * (time_t)-1.  STORE_NOTFOUND if it is not pending.
 */
int	 store_outbox_failed(struct store *, int64_t id, const char *error,
	    time_t retry_at);
void	 store_outbox_list_free(struct store_outbox_list *);

/* ---- the audit trail -------------------------------------------------- */

struct store_audit_row {
	int64_t		 id;
	char		*at;
	char		*kind;		/* "decision" or "admin" */
	char		*actor;
	char		*action;	/* "partner.add", "decision.record" */
	char		*object;
	char		*detail;
	char		*prev_hash;
	char		*hash;
};

struct store_audit_list {
	struct store_audit_row	*v;
	size_t			 n;
};

/*
 * Recomputes the whole chain: hash = hex(crypto_generichash-256(prev_hash
 * || length-prefixed id, at, kind, actor, action, object, detail)), the
 * first prev_hash being 64 '0'.  Returns 0 if intact, 1 if broken with
 * *first_bad_id the first row whose prev_hash or hash does not match,
 * -1 on error (store_errmsg).
 */
int	 store_audit_verify(struct store *, int64_t *first_bad_id);
/*
 * Audit rows, most recent first; kind "admin", "decision" or NULL = both;
 * limit 0 = all.
 */
int	 store_audit_list(struct store *, const char *kind, size_t limit,
	    struct store_audit_list *out);
void	 store_audit_list_free(struct store_audit_list *);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) for t into out (21 bytes). */
void	 store_timestamp(time_t t, char out[21]);

#endif
