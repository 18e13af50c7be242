/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_plan - an annex plan (annex.h) in the console's French: what an
 * import, or the approval of a staged annex, would do or did.  The plan
 * is annex.c's, the one balpctl prints in English (annex_plan_render):
 * one set of facts, two renderings; only the words are here.
 *
 * The changes are a table, one row per person changed (the unchanged are
 * counted, not listed): Personne (the row's header: NOM Prénom after the
 * change), Adresse, Changement (ajout, modification and of what, fin
 * d'habilitation, nouvelle période d'habilitation), Avant, Après (the
 * changed values or the habilitation's dates, days as JJ/MM/AAAA), Ligne
 * (of the file; none for a person missing from it).  Every value is
 * escaped (web_html.h).  Staff names are shown to the admins, whose
 * annex it is; nothing here is logged.
 *
 * Ownership: appends to the caller's buf (its `failed` flag on ENOMEM).
 */
#ifndef BALP_WEB_PLAN_H
#define BALP_WEB_PLAN_H

#include "balp/annex.h"
#include "balp/buf.h"

/*
 * The plan's counts as list items ("<li>Ajouts : 2</li>"…), for the
 * caller's <ul class="counts">, which may add its own items.
 */
void	 web_plan_counts(struct buf *b, const struct annex_plan *plan);
/*
 * The plan's changes as a table under caption (text, escaped), or a
 * paragraph saying nothing changes.
 */
void	 web_plan_table(struct buf *b, const struct annex_plan *plan,
	    const char *caption);
/*
 * The file's format as the reader named it (annex_rows.encoding, kept
 * with a staged annex), said in French and escaped: "tableur Excel
 * (.xlsx)", "CSV (windows-1252)"; a name it does not know, as it is.
 */
void	 web_plan_format(struct buf *b, const char *encoding);

#endif
