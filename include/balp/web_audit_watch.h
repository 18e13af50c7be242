/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_audit_watch - the audit chain's state for the console's dashboard,
 * checked away from the requests: store_audit_verify walks the whole
 * chain (9 s over a million decisions on the test host), which would
 * hold every request of balpweb's one serving thread.  So the chain is
 * checked once at start, before balpweb listens, then every period
 * seconds by a thread of its own with its own store connection and audit
 * key (store.h: one struct store per thread); the dashboard reads the
 * last result and when it was found.  A chain found broken is a security
 * line in the log, once per break.
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
