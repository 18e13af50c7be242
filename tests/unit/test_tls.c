/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tls - the TLS version check fails closed: a stream whose TLS
 * version cannot be read (none, or one not made by libetpan's TLS driver)
 * is refused like TLS 1.0 would be, with a line naming the host; and
 * tls_verify checks the version before anything else.  The versions
 * themselves are tried against real servers in tests/e2e/tls_version.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "balp/tls.h"

static void
test_no_stream_refused(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(tls_version_ok(NULL, "imap.caf.test", &err), -1);
	assert_string_equal(buf_str(&err), "imap.caf.test: cannot tell which "
	    "TLS version the connection uses: refused");
	buf_free(&err);
}

/* A plain socket stream (what a STARTTLS that did not happen leaves). */
static void
test_plain_stream_refused(void **state)
{
	struct buf err = BUF_INIT;
	mailstream *s;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_non_null(s = mailstream_socket_open(sv[0]));
	assert_int_equal(tls_version_ok(s, "relay.caf.test", &err), -1);
	assert_non_null(strstr(buf_str(&err), "relay.caf.test: cannot tell "
	    "which TLS version"));
	buf_reset(&err);
	/* tls_verify says the same, before looking for a certificate. */
	assert_int_equal(tls_verify(s, "relay.caf.test", NULL, &err), -1);
	assert_non_null(strstr(buf_str(&err), "cannot tell which TLS "
	    "version"));
	mailstream_close(s);
	close(sv[1]);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_stream_refused),
		cmocka_unit_test(test_plain_stream_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
