/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json - JSON output (see include/balp/json.h).
 */
#include "balp/json.h"
#include "balp/text.h"

#include <stdint.h>
#include <string.h>

int
json_string(struct buf *b, const char *s)
{
	size_t i = 0, len, before;
	uint32_t cp;
	char tmp[4];

	if (s == NULL)
		return buf_puts(b, "null");
	len = strlen(s);
	buf_putc(b, '"');
	while (i < len) {
		before = i;
		cp = text_utf8_next(s, len, &i);
		if (cp == '"' || cp == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)cp);
		} else if (cp == '\n')
			buf_puts(b, "\\n");
		else if (cp == '\t')
			buf_puts(b, "\\t");
		else if (cp == '\r')
			buf_puts(b, "\\r");
		else if (cp < 0x20 || cp == 0x7F)
			buf_printf(b, "\\u%04x", (unsigned)cp);
		else if (cp < 0x80 || i - before > 1 || cp != 0xFFFD)
			buf_add(b, tmp, text_utf8_put(cp, tmp));
		else
			buf_puts(b, "\\ufffd");
	}
	return buf_putc(b, '"');
}
