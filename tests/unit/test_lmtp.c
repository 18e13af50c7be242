/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lmtp - the LMTP conversation without a socket (lmtp_session.h):
 * the order of commands, the replies per recipient, dot-unstuffing and
 * the end of DATA cut anywhere, the size and line limits, pipelined input
 * in one piece, and the listen address's loopback rule (lmtp.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balp/buf.h"
#include "balp/lmtp.h"
#include "balp/lmtp_session.h"

struct seen {
	int		 calls;
	int		 fail;		/* answer -1 */
	char		 data[4096];	/* the spooled message */
	size_t		 len;
	char		 sender[128];
	size_t		 n_rcpts;
	int		 sealed;
};

static int
deliver(const struct lmtp_message *m, void *arg, struct buf *err)
{
	struct seen *s = arg;
	struct stat st;
	ssize_t r;

	s->calls++;
	snprintf(s->sender, sizeof(s->sender), "%s", m->sender);
	s->n_rcpts = m->n_recipients;
	assert_int_equal(fstat(m->fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, m->size);
	r = pread(m->fd, s->data, sizeof(s->data) - 1, 0);
	assert_true(r >= 0);
	s->len = (size_t)r;
	s->data[s->len] = '\0';
	/* Sealed: whoever holds it cannot change what was decided. */
	s->sealed = write(m->fd, "x", 1) == -1;
	if (s->fail) {
		buf_puts(err, "the mailbox is unreachable");
		return -1;
	}
	return 0;
}

static char *recipients[] = { "balp@caf.test", "balp2@caf.test" };

static struct lmtp_conf
conf(void)
{
	struct lmtp_conf c;

	memset(&c, 0, sizeof(c));
	c.recipients = recipients;
	c.n_recipients = 2;
	c.max_sessions = 1;
	c.max_size = 1000;
	return c;
}

/* Feeds in (in pieces of step bytes, 0: whole); the replies, malloc'd. */
static char *
converse(struct seen *seen, const char *in, size_t step)
{
	struct lmtp_conf c = conf();
	struct lmtp_session *s;
	struct buf out = BUF_INIT;
	size_t len = strlen(in), off = 0, n;

	s = lmtp_session_new(&c, "mx.test", deliver, seen);
	assert_non_null(s);
	while (off < len) {
		n = step == 0 || len - off < step ? len - off : step;
		lmtp_session_input(s, in + off, n, &out);
		off += n;
	}
	lmtp_session_free(s);
	buf_putc(&out, '\0');
	return buf_detach(&out);
}

#define HELLO	"LHLO mx\r\n"
#define ENV	"MAIL FROM:<a@b.fr>\r\nRCPT TO:<balp@caf.test>\r\n"

static void
test_lhlo_first(void **state)
{
	struct seen seen;
	char *r;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	r = converse(&seen, "MAIL FROM:<a@b.fr>\r\nEHLO x\r\n" HELLO, 0);
	assert_non_null(strstr(r, "503 5.5.1"));
	assert_non_null(strstr(r, "500 5.5.1 This is LMTP"));
	assert_non_null(strstr(r, "250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 SIZE 1000\r\n"));
	free(r);
}

static void
test_recipients(void **state)
{
	struct seen seen;
	char *r;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	r = converse(&seen, HELLO "MAIL FROM:<a@b.fr>\r\n"
	    "RCPT TO:<nobody@caf.test>\r\nDATA\r\n"
	    "RCPT TO:<BALP@Caf.Test>\r\nRCPT TO:<balp2@caf.test>\r\n"
	    "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n", 0);
	assert_non_null(strstr(r, "550 5.1.1"));
	assert_non_null(strstr(r, "503 5.5.1 No valid recipients"));
	/* One reply per accepted recipient, in order. */
	assert_non_null(strstr(r, "250 2.0.0 Delivered <balp@caf.test>\r\n"
	    "250 2.0.0 Delivered <balp2@caf.test>\r\n221"));
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.n_rcpts, 2);
	assert_string_equal(seen.sender, "a@b.fr");
	assert_string_equal(seen.data, "Subject: x\r\n\r\nbody\r\n");
	assert_true(seen.sealed);
	free(r);
}

/* The stuffed dot goes, the end is found wherever the input is cut. */
static void
test_dots_any_cut(void **state)
{
	static const char in[] = HELLO ENV "DATA\r\nSubject: d\r\n\r\n"
	    "..leading\r\n.\r\n..\r\nlast.\r\n.\r\nNOOP\r\n";
	struct seen seen;
	size_t step;
	char *r;

	(void)state;
	for (step = 1; step < sizeof(in); step++) {
		memset(&seen, 0, sizeof(seen));
		r = converse(&seen, in, step);
		assert_int_equal(seen.calls, 1);
		assert_string_equal(seen.data, "Subject: d\r\n\r\n.leading\r\n");
		/* "..\r\n" after the end is a command (unknown), then NOOP. */
		assert_non_null(strstr(r, "250 2.0.0 Delivered"));
		assert_non_null(strstr(r, "250 2.0.0 OK\r\n"));
		free(r);
	}
}

static void
test_size(void **state)
{
	struct buf in = BUF_INIT;
	struct seen seen;
	char *r;
	int i;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	r = converse(&seen, HELLO "MAIL FROM:<a@b.fr> SIZE=1001\r\n", 0);
	assert_non_null(strstr(r, "552 5.3.4"));
	free(r);
	buf_puts(&in, HELLO ENV "DATA\r\n");
	for (i = 0; i < 30; i++)
		buf_puts(&in, "0123456789012345678901234567890123456789\r\n");
	buf_puts(&in, ".\r\n" ENV "DATA\r\nSubject: ok\r\n\r\nx\r\n.\r\n");
	r = converse(&seen, buf_str(&in), 7);
	assert_non_null(strstr(r, "552 5.3.4 Message too big"));
	/* Never handed over; the next transaction is. */
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.data, "Subject: ok\r\n\r\nx\r\n");
	buf_free(&in);
	free(r);
}

static void
test_long_command(void **state)
{
	struct buf in = BUF_INIT;
	struct seen seen;
	char *r;
	int i;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	buf_puts(&in, HELLO "NOOP ");
	for (i = 0; i < LMTP_COMMAND_MAX; i++)
		buf_putc(&in, 'a');
	buf_puts(&in, "\r\nNOOP\r\n");
	r = converse(&seen, buf_str(&in), 100);
	assert_non_null(strstr(r, "500 5.5.2 Line too long\r\n250 2.0.0 OK"));
	buf_free(&in);
	free(r);
}

static void
test_failure_is_451(void **state)
{
	struct seen seen;
	char *r;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.fail = 1;
	r = converse(&seen, HELLO ENV "RCPT TO:<balp2@caf.test>\r\n"
	    "DATA\r\nx\r\n.\r\n", 0);
	assert_non_null(strstr(r, "451 4.3.0 Not delivered (the mailbox is "
	    "unreachable), try again later <balp@caf.test>\r\n451 4.3.0"));
	free(r);
}

/* A delivery filed elsewhere (the callback says 1): held for its ticket. */
static int
deliver_later(const struct lmtp_message *m, void *arg, struct buf *err)
{
	uint64_t *ticket = arg;

	(void)err;
	*ticket = m->ticket;
	return 1;
}

static void
test_held_until_verdict(void **state)
{
	static const char in[] = HELLO ENV "DATA\r\nx\r\n.\r\n" ENV "DATA\r\n"
	    "y\r\n.\r\nQUIT\r\n";
	struct lmtp_conf c = conf();
	struct lmtp_session *s;
	struct buf out = BUF_INIT;
	uint64_t ticket = 0;
	size_t used, off;

	(void)state;
	s = lmtp_session_new(&c, "mx.test", deliver_later, &ticket);
	assert_non_null(s);
	lmtp_session_set_ticket(s, 42);
	/* The whole pipelined input: taken up to the first final dot. */
	assert_int_equal(lmtp_session_feed(s, in, strlen(in), &out, &used), 0);
	assert_int_equal(ticket, LMTP_TICKET(42, 1));
	assert_int_equal(lmtp_session_held_ticket(s), ticket);
	assert_true(lmtp_session_held(s));
	assert_int_equal(used, strstr(in, ".\r\nMAIL") + 3 - in);
	assert_null(strstr(buf_str(&out), "250 2.0.0 Delivered"));
	/* Nothing more is taken while held. */
	assert_int_equal(lmtp_session_feed(s, in + used, strlen(in) - used,
	    &out, &off), 0);
	assert_int_equal(off, 0);
	lmtp_session_verdict(s, 0, NULL, &out);
	assert_false(lmtp_session_held(s));
	assert_non_null(strstr(buf_str(&out), "250 2.0.0 Delivered "
	    "<balp@caf.test>\r\n"));
	/* The rest: the second message, held in turn, then a 451. */
	ticket = 0;
	off = used;
	assert_int_equal(lmtp_session_feed(s, in + off, strlen(in) - off, &out,
	    &used), 0);
	assert_true(lmtp_session_held(s));
	/* The second message's ticket: the first's verdict is not its. */
	assert_int_equal(ticket, LMTP_TICKET(42, 2));
	off += used;
	buf_reset(&out);
	lmtp_session_verdict(s, -1, "the mailbox\nis down", &out);
	assert_string_equal(buf_str(&out), "451 4.3.0 Not delivered (the "
	    "mailbox is down), try again later <balp@caf.test>\r\n");
	assert_int_equal(lmtp_session_feed(s, in + off, strlen(in) - off, &out,
	    &used), 1);
	assert_non_null(strstr(buf_str(&out), "221 2.0.0"));
	lmtp_session_free(s);
	buf_free(&out);
}

static void
test_listen(void **state)
{
	struct lmtp_conf c;
	struct buf err = BUF_INIT;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(lmtp_conf_listen(&c, "127.0.0.1:10026", &err), 0);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 10026);
	lmtp_conf_free(&c);
	assert_int_equal(lmtp_conf_listen(&c, "[::1]:24", &err), 0);
	assert_string_equal(c.host, "::1");
	lmtp_conf_free(&c);
	assert_int_equal(lmtp_conf_listen(&c, "unix:/run/balp/lmtp.sock",
	    &err), 0);
	assert_string_equal(c.path, "/run/balp/lmtp.sock");
	lmtp_conf_free(&c);
	assert_int_equal(lmtp_conf_listen(&c, "0.0.0.0:10026", &err), -1);
	assert_int_equal(lmtp_conf_listen(&c, "192.0.2.1:10026", &err), -1);
	assert_int_equal(lmtp_conf_listen(&c, "localhost:10026", &err), -1);
	assert_int_equal(lmtp_conf_listen(&c, "127.0.0.1:0", &err), -1);
	assert_int_equal(lmtp_conf_listen(&c, "unix:rel.sock", &err), -1);
	assert_non_null(strstr(buf_str(&err), "not a loopback address"));
	lmtp_conf_free(&c);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lhlo_first),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_dots_any_cut),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_long_command),
		cmocka_unit_test(test_failure_is_451),
		cmocka_unit_test(test_held_until_verdict),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
