/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_password - the rules of a console password: 12 code points, not
 * 12 bytes; no control character; not the login; the message names the
 * rule and never the password.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "balp/password.h"

static int
check(const char *login, const char *pw, struct buf *why)
{
	buf_reset(why);
	return password_check(login, pw, strlen(pw), why);
}

static void
test_length_in_code_points(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(check("alice", "elevenchars", &why), -1);
	assert_non_null(strstr(buf_str(&why), "shorter than 12"));
	assert_int_equal(check("alice", "twelve chars", &why), 0);
	/* 11 code points in 22 bytes: still too short. */
	assert_int_equal(check("alice",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &why), -1);
	assert_non_null(strstr(buf_str(&why), "shorter"));
	/* 12 of them: long enough. */
	assert_int_equal(check("alice",
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &why), 0);
	buf_free(&why);
}

static void
test_controls_refused(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(check("alice", "correct horse\tbattery", &why), -1);
	assert_non_null(strstr(buf_str(&why), "control character"));
	assert_int_equal(check("alice", "correct horse\rbattery", &why), -1);
	assert_int_equal(check("alice", "correct horse\x1b[0mbattery", &why),
	    -1);
	assert_int_equal(check("alice", "correct horse\x7f battery", &why),
	    -1);
	/* U+0085, a C1 control */
	assert_int_equal(check("alice", "correct horse\xc2\x85 battery",
	    &why), -1);
	/* A NUL inside: the length says where the password ends. */
	buf_reset(&why);
	assert_int_equal(password_check("alice", "correct\0horse battery",
	    21, &why), -1);
	assert_non_null(strstr(buf_str(&why), "control character"));
	buf_free(&why);
}

static void
test_bad_utf8_and_too_long(void **state)
{
	struct buf why = BUF_INIT;
	char big[PASSWORD_MAX + 2];

	(void)state;
	assert_int_equal(check("alice", "correct horse \xff battery", &why),
	    -1);
	assert_non_null(strstr(buf_str(&why), "UTF-8"));
	memset(big, 'a', sizeof(big));
	buf_reset(&why);
	assert_int_equal(password_check("alice", big, PASSWORD_MAX, &why), 0);
	assert_int_equal(password_check("alice", big, PASSWORD_MAX + 1, &why),
	    -1);
	assert_non_null(strstr(buf_str(&why), "longer than"));
	buf_free(&why);
}

static void
test_not_the_login(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(check("jean.dupont-caf", "jean.dupont-caf", &why),
	    -1);
	assert_non_null(strstr(buf_str(&why), "is the login"));
	assert_int_equal(check("jean.dupont-caf", "Jean.Dupont-CAF", &why),
	    -1);
	assert_int_equal(check("jean.dupont-caf", "jean.dupont-caf1", &why),
	    0);
	buf_free(&why);
}

static void
test_message_never_echoes(void **state)
{
	struct buf why = BUF_INIT;

	(void)state;
	assert_int_equal(check("alice", "s3cr3tpw", &why), -1);
	assert_null(strstr(buf_str(&why), "s3cr3t"));
	assert_int_equal(check("alice", "s3cr3t\tlonger pw", &why), -1);
	assert_null(strstr(buf_str(&why), "s3cr3t"));
	buf_free(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length_in_code_points),
		cmocka_unit_test(test_controls_refused),
		cmocka_unit_test(test_bad_utf8_and_too_long),
		cmocka_unit_test(test_not_the_login),
		cmocka_unit_test(test_message_never_echoes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
