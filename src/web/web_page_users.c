/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_users - the console's accounts (see web_page_users.h).
 */
#include "balp/web_page_users.h"

#include <string.h>
#include <strings.h>

#include "balp/log.h"
#include "balp/password.h"
#include "balp/store_session.h"
#include "balp/store_user.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

static const char *
role_label(const char *role)
{
	if (strcmp(role, "admin") == 0)
		return "administrateur";
	if (strcmp(role, "supervisor") == 0)
		return "superviseur";
	if (strcmp(role, "dpo") == 0)
		return "délégué à la protection des données";
	return role;
}

static void
user_row(struct web_ctx *ctx, const struct store_user *u)
{
	struct buf *b = &ctx->res->body;
	char now[21];

	store_timestamp(ctx->now, now);
	buf_puts(b, "<tr><th scope=\"row\">");
	web_html_text(b, u->login);
	buf_puts(b, "</th><td>");
	web_html_text(b, u->name);
	buf_puts(b, "</td><td>");
	web_html_text(b, role_label(u->role));
	buf_puts(b, "</td><td>");
	if (u->disabled)
		buf_puts(b, "désactivé");
	else if (u->locked_until != NULL && strcmp(u->locked_until, now) > 0)
		buf_puts(b, "verrouillé");
	else if (u->must_change)
		buf_puts(b, "actif (mot de passe à changer)");
	else
		buf_puts(b, "actif");
	buf_puts(b, "</td><td>");
	if (!u->disabled && strcasecmp(u->login, ctx->user->login) != 0) {
		buf_puts(b, "<form method=\"post\" action=\"/users/");
		web_html_text(b, u->login);
		buf_puts(b, "/disable\">");
		web_layout_csrf(ctx);
		buf_puts(b, "<button type=\"submit\" class=\"secondary\">"
		    "Désactiver <span class=\"skip\">le compte ");
		web_html_text(b, u->login);
		buf_puts(b, "</span></button></form>");
	}
	buf_puts(b, "</td></tr>\n");
}

/* The page, with error or notice (either may be NULL) at its top. */
static void
users_page(struct web_ctx *ctx, const char *error, const char *notice)
{
	struct buf *b = &ctx->res->body;
	struct store_user_list l;
	size_t i;

	web_layout_begin(ctx, "Comptes de la console");
	if (error != NULL)
		web_layout_error(ctx, error);
	if (notice != NULL)
		web_layout_notice(ctx, notice);
	if (store_user_list(ctx->app->st, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "user list"));
		web_layout_end(ctx);
		return;
	}
	buf_puts(b, "<table>\n<caption>Comptes</caption>\n<thead><tr>"
	    "<th scope=\"col\">Identifiant</th><th scope=\"col\">Nom</th>"
	    "<th scope=\"col\">Rôle</th><th scope=\"col\">État</th>"
	    "<th scope=\"col\">Action</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < l.n; i++)
		user_row(ctx, &l.v[i]);
	buf_puts(b, "</tbody>\n</table>\n");
	store_user_list_free(&l);
	buf_printf(b, "<h2>Ajouter un compte</h2>\n"
	    "<form class=\"stack\" method=\"post\" action=\"/users\">\n"
	    "<label for=\"login\">Identifiant</label>\n"
	    "<input id=\"login\" name=\"login\" type=\"text\" required "
	    "maxlength=\"%d\" autocomplete=\"off\" aria-describedby=\"login-"
	    "hint\">\n<p class=\"hint\" id=\"login-hint\">Lettres, chiffres, "
	    "« . », « - » ou « _ ».</p>\n"
	    "<label for=\"name\">Nom (facultatif)</label>\n"
	    "<input id=\"name\" name=\"name\" type=\"text\" maxlength=\"%d\" "
	    "autocomplete=\"off\">\n"
	    "<label for=\"role\">Rôle</label>\n"
	    "<select id=\"role\" name=\"role\" required>\n"
	    "<option value=\"supervisor\">superviseur</option>\n"
	    "<option value=\"admin\">administrateur</option>\n"
	    "<option value=\"dpo\">délégué à la protection des données"
	    "</option>\n</select>\n"
	    "<label for=\"password\">Mot de passe initial</label>\n"
	    "<input id=\"password\" name=\"password\" type=\"password\" "
	    "required minlength=\"%d\" autocomplete=\"new-password\" "
	    "aria-describedby=\"password-hint\">\n"
	    "<p class=\"hint\" id=\"password-hint\">Au moins %d caractères ; "
	    "à changer à la première connexion.</p>\n",
	    STORE_USER_LOGIN_MAX, STORE_USER_NAME_MAX, PASSWORD_MIN,
	    PASSWORD_MIN);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Ajouter le compte</button>\n"
	    "</form>\n");
	web_layout_end(ctx);
}

void
web_page_users(struct web_ctx *ctx)
{
	users_page(ctx, NULL, NULL);
}

/* A limit's number in a sentence, from its one definition. */
#define NUM_(x)	#x
#define NUM(x)	NUM_(x)

/*
 * Why store_user_add said no, in French: the rule is found by the very
 * predicates store_user_add applies (login, role, password), the name's
 * length being the one left.
 */
static const char *
add_refusal(struct web_ctx *ctx, int rc, const char *login,
    const char *role, const char *pw, size_t len)
{
	enum password_rule r;

	if (rc == STORE_EXISTS)
		return "Cet identifiant est déjà pris (peut-être par un compte "
		    "désactivé) : choisissez-en un autre.";
	if (rc != STORE_REFUSED)
		return web_msg_store_down(ctx, "user add");
	if (!store_user_login_valid(login))
		return "L'identifiant compte de 1 à " NUM(STORE_USER_LOGIN_MAX)
		    " lettres, chiffres, « . », « - » ou « _ » : corrigez-le.";
	if (!store_user_role_valid(role))
		return "Choisissez un rôle : administrateur, superviseur ou "
		    "DPO.";
	if ((r = password_rule(login, pw, len)) != PASSWORD_OK)
		return web_msg_password(r);
	return "Le nom est trop long (" NUM(STORE_USER_NAME_MAX) " octets au "
	    "plus) : raccourcissez-le.";
}

void
web_page_users_add(struct web_ctx *ctx)
{
	struct store *st = ctx->app->st;
	const char *login, *name, *role, *pw;
	size_t len = 0;
	int rc;

	login = web_http_field(ctx->req, "login", NULL);
	name = web_http_field(ctx->req, "name", NULL);
	role = web_http_field(ctx->req, "role", NULL);
	pw = web_http_field(ctx->req, "password", &len);
	if (login == NULL || role == NULL || pw == NULL) {
		ctx->res->status = 400;
		users_page(ctx, "Identifiant, rôle et mot de passe sont "
		    "requis.", NULL);
		return;
	}
	if (name != NULL && *name == '\0')
		name = NULL;
	rc = store_user_add(st, login, name, role, pw, len, ctx->actor,
	    ctx->now);
	if (rc == STORE_OK)
		users_page(ctx, NULL, "Compte ajouté ; son mot de passe devra "
		    "être changé à la première connexion.");
	else {
		ctx->res->status = rc == STORE_ERROR ? 500 : 400;
		users_page(ctx, add_refusal(ctx, rc, login, role, pw, len),
		    NULL);
	}
}

void
web_page_users_disable(struct web_ctx *ctx)
{
	struct store *st = ctx->app->st;
	int rc;

	if (strcasecmp(ctx->id, ctx->user->login) == 0) {
		ctx->res->status = 400;
		users_page(ctx, "Vous ne pouvez pas désactiver votre propre "
		    "compte.", NULL);
		return;
	}
	rc = store_user_disable(st, ctx->id, ctx->actor, ctx->now);
	/* Its sessions end now (a request would end them anyway). */
	if (rc == STORE_OK && store_session_end_user(st, ctx->id, NULL,
	    "disabled", ctx->actor, ctx->now, NULL) != STORE_OK)
		log_warn("ending the sessions of a disabled account: %s",
		    store_errmsg(st));
	if (rc == STORE_OK)
		users_page(ctx, NULL, "Compte désactivé ; ses sessions sont "
		    "closes.");
	else {
		ctx->res->status = rc == STORE_NOTFOUND ? 404 :
		    rc == STORE_ERROR ? 500 : 400;
		/* store_user_disable refuses only what is disabled. */
		users_page(ctx, rc == STORE_NOTFOUND ? "Ce compte n'existe "
		    "pas." : rc == STORE_REFUSED ? "Ce compte est déjà "
		    "désactivé." : web_msg_store_down(ctx, "user disable"),
		    NULL);
	}
}
