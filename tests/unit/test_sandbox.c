/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sandbox - persistent sandboxed workers: answers, failures,
 * crashes retried once, deadlines, recycling, order, pipelining with big
 * inputs by fd and by data, what the sandbox forbids, wake_fd, and that no
 * child outlives sandbox_close().
 *
 * The worker functions below act on their input as a command ("CRASH",
 * "HANG" ...) and echo anything else, so one sandbox can show that the
 * jobs around a bad one are answered.  What a worker must report to the
 * test beyond its answer (warm-ups, first sightings) goes through a
 * MAP_SHARED page made before the sandbox, the one memory it shares with
 * the parent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "balp/buf.h"
#include "balp/sandbox.h"

#define MIB		(1024UL * 1024)
#define BIG_LEN		(2 * MIB)

struct shared {
	int	flaky_seen;	/* times a worker saw "FLAKY" */
	int	warmups;	/* warm-ups run */
	int	warm_open_ok;	/* open() worked in the warm-up */
	int	warm_handlers_default;
	int	warm_mask_empty;
	int	warm_nnp;
	long	warm_core;
	long	warm_as;
};

static struct shared *sh;
/* Set by the test after the sandbox is open: no worker may see it. */
static char parent_secret[32] = "none";
/* Lines a worker wrote on stderr, as the sandbox passed them on. */
static char stderr_seen[1024];
static int inherited_fd = -1;

static const struct sandbox_conf base_conf = {
	1,		/* workers */
	5000,		/* deadline_ms */
	1000,		/* max_jobs */
	4 * MIB,	/* max_input */
	1 * MIB,	/* max_output */
	NULL, NULL,	/* stderr: ours */
};

static uint64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Spins: nanosleep is not on the allow-list. */
static void
busy_ms(unsigned ms)
{
	uint64_t end = ms_now() + ms;

	while (ms_now() < end)
		;
}

static int
is_cmd(const char *in, size_t len, const char *cmd)
{
	return len == strlen(cmd) && memcmp(in, cmd, len) == 0;
}

static const char *
outcome(int r)
{
	if (r >= 0)
		return "ok";
	return errno == EPERM ? "EPERM" : errno == EBADF ? "EBADF" : "other";
}

/* What exploit code in a worker would try; the answer says what worked. */
static void
escape(struct buf *out)
{
	struct stat st;
	int fd;

	errno = 0;
	fd = open("/etc/passwd", O_RDONLY);
	buf_printf(out, "open:%s", outcome(fd));
	if (fd >= 0)
		close(fd);	/* not to count it below (no filter) */
	errno = 0;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	buf_printf(out, " socket:%s", outcome(fd));
	if (fd >= 0)
		close(fd);
	errno = 0;
	buf_printf(out, " inherited:%s",
	    outcome((int)write(inherited_fd, "x", 1)));
	errno = 0;
	buf_printf(out, " stat:%s", outcome(stat("/etc/passwd", &st)));
	errno = 0;
	buf_printf(out, " fstat:%s", outcome(fstat(2, &st)));
	/* Its parent (the zygote) and the test process: not its to signal. */
	errno = 0;
	buf_printf(out, " kill-parent:%s", outcome(kill(getppid(), 0)));
	errno = 0;
	buf_printf(out, " tgkill-parent:%s", outcome((int)syscall(SYS_tgkill,
	    getppid(), getppid(), 0)));
	errno = 0;
	buf_printf(out, " kill-self:%s", outcome(kill(getpid(), 0)));
	errno = 0;
	buf_printf(out, " write-other:%s", outcome((int)write(4, "x", 1)));
	buf_puts(out, " fds:");
	for (fd = 0; fd < 64; fd++)
		if (lseek(fd, 0, SEEK_CUR) != -1 || errno != EBADF)
			buf_printf(out, "%d,", fd);
}

/*
 * What a worker taken over would try for the next message: wait until it
 * could have been sent, then look at the socket for its bytes.
 */
static int
peek(struct buf *out)
{
	char b[64];
	ssize_t r;

	busy_ms(150);
	r = recv(3, b, sizeof(b) - 1, MSG_DONTWAIT | MSG_PEEK);
	if (r > 0) {
		b[r] = '\0';
		return buf_printf(out, "saw %zd bytes", r);
	}
	return buf_puts(out, "saw nothing");
}

/* Its own answer, then one for the next job, written by hand; exits. */
static void __attribute__((noreturn))
forge(void)
{
	unsigned char hdr[9];
	uint64_t n;

	busy_ms(150);	/* the next job could have been sent by now */
	hdr[0] = 0;
	n = 4;
	memcpy(hdr + 1, &n, sizeof(n));
	if (write(3, hdr, 9) != 9 || write(3, "mine", 4) != 4)
		_exit(1);
	n = 6;
	memcpy(hdr + 1, &n, sizeof(n));
	if (write(3, hdr, 9) != 9 || write(3, "forged", 6) != 6)
		_exit(1);
	_exit(0);
}

static uint64_t
fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
summary(char *dst, size_t dstsz, const char *p, size_t n)
{
	snprintf(dst, dstsz, "%zu:%016" PRIx64 ":%02x:%02x", n, fnv1a(p, n),
	    n > 0 ? (unsigned char)p[0] : 0,
	    n > 0 ? (unsigned char)p[n - 1] : 0);
}

/*
 * The test worker: echoes its input, except for these commands.
 *   CRASH   abort()s          HANG    loops forever
 *   FLAKY   aborts the first time any worker sees it, then echoes
 *   FAIL    returns -1        BIG     answers max_output + 1 bytes
 *   PID     answers getpid()  SLOW    spins 60 ms, then echoes with pid
 *   GARBLE  writes a bad answer header on its socket, then echoes
 *   ESCAPE  tries to get out (see escape())
 *   DIE     _exit(0)s: a death, but no signal
 * and answers an input over 64 KiB with its summary().
 */
static int
test_fn(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	volatile unsigned long spin = 0;
	char sum[64];

	(void)arg;
	if (len > 65536) {
		summary(sum, sizeof(sum), in, len);
		return buf_puts(out, sum);
	}
	if (is_cmd(in, len, "CRASH"))
		abort();
	if (is_cmd(in, len, "HANG"))
		for (;;)
			spin++;
	if (is_cmd(in, len, "DIE"))
		_exit(0);
	if (is_cmd(in, len, "FLAKY") &&
	    __atomic_add_fetch(&sh->flaky_seen, 1, __ATOMIC_SEQ_CST) == 1)
		abort();
	if (is_cmd(in, len, "FAIL"))
		return -1;
	if (is_cmd(in, len, "BIG")) {
		while (out->len <= base_conf.max_output)
			buf_putc(out, 'b');
		return 0;
	}
	if (is_cmd(in, len, "PID"))
		return buf_printf(out, "%ld", (long)getpid());
	if (is_cmd(in, len, "OPT"))
		return buf_printf(out, "opt %" PRIu64, opt);
	if (is_cmd(in, len, "GARBLE") && write(3, "\x07garbage!", 9) != 9)
		return -1;
	if (is_cmd(in, len, "ESCAPE")) {
		escape(out);
		return 0;
	}
	if (is_cmd(in, len, "GLOBAL"))
		return buf_puts(out, parent_secret);
	if (is_cmd(in, len, "PEEK"))
		return peek(out);
	if (is_cmd(in, len, "FORGE"))
		forge();
	if (is_cmd(in, len, "STDERR"))
		return buf_puts(out, write(2, "line \x1b[31mred\n2026-01-01T00:00:00Z"
		    " balpd[1]: forged\n", 52) == 52 ? "said" : "not said");
	if (len >= 4 && memcmp(in, "SLOW", 4) == 0) {
		busy_ms(60);
		buf_add(out, in, len);
		return buf_printf(out, "|%ld", (long)getpid());
	}
	if (len >= 4 && memcmp(in, "FAST", 4) == 0) {
		buf_add(out, in, len);
		return buf_printf(out, "|%ld", (long)getpid());
	}
	return buf_add(out, in, len);
}

/* Answers the length, an FNV-1a hash and the first and last bytes. */
static int
hash_fn(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	char s[64];

	(void)arg;
	(void)opt;
	summary(s, sizeof(s), in, len);
	return buf_puts(out, s);
}

/* Records, before the filter, the state a fresh worker starts in. */
static int
probe_warmup(void *arg, struct buf *err)
{
	struct sigaction sa;
	struct rlimit rl;
	sigset_t mask;
	int fd, dflt = 1;

	(void)arg;
	__atomic_add_fetch(&sh->warmups, 1, __ATOMIC_SEQ_CST);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		sh->warm_open_ok = 1;
		close(fd);
	}
	if (sigaction(SIGUSR1, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL)
		dflt = 0;
	if (sigaction(SIGSEGV, NULL, &sa) == -1 || sa.sa_handler != SIG_DFL)
		dflt = 0;
	sh->warm_handlers_default = dflt;
	sh->warm_mask_empty = sigprocmask(SIG_BLOCK, NULL, &mask) == 0 &&
	    sigisemptyset(&mask);
	sh->warm_nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	sh->warm_core = getrlimit(RLIMIT_CORE, &rl) == 0 ?
	    (long)rl.rlim_cur : -1;
	sh->warm_as = getrlimit(RLIMIT_AS, &rl) == 0 ?
	    (rl.rlim_cur == RLIM_INFINITY ? -2 : (long)(rl.rlim_cur / MIB)) :
	    -1;
	(void)err;
	return 0;
}

static int
failing_warmup(void *arg, struct buf *err)
{
	(void)arg;
	__atomic_add_fetch(&sh->warmups, 1, __ATOMIC_SEQ_CST);
	buf_puts(err, "the probe's database is gone");
	return -1;
}

/* ---------------------------------------------------------------- */
/* Helpers                                                           */

static struct sandbox *
open_sb(const struct sandbox_conf *conf, sandbox_fn *fn,
    sandbox_warmup_fn *warm)
{
	struct buf err = BUF_INIT;
	struct sandbox *sb = NULL;

	if (sandbox_open_own(conf, fn, warm, NULL, &sb, &err) == -1)
		fail_msg("sandbox_open: %s", buf_str(&err));
	buf_free(&err);
	return sb;
}

static void
submit(struct sandbox *sb, uint64_t tag, const char *s)
{
	struct buf err = BUF_INIT;

	if (sandbox_submit(sb, tag, -1, s, strlen(s), 0, &err) == -1)
		fail_msg("sandbox_submit: %s", buf_str(&err));
	buf_free(&err);
}

/* Collects the next result, which must be tag with status st; returns the
 * answer (caller frees), NULL unless SANDBOX_OK. */
static char *
expect(struct sandbox *sb, uint64_t tag, enum sandbox_status st)
{
	struct buf err = BUF_INIT;
	enum sandbox_status got;
	uint64_t t;
	size_t n;
	char *out;
	int r;

	r = sandbox_collect(sb, -1, &t, &got, &out, &n, &err);
	if (r != 1)
		fail_msg("sandbox_collect: %d %s", r, buf_str(&err));
	buf_free(&err);
	assert_int_equal(t, tag);
	assert_int_equal(got, st);
	if (st == SANDBOX_OK) {
		assert_non_null(out);
		assert_int_equal(out[n], '\0');
		assert_int_equal(strlen(out), n);
	} else
		assert_null(out);
	return out;
}

static void
expect_echo(struct sandbox *sb, uint64_t tag, const char *s)
{
	char *out = expect(sb, tag, SANDBOX_OK);

	assert_string_equal(out, s);
	free(out);
}

/* Every child of the test process has been reaped. */
static void
assert_no_child(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static int
group_setup(void **state)
{
	(void)state;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return sh == MAP_FAILED ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	munmap(sh, sizeof(*sh));
	return 0;
}

static int
reset_shared(void **state)
{
	(void)state;
	memset(sh, 0, sizeof(*sh));
	return 0;
}

/* ---------------------------------------------------------------- */
/* Answers                                                           */

static void
test_echo_answers_in_order(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);

	(void)state;
	submit(sb, 1, "bonjour");
	submit(sb, 2, "");
	submit(sb, 3, "caf\xc3\xa9");
	assert_int_equal(sandbox_in_flight(sb), 3);
	expect_echo(sb, 1, "bonjour");
	expect_echo(sb, 2, "");		/* empty, yet not NULL */
	expect_echo(sb, 3, "caf\xc3\xa9");
	assert_int_equal(sandbox_in_flight(sb), 0);
	sandbox_close(sb);
	assert_no_child();
}

/* A job's option reaches the function with it, by data and by fd. */
static void
test_option_reaches_the_function(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	struct buf err = BUF_INIT;
	uint64_t big = (uint64_t)1 << 62 | 12345;
	FILE *tf = tmpfile();
	char *out;

	(void)state;
	assert_non_null(tf);
	assert_int_equal(fwrite("OPT", 1, 3, tf), 3);
	assert_int_equal(fflush(tf), 0);
	assert_int_equal(sandbox_submit(sb, 1, -1, "OPT", 3, 7, &err), 0);
	assert_int_equal(sandbox_submit(sb, 2, fileno(tf), NULL, 3, big,
	    &err), 0);
	assert_int_equal(sandbox_submit(sb, 3, -1, "OPT", 3, 0, &err), 0);
	out = expect(sb, 1, SANDBOX_OK);
	assert_string_equal(out, "opt 7");
	free(out);
	out = expect(sb, 2, SANDBOX_OK);
	assert_string_equal(out, "opt 4611686018427400249");
	free(out);
	expect_echo(sb, 3, "opt 0");
	sandbox_close(sb);
	fclose(tf);
	buf_free(&err);
	assert_no_child();
}

static void
test_collect_with_nothing_in_flight(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	enum sandbox_status st;
	uint64_t tag;
	size_t n;
	char *out = (char *)1;

	(void)state;
	assert_int_equal(sandbox_collect(sb, -1, &tag, &st, &out, &n, NULL), 0);
	assert_null(out);
	sandbox_close(sb);
	sandbox_close(NULL);
	assert_no_child();
}

static void
test_open_refuses_bad_conf(void **state)
{
	struct sandbox_conf c = base_conf;
	struct buf err = BUF_INIT;
	struct sandbox *sb = (struct sandbox *)1;

	(void)state;
	c.workers = 0;
	assert_int_equal(sandbox_open_own(&c, test_fn, NULL, NULL, &sb, &err), -1);
	assert_null(sb);
	assert_true(err.len > 0);
	c = base_conf;
	c.deadline_ms = 0;
	assert_int_equal(sandbox_open_own(&c, test_fn, NULL, NULL, &sb, NULL), -1);
	c = base_conf;
	c.max_jobs = 0;
	assert_int_equal(sandbox_open_own(&c, test_fn, NULL, NULL, &sb, NULL), -1);
	buf_free(&err);
}

static void
test_input_over_max_input_refused_at_submit(void **state)
{
	struct sandbox_conf c = base_conf;
	struct buf err = BUF_INIT;
	struct sandbox *sb;

	(void)state;
	c.max_input = 4;
	sb = open_sb(&c, test_fn, NULL);
	assert_int_equal(sandbox_submit(sb, 1, -1, "12345", 5, 0, &err), -1);
	assert_non_null(strstr(buf_str(&err), "limit"));
	assert_int_equal(sandbox_in_flight(sb), 0);
	submit(sb, 2, "1234");
	expect_echo(sb, 2, "1234");
	sandbox_close(sb);
	buf_free(&err);
	assert_no_child();
}

static void
test_fn_failure_is_failed(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	char *p1, *p2;

	(void)state;
	submit(sb, 1, "PID");
	submit(sb, 2, "FAIL");
	submit(sb, 3, "PID");
	p1 = expect(sb, 1, SANDBOX_OK);
	(void)expect(sb, 2, SANDBOX_FAILED);
	p2 = expect(sb, 3, SANDBOX_OK);
	/* A failing fn is no reason to replace its worker. */
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	sandbox_close(sb);
	assert_no_child();
}

static void
test_answer_over_max_output_fails(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);

	(void)state;
	submit(sb, 1, "BIG");
	submit(sb, 2, "after");
	(void)expect(sb, 1, SANDBOX_FAILED);
	expect_echo(sb, 2, "after");
	sandbox_close(sb);
	assert_no_child();
}

static void
test_garbled_answer_fails_and_replaces_worker(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	char *p1, *p2;

	(void)state;
	submit(sb, 1, "PID");
	submit(sb, 2, "GARBLE");
	submit(sb, 3, "PID");
	p1 = expect(sb, 1, SANDBOX_OK);
	(void)expect(sb, 2, SANDBOX_FAILED);
	p2 = expect(sb, 3, SANDBOX_OK);
	assert_string_not_equal(p1, p2);
	free(p1);
	free(p2);
	sandbox_close(sb);
	assert_no_child();
}

/* ---------------------------------------------------------------- */
/* Crashes, deadlines, recycling                                     */

static void
test_crash_is_crashed_and_sandbox_goes_on(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);

	(void)state;
	submit(sb, 1, "before");
	submit(sb, 2, "CRASH");
	submit(sb, 3, "after");
	submit(sb, 4, "and after");
	expect_echo(sb, 1, "before");
	(void)expect(sb, 2, SANDBOX_CRASHED);
	expect_echo(sb, 3, "after");
	expect_echo(sb, 4, "and after");
	submit(sb, 5, "CRASH");
	(void)expect(sb, 5, SANDBOX_CRASHED);
	submit(sb, 6, "still here");
	expect_echo(sb, 6, "still here");
	sandbox_close(sb);
	assert_no_child();
}

static void
test_exit_during_job_is_a_crash(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);

	(void)state;
	submit(sb, 1, "DIE");
	submit(sb, 2, "after");
	(void)expect(sb, 1, SANDBOX_CRASHED);
	expect_echo(sb, 2, "after");
	sandbox_close(sb);
	assert_no_child();
}

static void
test_flaky_is_retried_once(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);

	(void)state;
	submit(sb, 1, "one");
	submit(sb, 2, "FLAKY");
	submit(sb, 3, "three");
	expect_echo(sb, 1, "one");
	expect_echo(sb, 2, "FLAKY");
	expect_echo(sb, 3, "three");
	/* Crashed once, answered by the fresh worker. */
	assert_int_equal(sh->flaky_seen, 2);
	sandbox_close(sb);
	assert_no_child();
}

static void
test_hang_times_out(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;
	uint64_t t0, el;

	(void)state;
	c.deadline_ms = 300;
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 1, "before");
	expect_echo(sb, 1, "before");
	t0 = ms_now();
	submit(sb, 2, "HANG");
	submit(sb, 3, "after");
	submit(sb, 4, "and after");
	(void)expect(sb, 2, SANDBOX_TIMEOUT);
	el = ms_now() - t0;
	/* Not before its deadline; not much after (ASan: slow forks). */
	assert_true(el >= c.deadline_ms - 1);
	assert_true(el < c.deadline_ms + 1500);
	expect_echo(sb, 3, "after");
	expect_echo(sb, 4, "and after");
	sandbox_close(sb);
	assert_no_child();
}

static void
test_worker_replaced_after_max_jobs(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;
	char *pid[10];
	int i;

	(void)state;
	c.max_jobs = 3;
	sb = open_sb(&c, test_fn, NULL);
	for (i = 0; i < 10; i++)
		submit(sb, (uint64_t)i, "PID");
	for (i = 0; i < 10; i++)
		pid[i] = expect(sb, (uint64_t)i, SANDBOX_OK);
	for (i = 1; i < 10; i++) {
		if (i % 3 == 0)
			assert_string_not_equal(pid[i], pid[i - 1]);
		else
			assert_string_equal(pid[i], pid[i - 1]);
	}
	assert_string_not_equal(pid[0], pid[6]);
	assert_string_not_equal(pid[3], pid[9]);
	for (i = 0; i < 10; i++)
		free(pid[i]);
	sandbox_close(sb);
	assert_no_child();
}

/* ---------------------------------------------------------------- */
/* Order, pipelining                                                 */

static void
test_order_with_two_workers_uneven_cost(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;
	char in[12][16], *out, *bar, pids[12][16];
	int i, distinct = 0;

	(void)state;
	c.workers = 2;
	sb = open_sb(&c, test_fn, NULL);
	for (i = 0; i < 12; i++) {
		/* Slow ones on one side, fast ones overtaking them. */
		snprintf(in[i], sizeof(in[i]), "%s%d",
		    i % 3 == 0 ? "SLOW" : "FAST", i);
		submit(sb, (uint64_t)(100 + i), in[i]);
	}
	for (i = 0; i < 12; i++) {
		out = expect(sb, (uint64_t)(100 + i), SANDBOX_OK);
		assert_non_null(bar = strchr(out, '|'));
		*bar = '\0';
		assert_string_equal(out, in[i]);
		snprintf(pids[i], sizeof(pids[i]), "%s", bar + 1);
		if (strcmp(pids[i], pids[0]) != 0)
			distinct = 1;
		free(out);
	}
	assert_true(distinct);	/* both workers took jobs */
	sandbox_close(sb);
	assert_no_child();
}

static void
fill(char *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		p[i] = (char)(seed >> 24);
	}
}

#define PIPE_JOBS	2000
#define PIPE_AHEAD	48

static void
test_2000_pipelined_jobs_with_big_inputs(void **state)
{
	struct sandbox_conf c = base_conf;
	static char small[PIPE_JOBS][24];
	char want[64], *big, *filebytes, *out;
	struct buf err = BUF_INIT;
	enum sandbox_status st;
	struct sandbox *sb;
	uint64_t tag, next = 0, sub = 0;
	size_t n;
	FILE *tf;
	int fd, r, kind;

	(void)state;
	assert_non_null(big = malloc(BIG_LEN));
	assert_non_null(filebytes = malloc(BIG_LEN));
	fill(big, BIG_LEN, 1);
	fill(filebytes, BIG_LEN, 2);
	assert_non_null(tf = tmpfile());
	assert_int_equal(fwrite(filebytes, 1, BIG_LEN, tf), BIG_LEN);
	assert_int_equal(fflush(tf), 0);
	fd = fileno(tf);
	/* Recycled a few times along the way, on both workers. */
	c.workers = 2;
	c.max_jobs = 300;
	sb = open_sb(&c, hash_fn, NULL);
	while (next < PIPE_JOBS) {
		while (sub < PIPE_JOBS && sandbox_in_flight(sb) < PIPE_AHEAD) {
			kind = sub % 50 == 7 ? 1 : sub % 50 == 32 ? 2 : 0;
			if (kind == 1)
				r = sandbox_submit(sb, sub, fd, NULL, BIG_LEN, 0, &err);
			else if (kind == 2)
				r = sandbox_submit(sb, sub, -1, big, BIG_LEN, 0, &err);
			else {
				snprintf(small[sub], sizeof(small[sub]),
				    "job %" PRIu64, sub);
				r = sandbox_submit(sb, sub, -1, small[sub],
				    strlen(small[sub]), 0, &err);
			}
			if (r == -1)
				fail_msg("submit %" PRIu64 ": %s", sub,
				    buf_str(&err));
			sub++;
		}
		r = sandbox_collect(sb, -1, &tag, &st, &out, &n, &err);
		if (r != 1)
			fail_msg("collect: %d %s", r, buf_str(&err));
		assert_int_equal(tag, next);
		assert_int_equal(st, SANDBOX_OK);
		kind = next % 50 == 7 ? 1 : next % 50 == 32 ? 2 : 0;
		if (kind == 1)
			summary(want, sizeof(want), filebytes, BIG_LEN);
		else if (kind == 2)
			summary(want, sizeof(want), big, BIG_LEN);
		else
			summary(want, sizeof(want), small[next],
			    strlen(small[next]));
		if (strcmp(out, want) != 0)
			fail_msg("job %" PRIu64 ": %s, want %s", next, out,
			    want);
		free(out);
		next++;
	}
	assert_int_equal(sandbox_in_flight(sb), 0);
	sandbox_close(sb);
	fclose(tf);
	free(big);
	free(filebytes);
	buf_free(&err);
	assert_no_child();
}

static void
test_file_shorter_than_len_fails_job(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	FILE *tf;

	(void)state;
	assert_non_null(tf = tmpfile());
	assert_int_equal(fwrite("short", 1, 5, tf), 5);
	assert_int_equal(fflush(tf), 0);
	submit(sb, 1, "before");
	assert_int_equal(sandbox_submit(sb, 2, fileno(tf), NULL, 1000, 0, NULL),
	    0);
	submit(sb, 3, "after");
	expect_echo(sb, 1, "before");
	(void)expect(sb, 2, SANDBOX_FAILED);
	expect_echo(sb, 3, "after");
	sandbox_close(sb);
	fclose(tf);
	assert_no_child();
}

/*
 * A worker that dies while the parent sends it a big input makes
 * sendfile fail with EPIPE; the SIGPIPE that goes with it must not reach
 * the caller (cmocka leaves SIGPIPE at its default: death).
 */
static void
test_worker_death_mid_input_raises_no_sigpipe(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, NULL);
	char *filebytes, want[64], *out;
	FILE *tf;
	int i;

	(void)state;
	assert_non_null(filebytes = malloc(BIG_LEN));
	fill(filebytes, BIG_LEN, 3);
	summary(want, sizeof(want), filebytes, BIG_LEN);
	assert_non_null(tf = tmpfile());
	assert_int_equal(fwrite(filebytes, 1, BIG_LEN, tf), BIG_LEN);
	assert_int_equal(fflush(tf), 0);
	for (i = 0; i < 3; i++) {
		submit(sb, 1, "DIE");
		assert_int_equal(sandbox_submit(sb, 2, fileno(tf), NULL,
		    BIG_LEN, 0, NULL), 0);
		(void)expect(sb, 1, SANDBOX_CRASHED);
		out = expect(sb, 2, SANDBOX_OK);
		assert_string_equal(out, want);
		free(out);
	}
	sandbox_close(sb);
	fclose(tf);
	free(filebytes);
	assert_no_child();
}

/* ---------------------------------------------------------------- */
/* The sandbox                                                       */

static void
test_worker_is_sandboxed(void **state)
{
	struct sandbox *sb;
	char *out, c;
	int fds[2], extra;

	(void)state;
	/* Descriptors the worker must not keep: a pipe, and one above. */
	assert_int_equal(pipe(fds), 0);
	inherited_fd = fds[1];
	assert_true((extra = open("/dev/null", O_RDONLY)) > 3);
	sb = open_sb(&base_conf, test_fn, NULL);
	submit(sb, 1, "ESCAPE");
	out = expect(sb, 1, SANDBOX_OK);
	/* Only stderr and the socket; the parent's others are closed. */
	assert_non_null(strstr(out, " fds:"));
	assert_string_equal(strstr(out, " fds:"), " fds:2,3,");
	/* Closed; and the filter refuses writes but to fds 2 and 3. */
	assert_true(strstr(out, "inherited:EBADF") != NULL ||
	    (sandbox_filtered() && strstr(out, "inherited:EPERM") != NULL));
	if (sandbox_filtered()) {
		assert_non_null(strstr(out, "open:EPERM"));
		assert_non_null(strstr(out, "socket:EPERM"));
		assert_non_null(strstr(out, "stat:EPERM"));
		assert_non_null(strstr(out, "fstat:EPERM"));
		assert_non_null(strstr(out, "kill-parent:EPERM"));
		assert_non_null(strstr(out, "tgkill-parent:EPERM"));
		assert_non_null(strstr(out, "kill-self:ok"));
		assert_non_null(strstr(out, "write-other:EPERM"));
	} else
		print_message("no seccomp filter in this build: %s\n", out);
	free(out);
	sandbox_close(sb);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(read(fds[0], &c, 1), -1);
	close(fds[0]);
	close(fds[1]);
	close(extra);
	assert_no_child();
}

static void
handler(int sig)
{
	(void)sig;
}

static void
test_worker_starts_clean(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sigaction sa, old_sa;
	sigset_t block, old_mask;
	struct sandbox *sb;

	(void)state;
	/* What a daemon does: a handler, SIGTERM blocked for signalfd. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
	c.workers = 2;
	sb = open_sb(&c, test_fn, probe_warmup);
	submit(sb, 1, "x");
	submit(sb, 2, "y");
	expect_echo(sb, 1, "x");
	expect_echo(sb, 2, "y");
	sandbox_close(sb);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGUSR1, &old_sa, NULL);
	/* One warm-up, in the zygote, before any worker (they inherit it). */
	assert_int_equal(sh->warmups, 1);
	assert_int_equal(sh->warm_open_ok, 1);
	assert_int_equal(sh->warm_handlers_default, 1);
	assert_int_equal(sh->warm_mask_empty, 1);
	assert_int_equal(sh->warm_nnp, 1);
	assert_int_equal(sh->warm_core, 0);
#if !defined(__SANITIZE_ADDRESS__)
	assert_true(sh->warm_as > 0 && sh->warm_as <= 1024);
#endif
	assert_no_child();
}

static void
test_worker_that_cannot_start_fails_sandbox(void **state)
{
	struct sandbox *sb = open_sb(&base_conf, test_fn, failing_warmup);
	struct buf err = BUF_INIT;

	(void)state;
	/* No worker to be had: the warm-up's own words, at submit. */
	assert_int_equal(sandbox_submit(sb, 1, -1, "a", 1, 0, &err), -1);
	assert_non_null(strstr(buf_str(&err), "the probe's database is gone"));
	/* It was tried again at the request: the cause may be fixed. */
	assert_true(sh->warmups >= 2);
	assert_int_equal(sandbox_in_flight(sb), 0);
	sandbox_close(sb);
	assert_no_child();
	buf_free(&err);
}

/* ---------------------------------------------------------------- */
/* One message, one process                                          */

static void
capture_stderr(void *ctx, long pid, const char *line)
{
	size_t n = strlen(stderr_seen);

	(void)ctx;
	snprintf(stderr_seen + n, sizeof(stderr_seen) - n, "[%ld] %s\n", pid,
	    line);
}

static void
test_one_message_per_process(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;
	char *pid[4];
	int i, j;

	(void)state;
	c.max_jobs = 1;
	c.workers = 2;
	sb = open_sb(&c, test_fn, NULL);
	for (i = 0; i < 4; i++)
		submit(sb, (uint64_t)i, "PID");
	for (i = 0; i < 4; i++)
		pid[i] = expect(sb, (uint64_t)i, SANDBOX_OK);
	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			assert_string_not_equal(pid[i], pid[j]);
	for (i = 0; i < 4; i++)
		free(pid[i]);
	sandbox_close(sb);
	assert_no_child();
}

/* A worker taken over looks for the next message on its socket. */
static void
test_worker_never_sees_the_next_message(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;

	(void)state;
	c.max_jobs = 1;
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 1, "PEEK");
	submit(sb, 2, "RIB de DUPONT 1 84 12 76 451 089 46");
	expect_echo(sb, 1, "saw nothing");
	expect_echo(sb, 2, "RIB de DUPONT 1 84 12 76 451 089 46");
	sandbox_close(sb);
	assert_no_child();
}

/* ... and answers for it: the forged answer never reaches the caller. */
static void
test_forged_answer_for_the_next_message_is_dropped(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;

	(void)state;
	c.max_jobs = 1;
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 1, "FORGE");
	submit(sb, 2, "next");
	expect_echo(sb, 1, "mine");
	expect_echo(sb, 2, "next");
	sandbox_close(sb);
	assert_no_child();
}

/* What the parent holds after the zygote started is not in any worker. */
static void
test_workers_do_not_inherit_later_memory(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;

	(void)state;
	c.max_jobs = 1;
	snprintf(parent_secret, sizeof(parent_secret), "none");
	sb = open_sb(&c, test_fn, NULL);
	snprintf(parent_secret, sizeof(parent_secret), "the audit key");
	submit(sb, 1, "GLOBAL");
	submit(sb, 2, "GLOBAL");
	expect_echo(sb, 1, "none");
	expect_echo(sb, 2, "none");
	sandbox_close(sb);
	snprintf(parent_secret, sizeof(parent_secret), "none");
	assert_no_child();
}

/* A worker's stderr comes escaped, as the worker's: no fake log line. */
static void
test_worker_stderr_is_escaped_and_attributed(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;
	char *pid, want[64];

	(void)state;
	c.max_jobs = 1;
	c.on_stderr = capture_stderr;
	stderr_seen[0] = '\0';
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 1, "STDERR");
	expect_echo(sb, 1, "said");
	sandbox_close(sb);
	assert_non_null(strstr(stderr_seen, "line \\x1b[31mred\n"));
	assert_null(strchr(stderr_seen, '\x1b'));
	/* Each line is the worker's, by pid: its fake one too. */
	assert_non_null(strstr(stderr_seen, "] 2026-01-01T00:00:00Z balpd[1]: "
	    "forged\n"));
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 2, "PID");
	pid = expect(sb, 2, SANDBOX_OK);
	snprintf(want, sizeof(want), "[%s] ", pid);
	free(pid);
	sandbox_close(sb);
	assert_int_equal(strncmp(stderr_seen, "[", 1), 0);
	assert_no_child();
}

/* ---------------------------------------------------------------- */
/* Waking up, closing                                                */

static void
test_wake_fd_interrupts_collect(void **state)
{
	struct itimerspec its;
	enum sandbox_status st;
	struct sandbox *sb;
	uint64_t tag, t0, el;
	size_t n;
	char *out;
	int tfd;

	(void)state;
	sb = open_sb(&base_conf, test_fn, NULL);	/* deadline 5 s */
	assert_true((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) >= 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 100 * 1000000L;
	submit(sb, 1, "HANG");
	t0 = ms_now();
	assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
	assert_int_equal(sandbox_collect(sb, tfd, &tag, &st, &out, &n, NULL),
	    0);
	el = ms_now() - t0;
	assert_true(el >= 99 && el < 1000);
	assert_null(out);
	assert_int_equal(sandbox_in_flight(sb), 1);
	sandbox_close(sb);
	close(tfd);
	assert_no_child();
}

static void
test_close_with_jobs_in_flight_leaves_no_child(void **state)
{
	struct sandbox_conf c = base_conf;
	struct sandbox *sb;

	(void)state;
	c.workers = 2;
	sb = open_sb(&c, test_fn, NULL);
	submit(sb, 1, "HANG");
	submit(sb, 2, "SLOW");
	submit(sb, 3, "HANG");
	submit(sb, 4, "x");
	assert_int_equal(sandbox_in_flight(sb), 4);
	sandbox_close(sb);
	assert_no_child();
}

/* Gone, or a zombie its new parent has not reaped (a container's init). */
static int
gone(pid_t pid)
{
	char path[64], st[512], *p;
	FILE *f;
	int z = 0;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(st, sizeof(st), f) != NULL && (p = strrchr(st, ')')) != NULL)
		z = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return z;
}

/*
 * A daemon killed with a job spinning in its worker: the worker must not
 * spin on, orphaned.  The "daemon" is a child of the test; it tells the
 * pid of its worker, leaves it on HANG and dies without sandbox_close.
 */
static void
test_worker_dies_with_its_parent(void **state)
{
	struct sandbox *sb;
	enum sandbox_status st;
	uint64_t tag, t0;
	size_t n;
	char *out, buf[32];
	pid_t daemon, worker;
	int fds[2], i;
	ssize_t r;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	if ((daemon = fork()) == 0) {
		close(fds[0]);
		if (sandbox_open_own(&base_conf, test_fn, NULL, NULL, &sb,
		    NULL) == -1 ||
		    sandbox_submit(sb, 1, -1, "PID", 3, 0, NULL) == -1 ||
		    sandbox_collect(sb, -1, &tag, &st, &out, &n, NULL) != 1 ||
		    st != SANDBOX_OK)
			_exit(1);
		if (write(fds[1], out, n) != (ssize_t)n)
			_exit(1);
		(void)sandbox_submit(sb, 2, -1, "HANG", 4, 0, NULL);
		busy_ms(50);	/* let it start spinning */
		_exit(0);
	}
	assert_true(daemon > 0);
	close(fds[1]);
	memset(buf, 0, sizeof(buf));
	r = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_true(r > 0);
	worker = (pid_t)strtol(buf, NULL, 10);
	assert_true(worker > 0);
	assert_int_equal(waitpid(daemon, &i, 0), daemon);
	assert_true(WIFEXITED(i) && WEXITSTATUS(i) == 0);
	t0 = ms_now();
	while (!gone(worker) && ms_now() - t0 < 3000)
		busy_ms(10);
	assert_true(gone(worker));
	assert_no_child();
}

/* Each test starts with a clean shared page. */
#define T(f)	cmocka_unit_test_setup(f, reset_shared)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_echo_answers_in_order),
		T(test_option_reaches_the_function),
		T(test_collect_with_nothing_in_flight),
		T(test_open_refuses_bad_conf),
		T(test_input_over_max_input_refused_at_submit),
		T(test_fn_failure_is_failed),
		T(test_answer_over_max_output_fails),
		T(test_garbled_answer_fails_and_replaces_worker),
		T(test_crash_is_crashed_and_sandbox_goes_on),
		T(test_exit_during_job_is_a_crash),
		T(test_flaky_is_retried_once),
		T(test_hang_times_out),
		T(test_worker_replaced_after_max_jobs),
		T(test_order_with_two_workers_uneven_cost),
		T(test_2000_pipelined_jobs_with_big_inputs),
		T(test_file_shorter_than_len_fails_job),
		T(test_worker_death_mid_input_raises_no_sigpipe),
		T(test_worker_is_sandboxed),
		T(test_worker_starts_clean),
		T(test_worker_that_cannot_start_fails_sandbox),
		T(test_one_message_per_process),
		T(test_worker_never_sees_the_next_message),
		T(test_forged_answer_for_the_next_message_is_dropped),
		T(test_workers_do_not_inherit_later_memory),
		T(test_worker_stderr_is_escaped_and_attributed),
		T(test_wake_fd_interrupts_collect),
		T(test_close_with_jobs_in_flight_leaves_no_child),
		T(test_worker_dies_with_its_parent),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
