/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quote - the partner's own words in a mail that quotes earlier mail,
 * pure.
 *
 * Only what the partner wrote counts for the request type and the dates
 * (DESIGN.md, "Decision"): a reply carries the Caf's message, whose RIB
 * or date is not the partner's.  Quoted is:
 *   - every line whose first non-blank byte is '>';
 *   - everything from an attribution line on: a line starting with "Le "
 *     and ending with "a écrit :" ("On ... wrote:"), with a digit (every
 *     mailer dates it), also when the mailer folds it onto the next line
 *     ("Le lun. 16 nov. 2026 ... <balp@caf.test> a" / "écrit :");
 *   - everything from a separator on: "-----Message d'origine-----",
 *     "-----Original Message-----", "-------- Message transféré --------",
 *     "---------- Forwarded message ---------", "Début du message
 *     réexpédié :", "Begin forwarded message:";
 *   - everything from a header block on: a line "De : ..." (or "From:")
 *     followed within three lines by "Envoyé : ..." ("Sent:", "Date :"),
 *     as Outlook and Thunderbird write it, '*' for bold allowed.
 * A sentence of the partner's that merely contains "a écrit" is no
 * attribution: the line must start with "Le " (or "On "), end there and
 * hold a date.
 */
#ifndef BALP_QUOTE_H
#define BALP_QUOTE_H

#include <stddef.h>

/*
 * Where the quoted message starts in text[0..len): the offset of the
 * attribution, separator or header line, or len when there is none.
 * '>' lines before it are not counted here (see quote_own_text).  Reads
 * nothing at or past text[len].
 */
size_t	 quote_own_len(const char *text, size_t len);

/*
 * The partner's own text of the NUL-terminated text: text[0 ..
 * quote_own_len) without its '>' lines.  When nothing is quoted it is
 * text itself and *copy is NULL; otherwise it is a NUL-terminated copy,
 * also stored in *copy, which the caller frees with free().  NULL when
 * text is NULL or on allocation failure (then *copy is NULL too).
 */
const char *quote_own_text(const char *text, char **copy);

#endif
