/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_file - the annex file read into rows (see include/balp/annex_file.h
 * for the contract).
 *
 * Why apart from the store: an annex is hostile input (a referent's mail
 * carries it), so it is parsed where any attachment is, in the sandboxed
 * parser, which links neither sqlite nor libsodium.  Pure: bytes in, rows
 * or every error out.
 *
 * The parser reads bytes and a length (fuzzable, no NUL terminator
 * needed).  It never fails half-way: it either returns every row or every
 * error.  Values echoed in errors are bounded and stripped of controls.
 *
 * One checker for three formats: a CSV line (textenc.c decodes it) and a
 * spreadsheet's row (sheet.c reads it) both become a struct record, and
 * the header, the rows and the duplicates are checked the same way; a
 * spreadsheet's record keeps its cells' kinds, so that a bare number in
 * a date column is told from a typed one.
 *
 * Ownership: rows own their strings (annex_rows_free).
 */
#include "balp/annex_file.h"
#include "balp/csv.h"
#include "balp/sheet.h"
#include "balp/textenc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/text.h"

#define ECHO_MAX	60	/* bytes of a bad value quoted in an error */

enum col {
	COL_NOM,
	COL_PRENOM,
	COL_EMAIL,
	COL_FONCTION,
	COL_DEBUT,
	COL_FIN,
	NCOLS
};

static const char *const col_names[NCOLS] = {
	"nom", "prenom", "email", "fonction", "date_habilitation", "date_fin",
};

/* fonction and date_fin may be left out of the header: empty cells. */
static const int col_required[NCOLS] = { 1, 1, 1, 0, 1, 0 };

/*
 * Header names after normalisation (folded, every run of characters other
 * than a-z0-9 made one '_', trimmed).  The annex of the BALP convention
 * itself says "Adresse mail professionnelle", "Intitulé du poste/Fonction",
 * "Date d'habilitation", "Date de fin (si applicable)".
 */
static const struct {
	const char	*name;
	enum col	 col;
} aliases[] = {
	{ "nom", COL_NOM },
	{ "nom_de_famille", COL_NOM },
	{ "nom_d_usage", COL_NOM },
	{ "nom_usage", COL_NOM },
	{ "last_name", COL_NOM },
	{ "lastname", COL_NOM },
	{ "prenom", COL_PRENOM },
	{ "prenoms", COL_PRENOM },
	{ "first_name", COL_PRENOM },
	{ "firstname", COL_PRENOM },
	{ "email", COL_EMAIL },
	{ "e_mail", COL_EMAIL },
	{ "mail", COL_EMAIL },
	{ "mel", COL_EMAIL },
	{ "courriel", COL_EMAIL },
	{ "adresse_mail", COL_EMAIL },
	{ "adresse_email", COL_EMAIL },
	{ "adresse_e_mail", COL_EMAIL },
	{ "adresse_courriel", COL_EMAIL },
	{ "adresse_electronique", COL_EMAIL },
	{ "adresse_mail_professionnelle", COL_EMAIL },
	{ "adresse_email_professionnelle", COL_EMAIL },
	{ "adresse_e_mail_professionnelle", COL_EMAIL },
	{ "mail_professionnel", COL_EMAIL },
	{ "email_professionnel", COL_EMAIL },
	{ "courriel_professionnel", COL_EMAIL },
	{ "fonction", COL_FONCTION },
	{ "poste", COL_FONCTION },
	{ "intitule_du_poste", COL_FONCTION },
	{ "intitule_de_poste", COL_FONCTION },
	{ "intitule_du_poste_fonction", COL_FONCTION },
	{ "metier", COL_FONCTION },
	{ "job_title", COL_FONCTION },
	{ "date_habilitation", COL_DEBUT },
	{ "date_d_habilitation", COL_DEBUT },
	{ "date_de_habilitation", COL_DEBUT },
	{ "date_debut", COL_DEBUT },
	{ "date_de_debut", COL_DEBUT },
	{ "date_debut_habilitation", COL_DEBUT },
	{ "date_de_debut_d_habilitation", COL_DEBUT },
	{ "debut_habilitation", COL_DEBUT },
	{ "debut", COL_DEBUT },
	{ "habilitation", COL_DEBUT },
	{ "date_fin", COL_FIN },
	{ "date_de_fin", COL_FIN },
	{ "date_fin_habilitation", COL_FIN },
	{ "date_fin_d_habilitation", COL_FIN },
	{ "date_de_fin_habilitation", COL_FIN },
	{ "date_de_fin_d_habilitation", COL_FIN },
	{ "date_de_fin_si_applicable", COL_FIN },
	{ "date_fin_si_applicable", COL_FIN },
	{ "fin_habilitation", COL_FIN },
	{ "fin", COL_FIN },
};

/* ---- errors ------------------------------------------------------------ */

/*
 * Errors are kept as codes with their parameters (annex_file.h), so that
 * balpctl (English, annex_file_error_text) and the console (French, its
 * own sentences) say the same thing from the one check made here.
 */
struct err {
	struct annex_file_error	 e;
	size_t			 seq;	/* errors of one line in found order */
};

struct errlist {
	struct err	*v;
	size_t		 n, cap;
	int		 oom;
};

/* Records an error; value and value2 (may be NULL) are copied. */
static void
err_add(struct errlist *el, unsigned line, enum annex_file_code code,
    const char *column, size_t a, size_t b, const char *value,
    const char *value2)
{
	struct annex_file_error *e;

	if (ARRAY_RESERVE(el->v, el->cap, el->n) == -1) {
		el->oom = 1;
		return;
	}
	e = &el->v[el->n].e;
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->code = code;
	e->column = column;
	e->a = a;
	e->b = b;
	if ((value != NULL && (e->value = buf_strdup(value)) == NULL) ||
	    (value2 != NULL && (e->value2 = buf_strdup(value2)) == NULL)) {
		free(e->value);
		el->oom = 1;
		return;
	}
	el->v[el->n].seq = el->n;
	el->n++;
}

static int
err_cmp(const void *a, const void *b)
{
	const struct err *x = a, *y = b;

	if (x->e.line != y->e.line)
		return x->e.line < y->e.line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
err_free(struct errlist *el)
{
	size_t i;

	for (i = 0; i < el->n; i++) {
		free(el->v[i].e.value);
		free(el->v[i].e.value2);
	}
	free(el->v);
	memset(el, 0, sizeof(*el));
}

/*
 * A value from the file made safe to quote in a message: controls become
 * spaces, at most ECHO_MAX bytes cut on a character boundary, then "...".
 */
static void
echo(const char *s, char out[ECHO_MAX + 4])
{
	size_t n = 0, i = 0, len = strlen(s), start;

	while (i < len) {
		start = i;
		(void)text_utf8_next(s, len, &i);
		if (n + (i - start) > ECHO_MAX) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		for (; start < i; start++)
			out[n++] = ((unsigned char)s[start] < 0x20 ||
			    s[start] == 0x7f) ? ' ' : s[start];
	}
	out[n] = '\0';
}

/* ---- CSV records -------------------------------------------------------- */

struct record {
	unsigned	 line;		/* where it starts */
	unsigned	 last_line;	/* where it ends */
	struct buf	*cells;
	size_t		 n, cap;
	int		 bad;		/* a syntax error was reported */
	/* A spreadsheet's row: its cells' kinds (NULL for a CSV line). */
	const struct sheet_row *sheet;
};

static void
record_free(struct record *r)
{
	size_t i;

	for (i = 0; i < r->cap; i++)
		buf_free(&r->cells[i]);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

static struct buf *
record_cell(struct record *r)
{
	/* New slots come zeroed: an empty struct buf, as BUF_INIT. */
	if (ARRAY_RESERVE(r->cells, r->cap, r->n) == -1)
		return NULL;
	buf_reset(&r->cells[r->n]);
	/* An empty cell is "" too, never a NULL data pointer. */
	buf_add(&r->cells[r->n], "", 0);
	return &r->cells[r->n++];
}

/*
 * Reads the record at *pos (RFC 4180: quoted cells may hold the separator,
 * "" and newlines).  Returns 1 if a record was read, 0 at the end, -1 on
 * allocation failure.  Syntax errors are reported and set r->bad; the
 * reading goes on at the next line.
 */
static int
next_record(const char *d, size_t len, size_t *pos, unsigned *line, char sep,
    struct record *r, struct errlist *el)
{
	struct buf *c;
	size_t i = *pos, j;

	r->n = 0;
	r->bad = 0;
	r->line = r->last_line = *line;
	if (i >= len)
		return 0;
	for (;;) {
		if ((c = record_cell(r)) == NULL)
			return -1;
		/* Spaces before a quote; tabs too unless they separate. */
		for (j = i; j < len && (d[j] == ' ' || (d[j] == '\t' &&
		    sep != '\t')); j++)
			;
		if (j < len && d[j] == '"') {
			for (i = j + 1;; i++) {
				if (i >= len) {
					err_add(el, r->line,
					    ANNEX_FILE_E_QUOTE_OPEN, NULL,
					    r->n, 0, NULL, NULL);
					r->bad = 1;
					r->last_line = *line;
					*pos = len;
					return 1;
				}
				if (d[i] == '"') {
					if (i + 1 < len && d[i + 1] == '"') {
						buf_putc(c, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				if (d[i] == '\n')
					(*line)++;
				buf_putc(c, d[i]);
			}
			while (i < len && (d[i] == ' ' || (d[i] == '\t' &&
			    sep != '\t')))
				i++;
			if (i < len && d[i] != sep && d[i] != '\n' &&
			    !(d[i] == '\r' && (i + 1 == len ||
			    d[i + 1] == '\n'))) {
				err_add(el, *line, ANNEX_FILE_E_QUOTE_TRAILING,
				    NULL, r->n, 0, NULL, NULL);
				r->bad = 1;
				while (i < len && d[i] != '\n')
					i++;
			}
			if (i < len && d[i] == '\r')
				i++;
		} else {
			while (i < len && d[i] != sep && d[i] != '\n')
				buf_putc(c, d[i++]);
			/* CRLF: the CR ends the line, it is not data. */
			if (c->len > 0 && c->data[c->len - 1] == '\r' &&
			    (i >= len || d[i] == '\n'))
				c->data[--c->len] = '\0';
		}
		if (c->failed)
			return -1;
		if (i < len && d[i] == sep) {
			i++;
			continue;
		}
		r->last_line = *line;
		if (i < len) {		/* d[i] == '\n' */
			i++;
			(*line)++;
		}
		*pos = i;
		return 1;
	}
}

/* Cell bytes trimmed of spaces and tabs, as a new string; NULL on ENOMEM. */
static char *
trimmed(const struct buf *c)
{
	const char *s = buf_str(c);
	size_t a = 0, b = c->len;

	while (a < b && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
		b--;
	return buf_strndup(s + a, b - a);
}

/* 1 if cell i of r is empty or blank. */
static int
cells_blank_at(const struct record *r, size_t i)
{
	const char *s = buf_str(&r->cells[i]);
	size_t k;

	for (k = 0; k < r->cells[i].len; k++)
		if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
			return 0;
	return 1;
}

/* 1 if every cell of r from the from-th on is empty or blank. */
static int
cells_blank(const struct record *r, size_t from)
{
	size_t i;

	for (i = from; i < r->n; i++)
		if (!cells_blank_at(r, i))
			return 0;
	return 1;
}

static int
record_blank(const struct record *r)
{
	return cells_blank(r, 0);
}

/* ---- header ------------------------------------------------------------- */

/* "Date d'habilitation" -> "date_d_habilitation"; caller frees. */
static char *
norm_colname(const struct buf *c)
{
	char *f, *p, *q;

	if ((f = text_fold(buf_str(c), c->len)) == NULL)
		return NULL;
	for (p = q = f; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			*q++ = *p;
		else if (q > f && q[-1] != '_')
			*q++ = '_';
	}
	if (q > f && q[-1] == '_')
		q--;
	*q = '\0';
	return f;
}

/* The column a header cell names, -1 if none, -2 on ENOMEM. */
static int
alias_col(const struct buf *cell)
{
	char *name;
	size_t k;

	if ((name = norm_colname(cell)) == NULL)
		return -2;
	for (k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++)
		if (strcmp(name, aliases[k].name) == 0)
			break;
	free(name);
	return k < sizeof(aliases) / sizeof(aliases[0]) ?
	    (int)aliases[k].col : -1;
}

/*
 * Maps header cells to columns: pos[col] = cell index or -1.  Returns 0,
 * or -1 after reporting errors (or on ENOMEM: el->oom).  A spreadsheet's
 * header may leave columns blank (a margin column A): they are not read.
 */
static int
header_map(const struct record *h, long pos[NCOLS], struct errlist *el)
{
	char e[ECHO_MAX + 4];
	size_t i;
	int c, bad = 0;

	for (c = 0; c < NCOLS; c++)
		pos[c] = -1;
	for (i = 0; i < h->n; i++) {
		if ((c = alias_col(&h->cells[i])) == -2) {
			el->oom = 1;
			return -1;
		}
		if (c == -1 && h->sheet != NULL && cells_blank_at(h, i))
			continue;
		if (c == -1) {
			echo(buf_str(&h->cells[i]), e);
			if (strspn(e, " \t") == strlen(e))
				err_add(el, h->line, ANNEX_FILE_E_COL_NONAME,
				    NULL, i + 1, 0, NULL, NULL);
			else
				err_add(el, h->line, ANNEX_FILE_E_COL_UNKNOWN,
				    NULL, 0, 0, e, NULL);
			bad = 1;
			continue;
		}
		if (pos[c] != -1) {
			err_add(el, h->line, ANNEX_FILE_E_COL_TWICE,
			    col_names[c], (size_t)pos[c] + 1, i + 1, NULL,
			    NULL);
			bad = 1;
			continue;
		}
		pos[c] = (long)i;
	}
	for (c = 0; c < NCOLS; c++) {
		if (pos[c] == -1 && col_required[c]) {
			err_add(el, h->line, ANNEX_FILE_E_COL_MISSING,
			    col_names[c], 0, 0, NULL, NULL);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/*
 * ';', ',' or TAB, as the header line uses most (';' on a tie or none).
 * No column name holds a tab, so a header with more tabs than ';' and ','
 * is tab-separated (Excel's "Unicode text"); a tab around a name in a
 * ';' file is fewer than its five separators.
 */
static char
detect_sep(const char *d, size_t len, size_t from)
{
	size_t i, semi = 0, comma = 0, tab = 0;
	int quoted = 0;

	for (i = from; i < len && (quoted || d[i] != '\n'); i++) {
		if (d[i] == '"')
			quoted = !quoted;
		else if (!quoted && d[i] == ';')
			semi++;
		else if (!quoted && d[i] == ',')
			comma++;
		else if (!quoted && d[i] == '\t')
			tab++;
	}
	if (tab > semi && tab > comma)
		return '\t';
	return comma > semi ? ',' : ';';
}

/* ---- rows --------------------------------------------------------------- */

struct seen {
	const char	*email;
	unsigned	 line;
};

static int
seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c;

	if ((c = strcmp(x->email, y->email)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

void
annex_rows_free(struct annex_rows *rows)
{
	struct annex_row *r;
	size_t i;

	for (i = 0; i < rows->n; i++) {
		r = &rows->v[i];
		free(r->last_name);
		free(r->first_name);
		free(r->email);
		free(r->job_title);
	}
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

/* Cleans a name-like cell; reports it empty when required.  ENOMEM: -1. */
static int
cell_text(const struct record *r, const long pos[NCOLS], enum col c,
    char **out, struct errlist *el)
{
	const struct buf *cell;
	const char *value;
	char *s;

	*out = NULL;
	if (pos[c] == -1)
		return (*out = buf_strdup("")) == NULL ? -1 : 0;
	cell = &r->cells[pos[c]];
	/* "'=..." is how annex export writes a value a spreadsheet would
	 * run as a formula: read back as it was. */
	value = csv_text_value(buf_str(cell));
	if ((s = text_clean(value, cell->len - (size_t)(value -
	    buf_str(cell)))) == NULL)
		return -1;
	if (*s == '\0' && col_required[c])
		err_add(el, r->line, ANNEX_FILE_E_EMPTY, col_names[c], 0, 0,
		    NULL, NULL);
	*out = s;
	return 0;
}

/*
 * A date as a spreadsheet writes it: DD/MM/YYYY or YYYY-MM-DD, maybe
 * followed by a midnight time (" 00:00", " 00:00:00", or "T00:00:00"),
 * which a date column formatted as date and time adds.  Any other time
 * is refused: a habilitation starts on a day.  0, or -1.
 */
static int
date_parse_cell(const char *s, int32_t *out)
{
	static const char *const midnight[] = {
		" 00:00", " 00:00:00", "T00:00", "T00:00:00",
	};
	char day[11];
	size_t n = strlen(s), i, k;

	for (i = 0; i < n && s[i] != ' ' && s[i] != 'T'; i++)
		;
	if (i == n)
		return date_parse_any(s, out);
	if (i >= sizeof(day))
		return -1;
	/* Several spaces before the time are one. */
	for (k = i; k + 1 < n && s[k] == ' ' && s[k + 1] == ' '; k++)
		;
	for (n = 0; n < sizeof(midnight) / sizeof(midnight[0]); n++)
		if (strcmp(s + k, midnight[n]) == 0)
			break;
	if (n == sizeof(midnight) / sizeof(midnight[0]))
		return -1;
	memcpy(day, s, i);
	day[i] = '\0';
	return date_parse_any(day, out);
}

/* Parses a date cell; DATE_NONE when empty.  0 ok, 1 bad, -1 ENOMEM. */
static int
cell_date(const struct record *r, const long pos[NCOLS], enum col c,
    int32_t *out, char **text, struct errlist *el)
{
	char e[ECHO_MAX + 4], *s;

	*out = DATE_NONE;
	*text = NULL;
	if (pos[c] == -1) {
		*text = buf_strdup("");
		return *text == NULL ? -1 : 0;
	}
	if ((s = trimmed(&r->cells[pos[c]])) == NULL)
		return -1;
	*text = s;
	if (*s != '\0' && r->sheet != NULL && (size_t)pos[c] < r->sheet->n &&
	    r->sheet->cells[pos[c]].kind == SHEET_NUMBER) {
		echo(s, e);
		err_add(el, r->line, ANNEX_FILE_E_DATE_UNFORMATTED,
		    col_names[c], 0, 0, e, NULL);
		return 1;
	}
	if (*s == '\0') {
		if (col_required[c]) {
			err_add(el, r->line, ANNEX_FILE_E_EMPTY,
			    col_names[c], 0, 0, NULL, NULL);
			return 1;
		}
		return 0;
	}
	if (date_parse_cell(s, out) == -1) {
		*out = DATE_NONE;
		echo(s, e);
		if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 6)
			err_add(el, r->line, ANNEX_FILE_E_DATE_SERIAL,
			    col_names[c], 0, 0, e, NULL);
		else
			err_add(el, r->line, ANNEX_FILE_E_DATE_BAD,
			    col_names[c], 0, 0, e, NULL);
		return 1;
	}
	return 0;
}

/*
 * Checks one data record and appends it to out, valid or not: when any
 * error was found the caller throws every row away, and until then the
 * rows with a valid email serve to find duplicates.  -1 on ENOMEM.
 */
static int
check_row(const struct record *r, const long pos[NCOLS], size_t ncols,
    struct annex_rows *out, size_t *cap, struct errlist *el)
{
	struct annex_row row;
	char e[ECHO_MAX + 4], *raw = NULL, *ts = NULL, *te = NULL;
	int rc, bad = 0, ret = -1;

	memset(&row, 0, sizeof(row));
	row.line = r->line;
	/*
	 * Spreadsheets write the empty cells of unnamed columns: ";;;".  A
	 * spreadsheet's row has its cells where they are: the ones under
	 * no name are not read (the caller gave it ncols cells at least).
	 */
	if (r->sheet != NULL || (r->n > ncols && cells_blank(r, ncols)))
		;
	else if (r->n != ncols) {
		err_add(el, r->line, ANNEX_FILE_E_CELLS, NULL, r->n, ncols,
		    NULL, NULL);
		return 0;
	}
	if (cell_text(r, pos, COL_NOM, &row.last_name, el) == -1 ||
	    cell_text(r, pos, COL_PRENOM, &row.first_name, el) == -1 ||
	    (raw = trimmed(&r->cells[pos[COL_EMAIL]])) == NULL)
		goto out;
	if (*raw == '\0') {
		err_add(el, r->line, ANNEX_FILE_E_EMPTY, "email", 0, 0, NULL,
		    NULL);
	} else if ((rc = text_email_canon(raw, &row.email)) == -1) {
		goto out;
	} else if (rc != 0) {
		echo(raw, e);
		err_add(el, r->line, ANNEX_FILE_E_EMAIL_BAD, NULL, 0, 0, e,
		    NULL);
	}
	if (cell_text(r, pos, COL_FONCTION, &row.job_title, el) == -1 ||
	    (rc = cell_date(r, pos, COL_DEBUT, &row.start, &ts, el)) == -1)
		goto out;
	bad |= rc;
	if ((rc = cell_date(r, pos, COL_FIN, &row.end, &te, el)) == -1)
		goto out;
	bad |= rc;
	if (!bad && row.end != DATE_NONE && row.end < row.start)
		err_add(el, r->line, ANNEX_FILE_E_END_BEFORE_START, NULL, 0,
		    0, te, ts);
	if (ARRAY_RESERVE(out->v, *cap, out->n) == -1)
		goto out;
	out->v[out->n++] = row;
	memset(&row, 0, sizeof(row));
	ret = 0;
out:
	free(raw);
	free(ts);
	free(te);
	free(row.last_name);
	free(row.first_name);
	free(row.email);
	free(row.job_title);
	return ret;
}

/* ---- lines ------------------------------------------------------------- */

/* Reports every line that is not valid text or holds a NUL; marks them. */
static int
check_lines(const char *d, size_t len, const char *enc, unsigned char **badp,
    unsigned *nlines, struct errlist *el)
{
	unsigned char *bad;
	unsigned line = 1;
	size_t i, start = 0, n = 1;

	for (i = 0; i < len; i++)
		if (d[i] == '\n')
			n++;
	if ((bad = calloc(n + 1, 1)) == NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && d[i] != '\n')
			continue;
		if (memchr(d + start, '\0', i - start) != NULL) {
			err_add(el, line, ANNEX_FILE_E_NUL, NULL, 0, 0, NULL, NULL);
			bad[line] = 1;
		} else if (!text_utf8_valid(d + start, i - start)) {
			if (textenc_is_utf8(enc))
				err_add(el, line, ANNEX_FILE_E_ENCODING, NULL,
				    0, 0, NULL, NULL);
			else
				err_add(el, line, ANNEX_FILE_E_ENCODING, NULL,
				    0, 0, enc, NULL);
			bad[line] = 1;
		}
		start = i + 1;
		line++;
	}
	*badp = bad;
	*nlines = (unsigned)n;
	return 0;
}

static int
record_touches_bad(const struct record *r, const unsigned char *bad,
    unsigned nlines)
{
	unsigned l;

	for (l = r->line; l <= r->last_line && l <= nlines; l++)
		if (bad[l])
			return 1;
	return 0;
}

/* Only spaces, tabs, CR and separators: a line to skip. */
static int
blank_line(const char *d, size_t len, size_t i)
{
	for (; i < len && d[i] != '\n'; i++)
		if (strchr(" \t\r;,", d[i]) == NULL)
			return 0;
	return 1;
}

/* Same email on several rows: report each repeat, naming both lines. */
static int
find_duplicates(const struct annex_rows *rows, struct errlist *el)
{
	struct seen *seen;
	size_t i, k, n = 0;

	if (rows->n == 0)
		return 0;
	if ((seen = calloc(rows->n, sizeof(*seen))) == NULL)
		return -1;
	for (i = 0; i < rows->n; i++) {
		if (rows->v[i].email == NULL)
			continue;
		seen[n].email = rows->v[i].email;
		seen[n++].line = rows->v[i].line;
	}
	qsort(seen, n, sizeof(*seen), seen_cmp);
	for (i = 0; i < n; i = k)
		for (k = i + 1; k < n && strcmp(seen[k].email,
		    seen[i].email) == 0; k++)
			err_add(el, seen[k].line, ANNEX_FILE_E_EMAIL_TWICE,
			    NULL, seen[i].line, seen[k].line, seen[k].email,
			    NULL);
	free(seen);
	return 0;
}

/* A CSV file (text: the encodings above) into out, its errors into el. */
static void
parse_csv(const char *data, size_t len, struct annex_rows *out,
    struct errlist *el)
{
	struct record r;
	struct buf dec = BUF_INIT;
	const char *enc;
	unsigned char *bad = NULL;
	unsigned line = 1, nlines = 0;
	size_t pos = 0, cap = 0, ncols;
	long colpos[NCOLS];
	int rc;
	char sep;

	memset(&r, 0, sizeof(r));
	if (textenc_decode(data, len, &dec, &enc, &pos) == -1)
		goto oom;
	out->encoding = enc;
	if (dec.data != NULL) {
		data = dec.data;
		len = dec.len;
	}
	if (check_lines(data, len, enc, &bad, &nlines, el) == -1)
		goto oom;
	/* The header is the first line that is not blank. */
	while (pos < len && blank_line(data, len, pos)) {
		while (pos < len && data[pos] != '\n')
			pos++;
		if (pos < len) {
			pos++;
			line++;
		}
	}
	if (pos >= len) {
		err_add(el, line, ANNEX_FILE_E_NO_HEADER, NULL, 0, 0, NULL,
		    NULL);
		goto out;
	}
	sep = detect_sep(data, len, pos);
	if ((rc = next_record(data, len, &pos, &line, sep, &r, el)) == -1)
		goto oom;
	if (r.bad || record_touches_bad(&r, bad, nlines))
		goto out;
	/* Unnamed empty columns at the right: a spreadsheet's ";;;". */
	while (r.n > 1 && cells_blank(&r, r.n - 1))
		r.n--;
	if (header_map(&r, colpos, el) == -1)
		goto out;
	ncols = r.n;
	while ((rc = next_record(data, len, &pos, &line, sep, &r, el)) == 1) {
		if (r.bad || record_touches_bad(&r, bad, nlines) ||
		    record_blank(&r))
			continue;
		if (check_row(&r, colpos, ncols, out, &cap, el) == -1)
			goto oom;
	}
	if (rc == -1 || find_duplicates(out, el) == -1)
		goto oom;
	goto out;
oom:
	el->oom = 1;
out:
	free(bad);
	buf_free(&dec);
	record_free(&r);
}

/* The cells of a spreadsheet's row as a record (r->sheet: the row). */
static int
sheet_record(const struct sheet_row *row, size_t min_cells, struct record *r)
{
	struct buf *c;
	size_t i;

	r->n = 0;
	r->bad = 0;
	r->line = r->last_line = row->line;
	r->sheet = row;
	for (i = 0; i < row->n || i < min_cells; i++) {
		if ((c = record_cell(r)) == NULL)
			return -1;
		if (i < row->n && buf_puts(c, row->cells[i].text) == -1)
			return -1;
	}
	return 0;
}

/*
 * The header row of a spreadsheet: the first naming at least three of the
 * columns (a title, a date or a logo often come above it), else the
 * first row, whose errors then say what is wrong.  -1 on ENOMEM.
 */
static long
sheet_header(const struct sheet *sh, struct record *r)
{
	size_t i, k, known;
	int c;

	for (i = 0; i < sh->n; i++) {
		if (sheet_record(&sh->rows[i], 0, r) == -1)
			return -1;
		for (k = 0, known = 0; k < r->n; k++) {
			if ((c = alias_col(&r->cells[k])) == -2)
				return -1;
			known += c >= 0;
		}
		if (known >= 3)
			return (long)i;
	}
	return 0;
}

/*
 * sheet.h's one error ("line N: ..." or "file: ...", a newline) as an
 * error of the list: its line, its text whole for balpctl.
 */
static void
sheet_error(const char *text, struct errlist *el)
{
	struct buf t = BUF_INIT;
	unsigned line = 0;
	size_t n = strlen(text);

	if (sscanf(text, "line %u:", &line) != 1)
		line = 0;
	while (n > 0 && text[n - 1] == '\n')
		n--;
	if (buf_add(&t, text, n) == -1)
		el->oom = 1;
	else
		err_add(el, line, ANNEX_FILE_E_SHEET, NULL, 0, 0, buf_str(&t),
		    NULL);
	buf_free(&t);
}

/* A spreadsheet (sheet.h) into out, its errors into el. */
static void
parse_sheet(const char *data, size_t len, enum sheet_format f,
    struct annex_rows *out, struct errlist *el)
{
	static const char *const enc_name[] = {
		[SHEET_XLSX] = "Office Open XML spreadsheet (.xlsx)",
		[SHEET_ODS] = "OpenDocument spreadsheet (.ods)",
	};
	struct buf why = BUF_INIT;
	struct sheet sh;
	struct record r;
	size_t i, cap = 0, ncols;
	long colpos[NCOLS], h;

	if (sheet_read((const unsigned char *)data, len, f, NULL, &sh,
	    &why) == -1) {
		sheet_error(buf_str(&why), el);
		buf_free(&why);
		return;
	}
	buf_free(&why);
	out->encoding = enc_name[f];
	memset(&r, 0, sizeof(r));
	if (sh.n == 0) {
		err_add(el, 1, ANNEX_FILE_E_SHEET_EMPTY, NULL, 0, 0, NULL,
		    NULL);
		goto out;
	}
	if ((h = sheet_header(&sh, &r)) == -1 ||
	    sheet_record(&sh.rows[h], 0, &r) == -1)
		goto oom;
	while (r.n > 1 && cells_blank(&r, r.n - 1))
		r.n--;
	if (header_map(&r, colpos, el) == -1)
		goto out;
	ncols = r.n;
	for (i = (size_t)h + 1; i < sh.n; i++) {
		if (sheet_record(&sh.rows[i], ncols, &r) == -1)
			goto oom;
		if (record_blank(&r))
			continue;	/* spaces, or empty trailing rows */
		if (check_row(&r, colpos, ncols, out, &cap, el) == -1)
			goto oom;
	}
	if (find_duplicates(out, el) == -1)
		goto oom;
	goto out;
oom:
	el->oom = 1;
out:
	record_free(&r);
	sheet_free(&sh);
}

int
annex_file_parse_coded(const char *data, size_t len, struct annex_rows *out,
    struct annex_file_errors *errs)
{
	struct errlist el;
	enum sheet_format f;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	memset(&el, 0, sizeof(el));
	f = sheet_format((const unsigned char *)data, len);
	if (f == SHEET_NONE)
		parse_csv(data, len, out, &el);
	else if (f == SHEET_OLE)
		err_add(&el, 0, ANNEX_FILE_E_XLS, NULL, 0, 0, NULL, NULL);
	else if (f == SHEET_OTHER_ZIP)
		/* A .docx, a .zip, an .xlsx cut short: no text to read. */
		err_add(&el, 0, ANNEX_FILE_E_OTHER_ZIP, NULL, 0, 0, NULL,
		    NULL);
	else
		parse_sheet(data, len, f, out, &el);
	if (el.oom) {
		/* One error, nothing else: the others may be cut. */
		err_free(&el);
		if ((errs->v = calloc(1, sizeof(*errs->v))) != NULL) {
			errs->v[0].code = ANNEX_FILE_E_NOMEM;
			errs->n = 1;
		}
	} else if (el.n == 0) {
		ret = 0;
	} else {
		qsort(el.v, el.n, sizeof(*el.v), err_cmp);
		if ((errs->v = calloc(el.n, sizeof(*errs->v))) == NULL) {
			err_free(&el);
			return -1;
		}
		/* Moved: the strings now belong to errs. */
		for (i = 0; i < el.n; i++)
			errs->v[i] = el.v[i].e;
		errs->n = el.n;
		free(el.v);
		memset(&el, 0, sizeof(el));
	}
	if (ret == -1)
		annex_rows_free(out);
	err_free(&el);
	return ret;
}

int
annex_file_parse(const char *data, size_t len, struct annex_rows *out,
    struct buf *errors)
{
	struct annex_file_errors errs;
	size_t i;
	int ret;

	if ((ret = annex_file_parse_coded(data, len, out, &errs)) == 0)
		return 0;
	if (errs.n == 0)
		buf_puts(errors, "out of memory\n");
	for (i = 0; i < errs.n; i++) {
		annex_file_error_text(&errs.v[i], errors);
		buf_putc(errors, '\n');
	}
	annex_file_errors_free(&errs);
	return ret;
}
