/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_queue - the messages waiting in each queue, by the record
 * (balpctl queue status; contract 3.3's 10 working days are counted on
 * it by the caller, workdays.h).
 *
 * A message waits in a queue from its current decision: the latest of
 * its decisions, the one no other supersedes (an admin's retriage
 * decides a message again: the new decision names the old one).  Its
 * queue is the decision's, or the last release's when an admin moved it
 * (store_message.h), and it waits there since the decision, or since
 * that release.  A message with a pending retriage is back in the inbox,
 * in no queue, until the next pass decides it.
 *
 * This is what the store knows, not what the mailbox holds: a message an
 * agent answered and filed, or deleted, is still counted here.  Nothing
 * in the result names a sender, a partner or a beneficiary: decision ids
 * and times only.
 *
 * Errors, ownership: as store.h says (store_queue_list_free).
 */
#ifndef BALP_STORE_QUEUE_H
#define BALP_STORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/store.h"

struct store_queue_item {
	int64_t		 decision_id;	/* the current decision */
	time_t		 since;		/* decided, or last released, at */
};

struct store_queue {
	char			*name;		/* "BALP/RIB" */
	size_t			 count;		/* of items */
	time_t			 oldest;	/* items[0].since */
	struct store_queue_item	*items;		/* oldest first, then by id */
	/*
	 * store_queue_summary only (items is NULL then): how many wait
	 * since before the queue's cutoff.
	 */
	size_t			 before;
	/*
	 * store_queue_overdue only: the first n_before_ids of those before
	 * (at most the max_ids asked), in items' order; NULL if none.
	 */
	int64_t			*before_ids;
	size_t			 n_before_ids;
};

struct store_queue_list {
	struct store_queue	*v;		/* by name (bytewise) */
	size_t			 n;
};

/*
 * Every queue that holds at least one message by the record, with its
 * messages, in one query.  A queue with none is not listed (the caller
 * knows the rules' queues).  STORE_OK or STORE_ERROR (a stored time that
 * is no timestamp names its decision).  Free out with
 * store_queue_list_free(), whatever the return.  It reads every current
 * decision (seconds on a million): the definition the indexed calls
 * below are checked against (sla_report_every), not what a command runs.
 */
int	 store_queue_status(struct store *, struct store_queue_list *out);

/*
 * The same queues, count and oldest, without the items (each items is
 * NULL): what the console's dashboard shows, counted on an index without
 * reading a decision's row (60 ms a page on a million decisions, where
 * store_queue_status takes 4.5 s).  For each queue, before counts the
 * messages waiting since strictly before cutoff(name, arg) (0: none
 * asked, before is 0).  The index decisions_queue answers the counts and
 * the oldest; the few decisions an admin released, retriaged or
 * superseded are read one by one and moved where store_queue_status puts
 * them: the two agree (test_store_queue).  STORE_OK or STORE_ERROR; free out with
 * store_queue_list_free(), whatever the return.
 */
int	 store_queue_summary(struct store *,
	    time_t (*cutoff)(const char *name, void *arg), void *arg,
	    struct store_queue_list *out);

/*
 * store_queue_summary, and for each queue the ids of the first max_ids
 * messages (SIZE_MAX: all) among its before, oldest first then by id,
 * as store_queue_status lists them (before_ids): `balpctl queue status`
 * and the supervisors' digest, which name the overdue decisions.  The
 * ids are read on the same index, from the queue's first entry on, only
 * as many as asked (plus those an admin moved out of the queue, skipped):
 * the same queues, counts and ids as store_queue_status gives
 * (test_store_queue), without reading the other decisions.  STORE_OK or
 * STORE_ERROR; free out with store_queue_list_free(), whatever the
 * return.
 */
int	 store_queue_overdue(struct store *,
	    time_t (*cutoff)(const char *name, void *arg), void *arg,
	    size_t max_ids, struct store_queue_list *out);

/* The entry of that queue name in l, or NULL. */
const struct store_queue *store_queue_find(const struct store_queue_list *,
	    const char *name);

void	 store_queue_list_free(struct store_queue_list *);

#endif
