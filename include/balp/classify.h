/*
 * classify - the request type and the date the partner gives, pure.
 *
 * The type is the one whose keyword appears first in the Subject; if the
 * Subject names none, the first in the first text part; else unknown.
 * Keywords match whole words, case- and accent-insensitively.
 *
 * The "since" date backs the "more than a month" rule: a date introduced by
 * a marker of rules/ ("depuis le 12/09/2026", "depuis le 3 novembre 2026")
 * in the Subject or the text, else the first date written in the Subject.
 * Forms: DD/MM/YYYY (also with '-' or '.'), D month YYYY in French
 * ("1er mars 2026", "3 nov. 2026"), and YYYY-MM-DD.
 */
#ifndef BALP_CLASSIFY_H
#define BALP_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "balp/rules.h"

/* The recognised type (into rules), or NULL.  Either text may be NULL. */
const struct request_type *classify_type(const struct rules *,
	    const char *subject, const char *text);

/* The date the partner gives, or DATE_NONE.  Either text may be NULL. */
int32_t	 classify_since(const struct rules *, const char *subject,
	    const char *text);

/*
 * The first date written in text[0..len) at or after its start, as a day
 * number, or DATE_NONE; *at and *end receive its byte span in text when found.
 * Exposed for tests.
 */
int32_t	 classify_find_date(const char *text, size_t len, size_t *at,
	    size_t *end);

#endif
