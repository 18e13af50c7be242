/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_user - the console's accounts: an added account's hash is an
 * Argon2id string that verifies the password (and not another); a second
 * add of the login, in any case, is refused; a bad login, role or
 * password is refused with nothing written; disable and passwd change the
 * row and write one audit row each, which never holds the password nor
 * the hash.  Each test has its own database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "user"
#include "test_store_open.h"
#include "tmpdir.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/store.h"
#include "balp/store_user.h"

#define NOW	((time_t)1790000000)
#define PW	"correct horse battery"
#define PW2	"tr\xc3\xa8s bon mot de passe"

static int
add(struct fx *fx, const char *login, const char *role, const char *pw)
{
	return store_user_add(fx->st, login, "Alice Martin", role, pw,
	    strlen(pw), "admin:test", NOW);
}

/* The stored hash of login, verified against pw with libsodium. */
static int
hash_verifies(struct fx *fx, const char *login, const char *pw)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int ok;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT password_hash FROM "
	    "users WHERE login = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, login, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(strncmp((const char *)sqlite3_column_text(s, 0),
	    "$argon2id$", 10), 0);
	ok = crypto_pwhash_str_verify((const char *)sqlite3_column_text(s, 0),
	    pw, strlen(pw)) == 0;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

static void
test_add(void **state)
{
	struct fx *fx = *state;
	struct store_user u;
	int match;

	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(add(fx, "alice", "admin", PW), STORE_OK);
	assert_true(hash_verifies(fx, "alice", PW));
	assert_false(hash_verifies(fx, "alice", PW2));
	assert_int_equal(store_user_get(fx->st, "ALICE", &u), STORE_OK);
	assert_string_equal(u.login, "alice");
	assert_string_equal(u.name, "Alice Martin");
	assert_string_equal(u.role, "admin");
	assert_true(u.must_change);
	assert_false(u.disabled);
	assert_int_equal(u.failures, 0);
	assert_null(u.locked_until);
	store_user_free(&u);
	assert_int_equal(store_user_password_matches(fx->st, "alice", PW,
	    strlen(PW), &match), STORE_OK);
	assert_int_equal(match, 1);
	assert_int_equal(store_user_password_matches(fx->st, "alice", PW2,
	    strlen(PW2), &match), STORE_OK);
	assert_int_equal(match, 0);
	assert_int_equal(store_user_password_matches(fx->st, "nobody", PW,
	    strlen(PW), &match), STORE_OK);
	assert_int_equal(match, 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'user.add' AND object = 'alice' AND detail = "
	    "'role=admin' AND actor = 'admin:test'"), 1);
}

static void
test_second_add_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(add(fx, "alice", "admin", PW), STORE_OK);
	assert_int_equal(add(fx, "alice", "dpo", PW2), STORE_EXISTS);
	assert_non_null(strstr(store_errmsg(fx->st), "exists already"));
	assert_int_equal(add(fx, "Alice", "dpo", PW2), STORE_EXISTS);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM users"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'user.add'"), 1);
	assert_true(hash_verifies(fx, "alice", PW));
}

static void
test_bad_values_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(add(fx, "al ice", "admin", PW), STORE_REFUSED);
	assert_int_equal(add(fx, "", "admin", PW), STORE_REFUSED);
	assert_int_equal(add(fx, "alice'--", "admin", PW), STORE_REFUSED);
	assert_int_equal(add(fx, "al\xc3\xaf" "ce", "admin", PW), STORE_REFUSED);
	assert_int_equal(add(fx, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa", "admin", PW), STORE_REFUSED);
	assert_int_equal(add(fx, "alice", "root", PW), STORE_REFUSED);
	{
		char name[STORE_USER_NAME_MAX + 2];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		assert_int_equal(store_user_add(fx->st, "alice", name, "dpo",
		    PW, strlen(PW), "admin:test", NOW), STORE_REFUSED);
	}
	assert_int_equal(add(fx, "alice", "admin", "short"), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "shorter than 12"));
	assert_null(strstr(store_errmsg(fx->st), "short\""));
	assert_int_equal(add(fx, "alicealicealice", "admin",
	    "alicealicealice"), STORE_REFUSED);
	assert_int_equal(add(fx, "alice", "admin", "correct\thorse battery"),
	    STORE_REFUSED);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM users"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 0);
	/* 64 characters is the longest login. */
	assert_int_equal(add(fx, "a.b-c_1234aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaa", "supervisor", PW), STORE_OK);
}

static void
test_disable(void **state)
{
	struct fx *fx = *state;
	struct store_user u;

	assert_int_equal(add(fx, "bob", "supervisor", PW), STORE_OK);
	assert_int_equal(store_user_disable(fx->st, "bob", "admin:test",
	    NOW + 60), STORE_OK);
	assert_int_equal(store_user_get(fx->st, "bob", &u), STORE_OK);
	assert_true(u.disabled);
	assert_string_not_equal(u.updated_at, u.created_at);
	store_user_free(&u);
	assert_int_equal(store_user_disable(fx->st, "bob", "admin:test",
	    NOW + 120), STORE_REFUSED);
	assert_int_equal(store_user_disable(fx->st, "carol", "admin:test",
	    NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'user.disable' AND object = 'bob'"), 1);
}

static void
test_passwd(void **state)
{
	struct fx *fx = *state;
	struct store_user u;
	char sql[256];

	assert_int_equal(add(fx, "dora", "dpo", PW), STORE_OK);
	raw_exec(fx->path, "UPDATE users SET must_change = 0, failures = 4, "
	    "locked_until = '2026-12-07T10:00:00Z'");
	assert_int_equal(store_user_passwd(fx->st, "dora", PW2, strlen(PW2),
	    1, "admin:test", NOW + 60), STORE_OK);
	assert_true(hash_verifies(fx, "dora", PW2));
	assert_false(hash_verifies(fx, "dora", PW));
	assert_int_equal(store_user_get(fx->st, "dora", &u), STORE_OK);
	assert_true(u.must_change);
	assert_int_equal(u.failures, 0);
	assert_null(u.locked_until);
	store_user_free(&u);
	/* Her own change (the console's) clears must_change. */
	assert_int_equal(store_user_passwd(fx->st, "dora", PW, strlen(PW), 0,
	    "web:dora", NOW + 120), STORE_OK);
	assert_int_equal(store_user_get(fx->st, "dora", &u), STORE_OK);
	assert_false(u.must_change);
	store_user_free(&u);
	assert_int_equal(store_user_passwd(fx->st, "dora", "tiny", 4, 1,
	    "admin:test", NOW), STORE_REFUSED);
	assert_true(hash_verifies(fx, "dora", PW));
	assert_int_equal(store_user_passwd(fx->st, "erin", PW, strlen(PW), 1,
	    "admin:test", NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'user.passwd' AND object = 'dora'"), 2);
	/* No audit row holds a password nor a hash. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE "
	    "detail LIKE '%%argon2%%' OR detail LIKE '%%horse%%' OR "
	    "object LIKE '%%horse%%' OR detail LIKE '%%mot de passe%%'");
	assert_int_equal(raw_count(fx->path, sql), 0);
}

static void
test_list(void **state)
{
	struct fx *fx = *state;
	struct store_user_list l;

	assert_int_equal(add(fx, "zoe", "dpo", PW), STORE_OK);
	assert_int_equal(add(fx, "adam", "admin", PW), STORE_OK);
	assert_int_equal(store_user_list(fx->st, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].login, "adam");
	assert_string_equal(l.v[1].login, "zoe");
	assert_string_equal(l.v[1].role, "dpo");
	store_user_list_free(&l);
	assert_int_equal(l.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_add_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
