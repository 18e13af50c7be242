/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password - the rules a console password must follow (issue 20;
 * convention monenfant.fr art. 3-2), pure: values in, verdict out.
 *
 *   - valid UTF-8, at least PASSWORD_MIN code points (not bytes: "é" is
 *     one character to the person who types it), at most PASSWORD_MAX
 *     bytes (a bound on what is handed to Argon2);
 *   - no control character (C0, DEL, C1): a password is typed, and a
 *     stray CR or escape means a paste went wrong;
 *   - not the login itself (ASCII case ignored).
 *
 * The message names the rule broken, never the password nor a part of it.
 */
#ifndef BALP_PASSWORD_H
#define BALP_PASSWORD_H

#include <stddef.h>

#include "balp/buf.h"

#define PASSWORD_MIN	12	/* code points */
#define PASSWORD_MAX	1024	/* bytes */

/* The rule pw breaks, first found; for a caller with its own words. */
enum password_rule {
	PASSWORD_OK,
	PASSWORD_TOO_LONG,	/* > PASSWORD_MAX bytes */
	PASSWORD_NOT_UTF8,
	PASSWORD_CONTROL,	/* a control character */
	PASSWORD_TOO_SHORT,	/* < PASSWORD_MIN characters */
	PASSWORD_IS_LOGIN,
};

enum password_rule password_rule(const char *login, const char *pw,
	    size_t len);
/*
 * 0 if pw[0..len) may be login's password, else -1 and why in err
 * (English, balpctl's words for password_rule's verdict).
 */
int	 password_check(const char *login, const char *pw, size_t len,
	    struct buf *err);

#endif
