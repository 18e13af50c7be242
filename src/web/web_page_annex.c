/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_annex - a partner's annex: upload, preview, confirm, export
 * (see web_page_annex.h).
 *
 * Ownership: a stashed file is a malloc'd copy of the upload, owned by
 * the stash, wiped when it goes (used, expired, pushed out, at exit):
 * an annex names staff.  Plans and rows are annex.h's, freed here.
 */
#include "balp/web_page_annex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "balp/annex.h"
#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/store_partner.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"
#include "balp/web_plan.h"

struct stashed {
	char	 token[WEB_SESSION_HEX + 1];
	char	 login[STORE_HASH_HEX_LEN + 16];
	char	*partner_id;
	char	*data;
	size_t	 len;
	time_t	 at;
};

struct web_annex_stash {
	struct stashed	 v[WEB_ANNEX_STASH];
};

static void
stashed_drop(struct stashed *s)
{
	if (s->data != NULL)
		sodium_memzero(s->data, s->len);
	free(s->data);
	free(s->partner_id);
	sodium_memzero(s, sizeof(*s));
}

void
web_page_annex_stash_free(struct web_app *app)
{
	size_t i;

	if (app->annex_stash == NULL)
		return;
	for (i = 0; i < WEB_ANNEX_STASH; i++)
		stashed_drop(&app->annex_stash->v[i]);
	free(app->annex_stash);
	app->annex_stash = NULL;
}

/* Keeps a copy of data under a fresh token (into token); 0 or -1. */
static int
stash_put(struct web_ctx *ctx, const char *data, size_t len,
    char token[WEB_SESSION_HEX + 1])
{
	struct web_app *app = ctx->app;
	struct stashed *slot = NULL, *s;
	size_t i;

	if (app->annex_stash == NULL &&
	    (app->annex_stash = calloc(1, sizeof(*app->annex_stash))) == NULL)
		return -1;
	for (i = 0; i < WEB_ANNEX_STASH; i++) {
		s = &app->annex_stash->v[i];
		if (s->data != NULL && ctx->now - s->at >= WEB_ANNEX_TTL)
			stashed_drop(s);
		if (s->data == NULL && slot == NULL)
			slot = s;
	}
	/* Full: the oldest goes. */
	if (slot == NULL) {
		slot = &app->annex_stash->v[0];
		for (i = 1; i < WEB_ANNEX_STASH; i++)
			if (app->annex_stash->v[i].at < slot->at)
				slot = &app->annex_stash->v[i];
	}
	stashed_drop(slot);
	if (web_session_new_id(slot->token) == -1 ||
	    (slot->data = malloc(len > 0 ? len : 1)) == NULL ||
	    (slot->partner_id = buf_strdup(ctx->id)) == NULL) {
		stashed_drop(slot);
		return -1;
	}
	memcpy(slot->data, data, len);
	slot->len = len;
	slot->at = ctx->now;
	snprintf(slot->login, sizeof(slot->login), "%s", ctx->user->login);
	memcpy(token, slot->token, WEB_SESSION_HEX + 1);
	return 0;
}

/*
 * The stashed file of token for this account and partner, still fresh,
 * or NULL.  Compared in constant time.
 */
static struct stashed *
stash_find(struct web_ctx *ctx, const char *token)
{
	struct web_app *app = ctx->app;
	struct stashed *s;
	size_t i;

	if (app->annex_stash == NULL || !web_session_id_valid(token))
		return NULL;
	for (i = 0; i < WEB_ANNEX_STASH; i++) {
		s = &app->annex_stash->v[i];
		if (s->data == NULL || sodium_memcmp(s->token, token,
		    WEB_SESSION_HEX) != 0)
			continue;
		if (ctx->now - s->at >= WEB_ANNEX_TTL || ctx->now < s->at) {
			stashed_drop(s);
			return NULL;
		}
		if (strcmp(s->login, ctx->user->login) != 0 ||
		    strcmp(s->partner_id, ctx->id) != 0)
			return NULL;
		return s;
	}
	return NULL;
}

/* The page's head: the partner named, its link back. */
static int
begin(struct web_ctx *ctx, const char *title, struct store_partner *pa)
{
	struct buf *b = &ctx->res->body;
	int rc;

	memset(pa, 0, sizeof(*pa));
	if ((rc = store_partner_get(ctx->app->st, ctx->id, pa)) ==
	    STORE_NOTFOUND) {
		web_app_error(ctx, 404, "Ce partenaire n'existe pas.");
		return -1;
	}
	if (rc != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "annex page"));
		return -1;
	}
	web_layout_begin(ctx, title);
	buf_puts(b, "<p>Partenaire : <a href=\"/partners/");
	web_html_text(b, pa->id);
	buf_puts(b, "\">");
	web_html_text(b, pa->name);
	buf_puts(b, "</a></p>\n");
	return 0;
}

/* The file's errors, every one, in French, with its line. */
static void
errors_list(struct web_ctx *ctx, const struct annex_file_errors *errs)
{
	struct buf *b = &ctx->res->body, line = BUF_INIT;
	size_t i;

	buf_printf(b, "<p class=\"error\" role=\"alert\">Annexe refusée, rien "
	    "n'est importé : %zu erreur", errs->n);
	if (errs->n > 1)
		buf_putc(b, 's');
	buf_puts(b, ". Corrigez le fichier puis envoyez-le de nouveau.</p>\n"
	    "<ul class=\"errors\">\n");
	for (i = 0; i < errs->n; i++) {
		buf_reset(&line);
		web_msg_annex_error(&line, &errs->v[i]);
		buf_puts(b, "<li>");
		web_html_text(b, buf_str(&line));
		buf_puts(b, "</li>\n");
	}
	if (errs->n == 0)
		buf_puts(b, "<li>La mémoire a manqué pour lire le fichier ; "
		    "réessayez.</li>\n");
	buf_puts(b, "</ul>\n");
	buf_free(&line);
}

/*
 * Why annex_import said no to the upload of partner pa (rc is not
 * STORE_OK): French, with what to do.
 */
static void
import_refused(struct web_ctx *ctx, int rc, const struct annex_plan *plan,
    const struct store_partner *pa)
{
	struct buf *b = &ctx->res->body;

	ctx->res->status = rc == STORE_ERROR ? 500 : 400;
	buf_puts(b, "<p class=\"error\" role=\"alert\">Annexe refusée, "
	    "rien n'est importé : ");
	if (rc == STORE_NOTFOUND)
		buf_puts(b, "ce partenaire n'existe plus.");
	else if (rc == STORE_ERROR)
		web_html_text(b, web_msg_store_down(ctx, "annex import"));
	else if (plan->force_needed)
		buf_printf(b, "le fichier met fin à %zu des %zu personnes "
		    "habilitées, ce qui ressemble à un fichier tronqué. "
		    "Vérifiez-le, puis cochez « Je confirme ces fins » sous "
		    "l'aperçu pour l'importer quand même.", plan->n_ended, plan->n_active);
	else
		/* annex_import's other refusal: store_quota_check's. */
		buf_printf(b, "le fichier habilite plus de personnes que le "
		    "quota du partenaire (%d). Retirez des personnes du "
		    "fichier, ou faites d'abord relever le quota.",
		    pa->max_persons);
	buf_puts(b, "</p>\n");
}

/* The plan's counts, its changes, and the quota as the file sets it. */
static void
preview(struct web_ctx *ctx, const struct annex_plan *plan,
    const struct annex_rows *rows, const struct store_partner *pa)
{
	struct buf *b = &ctx->res->body;
	size_t i, counted = 0;

	for (i = 0; i < rows->n; i++)
		if (rows->v[i].end == DATE_NONE ||
		    rows->v[i].end >= plan->today)
			counted++;
	buf_puts(b, "<ul class=\"counts\">\n");
	web_plan_counts(b, plan);
	if (pa->max_persons == STORE_NO_QUOTA)
		buf_printf(b, "<li>Habilités par le fichier (aujourd'hui ou "
		    "après) : %zu, sans quota</li>\n", counted);
	else
		buf_printf(b, "<li>Habilités par le fichier (aujourd'hui ou "
		    "après) : %zu sur un quota de %d</li>\n", counted,
		    pa->max_persons);
	buf_puts(b, "</ul>\n<p>Format lu : ");
	web_plan_format(b, rows->encoding);
	buf_puts(b, "</p>\n");
	web_plan_table(b, plan, "Changements");
}

void
web_page_annex_upload(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct annex_file_errors errors = { NULL, 0 };
	struct store_partner pa;
	struct annex_rows rows;
	struct annex_plan plan;
	char token[WEB_SESSION_HEX + 1];
	const char *data;
	size_t len = 0;
	int rc;

	memset(&rows, 0, sizeof(rows));
	memset(&plan, 0, sizeof(plan));
	if (begin(ctx, "Import de l'annexe", &pa) == -1)
		return;
	data = web_http_field(ctx->req, "annex", &len);
	if (data == NULL || len == 0) {
		ctx->res->status = 400;
		web_layout_error(ctx, "Aucun fichier : choisissez l'annexe "
		    "(CSV, .xlsx ou .ods) à importer.");
		goto out;
	}
	if (annex_file_parse_coded(data, len, &rows, &errors) == -1) {
		ctx->res->status = 400;
		errors_list(ctx, &errors);
		goto out;
	}
	rc = annex_import(ctx->app->st, pa.id, &rows,
	    pipeline_today(ctx->now), 1, 0, ctx->actor, ctx->now, &plan);
	if (rc != STORE_OK) {
		import_refused(ctx, rc, &plan, &pa);
		goto out;
	}
	buf_puts(b, "<h2>Aperçu</h2>\n<p>Rien n'est encore écrit : "
	    "vérifiez puis confirmez.</p>\n");
	preview(ctx, &plan, &rows, &pa);
	if (stash_put(ctx, data, len, token) == -1) {
		ctx->res->status = 500;
		web_layout_error(ctx, "Le fichier ne peut pas être gardé pour "
		    "la confirmation (mémoire).");
		goto out;
	}
	buf_puts(b, "<form class=\"stack\" method=\"post\" action="
	    "\"/partners/");
	web_html_text(b, pa.id);
	buf_puts(b, "/annex/confirm\">\n<input type=\"hidden\" name=\"token\" "
	    "value=\"");
	web_html_text(b, token);
	buf_puts(b, "\">\n");
	if (plan.force_needed) {
		buf_printf(b, "<p class=\"error\" role=\"alert\">Ce fichier "
		    "met fin à %zu des %zu personnes habilitées : un fichier "
		    "tronqué ressemble à cela.</p>\n<p><input type=\"checkbox\" "
		    "id=\"force\" name=\"force\" value=\"1\"> <label for="
		    "\"force\">Je confirme ces fins</label></p>\n",
		    plan.n_ended, plan.n_active);
	}
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Confirmer l'import</button>\n"
	    "</form>\n");
out:
	web_layout_end(ctx);
	annex_plan_free(&plan);
	annex_rows_free(&rows);
	annex_file_errors_free(&errors);
	store_partner_free(&pa);
}

void
web_page_annex_confirm(struct web_ctx *ctx)
{
	struct annex_file_errors errors = { NULL, 0 };
	struct store_partner pa;
	struct annex_rows rows;
	struct annex_plan plan;
	struct stashed *s;
	const char *force;
	int rc;

	memset(&rows, 0, sizeof(rows));
	memset(&plan, 0, sizeof(plan));
	if (begin(ctx, "Import de l'annexe", &pa) == -1)
		return;
	if ((s = stash_find(ctx, web_http_field(ctx->req, "token", NULL))) ==
	    NULL) {
		ctx->res->status = 400;
		web_layout_error(ctx, "Cet aperçu n'est plus valable (déjà "
		    "confirmé, plus de 15 minutes, ou d'un autre compte) : "
		    "envoyez le fichier de nouveau.");
		goto out;
	}
	force = web_http_field(ctx->req, "force", NULL);
	/* Checked again: the annex may have changed since the preview. */
	if (annex_file_parse_coded(s->data, s->len, &rows, &errors) == -1) {
		ctx->res->status = 400;
		errors_list(ctx, &errors);
		stashed_drop(s);
		goto out;
	}
	/* The file's digest, for the import's audit row. */
	if (annex_digest(s->data, s->len, &rows) == -1) {
		ctx->res->status = 500;
		web_layout_error(ctx, "Erreur interne : rien n'est importé.");
		stashed_drop(s);
		goto out;
	}
	rc = annex_import(ctx->app->st, pa.id, &rows,
	    pipeline_today(ctx->now), 0, force != NULL &&
	    strcmp(force, "1") == 0, ctx->actor, ctx->now, &plan);
	if (rc != STORE_OK) {
		import_refused(ctx, rc, &plan, &pa);
		/* A refusal for want of force keeps the file for a retry. */
		if (!plan.force_needed)
			stashed_drop(s);
		goto out;
	}
	stashed_drop(s);
	web_layout_notice(ctx, "Annexe importée.");
	preview(ctx, &plan, &rows, &pa);
out:
	web_layout_end(ctx);
	annex_plan_free(&plan);
	annex_rows_free(&rows);
	annex_file_errors_free(&errors);
	store_partner_free(&pa);
}

void
web_page_annex_export(struct web_ctx *ctx)
{
	struct buf line = BUF_INIT;
	const char *p;
	int rc;

	rc = annex_export(ctx->app->st, ctx->id, &ctx->res->body);
	if (rc == STORE_NOTFOUND) {
		web_app_error(ctx, 404, "Ce partenaire n'existe pas.");
		return;
	}
	if (rc != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "annex export"));
		return;
	}
	ctx->res->content_type = "text/csv; charset=utf-8";
	/* A header: of the id, only what needs no quoting in a file name. */
	buf_puts(&line, "attachment; filename=\"annexe-");
	for (p = ctx->id; *p != '\0'; p++)
		buf_putc(&line, isalnum((unsigned char)*p) || *p == '-' ||
		    *p == '_' || *p == '.' ? *p : '_');
	buf_puts(&line, ".csv\"");
	ctx->res->disposition = buf_detach(&line);
}
