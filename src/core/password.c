/* SPDX-License-Identifier: Apache-2.0 */
/*
 * password - the rules of a console password (see password.h).
 */
#include "balp/password.h"

#include <stdint.h>
#include <string.h>

#include "balp/text.h"

enum password_rule
password_rule(const char *login, const char *pw, size_t len)
{
	size_t i = 0, points = 0;
	uint32_t cp;

	if (len > PASSWORD_MAX)
		return PASSWORD_TOO_LONG;
	if (!text_utf8_valid(pw, len))
		return PASSWORD_NOT_UTF8;
	while (i < len) {
		cp = text_utf8_next(pw, len, &i);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return PASSWORD_CONTROL;
		points++;
	}
	if (points < PASSWORD_MIN)
		return PASSWORD_TOO_SHORT;
	if (login != NULL && strlen(login) == len &&
	    text_ascii_ncasecmp(login, pw, len) == 0)
		return PASSWORD_IS_LOGIN;
	return PASSWORD_OK;
}

int
password_check(const char *login, const char *pw, size_t len,
    struct buf *err)
{
	switch (password_rule(login, pw, len)) {
	case PASSWORD_OK:
		return 0;
	case PASSWORD_TOO_LONG:
		buf_printf(err, "the password is longer than %d bytes",
		    PASSWORD_MAX);
		break;
	case PASSWORD_NOT_UTF8:
		buf_puts(err, "the password is not valid UTF-8");
		break;
	case PASSWORD_CONTROL:
		buf_puts(err, "the password holds a control character"
		    " (a tab, a carriage return, an escape...)");
		break;
	case PASSWORD_TOO_SHORT:
		buf_printf(err, "the password is shorter than %d characters",
		    PASSWORD_MIN);
		break;
	case PASSWORD_IS_LOGIN:
		buf_puts(err, "the password is the login");
		break;
	}
	return -1;
}
