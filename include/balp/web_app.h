/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_app - the console's one entry for every request (cgit's cmd.c, in
 * balpweb): ONE route table (method, path, roles, handler), checked in
 * one place before any page runs.  That is where a signed-out request is
 * sent to /login (303), a session that ran out is ended, a POST without
 * its session's CSRF token is refused (403), a password that must change
 * sends every page to /password (303), and a page outside the role is
 * refused (403).  A page never checks any of it again.
 *
 * Roles (issue 20): supervisor - dashboard and messages (no NIR
 * search); admin - also partners, annex, persons, release and retriage,
 * the console's accounts; dpo - also the NIR search, audit, purge and
 * the yearly review.  Each of admin and dpo is the supervisor's rights
 * plus its own: an admin does not search by NIR, a dpo does not manage
 * accounts.
 *
 * A route without its page (none today) answers 404 to the roles that
 * may use it, 403 to the others: never a fake page.
 *
 * Ownership: struct web_app borrows the store and the configuration;
 * struct web_ctx lives for one request.
 */
#ifndef BALP_WEB_APP_H
#define BALP_WEB_APP_H

#include <stdint.h>
#include <time.h>

#include "balp/conf.h"
#include "balp/store.h"
#include "balp/store_session.h"
#include "balp/web_audit_watch.h"
#include "balp/web_http.h"
#include "balp/web_session.h"

struct web_app {
	struct store		*st;
	const struct balp_conf	*conf;
	int			 tls;
	/* Annex files waiting for their confirm (web_page_annex.c). */
	struct web_annex_stash	*annex_stash;
	/* The audit chain's state, checked off the requests (may be NULL:
	 * the dashboard then checks it itself). */
	struct web_audit_watch	*audit_watch;
};

/* One request, as a page sees it. */
struct web_ctx {
	struct web_app			*app;
	const struct web_request	*req;
	struct web_response		*res;
	time_t				 now;
	/* Signed in: the session, its id, its CSRF token, "web:LOGIN". */
	const struct store_session	*user;
	char				 sid[WEB_SESSION_HEX + 1];
	char				 csrf[WEB_SESSION_HEX + 1];
	char				 actor[80];
	/* The path's segments after the route's fixed part ("ID"), or "". */
	char				 id[128];
};

/* web_http_handler for balpweb: arg is a struct web_app. */
void	 web_app_handle(void *arg, const struct web_request *,
	    struct web_response *);

/* The session cookie's name: "__Host-balp_session" under TLS. */
const char *web_app_session_cookie(const struct web_app *);
/* The login form's cookie's name. */
const char *web_app_login_cookie(const struct web_app *);
/* "NAME=VALUE; Path=/; HttpOnly; SameSite=Strict[; Secure]" (value ""
 * and Max-Age=0 to clear it) into res. */
void	 web_app_cookie(const struct web_app *, struct web_response *,
	    const char *name, const char *value);

/* An error page (403, 404...) with a French sentence, in the frame. */
void	 web_app_error(struct web_ctx *, int status, const char *text);
/* The path's id (ctx->id) as a positive number, or 0 when it is none. */
int64_t	 web_app_id(const struct web_ctx *);

#endif
