/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_message_act - release and retriage from the console (see
 * web_page_message_act.h).
 */
#include "balp/web_page_message_act.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/log.h"
#include "balp/message_act.h"
#include "balp/pipeline.h"
#include "balp/store_staged.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

static void
refused(struct web_ctx *ctx, int status, const char *why)
{
	struct buf *b = &ctx->res->body;

	ctx->res->status = status;
	web_layout_begin(ctx, "Action refusée");
	web_layout_error(ctx, why);
	buf_puts(b, "<p><a href=\"/messages/");
	web_html_text(b, ctx->id);
	buf_puts(b, "\">Retour à la décision</a></p>\n");
	web_layout_end(ctx);
}

/*
 * message_act's refusal in French; a failure's English detail (the
 * store's or the mailbox's, no NIR: the store keeps none) to the log.
 */
static void
act_refused(struct web_ctx *ctx, const struct message_act *a,
    const char *to, const struct buf *err)
{
	struct buf why = BUF_INIT;

	if (a->refusal == MESSAGE_ACT_FAILED)
		log_warn("decision %s: %s", ctx->id, buf_str(err));
	web_msg_message_act(&why, a, to);
	refused(ctx, a->refusal == MESSAGE_ACT_NO_DECISION ? 404 :
	    a->refusal == MESSAGE_ACT_FAILED ? 500 : 400, buf_str(&why));
	buf_free(&why);
}

static void
back(struct web_ctx *ctx, int64_t id)
{
	char to[48];

	snprintf(to, sizeof(to), "/messages/%" PRId64, id);
	web_http_redirect(ctx->res, to);
}

/* The reason field, or NULL after the refusal page. */
static const char *
reason(struct web_ctx *ctx)
{
	const char *v = web_http_field(ctx->req, "reason", NULL);

	if (v == NULL || *v == '\0') {
		refused(ctx, 400, "Indiquez le motif : il est gardé avec "
		    "l'action.");
		return NULL;
	}
	return v;
}

void
web_page_message_release(struct web_ctx *ctx)
{
	const struct rules *r = &ctx->app->conf->rules;
	struct message_act done;
	struct buf err = BUF_INIT;
	const char *to, *why, *notify;
	int64_t id;
	int n;

	if ((id = web_app_id(ctx)) == 0) {
		web_app_error(ctx, 404, "Cette décision n'existe pas.");
		return;
	}
	to = web_http_field(ctx->req, "to", NULL);
	if (to == NULL || !message_act_known_queue(r, to)) {
		refused(ctx, 400, "Choisissez l'une des files des règles.");
		return;
	}
	notify = web_http_field(ctx->req, "notify", NULL);
	n = notify != NULL && strcmp(notify, "1") == 0;
	if (n && strcmp(to, r->queue_rejects) != 0) {
		refused(ctx, 400, "Un avis ne part qu'avec un déplacement vers "
		    "les rejets : il dit à l'expéditeur quoi corriger.");
		return;
	}
	if ((why = reason(ctx)) == NULL)
		return;
	if (message_act_release(ctx->app->st, ctx->app->conf, id, to, why, n,
	    pipeline_today(ctx->now), ctx->actor, ctx->now, &done, &err) ==
	    -1)
		act_refused(ctx, &done, to, &err);
	else
		back(ctx, id);
	message_act_free(&done);
	buf_free(&err);
}

void
web_page_message_retriage(struct web_ctx *ctx)
{
	struct message_act done;
	struct buf err = BUF_INIT;
	const char *why;
	int64_t id;

	if ((id = web_app_id(ctx)) == 0) {
		web_app_error(ctx, 404, "Cette décision n'existe pas.");
		return;
	}
	if ((why = reason(ctx)) == NULL)
		return;
	if (message_act_retriage(ctx->app->st, ctx->app->conf, id, why,
	    ctx->actor, ctx->now, &done, &err) == -1)
		act_refused(ctx, &done, NULL, &err);
	else
		back(ctx, id);
	message_act_free(&done);
	buf_free(&err);
}

static void
queue_option(struct buf *b, const char *q, const char *now)
{
	if (now != NULL && strcmp(q, now) == 0)
		return;
	buf_puts(b, "<option value=\"");
	web_html_text(b, q);
	buf_puts(b, "\">");
	web_html_text(b, q);
	buf_puts(b, "</option>\n");
}

void
web_page_message_act_forms(struct web_ctx *ctx, int64_t id,
    const char *queue_now)
{
	const struct rules *r = &ctx->app->conf->rules;
	struct buf *b = &ctx->res->body;
	int64_t staged = 0;
	size_t i;

	/*
	 * A mail whose annex is staged and pending is neither released nor
	 * retriaged (store_message.h): the way is its annex's decision.
	 */
	if (store_staged_pending_of(ctx->app->st, id, &staged) == STORE_OK &&
	    staged > 0) {
		buf_printf(b, "<h2>Actions</h2>\n<p>Son annexe attend "
		    "l'approbation : <a href=\"/annexes/%" PRId64 "\">annexe "
		    "n° %" PRId64 "</a>, à approuver ou rejeter avant de "
		    "déplacer ou de trier de nouveau ce message.</p>\n", staged,
		    staged);
		return;
	}
	buf_printf(b, "<h2>Actions</h2>\n<form class=\"stack\" method=\"post\" "
	    "action=\"/messages/%" PRId64 "/release\">\n<fieldset>\n<legend>"
	    "Déplacer le message</legend>\n<label for=\"to\">Vers la file"
	    "</label>\n<select id=\"to\" name=\"to\" required>\n", id);
	for (i = 0; i < r->n_types; i++)
		queue_option(b, r->types[i].queue, queue_now);
	queue_option(b, r->queue_rejects, queue_now);
	queue_option(b, r->queue_quarantine, queue_now);
	buf_puts(b, "</select>\n<label for=\"release-reason\">Motif</label>\n"
	    "<input id=\"release-reason\" name=\"reason\" type=\"text\" "
	    "required maxlength=\"500\">\n<p><input type=\"checkbox\" "
	    "id=\"notify\" name=\"notify\" value=\"1\"> <label for=\"notify\">"
	    "Envoyer l'avis de rejet à l'expéditeur (vers les rejets "
	    "seulement)</label></p>\n");
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Déplacer</button>\n</fieldset>\n"
	    "</form>\n");
	buf_printf(b, "<form class=\"stack\" method=\"post\" action=\""
	    "/messages/%" PRId64 "/retriage\">\n<fieldset>\n<legend>Trier de "
	    "nouveau</legend>\n<p class=\"hint\" id=\"retriage-hint\">Le "
	    "message retourne dans la boîte de réception ; le prochain "
	    "passage de balpd le décide de nouveau.</p>\n<label for="
	    "\"retriage-reason\">Motif</label>\n<input id=\"retriage-reason\" "
	    "name=\"reason\" type=\"text\" required maxlength=\"500\" "
	    "aria-describedby=\"retriage-hint\">\n", id);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Trier de nouveau</button>\n"
	    "</fieldset>\n</form>\n");
}
