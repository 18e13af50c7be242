/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wordlist - folded word and phrase matching (see wordlist.h).
 *
 * Matching works on word boundaries of folded text so that "rib" never
 * matches inside "attribution" and "bloque" matches "BLOQUÉ".
 *
 * The rules are loaded once and then read by every decision, so the
 * reading of an entry is done once, in wordlist_add(): its words are cut,
 * its first byte noted, its words sorted.  Per message, wordlist_find()
 * walks the words of the text once and rejects most of them on their
 * first byte; only the entries starting with that byte are compared, word
 * by word.
 */
#include "balp/wordlist.h"
#include "balp/array.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

void
wordlist_init(struct wordlist *w)
{
	memset(w, 0, sizeof(*w));
}

void
wordlist_free(struct wordlist *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	free(w->ent);
	free(w->words);
	free(w->sorted);
	wordlist_init(w);
}

/* Next word of s at or after *i: sets *w, *wlen; 0 when none is left. */
static int
wordlist_next_word(const char *s, size_t *i, const char **w, size_t *wlen)
{
	size_t k = *i;

	while (s[k] != '\0' && !wordlist_is_word_byte((unsigned char)s[k]))
		k++;
	if (s[k] == '\0') {
		*i = k;
		return 0;
	}
	*w = s + k;
	while (wordlist_is_word_byte((unsigned char)s[k]))
		k++;
	*wlen = (size_t)(s + k - *w);
	*i = k;
	return 1;
}

/* Pattern words may end in '*', which is not a word byte: take it along. */
static int
wordlist_next_pattern_word(const char *s, size_t *i, const char **w,
    size_t *wlen)
{
	if (!wordlist_next_word(s, i, w, wlen))
		return 0;
	if (s[*i] == '*') {
		(*i)++;
		(*wlen)++;
	}
	return 1;
}

/* Byte order, the shorter first on a common prefix: the order of sorted[]. */
static int
wordlist_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c;

	if ((c = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* Files words[j] in sorted[], which holds words[0..j) already. */
static void
wordlist_index_word(struct wordlist *w, size_t j)
{
	const struct wordlist_word *x = &w->words[j], *y;
	size_t lo, hi, mid;

	if (x->prefix)
		lo = w->nprefix++;
	else {
		lo = w->nprefix;
		hi = j;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			y = &w->words[w->sorted[mid]];
			if (wordlist_cmp(y->s, y->len, x->s, x->len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	memmove(&w->sorted[lo + 1], &w->sorted[lo],
	    (j - lo) * sizeof(w->sorted[0]));
	w->sorted[lo] = j;
}

int
wordlist_add(struct wordlist *w, const char *utf8)
{
	struct wordlist_entry *e;
	struct wordlist_word *x;
	const char *p;
	size_t i = 0, len, nw = 0;
	char *f;

	if ((f = text_fold(utf8, strlen(utf8))) == NULL)
		return -1;
	while (wordlist_next_pattern_word(f, &i, &p, &len))
		nw++;
	/* All the room first, so that a failure leaves the list as it was. */
	if (ARRAY_RESERVE(w->v, w->cap, w->n) == -1 ||
	    ARRAY_RESERVE(w->ent, w->ecap, w->n) == -1 ||
	    (nw > 0 && (ARRAY_RESERVE(w->words, w->wcap,
	    w->nwords + nw - 1) == -1 ||
	    ARRAY_RESERVE(w->sorted, w->scap, w->nwords + nw - 1) == -1))) {
		free(f);
		return -1;
	}
	e = &w->ent[w->n];
	e->len = strlen(f);
	e->first = w->nwords;
	e->n = nw;
	e->lead = 0;
	for (i = 0; wordlist_next_pattern_word(f, &i, &p, &len); ) {
		x = &w->words[w->nwords];
		x->s = p;
		x->prefix = p[len - 1] == '*';
		x->len = len - (x->prefix ? 1 : 0);
		wordlist_index_word(w, w->nwords++);
	}
	if (nw > 0) {
		e->lead = (unsigned char)w->words[e->first].s[0];
		w->leads[e->lead >> 3] |= 1U << (e->lead & 7);
	}
	w->v[w->n++] = f;
	return 0;
}

size_t
wordlist_entry_words(const struct wordlist *w, size_t k)
{
	return w->ent[k].n;
}

int
wordlist_split(const char *s, int (*fn)(const char *, size_t, size_t, void *),
    void *arg)
{
	const char *word;
	size_t i = 0, len;
	int r;

	while (wordlist_next_word(s, &i, &word, &len))
		if ((r = fn(word, len, (size_t)(word - s), arg)) != 0)
			return r;
	return 0;
}

/* One entry word against one text word. */
static int
wordlist_word_matches(const struct wordlist_word *p, const char *t,
    size_t tlen)
{
	if (p->prefix)
		return tlen >= p->len && memcmp(p->s, t, p->len) == 0;
	return tlen == p->len && memcmp(p->s, t, tlen) == 0;
}

/*
 * 1 if entry e matches at the text word t[0..tlen), rest being the text
 * right after that word.
 */
static int
wordlist_phrase_at(const struct wordlist *w, const struct wordlist_entry *e,
    const char *t, size_t tlen, const char *rest)
{
	const struct wordlist_word *p = &w->words[e->first];
	size_t j, i = 0;

	if (!wordlist_word_matches(&p[0], t, tlen))
		return 0;
	for (j = 1; j < e->n; j++)
		if (!wordlist_next_word(rest, &i, &t, &tlen) ||
		    !wordlist_word_matches(&p[j], t, tlen))
			return 0;
	return 1;
}

long
wordlist_find(const struct wordlist *w, const char *folded, size_t *which)
{
	const char *t;
	size_t i = 0, k, tlen;
	unsigned char c;

	while (wordlist_next_word(folded, &i, &t, &tlen)) {
		c = (unsigned char)t[0];
		if ((w->leads[c >> 3] & (1U << (c & 7))) == 0)
			continue;
		/* in the order added: of two entries here, the first wins */
		for (k = 0; k < w->n; k++) {
			if (w->ent[k].lead != c ||
			    !wordlist_phrase_at(w, &w->ent[k], t, tlen,
			    folded + i))
				continue;
			if (which != NULL)
				*which = k;
			return (long)(t - folded);
		}
	}
	return -1;
}

int
wordlist_has_entry_word(const struct wordlist *w, const char *s, size_t len)
{
	const struct wordlist_word *x;
	size_t lo, hi, mid;
	int c;

	for (lo = 0; lo < w->nprefix; lo++)
		if (wordlist_word_matches(&w->words[w->sorted[lo]], s, len))
			return 1;
	hi = w->nwords;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		x = &w->words[w->sorted[mid]];
		if ((c = wordlist_cmp(x->s, x->len, s, len)) == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
wordlist_has_word(const struct wordlist *w, const char *word, size_t wlen)
{
	const char *e;
	size_t k, elen;

	/* the whole entry as one pattern word, its '*' included if last */
	for (k = 0; k < w->n; k++) {
		e = w->v[k];
		elen = w->ent[k].len;
		if (elen > 0 && e[elen - 1] == '*') {
			if (wlen >= elen - 1 && memcmp(e, word, elen - 1) == 0)
				return 1;
		} else if (elen == wlen && memcmp(e, word, wlen) == 0)
			return 1;
	}
	return 0;
}
