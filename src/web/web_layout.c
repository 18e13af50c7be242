/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_layout - the frame of the console's pages (see web_layout.h).
 * Markup is literal; the title, the user's name and the token go through
 * web_html_text.
 */
#include "balp/web_layout.h"

#include <string.h>

#include "balp/web_html.h"

int
web_layout_role(const struct web_ctx *ctx, const char *role)
{
	return ctx->user != NULL && strcmp(ctx->user->role, role) == 0;
}

/* One link of the navigation, marked when it is the page shown. */
static void
nav_link(struct web_ctx *ctx, const char *href, const char *label)
{
	struct buf *b = &ctx->res->body;
	const char *path = web_http_path(ctx->req);

	buf_puts(b, "<li><a href=\"");
	web_html_text(b, href);
	buf_puts(b, "\"");
	if (strcmp(path, href) == 0 || (strcmp(href, "/") != 0 &&
	    strncmp(path, href, strlen(href)) == 0))
		buf_puts(b, " aria-current=\"page\"");
	buf_puts(b, ">");
	web_html_text(b, label);
	buf_puts(b, "</a></li>\n");
}

void
web_layout_csrf(struct web_ctx *ctx)
{
	buf_puts(&ctx->res->body, "<input type=\"hidden\" name=\"csrf\" "
	    "value=\"");
	web_html_text(&ctx->res->body, ctx->csrf);
	buf_puts(&ctx->res->body, "\">\n");
}

void
web_layout_begin(struct web_ctx *ctx, const char *title)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	web_html_text(b, title);
	buf_puts(b, " — Console BALP</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/balp.css\">\n"
	    "</head>\n<body>\n"
	    "<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>\n"
	    "<header>\n<p class=\"brand\">Console BALP</p>\n");
	if (ctx->user != NULL && !ctx->user->must_change) {
		buf_puts(b, "<nav aria-label=\"Menu principal\">\n<ul>\n");
		nav_link(ctx, "/", "Tableau de bord");
		nav_link(ctx, "/messages", "Messages");
		if (web_layout_role(ctx, "admin") ||
		    web_layout_role(ctx, "dpo")) {
			nav_link(ctx, "/partners", "Partenaires");
			nav_link(ctx, "/users", "Comptes");
		}
		if (web_layout_role(ctx, "dpo")) {
			nav_link(ctx, "/review", "Revue annuelle");
			nav_link(ctx, "/audit", "Audit");
		}
		buf_puts(b, "</ul>\n</nav>\n");
	}
	if (ctx->user != NULL) {
		buf_puts(b, "<form class=\"logout\" method=\"post\" "
		    "action=\"/logout\">\n<p>Connecté : <span class=\"who\">");
		web_html_text(b, ctx->user->name[0] != '\0' ?
		    ctx->user->name : ctx->user->login);
		buf_puts(b, "</span> (");
		web_html_text(b, ctx->user->role);
		buf_puts(b, ")</p>\n");
		web_layout_csrf(ctx);
		buf_puts(b, "<button type=\"submit\">Se déconnecter</button>\n"
		    "</form>\n");
	}
	buf_puts(b, "</header>\n<main id=\"contenu\">\n<h1>");
	web_html_text(b, title);
	buf_puts(b, "</h1>\n");
}

void
web_layout_end(struct web_ctx *ctx)
{
	buf_puts(&ctx->res->body, "</main>\n</body>\n</html>\n");
}

void
web_layout_error(struct web_ctx *ctx, const char *text)
{
	buf_puts(&ctx->res->body, "<p class=\"error\" role=\"alert\">");
	web_html_text(&ctx->res->body, text);
	buf_puts(&ctx->res->body, "</p>\n");
}

void
web_layout_notice(struct web_ctx *ctx, const char *text)
{
	buf_puts(&ctx->res->body, "<p class=\"ok\" role=\"status\">");
	web_html_text(&ctx->res->body, text);
	buf_puts(&ctx->res->body, "</p>\n");
}
