/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sheet_priv - what the spreadsheet readers share and nobody else uses:
 * the zip's entries and the limits (sheet.c), the hardened expat parser,
 * the row being built, for sheet_xlsx.c and sheet_ods.c.
 */
#ifndef BALP_SHEET_PRIV_H
#define BALP_SHEET_PRIV_H

#include <stddef.h>

#include <expat.h>

#include "balp/buf.h"
#include "balp/sheet.h"
#include "balp/zip.h"

/* The reading of one file. */
struct sheet_ctx {
	const unsigned char		*b;
	size_t				 len;
	const struct content_limits	*lim;
	struct zip_entry		*entries;
	size_t				 n_entries;
	size_t				 inflated;	/* in all, so far */
	size_t				 n_cells;	/* stored, so far */
	size_t				 text_bytes;	/* stored, so far */
	struct sheet			*out;
	struct buf			*err;
	int				 failed;	/* err holds the error */
	XML_Parser			 xml;		/* the one parsing */
	void				*reader;	/* its handlers' state */
	/* The row being built. */
	unsigned			 line;
	struct sheet_cell		*cells;
	size_t				 n, cap;
};

/*
 * The error (the first one only: what follows it is its consequence):
 * "line N: ..." when line > 0, else "file: ...".  Stops the XML parser
 * running, if any.  Returns -1.
 */
int	 sheet_fail(struct sheet_ctx *, unsigned line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The entry called name, inflated within the limits, into *data (caller
 * frees, NUL-terminated).  1, 0 if the zip has no such entry, -1 on error
 * (reported).
 */
int	 sheet_entry(struct sheet_ctx *, const char *name, char **data,
	    size_t *n);

/*
 * Parses data[0..n) (the entry called name) with expat, namespaces
 * resolved ("uri|local"), the handlers given; they get c as their data,
 * and user as c->reader.  A
 * DOCTYPE stops it: no document of these formats has one, and it is where
 * entities (billion laughs, external files) are declared.  0, or -1
 * (reported).
 */
int	 sheet_xml(struct sheet_ctx *, const char *name, const char *data,
	    size_t n, XML_StartElementHandler, XML_EndElementHandler,
	    XML_CharacterDataHandler, void *user);

/* The local part of an expat name "uri|local". */
const char *sheet_local(const XML_Char *name);

/* The value of the attribute whose local name is local, or NULL. */
const char *sheet_attr(const XML_Char **atts, const char *local);

/* Starts row line (1-based); the previous one must be ended. */
int	 sheet_row_begin(struct sheet_ctx *, unsigned line);

/*
 * Puts text[0..len) of kind at column col (0-based), repeat times (ODS):
 * an empty text only moves on.  -1 (reported) past SHEET_MAX_COLS or a
 * limit, or on ENOMEM.
 */
int	 sheet_cell(struct sheet_ctx *, size_t col, const char *text,
	    size_t len, enum sheet_kind kind, unsigned long repeat);

/*
 * Ends the row, kept if it has a non-empty cell, repeat times (ODS;
 * copies are counted against the limits).  -1 (reported).
 */
int	 sheet_row_end(struct sheet_ctx *, unsigned long repeat);

/*
 * A spreadsheet's day number v ("45306", "45306.5") as "YYYY-MM-DD" or,
 * with a time of day, "YYYY-MM-DD HH:MM" in out; date1904 for workbooks
 * counting from 1904 (old Mac Excel).  0, or -1 if v is no day number
 * between 1900 and 9999.
 */
int	 sheet_serial_date(const char *v, int date1904, char out[32]);

/* 1 if an Excel number format code (a custom one) shows a date. */
int	 sheet_numfmt_is_date(const char *code);

int	 sheet_xlsx_read(struct sheet_ctx *);
int	 sheet_ods_read(struct sheet_ctx *);

#endif
