/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify - request type and "since" date from the Subject and first text
 * part (see classify.h).
 *
 * The type is a keyword search over folded text: wordlist_find() does the
 * whole-word, accent- and case-insensitive matching, this file only picks
 * the earliest keyword across types, the Subject first.
 *
 * Dates are read by hand rather than with sscanf so that every read is
 * bounded by the length given (the text may be a slice) and so that digits
 * belonging to something longer - a NIR, a phone number "06.12.05.10.20",
 * a reference - are never taken for a date: a date must start and end at
 * the edge of its digit runs and may not be glued, by its own separator,
 * to further digits.
 *
 * Durations ("depuis 3 semaines") are read where a date would be, right
 * after a marker, and turned into the day they started so that the
 * caller's comparison is the one it makes for dates.  Their words (counts,
 * units) are French, like the month names, and so live here; which
 * markers introduce them is the Caf's to say in rules/.
 *
 * Ownership: nothing returned is allocated.  Failure: on allocation
 * failure (text_fold) classify_type() answers NULL and classify_since()
 * DATE_NONE, i.e. "not recognised", which rejects rather than accepts.
 */
#include "balp/classify.h"
#include "balp/date.h"
#include "balp/text.h"
#include "balp/wordlist.h"

#include <stdlib.h>
#include <string.h>

/* Words the marker may leave between itself and the date ("depuis le"). */
#define SINCE_MAX_SKIPPED	3
#define SINCE_SHORT_WORD	3	/* "le", "du", "au", "the" */
#define MONTH_NAME_MAX		9	/* "septembre" */

static const struct {
	const char	*name;
	int		 month;
} months[] = {
	{ "janvier", 1 }, { "janv", 1 },
	{ "fevrier", 2 }, { "fev", 2 }, { "fevr", 2 },
	{ "mars", 3 },
	{ "avril", 4 }, { "avr", 4 },
	{ "mai", 5 },
	{ "juin", 6 },
	{ "juillet", 7 }, { "juil", 7 },
	{ "aout", 8 },
	{ "septembre", 9 }, { "sept", 9 },
	{ "octobre", 10 }, { "oct", 10 },
	{ "novembre", 11 }, { "nov", 11 },
	{ "decembre", 12 }, { "dec", 12 },
};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_date_sep(char c)
{
	return c == '/' || c == '-' || c == '.';
}

/* The same notion of word as wordlist.c, so marker ends line up. */
static int
is_word_byte(char c)
{
	return wordlist_is_word_byte((unsigned char)c);
}

/* Length of the run of digits at s[i..len). */
static size_t
digit_run(const char *s, size_t len, size_t i)
{
	size_t k = i;

	while (k < len && is_digit(s[k]))
		k++;
	return k - i;
}

static int
digits_value(const char *s, size_t n)
{
	int v = 0;
	size_t k;

	for (k = 0; k < n; k++)
		v = v * 10 + (s[k] - '0');
	return v;
}

/* 1 if s[i] is sep followed by a digit: the number goes on. */
static int
continues_after(const char *s, size_t len, size_t i, char sep)
{
	return i + 1 < len && s[i] == sep && is_digit(s[i + 1]);
}

/* 1 if the number starting at i is the tail of "digits sep". */
static int
continues_before(const char *s, size_t i, char sep)
{
	return i >= 2 && s[i - 1] == sep && is_digit(s[i - 2]);
}

/* YYYY-MM-DD at i (the 4-digit run is known to start there). */
static int32_t
date_iso_at(const char *s, size_t len, size_t i, size_t *end)
{
	int32_t day;
	size_t k = i + 4;

	if (k >= len || s[k] != '-' || continues_before(s, i, '-'))
		return DATE_NONE;
	if (digit_run(s, len, k + 1) != 2 || k + 3 >= len || s[k + 3] != '-' ||
	    digit_run(s, len, k + 4) != 2 || continues_after(s, len, k + 6, '-'))
		return DATE_NONE;
	if (date_from_ymd(digits_value(s + i, 4), digits_value(s + k + 1, 2),
	    digits_value(s + k + 4, 2), &day) == -1)
		return DATE_NONE;
	*end = k + 6;
	return day;
}

/* D/M/YYYY, D-M-YY, DD.MM.YYYY... at i (day run of n digits). */
static int32_t
date_numeric_at(const char *s, size_t len, size_t i, size_t n, size_t *end)
{
	int32_t day;
	size_t k = i + n, mn, yn;
	char sep = s[k];
	int y;

	if (continues_before(s, i, sep))
		return DATE_NONE;
	k++;
	mn = digit_run(s, len, k);
	if (mn < 1 || mn > 2 || k + mn >= len || s[k + mn] != sep)
		return DATE_NONE;
	yn = digit_run(s, len, k + mn + 1);
	if (yn != 2 && yn != 4)
		return DATE_NONE;
	if (continues_after(s, len, k + mn + 1 + yn, sep))
		return DATE_NONE;
	y = digits_value(s + k + mn + 1, yn);
	/* "12/09/26" is 2026; "12/09/80", a birth year, is 1980. */
	if (yn == 2)
		y += y < 70 ? 2000 : 1900;
	if (date_from_ymd(y, digits_value(s + k, mn), digits_value(s + i, n),
	    &day) == -1)
		return DATE_NONE;
	*end = k + mn + 1 + yn;
	return day;
}

/* The month named by the letters s[0..n), or 0. */
static int
month_number(const char *s, size_t n)
{
	size_t m;

	/* letters hold no NUL: the compare stops at a shorter name's end */
	for (m = 0; m < sizeof(months) / sizeof(months[0]); m++)
		if (text_ascii_ncasecmp(months[m].name, s, n) == 0 &&
		    months[m].name[n] == '\0')
			return months[m].month;
	return 0;
}

/* "3 nov. 2026", "1er octobre 2026" at i (day run of n digits). */
static int32_t
date_words_at(const char *s, size_t len, size_t i, size_t n, size_t *end)
{
	int32_t day;
	size_t k = i + n, w;
	int d, m, spaced;

	if (i >= 2 && is_date_sep(s[i - 1]) && is_digit(s[i - 2]))
		return DATE_NONE;
	d = digits_value(s + i, n);
	if (d == 1 && k + 1 < len && text_ascii_lower(s[k]) == 'e' &&
	    text_ascii_lower(s[k + 1]) == 'r')
		k += 2;
	if (k >= len || !is_space(s[k]))
		return DATE_NONE;
	while (k < len && is_space(s[k]))
		k++;
	for (w = 0; k + w < len && is_alpha(s[k + w]); w++)
		if (w >= MONTH_NAME_MAX)
			return DATE_NONE;	/* longer than any month name */
	/* "mars" followed by an accented or other word byte is another word */
	if (k + w < len && is_word_byte(s[k + w]))
		return DATE_NONE;
	if ((m = month_number(s + k, w)) == 0)
		return DATE_NONE;
	k += w;
	spaced = 0;
	if (k < len && s[k] == '.') {
		k++;
		spaced = 1;
	}
	while (k < len && is_space(s[k])) {
		k++;
		spaced = 1;
	}
	if (!spaced || digit_run(s, len, k) != 4)
		return DATE_NONE;
	if (date_from_ymd(digits_value(s + k, 4), m, d, &day) == -1)
		return DATE_NONE;
	*end = k + 4;
	return day;
}

/*
 * A date starting exactly at i, or DATE_NONE.  i must be the start of a
 * digit run.
 */
static int32_t
date_at(const char *s, size_t len, size_t i, size_t *end)
{
	size_t n;

	if (i >= len || !is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
		return DATE_NONE;
	n = digit_run(s, len, i);
	if (n == 4)
		return date_iso_at(s, len, i, end);
	if (n > 2 || i + n >= len)
		return DATE_NONE;
	if (is_date_sep(s[i + n]))
		return date_numeric_at(s, len, i, n, end);
	return date_words_at(s, len, i, n, end);
}

int32_t
classify_find_date(const char *text, size_t len, size_t *at, size_t *end)
{
	int32_t day;
	size_t i, e;

	if (text == NULL)
		return DATE_NONE;
	for (i = 0; i < len; i++) {
		if (!is_digit(text[i]) || (i > 0 && is_digit(text[i - 1])))
			continue;
		if ((day = date_at(text, len, i, &e)) == DATE_NONE)
			continue;
		if (at != NULL)
			*at = i;
		if (end != NULL)
			*end = e;
		return day;
	}
	return DATE_NONE;
}

const struct request_type *
classify_type_lazy(const struct rules *r, struct text_lazy *subject,
    struct text_lazy *text)
{
	struct text_lazy *src[2] = { subject, text };
	const struct request_type *best;
	const char *f;
	long pos, best_pos;
	size_t s, t;

	for (s = 0; s < 2; s++) {
		if (src[s]->s == NULL)
			continue;
		if ((f = text_lazy_folded(src[s])) == NULL)
			return NULL;
		best = NULL;
		best_pos = -1;
		for (t = 0; t < r->n_types; t++) {
			pos = wordlist_find(&r->types[t].keywords, f, NULL);
			/* strictly earlier: on a tie the type listed first wins */
			if (pos >= 0 && (best_pos < 0 || pos < best_pos)) {
				best = &r->types[t];
				best_pos = pos;
			}
		}
		if (best != NULL)
			return best;
	}
	return NULL;
}

const struct request_type *
classify_type(const struct rules *r, const char *subject, const char *text)
{
	const struct request_type *type;
	struct text_lazy s, t;

	text_lazy_init(&s, subject);
	text_lazy_init(&t, text);
	type = classify_type_lazy(r, &s, &t);
	text_lazy_free(&s);
	text_lazy_free(&t);
	return type;
}

/* Offset just after the nth word of s at or after i. */
static size_t
skip_words(const char *s, size_t len, size_t i, size_t nwords)
{
	while (nwords-- > 0) {
		while (i < len && !is_word_byte(s[i]))
			i++;
		while (i < len && is_word_byte(s[i]))
			i++;
	}
	return i;
}

/*
 * The day d/m of the year that makes it the latest such day not after
 * today: partners often leave the year out ("depuis le 9 novembre"), and
 * on 23/11/2026 that can only mean 9/11/2026.  DATE_NONE if impossible.
 */
static int32_t
infer_year(int m, int d, int32_t today)
{
	int32_t day;
	int y, tm, td, back;

	date_to_ymd(today, &y, &tm, &td);
	/* 29/02 may be up to four years back; 31/04 never exists. */
	for (back = 0; back <= 4; back++)
		if (date_from_ymd(y - back, m, d, &day) == 0 && day <= today)
			return day;
	return DATE_NONE;
}

/* "9 novembre", "1er mars" (no year) at i, a day run of n digits. */
static int32_t
yearless_words_at(const char *s, size_t len, size_t i, size_t n,
    int32_t today)
{
	size_t k = i + n, w;
	int d = digits_value(s + i, n), m;

	if (d == 1 && k + 1 < len && s[k] == 'e' && s[k + 1] == 'r')
		k += 2;
	if (k >= len || !is_space(s[k]))
		return DATE_NONE;
	while (k < len && is_space(s[k]))
		k++;
	for (w = 0; k + w < len && is_alpha(s[k + w]) && w <= MONTH_NAME_MAX; w++)
		;
	if ((k + w < len && is_word_byte(s[k + w])) ||
	    (m = month_number(s + k, w)) == 0)
		return DATE_NONE;
	return infer_year(m, d, today);
}

/* "16/11", "16.11" (no year) at i, a day run of n digits. */
static int32_t
yearless_numeric_at(const char *s, size_t len, size_t i, size_t n,
    int32_t today)
{
	size_t k = i + n, mn;
	char sep;

	if (k >= len || (s[k] != '/' && s[k] != '.'))
		return DATE_NONE;
	sep = s[k++];
	mn = digit_run(s, len, k);
	if (mn < 1 || mn > 2 || continues_after(s, len, k + mn, sep))
		return DATE_NONE;
	return infer_year(digits_value(s + k, mn), digits_value(s + i, n),
	    today);
}

/*
 * "novembre 2026" (the first of the month: the partner says since then)
 * or "novembre" alone (of the latest such month) at i, a word of w bytes.
 */
static int32_t
month_at(const char *s, size_t len, size_t i, size_t w, int32_t today)
{
	int32_t day;
	size_t k = i + w;
	int m;

	if ((m = month_number(s + i, w)) == 0)
		return DATE_NONE;
	if (k < len && s[k] == '.')
		k++;
	while (k < len && is_space(s[k]))
		k++;
	if (digit_run(s, len, k) == 4) {
		if (date_from_ymd(digits_value(s + k, 4), m, 1, &day) == -1)
			return DATE_NONE;
		return day;
	}
	if (k < len && is_digit(s[k]))
		return DATE_NONE;
	return infer_year(m, 1, today);
}

/*
 * Durations: "depuis 3 semaines", "depuis deux mois", "depuis hier".  The
 * words are those of the language, like the month names above, not a
 * policy: rules/ says which markers introduce them.  All are folded.
 */
#define DURATION_MAX_DAYS	36525	/* a century: older is as old */
#define DURATION_MAX_MONTHS	1200

static const struct {
	const char	*word;
	int		 n;
} number_words[] = {
	{ "un", 1 }, { "une", 1 }, { "deux", 2 }, { "trois", 3 },
	{ "quatre", 4 }, { "cinq", 5 }, { "six", 6 }, { "sept", 7 },
	{ "huit", 8 }, { "neuf", 9 }, { "dix", 10 }, { "onze", 11 },
	{ "douze", 12 }, { "treize", 13 }, { "quatorze", 14 },
	{ "quinze", 15 }, { "seize", 16 }, { "vingt", 20 }, { "trente", 30 },
	{ "quarante", 40 }, { "cinquante", 50 }, { "soixante", 60 },
	/* "quelques jours", "des mois": at least two, and no more is said */
	{ "quelques", 2 }, { "plusieurs", 2 }, { "des", 2 },
};

static const struct {
	const char	*word;
	int		 days;
	int		 months;
} unit_words[] = {
	{ "jour", 1, 0 }, { "jours", 1, 0 }, { "journee", 1, 0 },
	{ "journees", 1, 0 },
	{ "semaine", 7, 0 }, { "semaines", 7, 0 }, { "sem", 7, 0 },
	{ "mois", 0, 1 },
	{ "an", 0, 12 }, { "ans", 0, 12 }, { "annee", 0, 12 },
	{ "annees", 0, 12 },
};

/*
 * Words that may sit between a marker and what it introduces without
 * saying anything of the date: "depuis maintenant 3 semaines", "depuis
 * déjà le 2 octobre", "depuis environ deux mois".
 */
#define NUNITS	(sizeof(unit_words) / sizeof(unit_words[0]))

static const char *const filler_words[] = {
	"deja", "maintenant", "environ", "presque", "bientot", "pres",
	"desormais",
};

static int
word_is(const char *s, size_t w, const char *lit)
{
	return strlen(lit) == w && memcmp(s, lit, w) == 0;
}

/* The word at or after i: its start in *at, its length (0: none). */
static size_t
next_word(const char *s, size_t len, size_t i, size_t *at)
{
	size_t w;

	while (i < len && !is_word_byte(s[i]))
		i++;
	*at = i;
	for (w = 0; i + w < len && is_word_byte(s[i + w]); w++)
		;
	return w;
}

static int
number_word(const char *s, size_t w)
{
	size_t k;

	for (k = 0; k < sizeof(number_words) / sizeof(number_words[0]); k++)
		if (word_is(s, w, number_words[k].word))
			return number_words[k].n;
	return 0;
}

static int
is_filler(const char *s, size_t w)
{
	size_t k;

	for (k = 0; k < sizeof(filler_words) / sizeof(filler_words[0]); k++)
		if (word_is(s, w, filler_words[k]))
			return 1;
	return 0;
}

/*
 * The count at i, a word of w bytes: digits ("15", "15jours": *end then
 * stops after the digits, "4,5" or "1.5": *half set), or words,
 * "dix-sept" and "vingt et un" included.  *end is where the unit is
 * looked for.  0 if none.
 */
static int
quantity_at(const char *s, size_t len, size_t i, size_t w, size_t *end,
    int *half)
{
	size_t n, k, at, nw;
	int v, u;

	*half = 0;
	if ((n = digit_run(s, len, i)) > 0) {
		if (n > 4)
			return 0;
		/* "4,5 semaines", "1.5 mois": half units are what people say;
		 * another fraction ("1,3") or "15/11" is no count */
		if (i + n + 1 < len && (s[i + n] == ',' || s[i + n] == '.') &&
		    is_digit(s[i + n + 1])) {
			if (s[i + n + 1] != '5' || (i + n + 2 < len &&
			    is_digit(s[i + n + 2])))
				return 0;
			*half = 1;
			*end = i + n + 2;
			return digits_value(s + i, n);
		}
		if (i + n < len && is_date_sep(s[i + n]) && i + n + 1 < len &&
		    is_digit(s[i + n + 1]))
			return 0;
		*end = i + n;
		return digits_value(s + i, n);
	}
	if ((v = number_word(s + i, w)) == 0)
		return 0;
	*end = i + w;
	/* "dix-sept", "vingt et un": only spaces, '-' and "et" between */
	if (v == 10 || (v >= 20 && v % 10 == 0)) {
		for (k = *end; k < len && (s[k] == ' ' || s[k] == '-'); k++)
			;
		nw = next_word(s, len, k, &at);
		if (at == k && word_is(s + at, nw, "et")) {
			for (k = at + nw; k < len && (s[k] == ' ' ||
			    s[k] == '-'); k++)
				;
			nw = next_word(s, len, k, &at);
		}
		if (at == k && nw > 0 && (u = number_word(s + at, nw)) >= 1 &&
		    u <= 9) {
			v += u;
			*end = at + nw;
		}
	}
	return v;
}

/*
 * "Une quinzaine (de jours)", "une dizaine de jours": about that many,
 * read as that many; without a unit, days ("depuis une quinzaine").
 */
static const struct {
	const char	*word;
	int		 n;
} about_words[] = {
	{ "dizaine", 10 }, { "douzaine", 12 }, { "quinzaine", 15 },
	{ "vingtaine", 20 }, { "trentaine", 30 },
};

static int
about_word(const char *s, size_t w)
{
	size_t k;

	for (k = 0; k < sizeof(about_words) / sizeof(about_words[0]); k++)
		if (word_is(s, w, about_words[k].word))
			return about_words[k].n;
	return 0;
}

static size_t
unit_word(const char *s, size_t w)
{
	size_t u;

	for (u = 0; u < sizeof(unit_words) / sizeof(unit_words[0]); u++)
		if (word_is(s, w, unit_words[u].word))
			break;
	return u;
}

/*
 * After a unit ending at k: "et demi(e)" or "1/2" ("un mois et demi",
 * "4 semaines et demie", "1 mois 1/2").  1 if there.
 */
static int
half_after(const char *s, size_t len, size_t k)
{
	size_t at, nw;

	nw = next_word(s, len, k, &at);
	if (word_is(s + at, nw, "et")) {
		nw = next_word(s, len, at + nw, &at);
		return word_is(s + at, nw, "demi") ||
		    word_is(s + at, nw, "demie");
	}
	return word_is(s + at, nw, "1") && at + 2 < len && s[at + 1] == '/' &&
	    s[at + 2] == '2' && (at + 3 >= len || !is_digit(s[at + 3]));
}

/*
 * n units (unit_words[u]), and a half more if half, before today, no
 * further back than a century.  Half a month is 15 days, half a year six
 * months; half a day or a week is rounded down (4 semaines et demie is
 * 31 days back: at least what the partner says).
 */
static int32_t
counted_back(int32_t today, size_t u, int n, int half)
{
	long days = (long)n * unit_words[u].days;
	long mons = (long)n * unit_words[u].months;

	if (half) {
		days += unit_words[u].days / 2;
		mons += unit_words[u].months / 2;
		if (unit_words[u].months % 2 != 0)
			days += 15;
	}
	if (days > DURATION_MAX_DAYS)
		days = DURATION_MAX_DAYS;
	if (mons > DURATION_MAX_MONTHS)
		mons = DURATION_MAX_MONTHS;
	return date_add_months(today, -(int)mons) - (int32_t)days;
}

/*
 * A duration starting at the word i (w bytes), as the day it started, or
 * DATE_NONE.  "3 semaines": today minus three weeks; "hier": yesterday.
 * What only bounds the start is read as the partner's claim allows:
 * "moins d'un mois", "peu", "quelques jours" say the start may be as
 * late as today, so today (too recent for any "more than" rule); "plus
 * d'un mois" says it is at least a day further back than a month ago,
 * so today minus one month minus one day.  "Au moins deux mois" is two
 * months.
 */
static int32_t
duration_at(const char *s, size_t len, size_t i, size_t w, int32_t today)
{
	size_t at, nw, k, u;
	int sign = 0, n, half, about;

	if (word_is(s + i, w, "hier"))
		return today - 1;
	if (word_is(s + i, w, "peu"))
		return today;
	nw = next_word(s, len, i + w, &at);
	if (word_is(s + i, w, "avant") && word_is(s + at, nw, "hier"))
		return today - 2;
	if (word_is(s + i, w, "aujourd") && word_is(s + at, nw, "hui"))
		return today;
	if (word_is(s + i, w, "plus") || word_is(s + i, w, "moins")) {
		/* "au moins 2 mois" (no "de"): at least, i.e. two months */
		if (word_is(s + at, nw, "de") || word_is(s + at, nw, "d"))
			sign = s[i] == 'p' ? 1 : -1;
		i = at;
		w = nw;
		if (sign != 0)
			w = next_word(s, len, i + w, &i);
	}
	if (w == 0 || (n = quantity_at(s, len, i, w, &k, &half)) <= 0)
		return DATE_NONE;
	/* the unit: right after digits ("15jours", "3sem.") or next word */
	if (k >= len || !(is_word_byte(s[k]) || is_space(s[k]) ||
	    s[k] == '-' || s[k] == '\''))
		return DATE_NONE;
	nw = next_word(s, len, k, &at);
	if (!half && (about = about_word(s + at, nw)) > 0) {
		/* "une quinzaine de jours", "une quinzaine" */
		n *= about;
		k = at + nw;
		nw = next_word(s, len, k, &at);
		if (word_is(s + at, nw, "de") || word_is(s + at, nw, "d"))
			nw = next_word(s, len, at + nw, &at);
		if ((u = unit_word(s + at, nw)) == NUNITS) {
			u = unit_word("jours", 5);
			at = k;
			nw = 0;
		}
	} else if ((u = unit_word(s + at, nw)) == NUNITS)
		return DATE_NONE;
	if (!half)
		half = half_after(s, len, at + nw);
	if (sign < 0)
		return today;
	return counted_back(today, u, n, half) - (sign > 0 ? 1 : 0);
}

/*
 * The date right after a marker ending at i: a few short words ("le",
 * "du") may sit between them, nothing longer, so that "depuis plus d'un
 * an, ne le 12/09/1980" does not turn a birth date into the start date.
 * After a marker a date may lack its year, or its day ("depuis novembre").
 */
static int32_t
date_after_marker(const char *s, size_t len, size_t i, int32_t today)
{
	size_t skipped, w, e, n;
	int32_t day;

	for (skipped = 0; ; skipped++) {
		while (i < len && !is_word_byte(s[i]))
			i++;
		if (i >= len)
			return DATE_NONE;
		for (w = 0; i + w < len && is_word_byte(s[i + w]); w++)
			;
		if ((day = duration_at(s, len, i, w, today)) != DATE_NONE)
			return day;
		if (is_digit(s[i])) {
			if ((day = date_at(s, len, i, &e)) != DATE_NONE)
				return day;
			n = digit_run(s, len, i);
			if (n > 2)
				return DATE_NONE;
			if ((day = yearless_numeric_at(s, len, i, n, today)) !=
			    DATE_NONE)
				return day;
			return yearless_words_at(s, len, i, n, today);
		}
		for (w = 0; i + w < len && is_word_byte(s[i + w]); w++)
			if (!is_alpha(s[i + w]))
				return DATE_NONE;
		if ((day = month_at(s, len, i, w, today)) != DATE_NONE)
			return day;
		if ((w > SINCE_SHORT_WORD && !is_filler(s + i, w)) ||
		    skipped >= SINCE_MAX_SKIPPED)
			return DATE_NONE;
		i += w;
	}
}

/* The first date introduced by a marker in folded text, or DATE_NONE. */
static int32_t
marked_date(const struct wordlist *markers, const char *f, int32_t today)
{
	size_t len = strlen(f), pos = 0, which, nwords, at;
	int32_t day;
	long off;

	while (pos < len && (off = wordlist_find(markers, f + pos, &which)) >= 0) {
		at = pos + (size_t)off;
		nwords = wordlist_entry_words(markers, which);
		day = date_after_marker(f, len, skip_words(f, len, at, nwords),
		    today);
		if (day != DATE_NONE)
			return day;
		/* go on after the marker's first word: markers may overlap */
		pos = skip_words(f, len, at, 1);
	}
	return DATE_NONE;
}

int32_t
classify_since_lazy(const struct rules *r, struct text_lazy *subject,
    struct text_lazy *text, int32_t today)
{
	struct text_lazy *src[2] = { subject, text };
	const char *f;
	int32_t day;
	size_t s;

	for (s = 0; s < 2; s++) {
		if (src[s]->s == NULL)
			continue;
		if ((f = text_lazy_folded(src[s])) == NULL)
			return DATE_NONE;
		if ((day = marked_date(&r->date_markers, f, today)) !=
		    DATE_NONE)
			return day;
	}
	/* A bare date in the text may be a birth date or the letter's date:
	 * only the Subject's is taken without a marker. */
	if ((f = text_lazy_folded(subject)) == NULL)
		return DATE_NONE;
	return classify_find_date(f, strlen(f), NULL, NULL);
}

int32_t
classify_since(const struct rules *r, const char *subject, const char *text,
    int32_t today)
{
	struct text_lazy s, t;
	int32_t day;

	text_lazy_init(&s, subject);
	text_lazy_init(&t, text);
	day = classify_since_lazy(r, &s, &t, today);
	text_lazy_free(&s);
	text_lazy_free(&t);
	return day;
}
