/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keyfile - the secret key behind NIR pseudonyms, in a 0600 file (0640
 * when shared with the admin group, see keyfile_load_shared).
 *
 * The file holds 32 random bytes as 64 lower-case hex digits and a newline.
 * A pseudonym is hex(crypto_generichash-256 keyed with it over the 15
 * characters of a NIR): stable for one key, so an agent can find every
 * message about a beneficiary by computing it again, and worthless without
 * the key (a NIR has too few values to hide behind an unkeyed hash).
 *
 * Errors go to err (may be NULL) as one line naming the file; never the
 * key.  Key material on the stack is wiped with sodium_memzero.  These
 * functions call sodium_init() themselves (it is idempotent).
 */
#ifndef BALP_KEYFILE_H
#define BALP_KEYFILE_H

#include <sys/types.h>

#include <stddef.h>

#include "balp/buf.h"

#define KEYFILE_KEY_LEN		32
#define KEYFILE_PSEUDONYM_LEN	64	/* hex digits; buffers need + 1 */

/*
 * Creates path (O_EXCL, mode 0600: refused if it exists) with a new random
 * key, fsynced with its folder.  0, or -1 with err set (a half-written file
 * is removed).
 */
int	 keyfile_create(const char *path, struct buf *err);

/*
 * Reads the key into key.  Refuses a file that is not a regular file, that
 * group or others may read or write (mode & 077), or that is not exactly
 * 64 hex digits and an optional newline.  0, or -1 with err set (key is
 * then zeroed).
 */
int	 keyfile_load(const char *path, unsigned char key[KEYFILE_KEY_LEN],
	    struct buf *err);
/*
 * keyfile_load, but a file its group may read (mode 0640 at most: never
 * group-writable, nothing for others) is accepted when that group is
 * admin_gid, the configured admin group (conf.h admin_gid); (gid_t)-1:
 * none, exactly keyfile_load.  The refusal of another group names the
 * one it should be.
 */
int	 keyfile_load_shared(const char *path, gid_t admin_gid,
	    unsigned char key[KEYFILE_KEY_LEN], struct buf *err);

/*
 * out = 64 lower-case hex digits + NUL: the keyed hash of the NIR's first
 * 15 characters (nir.h NIR_LEN), with 'a'/'b' of Corsican departments
 * upper-cased first so that "2a" and "2A" give one pseudonym.  Never fails.
 */
void	 keyfile_pseudonym(const unsigned char key[KEYFILE_KEY_LEN],
	    const char *nir, char out[KEYFILE_PSEUDONYM_LEN + 1]);

/*
 * out = 64 lower-case hex digits + NUL: the keyed hash of a message's
 * header digest (source.h), the store's second key of a decision: equal
 * for the same message, meaningless without the key.  Never fails.
 */
void	 keyfile_header_key(const unsigned char key[KEYFILE_KEY_LEN],
	    const unsigned char digest[32], char out[KEYFILE_PSEUDONYM_LEN + 1]);

#endif
