/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv - cells of the CSV files balpctl writes (RFC 4180, ';'-separated as
 * the annex a Caf admin opens in a spreadsheet).
 *
 * Pure: appends to a struct buf (its sticky failure flag is the error).
 */
#ifndef BALP_CSV_H
#define BALP_CSV_H

#include "balp/buf.h"

/*
 * s (NULL: empty) as one cell: quoted, its quotes doubled, when it holds
 * ';', ',', '"', CR or LF.  What annex_file_parse reads back as it was.
 */
void	 csv_cell(struct buf *, const char *s);

/*
 * The same for a value that comes from mail (a sender, a Message-ID) and
 * is exported for reading (balpctl log, review): a value a spreadsheet
 * would run as a formula - first character '=', '+', '-', '@', tab or CR
 * - gets a leading "'" (OWASP, CSV injection), which a spreadsheet shows
 * as text and hides.
 */
void	 csv_cell_text(struct buf *, const char *s);

/*
 * The value of a cell csv_cell_text() wrote (unquoted): the leading "'"
 * it added dropped, anything else as is, so that `annex import` reads an
 * exported annex back unchanged.  A value starting with "'" and one of
 * the characters above (or a second "'") is itself written with an added
 * "'", so that the round trip is exact.  Points into cell.
 */
const char *csv_text_value(const char *cell);

#endif
