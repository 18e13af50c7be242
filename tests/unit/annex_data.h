/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_data - what the annex file tests share: a file of
 * tests/data/annex/ read whole, a date, the count of error lines.
 */
#ifndef BALP_TEST_ANNEX_DATA_H
#define BALP_TEST_ANNEX_DATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "balp/date.h"

#define ANNEX_DATA	BALP_SRCDIR "/tests/data/annex/"

/*
 * The bytes of tests/data/annex/name, exactly: no terminating NUL, so
 * that ASan sees a parser reading past them.  Caller frees.
 */
static inline char *
annex_data(const char *name, size_t *len)
{
	char path[512];
	char *data;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), ANNEX_DATA "%s", name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* The day number of an ISO date the test writes. */
static inline int32_t
D(const char *iso)
{
	int32_t d;

	if (date_parse_iso(iso, &d) == -1)
		fail_msg("bad test date %s", iso);
	return d;
}

/* Lines of an error text. */
static inline size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

#endif
