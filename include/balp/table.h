/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table - rows of text printed in aligned columns (UTF-8 aware), for the
 * human outputs of balpctl and `balpd --once`.
 *
 * Ownership: the table copies every cell; table_free() releases them.
 */
#ifndef BALP_TABLE_H
#define BALP_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS	12

struct table {
	size_t	  ncols;
	char	**cells;	/* rows * ncols, row-major */
	size_t	  nrows;
	size_t	  cap;		/* cells allocated */
};

/* The header row is the first row. 0, or -1 on ENOMEM. */
int	 table_init(struct table *, size_t ncols, const char *const *header);
/* Adds a row of ncols cells (NULL prints as "-"). 0, or -1 on ENOMEM. */
int	 table_add(struct table *, const char *const *cells);
void	 table_print(const struct table *, FILE *);
void	 table_free(struct table *);

#endif
