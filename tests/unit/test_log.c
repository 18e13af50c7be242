/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log - the stable fields of balpd's event lines (log_fields): every
 * value on one line, none running into the next, nothing but printable
 * ASCII, long values cut; and the line written once whether or not the
 * journal takes it.
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

#include "balp/log.h"

/* Runs fn with stderr sent to a file; returns what it wrote (freed by the
 * caller). */
static char *
captured(void (*fn)(void))
{
	char path[] = "/tmp/balp-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char *out;
	FILE *f;
	long n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_non_null(f = fdopen(fd, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_non_null(out = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	return out;
}

static char long_value[301];

static void
write_fields(void)
{
	struct log_field f[] = {
		{ "msgid", "a b=c\"d\r\ne\x01" "\xc3\xa9" },
		{ "partner", NULL },
		{ "type", "" },
		{ "outcome", "quarantined" },
		{ "long", long_value },
	};

	log_fields(0, "decision", f, sizeof(f) / sizeof(f[0]));
	log_fields(1, "decision", f + 3, 1);
}

static void
test_fields_line(void **state)
{
	char *out, want[400];

	(void)state;
	memset(long_value, 'x', 300);
	log_init("test_log");
	out = captured(write_fields);
	snprintf(want, sizeof(want), "test_log[%ld]: decision msgid=a?b?c?d??e"
	    "??? partner=- type=- outcome=quarantined long=", (long)getpid());
	assert_non_null(strstr(out, want));
	/* 200 bytes of the value, then the line ends */
	assert_non_null(strstr(out, "long=xxxxxxxxxx"));
	assert_null(strstr(out, "long=" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" "x"));
	assert_non_null(strstr(out, "security: decision outcome=quarantined\n"));
	free(out);
}

/*
 * JOURNAL_STREAM names the stream systemd gave balpd: while stderr is
 * still that stream, --syslog lines go to the journal itself (with their
 * fields), not to stderr, which systemd would put in the journal again;
 * a stderr redirected elsewhere keeps them.  (What the journal gets is
 * not seen here: sd_journal_sendv drops them when no journald listens.)
 */
static int journal_same;

static void
write_one(void)
{
	struct stat st;
	char js[64];
	struct log_field f = { "outcome", "accepted" };

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (journal_same ? 0 : 1));
	setenv("JOURNAL_STREAM", js, 1);
	log_syslog();
	log_fields(0, "decision", &f, 1);
	log_info("plain %d", 42);
	unsetenv("JOURNAL_STREAM");
}

static void
test_journal_stream(void **state)
{
	char *out;

	(void)state;
	journal_same = 0;
	out = captured(write_one);
	assert_non_null(strstr(out, "decision outcome=accepted\n"));
	assert_non_null(strstr(out, "plain 42\n"));
	free(out);
	journal_same = 1;
	out = captured(write_one);
	assert_null(strstr(out, "decision"));
	assert_null(strstr(out, "plain 42"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_line),
		cmocka_unit_test(test_journal_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
