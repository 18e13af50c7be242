/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_partner_act - suspend, resume, end a partner or a person (see
 * web_page_partner_act.h).
 */
#include "balp/web_page_partner_act.h"

#include <string.h>

#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/store_partner.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

/* A non-empty field, or NULL. */
static const char *
field(struct web_ctx *ctx, const char *name)
{
	const char *v = web_http_field(ctx->req, name, NULL);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The page of a refusal: the reason, and the way back. */
static void
refused(struct web_ctx *ctx, int status, const char *why)
{
	struct buf *b = &ctx->res->body;

	ctx->res->status = status;
	web_layout_begin(ctx, "Action refusée");
	web_layout_error(ctx, why);
	buf_puts(b, "<p><a href=\"/partners/");
	web_html_text(b, ctx->id);
	buf_puts(b, "\">Retour au partenaire</a></p>\n");
	web_layout_end(ctx);
}

/* The outcome of a store call: 303 back to the partner, or why not. */
static void
done(struct web_ctx *ctx, int rc, enum web_msg_act act)
{
	struct buf to = BUF_INIT;

	if (rc == STORE_OK) {
		buf_puts(&to, "/partners/");
		buf_puts(&to, ctx->id);
		web_http_redirect(ctx->res, buf_str(&to));
		buf_free(&to);
		return;
	}
	refused(ctx, rc == STORE_NOTFOUND ? 404 : rc == STORE_ERROR ? 500 :
	    400, web_msg_store(ctx, rc, act));
}

/* The day of field "date" (today when absent) into *day; -1 if no date. */
static int
date_field(struct web_ctx *ctx, int32_t *day)
{
	const char *v = field(ctx, "date");

	*day = pipeline_today(ctx->now);
	if (v != NULL && date_parse_any(v, day) == -1) {
		refused(ctx, 400, "La date n'est pas une date (AAAA-MM-JJ ou "
		    "JJ/MM/AAAA).");
		return -1;
	}
	return 0;
}

void
web_page_partner_suspend(struct web_ctx *ctx)
{
	const char *reason = field(ctx, "reason");

	if (reason == NULL) {
		refused(ctx, 400, "Une suspension demande son motif.");
		return;
	}
	done(ctx, store_partner_suspend(ctx->app->st, ctx->id, reason,
	    ctx->actor, ctx->now),
	    WEB_MSG_PARTNER_SUSPEND);
}

void
web_page_partner_resume(struct web_ctx *ctx)
{
	done(ctx, store_partner_resume(ctx->app->st, ctx->id, ctx->actor,
	    ctx->now),
	    WEB_MSG_PARTNER_RESUME);
}

void
web_page_partner_end(struct web_ctx *ctx)
{
	int32_t day;

	if (date_field(ctx, &day) == -1)
		return;
	done(ctx, store_partner_end(ctx->app->st, ctx->id, day, ctx->actor,
	    ctx->now),
	    WEB_MSG_PARTNER_END);
}

/* The person's email, or NULL after the refusal page. */
static const char *
person(struct web_ctx *ctx)
{
	const char *email = field(ctx, "email");

	if (email == NULL)
		refused(ctx, 400, "Choisissez la personne.");
	return email;
}

void
web_page_person_suspend(struct web_ctx *ctx)
{
	const char *email, *reason;

	if ((email = person(ctx)) == NULL)
		return;
	if ((reason = field(ctx, "reason")) == NULL) {
		refused(ctx, 400, "Une suspension demande son motif.");
		return;
	}
	done(ctx, store_person_suspend(ctx->app->st, ctx->id, email, reason,
	    ctx->actor, ctx->now),
	    WEB_MSG_PERSON_SUSPEND);
}

void
web_page_person_resume(struct web_ctx *ctx)
{
	const char *email;

	if ((email = person(ctx)) == NULL)
		return;
	done(ctx, store_person_resume(ctx->app->st, ctx->id, email,
	    pipeline_today(ctx->now), ctx->actor, ctx->now),
	    WEB_MSG_PERSON_RESUME);
}

void
web_page_person_end(struct web_ctx *ctx)
{
	const char *email;
	int32_t day;

	if ((email = person(ctx)) == NULL || date_field(ctx, &day) == -1)
		return;
	done(ctx, store_person_end(ctx->app->st, ctx->id, email, day,
	    pipeline_today(ctx->now), ctx->actor, ctx->now),
	    WEB_MSG_PERSON_END);
}
