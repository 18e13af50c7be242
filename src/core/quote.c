/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quote - the partner's own words, without the mail it quotes (see
 * quote.h).
 *
 * Line by line, on the text as received (not folded: the attribution is
 * recognised by its shape, so the accents are matched in UTF-8 and
 * without).  Every read is bounded by the length given.  Nothing is
 * allocated but the copy quote_own_text() returns.
 */
#include "balp/quote.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

/* Lines of the next few a header block's second line may be on. */
#define QUOTE_HEADER_LOOKAHEAD	3

struct line {
	const char	*s;	/* first non-blank byte */
	size_t		 n;	/* bytes to the last non-blank one */
};

/*
 * Length of the blank (space, tab, CR, U+00A0, U+202F, U+2009: French
 * puts a no-break space before ':') ending s[0..n).
 */
static size_t
trailing_blank(const char *s, size_t n)
{
	size_t k = n;

	for (;;) {
		if (k >= 1 && (s[k - 1] == ' ' || s[k - 1] == '\t' ||
		    s[k - 1] == '\r'))
			k--;
		else if (k >= 2 && (unsigned char)s[k - 2] == 0xc2 &&
		    (unsigned char)s[k - 1] == 0xa0)
			k -= 2;
		else if (k >= 3 && (unsigned char)s[k - 3] == 0xe2 &&
		    (unsigned char)s[k - 2] == 0x80 &&
		    ((unsigned char)s[k - 1] == 0xaf ||
		    (unsigned char)s[k - 1] == 0x89))
			k -= 3;
		else
			return n - k;
	}
}

static size_t
leading_blank(const char *s, size_t n)
{
	size_t k = 0;

	for (;;) {
		if (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		else if (k + 1 < n && (unsigned char)s[k] == 0xc2 &&
		    (unsigned char)s[k + 1] == 0xa0)
			k += 2;
		else
			return k;
	}
}

/* The line starting at text[i], trimmed; *next is where the next starts. */
static struct line
line_at(const char *text, size_t len, size_t i, size_t *next)
{
	struct line l;
	const char *nl;
	size_t n, b;

	nl = memchr(text + i, '\n', len - i);
	n = nl != NULL ? (size_t)(nl - (text + i)) : len - i;
	*next = nl != NULL ? i + n + 1 : len;
	b = leading_blank(text + i, n);
	l.s = text + i + b;
	l.n = n - b;
	l.n -= trailing_blank(l.s, l.n);
	return l;
}

static int
starts_with(const struct line *l, const char *p)
{
	size_t n = strlen(p);

	return l->n >= n && text_ascii_ncasecmp(l->s, p, n) == 0;
}

/* 1 if s[0..n) ends with word (ASCII case-insensitive) after a blank. */
static size_t
ends_with_word(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word), b;

	if (n < w || text_ascii_ncasecmp(s + n - w, word, w) != 0)
		return 0;
	if (n == w)
		return w;
	if ((b = trailing_blank(s, n - w)) == 0)
		return 0;
	return w + b;
}

/*
 * 1 if s[0..n) ends "a écrit :" (also "ecrit", "wrote:"); with a_alone
 * the "a" may be missing at the start, which the previous line ended.
 */
static int
ends_wrote(const char *s, size_t n, int english, int a_alone)
{
	size_t k;

	if (n == 0 || s[n - 1] != ':')
		return 0;
	n--;
	n -= trailing_blank(s, n);
	if (english)
		return ends_with_word(s, n, "wrote") > 0 ||
		    (n == 5 && text_ascii_ncasecmp(s, "wrote", 5) == 0);
	if ((k = ends_with_word(s, n, "\xc3\xa9" "crit")) == 0 &&
	    (k = ends_with_word(s, n, "ecrit")) == 0) {
		if (n == 6 && memcmp(s, "\xc3\xa9" "crit", 6) == 0)
			k = 6;
		else if (n == 5 && text_ascii_ncasecmp(s, "ecrit", 5) == 0)
			k = 5;
		else
			return 0;
	}
	if (a_alone)
		return k == n;
	n -= k;
	return n >= 1 && (s[n - 1] == 'a' || s[n - 1] == 'A') &&
	    (n == 1 || trailing_blank(s, n - 1) > 0);
}

static int
has_digit(const struct line *l)
{
	size_t k;

	for (k = 0; k < l->n; k++)
		if (l->s[k] >= '0' && l->s[k] <= '9')
			return 1;
	return 0;
}

/*
 * "Le lun. 16 nov. 2026 à 10:12, Caf <balp@caf.test> a écrit :".  Every
 * mailer dates it, and its first line holds the date: a sentence of the
 * partner's ("Le courrier que la Caf a écrit :") has none.
 */
static int
is_attribution(const struct line *l, const struct line *next)
{
	int english;

	if (starts_with(l, "le "))
		english = 0;
	else if (starts_with(l, "on "))
		english = 1;
	else
		return 0;
	if (!has_digit(l))
		return 0;
	if (ends_wrote(l->s, l->n, english, 0))
		return 1;
	if (next == NULL || next->n == 0)
		return 0;
	/* folded by the mailer: "... <balp@caf.test> a" / "écrit :" */
	if (!english && ends_with_word(l->s, l->n, "a") > 0 &&
	    ends_wrote(next->s, next->n, 0, 1))
		return 1;
	/* or earlier: "... <balp@caf.test>" / "a écrit :" */
	return !starts_with(next, "le ") && !starts_with(next, "on ") &&
	    ends_wrote(next->s, next->n, english, 0) &&
	    next->n < 80;
}

static int
contains(const struct line *l, const char *p)
{
	size_t n = strlen(p), k;

	for (k = 0; k + n <= l->n; k++)
		if (text_ascii_ncasecmp(l->s + k, p, n) == 0)
			return 1;
	return 0;
}

static int
is_separator(const struct line *l)
{
	if (starts_with(l, "--")) {
		return contains(l, "message d'origine") ||
		    contains(l, "message d\xe2\x80\x99origine") ||
		    contains(l, "original message") ||
		    contains(l, "message original") ||
		    contains(l, "message transf") ||
		    contains(l, "forwarded message");
	}
	return starts_with(l, "d\xc3\xa9" "but du message r") ||
	    starts_with(l, "debut du message r") ||
	    starts_with(l, "begin forwarded message");
}

/* "De : ", "*De :*", "From:": a header name, then ':' */
static int
is_header(const struct line *l, const char *const *names)
{
	struct line t = *l;
	size_t n, b;

	if (t.n > 0 && t.s[0] == '*') {
		t.s++;
		t.n--;
	}
	for (; *names != NULL; names++) {
		n = strlen(*names);
		if (t.n <= n || text_ascii_ncasecmp(t.s, *names, n) != 0)
			continue;
		b = leading_blank(t.s + n, t.n - n);
		if (n + b < t.n && t.s[n + b] == ':')
			return 1;
	}
	return 0;
}

static int
is_header_block(const char *text, size_t len, size_t next,
    const struct line *l)
{
	static const char *const from[] = { "de", "from", NULL };
	static const char *const sent[] = { "envoy\xc3\xa9", "envoye",
	    "envoy\xc3\xa9 le", "sent", "date", NULL };
	struct line n;
	int k;

	if (!is_header(l, from))
		return 0;
	for (k = 0; k < QUOTE_HEADER_LOOKAHEAD && next < len; k++) {
		n = line_at(text, len, next, &next);
		if (is_header(&n, sent))
			return 1;
	}
	return 0;
}

/*
 * The offset where the quoted message starts, or len; *quoted is set when
 * a '>' line comes before it.  Most lines start with none of the bytes a
 * quote starts with and cost one look.
 */
static size_t
own_len(const char *text, size_t len, int *quoted)
{
	struct line l, n;
	size_t i, next, after;

	*quoted = 0;
	for (i = 0; i < len; i = next) {
		l = line_at(text, len, i, &next);
		if (l.n == 0)
			continue;
		switch (l.s[0]) {
		case '>':
			*quoted = 1;
			continue;
		case 'L': case 'l': case 'O': case 'o':
			if (next < len)
				n = line_at(text, len, next, &after);
			if (is_attribution(&l, next < len ? &n : NULL))
				return i;
			continue;
		case '-': case 'B': case 'b': case 'D': case 'd': case 'F':
		case 'f': case '*':
			if (is_separator(&l) ||
			    is_header_block(text, len, next, &l))
				return i;
			continue;
		default:
			continue;
		}
	}
	return len;
}

size_t
quote_own_len(const char *text, size_t len)
{
	int quoted;

	if (text == NULL)
		return 0;
	return own_len(text, len, &quoted);
}

const char *
quote_own_text(const char *text, char **copy)
{
	struct line l;
	size_t len, own, i, next, n, b;
	int quoted;
	char *out;

	*copy = NULL;
	if (text == NULL)
		return NULL;
	len = strlen(text);
	own = own_len(text, len, &quoted);
	if (own == len && !quoted)
		return text;
	if ((out = malloc(own + 1)) == NULL)
		return NULL;
	for (n = 0, i = 0; i < own; i = next) {
		l = line_at(text, own, i, &next);
		if (l.n > 0 && l.s[0] == '>')
			continue;
		b = next - i;
		memcpy(out + n, text + i, b);
		n += b;
	}
	out[n] = '\0';
	*copy = out;
	return out;
}
