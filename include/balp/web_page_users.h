/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_users - the console's accounts, "Comptes" (admin only):
 *
 *   GET  /users                  the accounts (login, name, role, state)
 *                                and the form to add one
 *   POST /users                  login, name, role, password: an account
 *                                whose password must change at its first
 *                                login (as `balpctl user add`)
 *   POST /users/LOGIN/disable    as `balpctl user disable`
 *
 * The same store functions as balpctl user, so the same transaction and
 * audit row (user.add, user.disable), with the actor "web:LOGIN".  An
 * admin cannot disable their own account here (the console would lose
 * its last admin by a slip).
 */
#ifndef BALP_WEB_PAGE_USERS_H
#define BALP_WEB_PAGE_USERS_H

#include "balp/web_app.h"

void	 web_page_users(struct web_ctx *);
void	 web_page_users_add(struct web_ctx *);
void	 web_page_users_disable(struct web_ctx *);

#endif
