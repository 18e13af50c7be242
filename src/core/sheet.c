/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sheet - a spreadsheet's first sheet read into rows (see
 * include/balp/sheet.h): the format told from the zip, the entries read
 * within the limits, expat made safe, the rows built; the formats' own
 * reading is in sheet_xlsx.c and sheet_ods.c.
 *
 * Why so careful: an annex comes by mail from outside, and a zip is the
 * classic way to make a small file cost a lot (a bomb, a million entries,
 * a billion repeated columns).  Every cost is bounded before it is paid:
 * entries by max_zip_entries, inflating by max_inflate in all and by
 * SHEET_MAX_RATIO per entry, what is stored by SHEET_MAX_COLS,
 * SHEET_MAX_CELLS and max_inflate again for the text (an ODS repetition
 * copies text).
 */
#include "balp/sheet.h"
#include "sheet_priv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"

/* Below this, an entry's inflation ratio is not looked at. */
#define SHEET_RATIO_FLOOR	((size_t)1 << 20)

static const char ODS_MIMETYPE[] =
    "application/vnd.oasis.opendocument.spreadsheet";

/* ---- format ------------------------------------------------------------- */

enum sheet_format
sheet_format(const unsigned char *b, size_t len)
{
	struct zip_dir d;
	struct zip_entry e;
	unsigned char *mt;
	size_t n, k = 0;
	enum sheet_format f = SHEET_NONE;
	static const unsigned char ole[8] = {
		0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1
	};

	if (len >= sizeof(ole) && memcmp(b, ole, sizeof(ole)) == 0)
		return SHEET_OLE;
	if (len < 4 || b[0] != 'P' || b[1] != 'K' || b[2] != 3 || b[3] != 4)
		return SHEET_NONE;
	if (zip_dir_open(&d, b, len) == -1 || !zip_dir_plausible(&d))
		return SHEET_OTHER_ZIP;
	/* The names are enough; a few entries suffice (bounded anyway). */
	while (f == SHEET_NONE && k++ < 4096 && zip_dir_next(&d, &e) == 1) {
		if (zip_entry_is(&e, "xl/workbook.xml"))
			f = SHEET_XLSX;
		else if (zip_entry_is(&e, "mimetype") && e.csize < 256) {
			if (zip_entry_read(b, len, &e, 255, &mt, &n) ==
			    ZIP_READ_OK && n == sizeof(ODS_MIMETYPE) - 1 &&
			    memcmp(mt, ODS_MIMETYPE, n) == 0)
				f = SHEET_ODS;
			free(mt);
		}
	}
	return f != SHEET_NONE ? f : SHEET_OTHER_ZIP;
}

const char *
sheet_format_name(enum sheet_format f)
{
	return f == SHEET_XLSX ? "xlsx" : f == SHEET_ODS ? "ods" : "csv";
}

/* ---- errors and entries ------------------------------------------------- */

int
sheet_fail(struct sheet_ctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (c->xml != NULL)
		XML_StopParser(c->xml, XML_FALSE);
	if (c->failed)
		return -1;
	c->failed = 1;
	if (line > 0)
		buf_printf(c->err, "line %u: ", line);
	else
		buf_puts(c->err, "file: ");
	va_start(ap, fmt);
	buf_vprintf(c->err, fmt, ap);
	va_end(ap);
	buf_putc(c->err, '\n');
	return -1;
}

int
sheet_entry(struct sheet_ctx *c, const char *name, char **data, size_t *n)
{
	const struct zip_entry *e = NULL;
	unsigned char *out;
	size_t i, cap, ratio_cap;
	enum zip_read r;

	*data = NULL;
	*n = 0;
	for (i = 0; i < c->n_entries && e == NULL; i++)
		if (zip_entry_is(&c->entries[i], name))
			e = &c->entries[i];
	if (e == NULL)
		return 0;
	cap = c->lim->max_inflate - c->inflated;
	ratio_cap = e->csize > SIZE_MAX / SHEET_MAX_RATIO ? SIZE_MAX :
	    e->csize * SHEET_MAX_RATIO;
	if (ratio_cap < SHEET_RATIO_FLOOR)
		ratio_cap = SHEET_RATIO_FLOOR;
	if (ratio_cap < cap)
		cap = ratio_cap;
	r = zip_entry_read(c->b, c->len, e, cap, &out, n);
	c->inflated += *n;
	switch (r) {
	case ZIP_READ_OK:
		*data = (char *)out;
		return 1;
	case ZIP_READ_CUT:
		sheet_fail(c, 0, "%s is cut short (the file is incomplete)",
		    name);
		break;
	case ZIP_READ_METHOD:
		sheet_fail(c, 0, "%s is encrypted or compressed in a way this "
		    "reader does not know: save the file again without a "
		    "password", name);
		break;
	case ZIP_READ_CORRUPT:
		sheet_fail(c, 0, "%s is corrupt (its compressed data is "
		    "broken)", name);
		break;
	case ZIP_READ_TOO_BIG:
		if (cap == ratio_cap)
			sheet_fail(c, 0, "%s inflates more than %d times its "
			    "size: refused as a zip bomb", name,
			    SHEET_MAX_RATIO);
		else
			sheet_fail(c, 0, "the file inflates to more than %zu "
			    "bytes: refused as too large", c->lim->max_inflate);
		break;
	case ZIP_READ_NOMEM:
		sheet_fail(c, 0, "out of memory");
		break;
	}
	free(out);
	*n = 0;
	return -1;
}

/* ---- XML ---------------------------------------------------------------- */

static void
on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct sheet_ctx *c = user;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	sheet_fail(c, 0, "XML with a DOCTYPE (entities) refused: no "
	    "spreadsheet writes one");
}

static void
on_entity(void *user, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	struct sheet_ctx *c = user;

	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	sheet_fail(c, 0, "XML entity declarations refused");
}

int
sheet_xml(struct sheet_ctx *c, const char *name, const char *data, size_t n,
    XML_StartElementHandler start, XML_EndElementHandler end,
    XML_CharacterDataHandler text, void *user)
{
	XML_Parser p;
	enum XML_Status st;
	int ret = 0;

	if (n > (size_t)1 << 30)
		return sheet_fail(c, 0, "%s is too large", name);
	if ((p = XML_ParserCreateNS(NULL, '|')) == NULL)
		return sheet_fail(c, 0, "out of memory");
	/* Every handler gets c; a reader's own state is c->reader. */
	c->reader = user;
	c->xml = p;
	XML_SetUserData(p, c);
	XML_SetElementHandler(p, start, end);
	XML_SetCharacterDataHandler(p, text);
	/* Never read another file, whatever the document says. */
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity);
	st = XML_Parse(p, data, (int)n, XML_TRUE);
	if (st != XML_STATUS_OK && !c->failed)
		ret = sheet_fail(c, 0, "%s is not well-formed XML (its line "
		    "%lu: %s)", name, (unsigned long)XML_GetCurrentLineNumber(p),
		    XML_ErrorString(XML_GetErrorCode(p)));
	else if (c->failed)
		ret = -1;
	c->xml = NULL;
	XML_ParserFree(p);
	return ret;
}

const char *
sheet_local(const XML_Char *name)
{
	const char *bar = strrchr(name, '|');

	return bar != NULL ? bar + 1 : name;
}

const char *
sheet_attr(const XML_Char **atts, const char *local)
{
	size_t i;

	for (i = 0; atts[i] != NULL; i += 2)
		if (strcmp(sheet_local(atts[i]), local) == 0)
			return atts[i + 1];
	return NULL;
}

/* ---- rows --------------------------------------------------------------- */

int
sheet_row_begin(struct sheet_ctx *c, unsigned line)
{
	if (line == 0 || line > SHEET_MAX_LINE)
		return sheet_fail(c, 0, "row %u is beyond the %u rows a "
		    "spreadsheet has", line, SHEET_MAX_LINE);
	/* What a row left unended (an error) holds is not carried on. */
	while (c->n > 0) {
		free(c->cells[--c->n].text);
		c->cells[c->n].text = NULL;
	}
	c->line = line;
	return 0;
}

static void
cells_free(struct sheet_cell *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

int
sheet_cell(struct sheet_ctx *c, size_t col, const char *text, size_t len,
    enum sheet_kind kind, unsigned long repeat)
{
	unsigned long k;

	if (len == 0)
		return 0;
	if (col >= SHEET_MAX_COLS || repeat > SHEET_MAX_COLS - col)
		return sheet_fail(c, c->line, "a cell beyond column %d: not "
		    "an annex", SHEET_MAX_COLS);
	for (k = 0; k < repeat; k++, col++) {
		if (c->text_bytes + len + 1 > c->lim->max_inflate)
			return sheet_fail(c, 0, "more than %zu bytes of text: "
			    "refused as too large", c->lim->max_inflate);
		if (ARRAY_RESERVE(c->cells, c->cap, col) == -1)
			return sheet_fail(c, 0, "out of memory");
		free(c->cells[col].text);
		if ((c->cells[col].text = buf_strndup(text, len)) == NULL)
			return sheet_fail(c, 0, "out of memory");
		c->cells[col].kind = kind;
		c->text_bytes += len + 1;
		if (col + 1 > c->n)
			c->n = col + 1;
	}
	return 0;
}

/*
 * Appends the row built (moved) or, when copy, a copy of the row stored
 * at index `from` (an index: appending may move the rows).  -1 (reported).
 */
static int
row_store(struct sheet_ctx *c, unsigned line, int copy, size_t from_i)
{
	struct sheet *s = c->out;
	struct sheet_row *r;
	const struct sheet_row *from;
	struct sheet_cell *v;
	const char *t;
	size_t i, n, len;

	if (line > SHEET_MAX_LINE)
		return sheet_fail(c, 0, "row %u is beyond the %u rows a "
		    "spreadsheet has", line, SHEET_MAX_LINE);
	if (ARRAY_RESERVE(s->rows, s->cap, s->n) == -1)
		return sheet_fail(c, 0, "out of memory");
	from = copy ? &s->rows[from_i] : NULL;
	n = from != NULL ? from->n : c->n;
	if (n > SHEET_MAX_CELLS - c->n_cells)
		return sheet_fail(c, line, "more than %zu cells: not an annex",
		    SHEET_MAX_CELLS);
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return sheet_fail(c, 0, "out of memory");
	for (i = 0; i < n; i++) {
		if (from == NULL && c->cells[i].text != NULL) {
			v[i] = c->cells[i];	/* moved */
			c->cells[i].text = NULL;
			continue;
		}
		t = from != NULL ? from->cells[i].text : "";
		len = strlen(t);
		if (c->text_bytes + len + 1 > c->lim->max_inflate) {
			cells_free(v, n);
			return sheet_fail(c, 0, "more than %zu bytes of text: "
			    "refused as too large", c->lim->max_inflate);
		}
		if ((v[i].text = buf_strndup(t, len)) == NULL) {
			cells_free(v, n);
			return sheet_fail(c, 0, "out of memory");
		}
		c->text_bytes += len + 1;
		v[i].kind = from != NULL ? from->cells[i].kind : SHEET_TEXT;
	}
	c->n_cells += n;
	r = &s->rows[s->n++];
	r->line = line;
	r->cells = v;
	r->n = n;
	return 0;
}

int
sheet_row_end(struct sheet_ctx *c, unsigned long repeat)
{
	size_t first;
	unsigned long k;

	if (c->n == 0)
		return 0;
	if (row_store(c, c->line, 0, 0) == -1)
		return -1;
	c->n = 0;
	/* An ODS row repeated: each copy is a row of its own. */
	first = c->out->n - 1;
	for (k = 1; k < repeat; k++)
		if (row_store(c, c->line + (unsigned)(k > SHEET_MAX_LINE ?
		    SHEET_MAX_LINE : k), 1, first) == -1)
			return -1;
	return 0;
}

/* ---- dates -------------------------------------------------------------- */

int
sheet_serial_date(const char *v, int date1904, char out[32])
{
	unsigned long days = 0, minutes;
	double frac = 0, scale = 0.1;
	int32_t day;
	const char *p = v;
	int y, m, d;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		days = days * 10 + (unsigned long)(*p - '0');
		if (days > 2958465)	/* 9999-12-31 */
			return -1;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p != '\0')
		return -1;
	/*
	 * 1900: day 1 is 1900-01-01, and Lotus 1-2-3's 1900-02-29 (day
	 * 60), which never was, is kept by Excel: from day 61 on, day 0
	 * is 1899-12-30.  1904: day 0 is 1904-01-01.
	 */
	if (date1904)
		day = (int32_t)days - 24107;
	else if (days == 0 || days == 60)
		return -1;
	else
		day = (int32_t)days - (days < 60 ? 25568 : 25569);
	date_to_ymd(day, &y, &m, &d);
	minutes = (unsigned long)(frac * 1440 + 0.5);
	if (minutes == 0 || minutes >= 1440)
		snprintf(out, 32, "%04d-%02d-%02d", y, m, d);
	else
		snprintf(out, 32, "%04d-%02d-%02d %02lu:%02lu", y, m, d,
		    minutes / 60, minutes % 60);
	return 0;
}

int
sheet_numfmt_is_date(const char *code)
{
	int m = 0, time = 0;
	const char *p;

	for (p = code; *p != '\0'; p++) {
		switch (*p) {
		case '"':	/* literal text */
			while (p[1] != '\0' && p[1] != '"')
				p++;
			if (p[1] == '"')
				p++;
			break;
		case '[':	/* colour, locale, condition, elapsed time */
			while (p[1] != '\0' && p[1] != ']')
				p++;
			if (p[1] == ']')
				p++;
			break;
		case '\\':	/* the next character as is */
		case '_':	/* a space as wide as it */
		case '*':	/* it repeated */
			if (p[1] != '\0')
				p++;
			break;
		case 'd': case 'D': case 'y': case 'Y':
			return 1;
		case 'm': case 'M':
			m = 1;
			break;
		case 'h': case 'H': case 's': case 'S':
			time = 1;
			break;
		}
	}
	/* "mmm yyyy" has a y; an m alone is a month unless it is minutes. */
	return m && !time;
}

/* ---- the whole ---------------------------------------------------------- */

void
sheet_free(struct sheet *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		cells_free(s->rows[i].cells, s->rows[i].n);
	free(s->rows);
	memset(s, 0, sizeof(*s));
}

int
sheet_read(const unsigned char *b, size_t len, enum sheet_format f,
    const struct content_limits *lim, struct sheet *out, struct buf *err)
{
	static const struct content_limits defaults = CONTENT_LIMITS_DEFAULT;
	struct sheet_ctx c;
	struct zip_dir d;
	size_t cap = 0;
	int r, ret = -1;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.b = b;
	c.len = len;
	c.lim = lim != NULL ? lim : &defaults;
	c.out = out;
	c.err = err;
	if (zip_dir_open(&d, b, len) == -1 || !zip_dir_plausible(&d)) {
		sheet_fail(&c, 0, "not a readable .%s file (no zip directory:"
		    " cut short?)", sheet_format_name(f));
		goto out;
	}
	if (d.zip64) {
		sheet_fail(&c, 0, "a Zip64 file: not an annex");
		goto out;
	}
	if (d.n > c.lim->max_zip_entries) {
		sheet_fail(&c, 0, "%zu entries in the zip, more than %zu: not "
		    "an annex", d.n, c.lim->max_zip_entries);
		goto out;
	}
	for (;;) {
		if (ARRAY_RESERVE(c.entries, cap, c.n_entries) == -1) {
			sheet_fail(&c, 0, "out of memory");
			goto out;
		}
		if ((r = zip_dir_next(&d, &c.entries[c.n_entries])) == 0)
			break;
		if (r == -1) {
			sheet_fail(&c, 0, "the zip directory is broken after "
			    "%zu entries", d.k);
			goto out;
		}
		c.n_entries++;
	}
	if (f == SHEET_XLSX)
		ret = sheet_xlsx_read(&c);
	else if (f == SHEET_ODS)
		ret = sheet_ods_read(&c);
	else
		sheet_fail(&c, 0, "not a spreadsheet");
out:
	if (ret != 0 || c.failed) {
		ret = -1;
		if (!c.failed)
			sheet_fail(&c, 0, "not a readable .%s file",
			    sheet_format_name(f));
		sheet_free(out);
	}
	for (cap = 0; cap < c.cap; cap++)
		free(c.cells[cap].text);
	free(c.cells);
	free(c.entries);
	return ret;
}
