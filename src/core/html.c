/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html - HTML to plain text (see include/balp/html.h).
 *
 * One left-to-right pass over the bytes; every construct that could run
 * away (a comment, a tag, a <script> without its end) ends at the end of
 * the input, never later, and never sends the scan back: the cost is
 * linear whatever the input.  The output buffer grows by at most three
 * bytes per input byte (an invalid byte becomes U+FFFD).
 *
 * Ownership: html_to_text() returns a fresh string (caller frees).
 * Failure: NULL on allocation failure only.
 */
#include "balp/html.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stdint.h>
#include <string.h>

/* Longest entity name looked up; the longest in the table is shorter. */
#define HTML_MAX_ENTITY	32
/* Tag names kept for comparison; a longer name matches no known tag. */
#define HTML_MAX_TAG	16

struct entity {
	const char	*name;
	uint32_t	 cp;
};

/*
 * The named references French mail tools write.  A name not listed is
 * left as typed ("&unknown;"): showing it is better than guessing.
 */
static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "ensp", ' ' }, { "emsp", ' ' },
	{ "thinsp", ' ' }, { "shy", 0xAD },
	{ "agrave", 0xE0 }, { "aacute", 0xE1 }, { "acirc", 0xE2 },
	{ "auml", 0xE4 }, { "ccedil", 0xE7 }, { "egrave", 0xE8 },
	{ "eacute", 0xE9 }, { "ecirc", 0xEA }, { "euml", 0xEB },
	{ "iacute", 0xED }, { "icirc", 0xEE }, { "iuml", 0xEF },
	{ "ntilde", 0xF1 }, { "oacute", 0xF3 }, { "ocirc", 0xF4 },
	{ "ouml", 0xF6 }, { "ugrave", 0xF9 }, { "uacute", 0xFA },
	{ "ucirc", 0xFB }, { "uuml", 0xFC }, { "yuml", 0xFF },
	{ "szlig", 0xDF }, { "oelig", 0x153 },
	{ "Agrave", 0xC0 }, { "Acirc", 0xC2 }, { "Ccedil", 0xC7 },
	{ "Egrave", 0xC8 }, { "Eacute", 0xC9 }, { "Ecirc", 0xCA },
	{ "Euml", 0xCB }, { "Icirc", 0xCE }, { "Iuml", 0xCF },
	{ "Ocirc", 0xD4 }, { "Ugrave", 0xD9 }, { "Ucirc", 0xDB },
	{ "OElig", 0x152 },
	{ "euro", 0x20AC }, { "laquo", 0xAB }, { "raquo", 0xBB },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201C },
	{ "rdquo", 0x201D }, { "ndash", 0x2013 }, { "mdash", 0x2014 },
	{ "hellip", 0x2026 }, { "bull", 0x2022 }, { "middot", 0xB7 },
	{ "deg", 0xB0 }, { "sect", 0xA7 }, { "copy", 0xA9 }, { "reg", 0xAE },
	{ "trade", 0x2122 }, { "ordm", 0xBA }, { "ordf", 0xAA },
	{ "sup2", 0xB2 }, { "frac12", 0xBD },
};

struct out {
	struct buf	b;
	int		space;	/* white space seen since the last text */
};

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* HTML's ASCII white space (form feed included). */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
hex_digit(char c, int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < base ? d : -1;
}

static void
put_cp(struct out *o, uint32_t cp)
{
	char tmp[4];

	buf_add(&o->b, tmp, text_utf8_put(cp, tmp));
}

/* Text reached: the white space before it becomes one space. */
static void
text_starts(struct out *o)
{
	if (o->space && o->b.len > 0 && o->b.data[o->b.len - 1] != '\n')
		buf_putc(&o->b, ' ');
	o->space = 0;
}

/*
 * A block element's edge: a line end, trailing spaces dropped first, and
 * never more than one empty line in a row nor one at the start.
 */
static void
line_break(struct out *o)
{
	struct buf *b = &o->b;

	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
	if (b->len > 0 && !(b->len >= 2 && b->data[b->len - 1] == '\n' &&
	    b->data[b->len - 2] == '\n'))
		buf_putc(b, '\n');
	o->space = 0;
}

/*
 * A numeric reference at s[*i] == '&', s[*i + 1] == '#': decimal or
 * "x" hexadecimal digits, the ';' optional (browsers do without).  As
 * in HTML5: 0, surrogates and values past U+10FFFF give U+FFFD, and
 * 0x80-0x9F are read as windows-1252 (what the tools that write them
 * meant).  Returns 0, *i unchanged, if no digit follows.
 */
static uint32_t
numeric_ref(const char *s, size_t len, size_t *i)
{
	size_t k = *i + 2;
	uint32_t cp = 0;
	int base = 10, d, digits = 0;

	if (k < len && (s[k] == 'x' || s[k] == 'X')) {
		base = 16;
		k++;
	}
	/* Every digit is consumed; the value saturates past U+10FFFF. */
	while (k < len && (d = hex_digit(s[k], base)) >= 0) {
		if (cp <= 0x10FFFF)
			cp = cp * (uint32_t)base + (uint32_t)d;
		digits++;
		k++;
	}
	if (digits == 0)
		return 0;
	if (k < len && s[k] == ';')
		k++;
	*i = k;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0xFFFD;
	if (cp >= 0x80 && cp <= 0x9F)
		return text_cp1252_cp((unsigned char)cp);
	return cp;
}

/*
 * A reference at s[*i] == '&'.  Returns its code point and moves *i past
 * it, or 0 with *i unchanged when it is none (the '&' is then text).
 * Named references need their ';': "&copy2025" is more likely text.
 */
static uint32_t
html_entity(const char *s, size_t len, size_t *i)
{
	size_t k = *i + 1, start, n, e;

	if (k < len && s[k] == '#')
		return numeric_ref(s, len, i);
	start = k;
	while (k < len && k - start <= HTML_MAX_ENTITY && is_alnum(s[k]))
		k++;
	n = k - start;
	if (n == 0 || n > HTML_MAX_ENTITY || k >= len || s[k] != ';')
		return 0;
	for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
		if (strlen(entities[e].name) == n &&
		    memcmp(entities[e].name, s + start, n) == 0) {
			*i = k + 1;
			return entities[e].cp;
		}
	return 0;
}

/* Finds needle (lower case) from s[i], case-insensitively; len if none. */
static size_t
find_ci(const char *s, size_t len, size_t i, const char *needle)
{
	size_t n = strlen(needle);

	for (; i + n <= len; i++)
		if (text_ascii_ncasecmp(s + i, needle, n) == 0)
			return i;
	return len;
}

/*
 * The end of the raw text of element name ("script") from s[i]: the
 * index of its end tag "</name" followed by white space, '/' or '>' (as
 * in HTML5: "</scripts" does not end it), len if there is none.
 */
static size_t
raw_text_end(const char *s, size_t len, size_t i, const char *name)
{
	size_t n = strlen(name), k;

	while ((k = find_ci(s, len, i, "</")) < len) {
		if (len - k - 2 >= n &&
		    text_ascii_ncasecmp(s + k + 2, name, n) == 0 &&
		    (k + 2 + n == len || is_space(s[k + 2 + n]) ||
		    s[k + 2 + n] == '/' || s[k + 2 + n] == '>'))
			return k;
		i = k + 2;
	}
	return len;
}

/*
 * The tag name at s[i], as HTML5 reads it (up to white space, '/' or
 * '>'), lower-cased into out; out is "" when longer than HTML_MAX_TAG - 1
 * bytes, so that it matches no known tag.  Returns the index after it.
 */
static size_t
tag_name(const char *s, size_t len, size_t i, char out[HTML_MAX_TAG])
{
	size_t n = 0;

	while (i < len && !is_space(s[i]) && s[i] != '/' && s[i] != '>') {
		/* A NUL must not end the name early: "p\0" is not "p". */
		if (n + 1 < HTML_MAX_TAG)
			out[n] = s[i] == '\0' ? '?' : text_ascii_lower(s[i]);
		n++;
		i++;
	}
	out[n < HTML_MAX_TAG ? n : 0] = '\0';
	return i;
}

/*
 * From s[i] inside a tag, the index of its closing '>' (len if none).
 * A quoted attribute value (after '=') may hold '>': <a title="a>b">.
 */
static size_t
tag_end(const char *s, size_t len, size_t i)
{
	char q;

	while (i < len && s[i] != '>') {
		if (s[i] != '=') {
			i++;
			continue;
		}
		for (i++; i < len && is_space(s[i]); i++)
			;
		if (i < len && (s[i] == '"' || s[i] == '\'')) {
			q = s[i];
			for (i++; i < len && s[i] != q; i++)
				;
			if (i < len)
				i++;
		}
	}
	return i;
}

/* The index after a "<!--" comment starting at s[i] (len if unclosed). */
static size_t
comment_end(const char *s, size_t len, size_t i)
{
	size_t k = i + 4;

	/* "<!-->" and "<!--->" are whole (empty) comments in HTML5. */
	if (k < len && s[k] == '>')
		return k + 1;
	if (k + 1 < len && s[k] == '-' && s[k + 1] == '>')
		return k + 2;
	for (; k + 2 < len; k++) {
		if (s[k] != '-' || s[k + 1] != '-')
			continue;
		if (s[k + 2] == '>')
			return k + 3;
		if (s[k + 2] == '!' && k + 3 < len && s[k + 3] == '>')
			return k + 4;
	}
	return len;
}

/* The index after the first '>' from s[i] (len if none). */
static size_t
bogus_comment_end(const char *s, size_t len, size_t i)
{
	const char *gt = memchr(s + i, '>', len - i);

	return gt != NULL ? (size_t)(gt - s) + 1 : len;
}

static int
is_block_tag(const char *t)
{
	static const char *const block[] = { "br", "p", "div", "li", "tr",
	    "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
	    "ul", "ol", "title", "hr", "dd", "dt", "pre", "address" };
	size_t i;

	for (i = 0; i < sizeof(block) / sizeof(block[0]); i++)
		if (strcmp(t, block[i]) == 0)
			return 1;
	return 0;
}

/*
 * Markup at s[i] == '<'.  Returns the index after it, having acted on
 * what it means for the text; or i itself when the '<' is only text
 * (HTML5: '<' not followed by a letter, '/', '!' or '?').
 */
static size_t
markup(struct out *o, const char *s, size_t len, size_t i)
{
	char tag[HTML_MAX_TAG];
	size_t k = i + 1;
	int closing = 0;

	if (k >= len)
		return i;
	if (s[k] == '!') {
		if (len - i >= 4 && memcmp(s + i, "<!--", 4) == 0)
			return comment_end(s, len, i);
		/* <!DOCTYPE>, <![CDATA[...]]>, Outlook's <![if ...]> */
		return bogus_comment_end(s, len, k);
	}
	if (s[k] == '?')
		return bogus_comment_end(s, len, k);
	if (s[k] == '/') {
		closing = 1;
		k++;
		if (k < len && s[k] == '>')
			return k + 1;		/* "</>" is dropped */
		if (k >= len)
			return i;		/* "</" at the end is text */
		if (!is_alpha(s[k]))
			return bogus_comment_end(s, len, k);
	} else if (!is_alpha(s[k]))
		return i;
	k = tag_name(s, len, k, tag);
	/* A tag cut by the end of the input is dropped, as in HTML5. */
	if ((k = tag_end(s, len, k)) >= len)
		return len;
	k++;
	/*
	 * Raw text: nothing inside is markup or shown.  The end tag is
	 * left for the next turn of the caller's loop.
	 */
	if (!closing && (strcmp(tag, "script") == 0 ||
	    strcmp(tag, "style") == 0))
		return raw_text_end(s, len, k, tag);
	if (is_block_tag(tag))
		line_break(o);
	else if (strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0)
		o->space = 1;
	return k;
}

char *
html_to_text(const char *s, size_t len)
{
	struct out o = { BUF_INIT, 0 };
	size_t i = 0, next;
	uint32_t cp;

	buf_add(&o.b, "", 0);
	while (i < len) {
		if (s[i] == '<' && (next = markup(&o, s, len, i)) != i) {
			i = next;
			continue;
		}
		if (is_space(s[i])) {
			o.space = 1;
			i++;
			continue;
		}
		text_starts(&o);
		if (s[i] == '&' && (cp = html_entity(s, len, &i)) != 0) {
			put_cp(&o, cp);
			continue;
		}
		/* Invalid UTF-8 gives U+FFFD; so does NUL, as in HTML5. */
		cp = text_utf8_next(s, len, &i);
		put_cp(&o, cp == 0 ? 0xFFFD : cp);
	}
	return buf_detach(&o.b);
}
