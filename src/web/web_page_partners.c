/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_partners - partners and their persons, read-only (see
 * web_page_partners.h).
 */
#include "balp/web_page_partners.h"

#include <string.h>

#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/store_partner.h"
#include "balp/store_quota.h"
#include "balp/store_referent.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"
#include "balp/web_page_staged.h"

/* The convention's state on today, in words. */
static const char *
partner_state(const struct store_partner *pa, int32_t today)
{
	if (pa->suspended)
		return "suspendue";
	if (pa->start != DATE_NONE && today < pa->start)
		return "pas encore en vigueur";
	if (pa->end != DATE_NONE && today > pa->end)
		return "terminée";
	return "en vigueur";
}

static void
quota_cell(struct web_ctx *ctx, const struct store_partner *pa,
    int32_t today)
{
	struct buf *b = &ctx->res->body;
	size_t used = 0;

	if (store_quota_used(ctx->app->st, pa->id, today, &used) != STORE_OK) {
		buf_puts(b, "?");
		return;
	}
	if (pa->max_persons == STORE_NO_QUOTA)
		buf_printf(b, "%zu (sans quota)", used);
	else
		buf_printf(b, "%zu / %d", used, pa->max_persons);
}

/* The link to a partner's page: its id escaped in the path. */
static void
partner_link(struct buf *b, const struct store_partner *pa)
{
	buf_puts(b, "<a href=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "\">");
	web_html_text(b, pa->name);
	buf_puts(b, "</a>");
}

void
web_page_partners(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct store_partner_list l;
	int32_t today = pipeline_today(ctx->now);
	size_t i;

	web_layout_begin(ctx, "Partenaires");
	if (store_partner_list(ctx->app->st, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "partner list"));
		web_layout_end(ctx);
		return;
	}
	buf_printf(b, "<p>%zu partenaire(s).</p>\n", l.n);
	buf_puts(b, "<table>\n<caption>Partenaires et conventions</caption>\n"
	    "<thead><tr><th scope=\"col\">Partenaire</th>"
	    "<th scope=\"col\">Identifiant</th>"
	    "<th scope=\"col\">Début</th><th scope=\"col\">Fin</th>"
	    "<th scope=\"col\">Convention</th>"
	    "<th scope=\"col\">Habilités / quota</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < l.n; i++) {
		buf_puts(b, "<tr><th scope=\"row\">");
		partner_link(b, &l.v[i]);
		buf_puts(b, "</th><td>");
		web_html_text(b, l.v[i].id);
		buf_puts(b, "</td><td>");
		web_html_day(b, l.v[i].start, "—");
		buf_puts(b, "</td><td>");
		web_html_day(b, l.v[i].end, "ouverte");
		buf_puts(b, "</td><td>");
		web_html_text(b, partner_state(&l.v[i], today));
		buf_puts(b, "</td><td class=\"num\">");
		quota_cell(ctx, &l.v[i], today);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	store_partner_list_free(&l);
	web_layout_end(ctx);
}

/* One row of the record's table. */
static void
fact(struct buf *b, const char *label, const char *v)
{
	buf_puts(b, "<tr><th scope=\"row\">");
	web_html_text(b, label);
	buf_puts(b, "</th><td>");
	web_html_text(b, v != NULL && *v != '\0' ? v : "—");
	buf_puts(b, "</td></tr>\n");
}

static void
partner_record(struct web_ctx *ctx, const struct store_partner *pa,
    int32_t today)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<table>\n<caption>Convention</caption>\n<tbody>\n");
	fact(b, "Identifiant", pa->id);
	fact(b, "SIRET", pa->siret);
	buf_puts(b, "<tr><th scope=\"row\">Début</th><td>");
	web_html_day(b, pa->start, "—");
	buf_puts(b, "</td></tr>\n<tr><th scope=\"row\">Fin</th><td>");
	web_html_day(b, pa->end, "ouverte");
	buf_puts(b, "</td></tr>\n");
	fact(b, "État", partner_state(pa, today));
	if (pa->suspended)
		fact(b, "Motif de la suspension", pa->suspend_reason);
	buf_puts(b, "<tr><th scope=\"row\">Habilités / quota</th><td>");
	quota_cell(ctx, pa, today);
	buf_puts(b, "</td></tr>\n</tbody>\n</table>\n");
}

static void
partner_referents(struct web_ctx *ctx, const char *id)
{
	struct buf *b = &ctx->res->body;
	struct store_referent_list l;
	size_t i;

	buf_puts(b, "<h2>Référents BALP</h2>\n");
	if (store_referent_list(ctx->app->st, id, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "referent list"));
		return;
	}
	if (l.n == 0)
		buf_puts(b, "<p>Aucun référent.</p>\n");
	else {
		buf_puts(b, "<ul>\n");
		for (i = 0; i < l.n; i++) {
			buf_puts(b, "<li>");
			web_html_text(b, l.v[i]);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	store_referent_list_free(&l);
}

/* A person's latest period on today, in words. */
static const char *
person_state(const struct store_person *p, int32_t today)
{
	if (today < p->start)
		return "à venir";
	if (p->end != DATE_NONE && today > p->end)
		return "terminée";
	if (p->suspended)
		return "suspendue";
	return "en cours";
}

static void
partner_persons(struct web_ctx *ctx, const char *id, int32_t today)
{
	struct buf *b = &ctx->res->body;
	struct store_person_list l;
	const struct store_person *p;
	size_t i;

	buf_puts(b, "<h2>Personnes habilitées (annexe)</h2>\n");
	if (store_person_list(ctx->app->st, id, DATE_NONE, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "person list"));
		return;
	}
	if (l.n == 0) {
		buf_puts(b, "<p>Aucune personne dans l'annexe.</p>\n");
		store_person_list_free(&l);
		return;
	}
	buf_puts(b, "<table>\n<caption>Personnes et leur dernière période "
	    "d'habilitation</caption>\n<thead><tr>"
	    "<th scope=\"col\">Nom</th><th scope=\"col\">Prénom</th>"
	    "<th scope=\"col\">Adresse</th><th scope=\"col\">Fonction</th>"
	    "<th scope=\"col\">Début</th><th scope=\"col\">Fin</th>"
	    "<th scope=\"col\">Habilitation</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < l.n; i++) {
		p = &l.v[i];
		buf_puts(b, "<tr><th scope=\"row\">");
		web_html_text(b, p->last_name);
		buf_puts(b, "</th><td>");
		web_html_text(b, p->first_name);
		buf_puts(b, "</td><td>");
		web_html_text(b, p->email);
		buf_puts(b, "</td><td>");
		web_html_text(b, p->job_title[0] != '\0' ? p->job_title :
		    "—");
		buf_puts(b, "</td><td>");
		web_html_day(b, p->start, "—");
		buf_puts(b, "</td><td>");
		web_html_day(b, p->end, "—");
		buf_puts(b, "</td><td>");
		web_html_text(b, person_state(p, today));
		if (p->suspended && p->suspend_reason != NULL) {
			buf_puts(b, " (");
			web_html_text(b, p->suspend_reason);
			buf_puts(b, ")");
		}
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	store_person_list_free(&l);
}

/* A submit button posting the form to /partners/ID/<action>. */
static void
action_button(struct buf *b, const struct store_partner *pa,
    const char *action, const char *label)
{
	buf_puts(b, "<button type=\"submit\" formaction=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "/");
	web_html_text(b, action);
	buf_puts(b, "\">");
	web_html_text(b, label);
	buf_puts(b, "</button>\n");
}

/*
 * The admin's actions: on the convention, then on one person.  One form
 * each, its buttons posting to their own path (formaction: no script).
 */
static void
action_forms(struct web_ctx *ctx, const struct store_partner *pa,
    const struct store_person_list *persons)
{
	struct buf *b = &ctx->res->body;
	size_t i;

	buf_puts(b, "<h2>Actions</h2>\n<form class=\"stack\" method=\"post\""
	    " action=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "/suspend\">\n<fieldset>\n<legend>La convention"
	    "</legend>\n<label for=\"p-reason\">Motif (pour suspendre)"
	    "</label>\n<input id=\"p-reason\" name=\"reason\" type=\"text\" "
	    "maxlength=\"500\">\n<label for=\"p-date\">Dernier jour (pour "
	    "terminer ; aujourd'hui si vide)</label>\n<input id=\"p-date\" "
	    "name=\"date\" type=\"date\">\n");
	web_layout_csrf(ctx);
	action_button(b, pa, "suspend", "Suspendre le partenaire");
	action_button(b, pa, "resume", "Reprendre le partenaire");
	action_button(b, pa, "end", "Terminer la convention");
	buf_puts(b, "</fieldset>\n</form>\n");
	if (persons->n == 0)
		return;
	buf_puts(b, "<form class=\"stack\" method=\"post\" action=\""
	    "/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "/persons/suspend\">\n<fieldset>\n<legend>Une personne"
	    "</legend>\n<label for=\"email\">Personne</label>\n<select "
	    "id=\"email\" name=\"email\" required>\n");
	for (i = 0; i < persons->n; i++) {
		buf_puts(b, "<option value=\"");
		web_html_text(b, persons->v[i].email);
		buf_puts(b, "\">");
		web_html_text(b, persons->v[i].last_name);
		buf_puts(b, " ");
		web_html_text(b, persons->v[i].first_name);
		buf_puts(b, " (");
		web_html_text(b, persons->v[i].email);
		buf_puts(b, ")</option>\n");
	}
	buf_puts(b, "</select>\n<label for=\"reason\">Motif (pour "
	    "suspendre)</label>\n<input id=\"reason\" name=\"reason\" "
	    "type=\"text\" maxlength=\"500\">\n<label for=\"date\">Dernier "
	    "jour d'habilitation (pour terminer ; aujourd'hui si vide)"
	    "</label>\n<input id=\"date\" name=\"date\" type=\"date\">\n");
	web_layout_csrf(ctx);
	action_button(b, pa, "persons/suspend", "Suspendre la personne");
	action_button(b, pa, "persons/resume", "Reprendre la personne");
	action_button(b, pa, "persons/end", "Terminer l'habilitation");
	buf_puts(b, "</fieldset>\n</form>\n");
}

/* The annex's import form (multipart, field annex) and its export. */
static void
annex_forms(struct web_ctx *ctx, const struct store_partner *pa)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<h2>Annexe</h2>\n<p><a href=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "/annex\">Exporter l'annexe (CSV)</a></p>\n"
	    "<form class=\"stack\" method=\"post\" enctype=\"multipart/"
	    "form-data\" action=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "/annex\">\n<label for=\"annex\">Nouvelle annexe "
	    "(CSV, .xlsx ou .ods ; colonnes nom, prenom, email, fonction, "
	    "date_habilitation, date_fin)"
	    "</label>\n<input id=\"annex\" name=\"annex\" type=\"file\" "
	    "required accept=\".csv,.xlsx,.ods,text/csv\" aria-describedby=\"annex-hint"
	    "\">\n<p class=\"hint\" id=\"annex-hint\">La liste exhaustive"
	    " des personnes habilitées : celles qui n'y sont plus prennent "
	    "fin aujourd'hui. Un aperçu précède l'import.</p>\n");
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Voir l'aperçu</button>\n"
	    "</form>\n");
}

void
web_page_partner(struct web_ctx *ctx)
{
	struct store_partner pa;
	struct store_person_list persons;
	int32_t today = pipeline_today(ctx->now);
	int rc;

	memset(&pa, 0, sizeof(pa));
	if ((rc = store_partner_get(ctx->app->st, ctx->id, &pa)) ==
	    STORE_NOTFOUND) {
		web_app_error(ctx, 404, "Ce partenaire n'existe pas.");
		return;
	}
	if (rc != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "partner page"));
		return;
	}
	web_layout_begin(ctx, "Partenaire");
	buf_puts(&ctx->res->body, "<h2>");
	web_html_text(&ctx->res->body, pa.name);
	buf_puts(&ctx->res->body, "</h2>\n");
	partner_record(ctx, &pa, today);
	partner_referents(ctx, pa.id);
	partner_persons(ctx, pa.id, today);
	memset(&persons, 0, sizeof(persons));
	if (store_person_list(ctx->app->st, pa.id, DATE_NONE, &persons) ==
	    STORE_OK)
		action_forms(ctx, &pa, &persons);
	store_person_list_free(&persons);
	annex_forms(ctx, &pa);
	web_page_staged_section(ctx, pa.id);
	buf_puts(&ctx->res->body, "<p><a href=\"/partners\">Tous les "
	    "partenaires</a></p>\n");
	web_layout_end(ctx);
	store_partner_free(&pa);
}
