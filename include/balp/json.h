/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json - the pieces of JSON output balpctl writes (`test --json`, and every
 * later --json): values appended to a struct buf.  Apart from buf so that
 * buf stays the bottom of the house (text uses buf; json uses both).
 */
#ifndef BALP_JSON_H
#define BALP_JSON_H

#include "balp/buf.h"

/*
 * Appends s as a JSON string literal (quoted, escaped; invalid UTF-8 bytes
 * become U+FFFD), or the literal null when s is NULL.  0, or -1 once the
 * buf has failed.
 */
int	 json_string(struct buf *, const char *s);

#endif
