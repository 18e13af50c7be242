/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_maildir - the Maildir source's contract (source.h): a message that
 * is gone is "gone", not an error; a passing failure (no descriptor left)
 * is told apart from a message that can never be read; moves re-create a
 * queue folder that went missing and never replace a file; sync makes a
 * batch of moves durable.  Each test has its own Maildir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balp/maildir.h"
#include "balp/source.h"

struct fx {
	char		 root[64];
	struct source	 src;
};

static void
put(struct fx *fx, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/new/%s", fx->root, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int
exists(struct fx *fx, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	return lstat(path, &st) == 0;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct buf err = BUF_INIT;

	if (fx == NULL)
		return -1;
	if (tmpdir_make(fx->root, sizeof(fx->root), "maildir") == -1 ||
	    maildir_create(fx->root, &err) == -1 ||
	    maildir_source_open(fx->root, 0, &fx->src, &err) == -1) {
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

	fx->src.ops->close(fx->src.state);
	tmpdir_remove(fx->root);
	free(fx);
	return 0;
}

/* The listing, which must hold exactly one message. */
static struct source_msg *
list_one(struct fx *fx, size_t *n)
{
	struct source_msg *v = NULL;
	struct buf err = BUF_INIT;

	assert_int_equal(fx->src.ops->list(fx->src.state, &v, n, &err), 0);
	assert_int_equal(*n, 1);
	buf_free(&err);
	return v;
}

static void
test_fetch_gives_a_descriptor_and_the_size(void **state)
{
	struct fx *fx = *state;
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	char got[16];
	size_t n;

	put(fx, "m1", "From: a@b.test\n\nhello\n");
	v = list_one(fx, &n);
	assert_int_equal(fx->src.ops->fetch(fx->src.state, &v[0], 1 << 20,
	    &blob, &err), 0);
	assert_true(blob.fd >= 0);
	assert_null(blob.data);
	assert_int_equal(blob.size, 22);
	assert_int_equal(blob.len, 22);
	assert_int_equal(pread(blob.fd, got, 4, 0), 4);
	assert_memory_equal(got, "From", 4);
	source_blob_free(&blob);
	assert_int_equal(blob.fd, -1);
	/* Over the cap: len is the cap, size the whole. */
	assert_int_equal(fx->src.ops->fetch(fx->src.state, &v[0], 10, &blob,
	    &err), 0);
	assert_int_equal(blob.len, 10);
	assert_int_equal(blob.size, 22);
	source_blob_free(&blob);
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_fetch_of_a_gone_message_is_gone(void **state)
{
	struct fx *fx = *state;
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	char path[256];
	size_t n;

	put(fx, "m1", "From: a@b.test\n\nhello\n");
	v = list_one(fx, &n);
	snprintf(path, sizeof(path), "%s/new/m1", fx->root);
	assert_int_equal(unlink(path), 0);
	/* errno was read before anything could change it: ENOENT = 1. */
	assert_int_equal(fx->src.ops->fetch(fx->src.state, &v[0], 1 << 20,
	    &blob, &err), 1);
	assert_int_equal(blob.fd, -1);
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_fetch_without_descriptors_is_transient(void **state)
{
	struct fx *fx = *state;
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	struct rlimit old, low;
	int fd, r;
	size_t n;

	put(fx, "m1", "From: a@b.test\n\nhello\n");
	v = list_one(fx, &n);
	/* No descriptor left above the lowest free one. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true((fd = open("/dev/null", O_RDONLY)) >= 0);
	close(fd);
	low = old;
	low.rlim_cur = (rlim_t)fd;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	r = fx->src.ops->fetch(fx->src.state, &v[0], 1 << 20, &blob, &err);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(r, -2);
	assert_non_null(strstr(buf_str(&err), strerror(EMFILE)));
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_fetch_of_a_fifo_is_unreadable_for_good(void **state)
{
	struct fx *fx = *state;
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	char path[256];
	size_t n;

	put(fx, "m1", "x");
	v = list_one(fx, &n);
	/* Swapped for a FIFO after the listing: never read, never hangs. */
	snprintf(path, sizeof(path), "%s/new/m1", fx->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(fx->src.ops->fetch(fx->src.state, &v[0], 1 << 20,
	    &blob, &err), -1);
	assert_non_null(strstr(buf_str(&err), "not a regular file"));
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_move_recreates_a_missing_folder(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	size_t n;

	assert_int_equal(fx->src.ops->ensure_folder(fx->src.state,
	    "BALP/Rejets", &err), 0);
	tmpdir_remove(fx->root);	/* all of it */
	assert_int_equal(maildir_create(fx->root, &err), 0);
	put(fx, "m1", "x");
	v = list_one(fx, &n);
	assert_false(exists(fx, ".BALP.Rejets"));
	assert_int_equal(fx->src.ops->move(fx->src.state, &v[0], "BALP/Rejets", NULL,
	    &err), 0);
	assert_true(exists(fx, ".BALP.Rejets/new/m1"));
	assert_true(exists(fx, ".BALP.Rejets/maildirfolder"));
	assert_false(exists(fx, "new/m1"));
	assert_int_equal(fx->src.ops->sync(fx->src.state, 1, &err), 0);
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_move_never_replaces_a_file(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	size_t n;

	assert_int_equal(fx->src.ops->ensure_folder(fx->src.state, "BALP/RIB",
	    &err), 0);
	put(fx, "m1", "second");
	v = list_one(fx, &n);
	{
		char path[256];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/.BALP.RIB/new/m1", fx->root);
		assert_non_null(fp = fopen(path, "w"));
		fputs("first", fp);
		fclose(fp);
	}
	assert_int_equal(fx->src.ops->move(fx->src.state, &v[0], "BALP/RIB", NULL,
	    &err), 0);
	assert_true(exists(fx, ".BALP.RIB/new/m1"));
	assert_true(exists(fx, ".BALP.RIB/new/m1.1"));
	source_msgs_free(v, n);
	buf_free(&err);
}

static void
test_move_of_a_gone_message_is_gone(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	struct source_msg *v;
	char path[256];
	size_t n;

	assert_int_equal(fx->src.ops->ensure_folder(fx->src.state, "BALP/RIB",
	    &err), 0);
	put(fx, "m1", "x");
	v = list_one(fx, &n);
	snprintf(path, sizeof(path), "%s/new/m1", fx->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(fx->src.ops->move(fx->src.state, &v[0], "BALP/RIB", NULL,
	    &err), 1);
	assert_string_equal(buf_str(&err), "");
	source_msgs_free(v, n);
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_fetch_gives_a_descriptor_and_the_size, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fetch_of_a_gone_message_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fetch_without_descriptors_is_transient, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_fetch_of_a_fifo_is_unreadable_for_good, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_move_recreates_a_missing_folder, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_move_never_replaces_a_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_move_of_a_gone_message_is_gone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
