/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_secret - passwords from 0600 files: the content read as it is (one
 * final line end dropped), and every file a password must not come from
 * refused with a message that names the file and never its content.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balp/secret.h"

struct fx {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (tmpdir_make(fx->dir, sizeof(fx->dir), "secret") == -1)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/imap.pass", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *content, size_t len, mode_t mode)
{
	FILE *f;

	(void)unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Reads path expecting want (NULL: a refusal whose message has why). */
static void
check(const char *path, const char *want, const char *why)
{
	struct buf err = BUF_INIT;
	char *pw = (char *)1;
	int r;

	r = secret_read(path, &pw, &err);
	if (want != NULL) {
		if (r != 0)
			fail_msg("refused: %s", buf_str(&err));
		assert_string_equal(pw, want);
		secret_free(pw);
	} else {
		assert_int_equal(r, -1);
		assert_null(pw);
		if (strstr(buf_str(&err), why) == NULL)
			fail_msg("want \"%s\" in \"%s\"", why, buf_str(&err));
		assert_non_null(strstr(buf_str(&err), path));
		assert_null(strstr(buf_str(&err), "s3cr3t"));
	}
	buf_free(&err);
}

static void
test_read(void **state)
{
	struct fx *fx = *state;

	write_file(fx->path, "s3cr3t", 6, 0600);
	check(fx->path, "s3cr3t", NULL);
	write_file(fx->path, "s3cr3t\n", 7, 0600);
	check(fx->path, "s3cr3t", NULL);
	write_file(fx->path, "s3cr3t\r\n", 8, 0400);
	check(fx->path, "s3cr3t", NULL);
	/* Spaces are part of a password. */
	write_file(fx->path, " s3 cr3t ", 9, 0600);
	check(fx->path, " s3 cr3t ", NULL);
}

static void
test_refused(void **state)
{
	struct fx *fx = *state;
	char big[5000];

	write_file(fx->path, "s3cr3t", 6, 0644);
	check(fx->path, NULL, "mode 0644 lets group or others read");
	write_file(fx->path, "s3cr3t", 6, 0640);
	check(fx->path, NULL, "chmod 600");
	write_file(fx->path, "s3cr3t", 6, 0602);
	check(fx->path, NULL, "mode 0602");
	write_file(fx->path, "", 0, 0600);
	check(fx->path, NULL, "empty");
	write_file(fx->path, "\n", 1, 0600);
	check(fx->path, NULL, "empty");
	write_file(fx->path, "s3cr3t\nother\n", 13, 0600);
	check(fx->path, NULL, "more than one line");
	write_file(fx->path, "s3c\0r3t", 7, 0600);
	check(fx->path, NULL, "more than one line");
	memset(big, 'x', sizeof(big));
	write_file(fx->path, big, sizeof(big), 0600);
	check(fx->path, NULL, "larger than 4 KiB");
	check(fx->dir, NULL, "not a regular file");
	(void)unlink(fx->path);
	check(fx->path, NULL, "cannot open");
	/* A symbolic link is not followed (O_NOFOLLOW). */
	write_file(fx->path, "s3cr3t", 6, 0600);
	{
		char link[160];

		snprintf(link, sizeof(link), "%s/link.pass", fx->dir);
		assert_int_equal(symlink(fx->path, link), 0);
		check(link, NULL, "cannot open");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
