/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text - pure UTF-8 helpers shared by the core: validation, control
 * stripping and "folding" (lower case, accents removed) so that keywords,
 * stop words and CSV column names compare the way a French reader expects:
 * "Relevé", "RELEVE" and "releve" are the same word.
 *
 * Every function returning char * allocates; the caller frees with free().
 * They return NULL only on allocation failure.
 */
#ifndef BALP_TEXT_H
#define BALP_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int	 text_utf8_valid(const char *s, size_t len);

/*
 * Decodes one code point at s[*i], advancing *i.  Malformed bytes yield
 * U+FFFD and advance by one byte.  Requires *i < len.
 */
uint32_t text_utf8_next(const char *s, size_t len, size_t *i);

/* Appends cp as UTF-8 to out (out must have room for 4 bytes). Returns bytes. */
size_t	 text_utf8_put(uint32_t cp, char *out);

/*
 * Lower case, accents stripped (é->e, œ->oe, ß->ss), typographic apostrophes
 * and dashes mapped to ASCII ' and -, every Unicode space to ' '.  Other
 * code points are kept.  Invalid UTF-8 bytes become '?'.
 */
char	*text_fold(const char *s, size_t len);

/*
 * A text and its folded copy, made the first time a step asks for it:
 * the steps of one decision (type, date, name) fold the Subject and the
 * text once, and a long text not at all when the Subject says enough.
 * The caller owns it (on its stack, for one decision: nothing is kept
 * between calls); text_lazy_free() releases the copy.
 */
struct text_lazy {
	const char	*s;		/* as received, NUL-terminated; or NULL */
	char		*folded;	/* text_fold(s), once asked */
	int		 failed;	/* text_fold() failed: not tried again */
};

void	 text_lazy_init(struct text_lazy *, const char *s);
/* The folded text; NULL when s is NULL or on allocation failure. */
const char *text_lazy_folded(struct text_lazy *);
void	 text_lazy_free(struct text_lazy *);

/*
 * Copy with C0/C1 controls (but not TAB) and DEL replaced by a space,
 * invalid UTF-8 replaced by U+FFFD, runs of white space collapsed to one
 * space and the ends trimmed.  For decoded header values.
 */
char	*text_clean(const char *s, size_t len);

/*
 * The code point of windows-1252 byte c: 0x80-0x9F through the Windows
 * table (0x80 is the euro sign), the five bytes it leaves undefined and
 * every other byte as the ISO-8859-1 code point of the same value.
 */
uint32_t text_cp1252_cp(unsigned char c);

/* windows-1252 (a superset of ISO-8859-1 printable range) to UTF-8. */
char	*text_cp1252_to_utf8(const char *s, size_t len);

/*
 * The one escaper of what balpctl prints from mail or from an annex:
 * appends s[0..len) to b so that a terminal shows it and nothing more.
 * C0 controls, DEL and each byte of invalid UTF-8 become \xNN; C1
 * controls (U+0080-U+009F) and the bidi controls (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069) become \uNNNN; the rest is copied.  The
 * backslash is kept: what it writes is then escaped already, and escaping
 * it again (a file name escaped by its source, then by a table) changes
 * nothing.  Returns -1 on allocation failure (b->failed), else 0.
 */
struct buf;
int	 text_escape(struct buf *b, const char *s, size_t len);

/* 1 if text_escape() would change s[0..len). */
int	 text_needs_escape(const char *s, size_t len);

/* ASCII case-insensitive compare helpers that do not depend on locale. */
int	 text_ascii_casecmp(const char *, const char *);
int	 text_ascii_ncasecmp(const char *, const char *, size_t);
char	 text_ascii_lower(char);
/* Lower-cases ASCII letters in place; returns s. */
char	*text_ascii_lower_inplace(char *s);

/* s (NULL: "") without its leading and trailing blanks, ASCII lower case. */
char	*text_lower_trim(const char *s);

/*
 * "  A.Martin@X.fr " -> "a.martin@x.fr" in *out (caller frees) if it looks
 * like local@domain.tld: printable ASCII, no space, one '@', a dot inside
 * the domain, no empty label, at most 254 bytes.  Returns 0, 1 (*out
 * NULL) for a bad address, -1 on allocation failure.  Pure, so that the
 * annex file is checked where it is parsed (store_email_canon says the
 * same in the store's codes).
 */
int	 text_email_canon(const char *in, char **out);

#endif
