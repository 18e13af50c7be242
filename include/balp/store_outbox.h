/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_outbox - what the notifier and an admin do to the outbox beyond
 * sending (store_decision.h queues, sends and fails notices): a notice
 * over the hourly cap per recipient waits (deferred, not failed), and an
 * admin lists the notices and resends one.
 *
 * Ownership: a struct store_outbox_list is freed with
 * store_outbox_list_free() (store_decision.h).
 */
#ifndef BALP_STORE_OUTBOX_H
#define BALP_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/store.h"
#include "balp/store_decision.h"

/*
 * When a notice to recipient may go under a cap of cap notices per hour:
 * *at = the time the oldest notice that keeps the count of the hour
 * before at `now` at cap or more leaves that hour (its sending + 3600 s);
 * `now` itself when fewer than cap were sent in the last hour.
 */
int	 store_outbox_cap_free_at(struct store *, const char *recipient,
	    unsigned cap, time_t now, time_t *at);

/*
 * A pending notice waits until `at` (the cap frees a place then): its
 * next attempt is moved, its attempts are not counted (it was not tried)
 * and it is never given up for waiting.  Audit: notice.deferred with the
 * time, once: waiting again for the same reason (why) writes no row.
 * STORE_NOTFOUND if it is not pending.
 */
int	 store_outbox_defer(struct store *, int64_t id, const char *why,
	    time_t at, time_t now);

/* Every notice, the most recent first (their subject and body too). */
int	 store_outbox_all(struct store *, struct store_outbox_list *out);

/*
 * How many notices are pending and how many failed for good (the
 * console's dashboard): counted by the outbox_due index, no row read.
 */
int	 store_outbox_count(struct store *, size_t *pending, size_t *failed);
/* The notices of one decision, oldest first (the console's message page). */
int	 store_outbox_of(struct store *, int64_t decision_id,
	    struct store_outbox_list *out);

/*
 * An admin's resend of a notice that is not pending (sent, or failed for
 * good): a new pending notice with its decision, recipient, subject and
 * body, due at `now`, the old one kept as it was.  *new_id gets its id.
 * Audit: notice.resend by actor, naming both.  STORE_NOTFOUND for no
 * such notice, STORE_REFUSED for one still pending (it goes by itself,
 * under the cap).
 */
int	 store_outbox_resend(struct store *, int64_t id, const char *actor,
	    time_t now, int64_t *new_id);

#endif
