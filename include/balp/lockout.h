/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lockout - the console's rule against guessed passwords (issue 20;
 * Cafpro art. 3), pure: values in, verdict out.
 *
 * LOCKOUT_FAILURES failed logins for one account within LOCKOUT_WINDOW
 * seconds lock it for LOCKOUT_SECONDS: while locked, even the right
 * password is refused (and counts no further).  The window opens at the
 * first failure after a success, a lock, or a window that ran out.  A
 * success clears the count.
 *
 * Times are time_t; 0 means "none" (no failure counted, not locked).
 */
#ifndef BALP_LOCKOUT_H
#define BALP_LOCKOUT_H

#include <time.h>

#define LOCKOUT_FAILURES	5
#define LOCKOUT_WINDOW		(15 * 60)
#define LOCKOUT_SECONDS		(15 * 60)

struct lockout {
	int	 failures;	/* in the window that opened at first */
	time_t	 first;		/* the window's first failure, 0: none */
	time_t	 locked_until;	/* 0: not locked */
};

/* 1 if the account is locked at now. */
int	 lockout_locked(const struct lockout *, time_t now);
/*
 * The state after a failed login at now, in place.  Returns 1 when this
 * failure locks the account (the lock's audit row is the caller's), else 0.
 */
int	 lockout_fail(struct lockout *, time_t now);

#endif
