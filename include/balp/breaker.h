/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker - the parser's circuit breaker (docs/sandbox.md, "The
 * breaker"): tells a message that kills the parser from a parser that is
 * broken, so that a broken parser (a libmagic database gone after an
 * upgrade, a filter a new libc trips) stops triage instead of
 * quarantining the whole inbox, while a hostile message cannot stop it.
 *
 * A message whose parse fails (crash, timeout, garbled answer) is held:
 * left in the inbox, not decided.  It is quarantined only when it fails
 * again after the parser was seen to work since its first failure (a
 * message parsed, or the canary).  After `threshold` failures in a row
 * the caller runs the canary, a known-good message: if the parser fails
 * on it too the breaker opens (nothing is decided, the caller retries
 * with backoff); the first success closes it.
 *
 * Pure state, values in and out: no I/O, no clock (the caller gives the
 * time).  Ownership: the breaker owns its copies of the held messages'
 * references; breaker_free releases them.
 */
#ifndef BALP_BREAKER_H
#define BALP_BREAKER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Held messages remembered at most (the oldest is forgotten first). */
#define BREAKER_HELD_MAX	256
/* Backoff while open: from the first, doubling, up to the last. */
#define BREAKER_RETRY_FIRST_S	5
#define BREAKER_RETRY_MAX_S	300

struct breaker_held {
	char		*ref;		/* the source's reference */
	uint64_t	 proven_at;	/* b->proven at its first failure */
};

struct breaker {
	unsigned		 threshold;	/* failures in a row; >= 1 */
	unsigned		 streak;
	int			 open;
	uint64_t		 proven;	/* successes seen so far */
	unsigned		 backoff_s;
	time_t			 retry_at;	/* open: when to try again */
	char			 cause[256];	/* open: why, for the log */
	struct breaker_held	 held[BREAKER_HELD_MAX];
	size_t			 nheld;
};

enum breaker_verdict {
	BREAKER_HOLD,		/* leave it in the inbox, try it again */
	BREAKER_QUARANTINE,	/* it fails where others parse: malformed */
};

void	 breaker_init(struct breaker *, unsigned threshold);
void	 breaker_free(struct breaker *);
/* A parse that worked: the streak ends, the parser is proven. */
void	 breaker_success(struct breaker *);
/*
 * A parse of ref that failed: HOLD or QUARANTINE (see above).  HOLD when
 * memory for ref runs out (it is tried again: nothing is lost).
 */
enum breaker_verdict breaker_failure(struct breaker *, const char *ref);
/* 1 when the streak calls for the canary. */
int	 breaker_should_probe(const struct breaker *);
/* The canary failed too, or no worker can be had: open, with cause. */
void	 breaker_trip(struct breaker *, const char *cause, time_t now);
/* 1 when open and its retry is due at now. */
int	 breaker_retry_due(const struct breaker *, time_t now);
/* Open and a retry failed again: the next one later (backoff). */
void	 breaker_retry_failed(struct breaker *, time_t now);
/* 1 when some held message failed before the last proof: a new pass
 * would settle it (retry or quarantine). */
int	 breaker_pending(const struct breaker *);

#endif
