/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_layout - the frame of every console page (cgit's ui-shared): the
 * document's head (French, the one style sheet), a skip link, the
 * navigation the user's role may follow, the sign-out button (a POST
 * with its CSRF token), then the page's <main>; and its end.
 *
 * Ownership: appends to ctx->res->body.
 */
#ifndef BALP_WEB_LAYOUT_H
#define BALP_WEB_LAYOUT_H

#include "balp/web_app.h"

/* Opens the page titled title (a literal; escaped anyway) with its <h1>. */
void	 web_layout_begin(struct web_ctx *, const char *title);
void	 web_layout_end(struct web_ctx *);
/* <input type="hidden" name="csrf" value="..."> of the session. */
void	 web_layout_csrf(struct web_ctx *);
/* A paragraph of class "error" (role alert), text escaped. */
void	 web_layout_error(struct web_ctx *, const char *text);
/* A paragraph of class "ok" (role status), text escaped. */
void	 web_layout_notice(struct web_ctx *, const char *text);
/* 1 if the signed-in user's role is role. */
int	 web_layout_role(const struct web_ctx *, const char *role);

#endif
