/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_notifier - the outbox to a relay: the backoff schedule, and rounds
 * against a scripted SMTP server on loopback (plain text, the one case
 * conf allows without TLS): sent exactly once and marked sent, one session
 * per round, a 5xx failed for good, a 4xx and a relay that is down kept
 * pending with the backoff, the hourly cap per recipient, no notice for an
 * automatic reply, the threading headers from the decision.  TLS, AUTH and
 * certificates are tests/e2e/notices.sh's, against a real Postfix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_store_open.h"
#include "tmpdir.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "balp/conf.h"
#include "balp/notifier.h"
#include "balp/store_outbox.h"
#include "balp/store.h"
#include "balp/store_decision.h"

#define NOW	((time_t)1795824000)	/* 2026-11-28T00:00:00Z */

struct fx {
	char			 dir[64];
	char			 path[128];
	struct store		*st;
	struct balp_conf	 c;
	pid_t			 server;
	int			 port;
};

/* ---- a scripted relay --------------------------------------------------- */

static int
readline(FILE *in, char *line, size_t n)
{
	if (fgets(line, (int)n, in) == NULL)
		return -1;
	return 0;
}

/*
 * One session: RCPT to an address starting "perm" gets 550, "temp" 451;
 * every accepted DATA goes to dir/msg.N; each session adds a line to
 * dir/sessions.
 */
static void
serve(int fd, const char *dir, int *nmsg)
{
	FILE *in = fdopen(dup(fd), "r"), *out = fdopen(fd, "w"), *fp;
	char line[2048], path[256];

	snprintf(path, sizeof(path), "%s/sessions", dir);
	if ((fp = fopen(path, "a")) != NULL) {
		fputs("session\n", fp);
		fclose(fp);
	}
	fputs("220 fake ESMTP\r\n", out);
	fflush(out);
	while (readline(in, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0)
			fputs("250-fake\r\n250 8BITMIME\r\n", out);
		else if (strncasecmp(line, "MAIL", 4) == 0 ||
		    strncasecmp(line, "RSET", 4) == 0)
			fputs("250 ok\r\n", out);
		else if (strncasecmp(line, "RCPT TO:<perm", 13) == 0)
			fputs("550 5.1.1 no such user\r\n", out);
		else if (strncasecmp(line, "RCPT TO:<temp", 13) == 0)
			fputs("451 4.3.0 try later\r\n", out);
		else if (strncasecmp(line, "RCPT", 4) == 0)
			fputs("250 ok\r\n", out);
		else if (strncasecmp(line, "DATA", 4) == 0) {
			fputs("354 go\r\n", out);
			fflush(out);
			snprintf(path, sizeof(path), "%s/msg.%d", dir, ++*nmsg);
			fp = fopen(path, "w");
			while (readline(in, line, sizeof(line)) == 0 &&
			    strcmp(line, ".\r\n") != 0)
				if (fp != NULL)
					fputs(line, fp);
			if (fp != NULL)
				fclose(fp);
			fputs("250 queued\r\n", out);
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			fputs("221 bye\r\n", out);
			fflush(out);
			break;
		} else
			fputs("500 what\r\n", out);
		fflush(out);
	}
	fclose(in);
	fclose(out);
}

static void
start_server(struct fx *fx)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s, c, one = 1, nmsg = 0;

	assert_true((s = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	fx->port = ntohs(a.sin_port);
	fx->c.smtp.port = (unsigned)fx->port;
	if ((fx->server = fork()) == 0) {
		while ((c = accept(s, NULL, NULL)) >= 0)
			serve(c, fx->dir, &nmsg);
		_exit(0);
	}
	assert_true(fx->server > 0);
	close(s);
}

static void
stop_server(struct fx *fx)
{
	if (fx->server > 0) {
		kill(fx->server, SIGKILL);
		waitpid(fx->server, NULL, 0);
		fx->server = 0;
	}
}

/* A port nobody listens on: bound, then closed. */
static unsigned
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static char *
slurp(const struct fx *fx, const char *name)
{
	char path[256], *data;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	data = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return data;
}

static int
access_msg(const struct fx *fx, const char *name)
{
	char *s = slurp(fx, name);

	free(s);
	return s != NULL;
}

static int
count_lines(const struct fx *fx, const char *name)
{
	char *s = slurp(fx, name), *p;
	int n = 0;

	for (p = s; p != NULL && *p != '\0'; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* ---- fixtures ----------------------------------------------------------- */

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct buf err = BUF_INIT;

	if (fx == NULL || tmpdir_make(fx->dir, sizeof(fx->dir), "notifier"))
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/balp.db", fx->dir);
	if (test_store_open(fx->path, &fx->st, &err) != STORE_OK)
		return -1;
	fx->c.has_smtp = 1;
	fx->c.smtp.host = strdup("127.0.0.1");
	fx->c.smtp.tls = TLS_NONE;
	fx->c.smtp.timeout = 5;
	fx->c.notice_from = strdup("balp@caf.test");
	fx->c.notices_per_hour = 10;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	stop_server(fx);
	store_close(fx->st);
	free(fx->c.smtp.host);
	free(fx->c.notice_from);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/* A rejected decision with its notice queued at `at`; the outbox id. */
static int64_t
queue(struct fx *fx, const char *ref, const char *to, const char *msgid,
    reason_set reasons, time_t at)
{
	struct store_decision_spec d;
	struct store_notice n = { to, "BALP : refus", "Bonjour,\nmotif\n" };
	struct store_outbox_list l;
	int64_t id;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.message_id = msgid;
	d.sender = to;
	d.outcome = OUTCOME_REJECTED;
	d.reasons = reasons;
	d.queue = "BALP/Rejets";
	assert_int_equal(store_decision_record(fx->st, &d, &n, "test", at,
	    NULL), STORE_OK);
	assert_int_equal(store_outbox_pending(fx->st, at + 1000000, 0, &l),
	    STORE_OK);
	assert_true(l.n > 0);
	id = l.v[l.n - 1].id;
	store_outbox_list_free(&l);
	return id;
}

static size_t
pending(struct fx *fx, time_t at)
{
	struct store_outbox_list l;
	size_t n;

	assert_int_equal(store_outbox_pending(fx->st, at, 0, &l), STORE_OK);
	n = l.n;
	store_outbox_list_free(&l);
	return n;
}

static void
round_ok(struct fx *fx, time_t now, struct notifier_counts *c)
{
	struct buf err = BUF_INIT;

	memset(c, 0, sizeof(*c));
	if (notifier_round(fx->st, &fx->c, now, c, &err) != 0)
		fail_msg("notifier_round: %s", buf_str(&err));
	buf_free(&err);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(notifier_backoff(1, 0), 60);
	assert_int_equal(notifier_backoff(2, 0), 120);
	assert_int_equal(notifier_backoff(3, 0), 240);
	assert_int_equal(notifier_backoff(6, 0), 1920);
	assert_int_equal(notifier_backoff(7, 0), 3600);
	assert_int_equal(notifier_backoff(1000, 0), 3600);
	assert_int_equal(notifier_backoff(0, 0), 60);
	assert_int_equal(notifier_backoff(1, -5), 60);
	/* Given up once the next try would pass three days. */
	assert_int_equal(notifier_backoff(50, 3 * 86400 - 3600), 3600);
	assert_int_equal(notifier_backoff(50, 3 * 86400 - 3599), -1);
	assert_int_equal(notifier_backoff(1, 3 * 86400), -1);
}

static void
test_sent_once_threaded(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;
	char *m;

	start_server(fx);
	queue(fx, "1", "a.martin@apeai34.fr", "CAF1.x@apeai34.fr", 0, NOW);
	queue(fx, "2", "b.durand@apeai34.fr", NULL, 0, NOW);
	round_ok(fx, NOW + 1, &c);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.retry + c.failed, 0);
	assert_int_equal(pending(fx, NOW + 1000000), 0);
	/* One session for the round. */
	assert_int_equal(count_lines(fx, "sessions"), 1);
	assert_non_null(m = slurp(fx, "msg.1"));
	assert_non_null(strstr(m, "To: <a.martin@apeai34.fr>\r\n"));
	assert_non_null(strstr(m, "In-Reply-To: <CAF1.x@apeai34.fr>\r\n"));
	assert_non_null(strstr(m, "References: <CAF1.x@apeai34.fr>\r\n"));
	assert_non_null(strstr(m, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(m, "Message-ID: <notice.1.20261128000000@"
	    "caf.test>\r\n"));
	free(m);
	assert_non_null(m = slurp(fx, "msg.2"));
	assert_null(strstr(m, "In-Reply-To"));
	free(m);
	/* Nothing due: no session at all, nothing sent twice. */
	round_ok(fx, NOW + 2, &c);
	assert_int_equal(c.sent, 0);
	assert_int_equal(count_lines(fx, "sessions"), 1);
	assert_null(slurp(fx, "msg.3"));
}

static void
test_permanent_and_transient(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;

	start_server(fx);
	queue(fx, "1", "perm@apeai34.fr", NULL, 0, NOW);
	queue(fx, "2", "temp@apeai34.fr", NULL, 0, NOW);
	queue(fx, "3", "ok@apeai34.fr", NULL, 0, NOW);
	round_ok(fx, NOW, &c);
	/* The session survives a refused RCPT (RSET) for the next one. */
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.retry, 1);
	assert_int_equal(count_lines(fx, "sessions"), 1);
	/* 4xx: pending again one minute later, not before. */
	assert_int_equal(pending(fx, NOW + 59), 0);
	assert_int_equal(pending(fx, NOW + 60), 1);
	assert_int_equal(pending(fx, NOW + 1000000), 1);
	round_ok(fx, NOW + 60, &c);
	assert_int_equal(c.retry, 1);
	/* The second failure waits two minutes. */
	assert_int_equal(pending(fx, NOW + 60 + 119), 0);
	assert_int_equal(pending(fx, NOW + 60 + 120), 1);
}

static void
test_relay_down_then_up(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;

	fx->c.smtp.port = closed_port();
	queue(fx, "1", "a@apeai34.fr", NULL, 0, NOW);
	queue(fx, "2", "b@apeai34.fr", NULL, 0, NOW);
	round_ok(fx, NOW, &c);
	assert_int_equal(c.sent, 0);
	assert_int_equal(c.retry, 2);
	assert_int_equal(c.failed, 0);
	assert_int_equal(pending(fx, NOW + 60), 2);
	start_server(fx);
	round_ok(fx, NOW + 30, &c);	/* not due yet */
	assert_int_equal(c.sent, 0);
	round_ok(fx, NOW + 60, &c);
	assert_int_equal(c.sent, 2);
	round_ok(fx, NOW + 100000, &c);
	assert_int_equal(c.sent, 0);
	assert_int_equal(access_msg(fx, "msg.2"), 1);
	assert_null(slurp(fx, "msg.3"));
	assert_int_equal(pending(fx, NOW + 1000000), 0);
}

static void
test_given_up_after_days(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;

	fx->c.smtp.port = closed_port();
	queue(fx, "1", "a@apeai34.fr", NULL, 0, NOW);
	round_ok(fx, NOW + 3 * 86400 - 10, &c);
	assert_int_equal(c.failed, 1);
	assert_int_equal(pending(fx, NOW + 1000000), 0);
}

/* Notices sent to recipient (any case) in [from, to]. */
static long
sent_between(struct fx *fx, const char *recipient, time_t from, time_t to)
{
	char a[21], b[21], sql[256];

	store_timestamp(from, a);
	store_timestamp(to, b);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE status"
	    " = 'sent' AND next_attempt_at BETWEEN '%s' AND '%s' AND "
	    "recipient = '%s' COLLATE NOCASE", a, b, recipient);
	return raw_count(fx->path, sql);
}

/*
 * Over the hourly cap a notice waits its turn, never dropped: it goes as
 * soon as the cap allows, and still at most N go to one address in any
 * hour.
 */
static void
test_hourly_cap(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;
	char ref[16], *mail;
	int i;

	fx->c.notices_per_hour = 3;
	start_server(fx);
	for (i = 0; i < 5; i++) {
		snprintf(ref, sizeof(ref), "%d", i);
		queue(fx, ref, i == 4 ? "other@apeai34.fr" :
		    "A.Martin@apeai34.fr", NULL, 0, NOW);
	}
	round_ok(fx, NOW, &c);
	/* Three to a.martin (the case of the address does not matter). */
	assert_int_equal(c.sent, 4);
	assert_int_equal(c.failed, 0);
	assert_int_equal(c.deferred, 1);
	assert_null(slurp(fx, "msg.5"));
	/* The fourth waits, pending and untried, with why. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox "
	    "WHERE status = 'pending' AND attempts = 0 AND last_error LIKE "
	    "'%max_per_sender_hour%'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'notice.deferred'"), 1);
	/* Not before the first three are an hour old ... */
	assert_int_equal(pending(fx, NOW + 3600), 0);
	round_ok(fx, NOW + 1800, &c);
	assert_int_equal(c.sent + c.deferred + c.failed, 0);
	/* ... then it goes, with one queued meanwhile: the hour's count
	 * starts again. */
	queue(fx, "9", "a.martin@apeai34.fr", NULL, 0, NOW + 3601);
	round_ok(fx, NOW + 3601, &c);
	assert_int_equal(c.sent, 2);
	assert_int_equal(c.deferred, 0);
	assert_non_null(mail = slurp(fx, "msg.6"));
	free(mail);
	/* A burst of five more: one more place this hour, the rest wait
	 * and go hour after hour, three at most in any hour. */
	for (i = 10; i < 15; i++) {
		snprintf(ref, sizeof(ref), "%d", i);
		queue(fx, ref, "a.martin@apeai34.fr", NULL, 0, NOW + 3700);
	}
	round_ok(fx, NOW + 3700, &c);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.deferred, 4);
	for (i = 0; i < 6; i++)
		round_ok(fx, NOW + 3700 + (i + 1) * 1800, &c);
	assert_int_equal(pending(fx, NOW + 1000000), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox "
	    "WHERE status = 'sent'"), 11);
	/* One audit row per notice that waited, however often it did. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'notice.deferred'"), 5);
	assert_int_equal(raw_count(fx->path, "SELECT count(DISTINCT object) "
	    "FROM audit WHERE action = 'notice.deferred'"), 5);
	for (i = 0; i < 24; i++)
		if (sent_between(fx, "a.martin@apeai34.fr", NOW + i * 600,
		    NOW + i * 600 + 3599) > 3)
			fail_msg("more than 3 notices in the hour from +%d s",
			    i * 600);
}

/* An admin sees the notices and resends one, audited. */
static void
test_resend(void **state)
{
	struct fx *fx = *state;
	struct store_outbox_list l;
	struct notifier_counts c;
	int64_t id, new_id = 0;
	char *mail;

	start_server(fx);
	id = queue(fx, "1", "a@apeai34.fr", NULL, 0, NOW);
	assert_int_equal(store_outbox_resend(fx->st, id, "admin:x", NOW,
	    &new_id), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "still pending"));
	round_ok(fx, NOW, &c);
	assert_int_equal(c.sent, 1);
	assert_int_equal(store_outbox_resend(fx->st, 999, "admin:x", NOW,
	    &new_id), STORE_NOTFOUND);
	assert_int_equal(store_outbox_resend(fx->st, id, "admin:x", NOW + 60,
	    &new_id), STORE_OK);
	assert_true(new_id > id);
	assert_int_equal(store_outbox_all(fx->st, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].id, new_id);
	assert_string_equal(l.v[0].status, "pending");
	assert_string_equal(l.v[0].recipient, "a@apeai34.fr");
	assert_string_equal(l.v[1].status, "sent");
	store_outbox_list_free(&l);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "action = 'notice.resend' AND actor = 'admin:x' AND detail LIKE "
	    "'%resends=outbox/1 (sent)%'"), 1);
	round_ok(fx, NOW + 60, &c);
	assert_int_equal(c.sent, 1);
	assert_non_null(mail = slurp(fx, "msg.2"));
	free(mail);
}

static void
test_no_notice_for_auto_reply(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;

	start_server(fx);
	queue(fx, "1", "a@apeai34.fr", NULL, REASON_BIT(REASON_AUTO_REPLY),
	    NOW);
	queue(fx, "2", "x@y>\r\nBcc: v@w", NULL, 0, NOW);
	round_ok(fx, NOW, &c);
	assert_int_equal(c.sent, 0);
	assert_int_equal(c.failed, 2);
	assert_null(slurp(fx, "msg.1"));
	assert_int_equal(pending(fx, NOW + 1000000), 0);
}

/* A backlog larger than a batch drains in one round, one session. */
static void
test_backlog_in_one_round(void **state)
{
	struct fx *fx = *state;
	struct notifier_counts c;
	char ref[16];
	int i, n = NOTIFIER_BATCH * 2 + 50;

	fx->c.notices_per_hour = 10000;
	start_server(fx);
	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	for (i = 0; i < n; i++) {
		struct store_decision_spec d;
		struct store_notice nt = { "a@apeai34.fr", "S", "B\n" };

		memset(&d, 0, sizeof(d));
		snprintf(ref, sizeof(ref), "%d", i);
		d.source = "maildir";
		d.source_ref = ref;
		d.outcome = OUTCOME_REJECTED;
		d.queue = "BALP/Rejets";
		assert_int_equal(store_batch_add(fx->st, &d, &nt, "test", NOW,
		    NULL), STORE_OK);
	}
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);
	round_ok(fx, NOW, &c);
	assert_int_equal(c.sent, (unsigned)n);
	assert_int_equal(pending(fx, NOW + 1000000), 0);
	assert_int_equal(count_lines(fx, "sessions"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test_setup_teardown(test_sent_once_threaded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_permanent_and_transient,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_down_then_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_given_up_after_days, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_resend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hourly_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_notice_for_auto_reply,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_in_one_round,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
