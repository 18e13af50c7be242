/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_html - THE escaping of the console (balpweb): every value that
 * comes from mail, the annex, the store or a user reaches a page through
 * web_html_text, and through nothing else.  Pages write their markup as
 * string literals and numbers with buf_printf; a value is never given to
 * buf_puts or a "%s" (tests/unit/test_web_html.c greps the pages for it).
 *
 * The same escaping serves element text and quoted attribute values:
 * & < > " ' become entities.  Control characters (but tab and line feed)
 * become spaces and bytes that are not UTF-8 become U+FFFD, so that a
 * value can neither break the markup nor hide in it.
 *
 * Ownership: appends to the caller's buf (its `failed` flag on ENOMEM).
 */
#ifndef BALP_WEB_HTML_H
#define BALP_WEB_HTML_H

#include <stddef.h>

#include <stdint.h>

#include "balp/buf.h"

/* s (NULL: nothing) escaped, appended to b. */
void	 web_html_text(struct buf *b, const char *s);
/* s[0..len) escaped, appended to b. */
void	 web_html_textn(struct buf *b, const char *s, size_t len);
/* A day (date.h) as JJ/MM/AAAA, or none (escaped) when it is DATE_NONE. */
void	 web_html_day(struct buf *b, int32_t day, const char *none);

#endif
