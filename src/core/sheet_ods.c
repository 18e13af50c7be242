/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sheet_ods - the first table of an OpenDocument spreadsheet (ODF 1.2+,
 * content.xml), as LibreOffice writes it.
 *
 * A cell's value is in its attributes (office:value-type, office:value,
 * office:date-value), its text in <text:p> paragraphs.  LibreOffice writes
 * runs of identical cells and rows once with a repetition count, up to the
 * sheet's last column and row (table:number-columns-repeated="16378",
 * number-rows-repeated="1048571"); an empty one only moves the position,
 * a non-empty one is copied, within the limits.  Comments
 * (<office:annotation>) and tables inside cells are not the cell's text.
 */
#include "sheet_priv.h"

#include <stdlib.h>
#include <string.h>

#define NS_TABLE	"urn:oasis:names:tc:opendocument:xmlns:table:1.0|"
#define NS_OFFICE	"urn:oasis:names:tc:opendocument:xmlns:office:1.0|"
#define NS_TEXT		"urn:oasis:names:tc:opendocument:xmlns:text:1.0|"

/* More spaces than this in one <text:s> are this many. */
#define ODS_MAX_SPACES	1024
/* Bytes of one cell's text: Excel's and LibreOffice's limit. */
#define ODS_MAX_TEXT	32767

struct ods {
	int		 depth;		/* of the element being read */
	int		 table;		/* depth of the first table, 0 */
	int		 done;		/* the first table is read */
	int		 skip;		/* depth of what is skipped, 0 */
	int		 in_row, row_over, in_cell, in_p;
	unsigned long	 line;		/* of the row being read */
	unsigned long	 row_repeat, col_repeat;
	size_t		 col;
	enum sheet_kind	 kind;
	struct buf	 value;		/* from the cell's attributes */
	struct buf	 text;		/* from its paragraphs */
};

static const char *
attr(const XML_Char **atts, const char *full)
{
	size_t i;

	for (i = 0; atts[i] != NULL; i += 2)
		if (strcmp(atts[i], full) == 0)
			return atts[i + 1];
	return NULL;
}

/* A repetition count: 1 if absent or not a number, at most `max`. */
static unsigned long
repeat(const XML_Char **atts, const char *full, unsigned long max)
{
	const char *v = attr(atts, full);
	unsigned long n = 0;

	if (v == NULL || *v < '0' || *v > '9')
		return 1;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (unsigned long)(*v - '0')) > max)
			return max;
	return n == 0 ? 1 : n;
}

/* 0 if n more bytes fit in the cell's text, else -1 (reported). */
static int
text_room(struct sheet_ctx *c, const struct ods *o, size_t n)
{
	if (n <= ODS_MAX_TEXT && o->text.len <= ODS_MAX_TEXT - n)
		return 0;
	return sheet_fail(c, o->line <= SHEET_MAX_LINE ? (unsigned)o->line :
	    0, "a cell of more than %d characters: not an annex",
	    ODS_MAX_TEXT);
}

static void
cell_start(struct ods *o, const XML_Char **atts)
{
	const char *type = attr(atts, NS_OFFICE "value-type"), *v = NULL;

	o->in_cell = 1;
	o->in_p = 0;
	/* Past the last column: only how far matters, saturated. */
	o->col_repeat = repeat(atts, NS_TABLE "number-columns-repeated",
	    SHEET_MAX_LINE);
	buf_reset(&o->value);
	buf_reset(&o->text);
	o->kind = SHEET_TEXT;
	if (type == NULL)
		return;
	if (strcmp(type, "date") == 0) {
		v = attr(atts, NS_OFFICE "date-value");
		o->kind = SHEET_DATE;
	} else if (strcmp(type, "float") == 0 ||
	    strcmp(type, "percentage") == 0 || strcmp(type, "currency") == 0) {
		v = attr(atts, NS_OFFICE "value");
		o->kind = SHEET_NUMBER;
	}
	if (v != NULL)
		buf_puts(&o->value, v);
	else
		o->kind = SHEET_TEXT;	/* its text, then */
}

static void
on_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct ods *o = c->reader;
	unsigned long n;

	o->depth++;
	if (o->skip != 0 || o->done)
		return;
	if (strcmp(name, NS_TABLE "table") == 0) {
		if (o->table == 0)
			o->table = o->depth;
		else
			o->skip = o->depth;	/* a table in a cell */
	} else if (o->table == 0) {
		return;
	} else if (strcmp(name, NS_OFFICE "annotation") == 0) {
		o->skip = o->depth;
	} else if (strcmp(name, NS_TABLE "table-row") == 0) {
		o->in_row = 1;
		o->col = 0;
		o->row_repeat = repeat(atts, NS_TABLE "number-rows-repeated",
		    SHEET_MAX_LINE);
		o->row_over = o->line > SHEET_MAX_LINE;
		if (!o->row_over)
			sheet_row_begin(c, (unsigned)o->line);
	} else if (o->in_row && (strcmp(name, NS_TABLE "table-cell") == 0 ||
	    strcmp(name, NS_TABLE "covered-table-cell") == 0)) {
		cell_start(o, atts);
	} else if (!o->in_cell) {
		return;
	} else if (strcmp(name, NS_TEXT "p") == 0 ||
	    strcmp(name, NS_TEXT "h") == 0) {
		if (o->text.len > 0)
			buf_putc(&o->text, '\n');
		o->in_p++;
	} else if (o->in_p && strcmp(name, NS_TEXT "s") == 0) {
		n = repeat(atts, NS_TEXT "c", ODS_MAX_SPACES);
		if (text_room(c, o, n) == 0)
			for (; n > 0; n--)
				buf_putc(&o->text, ' ');
	} else if (o->in_p && strcmp(name, NS_TEXT "tab") == 0) {
		buf_putc(&o->text, '\t');
	} else if (o->in_p && strcmp(name, NS_TEXT "line-break") == 0) {
		buf_putc(&o->text, '\n');
	}
}

static void
cell_end(struct sheet_ctx *c, struct ods *o)
{
	const struct buf *b = o->kind != SHEET_TEXT ? &o->value : &o->text;

	o->in_cell = 0;
	if (b->len > 0 && o->row_over) {
		sheet_fail(c, 0, "a row beyond the %u rows a spreadsheet has",
		    SHEET_MAX_LINE);
		return;
	}
	if (b->len > 0 && !o->row_over)
		sheet_cell(c, o->col, buf_str(b), b->len, o->kind,
		    o->col_repeat);
	o->col = o->col_repeat > SHEET_MAX_LINE - o->col ? SHEET_MAX_LINE :
	    o->col + o->col_repeat;
}

static void
on_end(void *u, const XML_Char *name)
{
	struct sheet_ctx *c = u;
	struct ods *o = c->reader;

	if (o->skip != 0) {
		if (o->skip == o->depth)
			o->skip = 0;
	} else if (o->done || o->table == 0) {
		;
	} else if (o->depth == o->table) {
		o->done = 1;	/* the first table only */
	} else if (o->in_cell && (strcmp(name, NS_TABLE "table-cell") == 0 ||
	    strcmp(name, NS_TABLE "covered-table-cell") == 0)) {
		cell_end(c, o);
	} else if (o->in_p && (strcmp(name, NS_TEXT "p") == 0 ||
	    strcmp(name, NS_TEXT "h") == 0)) {
		o->in_p--;
	} else if (o->in_row && strcmp(name, NS_TABLE "table-row") == 0) {
		o->in_row = 0;
		if (!o->row_over)
			sheet_row_end(c, o->row_repeat);
		o->line += o->row_repeat;
		if (o->line > SHEET_MAX_LINE)
			o->line = SHEET_MAX_LINE + 1UL;
	}
	o->depth--;
}

static void
on_text(void *u, const XML_Char *s, int len)
{
	struct sheet_ctx *c = u;
	struct ods *o = c->reader;

	if (o->skip == 0 && o->in_cell && o->in_p > 0 &&
	    text_room(c, o, (size_t)len) == 0 &&
	    buf_add(&o->text, s, (size_t)len) == -1)
		sheet_fail(c, 0, "out of memory");
}

int
sheet_ods_read(struct sheet_ctx *c)
{
	struct ods o;
	char *data;
	size_t n;
	int r;

	memset(&o, 0, sizeof(o));
	o.line = 1;
	if ((r = sheet_entry(c, "content.xml", &data, &n)) <= 0)
		return r == 0 ? sheet_fail(c, 0, "no content.xml in the "
		    "spreadsheet") : -1;
	r = sheet_xml(c, "content.xml", data, n, on_start, on_end, on_text,
	    &o);
	free(data);
	buf_free(&o.value);
	buf_free(&o.text);
	if (r == 0 && o.table == 0)
		return sheet_fail(c, 0, "no table in the spreadsheet");
	return r;
}
