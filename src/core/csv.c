/* SPDX-License-Identifier: Apache-2.0 */
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

/* What a spreadsheet runs as a formula when a cell starts with it. */
static int
is_formula_start(char c)
{
	return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

/* 1 if csv_text_value() would drop the first character of s. */
static int
is_neutralised(const char *s)
{
	return s[0] == '\'' && (is_formula_start(s[1]) || s[1] == '\'');
}

void
csv_cell_text(struct buf *out, const char *s)
{
	cell(out, s != NULL && (is_formula_start(*s) || is_neutralised(s)) ?
	    "'" : "", s);
}

const char *
csv_text_value(const char *s)
{
	return is_neutralised(s) ? s + 1 : s;
}
