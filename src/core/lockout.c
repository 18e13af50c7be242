/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lockout - five failures in fifteen minutes lock fifteen minutes (see
 * lockout.h).
 */
#include "balp/lockout.h"

int
lockout_locked(const struct lockout *lo, time_t now)
{
	return lo->locked_until != 0 && now < lo->locked_until;
}

int
lockout_fail(struct lockout *lo, time_t now)
{
	/* Locked: the attempt is refused, the lock neither grows nor ends. */
	if (lockout_locked(lo, now))
		return 0;
	if (lo->locked_until != 0)
		lo->locked_until = 0;
	if (lo->first == 0 || lo->failures == 0 ||
	    now - lo->first >= LOCKOUT_WINDOW || now < lo->first) {
		lo->first = now;
		lo->failures = 0;
	}
	lo->failures++;
	if (lo->failures < LOCKOUT_FAILURES)
		return 0;
	lo->locked_until = now + LOCKOUT_SECONDS;
	lo->failures = 0;
	lo->first = 0;
	return 1;
}
