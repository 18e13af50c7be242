/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sheet_xlsx - the first worksheet of an Office Open XML workbook (ECMA-376
 * part 1, SpreadsheetML), as Excel and LibreOffice write it.
 *
 * Four entries are read, each once, in this order: xl/workbook.xml (which
 * sheet is first, and whether days count from 1904), its relationships
 * (where that sheet is), xl/sharedStrings.xml (the text most cells point
 * to), xl/styles.xml (which cell styles show a date), then the sheet.
 * Only the elements a value needs are looked at; formulas are not
 * evaluated (the value the program saved with them is read), merged
 * cells are not spread (their value stays in the first cell).
 */
#include "sheet_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"

struct numfmt {
	unsigned long	 id;
	int		 date;
};

struct xlsx {
	int		 date1904;
	char		*sheet_rid;	/* the first <sheet>'s r:id */
	char		*sheet_path;	/* its entry */
	char		**sst;		/* shared strings */
	size_t		 n_sst, cap_sst;
	struct numfmt	*fmts;		/* custom number formats */
	size_t		 n_fmts, cap_fmts;
	unsigned char	*xf_date;	/* per cell style: 1 shows a date */
	size_t		 n_xf, cap_xf;
	/* Where the parser is. */
	int		 in_si, in_t, in_rph, in_v, in_is, in_xfs, in_data;
	int		 in_c, in_row, seen_sheet;
	struct buf	 text;
	/* The cell and row being read. */
	size_t		 col, next_col;
	unsigned	 line, last_line;
	char		 type[12];
	long		 style;
};

/* An unsigned decimal attribute; -1 if absent or not one. */
static long
attr_num(const XML_Char **atts, const char *name, unsigned long max)
{
	const char *v = sheet_attr(atts, name);
	unsigned long n = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (unsigned long)(*v - '0')) > max)
			return -1;
	return *v == '\0' ? (long)n : -1;
}

static int
attr_true(const XML_Char **atts, const char *name)
{
	const char *v = sheet_attr(atts, name);

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* ---- workbook and its relationships -------------------------------------- */

static void
wb_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name), *id;

	if (strcmp(el, "workbookPr") == 0)
		x->date1904 = attr_true(atts, "date1904");
	else if (strcmp(el, "sheet") == 0 && !x->seen_sheet) {
		x->seen_sheet = 1;
		if ((id = sheet_attr(atts, "id")) != NULL &&
		    (x->sheet_rid = buf_strdup(id)) == NULL)
			sheet_fail(c, 0, "out of memory");
	}
}

static void
rels_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *id, *target;
	struct buf p = BUF_INIT;

	if (strcmp(sheet_local(name), "Relationship") != 0 ||
	    x->sheet_path != NULL || x->sheet_rid == NULL ||
	    (id = sheet_attr(atts, "Id")) == NULL ||
	    strcmp(id, x->sheet_rid) != 0 ||
	    (target = sheet_attr(atts, "Target")) == NULL)
		return;
	/* Relative to xl/, or absolute in the package. */
	if (*target == '/')
		buf_puts(&p, target + 1);
	else {
		buf_puts(&p, "xl/");
		buf_puts(&p, target);
	}
	if ((x->sheet_path = buf_detach(&p)) == NULL)
		sheet_fail(c, 0, "out of memory");
}

static void
no_end(void *u, const XML_Char *name)
{
	(void)u;
	(void)name;
}

static void
no_text(void *u, const XML_Char *s, int len)
{
	(void)u;
	(void)s;
	(void)len;
}

/* ---- shared strings ------------------------------------------------------ */

static void
sst_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name);

	(void)atts;
	if (strcmp(el, "si") == 0) {
		x->in_si = 1;
		buf_reset(&x->text);
	} else if (strcmp(el, "rPh") == 0)
		x->in_rph++;	/* phonetic reading: not the text */
	else if (strcmp(el, "t") == 0 && x->in_si)
		x->in_t = 1;
}

static void
sst_end(void *u, const XML_Char *name)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name);
	char *s;

	if (strcmp(el, "t") == 0)
		x->in_t = 0;
	else if (strcmp(el, "rPh") == 0 && x->in_rph > 0)
		x->in_rph--;
	else if (strcmp(el, "si") == 0 && x->in_si) {
		x->in_si = 0;
		if (x->n_sst >= SHEET_MAX_CELLS) {
			sheet_fail(c, 0, "more than %zu shared strings: not "
			    "an annex", SHEET_MAX_CELLS);
			return;
		}
		if (ARRAY_RESERVE(x->sst, x->cap_sst, x->n_sst) == -1 ||
		    (s = buf_strndup(buf_str(&x->text), x->text.len)) == NULL) {
			sheet_fail(c, 0, "out of memory");
			return;
		}
		x->sst[x->n_sst++] = s;
	}
}

/* Text of <t> (shared strings, inline strings) and of <v> (values). */
static void
on_text(void *u, const XML_Char *s, int len)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;

	if ((x->in_t && !x->in_rph) || x->in_v)
		if (buf_add(&x->text, s, (size_t)len) == -1)
			sheet_fail(c, 0, "out of memory");
}

/* ---- styles -------------------------------------------------------------- */

/* ECMA-376 18.8.30: the built-in formats that show a date or a time. */
static int
builtin_date(unsigned long id)
{
	return (id >= 14 && id <= 22) || (id >= 45 && id <= 47);
}

static void
styles_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name), *code;
	long id;
	size_t i;
	int date;

	if (strcmp(el, "numFmt") == 0) {
		if ((id = attr_num(atts, "numFmtId", 1UL << 30)) < 0 ||
		    (code = sheet_attr(atts, "formatCode")) == NULL)
			return;
		if (ARRAY_RESERVE(x->fmts, x->cap_fmts, x->n_fmts) == -1) {
			sheet_fail(c, 0, "out of memory");
			return;
		}
		x->fmts[x->n_fmts].id = (unsigned long)id;
		x->fmts[x->n_fmts++].date = sheet_numfmt_is_date(code);
	} else if (strcmp(el, "cellXfs") == 0)
		x->in_xfs = 1;
	else if (strcmp(el, "xf") == 0 && x->in_xfs) {
		id = attr_num(atts, "numFmtId", 1UL << 30);
		date = 0;
		if (id >= 0) {
			date = builtin_date((unsigned long)id);
			/* A file may define an id again: its own wins. */
			for (i = 0; i < x->n_fmts; i++)
				if (x->fmts[i].id == (unsigned long)id)
					date = x->fmts[i].date;
		}
		if (ARRAY_RESERVE(x->xf_date, x->cap_xf, x->n_xf) == -1) {
			sheet_fail(c, 0, "out of memory");
			return;
		}
		x->xf_date[x->n_xf++] = (unsigned char)date;
	}
}

static void
styles_end(void *u, const XML_Char *name)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;

	if (strcmp(sheet_local(name), "cellXfs") == 0)
		x->in_xfs = 0;
}

/* ---- the sheet ----------------------------------------------------------- */

/*
 * "B12" -> column 1, the row checked against line.  -1 (reported) for a
 * reference that is no cell or names another row.
 */
static long
cell_col(struct sheet_ctx *c, const char *ref, unsigned line)
{
	unsigned long col = 0, row = 0;
	size_t letters = 0;
	const char *p = ref;

	for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++) {
		if (++letters > 3)
			break;
		col = col * 26 + (unsigned long)((*p | 0x20) - 'a' + 1);
	}
	for (; *p >= '0' && *p <= '9' && row <= SHEET_MAX_LINE; p++)
		row = row * 10 + (unsigned long)(*p - '0');
	if (letters == 0 || letters > 3 || *p != '\0' || row != line)
		return sheet_fail(c, line, "cell reference '%.12s' is not a "
		    "cell of this row", ref);
	return (long)col - 1;
}

static void
ws_start(void *u, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name), *v;
	long n;

	if (strcmp(el, "sheetData") == 0) {
		x->in_data = 1;
	} else if (!x->in_data) {
		return;
	} else if (strcmp(el, "row") == 0) {
		if (sheet_attr(atts, "r") == NULL)
			n = (long)x->last_line + 1;
		else if ((n = attr_num(atts, "r", SHEET_MAX_LINE)) < 1) {
			sheet_fail(c, x->last_line + 1, "row number '%.12s' "
			    "is not one", sheet_attr(atts, "r"));
			return;
		}
		if (sheet_row_begin(c, (unsigned)n) == -1)
			return;
		x->in_row = 1;
		x->line = (unsigned)n;
		x->next_col = 0;
	} else if (strcmp(el, "c") == 0 && x->in_row) {
		x->in_c = 1;
		x->in_v = x->in_is = x->in_t = x->in_rph = 0;
		buf_reset(&x->text);
		if ((v = sheet_attr(atts, "r")) == NULL)
			x->col = x->next_col;
		else if ((n = cell_col(c, v, x->line)) < 0)
			return;
		else
			x->col = (size_t)n;
		v = sheet_attr(atts, "t");
		snprintf(x->type, sizeof(x->type), "%s", v != NULL ? v : "n");
		/* No s: the workbook's default cell style, the first. */
		if ((x->style = attr_num(atts, "s", 1UL << 30)) < 0)
			x->style = 0;
	} else if (!x->in_c) {
		return;
	} else if (strcmp(el, "v") == 0) {
		x->in_v = 1;
	} else if (strcmp(el, "is") == 0) {
		x->in_is = 1;
	} else if (strcmp(el, "t") == 0 && x->in_is) {
		x->in_t = 1;
	} else if (strcmp(el, "rPh") == 0) {
		x->in_rph++;
	}
}

/* The cell just read, put in the row. */
static void
cell_done(struct sheet_ctx *c, struct xlsx *x)
{
	const char *t = buf_str(&x->text);
	size_t len = x->text.len;
	enum sheet_kind kind = SHEET_TEXT;
	char date[32];
	long i;

	if (strcmp(x->type, "s") == 0) {
		if (len == 0)
			return;
		i = -1;
		if (strspn(t, "0123456789") == len && len < 10)
			i = atol(t);
		if (i < 0 || (size_t)i >= x->n_sst) {
			sheet_fail(c, x->line, "a cell points to text %.12s "
			    "the file does not have", t);
			return;
		}
		t = x->sst[i];
		len = strlen(t);
	} else if (strcmp(x->type, "d") == 0) {
		kind = SHEET_DATE;	/* ISO 8601 text */
	} else if (strcmp(x->type, "n") == 0 && len > 0) {
		if ((size_t)x->style < x->n_xf && x->xf_date[x->style]) {
			if (sheet_serial_date(t, x->date1904, date) == 0) {
				t = date;
				len = strlen(date);
				kind = SHEET_DATE;
			}
		} else
			kind = SHEET_NUMBER;
	}
	/* inlineStr, str (a formula's text), b, e: the text as it is. */
	sheet_cell(c, x->col, t, len, kind, 1);
}

static void
ws_end(void *u, const XML_Char *name)
{
	struct sheet_ctx *c = u;
	struct xlsx *x = c->reader;
	const char *el = sheet_local(name);

	if (strcmp(el, "sheetData") == 0) {
		x->in_data = 0;
	} else if (strcmp(el, "row") == 0 && x->in_row) {
		x->in_row = 0;
		x->last_line = x->line;
		sheet_row_end(c, 1);
	} else if (strcmp(el, "c") == 0 && x->in_c) {
		x->in_c = 0;
		cell_done(c, x);
		x->next_col = x->col + 1;
	} else if (strcmp(el, "v") == 0) {
		x->in_v = 0;
	} else if (strcmp(el, "is") == 0) {
		x->in_is = 0;
	} else if (strcmp(el, "t") == 0) {
		x->in_t = 0;
	} else if (strcmp(el, "rPh") == 0 && x->in_rph > 0) {
		x->in_rph--;
	}
}

/* ---- the whole ----------------------------------------------------------- */

/* Reads entry name with the handlers; a missing one is ok unless needed. */
static int
read_part(struct sheet_ctx *c, struct xlsx *x, const char *name, int needed,
    XML_StartElementHandler start, XML_EndElementHandler end,
    XML_CharacterDataHandler text)
{
	char *data;
	size_t n;
	int r;

	if ((r = sheet_entry(c, name, &data, &n)) <= 0) {
		if (r == 0 && needed)
			return sheet_fail(c, 0, "no %s in the workbook", name);
		return r;
	}
	r = sheet_xml(c, name, data, n, start, end, text, x);
	free(data);
	return r;
}

int
sheet_xlsx_read(struct sheet_ctx *c)
{
	struct xlsx x;
	const char *path;
	size_t i;
	int ret = -1;

	memset(&x, 0, sizeof(x));
	if (read_part(c, &x, "xl/workbook.xml", 1, wb_start, no_end,
	    no_text) == -1 ||
	    read_part(c, &x, "xl/_rels/workbook.xml.rels", 0, rels_start,
	    no_end, no_text) == -1 ||
	    read_part(c, &x, "xl/sharedStrings.xml", 0, sst_start, sst_end,
	    on_text) == -1 ||
	    read_part(c, &x, "xl/styles.xml", 0, styles_start, styles_end,
	    no_text) == -1)
		goto out;
	/* Excel's name for the first sheet when nothing says otherwise. */
	path = x.sheet_path != NULL ? x.sheet_path : "xl/worksheets/sheet1.xml";
	buf_reset(&x.text);
	x.in_t = x.in_rph = 0;
	ret = read_part(c, &x, path, 1, ws_start, ws_end, on_text);
out:
	for (i = 0; i < x.n_sst; i++)
		free(x.sst[i]);
	free(x.sst);
	free(x.fmts);
	free(x.xf_date);
	free(x.sheet_rid);
	free(x.sheet_path);
	buf_free(&x.text);
	return ret;
}
