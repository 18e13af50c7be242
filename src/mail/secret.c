/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret - passwords read from 0600 files (see include/balp/secret.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "balp/secret.h"

#define SECRET_MAX	4096

static int
fail(struct buf *err, const char *path, const char *what, int errnum)
{
	if (errnum != 0)
		buf_printf(err, "%s: %s: %s", path, what, strerror(errnum));
	else
		buf_printf(err, "%s: %s", path, what);
	return -1;
}

int
secret_read(const char *path, char **out, struct buf *err)
{
	struct stat sb;
	char data[SECRET_MAX + 1];
	size_t n = 0;
	ssize_t r;
	int fd, rc = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return fail(err, path, "cannot open the password file", errno);
	if (fstat(fd, &sb) == -1) {
		fail(err, path, "cannot stat", errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		fail(err, path, "the password file is not a regular file", 0);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		buf_printf(err, "%s: password file mode %04o lets group or "
		    "others read or write it (chmod 600)", path,
		    (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	while (n < sizeof(data)) {
		if ((r = read(fd, data + n, sizeof(data) - n)) == -1) {
			if (errno == EINTR)
				continue;
			fail(err, path, "cannot read", errno);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > SECRET_MAX) {
		fail(err, path, "the password file is larger than 4 KiB", 0);
		goto out;
	}
	if (n > 0 && data[n - 1] == '\n')
		n--;
	if (n > 0 && data[n - 1] == '\r')
		n--;
	if (n == 0) {
		fail(err, path, "the password file is empty", 0);
		goto out;
	}
	if (memchr(data, '\0', n) != NULL || memchr(data, '\n', n) != NULL ||
	    memchr(data, '\r', n) != NULL) {
		fail(err, path, "the password file holds more than one line", 0);
		goto out;
	}
	if ((*out = malloc(n + 1)) == NULL) {
		fail(err, path, "out of memory", 0);
		goto out;
	}
	memcpy(*out, data, n);
	(*out)[n] = '\0';
	rc = 0;
out:
	sodium_memzero(data, sizeof(data));
	close(fd);
	return rc;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}
