/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_file_error - an annex file's errors as balpctl says them (see
 * include/balp/annex_file_error.h).  Apart from annex_file.c, which
 * finds them: one check, and each program's words (the console's French
 * is src/web/web_msg.c).
 */
#include "balp/annex_file_error.h"

#include <stdlib.h>
#include <string.h>

void
annex_file_errors_free(struct annex_file_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].value);
		free(errs->v[i].value2);
	}
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

void
annex_file_error_text(const struct annex_file_error *e, struct buf *out)
{
	const char *v = e->value != NULL ? e->value : "";
	const char *v2 = e->value2 != NULL ? e->value2 : "";

	if (e->code == ANNEX_FILE_E_SHEET) {
		/* sheet.h's own line, prefix and all. */
		buf_puts(out, v);
		return;
	}
	if (e->line > 0)
		buf_printf(out, "line %u: ", e->line);
	else if (e->code != ANNEX_FILE_E_NOMEM)
		buf_puts(out, "file: ");
	switch (e->code) {
	case ANNEX_FILE_E_QUOTE_OPEN:
		buf_printf(out, "a quoted cell (cell %zu) is never closed",
		    e->a);
		break;
	case ANNEX_FILE_E_QUOTE_TRAILING:
		buf_printf(out, "text after the closing quote of cell %zu",
		    e->a);
		break;
	case ANNEX_FILE_E_COL_NONAME:
		buf_printf(out, "column %zu has no name", e->a);
		break;
	case ANNEX_FILE_E_COL_UNKNOWN:
		buf_printf(out, "unknown column '%s' (expected nom, prenom, "
		    "email, fonction, date_habilitation, date_fin)", v);
		break;
	case ANNEX_FILE_E_COL_TWICE:
		buf_printf(out, "column %s appears twice (cells %zu and %zu)",
		    e->column, e->a, e->b);
		break;
	case ANNEX_FILE_E_COL_MISSING:
		buf_printf(out, "missing column %s", e->column);
		break;
	case ANNEX_FILE_E_EMPTY:
		buf_printf(out, "%s is empty (required)", e->column);
		break;
	case ANNEX_FILE_E_DATE_UNFORMATTED:
		buf_printf(out, "%s '%s' is a number with no date format, not "
		    "a date: format the column as dates (DD/MM/YYYY) and save "
		    "again", e->column, v);
		break;
	case ANNEX_FILE_E_DATE_SERIAL:
		buf_printf(out, "%s '%s' is a spreadsheet's day number, not a "
		    "date: format the column as dates (DD/MM/YYYY) and save "
		    "again", e->column, v);
		break;
	case ANNEX_FILE_E_DATE_BAD:
		buf_printf(out, "%s '%s' is not a date (DD/MM/YYYY or "
		    "YYYY-MM-DD)", e->column, v);
		break;
	case ANNEX_FILE_E_CELLS:
		buf_printf(out, "%zu cells, expected %zu as in the header",
		    e->a, e->b);
		break;
	case ANNEX_FILE_E_EMAIL_BAD:
		buf_printf(out, "email '%s' is not an email address "
		    "(local@domain.tld)", v);
		break;
	case ANNEX_FILE_E_END_BEFORE_START:
		buf_printf(out, "date_fin '%s' is before date_habilitation "
		    "'%s'", v, v2);
		break;
	case ANNEX_FILE_E_NUL:
		buf_puts(out, "contains a NUL byte");
		break;
	case ANNEX_FILE_E_ENCODING:
		if (e->value == NULL)
			buf_puts(out, "not valid UTF-8 (save the file as "
			    "UTF-8)");
		else
			buf_printf(out, "not valid %s text (save the file as "
			    "UTF-8)", v);
		break;
	case ANNEX_FILE_E_EMAIL_TWICE:
		buf_printf(out, "email '%s' appears twice (lines %zu and %zu)",
		    v, e->a, e->b);
		break;
	case ANNEX_FILE_E_NO_HEADER:
		buf_puts(out, "no header row: the first line must name the "
		    "columns nom;prenom;email;fonction;date_habilitation;"
		    "date_fin");
		break;
	case ANNEX_FILE_E_SHEET_EMPTY:
		buf_puts(out, "no header row: the first sheet is empty");
		break;
	case ANNEX_FILE_E_XLS:
		buf_puts(out, "an Excel 97-2003 workbook (.xls) or a "
		    "spreadsheet saved with a password: save it as .xlsx or "
		    ".ods without a password, or as .csv");
		break;
	case ANNEX_FILE_E_OTHER_ZIP:
		buf_puts(out, "a zip archive that is not a readable .xlsx or "
		    ".ods spreadsheet (cut short, or another kind of file): "
		    "send the annex as .xlsx, .ods or .csv");
		break;
	case ANNEX_FILE_E_NOMEM:
	default:
		buf_puts(out, "out of memory");
		break;
	}
}
