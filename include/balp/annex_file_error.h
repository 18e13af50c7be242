/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_file_error - the errors annex_file finds in an annex file, as
 * codes with their parameters, so that balpctl (English) and the console
 * and the partners' notices (French) say the same check each in its own
 * words.
 *
 * Ownership: struct annex_file_errors owns its values
 * (annex_file_errors_free, which accepts a zeroed struct).
 */
#ifndef BALP_ANNEX_FILE_ERROR_H
#define BALP_ANNEX_FILE_ERROR_H

#include <stddef.h>

#include "balp/buf.h"

enum annex_file_code {
	ANNEX_FILE_E_NOMEM,		/* out of memory */
	ANNEX_FILE_E_QUOTE_OPEN,	/* a: the cell never closed */
	ANNEX_FILE_E_QUOTE_TRAILING,	/* a: the cell */
	ANNEX_FILE_E_COL_NONAME,	/* a: the header's cell */
	ANNEX_FILE_E_COL_UNKNOWN,	/* value: its name (echoed) */
	ANNEX_FILE_E_COL_TWICE,		/* column; a, b: the cells */
	ANNEX_FILE_E_COL_MISSING,	/* column */
	ANNEX_FILE_E_EMPTY,		/* column: required, empty */
	ANNEX_FILE_E_DATE_UNFORMATTED,	/* column, value: a bare number */
	ANNEX_FILE_E_DATE_SERIAL,	/* column, value: a day number */
	ANNEX_FILE_E_DATE_BAD,		/* column, value */
	ANNEX_FILE_E_CELLS,		/* a cells, b expected */
	ANNEX_FILE_E_EMAIL_BAD,		/* value */
	ANNEX_FILE_E_END_BEFORE_START,	/* value: date_fin, value2: start */
	ANNEX_FILE_E_NUL,
	ANNEX_FILE_E_ENCODING,		/* value: the encoding, NULL: UTF-8 */
	ANNEX_FILE_E_EMAIL_TWICE,	/* value: email; a, b: the lines */
	ANNEX_FILE_E_NO_HEADER,		/* a text file of blank lines */
	ANNEX_FILE_E_SHEET_EMPTY,	/* a spreadsheet of no row */
	ANNEX_FILE_E_XLS,		/* .xls, or a password: line 0 */
	ANNEX_FILE_E_OTHER_ZIP,		/* a zip, not a spreadsheet: line 0 */
	ANNEX_FILE_E_SHEET,		/* sheet.h refused the file: value,
					   its English line (technical) */
};

struct annex_file_error {
	unsigned		 line;	/* 0: the file as a whole */
	enum annex_file_code	 code;
	const char		*column; /* a column's name, static; or NULL */
	size_t			 a, b;
	char			*value;	/* from the file, bounded; or NULL */
	char			*value2;
};

struct annex_file_errors {
	struct annex_file_error	*v;	/* in line order */
	size_t			 n;
};

/* Appends balpctl's English line for e (no newline). */
void	 annex_file_error_text(const struct annex_file_error *e,
	    struct buf *out);
/*
 * The same in French, "ligne N : ... ; what to do." (no newline): what
 * the console shows and the notice to the partner's referent lists.
 */
void	 annex_file_error_text_fr(const struct annex_file_error *e,
	    struct buf *out);
void	 annex_file_errors_free(struct annex_file_errors *);

#endif
