/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_file - the annex of habilitated persons as a file: read it and
 * check it into rows.  Pure (bytes in, rows or every error out), so that
 * an annex mailed by a partner's referent is read in the sandboxed parser
 * like any attachment.
 *
 * The contract (docs/contracts.md, `balpctl annex import`): a header row
 * naming the columns nom;prenom;email;fonction;date_habilitation;date_fin
 * in any order (case, accents, spaces, '-' and '\'' do not matter; obvious
 * aliases such as "prénom", "e-mail", "courriel", "date de fin" are
 * accepted).  Dates DD/MM/YYYY or YYYY-MM-DD.  Three formats, told from
 * the bytes (never from a name):
 *
 *  - CSV: ';', ',' or TAB separated (told by the header line), UTF-8 with
 *    or without BOM, UTF-16, Windows-1252 (textenc.h), CRLF or LF, RFC
 *    4180 quotes; the header is the first line that is not blank;
 *  - .xlsx and .ods (sheet.h): the first sheet; the header is the first
 *    row naming three of the columns or more (a title row above it is
 *    common); blank columns of the header are not read; a date stored
 *    as a day number with a date format reads as that date, one with no
 *    date format is refused; text dates read as in a CSV; merged cells
 *    keep their value in the first cell; empty rows are skipped.  Line
 *    numbers are the spreadsheet's row numbers.
 *
 * Usage:
 *	annex_file_parse(data, len, &rows, &errors) -> rows, or every error
 *	annex_rows_free(&rows);
 *
 * Ownership: rows own their strings; free them with annex_rows_free
 * (which accepts a zeroed struct).
 */
#ifndef BALP_ANNEX_FILE_H
#define BALP_ANNEX_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "balp/annex_file_error.h"
#include "balp/buf.h"

/* crypto_generichash-256 in hex, as the store's audit hashes. */
#define ANNEX_DIGEST_HEX_LEN	64

/* One valid row of the file, values cleaned as the store keeps them. */
struct annex_row {
	unsigned	 line;		/* 1-based line where the row starts */
	char		*last_name;	/* nom */
	char		*first_name;	/* prenom */
	char		*email;		/* canonical: trimmed, lower case */
	char		*job_title;	/* fonction; "" if empty */
	int32_t		 start;		/* date_habilitation */
	int32_t		 end;		/* date_fin; DATE_NONE if empty */
};

struct annex_rows {
	struct annex_row	*v;
	size_t			 n;
	/*
	 * crypto_generichash-256 of the file's bytes, hex, for the audit:
	 * filled by annex_digest() (annex.h), "" after annex_file_parse().
	 */
	char			 digest[ANNEX_DIGEST_HEX_LEN + 1];
	/*
	 * The encoding read, a static string (not owned): "UTF-8",
	 * "UTF-8 with BOM", "UTF-16LE", "UTF-16BE" or "windows-1252"
	 * (textenc.h); for a spreadsheet its format, "Office Open XML
	 * spreadsheet (.xlsx)" or "OpenDocument spreadsheet (.ods)".
	 */
	const char		*encoding;
};

/*
 * Parses and checks a whole file.  Returns 0 with every row in out, or -1
 * with out empty and errors holding one line per error, "line N: <what is
 * wrong, naming the column and the value>\n", in line order: every error
 * of the file, not only the first.  Empty lines (and lines of empty
 * cells) are skipped.  Errors echo staff data from the file (bounded,
 * controls removed), never anything else.  data needs no terminating NUL.
 * A spreadsheet that cannot be read as a whole (a broken zip or XML, a
 * limit of sheet.h passed: a zip bomb, a billion repeated columns) gives
 * one error, "file: <why>\n" (or "line N: ..." when a row is at fault);
 * a file that is neither a spreadsheet nor text gives CSV errors.
 */
int	 annex_file_parse(const char *data, size_t len, struct annex_rows *out,
	    struct buf *errors);

/*
 * As annex_file_parse, the errors into errs (owned by the caller,
 * annex_file_errors_free; zeroed on success).  -1 with errs empty only
 * when memory ran out building them.
 */
int	 annex_file_parse_coded(const char *data, size_t len,
	    struct annex_rows *out, struct annex_file_errors *errs);
void	 annex_rows_free(struct annex_rows *);

#endif
