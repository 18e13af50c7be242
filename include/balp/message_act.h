/* SPDX-License-Identifier: Apache-2.0 */
/*
 * message_act - what an admin does to a decided message, for balpctl
 * (message retriage | release) and the console alike: the record in the
 * store (store_message.h) and the move in the mailbox (source.h), in the
 * order that loses nothing.
 *
 *   retriage: recorded first (a running balpd that finds the message back
 *   in the inbox must already know which decision the new one
 *   supersedes), then moved to the inbox as NAME.rID; undone in the store
 *   when the message is not where the record says or the move fails.
 *
 *   release: moved first to the queue asked (one of the rules'), then
 *   recorded with the reason (and the rejection notice of the decision's
 *   reasons when notify: to the rejects only, the caller checks it);
 *   moved back when the record fails: no move without its record.
 *
 * Both open the configured source for the move and close it.  Messages
 * (err) are one English line naming the decision and the folder, as
 * balpctl prints them; never a NIR (the store keeps none).
 *
 * Ownership: a struct message_act owns its strings
 * (message_act_free).
 */
#ifndef BALP_MESSAGE_ACT_H
#define BALP_MESSAGE_ACT_H

#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/store.h"

/*
 * Why an action was refused, for a caller that says it in its own words
 * (the console, in French) rather than err's English line: one check,
 * two renderings.  MESSAGE_ACT_FAILED is a failure of the store or of
 * the mailbox (err says which, for a log), not a refusal.
 */
enum message_act_refusal {
	MESSAGE_ACT_FAILED,
	MESSAGE_ACT_NO_DECISION,	/* no such decision */
	MESSAGE_ACT_ANNEX_PENDING,	/* its staged annex: staged */
	MESSAGE_ACT_NOT_IN_QUEUE,	/* moved or deleted in a mail client */
	MESSAGE_ACT_RETRIAGE_GONE,	/* retriage pending, message gone */
	MESSAGE_ACT_UNKNOWN_QUEUE,	/* to: none of the rules' queues */
	MESSAGE_ACT_ANNEX_QUEUE,	/* to: the queue of staged annexes */
	MESSAGE_ACT_SUPERSEDED,		/* decided again since */
	MESSAGE_ACT_IN_INBOX,		/* back in the inbox for a retriage */
	MESSAGE_ACT_SAME_QUEUE,		/* in to already */
	MESSAGE_ACT_NO_SENDER,		/* notify, and no sender */
	MESSAGE_ACT_STATE,		/* the store refused it as the
					   decision stands (changed since) */
};

/* What was done, for the caller's sentence; or why not. */
struct message_act {
	char	*source_ref;	/* the message's name in its folder */
	char	*from;		/* the folder it was in */
	char	*to;		/* where it went (release) */
	char	*new_ref;	/* its name back in the inbox (retriage) */
	/* After -1 (kept by message_act_free): */
	enum message_act_refusal refusal;
	int64_t	 staged;	/* MESSAGE_ACT_ANNEX_PENDING: its id */
};

/* 1 if q is one of the rules' queues. */
int	 message_act_known_queue(const struct rules *, const char *q);
/*
 * Sends decision id's message back to the inbox for the next pass.
 * 0 done; -1 refused or failed, with why in err.
 */
int	 message_act_retriage(struct store *, const struct balp_conf *,
	    int64_t id, const char *reason, const char *actor, time_t now,
	    struct message_act *out, struct buf *err);
/*
 * Moves decision id's message to the queue to, for reason (required),
 * with the rejection notice when notify.  today renders the notice.
 * 0 done; -1 refused or failed, with why in err.
 */
int	 message_act_release(struct store *, const struct balp_conf *,
	    int64_t id, const char *to, const char *reason, int notify,
	    int32_t today, const char *actor, time_t now,
	    struct message_act *out, struct buf *err);
/* Frees the strings; refusal and staged stay. */
void	 message_act_free(struct message_act *);

#endif
