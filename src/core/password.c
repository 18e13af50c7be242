/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password - the rules of a console password (see password.h).
 */
#include "balp/password.h"

#include <stdint.h>
#include <string.h>

#include "balp/text.h"

int
password_check(const char *login, const char *pw, size_t len,
    struct buf *err)
{
	size_t i = 0, points = 0;
	uint32_t cp;

	if (len > PASSWORD_MAX) {
		buf_printf(err, "the password is longer than %d bytes",
		    PASSWORD_MAX);
		return -1;
	}
	if (!text_utf8_valid(pw, len)) {
		buf_puts(err, "the password is not valid UTF-8");
		return -1;
	}
	while (i < len) {
		cp = text_utf8_next(pw, len, &i);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			buf_puts(err, "the password holds a control character"
			    " (a tab, a carriage return, an escape...)");
			return -1;
		}
		points++;
	}
	if (points < PASSWORD_MIN) {
		buf_printf(err, "the password is shorter than %d characters",
		    PASSWORD_MIN);
		return -1;
	}
	if (login != NULL && strlen(login) == len &&
	    text_ascii_ncasecmp(login, pw, len) == 0) {
		buf_puts(err, "the password is the login");
		return -1;
	}
	return 0;
}
