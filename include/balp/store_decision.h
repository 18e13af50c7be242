/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_decision - one decision row per message, the outbox of notices
 * queued with it, and the group commit the pipeline uses to record a
 * pass's decisions in one transaction (one fdatasync) before it moves the
 * messages.
 *
 * Exactly once (docs/store.md): a message is moved only after its decision
 * is committed.  (source, source_ref) is unique, so a message found again
 * (a crash between the commit and the move) is looked up -- one query for
 * a whole pass with store_decision_find_many() -- not decided again, and
 * its stored decision says where it goes.
 *
 * Audit rows (kind "decision"): decision.record for each decision,
 * notice.queue for each notice queued with it, notice.sent and
 * notice.failed for each attempt the notifier reports (actor "notifier").
 * They name the outbox and decision ids and the recipient (a partner's
 * staff address), never a notice's subject or body: those may carry a
 * beneficiary's name.
 *
 * Errors, ownership and dates: as store.h says.
 */
#ifndef BALP_STORE_DECISION_H
#define BALP_STORE_DECISION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/decide.h"
#include "balp/reason.h"
#include "balp/store.h"

struct store_decision_spec {
	const char	*source;	/* "maildir", "imap", "lmtp" */
	const char	*source_ref;	/* unique within source */
	const char	*message_id;	/* NULL if none */
	const char	*sender;	/* NULL if none; stored lower-case */
	const char	*partner_id;	/* NULL if unknown */
	const char	*type;		/* request type name; NULL if unknown */
	enum outcome	 outcome;
	reason_set	 reasons;	/* stored as comma-separated codes */
	const char	*queue;		/* the folder the message goes to */
	const char	*nir_pseudonym;	/* NULL or 64 hex digits, NEVER a NIR */
	/*
	 * NULL or 64 hex digits: keyfile_header_key() of the message.  A
	 * message with a pending retriage is recognised by it too (its
	 * server gave it a name of its own in the inbox).
	 */
	const char	*header_key;
	/*
	 * NULL or what the reasons found, one line per part
	 * (attachment_findings(), attachment.h): never a file name, a NIR
	 * or a beneficiary's name.  Stored beside the decision.
	 */
	const char	*findings;
	/*
	 * A message taken over LMTP: MAIL FROM ("" for <>) and the
	 * recipients, comma-separated; NULL for a drained one.  Stored
	 * beside the decision (decision_envelopes).
	 */
	const char	*envelope_sender;
	const char	*envelope_recipients;
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
	/* The decision this one replaces (an admin's retriage), or 0. */
	int64_t		 supersedes;
};

struct store_decision_list {
	struct store_decision	*v;
	size_t			 n;
};

/*
 * A trace query: every field set must match (AND); a zeroed filter is
 * "everything".  The period is in seconds, from inclusive, before
 * exclusive (a day range is [first day 00:00Z, day after the last)).
 */
struct store_decision_filter {
	const char	*partner_id;	/* NULL = any */
	const char	*sender;	/* NULL = any; compared lower-cased */
	size_t		 limit;		/* 0 = no limit */
	time_t		 from;		/* 0 = open: decided at or after */
	time_t		 before;	/* 0 = open: decided strictly before */
	const char	*outcome;	/* NULL = any; outcome_name()'s words */
	/* NULL = any; one code of reason.h among the decision's reasons. */
	const char	*reason;
	const char	*type;		/* NULL = any; the type as stored */
	const char	*queue;		/* NULL = any; the queue decided */
	/*
	 * NULL = any; 64 lower-case hex digits (keyfile_pseudonym of the
	 * NIR searched for, computed by the caller: the store never sees
	 * a NIR).
	 */
	const char	*nir_pseudonym;
};

/*
 * Records one decision, its audit row (kind 'decision', action
 * decision.record) and, when notice is not NULL, its outbox row (pending,
 * first attempt at `now`) and that row's audit row (notice.queue), all in
 * ONE transaction: either all are stored or none.  STORE_EXISTS if
 * (source, source_ref) was already decided: use store_decision_find() to
 * redo the move.  *id (may be NULL) gets the decision id.  The batch of
 * one: store_batch_begin, store_batch_add, store_batch_commit.
 */
int	 store_decision_record(struct store *,
	    const struct store_decision_spec *,
	    const struct store_notice *notice,
	    const char *actor, time_t now, int64_t *id);

/* BEGIN IMMEDIATE; the decisions added until commit are one transaction. */
int	 store_batch_begin(struct store *);
/*
 * Inside a batch: the decision row, its audit row (decision.record) and,
 * when notice != NULL, its outbox row and that row's own audit row
 * (notice.queue).  STORE_EXISTS when (source, source_ref) is already
 * decided: nothing of this decision is written and the batch goes on
 * (the transaction is NOT aborted).  Any other error: the caller must
 * store_batch_abort().  *id (may be NULL) gets the decision id.
 */
int	 store_batch_add(struct store *, const struct store_decision_spec *,
	    const struct store_notice *notice, const char *actor, time_t now,
	    int64_t *id);
/* One COMMIT (one fdatasync in WAL + synchronous=FULL). */
int	 store_batch_commit(struct store *);
/* ROLLBACK; never fails visibly. */
void	 store_batch_abort(struct store *);

/*
 * What decision id's reasons found (store_decision_spec.findings): *out
 * a malloc'd string the caller frees, NULL when nothing was recorded.
 * STORE_OK or an error.
 */
int	 store_decision_findings(struct store *, int64_t id, char **out);

/* The decision of that id: STORE_OK, STORE_NOTFOUND or error. */
int	 store_decision_get(struct store *, int64_t id,
	    struct store_decision *out);
/* The stored decision for a message: STORE_OK, STORE_NOTFOUND or error. */
int	 store_decision_find(struct store *, const char *source,
	    const char *source_ref, struct store_decision *out);
/*
 * The latest decision of the message whose header_key this is (whatever
 * name the source gave it then): STORE_OK, STORE_NOTFOUND or error.
 */
int	 store_decision_find_by_key(struct store *, const char *header_key,
	    struct store_decision *out);
/*
 * The stored decisions of any of refs[0..n) of source, in ONE indexed
 * query (e.g. `source_ref IN (SELECT value FROM json_each(?))` with a JSON
 * array built with json_string() from include/balp/json.h, or a temp
 * table): out[i] is filled when refs[i] is decided (out[i].id != 0),
 * zeroed otherwise.  out has n entries; free each with
 * store_decision_free().
 *
 * (A ref that is not UTF-8 cannot travel in JSON: it is looked up alone.
 * A NULL ref is undecided.  On error every out[i] is freed and zeroed.)
 */
int	 store_decision_find_many(struct store *, const char *source,
	    const char *const *refs, size_t n, struct store_decision *out);
/*
 * The decisions matching the filter (NULL = all), most recent first, in
 * one statement that an index answers when the filter names a
 * pseudonym, a partner or a sender.  STORE_REFUSED for an outcome or a
 * reason code that does not exist or a pseudonym that is not 64 hex
 * digits (the message never echoes the pseudonym field), STORE_ERROR.
 */
int	 store_decision_list(struct store *,
	    const struct store_decision_filter *,
	    struct store_decision_list *out);
void	 store_decision_free(struct store_decision *);
void	 store_decision_list_free(struct store_decision_list *);
/*
 * The audit row of a trace query (kind "trace.query"), for balpctl log
 * and the console alike: its filters, the days asked (since, until:
 * DATE_NONE when open), the NIR as its pseudonym as the decisions hold
 * it, and how many rows it gave.  STORE_OK, STORE_ERROR.
 */
int	 store_decision_traced(struct store *, const char *actor,
	    const struct store_decision_filter *, int32_t since,
	    int32_t until, size_t rows, time_t now);

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
 * the time it was sent), with its audit row notice.sent, in one
 * transaction.  STORE_NOTFOUND if it is not pending.
 */
int	 store_outbox_sent(struct store *, int64_t id, time_t now);
/*
 * Records a failed attempt at `now` (attempts + 1, last_error), with its
 * audit row notice.failed, in one transaction: the notice stays pending
 * until retry_at, or becomes 'failed' for good when retry_at is
 * (time_t)-1.  STORE_NOTFOUND if it is not pending.  The error text stays
 * in the outbox row, not in the audit row (a server's reply may quote the
 * message).
 */
int	 store_outbox_failed(struct store *, int64_t id, const char *error,
	    time_t retry_at, time_t now);
void	 store_outbox_list_free(struct store_outbox_list *);
/*
 * How many notices were sent to recipient (compared case-insensitively)
 * at or after since: the notifier's hourly cap per sender.
 */
int	 store_outbox_sent_since(struct store *, const char *recipient,
	    time_t since, unsigned *count);

#endif
