/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_message - what an admin does to a message once it is decided,
 * and what can be said of it afterwards (balpctl message show, retriage,
 * release).
 *
 * A retriage sends a message back to the inbox under a new name, so that
 * the next pass decides it afresh: the new decision names the one it
 * supersedes (decisions.supersedes), and both stay in the trail.  A
 * release moves a message to another queue on an admin's word (a
 * quarantined message judged safe): the decision stays as it was taken,
 * the release is recorded beside it with the admin and the reason.  Each
 * is one transaction with its audit row (kind "admin": message.retriage,
 * message.retriage.undone, message.release; object "decision/ID").
 *
 * The files themselves are moved by the caller, through its source: the
 * record comes first for a retriage (the daemon must find the supersede
 * link as soon as the message is back in the inbox), and is undone if
 * the message cannot be moved; a release is recorded once its move is
 * done.
 *
 * Neither acts on the mail of an annex staged and pending (store_staged.h):
 * STORE_REFUSED until an admin approves or rejects it, so that no
 * approvable annex is left behind a mail moved away or decided again.
 * A release stages nothing: balpctl refuses one into the annexes' queue
 * and says to retriage (docs/annex-mail.md).
 *
 * Errors, ownership and dates: as store.h says.
 */
#ifndef BALP_STORE_MESSAGE_H
#define BALP_STORE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"

struct store_release {
	int64_t		 id;
	char		*at;
	char		*actor;
	char		*from_queue;
	char		*to_queue;
	char		*reason;
};

struct store_message {
	struct store_decision	 decision;
	int64_t			 superseded_by;	/* 0: the current decision */
	char			*retriage_ref;	/* pending: its name in the inbox */
	struct store_release	*releases;	/* oldest first */
	size_t			 n_releases;
	struct store_audit_list	 audit;		/* rows of "decision/ID", oldest first */
};

/*
 * The decision `id` with what happened to its message since.
 * STORE_OK, STORE_NOTFOUND or STORE_ERROR.  Free with store_message_free.
 */
int	 store_message_get(struct store *, int64_t id, struct store_message *);
/* The most recent decision of that Message-ID (with or without <>). */
int	 store_message_find(struct store *, const char *message_id,
	    int64_t *id);
/* Where the message is now, by the record: the last release's queue, or
 * the decision's; NULL when a retriage sent it back to the inbox. */
const char *store_message_queue(const struct store_message *);
void	 store_message_free(struct store_message *);

/*
 * Records that decision `id`'s message goes back to the inbox as new_ref.
 * STORE_REFUSED when the decision is superseded already or a retriage of
 * it is pending under another name; STORE_EXISTS when the same retriage
 * is pending (the move may be done again).  Audit: message.retriage.
 */
int	 store_message_retriage(struct store *, int64_t id,
	    const char *new_ref, const char *reason, const char *actor,
	    time_t now);
/*
 * Undoes a pending retriage whose message could not be moved (it is not
 * where the record says).  Audit: message.retriage.undone.
 */
int	 store_message_retriage_undo(struct store *, int64_t id,
	    const char *why, const char *actor, time_t now);
/*
 * Records that decision `id`'s message was moved from from_queue to
 * to_queue by actor, for reason (required), and queues notice when not
 * NULL (the admin asked for one).  STORE_REFUSED when a retriage is
 * pending or the decision is superseded.  Audit: message.release, and
 * notice.queue with the notice.
 */
int	 store_message_release(struct store *, int64_t id,
	    const char *from_queue, const char *to_queue, const char *reason,
	    const struct store_notice *notice, const char *actor, time_t now);

#endif
