/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_user - the console's accounts (see include/balp/store_user.h).
 *
 * Ownership: the hash is built in a stack buffer wiped before return; the
 * password is only read.  Every struct filled here owns its strings.
 */
#include "balp/store_user.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "balp/array.h"
#include "balp/password.h"
#include "store_priv.h"

/*
 * Interactive limits (64 MiB, 2 passes): 0.06 s a hash on the 2-core test
 * host, where MODERATE (256 MiB, 3 passes) took 0.37 s and four times the
 * memory per login attempt (docs/store.md).  Five failures lock an account, so an online guess is
 * bounded by the lockout, not by the hash's cost.
 */
#define USER_OPSLIMIT	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define USER_MEMLIMIT	crypto_pwhash_MEMLIMIT_INTERACTIVE

#define USER_COLUMNS	"id, login, name, role, must_change, disabled, " \
	"failures, locked_until, created_at, updated_at"

int
store_user_role_valid(const char *role)
{
	return role != NULL && (strcmp(role, "admin") == 0 ||
	    strcmp(role, "supervisor") == 0 || strcmp(role, "dpo") == 0);
}

int
store_user_login_valid(const char *login)
{
	const char *p;

	if (login == NULL || *login == '\0' ||
	    strlen(login) > STORE_USER_LOGIN_MAX)
		return 0;
	for (p = login; *p != '\0'; p++)
		if (!isascii((unsigned char)*p) ||
		    (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_'))
			return 0;
	return 1;
}

void
store_user_free(struct store_user *u)
{
	free(u->login);
	free(u->name);
	free(u->role);
	free(u->locked_until);
	free(u->created_at);
	free(u->updated_at);
	memset(u, 0, sizeof(*u));
}

void
store_user_list_free(struct store_user_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_user_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The row of a statement selecting USER_COLUMNS into u; -1 on ENOMEM. */
static int
user_row(sqlite3_stmt *s, struct store_user *u)
{
	int fail = 0;

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	u->login = col_str0(s, 1, &fail);
	u->name = col_str0(s, 2, &fail);
	u->role = col_str0(s, 3, &fail);
	u->must_change = sqlite3_column_int(s, 4) != 0;
	u->disabled = sqlite3_column_int(s, 5) != 0;
	u->failures = sqlite3_column_int(s, 6);
	u->locked_until = col_str(s, 7, &fail);
	u->created_at = col_str0(s, 8, &fail);
	u->updated_at = col_str0(s, 9, &fail);
	if (fail) {
		store_user_free(u);
		return -1;
	}
	return 0;
}

/* The login's shape, or STORE_REFUSED with the message. */
static int
login_check(struct store *st, const char *login)
{
	if (store_user_login_valid(login))
		return STORE_OK;
	return store_seterr(st, STORE_REFUSED, "a login is 1 to %d letters, "
	    "digits, '.', '-' or '_'", STORE_USER_LOGIN_MAX);
}

/*
 * The Argon2id string of pw into out, after password_check: STORE_OK,
 * STORE_REFUSED (the rule) or STORE_ERROR.  The caller wipes out.
 */
static int
hash_password(struct store *st, const char *login, const char *pw,
    size_t len, char out[crypto_pwhash_STRBYTES])
{
	struct buf why = BUF_INIT;
	int rc;

	if (password_check(login, pw, len, &why) == -1) {
		rc = store_seterr(st, STORE_REFUSED, "%s", why.failed ?
		    "the password breaks a rule" : buf_str(&why));
		buf_free(&why);
		return rc;
	}
	buf_free(&why);
	if (sodium_init() < 0)
		return store_seterr(st, STORE_ERROR, "libsodium cannot start");
	if (crypto_pwhash_str(out, pw, (unsigned long long)len, USER_OPSLIMIT,
	    USER_MEMLIMIT) != 0)
		return store_seterr(st, STORE_ERROR, "hashing the password: "
		    "out of memory");
	return STORE_OK;
}

int
store_user_get(struct store *st, const char *login, struct store_user *out)
{
	sqlite3_stmt *s;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_USER_GET, "SELECT " USER_COLUMNS
	    " FROM users WHERE login = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, login, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW)
			rc = user_row(s, out) == -1 ? store_oom(st) : STORE_OK;
		else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no console "
			    "account '%s'", login);
		else
			rc = store_sqlerr(st, "user get");
	}
	stmt_done(s);
	return rc;
}

int
store_user_list(struct store *st, struct store_user_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step = SQLITE_DONE;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_USER_LIST, "SELECT " USER_COLUMNS
	    " FROM users ORDER BY login", &s)) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    user_row(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "user list");
	stmt_done(s);
	if (rc != STORE_OK)
		store_user_list_free(out);
	return rc;
}

int
store_user_add(struct store *st, const char *login, const char *name,
    const char *role, const char *pw, size_t len, const char *actor,
    time_t now)
{
	char hash[crypto_pwhash_STRBYTES];
	struct store_user cur;
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *nm = NULL;
	int rc;

	memset(hash, 0, sizeof(hash));
	if ((rc = login_check(st, login)) != STORE_OK)
		return rc;
	if (!store_user_role_valid(role))
		return store_seterr(st, STORE_REFUSED, "a role is admin, "
		    "supervisor or dpo");
	if (name != NULL && strlen(name) > STORE_USER_NAME_MAX)
		return store_seterr(st, STORE_REFUSED, "the name of '%s' is "
		    "longer than %d bytes", login, STORE_USER_NAME_MAX);
	/* Controls become spaces: a name is shown in lists and pages. */
	if ((nm = clean(name)) == NULL)
		return store_oom(st);
	if ((rc = hash_password(st, login, pw, len, hash)) != STORE_OK)
		goto out;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto out;
	rc = store_user_get(st, login, &cur);
	if (rc == STORE_OK) {
		rc = store_seterr(st, STORE_EXISTS, "console account '%s' "
		    "exists already", cur.login);
		store_user_free(&cur);
	} else if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
	if (rc == STORE_OK && (rc = stmt_get(st, STMT_USER_INSERT,
	    "INSERT INTO users (login, name, role, password_hash, must_change,"
	    " disabled, failures, created_at, updated_at) VALUES (?, ?, ?, ?,"
	    " 1, 0, 0, ?, ?)", &s)) == STORE_OK) {
		bind_text(st, s, 1, login, &rc);
		bind_text(st, s, 2, nm, &rc);
		bind_text(st, s, 3, role, &rc);
		bind_text(st, s, 4, hash, &rc);
		bind_ts(st, s, 5, now, &rc);
		bind_ts(st, s, 6, now, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "user insert", NULL);
	}
	if (rc == STORE_OK) {
		buf_printf(&detail, "role=%s", role);
		rc = detail.failed ? store_oom(st) : store_audit_append(st,
		    "admin", actor_or_default(actor), "user.add", login,
		    buf_str(&detail), now);
	}
	rc = store_tx_end(st, rc);
out:
	sodium_memzero(hash, sizeof(hash));
	buf_free(&detail);
	free(nm);
	return rc;
}

int
store_user_passwd(struct store *st, const char *login, const char *pw,
    size_t len, int must_change, const char *actor, time_t now)
{
	char hash[crypto_pwhash_STRBYTES];
	struct store_user cur;
	sqlite3_stmt *s;
	int rc;

	memset(hash, 0, sizeof(hash));
	memset(&cur, 0, sizeof(cur));
	if ((rc = login_check(st, login)) != STORE_OK)
		return rc;
	if ((rc = hash_password(st, login, pw, len, hash)) != STORE_OK)
		goto out;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto out;
	if ((rc = store_user_get(st, login, &cur)) == STORE_OK &&
	    (rc = stmt_get(st, STMT_USER_SET_HASH, "UPDATE users SET "
	    "password_hash = ?, must_change = ?, failures = 0, locked_until ="
	    " NULL, updated_at = ? WHERE id = ?", &s)) == STORE_OK) {
		bind_text(st, s, 1, hash, &rc);
		bind_int64(st, s, 2, must_change ? 1 : 0, &rc);
		bind_ts(st, s, 3, now, &rc);
		bind_int64(st, s, 4, cur.id, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "user passwd", NULL);
	}
	if (rc == STORE_OK)
		rc = store_audit_append(st, "admin", actor_or_default(actor),
		    "user.passwd", cur.login, must_change ? "must_change=1" :
		    "must_change=0", now);
	rc = store_tx_end(st, rc);
out:
	sodium_memzero(hash, sizeof(hash));
	store_user_free(&cur);
	return rc;
}

int
store_user_disable(struct store *st, const char *login, const char *actor,
    time_t now)
{
	struct store_user cur;
	sqlite3_stmt *s;
	int rc;

	memset(&cur, 0, sizeof(cur));
	if ((rc = login_check(st, login)) != STORE_OK)
		return rc;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_user_get(st, login, &cur)) == STORE_OK &&
	    cur.disabled)
		rc = store_seterr(st, STORE_REFUSED, "console account '%s' is "
		    "disabled already", cur.login);
	if (rc == STORE_OK && (rc = stmt_get(st, STMT_USER_DISABLE, "UPDATE "
	    "users SET disabled = 1, updated_at = ? WHERE id = ?", &s)) ==
	    STORE_OK) {
		bind_ts(st, s, 1, now, &rc);
		bind_int64(st, s, 2, cur.id, &rc);
		if (rc != STORE_OK)
			stmt_done(s);
		else
			rc = step_done(st, s, "user disable", NULL);
	}
	if (rc == STORE_OK)
		rc = store_audit_append(st, "admin", actor_or_default(actor),
		    "user.disable", cur.login, "", now);
	rc = store_tx_end(st, rc);
	store_user_free(&cur);
	return rc;
}

int
store_user_password_matches(struct store *st, const char *login,
    const char *pw, size_t len, int *match)
{
	char hash[crypto_pwhash_STRBYTES];
	sqlite3_stmt *s;
	const unsigned char *h;
	int rc, step, found = 0;

	*match = 0;
	if (sodium_init() < 0)
		return store_seterr(st, STORE_ERROR, "libsodium cannot start");
	if ((rc = stmt_get(st, STMT_USER_HASH, "SELECT password_hash FROM "
	    "users WHERE login = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, login, &rc);
	memset(hash, 0, sizeof(hash));
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			h = sqlite3_column_text(s, 0);
			if (h != NULL && strlen((const char *)h) <
			    sizeof(hash)) {
				memcpy(hash, h, strlen((const char *)h));
				found = 1;
			}
		} else if (step != SQLITE_DONE)
			rc = store_sqlerr(st, "user hash");
	}
	stmt_done(s);
	if (rc == STORE_OK && found)
		*match = crypto_pwhash_str_verify(hash, pw,
		    (unsigned long long)len) == 0;
	sodium_memzero(hash, sizeof(hash));
	return rc;
}
