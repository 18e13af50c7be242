/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_open - what the unit tests that use a store share:
 * store_open() as balpd and balpctl do it, with an audit key set
 * (store_audit.h: appends need one), a fresh store in a folder of its own
 * for a test, and raw SQL behind the store's back.  Include after
 * cmocka.h (the raw helpers assert).
 */
#ifndef BALP_TEST_STORE_OPEN_H
#define BALP_TEST_STORE_OPEN_H

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "balp/store.h"
#include "balp/store_audit.h"
#include "tmpdir.h"

/* The tests' audit key: any 32 bytes do. */
static const unsigned char test_audit_key[STORE_AUDIT_KEY_LEN] = {
	0x62, 0x61, 0x6c, 0x70, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x61,
	0x75, 0x64, 0x69, 0x74, 0x2d, 0x6b, 0x65, 0x79,
};

static inline int
test_store_open(const char *path, struct store **st, struct buf *err)
{
	int rc = store_open(path, st, err);

	if (rc == STORE_OK)
		store_audit_key(*st, test_audit_key);
	return rc;
}

/*
 * A fresh store for one test: dir (64 bytes) a new folder named after
 * name (tmpdir.h), path (128 bytes) its balp.db, *st opened.  0 or -1
 * (the error on stderr).
 */
static inline int
test_store_make(char *dir, char *path, struct store **st, const char *name)
{
	struct buf err = BUF_INIT;
	int rc = 0;

	if (tmpdir_make(dir, 64, name) == -1)
		return -1;
	snprintf(path, 128, "%s/balp.db", dir);
	if (test_store_open(path, st, &err) != STORE_OK) {
		fprintf(stderr, "%s\n", buf_str(&err));
		rc = -1;
	}
	buf_free(&err);
	return rc;
}

/* Closes st and removes dir with everything in it. */
static inline void
test_store_done(const char *dir, struct store *st)
{
	store_close(st);
	tmpdir_remove(dir);
}

/* Runs SQL on a second, raw connection (behind the store's back). */
static inline void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("raw sql: %s", msg);
	sqlite3_close(db);
}

/* The one integer a query gives, read on a raw connection. */
static inline long
raw_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * The fixture of the store's tests: a database of its own per test.  A
 * test file defines TEST_STORE_NAME (the temp folder's name) and uses
 * setup/teardown below with cmocka_unit_test_setup_teardown.
 */
#ifdef TEST_STORE_NAME
struct fx {
	char		 dir[64];
	char		 path[128];
	struct store	*st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || test_store_make(fx->dir, fx->path, &fx->st,
	    TEST_STORE_NAME) == -1) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	test_store_done(fx->dir, fx->st);
	free(fx);
	return 0;
}
#endif

#endif
