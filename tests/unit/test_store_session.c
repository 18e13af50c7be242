/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_session - the console's sign-ins against a real store: a
 * session is stored under its hash only, begins with a user.login row,
 * is touched and ended (user.logout); web_auth_signin refuses a wrong
 * password, locks the account at the fifth failure within fifteen
 * minutes (a user.lock row), then refuses the RIGHT password while the
 * lock runs and accepts it after; an unknown login is audited without its
 * text; a disabled account is refused; no row holds a password or an id;
 * sessions past their limits are ended together, and a user's other
 * sessions when the password changes, each with its audit row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "session"
#include "test_store_open.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/lockout.h"
#include "balp/store.h"
#include "balp/store_session.h"
#include "balp/store_user.h"
#include "balp/web_app.h"
#include "balp/web_auth.h"
#include "balp/web_session.h"

#define NOW	((time_t)1790000000)
#define PW	"correct horse battery"

static void
add_alice(struct fx *fx)
{
	assert_int_equal(store_user_add(fx->st, "alice", "Alice Martin",
	    "admin", PW, strlen(PW), "admin:test", NOW), STORE_OK);
}

static long
count(struct fx *fx, const char *sql)
{
	return raw_count(fx->path, sql);
}

static void
test_session_lifecycle(void **state)
{
	struct fx *fx = *state;
	struct store_session s;
	char id[WEB_SESSION_HEX + 1], hash[WEB_SESSION_HEX + 1];
	char sql[256];

	add_alice(fx);
	web_session_new_id(id);
	web_session_hash(id, hash);
	assert_int_equal(store_session_create(fx->st, hash, "ALICE",
	    "web:alice", NOW), STORE_OK);
	assert_int_equal(store_session_create(fx->st, hash, "alice",
	    "web:alice", NOW), STORE_EXISTS);
	assert_int_equal(store_session_get(fx->st, hash, &s), STORE_OK);
	assert_string_equal(s.login, "alice");
	assert_string_equal(s.role, "admin");
	assert_int_equal(s.must_change, 1);
	assert_int_equal(s.created, NOW);
	assert_int_equal(s.seen, NOW);
	store_session_free(&s);
	/* The id itself is nowhere in the database. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessions WHERE "
	    "id_hash = '%s'", id);
	assert_int_equal(count(fx, sql), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action"
	    " = 'user.login' AND object = 'alice' AND actor = 'web:alice'"),
	    1);
	assert_int_equal(store_session_touch(fx->st, hash, NOW + 60),
	    STORE_OK);
	assert_int_equal(store_session_get(fx->st, hash, &s), STORE_OK);
	assert_int_equal(s.seen, NOW + 60);
	store_session_free(&s);
	assert_int_equal(store_session_end(fx->st, hash, "logout",
	    "web:alice", NOW + 61), STORE_OK);
	assert_int_equal(store_session_get(fx->st, hash, &s), STORE_NOTFOUND);
	assert_int_equal(store_session_end(fx->st, hash, "logout",
	    "web:alice", NOW + 62), STORE_NOTFOUND);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action"
	    " = 'user.logout' AND detail = 'logout'"), 1);
	/* Not a hash: refused before any SQL. */
	assert_int_equal(store_session_get(fx->st, "x' OR 1=1 --", &s),
	    STORE_REFUSED);
}

static enum web_auth_result
signin(struct web_app *app, const char *login, const char *pw, time_t t,
    int *must_change)
{
	char sid[WEB_SESSION_HEX + 1];

	return web_auth_signin(app, login, pw, strlen(pw), t, sid,
	    must_change);
}

static void
test_lockout_refuses_right_password(void **state)
{
	struct fx *fx = *state;
	struct web_app app;
	struct lockout lo;
	int mc, i;

	add_alice(fx);
	memset(&app, 0, sizeof(app));
	app.st = fx->st;
	assert_int_equal(signin(&app, "alice", PW, NOW, &mc), WEB_AUTH_OK);
	assert_int_equal(mc, 1);
	for (i = 0; i < LOCKOUT_FAILURES - 1; i++)
		assert_int_equal(signin(&app, "alice", "wrong password!!",
		    NOW + 10 + i, &mc), WEB_AUTH_REFUSED);
	assert_int_equal(store_session_lockout(fx->st, "alice", &lo),
	    STORE_OK);
	assert_int_equal(lo.failures, LOCKOUT_FAILURES - 1);
	assert_int_equal(lo.locked_until, 0);
	assert_int_equal(signin(&app, "Alice", "wrong password!!", NOW + 20,
	    &mc), WEB_AUTH_REFUSED);
	assert_int_equal(store_session_lockout(fx->st, "alice", &lo),
	    STORE_OK);
	assert_int_equal(lo.locked_until, NOW + 20 + LOCKOUT_SECONDS);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action"
	    " = 'user.lock' AND object = 'alice'"), 1);
	/* Locked: the right password fails too, and is audited. */
	assert_int_equal(signin(&app, "alice", PW, NOW + 30, &mc),
	    WEB_AUTH_REFUSED);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action"
	    " = 'user.login_failed' AND detail = 'locked'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action"
	    " = 'user.login_failed' AND detail = 'password'"),
	    LOCKOUT_FAILURES);
	/* Once the lock has run out, the right password opens a session. */
	assert_int_equal(signin(&app, "alice", PW, NOW + 20 + LOCKOUT_SECONDS,
	    &mc), WEB_AUTH_OK);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions"), 2);
	assert_int_equal(count(fx, "SELECT failures FROM users"), 0);
	/* No password in any row. */
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE detail "
	    "LIKE '%horse%' OR object LIKE '%horse%' OR detail LIKE "
	    "'%wrong%'"), 0);
	assert_int_equal(store_audit_verify(fx->st, &(int64_t){ 0 }), 0);
}

static void
test_unknown_and_disabled(void **state)
{
	struct fx *fx = *state;
	struct web_app app;
	int mc;

	add_alice(fx);
	memset(&app, 0, sizeof(app));
	app.st = fx->st;
	assert_int_equal(signin(&app, "Correct-horse-42", PW, NOW, &mc),
	    WEB_AUTH_REFUSED);
	/* A mistyped login may be a password: not in the row. */
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'user.login_failed' AND detail = 'unknown' AND object = ''"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE "
	    "object LIKE '%Correct%' OR actor LIKE '%Correct%'"), 0);
	assert_int_equal(store_user_disable(fx->st, "alice", "admin:test",
	    NOW), STORE_OK);
	assert_int_equal(signin(&app, "alice", PW, NOW + 1, &mc),
	    WEB_AUTH_REFUSED);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'user.login_failed' AND detail = 'disabled'"), 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions"), 0);
}

/* A session of login begun at t; its hash into hash. */
static void
begin(struct fx *fx, const char *login, time_t t,
    char hash[WEB_SESSION_HEX + 1])
{
	char id[WEB_SESSION_HEX + 1], actor[80];

	web_session_new_id(id);
	web_session_hash(id, hash);
	snprintf(actor, sizeof(actor), "web:%s", login);
	assert_int_equal(store_session_create(fx->st, hash, login, actor, t),
	    STORE_OK);
}

static void
test_expire_and_end_user(void **state)
{
	struct fx *fx = *state;
	struct store_session s;
	char old[WEB_SESSION_HEX + 1], idle[WEB_SESSION_HEX + 1];
	char live[WEB_SESSION_HEX + 1], other[WEB_SESSION_HEX + 1];
	size_t n = 99;

	add_alice(fx);
	assert_int_equal(store_user_add(fx->st, "bob", NULL, "dpo", PW,
	    strlen(PW), "admin:test", NOW), STORE_OK);
	begin(fx, "alice", NOW - 9 * 3600, old);	/* past 8 hours */
	assert_int_equal(store_session_touch(fx->st, old, NOW - 60),
	    STORE_OK);
	begin(fx, "bob", NOW - 3600, idle);		/* unused an hour */
	begin(fx, "alice", NOW - 60, live);
	begin(fx, "alice", NOW - 30, other);
	assert_int_equal(store_session_expire(fx->st, NOW - 15 * 60,
	    NOW - 8 * 3600, NOW, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_session_get(fx->st, old, &s), STORE_NOTFOUND);
	assert_int_equal(store_session_get(fx->st, idle, &s), STORE_NOTFOUND);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'user.logout' AND detail = 'expired' AND ((object = 'alice' "
	    "AND actor = 'web:alice') OR (object = 'bob' AND actor = "
	    "'web:bob'))"), 2);
	/* The password changed in `live`: `other` ends, `live` stays. */
	assert_int_equal(store_session_end_user(fx->st, "ALICE", live,
	    "password", "web:alice", NOW, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_session_get(fx->st, other, &s), STORE_NOTFOUND);
	assert_int_equal(store_session_get(fx->st, live, &s), STORE_OK);
	store_session_free(&s);
	assert_int_equal(store_session_end_user(fx->st, "alice", NULL,
	    "disabled", "web:admin", NOW, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count(fx, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(count(fx, "SELECT count(*) FROM audit WHERE action "
	    "= 'user.logout' AND detail IN ('password', 'disabled')"), 2);
	assert_int_equal(store_audit_verify(fx->st, &(int64_t){ 0 }), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_lockout_refuses_right_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_disabled,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire_and_end_user,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
