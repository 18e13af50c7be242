/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_plan - an annex plan in the console's French (see web_plan.h).
 * annex_plan_render (annex.c) says the same plan in English for balpctl;
 * the notice to the referent (annex_act.c) in a referent's words.
 */
#include "balp/web_plan.h"

#include <stddef.h>

#include "balp/date.h"
#include "balp/web_html.h"

#include <string.h>


void
web_plan_counts(struct buf *b, const struct annex_plan *plan)
{
	buf_printf(b, "<li>Ajouts : %zu</li>\n<li>Modifications : %zu</li>\n"
	    "<li>Fins : %zu</li>\n<li>Inchangés : %zu</li>\n"
	    "<li>Nouvelles périodes : %zu</li>\n", plan->n_added,
	    plan->n_updated, plan->n_ended, plan->n_unchanged,
	    plan->n_new_period);
}

/* "habilitation du 05/01/2026 au 31/12/2026", or "…, sans date de fin". */
static void
period(struct buf *b, int32_t start, int32_t end)
{
	buf_puts(b, "habilitation du ");
	web_html_day(b, start, "—");
	if (end == DATE_NONE)
		buf_puts(b, ", sans date de fin");
	else {
		buf_puts(b, " au ");
		web_html_day(b, end, "—");
	}
}

/* One field's value, before (old) or after the change. */
static void
field_value(struct buf *b, const struct annex_change *c, unsigned bit,
    int old)
{
	const char *s = NULL;
	int32_t day;

	switch (bit) {
	case ANNEX_F_NOM:
		s = old ? c->old_last_name : c->last_name;
		break;
	case ANNEX_F_PRENOM:
		s = old ? c->old_first_name : c->first_name;
		break;
	case ANNEX_F_FONCTION:
		s = old ? c->old_job_title : c->job_title;
		break;
	case ANNEX_F_DATE_HABILITATION:
		day = old ? c->old_start : c->start;
		web_html_day(b, day, "aucune");
		return;
	default:
		day = old ? c->old_end : c->end;
		web_html_day(b, day, "aucune");
		return;
	}
	web_html_text(b, s != NULL && *s != '\0' ? s : "—");
}

/* "prénom : Anne ; fonction : …" for the fields an update changes. */
static void
fields_cell(struct buf *b, const struct annex_change *c, int old)
{
	unsigned bit;
	int first = 1;

	/* The fields in annex_change.changed's order, named as annex.h does. */
	for (bit = ANNEX_F_NOM; bit <= ANNEX_F_LAST; bit <<= 1) {
		if (!(c->changed & bit))
			continue;
		if (!first)
			buf_puts(b, " ; ");
		web_html_text(b, annex_field_fr(bit));
		buf_puts(b, " : ");
		field_value(b, c, bit, old);
		first = 0;
	}
}

/* The Changement, Avant and Après cells of c. */
static void
change_cells(struct buf *b, const struct annex_change *c)
{
	unsigned bit;
	int first = 1;

	buf_puts(b, "<td>");
	switch (c->kind) {
	case ANNEX_ADD:
		buf_puts(b, "ajout</td><td>—</td><td>");
		period(b, c->start, c->end);
		if (c->job_title != NULL && *c->job_title != '\0') {
			buf_puts(b, " ; fonction : ");
			web_html_text(b, c->job_title);
		}
		break;
	case ANNEX_UPDATE:
		buf_puts(b, "modification : ");
		for (bit = ANNEX_F_NOM; bit <= ANNEX_F_LAST; bit <<= 1)
			if (c->changed & bit) {
				if (!first)
					buf_puts(b, ", ");
				web_html_text(b, annex_field_fr(bit));
				first = 0;
			}
		buf_puts(b, "</td><td>");
		fields_cell(b, c, 1);
		buf_puts(b, "</td><td>");
		fields_cell(b, c, 0);
		break;
	case ANNEX_END:
		buf_puts(b, "fin d'habilitation (absente de la liste)</td><td>");
		period(b, c->old_start, c->old_end);
		buf_puts(b, "</td><td>");
		period(b, c->start, c->end);
		break;
	case ANNEX_NEW_PERIOD:
		buf_puts(b, "nouvelle période d'habilitation</td><td>");
		period(b, c->old_start, c->old_end);
		buf_puts(b, " (terminée)</td><td>");
		period(b, c->start, c->end);
		break;
	case ANNEX_UNCHANGED:
		buf_puts(b, "inchangé</td><td>—</td><td>—");
		break;
	}
	buf_puts(b, "</td>");
}

void
web_plan_table(struct buf *b, const struct annex_plan *plan,
    const char *caption)
{
	const struct annex_change *c;
	size_t i;

	if (plan->n_added + plan->n_updated + plan->n_ended +
	    plan->n_new_period == 0) {
		buf_puts(b, "<p>Le fichier ne change rien.</p>\n");
		return;
	}
	buf_puts(b, "<table>\n<caption>");
	web_html_text(b, caption);
	buf_puts(b, "</caption>\n<thead><tr><th scope=\"col\">Personne</th>"
	    "<th scope=\"col\">Adresse</th><th scope=\"col\">Changement</th>"
	    "<th scope=\"col\">Avant</th><th scope=\"col\">Après</th>"
	    "<th scope=\"col\">Ligne</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < plan->n; i++) {
		c = &plan->v[i];
		if (c->kind == ANNEX_UNCHANGED)
			continue;
		buf_puts(b, "<tr><th scope=\"row\">");
		web_html_text(b, c->last_name);
		buf_puts(b, " ");
		web_html_text(b, c->first_name);
		buf_puts(b, "</th><td>");
		web_html_text(b, c->email);
		buf_puts(b, "</td>");
		change_cells(b, c);
		if (c->line > 0)
			buf_printf(b, "<td class=\"num\">%u</td>", c->line);
		else
			buf_puts(b, "<td>—</td>");
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

void
web_plan_format(struct buf *b, const char *encoding)
{
	/* The spreadsheets' names (annex_file.c); every other is a CSV's. */
	static const struct {
		const char	*name, *fr;
	} sheets[] = {
		{ "Office Open XML spreadsheet (.xlsx)", "tableur Excel (.xlsx)" },
		{ "OpenDocument spreadsheet (.ods)",
		    "tableur OpenDocument (.ods)" },
	};
	const char *e = encoding != NULL ? encoding : "UTF-8";
	size_t i;

	for (i = 0; i < sizeof(sheets) / sizeof(sheets[0]); i++)
		if (strcmp(e, sheets[i].name) == 0) {
			web_html_text(b, sheets[i].fr);
			return;
		}
	buf_puts(b, "CSV (");
	if (strcmp(e, "UTF-8 with BOM") == 0)
		buf_puts(b, "UTF-8 avec BOM");
	else if (strstr(e, " (no BOM)") != NULL) {
		web_html_textn(b, e, (size_t)(strstr(e, " (no BOM)") - e));
		buf_puts(b, " sans BOM");
	} else
		web_html_text(b, e);
	buf_puts(b, ")");
}
