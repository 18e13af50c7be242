/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf - a growable byte string, the one place input gets copied.
 *
 * Every string built from untrusted input goes through a struct buf so that
 * no input ever lands in a fixed-size array.  The content is always
 * NUL-terminated (data may be NULL while len == 0).  An allocation failure
 * sets `failed`, makes every later append a no-op and returns -1, so a caller
 * may append many times and check once.
 *
 * Ownership: the buf owns data; buf_free() releases it, buf_detach() hands it
 * to the caller (who frees it with free()).
 */
#ifndef BALP_BUF_H
#define BALP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

#define BUF_INIT { NULL, 0, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_putc(struct buf *, char);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Returns the string (never NULL unless allocation failed); caller frees. */
char	*buf_detach(struct buf *);
/* The content as a C string; "" when empty.  Owned by the buf. */
const char *buf_str(const struct buf *);

/* strndup that never reads past n; caller frees.  NULL on ENOMEM. */
char	*buf_strndup(const char *, size_t);
/* strdup of a possibly NULL string; caller frees. */
char	*buf_strdup(const char *);

#endif
