/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sheet - the first sheet of an .xlsx (Office Open XML) or .ods
 * (OpenDocument) spreadsheet read into rows of text cells, for the annex
 * (annex_file.c).  Pure: bytes in, cells out; the zip read by zip.c, the
 * XML by expat, inflating by zlib.
 *
 * What a cell gives: its text as the spreadsheet stores it (shared
 * strings, inline strings and rich-text runs joined), and a kind: a
 * number stored with a date format (built-in formats 14-22 and 45-47, a
 * custom format with d or y codes, or m ones without h or s: months, not
 * minutes) is SHEET_DATE, its text "YYYY-MM-DD" (or "YYYY-MM-DD HH:MM"
 * when it holds a time of day); so is an ODS date, its text the
 * office:date-value stored ("2026-01-05", "2026-01-05T00:00:00"); a
 * number with no date format is SHEET_NUMBER, its text the number stored
 * ("45306"); anything else SHEET_TEXT (an .xlsx cell of type d, an ISO
 * date, is SHEET_DATE too).
 *
 * Hostile input: a bounded number of zip entries (content_limits'
 * max_zip_entries), bytes inflated in all (max_inflate) and per entry
 * against its compressed size (SHEET_MAX_RATIO), columns, stored cells
 * and text; ODS repetitions (number-columns-repeated, number-rows-
 * repeated) of empty cells only move the position, never allocate; XML
 * with a DOCTYPE (where entities are declared: billion laughs, external
 * entities) is refused.  Anything malformed is an error, never a crash.
 *
 * Ownership: a struct sheet owns its rows, cells and texts; sheet_free()
 * (which accepts a zeroed struct).
 */
#ifndef BALP_SHEET_H
#define BALP_SHEET_H

#include <stddef.h>

#include "balp/buf.h"
#include "balp/content.h"

enum sheet_format {
	SHEET_NONE = 0,		/* neither: a text file (CSV) */
	SHEET_XLSX,
	SHEET_ODS,
	SHEET_OTHER_ZIP,	/* a zip, but neither, or cut short */
	SHEET_OLE,		/* an Excel 97-2003 .xls, or a password */
};

enum sheet_kind {
	SHEET_TEXT = 0,
	SHEET_NUMBER,		/* a number with no date format */
	SHEET_DATE,		/* a date, its text YYYY-MM-DD */
};

struct sheet_cell {
	char		*text;		/* never NULL, "" if empty */
	enum sheet_kind	 kind;
};

/* A row with at least one cell that is not empty. */
struct sheet_row {
	unsigned		 line;	/* the spreadsheet's row number */
	struct sheet_cell	*cells;	/* column A first */
	size_t			 n;	/* up to the last non-empty one */
};

struct sheet {
	struct sheet_row	*rows;	/* in row order */
	size_t			 n, cap;
};

/* Columns read; a non-empty cell beyond is an error. */
#define SHEET_MAX_COLS		256
/* Cells stored in all (an annex of 10,000 persons needs 60,000). */
#define SHEET_MAX_CELLS		((size_t)1 << 18)
/* Row numbers beyond what Excel and LibreOffice address are refused. */
#define SHEET_MAX_LINE		1048576U
/* An entry inflating more than this many times its size, past 1 MiB. */
#define SHEET_MAX_RATIO		200

/*
 * What b[0..len) is: a zip holding xl/workbook.xml is SHEET_XLSX, a zip
 * whose "mimetype" entry says application/vnd.oasis.opendocument.
 * spreadsheet is SHEET_ODS; another zip, or one whose directory cannot
 * be read (cut short), SHEET_OTHER_ZIP; an OLE compound file (Excel
 * 97-2003, or an .xlsx saved with a password) SHEET_OLE; anything else
 * SHEET_NONE.
 */
enum sheet_format sheet_format(const unsigned char *b, size_t len);

/* "xlsx", "ods" or "csv". */
const char	*sheet_format_name(enum sheet_format);

/*
 * Reads the first sheet of b[0..len) (format as sheet_format() says)
 * into out.  0, or -1 with out empty and one line in err, "line N: ..."
 * when a row is at fault, else "file: ..." (a broken zip or XML, a limit
 * passed), then "\n".  lim NULL: CONTENT_LIMITS_DEFAULT.
 */
int	 sheet_read(const unsigned char *b, size_t len, enum sheet_format,
	    const struct content_limits *lim, struct sheet *out,
	    struct buf *err);
void	 sheet_free(struct sheet *);

#endif
