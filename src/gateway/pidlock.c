/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pidlock - one balpd per store (see pidlock.h).
 */
#include "balp/pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int
pidlock_acquire(const char *path, int *fd, long *holder, struct buf *err)
{
	char pid[32];
	ssize_t n;
	int f, len;

	*fd = -1;
	*holder = 0;
	if ((f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		buf_printf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(f, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			buf_printf(err, "cannot lock %s: %s", path,
			    strerror(errno));
			close(f);
			return -1;
		}
		n = pread(f, pid, sizeof(pid) - 1, 0);
		if (n > 0) {
			pid[n] = '\0';
			*holder = strtol(pid, NULL, 10);
		}
		close(f);
		return 1;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) == -1 ||
	    pwrite(f, pid, (size_t)len, 0) != (ssize_t)len) {
		buf_printf(err, "cannot write %s: %s", path, strerror(errno));
		close(f);
		return -1;
	}
	*fd = f;
	return 0;
}
