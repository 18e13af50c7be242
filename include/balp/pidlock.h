/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pidlock - one balpd per store.
 *
 * Two daemons on one store would race for the same messages (each move
 * but the first failing) and fill the log with false warnings.  The
 * daemon takes an flock(2) on a file beside the store and writes its pid
 * there, so the second one can say who holds it.  The kernel drops the
 * lock when the process dies, kill -9 included: no stale lock to clean.
 */
#ifndef BALP_PIDLOCK_H
#define BALP_PIDLOCK_H

#include "balp/buf.h"

/*
 * Locks path (created 0600 if missing) and writes the caller's pid in it.
 * 0 with *fd set (keep it open as long as the lock is needed; close()
 * releases it); 1 when another process holds it (*holder its pid, or 0 if
 * unreadable); -1 with err set.
 */
int	 pidlock_acquire(const char *path, int *fd, long *holder,
	    struct buf *err);

#endif
