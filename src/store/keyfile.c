/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile - the pseudonym key file (see include/balp/keyfile.h).
 *
 * Why so strict on reading: the key is what keeps pseudonyms from being
 * reversed by hashing every possible NIR, so a key file others can read
 * is a leak we refuse to run with, and a truncated or edited file must not
 * silently become another key (every pseudonym would change).  The one
 * group a key may be shared with is the configured admin group (conf.h
 * access.admin_group): its members run balpctl's trace commands, which
 * need both keys; any other group reading it is the same leak.
 *
 * Ownership: nothing allocated is returned.  Failure: -1 with a message
 * naming the file in err; the key never appears in a message.
 */
#include "balp/keyfile.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "balp/nir.h"

#define HEX_LEN	(KEYFILE_KEY_LEN * 2)

/* The key is a BLAKE2b key, the pseudonym the hex of a default-size hash. */
_Static_assert(KEYFILE_KEY_LEN >= crypto_generichash_KEYBYTES_MIN &&
    KEYFILE_KEY_LEN <= crypto_generichash_KEYBYTES_MAX,
    "KEYFILE_KEY_LEN is no valid crypto_generichash key size");
_Static_assert(KEYFILE_PSEUDONYM_LEN == 2 * crypto_generichash_BYTES,
    "a pseudonym is the hex of one crypto_generichash_BYTES hash");

static int
fail(struct buf *err, const char *path, const char *what, int errnum)
{
	if (err == NULL)
		return -1;
	if (errnum != 0)
		buf_printf(err, "%s: %s: %s", path, what, strerror(errnum));
	else
		buf_printf(err, "%s: %s", path, what);
	return -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the folder holding path, so the new name survives a crash. */
static int
sync_dir(const char *path)
{
	char copy[4096];
	int fd, r;

	if (strlen(path) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(copy, path, strlen(path) + 1);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
keyfile_create(const char *path, struct buf *err)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char hex[HEX_LEN + 2];
	int fd, e;

	if (sodium_init() < 0)
		return fail(err, path, "libsodium init failed", 0);
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return fail(err, path, errno == EEXIST ? "refusing to "
		    "overwrite an existing key file" : "cannot create", errno ==
		    EEXIST ? 0 : errno);
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	hex[HEX_LEN] = '\n';
	hex[HEX_LEN + 1] = '\0';
	/* The umask may have removed bits, never added: force exactly 0600. */
	if (fchmod(fd, 0600) == -1 || write_all(fd, hex, HEX_LEN + 1) == -1 ||
	    fsync(fd) == -1) {
		e = errno;
		sodium_memzero(hex, sizeof(hex));
		close(fd);
		unlink(path);
		return fail(err, path, "cannot write", e);
	}
	sodium_memzero(hex, sizeof(hex));
	if (close(fd) == -1) {
		e = errno;
		unlink(path);
		return fail(err, path, "cannot write", e);
	}
	if (sync_dir(path) == -1)
		return fail(err, path, "cannot sync its folder", errno);
	return 0;
}

/*
 * The name of group gid for a message, into b ("#1234" when it has none).
 */
static const char *
group_name(gid_t gid, char *b, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL && gr->gr_name != NULL)
		snprintf(b, len, "%s", gr->gr_name);
	else
		snprintf(b, len, "#%lu", (unsigned long)gid);
	return b;
}

/*
 * 0 if sb's mode is one we read a key from: owner only, or read by the
 * admin group and no one else.  Else -1 with the reason in err.
 */
static int
check_mode(const char *path, const struct stat *sb, gid_t admin_gid,
    struct buf *err)
{
	char want[64], have[64];
	unsigned mode = (unsigned)(sb->st_mode & 07777);

	if ((mode & 077) == 0)
		return 0;
	if (admin_gid == (gid_t)-1 || (mode & 037) != 0) {
		if (err == NULL)
			return -1;
		if (admin_gid == (gid_t)-1)
			buf_printf(err, "%s: key file mode %04o lets group or "
			    "others read or write it (chmod 600)", path, mode);
		else
			buf_printf(err, "%s: key file mode %04o lets group or "
			    "others write it, or others read it (chmod 640: "
			    "group '%s' may only read it)", path, mode,
			    group_name(admin_gid, want, sizeof(want)));
		return -1;
	}
	if (sb->st_gid == admin_gid)
		return 0;
	if (err != NULL)
		buf_printf(err, "%s: key file mode %04o lets group '%s' read "
		    "it, and only the admin group '%s' may (chgrp %s, or "
		    "chmod 600)", path, mode, group_name(sb->st_gid, have,
		    sizeof(have)), group_name(admin_gid, want, sizeof(want)),
		    want);
	return -1;
}

int
keyfile_load(const char *path, unsigned char key[KEYFILE_KEY_LEN],
    struct buf *err)
{
	return keyfile_load_shared(path, (gid_t)-1, key, err);
}

int
keyfile_load_shared(const char *path, gid_t admin_gid,
    unsigned char key[KEYFILE_KEY_LEN], struct buf *err)
{
	struct stat sb;
	char data[HEX_LEN + 3];
	size_t n = 0, bin_len = 0;
	ssize_t r;
	int fd, rc = -1;

	sodium_memzero(key, KEYFILE_KEY_LEN);
	if (sodium_init() < 0)
		return fail(err, path, "libsodium init failed", 0);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return fail(err, path, "cannot open the key file", errno);
	if (fstat(fd, &sb) == -1) {
		fail(err, path, "cannot stat", errno);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		fail(err, path, "the key file is not a regular file", 0);
		goto out;
	}
	if (check_mode(path, &sb, admin_gid, err) == -1)
		goto out;
	/* Read one byte more than a valid file holds, to see it is longer. */
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
	if (n == HEX_LEN + 1 && data[HEX_LEN] == '\n')
		n = HEX_LEN;
	if (n != HEX_LEN) {
		fail(err, path, "the key file must hold exactly 64 hex digits "
		    "and a newline", 0);
		goto out;
	}
	if (sodium_hex2bin(key, KEYFILE_KEY_LEN, data, HEX_LEN, NULL, &bin_len,
	    NULL) != 0 || bin_len != KEYFILE_KEY_LEN) {
		sodium_memzero(key, KEYFILE_KEY_LEN);
		fail(err, path, "the key file holds something other than hex "
		    "digits", 0);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(data, sizeof(data));
	close(fd);
	return rc;
}

void
keyfile_pseudonym(const unsigned char key[KEYFILE_KEY_LEN], const char *nir,
    char out[KEYFILE_PSEUDONYM_LEN + 1])
{
	unsigned char md[crypto_generichash_BYTES];
	char norm[NIR_LEN];
	size_t n, i;

	/*
	 * Idempotent and cheap once done.  If it ever failed, generichash
	 * would still run its portable code: nothing to report.
	 */
	if (sodium_init() < 0) {
		/* see above */
	}
	n = strnlen(nir, NIR_LEN);
	for (i = 0; i < n; i++)
		norm[i] = (nir[i] == 'a' || nir[i] == 'b') ?
		    (char)(nir[i] - 'a' + 'A') : nir[i];
	crypto_generichash(md, sizeof(md), (const unsigned char *)norm, n,
	    key, KEYFILE_KEY_LEN);
	sodium_bin2hex(out, KEYFILE_PSEUDONYM_LEN + 1, md, sizeof(md));
	sodium_memzero(norm, sizeof(norm));
	sodium_memzero(md, sizeof(md));
}

void
keyfile_header_key(const unsigned char key[KEYFILE_KEY_LEN],
    const unsigned char digest[32], char out[KEYFILE_PSEUDONYM_LEN + 1])
{
	unsigned char h[crypto_generichash_BYTES];

	crypto_generichash(h, sizeof(h), digest, 32, key, KEYFILE_KEY_LEN);
	sodium_bin2hex(out, KEYFILE_PSEUDONYM_LEN + 1, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}
