/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pipeline - the pipeline over a real Maildir and a real store, with
 * the parser workers running a test parser that crashes, hangs or fails
 * once on a marker, then parses with mime_worker like the daemon; and the
 * annex a referent mails, whose reader crashes or hangs on a marker.  Each
 * test has its own home: conf/balp.conf copied, rules/ linked, var/ fresh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_store_open.h"
#include "tmpdir.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "balp/conf.h"
#include "balp/date.h"
#include "balp/maildir.h"
#include "balp/mime.h"
#include "balp/pipeline.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/store.h"
#include "balp/store_decision.h"
#include "balp/store_partner.h"
#include "balp/store_staged.h"

struct fx {
	char			 dir[64];
	struct balp_conf	 conf;
	struct store		*store;
	struct source		 src;
	/* Shared with the workers: how often "flaky" was parsed. */
	int			*flaky_seen;
};

static struct mime_limits limits = MIME_LIMITS_DEFAULT;

/*
 * The test parser.  Markers are header fields, so that the rest of the
 * message parses as usual.  Runs in a worker, under seccomp.
 */
static int
test_parse(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	int *flaky_seen = arg;

	/* The annex reader's job (mime_annex_worker) on its own markers. */
	if ((opt & MIME_OPT_ANNEX) &&
	    memmem(in, len, "X-Test: annex-crash", 19) != NULL)
		abort();
	if ((opt & MIME_OPT_ANNEX) &&
	    memmem(in, len, "X-Test: annex-hang", 18) != NULL)
		for (;;)
			;
	if (memmem(in, len, "X-Test: crash", 13) != NULL)
		abort();
	if (memmem(in, len, "X-Test: hang", 12) != NULL)
		for (;;)
			;
	if (memmem(in, len, "X-Test: flaky", 13) != NULL &&
	    __atomic_fetch_add(flaky_seen, 1, __ATOMIC_SEQ_CST) == 0)
		abort();
	return mime_worker(in, len, opt, out, &limits);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Puts a message in the inbox's new/, with a marker header (or none). */
static void
deliver(struct fx *fx, const char *name, const char *marker)
{
	char path[256], text[1024];

	/* Right in every way but its sender, who is in no annex here. */
	snprintf(text, sizeof(text),
	    "Authentication-Results: mx.caf.test; dmarc=pass"
	    " header.from=apeai34.fr\n"
	    "From: A Martin <a.martin@apeai34.fr>\n"
	    "To: balp@caf.test\n"
	    "Subject: Suspension - DUPONT Jean - 1 85 05 78 006 084 91\n"
	    "Message-ID: <%s@test>\n"
	    "%s%s"
	    "\n"
	    "Le dossier est suspendu depuis le 01/01/2026.\n", name,
	    marker ? marker : "", marker ? "\n" : "");
	snprintf(path, sizeof(path), "%s/var/Maildir/new/%s", fx->dir, name);
	write_file(path, text);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct buf err = BUF_INIT;
	char p[256], q[256];
	FILE *in, *out;
	int c;

	if (fx == NULL)
		return -1;
	if (tmpdir_make(fx->dir, sizeof(fx->dir), "pipeline") == -1)
		return -1;
	snprintf(p, sizeof(p), "%s/conf", fx->dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/var", fx->dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/rules", fx->dir);
	if (symlink(BALP_SRCDIR "/rules", p) == -1)
		return -1;
	snprintf(q, sizeof(q), "%s/conf/balp.conf", fx->dir);
	if ((in = fopen(BALP_SRCDIR "/conf/balp.conf", "r")) == NULL ||
	    (out = fopen(q, "w")) == NULL)
		return -1;
	while ((c = getc(in)) != EOF)
		putc(c, out);
	fclose(in);
	fclose(out);
	if (conf_load(q, &fx->conf, &err) == -1) {
		fprintf(stderr, "%s", buf_str(&err));
		return -1;
	}
	fx->conf.parser_deadline_ms = 300;
	if (test_store_open(fx->conf.store_path, &fx->store, &err) != STORE_OK ||
	    maildir_create(fx->conf.source.maildir_path, &err) == -1 ||
	    source_registry_open(&fx->conf.source, 0, &fx->src, &err) == -1 ||
	    pipeline_ensure_queues(&fx->conf.rules, &fx->src, &err) == -1) {
		fprintf(stderr, "%s\n", buf_str(&err));
		return -1;
	}
	fx->flaky_seen = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fx->flaky_seen == MAP_FAILED)
		return -1;
	*fx->flaky_seen = 0;
	buf_free(&err);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	fx->src.ops->close(fx->src.state);
	store_close(fx->store);
	conf_free(&fx->conf);
	munmap(fx->flaky_seen, sizeof(int));
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static struct pipeline *
open_pipeline(struct fx *fx)
{
	struct pipeline *p = NULL;
	struct buf err = BUF_INIT;

	if (pipeline_open_with(&fx->conf, fx->store, NULL, "test", test_parse,
	    fx->flaky_seen, &p, &err) == -1)
		fail_msg("pipeline_open: %s", buf_str(&err));
	buf_free(&err);
	return p;
}

static int
pass(struct fx *fx, struct pipeline *p, int wake_fd)
{
	struct buf err = BUF_INIT;
	int n;

	n = pipeline_pass(p, &fx->src, wake_fd, NULL, NULL, &err);
	if (n == -1)
		fail_msg("pipeline_pass: %s", buf_str(&err));
	buf_free(&err);
	return n;
}

/* The stored decision's outcome and reasons, as "outcome reasons". */
static void
assert_decided(struct fx *fx, const char *ref, const char *want)
{
	struct store_decision d;
	char got[256];

	assert_int_equal(store_decision_find(fx->store, "maildir", ref, &d),
	    STORE_OK);
	snprintf(got, sizeof(got), "%s %s", d.outcome, d.reasons);
	assert_string_equal(got, want);
	store_decision_free(&d);
}

static size_t
count_files(struct fx *fx, const char *sub)
{
	char path[256];
	struct stat st;
	size_t n = 0;
	int i;

	/* Names are m00..m99: cheaper than readdir for these tests. */
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "%s/var/Maildir/%s/m%02d",
		    fx->dir, sub, i);
		n += stat(path, &st) == 0;
	}
	return n;
}

static void
test_crash_quarantined_and_the_pass_goes_on(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);

	deliver(fx, "m00", NULL);
	deliver(fx, "m01", "X-Test: crash");
	deliver(fx, "m02", NULL);
	assert_int_equal(pass(fx, p, -1), 3);
	assert_decided(fx, "m01", "quarantined malformed");
	/* The messages around it are decided as usual. */
	assert_decided(fx, "m00", "rejected sender_unknown");
	assert_decided(fx, "m02", "rejected sender_unknown");
	assert_int_equal(count_files(fx, "new"), 0);
	assert_int_equal(count_files(fx, ".BALP.Quarantaine/new"), 1);
	pipeline_close(p);
}

static void
test_hang_past_the_deadline_quarantined(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);

	deliver(fx, "m00", "X-Test: hang");
	deliver(fx, "m01", NULL);
	assert_int_equal(pass(fx, p, -1), 2);
	assert_decided(fx, "m00", "quarantined malformed");
	assert_decided(fx, "m01", "rejected sender_unknown");
	pipeline_close(p);
}

static void
test_worker_death_retried_once(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);

	deliver(fx, "m00", "X-Test: flaky");
	assert_int_equal(pass(fx, p, -1), 1);
	assert_int_equal(*fx->flaky_seen, 2);
	assert_decided(fx, "m00", "rejected sender_unknown");
	pipeline_close(p);
}

static void
test_workers_replaced_after_max_jobs(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p;
	char name[16];
	int i;

	fx->conf.parser_max_jobs = 2;
	p = open_pipeline(fx);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		deliver(fx, name, NULL);
	}
	assert_int_equal(pass(fx, p, -1), 9);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		assert_decided(fx, name, "rejected sender_unknown");
	}
	pipeline_close(p);
}

static void
test_group_commits(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p;
	char name[16];
	int i;

	fx->conf.batch_size = 3;
	fx->conf.batch_max_ms = 10000;
	p = open_pipeline(fx);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		deliver(fx, name, NULL);
	}
	assert_int_equal(pass(fx, p, -1), 10);
	assert_int_equal(pipeline_stats(p)->batches, 4);
	assert_int_equal(pipeline_stats(p)->decided, 10);
	assert_int_equal(count_files(fx, ".BALP.Rejets/new"), 10);
	pipeline_close(p);
}

static void
test_decided_before_is_only_moved(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);
	char from[256], to[256];

	deliver(fx, "m00", NULL);
	assert_int_equal(pass(fx, p, -1), 1);
	/* A crash between commit and move: the message is back. */
	snprintf(from, sizeof(from), "%s/var/Maildir/.BALP.Rejets/new/m00",
	    fx->dir);
	snprintf(to, sizeof(to), "%s/var/Maildir/new/m00", fx->dir);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(pass(fx, p, -1), 1);
	assert_int_equal(pipeline_stats(p)->decided, 1);
	assert_int_equal(pipeline_stats(p)->messages, 2);
	assert_int_equal(count_files(fx, ".BALP.Rejets/new"), 1);
	pipeline_close(p);
}

static void
test_wake_fd_stops_the_pass(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);
	int fds[2];

	deliver(fx, "m00", "X-Test: hang");
	deliver(fx, "m01", NULL);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(pass(fx, p, fds[0]), 0);
	assert_true(pipeline_interrupted(p));
	assert_int_equal(count_files(fx, "new"), 2);
	/* Nothing was decided: the next pass does it all. */
	assert_int_equal(pass(fx, p, -1), 2);
	assert_false(pipeline_interrupted(p));
	assert_int_equal(count_files(fx, "new"), 0);
	close(fds[0]);
	close(fds[1]);
	pipeline_close(p);
}


/*
 * A source whose fetch fails on "m01": for a passing reason (no
 * descriptor left), or for good (permissions: root would read a 0000 file
 * anyway, so the failure is simulated).
 */
static const struct source_ops *real_ops;
static int m01_fails_for_good;

static int
fetch_failing(void *st, const struct source_msg *m, size_t max,
    struct source_blob *blob, struct buf *err)
{
	if (strcmp(m->ref, "m01") == 0 && m01_fails_for_good) {
		buf_puts(err, "cannot open m01: Permission denied");
		return -1;
	}
	if (strcmp(m->ref, "m01") == 0) {
		buf_puts(err, "cannot open m01: Too many open files");
		return -2;
	}
	return real_ops->fetch(st, m, max, blob, err);
}

static struct source
failing_source(struct fx *fx, struct source_ops *ops, int for_good)
{
	struct source src;

	real_ops = fx->src.ops;
	m01_fails_for_good = for_good;
	*ops = *fx->src.ops;
	ops->fetch = fetch_failing;
	src.ops = ops;
	src.state = fx->src.state;
	return src;
}

struct seen {
	int	 errors;
	int	 decided;
	int	 warnings;	/* decided, with a reason for the log */
};

static void
count_report(const struct pipeline_report *rep, void *arg)
{
	struct seen *seen = arg;

	if (rep->warning != NULL &&
	    strstr(rep->warning, "Permission denied") != NULL)
		seen->warnings++;
	if (rep->error != NULL)
		seen->errors++;
	else if (rep->decision != NULL)
		seen->decided++;
}

static void
test_transient_fetch_error_leaves_the_message(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);
	struct source_ops ops;
	struct source flaky;
	struct store_decision d;
	struct seen seen = { 0, 0, 0 };
	struct buf err = BUF_INIT;

	deliver(fx, "m00", NULL);
	deliver(fx, "m01", NULL);
	deliver(fx, "m02", NULL);
	flaky = failing_source(fx, &ops, 0);
	assert_int_equal(pipeline_pass(p, &flaky, -1, count_report, &seen,
	    &err), 3);
	/* Reported as an error, neither decided nor quarantined. */
	assert_int_equal(seen.errors, 1);
	assert_int_equal(seen.decided, 2);
	assert_int_equal(store_decision_find(fx->store, "maildir", "m01", &d),
	    STORE_NOTFOUND);
	assert_int_equal(count_files(fx, "new"), 1);
	/* It is decided once the passing failure has passed. */
	assert_int_equal(pass(fx, p, -1), 1);
	assert_decided(fx, "m01", "rejected sender_unknown");
	assert_int_equal(count_files(fx, "new"), 0);
	buf_free(&err);
	pipeline_close(p);
}

static void
test_unreadable_quarantined_with_its_reason(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);
	struct source_ops ops;
	struct source bad;
	struct seen seen = { 0, 0, 0 };
	struct buf err = BUF_INIT;

	deliver(fx, "m01", NULL);
	bad = failing_source(fx, &ops, 1);
	assert_int_equal(pipeline_pass(p, &bad, -1, count_report, &seen, &err),
	    1);
	assert_int_equal(seen.errors, 0);
	assert_int_equal(seen.warnings, 1);	/* the log says why */
	assert_decided(fx, "m01", "quarantined malformed");
	assert_int_equal(count_files(fx, ".BALP.Quarantaine/new"), 1);
	buf_free(&err);
	pipeline_close(p);
}

static void
test_backlog_through_the_ring(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p;
	char name[16];
	int i;

	/* More messages than the pass keeps at once (window + 2 batches):
	 * its ring of items wraps around several times. */
	fx->conf.batch_size = 2;
	p = open_pipeline(fx);
	for (i = 0; i < 700; i++) {
		snprintf(name, sizeof(name), "r%03d", i);
		deliver(fx, name, i % 7 == 3 ? "X-Test: crash" : NULL);
	}
	/* The 100 crashes are left, then settled by a second look. */
	assert_int_equal(pass(fx, p, -1), 700);
	assert_int_equal(pipeline_stats(p)->decided, 700);
	assert_int_equal(pipeline_stats(p)->batches, 350 + 50);
	for (i = 0; i < 700; i++) {
		snprintf(name, sizeof(name), "r%03d", i);
		assert_decided(fx, name, i % 7 == 3 ? "quarantined malformed" :
		    "rejected sender_unknown");
	}
	pipeline_close(p);
}

/*
 * The parser broken for every message (the sandbox's test hook): the
 * breaker opens, nothing is decided, everything stays in the inbox; the
 * cause gone, the retry closes it and every message is decided once.
 */
static void
test_breaker_opens_when_every_parse_fails(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p;
	struct buf err = BUF_INIT;
	char hook[300], name[16];
	int fd, i;

	snprintf(hook, sizeof(hook), "%s/crash", fx->dir);
	assert_true((fd = open(hook, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	setenv(SANDBOX_CRASH_HOOK_ENV, hook, 1);
	p = open_pipeline(fx);		/* its zygote reads the hook */
	unsetenv(SANDBOX_CRASH_HOOK_ENV);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		deliver(fx, name, NULL);
	}
	assert_int_equal(pipeline_pass(p, &fx->src, -1, NULL, NULL, &err),
	    -1);
	assert_true(pipeline_breaker_open(p));
	assert_non_null(strstr(buf_str(&err), "the parser is failing"));
	assert_int_equal(pipeline_stats(p)->decided, 0);
	assert_int_equal(count_files(fx, "new"), 8);
	assert_int_equal(count_files(fx, ".BALP.Quarantaine/new"), 0);
	/* Open: a pass decides nothing, and says why. */
	buf_reset(&err);
	assert_int_equal(pipeline_pass(p, &fx->src, -1, NULL, NULL, &err),
	    -1);
	assert_int_equal(count_files(fx, "new"), 8);
	/* Not due yet: no retry. */
	assert_int_equal(pipeline_breaker_retry(p, time(NULL), &err), -1);
	/* Still broken when due: stays open, waits longer. */
	assert_int_equal(pipeline_breaker_retry(p, time(NULL) + 10, &err), -1);
	assert_true(pipeline_breaker_wait(p, time(NULL) + 10) >= 9);
	/* The cause fixed: closed, then every message decided once. */
	unlink(hook);
	assert_int_equal(pipeline_breaker_retry(p, time(NULL) + 3600, &err), 0);
	assert_false(pipeline_breaker_open(p));
	assert_int_equal(pass(fx, p, -1), 8);
	assert_int_equal(pipeline_stats(p)->decided, 8);
	assert_int_equal(count_files(fx, "new"), 0);
	assert_int_equal(count_files(fx, ".BALP.Quarantaine/new"), 0);
	buf_free(&err);
	pipeline_close(p);
}

/*
 * Hostile messages in a row cannot stop triage: the canary parses, so
 * they are theirs, quarantined; the mail after them is decided.
 */
static void
test_breaker_stays_closed_for_hostile_messages(void **state)
{
	struct fx *fx = *state;
	struct pipeline *p = open_pipeline(fx);
	char name[16];
	int i;

	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		deliver(fx, name, i < 6 ? "X-Test: crash" : NULL);
	}
	assert_int_equal(pass(fx, p, -1), 7);
	assert_false(pipeline_breaker_open(p));
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "m%02d", i);
		assert_decided(fx, name, "quarantined malformed");
	}
	assert_decided(fx, "m06", "rejected sender_unknown");
	pipeline_close(p);
}

/* A referent's annex mail, with a marker header (or none). */
static void
deliver_annex(struct fx *fx, const char *name, const char *marker)
{
	char path[256], text[2048];

	snprintf(text, sizeof(text),
	    "Authentication-Results: mx.caf.test; dmarc=pass"
	    " header.from=apeai34.fr\n"
	    "From: Referente <referente@apeai34.fr>\n"
	    "To: balp@caf.test\n"
	    "Subject: Mise a jour de l'annexe BALP\n"
	    "Message-ID: <%s@test>\n"
	    "%s%s"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nContent-Type: text/plain\n\nLa liste.\n"
	    "--b\nContent-Type: text/csv; name=annexe.csv\n"
	    "Content-Disposition: attachment; filename=annexe.csv\n\n"
	    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
	    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\n"
	    "--b--\n", name, marker ? marker : "", marker ? "\n" : "");
	snprintf(path, sizeof(path), "%s/var/Maildir/new/%s", fx->dir, name);
	write_file(path, text);
}

/*
 * The annex file is hostile input: a reader that crashes or hangs on it
 * quarantines the mail (malformed), nothing staged, and the pass goes
 * on; the same mail whose reader answers is staged with its decision.
 */
static void
test_annex_reader_crash_quarantined(void **state)
{
	struct fx *fx = *state;
	static const char *const refs[] = { "referente@apeai34.fr" };
	struct store_partner_spec ps = { "apeai", "APEAI", NULL, DATE_NONE,
	    DATE_NONE, STORE_NO_QUOTA };
	struct store_staged_list l;
	struct pipeline *p;

	assert_int_equal(store_partner_add_referents(fx->store, &ps, refs, 1,
	    "admin:test", time(NULL)), STORE_OK);
	p = open_pipeline(fx);
	deliver_annex(fx, "m00", "X-Test: annex-crash");
	deliver_annex(fx, "m01", "X-Test: annex-hang");
	deliver_annex(fx, "m02", NULL);
	assert_int_equal(pass(fx, p, -1), 3);
	assert_decided(fx, "m00", "quarantined malformed");
	assert_decided(fx, "m01", "quarantined malformed");
	assert_decided(fx, "m02", "accepted ");
	assert_int_equal(count_files(fx, ".BALP.Quarantaine/new"), 2);
	assert_int_equal(count_files(fx, ".BALP.Annexes/new"), 1);
	assert_int_equal(store_staged_list(fx->store, 0, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].partner_id, "apeai");
	assert_int_equal(l.v[0].added, 1);
	store_staged_list_free(&l);
	pipeline_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_crash_quarantined_and_the_pass_goes_on, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hang_past_the_deadline_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_death_retried_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_breaker_opens_when_every_parse_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_breaker_stays_closed_for_hostile_messages, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_workers_replaced_after_max_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_backlog_through_the_ring,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_decided_before_is_only_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake_fd_stops_the_pass,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unreadable_quarantined_with_its_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_transient_fetch_error_leaves_the_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_annex_reader_crash_quarantined, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
