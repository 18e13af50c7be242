/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text - UTF-8 validation, folding and cleaning (see include/balp/text.h).
 *
 * Folding only knows Latin-1 Supplement and Latin Extended-A: that covers
 * French and the names partners write; anything else passes through.
 */
#include "balp/text.h"
#include "balp/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Folded forms of U+00C0..U+017F, "" for "keep the code point". */
static const char *const latin_fold[] = {
	/* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* D0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "a", "a", "a", "a", "a", "a", "c", "c",
	/* 108 */ "c", "c", "c", "c", "c", "c", "d", "d",
	/* 110 */ "d", "d", "e", "e", "e", "e", "e", "e",
	/* 118 */ "e", "e", "e", "e", "g", "g", "g", "g",
	/* 120 */ "g", "g", "g", "g", "h", "h", "h", "h",
	/* 128 */ "i", "i", "i", "i", "i", "i", "i", "i",
	/* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k",
	/* 138 */ "k", "l", "l", "l", "l", "l", "l", "l",
	/* 140 */ "l", "l", "l", "n", "n", "n", "n", "n",
	/* 148 */ "n", "n", "n", "n", "o", "o", "o", "o",
	/* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r",
	/* 158 */ "r", "r", "s", "s", "s", "s", "s", "s",
	/* 160 */ "s", "s", "t", "t", "t", "t", "t", "t",
	/* 168 */ "u", "u", "u", "u", "u", "u", "u", "u",
	/* 170 */ "u", "u", "u", "u", "w", "w", "y", "y",
	/* 178 */ "y", "z", "z", "z", "z", "z", "z", "s",
};

/* windows-1252 0x80..0x9F; 0 = undefined there (kept as the C1 control). */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

uint32_t
text_utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k = *i, n, j;
	uint32_t cp, min;

	if (p[k] < 0x80) {
		*i = k + 1;
		return p[k];
	}
	if (p[k] >= 0xC2 && p[k] <= 0xDF) {
		n = 1; cp = p[k] & 0x1F; min = 0x80;
	} else if (p[k] >= 0xE0 && p[k] <= 0xEF) {
		n = 2; cp = p[k] & 0x0F; min = 0x800;
	} else if (p[k] >= 0xF0 && p[k] <= 0xF4) {
		n = 3; cp = p[k] & 0x07; min = 0x10000;
	} else
		goto bad;
	if (len - k <= n)
		goto bad;
	for (j = 1; j <= n; j++) {
		if ((p[k + j] & 0xC0) != 0x80)
			goto bad;
		cp = (cp << 6) | (p[k + j] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		goto bad;
	*i = k + n + 1;
	return cp;
bad:
	*i = k + 1;
	return 0xFFFD;
}

size_t
text_utf8_put(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int
text_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, before;

	while (i < len) {
		before = i;
		if (text_utf8_next(s, len, &i) == 0xFFFD &&
		    !(i - before == 3 && (unsigned char)s[before] == 0xEF &&
		    (unsigned char)s[before + 1] == 0xBF &&
		    (unsigned char)s[before + 2] == 0xBD))
			return 0;
	}
	return 1;
}

static int
is_unicode_space(uint32_t cp)
{
	return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	    cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/*
 * Never longer than its input, so it is written in one allocation of
 * len + 1 bytes: ASCII stays one byte, a folded Latin letter (two bytes)
 * gives at most two ("ae", "ss"), quotes, dashes and spaces (two or three
 * bytes) give one, an invalid byte gives one '?', and any other code point
 * is written back as it was read (text_utf8_next() takes no overlong).
 */
char *
text_fold(const char *s, size_t len)
{
	const char *f;
	size_t i = 0, before;
	uint32_t cp;
	char *out, *o;

	if (len == SIZE_MAX || (out = malloc(len + 1)) == NULL)
		return NULL;
	o = out;
	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			*o++ = text_ascii_lower(s[i++]);
			continue;
		}
		before = i;
		cp = text_utf8_next(s, len, &i);
		if (cp == 0xFFFD && i - before == 1) {
			*o++ = '?';
		} else if (cp >= 0xC0 && cp <= 0x17F && latin_fold[cp - 0xC0][0]) {
			for (f = latin_fold[cp - 0xC0]; *f != '\0'; f++)
				*o++ = *f;
		} else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC ||
		    cp == 0x2032 || cp == 0x00B4) {
			/* the ASCII backtick stayed as it is: a separator too */
			*o++ = '\'';
		} else if (cp >= 0x2010 && cp <= 0x2015) {
			*o++ = '-';
		} else if (is_unicode_space(cp)) {
			*o++ = ' ';
		} else
			o += text_utf8_put(cp, o);
	}
	*o = '\0';
	return out;
}

void
text_lazy_init(struct text_lazy *t, const char *s)
{
	t->s = s;
	t->folded = NULL;
	t->failed = 0;
}

const char *
text_lazy_folded(struct text_lazy *t)
{
	if (t->s == NULL || t->failed)
		return NULL;
	if (t->folded == NULL && (t->folded = text_fold(t->s,
	    strlen(t->s))) == NULL)
		t->failed = 1;
	return t->folded;
}

void
text_lazy_free(struct text_lazy *t)
{
	free(t->folded);
	text_lazy_init(t, NULL);
}

char *
text_clean(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;
	uint32_t cp;
	int space = 0;
	char tmp[4];

	buf_add(&b, "", 0);
	while (i < len) {
		cp = text_utf8_next(s, len, &i);
		if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
		    cp == ' ') {
			space = 1;
			continue;
		}
		if (space && b.len > 0)
			buf_putc(&b, ' ');
		space = 0;
		buf_add(&b, tmp, text_utf8_put(cp, tmp));
	}
	return buf_detach(&b);
}

uint32_t
text_cp1252_cp(unsigned char c)
{
	if (c >= 0x80 && c <= 0x9F && cp1252_high[c - 0x80] != 0)
		return cp1252_high[c - 0x80];
	return c;
}

char *
text_cp1252_to_utf8(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i;
	char tmp[4];

	buf_add(&b, "", 0);
	for (i = 0; i < len; i++)
		buf_add(&b, tmp, text_utf8_put(text_cp1252_cp(
		    (unsigned char)s[i]), tmp));
	return buf_detach(&b);
}

char
text_ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

char *
text_ascii_lower_inplace(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = text_ascii_lower(*p);
	return s;
}

#define EMAIL_MAX	254	/* RFC 5321's path minus its brackets */

char *
text_lower_trim(const char *s)
{
	size_t a = 0, b;
	char *p;

	if (s == NULL)
		s = "";
	b = strlen(s);
	while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' ||
	    s[a] == '\n'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' ||
	    s[b - 1] == '\r' || s[b - 1] == '\n'))
		b--;
	if ((p = malloc(b - a + 1)) == NULL)
		return NULL;
	memcpy(p, s + a, b - a);
	p[b - a] = '\0';
	return text_ascii_lower_inplace(p);
}

int
text_email_canon(const char *in, char **out)
{
	const char *at = NULL, *p;
	char *e;
	size_t n;

	*out = NULL;
	if ((e = text_lower_trim(in)) == NULL)
		return -1;
	n = strlen(e);
	if (n == 0 || n > EMAIL_MAX)
		goto bad;
	for (p = e; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p))
			goto bad;
		if (*p == '@') {
			if (at != NULL)
				goto bad;
			at = p;
		}
	}
	/* local@domain.tld: non-empty local, dotted domain, no empty label. */
	if (at == NULL || at == e || at[1] == '\0' || at[1] == '.' ||
	    e[n - 1] == '.' || strchr(at, '.') == NULL || strstr(at, "..") ||
	    e[0] == '.' || at[-1] == '.')
		goto bad;
	*out = e;
	return 0;
bad:
	free(e);
	return 1;
}

int
text_ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	unsigned char ca, cb;

	for (; n > 0; n--, a++, b++) {
		ca = (unsigned char)text_ascii_lower(*a);
		cb = (unsigned char)text_ascii_lower(*b);
		if (ca != cb)
			return ca - cb;
		if (ca == '\0')
			return 0;
	}
	return 0;
}

int
text_ascii_casecmp(const char *a, const char *b)
{
	return text_ascii_ncasecmp(a, b, (size_t)-1);
}

/* ---- the terminal escaper ---------------------------------------------- */

/* Code points that reorder or hide what follows them on a terminal. */
static int
is_bidi_control(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * 0: copy the code point; 1: escape its bytes (\xNN); 2: escape the code
 * point (\uNNNN).
 */
static int
escape_kind(size_t at, size_t next, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F)
		return 1;
	/* U+FFFD from one byte is a malformed byte; a real one is 3 bytes */
	if (cp == 0xFFFD && next - at == 1)
		return 1;
	if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp))
		return 2;
	return 0;
}

int
text_escape(struct buf *b, const char *s, size_t len)
{
	size_t i = 0, at;
	uint32_t cp;

	while (i < len) {
		at = i;
		cp = text_utf8_next(s, len, &i);
		switch (escape_kind(at, i, cp)) {
		case 1:
			for (; at < i; at++)
				buf_printf(b, "\\x%02x", (unsigned char)s[at]);
			break;
		case 2:
			buf_printf(b, "\\u%04x", (unsigned)cp);
			break;
		default:
			buf_add(b, s + at, i - at);
		}
	}
	return b->failed ? -1 : 0;
}

int
text_needs_escape(const char *s, size_t len)
{
	size_t i = 0, at;
	uint32_t cp;

	while (i < len) {
		at = i;
		cp = text_utf8_next(s, len, &i);
		if (escape_kind(at, i, cp) != 0)
			return 1;
	}
	return 0;
}
