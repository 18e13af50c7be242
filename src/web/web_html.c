/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_html - the one escaping function of the console (see web_html.h).
 */
#include "balp/web_html.h"

#include <string.h>

#include "balp/date.h"

/*
 * The length of the UTF-8 sequence at s[0..len) (shortest form, no
 * surrogate, at most U+10FFFF), or 0 when it is not one.
 */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) are controls too. */
	if (cp >= 0x80 && cp <= 0x9f)
		return (size_t)-1;
	return n;
}

void
web_html_textn(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		switch (p[i]) {
		case '&':
			buf_puts(b, "&amp;");
			i++;
			continue;
		case '<':
			buf_puts(b, "&lt;");
			i++;
			continue;
		case '>':
			buf_puts(b, "&gt;");
			i++;
			continue;
		case '"':
			buf_puts(b, "&quot;");
			i++;
			continue;
		case '\'':
			buf_puts(b, "&#39;");
			i++;
			continue;
		default:
			break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_add(b, p[i] == '\t' || p[i] == '\n' ?
			    (const char *)&p[i] : " ", 1);
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == (size_t)-1) {
			buf_add(b, " ", 1);
			i += 2;
		} else if (n == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
		} else {
			buf_add(b, s + i, n);
			i += n;
		}
	}
}

void
web_html_text(struct buf *b, const char *s)
{
	if (s != NULL)
		web_html_textn(b, s, strlen(s));
}

void
web_html_day(struct buf *b, int32_t day, const char *none)
{
	char out[11];

	if (day == DATE_NONE) {
		web_html_text(b, none);
		return;
	}
	date_format_fr(day, out);
	web_html_text(b, out);
}
