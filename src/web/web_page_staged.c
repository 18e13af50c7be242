/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_staged - the staged annexes in the console (see
 * web_page_staged.h).
 *
 * Ownership: lists, plans and the staged annex are the store's structs,
 * freed here.
 */
#include "balp/web_page_staged.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex.h"
#include "balp/annex_act.h"
#include "balp/log.h"
#include "balp/pipeline.h"
#include "balp/store_staged.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"
#include "balp/web_plan.h"

/*
 * The pending ones of l (of partner_id only, unless NULL) as a table:
 * each its link, sender, reception, age, counts, and whether it still
 * applies today (the reason when not, as `annex pending` says it).
 */
static void
pending_table(struct web_ctx *ctx, const struct store_staged_list *l,
    const char *partner_id)
{
	struct buf *b = &ctx->res->body;
	const struct store_staged *g;
	struct annex_plan plan;
	int32_t today = pipeline_today(ctx->now);
	size_t i, n = 0;
	long age;
	int rc;

	for (i = 0; i < l->n; i++)
		if (partner_id == NULL || strcmp(l->v[i].partner_id,
		    partner_id) == 0)
			n++;
	if (n == 0) {
		buf_puts(b, "<p>Aucune annexe en attente d'approbation.</p>\n");
		return;
	}
	buf_printf(b, "<table>\n<caption>Annexes en attente d'approbation "
	    "(%zu)</caption>\n<thead><tr><th scope=\"col\">Annexe</th>", n);
	if (partner_id == NULL)
		buf_puts(b, "<th scope=\"col\">Partenaire</th>");
	buf_puts(b, "<th scope=\"col\">Expéditeur</th>"
	    "<th scope=\"col\">Reçue le (UTC)</th>"
	    "<th scope=\"col\">Âge (jours)</th>"
	    "<th scope=\"col\">Ajouts</th><th scope=\"col\">Fins</th>"
	    "<th scope=\"col\">Modifications</th>"
	    "<th scope=\"col\">S'applique aujourd'hui</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < l->n; i++) {
		g = &l->v[i];
		if (partner_id != NULL && strcmp(g->partner_id, partner_id) !=
		    0)
			continue;
		buf_printf(b, "<tr><th scope=\"row\"><a href=\"/annexes/%"
		    PRId64 "\">n° %" PRId64 " : voir les différences</a></th>",
		    g->id, g->id);
		if (partner_id == NULL) {
			buf_puts(b, "<td><a href=\"/partners/");
			web_html_text(b, g->partner_id);
			buf_puts(b, "\">");
			web_html_text(b, g->partner_id);
			buf_puts(b, "</a></td>");
		}
		buf_puts(b, "<td>");
		web_html_text(b, g->sender);
		buf_puts(b, "</td><td><time>");
		web_html_text(b, g->received_at);
		buf_puts(b, "</time></td>");
		if ((age = annex_act_age_days(g, today)) >= 0)
			buf_printf(b, "<td class=\"num\">%ld</td>", age);
		else
			buf_puts(b, "<td>—</td>");
		buf_printf(b, "<td class=\"num\">%zu</td><td class=\"num\">%zu"
		    "</td><td class=\"num\">%zu</td><td>", g->added, g->ended,
		    g->updated);
		rc = store_staged_check(ctx->app->st, g->id, today, &plan);
		if (rc == STORE_OK)
			buf_puts(b, "oui");
		else if (rc == STORE_REFUSED) {
			/* Why, on its page (store_staged_check's words). */
			buf_puts(b, "<span class=\"error\">non : ne "
			    "s'applique plus telle que reçue</span>");
		} else
			buf_puts(b, "?");
		annex_plan_free(&plan);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

void
web_page_staged_section(struct web_ctx *ctx, const char *partner_id)
{
	struct store_staged_list l;

	buf_puts(&ctx->res->body, "<h2>Annexes reçues par courriel</h2>\n"
	    "<p class=\"hint\">Envoyées par un référent BALP du partenaire, "
	    "lues et vérifiées par balp ; rien n'est appliqué sans votre "
	    "approbation.</p>\n");
	if (store_staged_list(ctx->app->st, 1, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "staged annexes list"));
		return;
	}
	pending_table(ctx, &l, partner_id);
	store_staged_list_free(&l);
}

void
web_page_staged_list(struct web_ctx *ctx)
{
	struct store_staged_list l;

	web_layout_begin(ctx, "Annexes reçues par courriel");
	if (store_staged_list(ctx->app->st, 1, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "staged annexes list"));
		web_layout_end(ctx);
		return;
	}
	pending_table(ctx, &l, NULL);
	store_staged_list_free(&l);
	web_layout_end(ctx);
}

/* One row of the record's table; v NULL or "": a dash. */
static void
fact(struct buf *b, const char *label, const char *v)
{
	buf_puts(b, "<tr><th scope=\"row\">");
	web_html_text(b, label);
	buf_puts(b, "</th><td>");
	web_html_text(b, v != NULL && *v != '\0' ? v : "—");
	buf_puts(b, "</td></tr>\n");
}

static const char *
status_fr(const char *status)
{
	if (strcmp(status, "pending") == 0)
		return "en attente d'approbation";
	if (strcmp(status, "approved") == 0)
		return "approuvée et appliquée";
	if (strcmp(status, "rejected") == 0)
		return "rejetée";
	return status;
}

static void
record(struct web_ctx *ctx, const struct store_staged *g)
{
	struct buf *b = &ctx->res->body;

	buf_printf(b, "<table>\n<caption>Annexe n° %" PRId64 "</caption>\n"
	    "<tbody>\n", g->id);
	buf_puts(b, "<tr><th scope=\"row\">Partenaire</th><td><a href=\""
	    "/partners/");
	web_html_text(b, g->partner_id);
	buf_puts(b, "\">");
	web_html_text(b, g->partner_id);
	buf_puts(b, "</a></td></tr>\n");
	fact(b, "Expéditeur (référent)", g->sender);
	fact(b, "Reçue le (UTC)", g->received_at);
	buf_printf(b, "<tr><th scope=\"row\">Décision du courriel</th><td>"
	    "<a href=\"/messages/%" PRId64 "\">n° %" PRId64 "</a></td></tr>\n",
	    g->decision_id, g->decision_id);
	fact(b, "Fichier (BLAKE2b)", g->digest);
	buf_puts(b, "<tr><th scope=\"row\">Format lu</th><td>");
	web_plan_format(b, g->encoding);
	buf_puts(b, "</td></tr>\n");
	buf_printf(b, "<tr><th scope=\"row\">Lignes</th><td class=\"num\">%zu"
	    "</td></tr>\n", g->n_rows);
	fact(b, "État", status_fr(g->status));
	if (g->decided_by != NULL) {
		fact(b, "Décidée le (UTC)", g->decided_at);
		fact(b, "Par", g->decided_by);
	}
	if (g->reason != NULL)
		fact(b, "Motif du rejet", g->reason);
	buf_puts(b, "</tbody>\n</table>\n");
}

/* A plan: its counts, then a row per person changed. */
static void
plan_shown(struct buf *b, const struct annex_plan *plan)
{
	buf_puts(b, "<ul class=\"counts\">\n");
	web_plan_counts(b, plan);
	buf_puts(b, "</ul>\n");
	web_plan_table(b, plan, "Changements");
}

/*
 * The changes g made against the annex in force when it was staged
 * (store_staged_plan), under caption, in French; one staged before they
 * were kept has only balpctl's English diff: its lines, marked English.
 */
static void
staged_diff(struct web_ctx *ctx, const struct store_staged *g,
    const char *caption)
{
	struct buf *b = &ctx->res->body;
	struct annex_plan plan;
	const char *p, *nl;
	int rc;

	buf_puts(b, "<h2>");
	web_html_text(b, caption);
	buf_puts(b, "</h2>\n");
	rc = store_staged_plan(ctx->app->st, g->id, &plan);
	if (rc == STORE_OK) {
		plan_shown(b, &plan);
	} else if (rc == STORE_NOTFOUND) {
		buf_puts(b, "<p class=\"hint\">Mise en attente avant que la "
		    "passerelle en garde les changements un à un : seul le "
		    "texte de balpctl, en anglais, les donne.</p>\n"
		    "<ul class=\"diff\" lang=\"en\">\n");
		for (p = g->diff; p != NULL && *p != '\0'; p = nl + 1) {
			nl = strchr(p, '\n');
			buf_puts(b, "<li><code>");
			web_html_textn(b, p, nl != NULL ? (size_t)(nl - p) :
			    strlen(p));
			buf_puts(b, "</code></li>\n");
			if (nl == NULL)
				break;
		}
		buf_puts(b, "</ul>\n");
	} else
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "staged annex changes"));
	annex_plan_free(&plan);
}

/* The approve and reject forms of a pending one. */
static void
forms(struct web_ctx *ctx, const struct store_staged *g, int applies,
    int force_needed)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<h2>Décision</h2>\n");
	if (applies) {
		buf_printf(b, "<form class=\"stack\" method=\"post\" action=\""
		    "/annexes/%" PRId64 "/approve\">\n<p class=\"hint\" "
		    "id=\"approve-hint\">Applique ces changements à l'annexe "
		    "du partenaire, comme un import, et envoie un accusé de "
		    "réception au référent.</p>\n", g->id);
		if (force_needed)
			buf_puts(b, "<p class=\"error\" role=\"alert\">Ce "
			    "fichier met fin à plus de la moitié des personnes "
			    "habilitées : un fichier tronqué ressemble à cela."
			    "</p>\n<p><input type=\"checkbox\" id=\"force\" "
			    "name=\"force\" value=\"1\"> <label for=\"force\">"
			    "Je confirme ces fins</label></p>\n");
		web_layout_csrf(ctx);
		buf_puts(b, "<button type=\"submit\" aria-describedby=\""
		    "approve-hint\">Approuver et appliquer</button>\n</form>\n");
	}
	buf_printf(b, "<form class=\"stack\" method=\"post\" action=\""
	    "/annexes/%" PRId64 "/reject\">\n<label for=\"reason\">Motif du "
	    "rejet (envoyé au référent)</label>\n<input id=\"reason\" "
	    "name=\"reason\" type=\"text\" required maxlength=\"500\">\n",
	    g->id);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\" class=\"secondary\">Rejeter"
	    "</button>\n</form>\n");
}

void
web_page_staged(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct store_staged g;
	struct annex_plan plan;
	int64_t id;
	int rc;

	memset(&plan, 0, sizeof(plan));
	if ((id = web_app_id(ctx)) == 0 ||
	    (rc = store_staged_get(ctx->app->st, id, &g)) == STORE_NOTFOUND) {
		web_app_error(ctx, 404, "Cette annexe n'existe pas (ou plus).");
		return;
	}
	if (rc != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "staged annex page"));
		return;
	}
	web_layout_begin(ctx, "Annexe reçue par courriel");
	record(ctx, &g);
	if (strcmp(g.status, "pending") != 0) {
		staged_diff(ctx, &g, "Changements lors de la mise en attente");
		goto out;
	}
	/* What approving it today would do, row by row. */
	rc = store_staged_check(ctx->app->st, id, pipeline_today(ctx->now),
	    &plan);
	if (rc == STORE_OK) {
		buf_puts(b, "<h2>Ce qu'approuver ferait, contre l'annexe en "
		    "vigueur aujourd'hui</h2>\n");
		plan_shown(b, &plan);
	} else if (rc == STORE_REFUSED) {
		/*
		 * store_staged_check's refusals: decided already, the
		 * annex changed since, the quota, the partner gone.
		 */
		buf_puts(b, "<p class=\"error\" role=\"alert\">Ne s'applique "
		    "plus telle que reçue : elle est déjà décidée, ou l'annexe "
		    "du partenaire a changé depuis (import, fin ou suspension "
		    "d'une personne), ou elle dépasserait son quota. "
		    "Rejetez-la et demandez la liste de nouveau au "
		    "référent.</p>\n");
		staged_diff(ctx, &g, "Changements lors de la mise en attente");
	} else
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "staged annex check"));
	forms(ctx, &g, rc == STORE_OK, plan.force_needed);
out:
	buf_puts(b, "<p><a href=\"/partners/");
	web_html_text(b, g.partner_id);
	buf_puts(b, "\">Retour au partenaire</a></p>\n");
	web_layout_end(ctx);
	annex_plan_free(&plan);
	store_staged_free(&g);
}

/* 400 (or 404, 500) with why and the way back to the staged annex. */
static void
refused(struct web_ctx *ctx, int rc, const char *why)
{
	struct buf *b = &ctx->res->body;

	ctx->res->status = rc == STORE_NOTFOUND ? 404 : rc == STORE_ERROR ?
	    500 : 400;
	web_layout_begin(ctx, "Action refusée");
	web_layout_error(ctx, why);
	buf_puts(b, "<p><a href=\"/annexes/");
	web_html_text(b, ctx->id);
	buf_puts(b, "\">Retour à l'annexe</a></p>\n");
	web_layout_end(ctx);
}

/*
 * annex_act's refusal in French; a failure's English detail (the
 * store's, or the notice templates missing) to the log.  A refusal's
 * English is not logged: it may name a person of the annex.  Which rule
 * refused is asked of the store again, as the staged annex now stands:
 * its status, then store_staged_check's plan (the one check of
 * approve, dry run).
 */
static void
act_refused(struct web_ctx *ctx, int rc, enum web_msg_act act,
    const struct buf *err)
{
	struct store_staged g;
	struct annex_plan plan;
	struct buf why = BUF_INIT;
	int64_t id = web_app_id(ctx);
	int crc;

	memset(&g, 0, sizeof(g));
	memset(&plan, 0, sizeof(plan));
	if (rc == STORE_ERROR) {
		log_warn("staged annex %s: %s", ctx->id, buf_str(err));
		refused(ctx, rc, WEB_MSG_STORE_DOWN);
		return;
	}
	if (rc == STORE_REFUSED && store_staged_get(ctx->app->st, id, &g) ==
	    STORE_OK && strcmp(g.status, "pending") != 0) {
		buf_puts(&why, "Cette annexe est déjà ");
		buf_puts(&why, strcmp(g.status, "approved") == 0 ?
		    "approuvée" : "rejetée");
		if (g.decided_by != NULL) {
			buf_puts(&why, " (par ");
			buf_puts(&why, g.decided_by);
			buf_puts(&why, ")");
		}
		buf_puts(&why, " : rien n'est changé.");
	} else if (rc == STORE_REFUSED && act == WEB_MSG_STAGED_APPROVE &&
	    (crc = store_staged_check(ctx->app->st, id,
	    pipeline_today(ctx->now), &plan)) == STORE_OK &&
	    plan.force_needed)
		buf_printf(&why, "Cette liste met fin à %zu des %zu personnes "
		    "habilitées, ce qui ressemble à un fichier tronqué : rien "
		    "n'est changé. Vérifiez-la, puis cochez « Je confirme ces "
		    "fins » pour l'approuver quand même.", plan.n_ended,
		    plan.n_active);
	else if (rc == STORE_REFUSED && act == WEB_MSG_STAGED_APPROVE &&
	    crc == STORE_REFUSED)
		buf_puts(&why, "Cette annexe n'est pas approuvée, rien n'est "
		    "changé : elle ne s'applique plus telle que reçue (l'annexe "
		    "du partenaire a changé depuis, ou elle dépasserait son "
		    "quota ; sa page montre les différences). Rejetez-la et "
		    "demandez la liste de nouveau au référent.");
	else
		buf_puts(&why, web_msg_store(ctx, rc, act));
	refused(ctx, rc, buf_str(&why));
	annex_plan_free(&plan);
	store_staged_free(&g);
	buf_free(&why);
}

static void
back(struct web_ctx *ctx, int64_t id)
{
	char to[48];

	snprintf(to, sizeof(to), "/annexes/%" PRId64, id);
	web_http_redirect(ctx->res, to);
}

void
web_page_staged_approve(struct web_ctx *ctx)
{
	struct annex_act done;
	struct buf err = BUF_INIT;
	const char *force;
	int64_t id;
	int rc;

	if ((id = web_app_id(ctx)) == 0) {
		web_app_error(ctx, 404, "Cette annexe n'existe pas.");
		return;
	}
	force = web_http_field(ctx->req, "force", NULL);
	rc = annex_act_approve(ctx->app->st, &ctx->app->conf->rules, id,
	    pipeline_today(ctx->now), force != NULL && strcmp(force, "1") ==
	    0, ctx->actor, ctx->now, &done, &err);
	if (rc == STORE_OK)
		back(ctx, id);
	else
		act_refused(ctx, rc, WEB_MSG_STAGED_APPROVE, &err);
	annex_act_free(&done);
	buf_free(&err);
}

void
web_page_staged_reject(struct web_ctx *ctx)
{
	struct annex_act done;
	struct buf err = BUF_INIT;
	const char *why, *p;
	int64_t id;
	int rc;

	if ((id = web_app_id(ctx)) == 0) {
		web_app_error(ctx, 404, "Cette annexe n'existe pas.");
		return;
	}
	why = web_http_field(ctx->req, "reason", NULL);
	for (p = why; p != NULL && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'); p++)
		;
	if (p == NULL || *p == '\0') {
		refused(ctx, STORE_REFUSED, "Indiquez le motif du rejet : il "
		    "est envoyé au référent avec l'avis.");
		return;
	}
	rc = annex_act_reject(ctx->app->st, &ctx->app->conf->rules, id, why,
	    pipeline_today(ctx->now), ctx->actor, ctx->now, &done, &err);
	if (rc == STORE_OK)
		back(ctx, id);
	else
		act_refused(ctx, rc, WEB_MSG_STAGED_REJECT, &err);
	annex_act_free(&done);
	buf_free(&err);
}
