/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_session - the console's session ids, their CSRF tokens and their
 * expiry (issue 20), without I/O but the random bytes.
 *
 * An id is 256 random bits (libsodium's randombytes), written as 64
 * lower-case hex digits in the cookie.  The store keeps only its hash
 * (web_session_hash: BLAKE2b-256 of the id's text), so that whoever reads
 * the database cannot sign in with what it holds.
 *
 * The CSRF token of a session is BLAKE2b-256 keyed with the id's 32 bytes
 * over a fixed label: bound to the session, known only to who holds the
 * id, nothing stored.  The login form has its own cookie of the same form
 * (a pre-session id) and its token the same way.
 *
 * Expiry: idle when the session was not used for idle seconds, absolute
 * max seconds after it began; a clock gone backwards ends it too.
 */
#ifndef BALP_WEB_SESSION_H
#define BALP_WEB_SESSION_H

#include <time.h>

#define WEB_SESSION_HEX		64	/* an id, a hash, a token */

enum web_session_state {
	WEB_SESSION_LIVE = 0,
	WEB_SESSION_IDLE,		/* unused too long */
	WEB_SESSION_OLD,		/* begun too long ago */
};

/* A fresh id into out; 0, or -1 when libsodium cannot start. */
int	 web_session_new_id(char out[WEB_SESSION_HEX + 1]);
/* 1 if id is 64 lower-case hex digits. */
int	 web_session_id_valid(const char *id);
/* The hash the store keeps for id (a valid id). */
void	 web_session_hash(const char *id, char out[WEB_SESSION_HEX + 1]);
/* The CSRF token of id (a valid id). */
void	 web_session_csrf(const char *id, char out[WEB_SESSION_HEX + 1]);
/*
 * 1 if token is id's CSRF token (compared in constant time); 0 for a
 * NULL, short or wrong token, or an invalid id.
 */
int	 web_session_csrf_ok(const char *id, const char *token);
/* Whether a session begun at created and last used at seen lives at now. */
enum web_session_state web_session_expiry(time_t created, time_t seen,
	    time_t now, long idle_seconds, long max_seconds);

#endif
