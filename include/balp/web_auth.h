/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_auth - signing in and out of the console, and the password change
 * (issue 20):
 *
 *   GET  /login     the form (login, password, csrf); its CSRF token is
 *                   bound to a cookie of its own, set here
 *   POST /login     303 to / (or /password when the password must
 *                   change) with a new session cookie; else the form
 *                   again with one sentence for every failure (unknown
 *                   login, wrong password, disabled, locked: the same
 *                   words, so that none tells which)
 *   POST /logout    the session ended, its cookie cleared, 303 /login
 *   GET|POST /password   current, new, confirm, csrf; 303 to / once
 *                   changed
 *
 * A refused login is counted by the lockout rule (lockout.h) and audited
 * (store_session.h); while an account is locked even its right password
 * is refused.  A wrong current password on /password counts too.  An
 * unknown login costs the same Argon2 verification as a known one.
 *
 * Passwords go from the form's buffers (wiped by web_http) to the store
 * and nowhere else: never into a page, a log or an audit row.
 */
#ifndef BALP_WEB_AUTH_H
#define BALP_WEB_AUTH_H

#include "balp/web_app.h"

enum web_auth_result {
	WEB_AUTH_OK = 0,
	WEB_AUTH_REFUSED,	/* unknown, wrong, disabled or locked */
	WEB_AUTH_ERROR,		/* the store failed */
};

/*
 * Checks login's password pw[0..len) at now and, when right, opens a
 * session: its id into sid, *must_change from the account.
 */
enum web_auth_result web_auth_signin(struct web_app *, const char *login,
	    const char *pw, size_t len, time_t now,
	    char sid[WEB_SESSION_HEX + 1], int *must_change);

/* The pages above (web_app routes to them). */
void	 web_auth_login(struct web_ctx *);
void	 web_auth_logout(struct web_ctx *);
void	 web_auth_password(struct web_ctx *);

#endif
