/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_auth - sign in, sign out, change the password (see web_auth.h).
 *
 * Ownership: the form's values are web_http's (wiped when the request
 * ends); nothing here copies a password.
 */
#include "balp/web_auth.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "balp/buf.h"
#include "balp/log.h"
#include "balp/lockout.h"
#include "balp/password.h"
#include "balp/store_user.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

/* The one sentence of every refused login: it tells nobody which. */
#define REFUSED_TEXT	"Identifiant ou mot de passe incorrect, ou compte " \
	"verrouillé ou désactivé.  Après cinq échecs en quinze minutes, le " \
	"compte est verrouillé quinze minutes."

/*
 * An Argon2id string of the accounts' cost: an unknown login is
 * verified against it, so that it takes as long as a known one.
 */
static int
dummy_verify(const char *pw, size_t len)
{
	static char dummy[crypto_pwhash_STRBYTES];

	if (dummy[0] == '\0' && crypto_pwhash_str(dummy, "balp-no-account",
	    15, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return 0;
	return crypto_pwhash_str_verify(dummy, pw, (unsigned long long)len)
	    == 0;
}

/* One refused login audited (and counted); always WEB_AUTH_REFUSED. */
static enum web_auth_result
refuse(struct web_app *app, const char *login, const char *why,
    time_t now)
{
	char actor[80];
	int locked = 0;

	snprintf(actor, sizeof(actor), "web:%s",
	    store_user_login_valid(login) ? login : "-");
	if (store_session_login_failed(app->st, login, why, actor, now,
	    &locked) != STORE_OK) {
		log_warn("recording a failed login: %s",
		    store_errmsg(app->st));
		return WEB_AUTH_ERROR;
	}
	if (locked)
		log_warn("console account locked after %d failed logins",
		    LOCKOUT_FAILURES);
	return WEB_AUTH_REFUSED;
}

enum web_auth_result
web_auth_signin(struct web_app *app, const char *login, const char *pw,
    size_t len, time_t now, char sid[WEB_SESSION_HEX + 1], int *must_change)
{
	struct store_user u;
	struct lockout lo;
	char hash[WEB_SESSION_HEX + 1], actor[80];
	int match = 0, rc, tries;

	*must_change = 0;
	sid[0] = '\0';
	if (login == NULL || !store_user_login_valid(login) ||
	    store_user_get(app->st, login, &u) != STORE_OK) {
		if (pw != NULL)
			dummy_verify(pw, len);
		return refuse(app, NULL, "unknown", now);
	}
	if (u.disabled) {
		store_user_free(&u);
		return refuse(app, login, "disabled", now);
	}
	if (store_session_lockout(app->st, login, &lo) != STORE_OK) {
		store_user_free(&u);
		return WEB_AUTH_ERROR;
	}
	if (lockout_locked(&lo, now)) {
		store_user_free(&u);
		return refuse(app, login, "locked", now);
	}
	if (pw == NULL || store_user_password_matches(app->st, login, pw, len,
	    &match) != STORE_OK || !match) {
		store_user_free(&u);
		return refuse(app, login, "password", now);
	}
	snprintf(actor, sizeof(actor), "web:%s", u.login);
	*must_change = u.must_change;
	rc = STORE_EXISTS;
	for (tries = 0; tries < 3 && rc == STORE_EXISTS; tries++) {
		if (web_session_new_id(sid) == -1)
			break;
		web_session_hash(sid, hash);
		rc = store_session_create(app->st, hash, u.login, actor, now);
	}
	store_user_free(&u);
	/* Sessions nobody came back to end here, with their audit rows. */
	if (rc == STORE_OK && app->conf != NULL &&
	    store_session_expire(app->st, now -
	    (time_t)app->conf->web.session_idle_minutes * 60, now -
	    (time_t)app->conf->web.session_max_hours * 3600, now, NULL) !=
	    STORE_OK)
		log_warn("ending expired sessions: %s",
		    store_errmsg(app->st));
	if (rc != STORE_OK) {
		log_warn("opening a session: %s", store_errmsg(app->st));
		sodium_memzero(sid, WEB_SESSION_HEX + 1);
		return WEB_AUTH_ERROR;
	}
	return WEB_AUTH_OK;
}

/* The login form, with its token; error (may be NULL) above it. */
static void
login_form(struct web_ctx *ctx, const char *token, const char *error)
{
	struct buf *b = &ctx->res->body;

	web_layout_begin(ctx, "Connexion");
	if (error != NULL)
		web_layout_error(ctx, error);
	buf_puts(b, "<form class=\"stack\" method=\"post\" action=\"/login\">\n"
	    "<label for=\"login\">Identifiant</label>\n"
	    "<input id=\"login\" name=\"login\" type=\"text\" required "
	    "autocomplete=\"username\" autocapitalize=\"none\" "
	    "spellcheck=\"false\">\n"
	    "<label for=\"password\">Mot de passe</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "required autocomplete=\"current-password\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"");
	web_html_text(b, token);
	buf_puts(b, "\">\n<button type=\"submit\">Se connecter</button>\n"
	    "</form>\n");
	web_layout_end(ctx);
}

void
web_auth_login(struct web_ctx *ctx)
{
	struct web_app *app = ctx->app;
	const char *cookie, *method = web_http_method(ctx->req), *pw;
	char fresh[WEB_SESSION_HEX + 1], token[WEB_SESSION_HEX + 1];
	char sid[WEB_SESSION_HEX + 1];
	size_t len = 0;
	int must_change;

	cookie = web_http_cookie(ctx->req, web_app_login_cookie(app));
	if (strcmp(method, "POST") == 0) {
		if (!web_session_csrf_ok(cookie, web_http_field(ctx->req,
		    "csrf", NULL))) {
			web_app_error(ctx, 403, "Formulaire refusé : son jeton "
			    "de sécurité manque ou ne correspond pas. Rechargez "
			    "la page de connexion.");
			return;
		}
		pw = web_http_field(ctx->req, "password", &len);
		switch (web_auth_signin(app, web_http_field(ctx->req,
		    "login", NULL), pw, len, ctx->now, sid, &must_change)) {
		case WEB_AUTH_OK:
			web_app_cookie(app, ctx->res,
			    web_app_session_cookie(app), sid);
			web_app_cookie(app, ctx->res, web_app_login_cookie(app),
			    "");
			sodium_memzero(sid, sizeof(sid));
			web_http_redirect(ctx->res, must_change ? "/password" :
			    "/");
			return;
		case WEB_AUTH_REFUSED:
			web_session_csrf(cookie, token);
			login_form(ctx, token, REFUSED_TEXT);
			return;
		default:
			ctx->res->status = 500;
			web_session_csrf(cookie, token);
			login_form(ctx, token, "La console ne peut pas lire ses "
			    "comptes pour l'instant ; réessayez plus tard.");
			return;
		}
	}
	if (strcmp(method, "GET") != 0) {
		web_app_error(ctx, 405, "Cette adresse ne prend pas cette "
		    "méthode.");
		return;
	}
	if (!web_session_id_valid(cookie)) {
		if (web_session_new_id(fresh) == -1) {
			web_app_error(ctx, 500, "La console ne peut pas tirer "
			    "de nombre aléatoire.");
			return;
		}
		web_app_cookie(app, ctx->res, web_app_login_cookie(app),
		    fresh);
		cookie = fresh;
	}
	web_session_csrf(cookie, token);
	login_form(ctx, token, NULL);
}

void
web_auth_logout(struct web_ctx *ctx)
{
	char hash[WEB_SESSION_HEX + 1];

	web_session_hash(ctx->sid, hash);
	if (store_session_end(ctx->app->st, hash, "logout", ctx->actor,
	    ctx->now) != STORE_OK)
		log_warn("ending a session: %s", store_errmsg(ctx->app->st));
	web_app_cookie(ctx->app, ctx->res,
	    web_app_session_cookie(ctx->app), "");
	web_http_redirect(ctx->res, "/login");
}

static void
password_form(struct web_ctx *ctx, const char *error)
{
	struct buf *b = &ctx->res->body;

	web_layout_begin(ctx, "Changer de mot de passe");
	if (ctx->user->must_change)
		buf_puts(b, "<p>Votre mot de passe a été donné par un "
		    "administrateur : choisissez le vôtre avant de "
		    "continuer.</p>\n");
	if (error != NULL)
		web_layout_error(ctx, error);
	buf_printf(b, "<form class=\"stack\" method=\"post\" "
	    "action=\"/password\">\n"
	    "<label for=\"current\">Mot de passe actuel</label>\n"
	    "<input id=\"current\" name=\"current\" type=\"password\" "
	    "required autocomplete=\"current-password\">\n"
	    "<label for=\"new\">Nouveau mot de passe</label>\n"
	    "<input id=\"new\" name=\"new\" type=\"password\" required "
	    "minlength=\"%d\" autocomplete=\"new-password\" "
	    "aria-describedby=\"new-hint\">\n"
	    "<p class=\"hint\" id=\"new-hint\">Au moins %d caractères, sans "
	    "caractère de contrôle, différent de l'identifiant.</p>\n"
	    "<label for=\"confirm\">Confirmer le nouveau mot de passe</label>\n"
	    "<input id=\"confirm\" name=\"confirm\" type=\"password\" "
	    "required minlength=\"%d\" autocomplete=\"new-password\">\n",
	    PASSWORD_MIN, PASSWORD_MIN, PASSWORD_MIN);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Changer le mot de passe</button>\n"
	    "</form>\n");
	web_layout_end(ctx);
}

void
web_auth_password(struct web_ctx *ctx)
{
	struct web_app *app = ctx->app;
	enum password_rule rule;
	char hash[WEB_SESSION_HEX + 1];
	const char *cur, *nw, *confirm;
	size_t cur_len, new_len, confirm_len;
	int match = 0;

	if (strcmp(web_http_method(ctx->req), "POST") != 0) {
		password_form(ctx, NULL);
		return;
	}
	cur = web_http_field(ctx->req, "current", &cur_len);
	nw = web_http_field(ctx->req, "new", &new_len);
	confirm = web_http_field(ctx->req, "confirm", &confirm_len);
	if (cur == NULL || nw == NULL || confirm == NULL) {
		ctx->res->status = 400;
		password_form(ctx, "Remplissez les trois champs.");
		return;
	}
	if (new_len != confirm_len || sodium_memcmp(nw, confirm, new_len) !=
	    0) {
		ctx->res->status = 400;
		password_form(ctx, "Le nouveau mot de passe et sa "
		    "confirmation diffèrent.");
		return;
	}
	if (store_user_password_matches(app->st, ctx->user->login, cur,
	    cur_len, &match) != STORE_OK || !match) {
		refuse(app, ctx->user->login, "password", ctx->now);
		ctx->res->status = 400;
		password_form(ctx, "Le mot de passe actuel est incorrect.");
		return;
	}
	if ((rule = password_rule(ctx->user->login, nw, new_len)) !=
	    PASSWORD_OK) {
		ctx->res->status = 400;
		password_form(ctx, web_msg_password(rule));
		return;
	}
	if (cur_len == new_len && sodium_memcmp(cur, nw, new_len) == 0) {
		ctx->res->status = 400;
		password_form(ctx, "Le nouveau mot de passe doit différer de "
		    "l'actuel.");
		return;
	}
	if (store_user_passwd(app->st, ctx->user->login, nw, new_len, 0,
	    ctx->actor, ctx->now) != STORE_OK) {
		ctx->res->status = 500;
		password_form(ctx, web_msg_store_down(ctx, "password change"));
		return;
	}
	/* Whoever held another session with the old password is out. */
	web_session_hash(ctx->sid, hash);
	if (store_session_end_user(app->st, ctx->user->login, hash,
	    "password", ctx->actor, ctx->now, NULL) != STORE_OK)
		log_warn("ending the other sessions: %s",
		    store_errmsg(app->st));
	web_http_redirect(ctx->res, "/");
}
