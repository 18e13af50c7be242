/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table - aligned text columns (see table.h).
 */
#include "balp/table.h"
#include "balp/array.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

static size_t
width(const char *s)
{
	size_t i = 0, n = 0, len = strlen(s);

	while (i < len) {
		text_utf8_next(s, len, &i);
		n++;
	}
	return n;
}

int
table_init(struct table *t, size_t ncols, const char *const *header)
{
	t->ncols = ncols > TABLE_MAX_COLS ? TABLE_MAX_COLS : ncols;
	t->cells = NULL;
	t->nrows = 0;
	t->cap = 0;
	return table_add(t, header);
}

int
table_add(struct table *t, const char *const *cells)
{
	char **v;
	size_t i, base = t->nrows * t->ncols;

	if (ARRAY_RESERVE(t->cells, t->cap, base + t->ncols - 1) == -1)
		return -1;
	v = t->cells;
	/* Escaped once here: a cell may come from mail (a sender, a file
	 * name) and must not drive the terminal. */
	for (i = 0; i < t->ncols; i++) {
		struct buf e = BUF_INIT;
		const char *s = cells[i] != NULL ? cells[i] : "-";

		buf_add(&e, "", 0);
		text_escape(&e, s, strlen(s));
		v[base + i] = e.failed ? NULL : buf_detach(&e);
		buf_free(&e);
	}
	t->nrows++;
	for (i = 0; i < t->ncols; i++)
		if (v[base + i] == NULL)
			return -1;
	return 0;
}

void
table_print(const struct table *t, FILE *fp)
{
	size_t w[TABLE_MAX_COLS] = { 0 }, r, c, n;
	const char *s;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if (t->cells[r * t->ncols + c] != NULL &&
			    (n = width(t->cells[r * t->ncols + c])) > w[c])
				w[c] = n;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			s = t->cells[r * t->ncols + c];
			if (s == NULL)
				s = "-";
			fputs(s, fp);
			if (c + 1 == t->ncols)
				break;
			for (n = width(s); n < w[c] + 2; n++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
}

void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}
