/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_session - the console's sign-ins (issue 20): its sessions, the
 * failed logins and the lock the lockout rule (lockout.h) puts on an
 * account.
 *
 * A session is kept only as the hash of its id (64 hex digits, computed
 * by the console: the id itself never reaches the store), with its
 * account, when it began and when it was last used (time_t).  Whether it
 * has run out is the console's rule (web_session.h); ending it deletes
 * its row.
 *
 * Audit rows, in the transaction of the change, object the login, actor
 * the caller's ("web:LOGIN"):
 *   user.login        a session began (detail "")
 *   user.logout       it ended (detail "logout" or "expired")
 *   user.login_failed a refused login (detail "password", "locked",
 *                     "disabled", "unknown" - then the object is "": a
 *                     mistyped login may be someone's password)
 *   user.lock         five failures locked the account (detail
 *                     "until=TIMESTAMP")
 * Never a password, a hash or a session id in a row or a message.
 *
 * Errors, ownership: as store.h says (store_session_free).
 */
#ifndef BALP_STORE_SESSION_H
#define BALP_STORE_SESSION_H

#include <time.h>

#include "balp/lockout.h"
#include "balp/store.h"

struct store_session {
	char	*login;
	char	*name;
	char	*role;
	int	 must_change;
	int	 disabled;
	time_t	 created;
	time_t	 seen;
};

/*
 * A session of login (an existing account) under id_hash, begun at now:
 * its failed logins cleared, audit row user.login.  STORE_NOTFOUND,
 * STORE_EXISTS (the hash is taken: draw another id).
 */
int	 store_session_create(struct store *, const char *id_hash,
	    const char *login, const char *actor, time_t now);
/* The session and its account's state; STORE_NOTFOUND. */
int	 store_session_get(struct store *, const char *id_hash,
	    struct store_session *out);
/* Marks the session used at now (no audit row); STORE_NOTFOUND. */
int	 store_session_touch(struct store *, const char *id_hash, time_t now);
/*
 * Ends the session (its row deleted, audit row user.logout with why:
 * "logout" or "expired"); STORE_NOTFOUND when there is none.
 */
int	 store_session_end(struct store *, const char *id_hash,
	    const char *why, const char *actor, time_t now);
/*
 * Ends every session used last before seen_before or begun before
 * created_before (the idle and absolute limits), each with its audit row
 * user.logout "expired" (actor "web:LOGIN" of its owner), in one
 * transaction: sessions nobody comes back to do not stay.  *ended (may
 * be NULL) gets their number.
 */
int	 store_session_expire(struct store *, time_t seen_before,
	    time_t created_before, time_t now, size_t *ended);
/*
 * Ends every session of login but keep_hash's (NULL: all), each with its
 * audit row user.logout why ("password": its password changed;
 * "disabled"), in one transaction.  *ended (may be NULL) gets their
 * number.
 */
int	 store_session_end_user(struct store *, const char *login,
	    const char *keep_hash, const char *why, const char *actor,
	    time_t now, size_t *ended);
void	 store_session_free(struct store_session *);

/* login's lockout state; STORE_NOTFOUND. */
int	 store_session_lockout(struct store *, const char *login,
	    struct lockout *out);
/*
 * One refused login at now, in one transaction: for an existing account
 * the lockout rule counts it (unless why is "locked": no count while a
 * lock runs) and its audit row; *locked set to 1 when this failure locked
 * the account (then a user.lock row too).  login NULL or unknown: the
 * audit row alone, detail "unknown", object "".
 */
int	 store_session_login_failed(struct store *, const char *login,
	    const char *why, const char *actor, time_t now, int *locked);

#endif
