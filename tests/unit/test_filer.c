/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_filer - the filer processes' contract (filer.h), on a Maildir:
 * what waited for one folder goes to one filer in one job; a folder is
 * filed by one filer at a time; a message handed over again while it is
 * being filed follows the first filing (one file, both answered); a filer
 * that dies fails only its filings in hand, one that cannot be told none;
 * with none left, what waits is filed in the caller's process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balp/filer.h"
#include "balp/source_registry.h"

#define MAX_DONE	32

struct fx {
	char			 root[64];
	struct source_conf	 sc;
	struct filer		*f;
	struct filer_hooks	 hk;		/* on_done; here: none */
	struct source		 here;		/* the caller's, once opened */
	/* what done() was told, in order */
	uint64_t		 cookie[MAX_DONE];
	int			 rc[MAX_DONE];
	char			 why[MAX_DONE][128];
	size_t			 n_done;
	/* what job() was told, in order: "n/failed/here folder" */
	char			 job[MAX_DONE][64];
	size_t			 n_job;
};

static void
on_done(uint64_t cookie, int rc, const char *why, void *arg)
{
	struct fx *fx = arg;

	assert_true(fx->n_done < MAX_DONE);
	fx->cookie[fx->n_done] = cookie;
	fx->rc[fx->n_done] = rc;
	snprintf(fx->why[fx->n_done], sizeof(fx->why[0]), "%s", why);
	fx->n_done++;
}

static void
on_job(const struct filer_job *j, void *arg)
{
	struct fx *fx = arg;

	assert_true(fx->n_job < MAX_DONE);
	assert_true(j->usec < 10000000);
	snprintf(fx->job[fx->n_job++], sizeof(fx->job[0]), "%zu/%zu/%d %s",
	    j->n, j->failed, j->here, j->folder);
}

static int
open_filers(struct fx *fx, unsigned n)
{
	struct buf err = BUF_INIT;
	int r = filer_open(&fx->sc, n, 8, &fx->f, &err);

	if (r == -1)
		fprintf(stderr, "%s\n", buf_str(&err));
	buf_free(&err);
	return r;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct buf err = BUF_INIT;

	if (fx == NULL || tmpdir_make(fx->root, sizeof(fx->root), "filer") ==
	    -1)
		return -1;
	fx->sc.kind = SOURCE_MAILDIR;
	fx->sc.maildir_path = fx->root;
	fx->hk.done = on_done;
	fx->hk.job = on_job;
	fx->hk.arg = fx;
	if (source_registry_create(&fx->sc, &err) == -1) {
		fprintf(stderr, "%s\n", buf_str(&err));
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	filer_close(fx->f);
	if (fx->here.ops != NULL)
		fx->here.ops->close(fx->here.state);
	tmpdir_remove(fx->root);
	free(fx);
	return 0;
}

/* A sealed message in memory, as LMTP spools it; the caller closes. */
static int
message(const char *id)
{
	char text[256];
	int fd, n;

	n = snprintf(text, sizeof(text), "From: a@b.test\r\nMessage-ID: "
	    "<%s@b.test>\r\nSubject: x\r\n\r\nhello\r\n", id);
	assert_true((fd = memfd_create("msg", MFD_CLOEXEC)) >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	return fd;
}

/* Queued: 0, or 1 following the same message's filing. */
static int
submit(struct fx *fx, uint64_t cookie, const char *folder, const char *ref)
{
	struct buf err = BUF_INIT;
	char id[32];
	int fd, r;

	snprintf(id, sizeof(id), "m%llu", (unsigned long long)cookie);
	fd = message(id);
	r = filer_submit(fx->f, cookie, folder, ref, fd,
	    (uint64_t)lseek(fd, 0, SEEK_END), "$BALP_RIB", 1796000000, &err);
	assert_true(r == 0 || r == 1);
	/* The filer holds its own copy. */
	close(fd);
	buf_free(&err);
	return r;
}

/* Dispatches, then waits once for the busy filers and reaps them. */
static size_t
turn(struct fx *fx)
{
	struct pollfd pfd[FILER_MAX];
	size_t n;

	filer_dispatch(fx->f, &fx->hk);
	n = filer_pollfds(fx->f, pfd);
	if (n == 0)
		return 0;
	assert_true(poll(pfd, n, 10000) > 0);
	filer_reap(fx->f, pfd, n, &fx->hk);
	return n;
}

/* The caller's own session, lent for filing when no filer is left. */
static void
lend_here(struct fx *fx)
{
	struct buf err = BUF_INIT;

	assert_int_equal(source_registry_open(&fx->sc, 0, &fx->here, &err),
	    0);
	fx->hk.here = &fx->here;
	buf_free(&err);
}

/* Files in folder's new/. */
static int
files_in(struct fx *fx, const char *dir)
{
	char path[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s/new", fx->root, dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The filer processes of ours (by their name), into pids. */
static size_t
scan_filers(pid_t *pids, size_t max)
{
	char path[300], stat[256];
	struct dirent *e;
	size_t n = 0;
	DIR *d;
	FILE *fp;
	int ppid;
	char comm[32];

	assert_non_null(d = opendir("/proc"));
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(stat, sizeof(stat), fp) != NULL &&
		    sscanf(stat, "%*d (%31[^)]) %*c %d", comm, &ppid) == 2 &&
		    ppid == getpid() && strcmp(comm, "balp-filer") == 0)
			pids[n++] = (pid_t)atoi(e->d_name);
		fclose(fp);
	}
	closedir(d);
	return n;
}

/* want of them, once each has named itself (right after its fork). */
static size_t
filer_pids(pid_t *pids, size_t want)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 200 && (n = scan_filers(pids, want)) < want; i++)
		usleep(10 * 1000);
	return n;
}

/* Three filings that waited for one folder: one job, answered at once. */
static void
test_what_waited_goes_in_one_job(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(open_filers(fx, 1), 0);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	submit(fx, 2, "BALP/RIB", "1796000000.Lb.balp");
	submit(fx, 3, "BALP/RIB", "1796000000.Lc.balp");
	assert_int_equal(turn(fx), 1);
	/* One reap answered all three: they went together. */
	assert_int_equal(fx->n_done, 3);
	assert_int_equal(fx->rc[0] + fx->rc[1] + fx->rc[2], 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 3);
	/* Told as one job, after its filings. */
	assert_int_equal(fx->n_job, 1);
	assert_string_equal(fx->job[0], "3/0/0 BALP/RIB");
}

/* Two filers free, two filings for one folder: one filer at a time. */
static void
test_one_filer_per_folder(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd[FILER_MAX];
	size_t i;

	assert_int_equal(open_filers(fx, 2), 0);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	filer_dispatch(fx->f, &fx->hk);
	submit(fx, 2, "BALP/RIB", "1796000000.Lb.balp");
	submit(fx, 3, "BALP/Rejets", "1796000000.Lc.balp");
	filer_dispatch(fx->f, &fx->hk);
	/* The second filer took the other folder, not the busy one's. */
	assert_int_equal(filer_pollfds(fx->f, pfd), 2);
	while (fx->n_done < 3)
		assert_true(turn(fx) > 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 2);
	assert_int_equal(files_in(fx, ".BALP.Rejets"), 1);
	/* RIB's first filing was answered before its second. */
	for (i = 0; fx->cookie[i] != 1; i++)
		assert_int_not_equal(fx->cookie[i], 2);
}

/* The same message twice (two sessions): filed once, both answered 250. */
static void
test_a_message_handed_again_follows(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(open_filers(fx, 2), 0);
	assert_int_equal(submit(fx, 1, "BALP/RIB", "1796000000.La.balp"), 0);
	filer_dispatch(fx->f, &fx->hk);
	/* In hand already; and a third time while still waiting. */
	assert_int_equal(submit(fx, 2, "BALP/RIB", "1796000000.La.balp"), 1);
	assert_int_equal(submit(fx, 3, "BALP/RIB", "1796000000.La.balp"), 1);
	while (fx->n_done < 3)
		assert_true(turn(fx) > 0);
	assert_int_equal(fx->rc[0], 0);
	assert_int_equal(fx->rc[1], 0);
	assert_int_equal(fx->rc[2], 0);
	/* A Maildir refuses a second file of one name: there was none. */
	assert_int_equal(files_in(fx, ".BALP.RIB"), 1);
	/* One job: the followers are not in it. */
	assert_int_equal(fx->n_job, 1);
	assert_string_equal(fx->job[0], "1/0/0 BALP/RIB");
}

/* A filer killed with a job in hand: that job fails, the other files. */
static void
test_a_filer_that_dies_fails_its_job(void **state)
{
	struct fx *fx = *state;
	pid_t pids[4];
	size_t n;

	assert_int_equal(open_filers(fx, 2), 0);
	assert_int_equal(filer_pids(pids, 4), 2);
	/* Both stopped: the jobs wait in their sockets. */
	kill(pids[0], SIGSTOP);
	kill(pids[1], SIGSTOP);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	submit(fx, 2, "BALP/Rejets", "1796000000.Lb.balp");
	filer_dispatch(fx->f, &fx->hk);
	kill(pids[0], SIGKILL);
	kill(pids[1], SIGCONT);
	while (fx->n_done < 2)
		assert_true(turn(fx) > 0);
	n = (size_t)(fx->rc[0] == -1) + (size_t)(fx->rc[1] == -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(fx->rc[0] == -1 ? fx->why[0] : fx->why[1],
	    "died"));
	assert_int_equal(files_in(fx, ".BALP.RIB") +
	    files_in(fx, ".BALP.Rejets"), 1);
	assert_int_equal(filer_alive(fx->f), 1);
	/* The filer left files the next one. */
	submit(fx, 3, "BALP/RIB", "1796000000.Lc.balp");
	assert_int_equal(turn(fx), 1);
	assert_int_equal(fx->rc[2], 0);
}

/* A free filer that dies is seen gone: the next job goes to another. */
static void
test_a_free_filer_that_dies_is_seen(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd[FILER_MAX];
	pid_t pids[4];
	size_t n;

	assert_int_equal(open_filers(fx, 2), 0);
	assert_int_equal(filer_pids(pids, 2), 2);
	kill(pids[0], SIGKILL);
	n = filer_pollfds(fx->f, pfd);
	assert_int_equal(n, 2);
	assert_true(poll(pfd, n, 10000) > 0);
	filer_reap(fx->f, pfd, n, &fx->hk);
	assert_int_equal(fx->n_done, 0);
	assert_int_equal(filer_alive(fx->f), 1);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	while (fx->n_done < 1)
		assert_true(turn(fx) > 0);
	assert_int_equal(fx->rc[0], 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 1);
}

/*
 * The last filer dies with a job in hand and others waiting: that job
 * fails (it may have filed some), what waited is filed here, by folder,
 * a follower with what it follows; what comes later too.
 */
static void
test_no_filer_left_files_here(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd[FILER_MAX];
	pid_t pids[4];
	size_t i, n;

	lend_here(fx);
	assert_int_equal(open_filers(fx, 1), 0);
	assert_int_equal(filer_pids(pids, 4), 1);
	kill(pids[0], SIGSTOP);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	filer_dispatch(fx->f, &fx->hk);
	/* Waiting: the only filer is busy. */
	submit(fx, 2, "BALP/RIB", "1796000000.Lb.balp");
	submit(fx, 3, "BALP/RIB", "1796000000.Lc.balp");
	assert_int_equal(submit(fx, 4, "BALP/RIB", "1796000000.Lb.balp"), 1);
	submit(fx, 5, "BALP/Rejets", "1796000000.Ld.balp");
	filer_dispatch(fx->f, &fx->hk);
	assert_int_equal(fx->n_done, 0);
	kill(pids[0], SIGKILL);
	n = filer_pollfds(fx->f, pfd);
	assert_true(poll(pfd, n, 10000) > 0);
	filer_reap(fx->f, pfd, n, &fx->hk);
	assert_int_equal(fx->n_done, 1);
	assert_int_equal(fx->cookie[0], 1);
	assert_int_equal(fx->rc[0], -1);
	assert_non_null(strstr(fx->why[0], "died"));
	assert_int_equal(filer_alive(fx->f), 0);
	filer_dispatch(fx->f, &fx->hk);
	assert_int_equal(fx->n_done, 5);
	for (i = 1; i < 5; i++)
		assert_int_equal(fx->rc[i], 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 2);
	assert_int_equal(files_in(fx, ".BALP.Rejets"), 1);
	assert_int_equal(fx->n_job, 3);
	assert_string_equal(fx->job[0], "1/1/0 BALP/RIB");
	assert_string_equal(fx->job[1], "2/0/1 BALP/RIB");
	assert_string_equal(fx->job[2], "1/0/1 BALP/Rejets");
	/* Later ones wait all the same, and are filed here. */
	submit(fx, 6, "BALP/RIB", "1796000000.Le.balp");
	assert_int_equal(turn(fx), 0);
	assert_int_equal(fx->n_done, 6);
	assert_int_equal(fx->cookie[5], 6);
	assert_int_equal(fx->rc[5], 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 3);
}

/* A filer gone before it is told: its job was not sent, it is filed here. */
static void
test_a_job_not_told_is_filed_here(void **state)
{
	struct fx *fx = *state;
	pid_t pids[4];

	lend_here(fx);
	assert_int_equal(open_filers(fx, 1), 0);
	assert_int_equal(filer_pids(pids, 4), 1);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	submit(fx, 2, "BALP/Rejets", "1796000000.Lb.balp");
	kill(pids[0], SIGKILL);
	/* Reaped by the kernel before the job is sent: EPIPE, not told. */
	usleep(100 * 1000);
	filer_dispatch(fx->f, &fx->hk);
	assert_int_equal(filer_alive(fx->f), 0);
	assert_int_equal(fx->n_done, 2);
	assert_int_equal(fx->rc[0], 0);
	assert_int_equal(fx->rc[1], 0);
	assert_int_equal(files_in(fx, ".BALP.RIB"), 1);
	assert_int_equal(files_in(fx, ".BALP.Rejets"), 1);
}

/* No filer left and no source lent: what waits fails, nothing filed. */
static void
test_no_filer_left_nowhere(void **state)
{
	struct fx *fx = *state;
	pid_t pids[4];

	assert_int_equal(open_filers(fx, 1), 0);
	assert_int_equal(filer_pids(pids, 4), 1);
	submit(fx, 1, "BALP/RIB", "1796000000.La.balp");
	kill(pids[0], SIGKILL);
	usleep(100 * 1000);
	filer_dispatch(fx->f, &fx->hk);
	assert_int_equal(fx->n_done, 1);
	assert_int_equal(fx->rc[0], -1);
	assert_non_null(strstr(fx->why[0], "no filer left"));
	assert_int_equal(files_in(fx, ".BALP.RIB"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_what_waited_goes_in_one_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_filer_per_folder,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_message_handed_again_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_filer_that_dies_fails_its_job, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_free_filer_that_dies_is_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_filer_left_files_here, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_job_not_told_is_filed_here, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_filer_left_nowhere,
		    setup, teardown),
	};

	/* A filer killed here must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
