/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_file_error - an annex file's errors as balpctl says them (see
 * include/balp/annex_file_error.h).  Apart from annex_file.c, which
 * finds them: one check, said in English (balpctl) and in French (the
 * console, and the notice a partner's referent receives).
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

/* Column names as the header spells them: the partner's own words. */
static void
column(struct buf *out, const char *name)
{
	buf_printf(out, "la colonne « %s »", name != NULL ? name : "?");
}

void
annex_file_error_text_fr(const struct annex_file_error *e, struct buf *out)
{
	const char *v = e->value != NULL ? e->value : "";
	const char *v2 = e->value2 != NULL ? e->value2 : "";

	if (e->line > 0)
		buf_printf(out, "ligne %u : ", e->line);
	else
		buf_puts(out, "fichier : ");
	switch (e->code) {
	case ANNEX_FILE_E_QUOTE_OPEN:
		buf_printf(out, "la cellule %zu ouvre des guillemets qui ne "
		    "sont jamais fermés ; fermez-les ou retirez-les", e->a);
		break;
	case ANNEX_FILE_E_QUOTE_TRAILING:
		buf_printf(out, "du texte suit les guillemets fermants de la "
		    "cellule %zu ; mettez toute la valeur entre les "
		    "guillemets", e->a);
		break;
	case ANNEX_FILE_E_COL_NONAME:
		buf_printf(out, "la colonne %zu de l'en-tête n'a pas de nom ; "
		    "nommez-la ou supprimez-la", e->a);
		break;
	case ANNEX_FILE_E_COL_UNKNOWN:
		buf_printf(out, "colonne « %s » inconnue ; les colonnes "
		    "attendues sont nom, prenom, email, fonction, "
		    "date_habilitation et date_fin", v);
		break;
	case ANNEX_FILE_E_COL_TWICE:
		column(out, e->column);
		buf_printf(out, " apparaît deux fois (cellules %zu et %zu) ; "
		    "gardez-en une seule", e->a, e->b);
		break;
	case ANNEX_FILE_E_COL_MISSING:
		buf_puts(out, "il manque ");
		column(out, e->column);
		buf_puts(out, " ; ajoutez-la à la ligne d'en-tête");
		break;
	case ANNEX_FILE_E_EMPTY:
		column(out, e->column);
		buf_puts(out, " est vide alors qu'elle est obligatoire ; "
		    "remplissez-la");
		break;
	case ANNEX_FILE_E_DATE_UNFORMATTED:
		column(out, e->column);
		buf_printf(out, " contient « %s », un nombre sans format de "
		    "date ; mettez la colonne au format date (JJ/MM/AAAA) et "
		    "enregistrez de nouveau", v);
		break;
	case ANNEX_FILE_E_DATE_SERIAL:
		column(out, e->column);
		buf_printf(out, " contient « %s », un numéro de jour de "
		    "tableur et non une date ; mettez la colonne au format "
		    "date (JJ/MM/AAAA) et enregistrez de nouveau", v);
		break;
	case ANNEX_FILE_E_DATE_BAD:
		column(out, e->column);
		buf_printf(out, " contient « %s », qui n'est pas une date ; "
		    "écrivez-la JJ/MM/AAAA ou AAAA-MM-JJ", v);
		break;
	case ANNEX_FILE_E_CELLS:
		buf_printf(out, "%zu cellules au lieu des %zu de l'en-tête ; "
		    "vérifiez les séparateurs de cette ligne", e->a, e->b);
		break;
	case ANNEX_FILE_E_EMAIL_BAD:
		buf_printf(out, "« %s » n'est pas une adresse électronique "
		    "(nom@domaine.fr) ; corrigez-la", v);
		break;
	case ANNEX_FILE_E_END_BEFORE_START:
		buf_printf(out, "date de fin (%s) antérieure à la date de "
		    "début (%s) ; corrigez l'une des deux", v, v2);
		break;
	case ANNEX_FILE_E_NUL:
		buf_puts(out, "contient un octet nul, ce n'est pas du texte ; "
		    "enregistrez l'annexe en CSV UTF-8, en .xlsx ou en .ods");
		break;
	case ANNEX_FILE_E_ENCODING:
		if (e->value == NULL)
			buf_puts(out, "ce texte n'est pas de l'UTF-8 valide ; "
			    "enregistrez le fichier en UTF-8");
		else
			buf_printf(out, "ce texte n'est pas du %s valide ; "
			    "enregistrez le fichier en UTF-8", v);
		break;
	case ANNEX_FILE_E_EMAIL_TWICE:
		buf_printf(out, "l'adresse « %s » figure deux fois (lignes %zu "
		    "et %zu) ; gardez une seule ligne par personne", v, e->a,
		    e->b);
		break;
	case ANNEX_FILE_E_NO_HEADER:
		buf_puts(out, "pas de ligne d'en-tête ; la première ligne doit "
		    "nommer les colonnes nom;prenom;email;fonction;"
		    "date_habilitation;date_fin");
		break;
	case ANNEX_FILE_E_SHEET_EMPTY:
		buf_puts(out, "pas de ligne d'en-tête ; la première feuille du "
		    "classeur est vide");
		break;
	case ANNEX_FILE_E_XLS:
		buf_puts(out, "classeur Excel 97-2003 (.xls) ou protégé par un "
		    "mot de passe ; enregistrez-le en .xlsx ou .ods sans mot "
		    "de passe, ou en .csv");
		break;
	case ANNEX_FILE_E_OTHER_ZIP:
		buf_puts(out, "archive zip qui n'est pas un tableur .xlsx ou "
		    ".ods lisible (tronquée, ou un autre type de fichier) ; "
		    "envoyez l'annexe en .xlsx, .ods ou .csv");
		break;
	case ANNEX_FILE_E_SHEET:
		/* Its detail (sizes, parts) is for the log, in English. */
		buf_puts(out, "le tableur ne peut pas être lu (abîmé, tronqué, "
		    "chiffré ou trop gros) ; ouvrez-le, enregistrez-le de "
		    "nouveau en .xlsx, .ods ou .csv et renvoyez-le");
		break;
	case ANNEX_FILE_E_NOMEM:
	default:
		buf_puts(out, "la mémoire a manqué pour le lire ; réessayez");
		break;
	}
	buf_putc(out, '.');
}
