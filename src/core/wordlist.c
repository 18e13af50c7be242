/*
 * wordlist - folded word and phrase matching (see wordlist.h).
 *
 * Matching works on word boundaries of folded text so that "rib" never
 * matches inside "attribution" and "bloque" matches "BLOQUÉ".
 */
#include "balp/wordlist.h"
#include "balp/array.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

void
wordlist_init(struct wordlist *w)
{
	w->v = NULL;
	w->n = 0;
	w->cap = 0;
}

void
wordlist_free(struct wordlist *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	wordlist_init(w);
}

int
wordlist_add(struct wordlist *w, const char *utf8)
{
	char *f;

	if ((f = text_fold(utf8, strlen(utf8))) == NULL)
		return -1;
	if (ARRAY_RESERVE(w->v, w->cap, w->n) == -1) {
		free(f);
		return -1;
	}
	w->v[w->n++] = f;
	return 0;
}

/* Word characters: ASCII letters and digits, and any non-ASCII byte. */
static int
is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

int
wordlist_split(const char *s, int (*fn)(const char *, size_t, size_t, void *),
    void *arg)
{
	size_t i = 0, start;
	int r;

	for (;;) {
		while (s[i] != '\0' && !is_word_byte((unsigned char)s[i]))
			i++;
		if (s[i] == '\0')
			return 0;
		start = i;
		while (s[i] != '\0' && is_word_byte((unsigned char)s[i]))
			i++;
		if ((r = fn(s + start, i - start, start, arg)) != 0)
			return r;
	}
}

/* One pattern word (maybe ending in '*') against one text word. */
static int
word_matches(const char *pat, size_t plen, const char *w, size_t wlen)
{
	if (plen > 0 && pat[plen - 1] == '*')
		return wlen >= plen - 1 && memcmp(pat, w, plen - 1) == 0;
	return plen == wlen && memcmp(pat, w, wlen) == 0;
}

/* Next word of s at or after *i: sets *w, *wlen; 0 when none is left. */
static int
next_word(const char *s, size_t *i, const char **w, size_t *wlen)
{
	size_t k = *i;

	while (s[k] != '\0' && !is_word_byte((unsigned char)s[k]))
		k++;
	if (s[k] == '\0') {
		*i = k;
		return 0;
	}
	*w = s + k;
	while (s[k] != '\0' && is_word_byte((unsigned char)s[k]))
		k++;
	*wlen = (size_t)(s + k - *w);
	*i = k;
	return 1;
}

/* Pattern words may end in '*', which is not a word byte: take it along. */
static int
next_pattern_word(const char *s, size_t *i, const char **w, size_t *wlen)
{
	if (!next_word(s, i, w, wlen))
		return 0;
	if (s[*i] == '*') {
		(*i)++;
		(*wlen)++;
	}
	return 1;
}

/* 1 if the phrase pat matches the words of text starting at offset at. */
static int
phrase_at(const char *pat, const char *text, size_t at)
{
	size_t pi = 0, ti = at, plen, tlen;
	const char *p, *t;
	int any = 0;

	while (next_pattern_word(pat, &pi, &p, &plen)) {
		if (!next_word(text, &ti, &t, &tlen))
			return 0;
		if (!word_matches(p, plen, t, tlen))
			return 0;
		any = 1;
	}
	return any;
}

struct find_state {
	const struct wordlist	*w;
	const char		*text;
	size_t			 which;
	long			 pos;
};

static int
find_cb(const char *word, size_t len, size_t off, void *arg)
{
	struct find_state *st = arg;
	size_t k;

	(void)word;
	(void)len;
	for (k = 0; k < st->w->n; k++) {
		if (phrase_at(st->w->v[k], st->text, off)) {
			st->which = k;
			st->pos = (long)off;
			return 1;
		}
	}
	return 0;
}

long
wordlist_find(const struct wordlist *w, const char *folded, size_t *which)
{
	struct find_state st = { w, folded, 0, -1 };

	wordlist_split(folded, find_cb, &st);
	if (st.pos >= 0 && which != NULL)
		*which = st.which;
	return st.pos;
}

int
wordlist_has_word(const struct wordlist *w, const char *word, size_t wlen)
{
	size_t k, plen;

	for (k = 0; k < w->n; k++) {
		plen = strlen(w->v[k]);
		if (word_matches(w->v[k], plen, word, wlen))
			return 1;
	}
	return 0;
}
