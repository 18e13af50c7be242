/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notifier - sends the notices waiting in the store's outbox to their
 * recipients through the configured SMTP relay (docs/pipeline.md, the
 * last step of the data flow).
 *
 * A round takes the due pending notices (store_outbox_pending, batch
 * after batch until none is left or NOTIFIER_MAX_BATCHES), composes
 * each (notice_compose: RFC 3834 headers, threaded to the partner's
 * message) and sends them over ONE session; each is then marked sent, or
 * failed with its next attempt (notifier_backoff) or for good.  A relay
 * that is down, a certificate refused, a 4xx: the notices stay pending
 * and go, once, when the relay is back.  A recipient who had
 * notices.max_per_sender_hour notices in the last hour: the notice waits
 * (deferred, untried) until the oldest of them is an hour old, so that
 * at most that many go per hour and none is dropped.  A 5xx to
 * MAIL/RCPT/DATA, an automatic reply, a recipient that is not a plain
 * address: failed for good, with the reason in the outbox row, never
 * dropped silently.
 *
 * balpd never waits for it: notifier_spawn() runs the rounds in a child
 * process (balpd exec'd again with NOTIFIER_CHILD_ARG, which calls
 * notifier_child()) with its own store connection, woken by
 * notifier_kick() after a pass queued notices and every NOTIFIER_PERIOD
 * seconds for retries;
 * notifier_stop() ends it (SIGTERM, then SIGKILL if a hung relay holds it
 * past NOTIFIER_STOP_MS).  `balpd --once` calls notifier_round() itself.
 *
 * Logs name outbox ids, decision ids and recipients, never a notice's
 * subject or body (they may name the beneficiary).
 *
 * Ownership: struct notifier is the caller's until notifier_stop().
 */
#ifndef BALP_NOTIFIER_H
#define BALP_NOTIFIER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/store.h"

#define NOTIFIER_PERIOD		30	/* seconds between retry rounds */
#define NOTIFIER_BATCH		200	/* notices read at a time */
#define NOTIFIER_MAX_BATCHES	50	/* per round: 10,000 notices */
#define NOTIFIER_FIRST_DELAY	60	/* first retry after a failure */
#define NOTIFIER_MAX_DELAY	3600	/* retries at least hourly */
#define NOTIFIER_GIVE_UP	(3 * 86400)	/* then failed for good */
#define NOTIFIER_STOP_MS	5000

struct notifier_counts {
	unsigned	sent;
	unsigned	retry;		/* failed, will be tried again */
	unsigned	failed;		/* failed for good */
	unsigned	deferred;	/* waits for the hourly cap */
};

/*
 * Seconds until the next attempt after the attempt-th failed one (1 =
 * the first): NOTIFIER_FIRST_DELAY doubling up to NOTIFIER_MAX_DELAY; -1
 * (give up) once the notice, age seconds old now, would pass
 * NOTIFIER_GIVE_UP.
 */
int64_t	 notifier_backoff(int attempt, int64_t age);

/*
 * One round at `now` on st with the configuration's relay (c->has_smtp
 * must be set).  Adds to *counts.  0, or -1 with err set on a store error
 * (what was done stays done).
 */
int	 notifier_round(struct store *st, const struct balp_conf *c,
	    time_t now, struct notifier_counts *counts, struct buf *err);

struct notifier;

/* balpd's hidden option that makes it the notifier child. */
#define NOTIFIER_CHILD_ARG	"--notifier-child"
/* The child's end of the wake pipe. */
#define NOTIFIER_WAKE_FD	3

/*
 * Starts the notifier child: this program (/proc/self/exe) run again as
 * `balpd --notifier-child -c conf_path`, the wake pipe on
 * NOTIFIER_WAKE_FD, no other descriptor of the parent.  c (which must
 * have has_smtp) is only named in the log.  0, or -1 with err set.
 */
int	 notifier_spawn(const char *conf_path, const struct balp_conf *c,
	    struct notifier **out, struct buf *err);
/*
 * The child's life: rounds on its own store connection when woken through
 * wake or every NOTIFIER_PERIOD seconds, until SIGTERM (never in the
 * middle of a send) or EOF on wake (balpd is gone).  Returns the exit
 * status.
 */
int	 notifier_child(const struct balp_conf *c, int wake);
/*
 * Wakes the child for a round now; never blocks.  A child found dead is
 * logged and started again (at most once a minute).
 */
void	 notifier_kick(struct notifier *);
/* Only the "found dead: started again" part of notifier_kick(). */
void	 notifier_check(struct notifier *);
/* Stops and reaps the child; fine on NULL. */
void	 notifier_stop(struct notifier *);

#endif
