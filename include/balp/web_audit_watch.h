/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_audit_watch - the audit chain's state for the console's dashboard,
 * checked away from the requests: store_audit_verify walks the whole
 * chain (6 s of a core over a million decisions on the test host), which
 * would hold every request of balpweb's one serving thread.  So the
 * chain is checked whole once at start, before balpweb listens, then
 * every period seconds by a thread of its own with its own store
 * connection and audit key (store.h: one struct store per thread); the
 * dashboard reads the last result and when it was found.  A chain found
 * broken is a security line in the log, once per break.
 *
 * The periodic check goes on from the last row it found intact
 * (store_audit_check_from): a row added since and chained wrongly, or a
 * decision, notice, retriage or release added without its audit row,
 * shows at the next period.  The chain is walked whole again once a day
 * (WEB_AUDIT_WATCH_WHOLE) and after a purge (which empties old rows): an
 * edit of a row already verified shows within the day.  A break found
 * keeps the mark where it was: each next check finds it again.
 *
 * Ownership: web_audit_watch_stop joins the thread and frees everything.
 * Errors: web_audit_watch_start returns -1 with one line in err.
 */
#ifndef BALP_WEB_AUDIT_WATCH_H
#define BALP_WEB_AUDIT_WATCH_H

#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/conf.h"

#define WEB_AUDIT_WATCH_SECONDS	300
/* Seconds between two whole walks of the chain. */
#define WEB_AUDIT_WATCH_WHOLE	86400

struct web_audit_watch;

/* The last check: state 0 intact, 1 broken at *bad, -1 it failed. */
struct web_audit_state {
	int	 state;
	int64_t	 bad;
	time_t	 at;
};

int	 web_audit_watch_start(const struct balp_conf *, unsigned period,
	    struct web_audit_watch **out, struct buf *err);
void	 web_audit_watch_get(struct web_audit_watch *,
	    struct web_audit_state *out);
void	 web_audit_watch_stop(struct web_audit_watch *);

#endif
