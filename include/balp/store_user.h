/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_user - the console's accounts (issue 20): a login, a name, a role
 * (admin, supervisor, dpo), a password kept only as its Argon2id string
 * (libsodium crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE: docs/store.md
 * says why), whether it must change at the next login, whether the
 * account is disabled, and the failed logins the console's lockout counts.
 *
 * Every change is one transaction with its audit row: user.add (detail
 * "role=ROLE"), user.passwd ("must_change=0|1"), user.disable; the object
 * is the login.  Never the password nor its hash in an audit row or a
 * message.  The password is hashed before the transaction opens: Argon2
 * takes tens of milliseconds and must not hold the write lock.
 *
 * A login is 1..64 letters, digits, '.', '-', '_', unique whatever its
 * case.  The password must pass password_check (password.h): the store
 * refuses it too (STORE_REFUSED, the rule named), whoever calls.
 *
 * Errors, ownership: as store.h says.
 */
#ifndef BALP_STORE_USER_H
#define BALP_STORE_USER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/store.h"

#define STORE_USER_LOGIN_MAX	64
#define STORE_USER_NAME_MAX	256	/* bytes */

struct store_user {
	int64_t	 id;
	char	*login;		/* as added */
	char	*name;		/* "" when none */
	char	*role;		/* "admin", "supervisor" or "dpo" */
	int	 must_change;
	int	 disabled;
	int	 failures;	/* failed logins since the last success */
	char	*locked_until;	/* UTC timestamp; NULL when not locked */
	char	*created_at;	/* UTC timestamps */
	char	*updated_at;
};

struct store_user_list {
	struct store_user	*v;	/* by login */
	size_t			 n;
};

/* 1 if role is one of the three. */
int	 store_user_role_valid(const char *role);
/* 1 if login has the shape above. */
int	 store_user_login_valid(const char *login);

/*
 * A new account whose password is pw[0..len), to change at its first
 * login.  name may be NULL (its controls become spaces; at most
 * STORE_USER_NAME_MAX bytes).  STORE_EXISTS if the login is taken (in any
 * case), STORE_REFUSED for a bad login, role, name or password.
 */
int	 store_user_add(struct store *, const char *login, const char *name,
	    const char *role, const char *pw, size_t len, const char *actor,
	    time_t now);
/*
 * A new password for login; must_change set as asked (1 when an admin
 * sets someone else's, 0 when the user changes their own).  Clears the
 * failed logins and any lock.  A disabled account stays disabled.
 * STORE_NOTFOUND, STORE_REFUSED (the password).
 */
int	 store_user_passwd(struct store *, const char *login, const char *pw,
	    size_t len, int must_change, const char *actor, time_t now);
/* Disables login; STORE_NOTFOUND, STORE_REFUSED if it is already. */
int	 store_user_disable(struct store *, const char *login,
	    const char *actor, time_t now);

/* The account login (any case); STORE_NOTFOUND. */
int	 store_user_get(struct store *, const char *login,
	    struct store_user *out);
/* Every account, by login. */
int	 store_user_list(struct store *, struct store_user_list *out);
/*
 * *match = 1 if pw[0..len) is login's password (crypto_pwhash_str_verify),
 * else 0, also for an unknown login.  Reads only: the lockout and the
 * disabled flag are the caller's (the console's) to apply.
 */
int	 store_user_password_matches(struct store *, const char *login,
	    const char *pw, size_t len, int *match);

void	 store_user_free(struct store_user *);
void	 store_user_list_free(struct store_user_list *);

#endif
