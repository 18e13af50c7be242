/*
 * csv - cells of balpctl's CSV files (see include/balp/csv.h).
 */
#include "balp/csv.h"

#include <string.h>

static void
cell(struct buf *out, const char *prefix, const char *s)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ";,\"\r\n") == NULL) {
		buf_puts(out, prefix);
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	buf_puts(out, prefix);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_putc(out, '"');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

void
csv_cell(struct buf *out, const char *s)
{
	cell(out, "", s);
}

void
csv_cell_text(struct buf *out, const char *s)
{
	cell(out, s != NULL && *s != '\0' && strchr("=+-@\t\r", *s) != NULL ?
	    "'" : "", s);
}
