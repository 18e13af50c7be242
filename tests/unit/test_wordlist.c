/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wordlist - phrase and word matching on folded text.
 *
 * wordlist_add() cuts each entry once and indexes it (first byte, sorted
 * words); matching then never reads the entries again.  These tests pin
 * the behaviours one by one, then compare the index against a reference:
 * the matching as it was before the index, re-parsing every entry at
 * every word, kept here word for word.  Both must give the same answer
 * on every entry list and text, generated ones included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "balp/text.h"
#include "balp/wordlist.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- the reference: the matching before the index, unchanged ---------- */

static int
ref_is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

static int
ref_word_matches(const char *pat, size_t plen, const char *w, size_t wlen)
{
	if (plen > 0 && pat[plen - 1] == '*')
		return wlen >= plen - 1 && memcmp(pat, w, plen - 1) == 0;
	return plen == wlen && memcmp(pat, w, wlen) == 0;
}

static int
ref_next_word(const char *s, size_t *i, const char **w, size_t *wlen)
{
	size_t k = *i;

	while (s[k] != '\0' && !ref_is_word_byte((unsigned char)s[k]))
		k++;
	if (s[k] == '\0') {
		*i = k;
		return 0;
	}
	*w = s + k;
	while (s[k] != '\0' && ref_is_word_byte((unsigned char)s[k]))
		k++;
	*wlen = (size_t)(s + k - *w);
	*i = k;
	return 1;
}

static int
ref_next_pattern_word(const char *s, size_t *i, const char **w, size_t *wlen)
{
	if (!ref_next_word(s, i, w, wlen))
		return 0;
	if (s[*i] == '*') {
		(*i)++;
		(*wlen)++;
	}
	return 1;
}

static int
ref_phrase_at(const char *pat, const char *text, size_t at)
{
	size_t pi = 0, ti = at, plen, tlen;
	const char *p, *t;
	int any = 0;

	while (ref_next_pattern_word(pat, &pi, &p, &plen)) {
		if (!ref_next_word(text, &ti, &t, &tlen))
			return 0;
		if (!ref_word_matches(p, plen, t, tlen))
			return 0;
		any = 1;
	}
	return any;
}

static long
ref_find(const struct wordlist *w, const char *text, size_t *which)
{
	size_t i = 0, k, len;
	const char *t;

	while (ref_next_word(text, &i, &t, &len))
		for (k = 0; k < w->n; k++)
			if (ref_phrase_at(w->v[k], text, (size_t)(t - text))) {
				*which = k;
				return (long)(t - text);
			}
	return -1;
}

/* subject.c's word_of_phrase(), the answer to "is w a word of an entry". */
static int
ref_word_of_phrase(const char *p, const char *w, size_t n)
{
	size_t i = 0, s, plen;

	for (;;) {
		while (p[i] != '\0' && !ref_is_word_byte((unsigned char)p[i]))
			i++;
		if (p[i] == '\0')
			return 0;
		s = i;
		while (ref_is_word_byte((unsigned char)p[i]))
			i++;
		plen = i - s;
		if (p[i] == '*') {
			i++;
			if (n >= plen && memcmp(p + s, w, plen) == 0)
				return 1;
		} else if (plen == n && memcmp(p + s, w, n) == 0)
			return 1;
	}
}

static int
ref_has_entry_word(const struct wordlist *w, const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < w->n; k++)
		if (ref_word_of_phrase(w->v[k], s, n))
			return 1;
	return 0;
}

static size_t
ref_count_words(const char *s)
{
	const char *w;
	size_t i = 0, n = 0, len;

	while (ref_next_word(s, &i, &w, &len))
		n++;
	return n;
}

/* ---- helpers ----------------------------------------------------------- */

static void
fill(struct wordlist *w, const char *const *entries, size_t n)
{
	size_t i;

	wordlist_init(w);
	for (i = 0; i < n; i++)
		assert_int_equal(wordlist_add(w, entries[i]), 0);
}

/* wordlist_find() on the folded text, and the reference agreeing. */
static long
find(const struct wordlist *w, const char *text, size_t *which)
{
	size_t got = (size_t)-1, want = (size_t)-1;
	long pos, ref;
	char *f;

	assert_non_null(f = text_fold(text, strlen(text)));
	pos = wordlist_find(w, f, &got);
	ref = ref_find(w, f, &want);
	assert_int_equal(pos, ref);
	if (pos >= 0)
		assert_int_equal(got, want);
	free(f);
	*which = got;
	return pos;
}

/* Every word of the folded text against both answers to "entry word?". */
static void
check_entry_words(const struct wordlist *w, const char *folded)
{
	size_t i = 0, len;
	const char *t;

	while (ref_next_word(folded, &i, &t, &len))
		assert_int_equal(wordlist_has_entry_word(w, t, len),
		    ref_has_entry_word(w, t, len));
}

/* ---- behaviours -------------------------------------------------------- */

static void
test_phrase_is_consecutive_whole_words(void **state)
{
	static const char *const e[] = { "relevé d'identité bancaire",
	    "rib" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	assert_int_equal(find(&w, "Envoi du RELEVÉ D’IDENTITÉ BANCAIRE", &k),
	    9);
	assert_int_equal(k, 0);
	assert_int_equal(find(&w, "releve d'identite -- bancaire !", &k), 0);
	assert_int_equal(find(&w, "releve bancaire d'identite", &k), -1);
	assert_int_equal(find(&w, "releve d'identite", &k), -1);
	assert_int_equal(find(&w, "attribution ribs rib2 ribambelle", &k), -1);
	assert_int_equal(find(&w, "attribution, RIB.", &k), 13);
	assert_int_equal(k, 1);
	wordlist_free(&w);
}

static void
test_star_is_a_prefix(void **state)
{
	static const char *const e[] = { "suspen*", "droits interromp*",
	    "bloqu* depuis" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	assert_int_equal(find(&w, "Dossier SUSPENDU", &k), 8);
	assert_int_equal(k, 0);
	assert_int_equal(find(&w, "suspen", &k), 0);
	assert_int_equal(find(&w, "suspe", &k), -1);
	assert_int_equal(find(&w, "nos droits interrompus", &k), 4);
	assert_int_equal(k, 1);
	assert_int_equal(find(&w, "droits interrom", &k), -1);
	assert_int_equal(find(&w, "bloquée depuis mars", &k), 0);
	assert_int_equal(k, 2);
	/* the '*' applies to its word only: "depuis" stays whole */
	assert_int_equal(find(&w, "bloque depuisx", &k), -1);
	assert_true(wordlist_has_entry_word(&w, "suspendue", 9));
	assert_true(wordlist_has_entry_word(&w, "interrompu", 10));
	assert_true(wordlist_has_entry_word(&w, "depuis", 6));
	assert_false(wordlist_has_entry_word(&w, "depuisx", 7));
	assert_false(wordlist_has_entry_word(&w, "susp", 4));
	wordlist_free(&w);
}

static void
test_same_first_letter(void **state)
{
	static const char *const e[] = { "dossier en attente", "debloqu*",
	    "demande", "de", "de la caf", "d" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	/* the earliest position wins, then the entry added first */
	assert_int_equal(find(&w, "le dossier en attente", &k), 3);
	assert_int_equal(k, 0);
	assert_int_equal(find(&w, "le dossier en retard de la caf", &k), 21);
	assert_int_equal(k, 3);
	assert_int_equal(find(&w, "deblocage: dossier débloqué", &k), 19);
	assert_int_equal(k, 1);
	assert_int_equal(find(&w, "Demande d'aide", &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(find(&w, "aide d'urgence", &k), 5);
	assert_int_equal(k, 5);
	assert_int_equal(find(&w, "dos doss dossiers", &k), -1);
	wordlist_free(&w);
}

static void
test_entries_starting_with_a_non_word_byte(void **state)
{
	static const char *const e[] = { "-rib", "'iban", "*foo", "  de la",
	    "(r.i.b)", "« relevé »" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	/* what precedes the first word is no part of the entry */
	assert_int_equal(find(&w, "mon rib", &k), 4);
	assert_int_equal(k, 0);
	assert_int_equal(find(&w, "IBAN", &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(find(&w, "foo", &k), 0);
	assert_int_equal(k, 2);
	assert_int_equal(find(&w, "x de la y", &k), 2);
	assert_int_equal(k, 3);
	assert_int_equal(find(&w, "son R I B", &k), 4);
	assert_int_equal(k, 4);
	/* but « and » fold to themselves, non-ASCII: word bytes */
	assert_int_equal(find(&w, "un releve", &k), -1);
	assert_int_equal(find(&w, "un « Relevé »", &k), 3);
	assert_int_equal(k, 5);
	assert_int_equal(wordlist_entry_words(&w, 4), 3);
	wordlist_free(&w);
}

static void
test_empty_entries_match_nothing(void **state)
{
	static const char *const e[] = { "", "***", " - ' ", "*", "rib" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	assert_int_equal(w.n, NELEM(e));
	for (k = 0; k < 4; k++)
		assert_int_equal(wordlist_entry_words(&w, k), 0);
	assert_int_equal(find(&w, "*** - ' *", &k), -1);
	assert_int_equal(find(&w, "", &k), -1);
	assert_int_equal(find(&w, "un rib", &k), 3);
	assert_int_equal(k, 4);
	assert_false(wordlist_has_entry_word(&w, "", 0));
	wordlist_free(&w);
}

static void
test_empty_list(void **state)
{
	struct wordlist w;
	size_t k = 7;

	(void)state;
	wordlist_init(&w);
	assert_int_equal(wordlist_find(&w, "rib iban", &k), -1);
	assert_int_equal(k, 7);
	assert_false(wordlist_has_entry_word(&w, "rib", 3));
	assert_false(wordlist_has_word(&w, "rib", 3));
	wordlist_free(&w);
}

static void
test_entry_words_of_phrases(void **state)
{
	static const char *const e[] = { "sécurité sociale", "nir", "n°",
	    "pièce jointe", "a*" };
	static const struct {
		const char	*w;
		int		 in;
	} words[] = {
		{ "securite", 1 }, { "sociale", 1 }, { "social", 0 },
		{ "nir", 1 }, { "n", 0 }, { "n\xc2\xb0", 1 }, { "piece", 1 }, { "jointe", 1 },
		{ "a", 1 }, { "abc", 1 }, { "b", 0 }, { "nirs", 0 },
		{ "securite sociale", 0 }, { "zz", 0 },
	};
	struct wordlist w;
	size_t i;

	(void)state;
	fill(&w, e, NELEM(e));
	for (i = 0; i < NELEM(words); i++)
		assert_int_equal(wordlist_has_entry_word(&w, words[i].w,
		    strlen(words[i].w)), words[i].in);
	/* wordlist_has_word() compares the whole entry */
	assert_true(wordlist_has_word(&w, "securite sociale", 16));
	assert_false(wordlist_has_word(&w, "securite", 8));
	assert_true(wordlist_has_word(&w, "abc", 3));
	wordlist_free(&w);
}

static void
test_entry_word_counts(void **state)
{
	static const char *const e[] = { "depuis", "à compter du",
	    "date de suspension", "N'DIAYE", "gérard-d'almeida", "suspen*" };
	struct wordlist w;
	size_t k;

	(void)state;
	fill(&w, e, NELEM(e));
	for (k = 0; k < NELEM(e); k++)
		assert_int_equal(wordlist_entry_words(&w, k),
		    ref_count_words(w.v[k]));
	assert_int_equal(wordlist_entry_words(&w, 1), 3);
	assert_int_equal(wordlist_entry_words(&w, 4), 3);
	wordlist_free(&w);
}

/*
 * The lists of rules/ against sentences partners write: the index and the
 * reference agree on every position, entry and word.
 */
static void
test_rules_lists_as_before(void **state)
{
	static const char *const keywords[] = { "rib", "r.i.b",
	    "relevé d'identité bancaire", "iban", "coordonnées bancaires",
	    "changement de banque", "changement de compte bancaire",
	    "nouveau compte bancaire", "domiciliation bancaire", "suspen*",
	    "droits interrompus", "interruption des droits",
	    "interruption des paiements", "paiements interrompus", "blocage",
	    "bloqu*", "déblocage", "débloqu*", "dossier en attente",
	    "en attente de traitement" };
	static const char *const markers[] = { "depuis", "à compter du",
	    "à compter de", "à partir du", "à partir de", "en date du",
	    "date du", "date de suspension", "date du blocage",
	    "date de blocage", "suspendu", "suspendue", "suspendus",
	    "suspendues", "suspension du", "suspension au", "bloqué",
	    "bloquée", "bloqués", "bloquées", "blocage du", "blocage au",
	    "intervenu le", "intervenue le", "survenu le", "survenue le" };
	static const char *const texts[] = {
		"RE: TR: Demande RIB M. N'DIAYE 1 85 05 78 006 084 91",
		"Changement de compte bancaire - Mme GÉRARD-D'ALMEIDA",
		"Dossier bloqué depuis le 12/09/2026, en attente de traitement",
		"Droits suspendus à compter du 3 novembre 2026 (DUPONT)",
		"Bonjour, veuillez trouver ci-joint le R.I.B. de Mme Martin.",
		"paiements interrompus depuis le 1er mars; date de blocage: ?",
		"Attribution du dossier: aucune interruption des droits",
		"suspension au 16/11 - survenue le 02/10 - intervenu le 3 oct.",
		"",
		"!!! --- '' ***",
		"ÉÈÊ œuvre straße 😀 rib😀 🙂rib rib",
	};
	struct wordlist kw, mk;
	size_t i, k;
	char *f;

	(void)state;
	fill(&kw, keywords, NELEM(keywords));
	fill(&mk, markers, NELEM(markers));
	for (i = 0; i < NELEM(texts); i++) {
		find(&kw, texts[i], &k);
		find(&mk, texts[i], &k);
		assert_non_null(f = text_fold(texts[i], strlen(texts[i])));
		check_entry_words(&kw, f);
		check_entry_words(&mk, f);
		free(f);
	}
	wordlist_free(&kw);
	wordlist_free(&mk);
}

/* A small deterministic generator: the same cases on every run. */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Pieces close to one another, so that prefixes and near-misses abound. */
static const char *const pieces[] = {
	"a", "ab", "abc", "b", "ba", "de", "d", "del", "la", "l", "rib",
	"ri", "ribs", "é", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80", "1", "12",
	"a1",
};
static const char *const seps[] = { " ", "  ", "'", "-", ".", "*", ", ",
    "\t", "/", "" };

static void
random_text(uint32_t *x, char *out, size_t size, int pattern)
{
	size_t n = next_rand(x) % 5, len = 0, i;
	const char *p;

	out[0] = '\0';
	for (i = 0; i <= n; i++) {
		p = pieces[next_rand(x) % NELEM(pieces)];
		if (len + strlen(p) + 3 >= size)
			break;
		memcpy(out + len, p, strlen(p));
		len += strlen(p);
		if (pattern && next_rand(x) % 4 == 0)
			out[len++] = '*';
		p = seps[next_rand(x) % NELEM(seps)];
		if (len + strlen(p) + 1 >= size)
			break;
		memcpy(out + len, p, strlen(p));
		len += strlen(p);
	}
	out[len] = '\0';
}

static void
test_generated_lists_as_before(void **state)
{
	struct wordlist w;
	uint32_t x = 20261123;
	size_t round, e, n, t, k;
	char buf[64];
	char *f;

	(void)state;
	for (round = 0; round < 300; round++) {
		wordlist_init(&w);
		n = next_rand(&x) % 12;
		for (e = 0; e < n; e++) {
			random_text(&x, buf, sizeof(buf), 1);
			assert_int_equal(wordlist_add(&w, buf), 0);
		}
		for (t = 0; t < 40; t++) {
			random_text(&x, buf, sizeof(buf), 0);
			find(&w, buf, &k);
			assert_non_null(f = text_fold(buf, strlen(buf)));
			check_entry_words(&w, f);
			free(f);
		}
		for (k = 0; k < w.n; k++) {
			assert_int_equal(wordlist_entry_words(&w, k),
			    ref_count_words(w.v[k]));
			assert_int_equal(w.ent[k].len, strlen(w.v[k]));
		}
		wordlist_free(&w);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phrase_is_consecutive_whole_words),
		cmocka_unit_test(test_star_is_a_prefix),
		cmocka_unit_test(test_same_first_letter),
		cmocka_unit_test(test_entries_starting_with_a_non_word_byte),
		cmocka_unit_test(test_empty_entries_match_nothing),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_entry_words_of_phrases),
		cmocka_unit_test(test_entry_word_counts),
		cmocka_unit_test(test_rules_lists_as_before),
		cmocka_unit_test(test_generated_lists_as_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
