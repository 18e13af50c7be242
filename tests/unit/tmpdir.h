/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tmpdir - what the unit tests that touch files share: a fresh folder
 * under /tmp for a test, and its removal with everything in it.
 */
#ifndef BALP_TEST_TMPDIR_H
#define BALP_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static inline int
tmpdir_rm_entry(const char *p, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* "/tmp/balp-NAME-XXXXXX" made into dir (size bytes); 0 or -1. */
static inline int
tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/balp-%s-XXXXXX", name);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Removes dir and all it holds (links are not followed). */
static inline void
tmpdir_remove(const char *dir)
{
	(void)nftw(dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
