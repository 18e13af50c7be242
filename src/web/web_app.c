/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_app - the route table and the checks every request passes (see
 * web_app.h).
 *
 * Order, for every request: the style sheet and the login form need no
 * session; then the session (none, unknown or run out: 303 /login); then
 * a POST's CSRF token (403); then a password that must change (303
 * /password); then the route: no path of the console 404, another method
 * 405, outside the role 403, a page not built yet 404.
 */
#include "balp/web_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "balp/log.h"
#include "balp/web_auth.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_page_annex.h"
#include "balp/web_page_audit.h"
#include "balp/web_page_dashboard.h"
#include "balp/web_page_message_act.h"
#include "balp/web_page_messages.h"
#include "balp/web_page_partner_act.h"
#include "balp/web_page_partners.h"
#include "balp/web_page_review.h"
#include "balp/web_page_staged.h"
#include "balp/web_page_users.h"
#include "balp/web_static.h"

/*
 * The roles build on each other (issue 20, DESIGN.md): the supervisor
 * sees; the admin also manages partners, annexes, releases and accounts;
 * the dpo also all of that, plus the NIR search, the audit, the purge
 * and the review, which no admin reaches.
 */
#define R_SUP	1u
#define R_ADMIN	2u
#define R_DPO	4u
#define R_ALL	(R_SUP | R_ADMIN | R_DPO)
#define R_MANAGE	(R_ADMIN | R_DPO)

typedef void page_fn(struct web_ctx *);

/*
 * The console's paths (DESIGN.md, "The console"): '*' is one segment (an
 * id), kept in ctx->id.  A NULL page would be a path of the contract not
 * built yet: 404 to the roles it is for.
 */
static const struct route {
	const char	*method;
	const char	*path;
	unsigned	 roles;
	page_fn		*page;
} routes[] = {
	{ "GET",  "/",				R_ALL,   web_page_dashboard },
	{ "GET",  "/messages",			R_ALL,   web_page_messages },
	{ "POST", "/messages",			R_ALL,   web_page_messages_search },
	{ "POST", "/messages/search",		R_DPO,   web_page_messages_nir },
	{ "GET",  "/messages/*",		R_ALL,   web_page_message },
	{ "POST", "/messages/*/release",	R_MANAGE, web_page_message_release },
	{ "POST", "/messages/*/retriage",	R_MANAGE, web_page_message_retriage },
	{ "GET",  "/partners",			R_MANAGE, web_page_partners },
	{ "GET",  "/partners/*",		R_MANAGE, web_page_partner },
	{ "POST", "/partners/*/annex",		R_MANAGE, web_page_annex_upload },
	{ "POST", "/partners/*/annex/confirm",	R_MANAGE, web_page_annex_confirm },
	{ "GET",  "/partners/*/annex",		R_MANAGE, web_page_annex_export },
	{ "POST", "/partners/*/suspend",	R_MANAGE, web_page_partner_suspend },
	{ "POST", "/partners/*/resume",		R_MANAGE, web_page_partner_resume },
	{ "POST", "/partners/*/end",		R_MANAGE, web_page_partner_end },
	{ "POST", "/partners/*/persons/suspend", R_MANAGE, web_page_person_suspend },
	{ "POST", "/partners/*/persons/resume",	R_MANAGE, web_page_person_resume },
	{ "POST", "/partners/*/persons/end",	R_MANAGE, web_page_person_end },
	{ "GET",  "/annexes",			R_MANAGE, web_page_staged_list },
	{ "GET",  "/annexes/*",			R_MANAGE, web_page_staged },
	{ "POST", "/annexes/*/approve",		R_MANAGE, web_page_staged_approve },
	{ "POST", "/annexes/*/reject",		R_MANAGE, web_page_staged_reject },
	{ "GET",  "/users",			R_MANAGE, web_page_users },
	{ "POST", "/users",			R_MANAGE, web_page_users_add },
	{ "POST", "/users/*/disable",		R_MANAGE, web_page_users_disable },
	{ "GET",  "/review",			R_DPO,   web_page_review },
	{ "GET",  "/review.csv",		R_DPO,   web_page_review_csv },
	{ "GET",  "/audit",			R_DPO,   web_page_audit },
	{ "POST", "/audit/verify",		R_DPO,   web_page_audit_verify },
	{ "POST", "/audit/purge",		R_DPO,   web_page_audit_purge },
};

#define N_ROUTES	(sizeof(routes) / sizeof(routes[0]))

const char *
web_app_session_cookie(const struct web_app *app)
{
	return app->tls ? "__Host-balp_session" : "balp_session";
}

const char *
web_app_login_cookie(const struct web_app *app)
{
	return app->tls ? "__Host-balp_login" : "balp_login";
}

void
web_app_cookie(const struct web_app *app, struct web_response *res,
    const char *name, const char *value)
{
	char line[256];

	snprintf(line, sizeof(line), "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s%s", name, value, value[0] == '\0' ?
	    "; Max-Age=0" : "", app->tls ? "; Secure" : "");
	web_http_set_cookie(res, line);
}

int64_t
web_app_id(const struct web_ctx *ctx)
{
	char *end;
	long long v;

	if (ctx->id[0] < '1' || ctx->id[0] > '9')
		return 0;
	errno = 0;
	v = strtoll(ctx->id, &end, 10);
	return *end == '\0' && v > 0 && errno == 0 ? (int64_t)v : 0;
}

void
web_app_error(struct web_ctx *ctx, int status, const char *text)
{
	const char *title;

	switch (status) {
	case 403:
		title = "Accès refusé";
		break;
	case 404:
		title = "Page introuvable";
		break;
	case 405:
		title = "Méthode non permise";
		break;
	default:
		title = "Erreur";
		break;
	}
	buf_reset(&ctx->res->body);
	ctx->res->status = status;
	web_layout_begin(ctx, title);
	buf_puts(&ctx->res->body, "<p>");
	web_html_text(&ctx->res->body, text);
	buf_puts(&ctx->res->body, "</p>\n<p><a href=\"/\">Retour au tableau "
	    "de bord</a></p>\n");
	web_layout_end(ctx);
}

/* The bytes an id of a path may hold: partner ids, logins, numbers. */
static int
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '@' || c == '+';
}

/*
 * 1 if path matches pattern ('*' one non-empty segment of id_char bytes,
 * copied to id when it fits: it goes into links and a Location header,
 * so nothing there needs escaping but HTML's).
 */
static int
path_match(const char *pattern, const char *path, char *id, size_t idsz)
{
	const char *seg;
	size_t n;

	while (*pattern != '\0') {
		if (*pattern == '*') {
			seg = path;
			while (*path != '\0' && *path != '/')
				if (!id_char(*path++))
					return 0;
			n = (size_t)(path - seg);
			if (n == 0 || n >= idsz)
				return 0;
			memcpy(id, seg, n);
			id[n] = '\0';
			pattern++;
			continue;
		}
		if (*pattern != *path)
			return 0;
		pattern++;
		path++;
	}
	return *path == '\0';
}

static unsigned
role_bit(const char *role)
{
	if (strcmp(role, "supervisor") == 0)
		return R_SUP;
	if (strcmp(role, "admin") == 0)
		return R_ADMIN;
	if (strcmp(role, "dpo") == 0)
		return R_DPO;
	return 0;
}

/* The route for the request; 404 / 405 / 403 answered here. */
static void
dispatch(struct web_ctx *ctx)
{
	const char *method = web_http_method(ctx->req);
	const char *path = web_http_path(ctx->req);
	const struct route *other = NULL;
	size_t i;

	for (i = 0; i < N_ROUTES; i++) {
		if (!path_match(routes[i].path, path, ctx->id,
		    sizeof(ctx->id)))
			continue;
		if (strcmp(routes[i].method, method) != 0) {
			other = &routes[i];
			continue;
		}
		if ((routes[i].roles & role_bit(ctx->user->role)) == 0) {
			web_app_error(ctx, 403, "Votre rôle ne donne pas "
			    "accès à cette page.");
			return;
		}
		if (routes[i].page == NULL) {
			web_app_error(ctx, 404, "Cette page n'existe pas "
			    "encore dans la console.");
			return;
		}
		routes[i].page(ctx);
		return;
	}
	if (other != NULL) {
		if ((other->roles & role_bit(ctx->user->role)) == 0)
			web_app_error(ctx, 403, "Votre rôle ne donne pas "
			    "accès à cette page.");
		else
			web_app_error(ctx, 405, "Cette adresse ne prend pas "
			    "cette méthode.");
		return;
	}
	web_app_error(ctx, 404, "Cette page n'existe pas.");
}

/*
 * The request's session into ctx (ctx->user set) and 0; or -1 when there
 * is none that lives (an expired one ended here), the cookie cleared; or
 * -2 when the store cannot say (busy, broken): the session is kept.
 */
static int
session_find(struct web_ctx *ctx, struct store_session *s)
{
	struct web_app *app = ctx->app;
	const char *id;
	char hash[WEB_SESSION_HEX + 1];
	enum web_session_state state;
	int rc;

	id = web_http_cookie(ctx->req, web_app_session_cookie(app));
	if (!web_session_id_valid(id))
		return -1;
	web_session_hash(id, hash);
	if ((rc = store_session_get(app->st, hash, s)) == STORE_ERROR) {
		log_warn("reading a session: %s", store_errmsg(app->st));
		return -2;
	}
	if (rc != STORE_OK)
		goto gone;
	state = web_session_expiry(s->created, s->seen, ctx->now,
	    (long)app->conf->web.session_idle_minutes * 60,
	    (long)app->conf->web.session_max_hours * 3600);
	if (state != WEB_SESSION_LIVE || s->disabled) {
		snprintf(ctx->actor, sizeof(ctx->actor), "web:%s", s->login);
		if (store_session_end(app->st, hash, s->disabled ? "disabled" :
		    "expired", ctx->actor, ctx->now) != STORE_OK)
			log_warn("ending a session: %s",
			    store_errmsg(app->st));
		store_session_free(s);
		goto gone;
	}
	if (store_session_touch(app->st, hash, ctx->now) != STORE_OK)
		log_warn("session touch: %s", store_errmsg(app->st));
	memcpy(ctx->sid, id, WEB_SESSION_HEX + 1);
	web_session_csrf(ctx->sid, ctx->csrf);
	snprintf(ctx->actor, sizeof(ctx->actor), "web:%s", s->login);
	ctx->user = s;
	return 0;
gone:
	web_app_cookie(app, ctx->res, web_app_session_cookie(app), "");
	return -1;
}

void
web_app_handle(void *arg, const struct web_request *req,
    struct web_response *res)
{
	struct web_app *app = arg;
	struct store_session s;
	struct web_ctx ctx;
	const char *path = web_http_path(req);
	int post = strcmp(web_http_method(req), "POST") == 0;

	memset(&ctx, 0, sizeof(ctx));
	memset(&s, 0, sizeof(s));
	ctx.app = app;
	ctx.req = req;
	ctx.res = res;
	ctx.now = time(NULL);
	if (strncmp(path, "/static/", 8) == 0) {
		web_static_serve(&ctx);
		return;
	}
	if (strcmp(path, "/login") == 0) {
		web_auth_login(&ctx);
		return;
	}
	switch (session_find(&ctx, &s)) {
	case 0:
		break;
	case -2:
		web_app_error(&ctx, 503, "La console ne peut pas lire le "
		    "magasin pour l'instant ; réessayez dans un moment.");
		return;
	default:
		web_http_redirect(res, "/login");
		return;
	}
	if (post && !web_session_csrf_ok(ctx.sid, web_http_field(req, "csrf",
	    NULL)))
		web_app_error(&ctx, 403, "Formulaire refusé : son jeton de "
		    "sécurité manque ou ne correspond pas à votre session. "
		    "Rechargez la page et recommencez.");
	else if (strcmp(path, "/logout") == 0) {
		if (post)
			web_auth_logout(&ctx);
		else
			web_app_error(&ctx, 405, "La déconnexion se fait par "
			    "le bouton « Se déconnecter ».");
	} else if (strcmp(path, "/password") == 0)
		web_auth_password(&ctx);
	else if (s.must_change)
		web_http_redirect(res, "/password");
	else
		dispatch(&ctx);
	store_session_free(&s);
}
