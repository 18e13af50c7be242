/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nir - finding and checking the NIR in a Subject (see include/balp/nir.h
 * and docs/nir.md for the facts).
 *
 * Pure and allocation-free: nir_scan() keeps only offsets, flags and a
 * few 17-byte buffers on the stack, so it cannot fail, never reads past
 * len (NUL bytes are ordinary non-digits) and stays linear in len whatever
 * the Subject holds: every lookahead is capped at one NIR's worth of
 * groups.
 *
 * How a Subject is read.  A "chunk" is a maximal run of digits in which
 * A/B (either case) may follow a '2' (Corsica, 2A/2B) and a letter O may
 * stand for a zero (it is read, so that the partner hears "invalid", not
 * "missing"); a chunk never starts inside a word ("FR76", "RIB2", "NO"),
 * unless that word is a NIR prefix glued to the number ("NIR185...").  A
 * "run" is a sequence of chunks separated by 1 to 3 separator characters
 * (space, tab, . - / _ and the no-break and thin spaces), which is how
 * partners group a NIR.
 *
 * A window is the concatenation of consecutive whole chunks of a run.  It
 * is "aligned" when every place it was cut falls on a standard NIR group
 * boundary (after 1, 3, 5, 7, 10 or 13 characters: "1 85 05 78 006 084
 * 91", "1850578006084 91", plain).  Aligned valid windows win over
 * unaligned ones: that is what keeps a date or a phone number written
 * right before a NIR from being glued into a second, accidentally valid,
 * NIR ("25/03/2022 1 85 05 78" is one).  Unaligned valid windows count
 * when no aligned one is valid anywhere, so an odd grouping ("1850 578
 * 006 084 91") is found.
 *
 * Every NIR-shaped number is an item (see "Items" below): each chunk of a
 * run not yet inside an item may start a valid NIR, else a NIR-shaped
 * number along the standard grouping; chunks left over form segments
 * judged as a whole.  Dates, phone numbers, postcodes, SIRETs and IBANs
 * are none of these.  Each item sets its flag (invalid, key missing) and
 * is compared with the first: two different numbers are ambiguous, the
 * same written twice, or once without its key, is one.
 */
#include "balp/nir.h"
#include "balp/text.h"

#include <stdint.h>
#include <string.h>

#define NIR_BODY	13	/* characters before the key */
#define SEP_MAX		3	/* separator characters between two groups */
#define PUNCT_MAX	8	/* punctuation between a prefix word and a NIR */
#define WORD_MAX	48	/* bytes of a prefix word worth looking at */
#define NORM_MAX	24	/* bytes of a normalized prefix word */

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_corsica_letter(char c)
{
	return c == 'A' || c == 'B' || c == 'a' || c == 'b';
}

static char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* Value of the two digits at s, or -1. */
static int
two_digits(const char *s)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* The shape checks of docs/nir.md on 13 readable characters. */
static int
shape_ok(const char *s)
{
	int m, i;

	if (memchr("123478", s[0], 6) == NULL)
		return 0;
	for (i = 1; i < 5; i++)
		if (!is_digit(s[i]))
			return 0;
	/* 00 and 13-19 never; 20, 30-42, 50-99: unknown month, special. */
	m = two_digits(s + 3);
	if (!((m >= 1 && m <= 12) || m == 20 || (m >= 30 && m <= 42) ||
	    m >= 50))
		return 0;
	/* 97/98 take 3 digits of department and 2 of commune: all digits. */
	if (!(s[5] == '2' && is_corsica_letter(s[6])) && two_digits(s + 5) < 1)
		return 0;
	for (i = 7; i < NIR_BODY; i++)
		if (!is_digit(s[i]))
			return 0;
	return memcmp(s + 10, "000", 3) != 0;
}

/* Key of 13 characters of valid shape; N < 10^13 fits in 64 bits. */
static int
key_of(const char *s)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < NIR_BODY; i++) {
		if (i == 5 && is_corsica_letter(s[6])) {
			n = n * 100 + (to_upper(s[6]) == 'A' ? 19 : 18);
			i++;
			continue;
		}
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	return (int)(97 - n % 97);
}

/* 15 readable characters: shape, key digits, key value. */
static int
full_ok(const char *s)
{
	int k;

	if (!shape_ok(s))
		return 0;
	k = two_digits(s + NIR_BODY);
	return k >= 1 && k <= 97 && k == key_of(s);
}

int
nir_shape_valid(const char *s13)
{
	if (s13 == NULL || strnlen(s13, NIR_BODY + 1) != NIR_BODY)
		return 0;
	return shape_ok(s13);
}

int
nir_key(const char *s13)
{
	if (!nir_shape_valid(s13))
		return -1;
	return key_of(s13);
}

int
nir_valid(const char *s15)
{
	if (s15 == NULL || strnlen(s15, NIR_LEN + 1) != NIR_LEN)
		return 0;
	return full_ok(s15);
}

/*
 * Scanning.
 */

/* Bytes of the separator character at t[i], 0 if there is none. */
static size_t
sep_char(const char *t, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)t;

	switch (t[i]) {
	case ' ': case '\t': case '.': case '-': case '/': case '_':
		return 1;
	}
	/* U+00A0 no-break space */
	if (i + 1 < len && u[i] == 0xC2 && u[i + 1] == 0xA0)
		return 2;
	/* U+2009 thin space, U+202F narrow no-break space (French typing) */
	if (i + 2 < len && u[i] == 0xE2 && u[i + 1] == 0x80 &&
	    (u[i + 2] == 0x89 || u[i + 2] == 0xAF))
		return 3;
	return 0;
}

static int
is_o(char c)
{
	return c == 'O' || c == 'o';
}

/*
 * 1 if a chunk may start at t[i]: a digit, or a letter O typed for a zero
 * when a digit follows the O's (so that "O5" is a number and "Oct" or "NO"
 * is not).  Capped at 3 O's: a zero typed as O is a slip, not a habit.
 */
static int
chunk_start(const char *t, size_t len, size_t i)
{
	size_t k;

	if (i >= len)
		return 0;
	if (is_digit(t[i]))
		return 1;
	for (k = 0; k < 3 && i + k < len && is_o(t[i + k]); k++)
		;
	return k > 0 && i + k < len && is_digit(t[i + k]);
}

/*
 * Length of the chunk at t[p] (a chunk_start()), counting at most cap
 * characters: lookaheads only need to know "longer than a NIR".  O's
 * count as the zeros they stand for, except trailing ones that begin a
 * word ("10Octobre" is "10").
 */
static size_t
chunk_len(const char *t, size_t len, size_t p, size_t cap)
{
	size_t i = p;

	while (i < len && i - p < cap && (is_digit(t[i]) || is_o(t[i]) ||
	    (i > p && t[i - 1] == '2' && is_corsica_letter(t[i]))))
		i++;
	if (i < len && i - p < cap && is_ascii_letter(t[i]))
		while (i > p && is_o(t[i - 1]))
			i--;
	return i - p;
}

/*
 * Bytes of 1..SEP_MAX separators at t[p] followed by a digit (the next
 * chunk of the run), else 0: the run ends there.
 */
static size_t
sep_after(const char *t, size_t len, size_t p)
{
	size_t i = p, n, k;

	for (n = 0; i < len && n <= SEP_MAX; n++) {
		if ((k = sep_char(t, len, i)) == 0)
			break;
		i += k;
	}
	if (n == 0 || n > SEP_MAX || !chunk_start(t, len, i))
		return 0;
	return i - p;
}

/* Bytes of a no-break or thin space ending right before t[q], else 0. */
static size_t
space_before(const char *t, size_t q)
{
	const unsigned char *u = (const unsigned char *)t;

	if (q >= 2 && u[q - 2] == 0xC2 && u[q - 1] == 0xA0)
		return 2;
	if (q >= 3 && u[q - 3] == 0xE2 && u[q - 2] == 0x80 &&
	    (u[q - 1] == 0x89 || u[q - 1] == 0xAF))
		return 3;
	return 0;
}

/* Bytes of punctuation that may sit between "NIR" and the number. */
static size_t
punct_before(const char *t, size_t q)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t k;

	if (q >= 1 && memchr(" \t:.-#=/([", t[q - 1], 10) != NULL)
		return 1;
	if ((k = space_before(t, q)) != 0)
		return k;
	/* U+00B0 degree sign and U+00BA ordinal, both written for "N°" */
	if (q >= 2 && u[q - 2] == 0xC2 && (u[q - 1] == 0xB0 || u[q - 1] == 0xBA))
		return 2;
	return 0;
}

/*
 * Lower-cases the word into n (NORM_MAX bytes), é/è/ê to e, drops the
 * degree and ordinal signs of "N°", reads "№" as n.  0 when the word holds
 * anything else or is too long: it is then no prefix word.
 */
static int
normalize_word(const char *w, size_t len, char n[NORM_MAX])
{
	const unsigned char *u = (const unsigned char *)w;
	size_t i = 0, o = 0;

	while (i < len) {
		if (o + 1 >= NORM_MAX)
			return 0;
		if (is_ascii_letter(w[i])) {
			n[o++] = (char)(w[i] | 0x20);
			i++;
		} else if (i + 1 < len && u[i] == 0xC3 && (u[i + 1] == 0xA9 ||
		    u[i + 1] == 0x89 || u[i + 1] == 0xA8 || u[i + 1] == 0x88 ||
		    u[i + 1] == 0xAA || u[i + 1] == 0x8A)) {
			n[o++] = 'e';
			i += 2;
		} else if (i + 1 < len && u[i] == 0xC2 && (u[i + 1] == 0xB0 ||
		    u[i + 1] == 0xBA)) {
			i += 2;
		} else if (i + 2 < len && u[i] == 0xE2 && u[i + 1] == 0x84 &&
		    u[i + 2] == 0x96) {
			n[o++] = 'n';
			i += 3;
		} else
			return 0;
	}
	n[o] = '\0';
	return 1;
}

/* Words (normalized) that announce a NIR. */
static const char *const prefix_words[] = {
	"nir", "nnir", "nss", "ss", "secu", "nsecu", "sociale", "insee",
	"ninsee", "immatriculation",
};

/* "N°", "No", "numéro": look one word further back ("sécu n° 1..."). */
static const char *const number_words[] = {
	"n", "no", "num", "numero",
};

static int
in_table(const char *w, const char *const *tab, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w, tab[i]) == 0)
			return 1;
	return 0;
}

/* Start of the word (letters, any non-ASCII but spaces) ending at t[q]. */
static size_t
word_start(const char *t, size_t q)
{
	size_t s = q;

	while (s > 0 && q - s <= WORD_MAX && space_before(t, s) == 0 &&
	    (is_ascii_letter(t[s - 1]) || (unsigned char)t[s - 1] >= 0x80))
		s--;
	return s;
}

/*
 * 1 if the word ending at t[q] is a NIR prefix word; with number_words
 * allowed once, "n°" passes the question on to the word before it.
 */
static int
prefix_word_at(const char *t, size_t q, int hops)
{
	char n[NORM_MAX];
	size_t s, k, i;

	s = word_start(t, q);
	if (s == q || q - s > WORD_MAX || !normalize_word(t + s, q - s, n))
		return 0;
	if (in_table(n, prefix_words, sizeof(prefix_words) /
	    sizeof(prefix_words[0])))
		return 1;
	if (hops == 0 || !in_table(n, number_words, sizeof(number_words) /
	    sizeof(number_words[0])))
		return 0;
	for (i = 0; i < PUNCT_MAX && (k = punct_before(t, s)) != 0; i++)
		s -= k;
	return prefix_word_at(t, s, hops - 1);
}

/* 1 if a NIR prefix word stands right before the number at t[p]. */
static int
preceded_by_prefix(const char *t, size_t p)
{
	size_t q = p, k, i;

	for (i = 0; i < PUNCT_MAX && (k = punct_before(t, q)) != 0; i++)
		q -= k;
	return prefix_word_at(t, q, 1);
}

/*
 * 1 if a chunk starts at t[p]: a digit (or O) that does not continue a
 * word, except a NIR prefix glued to it ("NIR185...", "n°sécu185..."),
 * which sets *glued.
 */
static int
starts_chunk(const char *t, size_t len, size_t p, int *glued)
{
	*glued = 0;
	if (!chunk_start(t, len, p))
		return 0;
	if (p == 0)
		return 1;
	if (is_digit(t[p - 1]))
		return 0;
	if (!is_ascii_letter(t[p - 1]))
		return 1;
	*glued = prefix_word_at(t, p, 0);
	return *glued;
}

/* Cuts inside an aligned candidate: the standard grouping's boundaries. */
static int
boundary_ok(size_t at)
{
	return at == 1 || at == 3 || at == 5 || at == 7 || at == 10 ||
	    at == 13;
}

/*
 * The key written apart after the 13 characters, the way forms print it:
 * "(73)", "clé : 73", "cle 73", "clef 73", "key: 73".  Copies the two
 * digits to key and returns 1 if t[end...] holds one, else 0.
 */
static int
labelled_key(const char *t, size_t len, size_t end, char key[2])
{
	static const char *const words[] = { "cl\xc3\xa9", "cl\xc3\x89",
	    "clef", "cle", "key" };
	size_t i = end, k, n;
	int paren = 0, word = 0;

	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i < len && t[i] == '(') {
		paren = 1;
		i++;
	} else {
		for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
			n = strlen(words[k]);
			if (len - i >= n && text_ascii_ncasecmp(t + i, words[k],
			    n) == 0 && !(len - i > n && is_ascii_letter(t[i + n]))) {
				i += n;
				word = 1;
				break;
			}
		}
		if (!word)
			return 0;
		while (i < len && (t[i] == ' ' || t[i] == '\t'))
			i++;
		if (i < len && (t[i] == ':' || t[i] == '='))
			i++;
	}
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (len - i < 2 || !is_digit(t[i]) || !is_digit(t[i + 1]) ||
	    (len - i > 2 && is_digit(t[i + 2])))
		return 0;
	if (paren && (len - i < 3 || t[i + 2] != ')'))
		return 0;
	key[0] = t[i];
	key[1] = t[i + 1];
	return 1;
}

/*
 * Items.  A NIR-shaped number is one of: a valid NIR; an aligned window
 * of 13 characters not followed by a key attempt (see keyless()); an
 * aligned window of 14 to 16 characters that is not valid (14 and 16
 * only when shaped like a NIR and not a SIRET); a "segment" (chunks of a
 * run that belong to no item) of 13 to 16 characters that reads as a NIR
 * shape and as nothing else (a date, a SIRET, an IBAN); the number right
 * after a NIR prefix word when its run held no other item ("NIR : 12345").
 * Numbers of more than 16 characters are accounts and references.
 */
#define ITEM_MAX	16	/* characters of a NIR-shaped number, at most */
#define GROUP_MAX	(ITEM_MAX + 1)

/* What an item is, as flags: a keyless 13 with an O is both wrongs. */
#define ITEM_NONE		0
#define ITEM_VALID		0x01
#define ITEM_INVALID		0x02
#define ITEM_KEY_MISSING	0x04

/* What the scan keeps besides its caller's struct nir_scan. */
struct scan {
	struct nir_scan	*out;
	int		 need_aligned;	/* aligned valid NIRs exist: only they count */
	char		 rep[ITEM_MAX + 1];	/* first item, O read as 0 */
	size_t		 rep_len;
};

/* The chunks of a run that belong to no item, as they come. */
struct segment {
	char		 c[ITEM_MAX + 1];
	size_t		 total;		/* characters, all of them counted */
	size_t		 groups[GROUP_MAX];
	size_t		 ngroups;	/* capped at GROUP_MAX */
	int		 all_digits;
};

/* Copies n characters of t, upper-cased, to c at offset at (ITEM_MAX cap). */
static void
copy_upper(char *c, size_t at, const char *t, size_t n)
{
	size_t i;

	for (i = 0; i < n && at + i < ITEM_MAX; i++)
		c[at + i] = to_upper(t[i]);
}

/*
 * Characters of the longest window from the chunk at t[q] (of n
 * characters) cut only on the standard boundaries, up to ITEM_MAX + 1.
 */
static size_t
aligned_reach(const char *t, size_t len, size_t q, size_t n)
{
	size_t cum = n, s, nln;

	while (cum <= ITEM_MAX && boundary_ok(cum) &&
	    (s = sep_after(t, len, q + n)) != 0) {
		q += n + s;
		nln = chunk_len(t, len, q, ITEM_MAX + 1);
		cum += nln;
		n = nln;
	}
	return cum;
}

/*
 * 1 if t[end...] starts a key attempt after 13 characters: a 1-2
 * character chunk, unless it is a date's day ("1850578006084 12/09/2026":
 * a 2-digit chunk followed by a lone '/') or the first group of the next
 * NIR-shaped number ("1850578006084 - 2 87 06 34 172 058 74").
 */
static int
key_follows(const char *t, size_t len, size_t end)
{
	size_t s, q, n;

	if ((s = sep_after(t, len, end)) == 0)
		return 0;
	q = end + s;
	n = chunk_len(t, len, q, 3);
	if (n == 1 && aligned_reach(t, len, q, n) >= NIR_BODY)
		return 0;
	return n < 3 && !(q + n < len && t[q + n] == '/' &&
	    sep_after(t, len, q + n) == 1);
}

/*
 * 1 if a valid NIR starts with the chunk t[p..p+n): 15 characters over
 * whole chunks (cut only on the standard boundaries when need_aligned),
 * or 13 aligned ones and a labelled key.  Copies it to nir and sets *end
 * past its last chunk.
 */
static int
valid_from(const char *t, size_t len, size_t p, size_t n, int need_aligned,
    char nir[NIR_LEN + 1], size_t *end)
{
	size_t cum = n, q = p, ln = n, s;
	int aligned = 1;

	if (n > NIR_LEN)
		return 0;
	memset(nir, 0, NIR_LEN + 1);
	copy_upper(nir, 0, t + p, n);
	for (;;) {
		if (cum == NIR_BODY && aligned &&
		    labelled_key(t, len, q + ln, nir + NIR_BODY)) {
			/* The label ends the run: there is nothing further. */
			*end = q + ln;
			return full_ok(nir);
		}
		if (cum == NIR_LEN) {
			*end = q + ln;
			return (aligned || !need_aligned) && full_ok(nir);
		}
		if ((s = sep_after(t, len, q + ln)) == 0)
			return 0;
		if (!boundary_ok(cum))
			aligned = 0;
		if (need_aligned && !aligned)
			return 0;
		q += ln + s;
		ln = chunk_len(t, len, q, NIR_LEN + 1);
		if (cum + ln > NIR_LEN)
			return 0;
		copy_upper(nir, cum, t + q, ln);
		cum += ln;
	}
}

/*
 * 1 if the characters are 14 digits that pass the Luhn check, as every
 * SIRET does: such a number is an establishment, not a person.
 */
static int
luhn14(const char *c, size_t n)
{
	size_t i;
	int sum = 0, d;

	if (n != 14)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(c[i]))
			return 0;
		d = c[i] - '0';
		if ((n - 1 - i) % 2 == 1 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return sum % 10 == 0;
}

/* The shape checks on 13 characters with every O read as a zero. */
static int
shape_ok_as_meant(const char *c)
{
	char m[NIR_BODY];
	size_t i;

	for (i = 0; i < NIR_BODY; i++)
		m[i] = c[i] == 'O' ? '0' : c[i];
	return shape_ok(m);
}

/*
 * What 13 characters without key are: a NIR without its key when their
 * shape is right once an O is read as the zero it stands for (and also
 * invalid when there is such an O: the partner has both to fix); merely
 * invalid when the shape is wrong anyway ("0850578006084").
 */
static int
keyless(const char *c)
{
	if (!shape_ok_as_meant(c))
		return ITEM_INVALID;
	return ITEM_KEY_MISSING | (shape_ok(c) ? 0 : ITEM_INVALID);
}

/*
 * The NIR-shaped number, not valid, that starts with the chunk t[p..p+n)
 * along the standard grouping, if any: its kind, its characters in c
 * (*clen of them) and *end past its last chunk.  It stops before a chunk
 * that starts a valid NIR, so a number typed beside a NIR is not glued
 * to it.
 */
static int
shaped_from(const char *t, size_t len, size_t p, size_t n, int need_aligned,
    char c[ITEM_MAX + 1], size_t *clen, size_t *end)
{
	char nir[NIR_LEN + 1];
	size_t cum = n, q = p, ln = n, s, nq, nln, e;

	/*
	 * Longer numbers are accounts and references, not a NIR typo; one
	 * after '+' or starting 00 is an international phone number.
	 */
	if (n > ITEM_MAX || (p > 0 && t[p - 1] == '+') ||
	    (n >= 2 && t[p] == '0' && t[p + 1] == '0'))
		return ITEM_NONE;
	memset(c, 0, ITEM_MAX + 1);
	copy_upper(c, 0, t + p, n);
	for (;;) {
		if (cum == NIR_BODY) {
			*end = q + ln;
			*clen = NIR_BODY;
			if (labelled_key(t, len, q + ln, c + NIR_BODY)) {
				*clen = NIR_LEN;
				return ITEM_INVALID;
			}
			if (!key_follows(t, len, q + ln))
				return keyless(c);
		}
		if ((s = sep_after(t, len, q + ln)) == 0 || !boundary_ok(cum))
			break;
		nq = q + ln + s;
		nln = chunk_len(t, len, nq, ITEM_MAX + 1);
		if (cum + nln > ITEM_MAX ||
		    valid_from(t, len, nq, nln, need_aligned, nir, &e))
			break;
		copy_upper(c, cum, t + nq, nln);
		cum += nln;
		q = nq;
		ln = nln;
	}
	*end = q + ln;
	*clen = cum;
	if (cum < NIR_BODY)
		return ITEM_NONE;
	if (cum == NIR_BODY)
		return keyless(c);
	if (cum == NIR_LEN)
		return ITEM_INVALID;
	/* 14 or 16: a NIR typed one too short or long, or something else. */
	return shape_ok_as_meant(c) && !luhn14(c, cum) ? ITEM_INVALID :
	    ITEM_NONE;
}

/* 1 if the two items are one number (O read as 0 in both already). */
static int
same_number(const char *a, size_t an, const char *b, size_t bn)
{
	if (an == bn)
		return memcmp(a, b, an) == 0;
	/* A 13-character one is the other written without its key. */
	if ((an == NIR_BODY && bn > NIR_BODY) ||
	    (bn == NIR_BODY && an > NIR_BODY))
		return memcmp(a, b, NIR_BODY) == 0;
	return 0;
}

static void
record(struct scan *sc, int kind, const char *c, size_t n)
{
	struct nir_scan *o = sc->out;
	char v[ITEM_MAX + 1];
	size_t i;

	if (n > ITEM_MAX)
		n = ITEM_MAX;
	for (i = 0; i < n; i++)
		v[i] = c[i] == 'O' ? '0' : c[i];
	v[n] = '\0';
	if (kind == ITEM_NONE)
		return;
	o->seen = 1;
	if (kind & ITEM_VALID) {
		if (o->found == 0) {
			memcpy(o->nir, c, NIR_LEN);
			o->nir[NIR_LEN] = '\0';
			o->found = 1;
		} else if (memcmp(o->nir, c, NIR_LEN) != 0)
			o->found = 2;
	}
	if (kind & ITEM_INVALID)
		o->invalid = 1;
	if (kind & ITEM_KEY_MISSING)
		o->key_missing = 1;
	if (sc->rep_len == 0) {
		memcpy(sc->rep, v, n + 1);
		sc->rep_len = n;
	} else if (same_number(sc->rep, sc->rep_len, v, n)) {
		/* Keep the fuller writing, to compare the next ones with. */
		if (n > sc->rep_len) {
			memcpy(sc->rep, v, n + 1);
			sc->rep_len = n;
		}
	} else
		o->ambiguous = 1;
}

static void
segment_add(struct segment *sg, const char *t, size_t n)
{
	int k;

	if (sg->total == 0)
		sg->all_digits = 1;
	/* copy_upper() keeps the first ITEM_MAX characters only. */
	copy_upper(sg->c, sg->total < ITEM_MAX ? sg->total : ITEM_MAX, t, n);
	for (k = 0; (size_t)k < n; k++)
		if (!is_digit(t[k]))
			sg->all_digits = 0;
	if (sg->ngroups < GROUP_MAX)
		sg->groups[sg->ngroups] = n;
	sg->ngroups++;
	sg->total += n > SIZE_MAX - sg->total ? 0 : n;
}

/* 1 if groups[i..i+3) have the lengths a, b, c. */
static int
groups_are(const struct segment *sg, size_t i, size_t a, size_t b, size_t c)
{
	return i + 3 <= sg->ngroups && sg->groups[i] == a &&
	    sg->groups[i + 1] == b && sg->groups[i + 2] == c;
}

/*
 * 1 if the segment reads as something else than a NIR: a date (DD MM
 * YYYY or YYYY MM DD among its groups), a SIRET (3 3 3 5, 9 5, or 14
 * digits passing Luhn), an IBAN or account grouped by fours.
 */
static int
segment_is_other(const struct segment *sg)
{
	size_t i;
	int fours = 1;

	for (i = 0; i < sg->ngroups; i++) {
		if (groups_are(sg, i, 2, 2, 4) || groups_are(sg, i, 4, 2, 2))
			return 1;
		if (i + 1 < sg->ngroups && sg->groups[i] != 4)
			fours = 0;
	}
	if (sg->ngroups > 1 && fours)
		return 1;
	if ((sg->ngroups == 4 && groups_are(sg, 0, 3, 3, 3) &&
	    sg->groups[3] == 5) ||
	    (sg->ngroups == 2 && sg->groups[0] == 9 && sg->groups[1] == 5))
		return 1;
	return sg->all_digits && luhn14(sg->c, sg->total);
}

/* Judges the segment and empties it; 1 if it was a NIR-shaped number. */
static int
segment_close(struct segment *sg, struct scan *sc)
{
	int item = 0;

	if (sg->total >= NIR_BODY && sg->total <= ITEM_MAX &&
	    sg->ngroups <= GROUP_MAX && !segment_is_other(sg)) {
		/*
		 * A NIR grouped oddly beside an aligned one ("1850 578 006
		 * 084 91"): valid, so the Subject is ambiguous, not wrong.
		 */
		if (sg->total == NIR_LEN && full_ok(sg->c)) {
			record(sc, ITEM_VALID, sg->c, NIR_LEN);
			item = 1;
		} else if (shape_ok_as_meant(sg->c)) {
			record(sc, sg->total == NIR_BODY ? keyless(sg->c) :
			    ITEM_INVALID, sg->c, sg->total);
			item = 1;
		}
	}
	memset(sg, 0, sizeof(*sg));
	return item;
}

/* Scans the run starting at t[p]; returns where it ends. */
static size_t
scan_run(const char *t, size_t len, size_t p, int glued, struct scan *sc)
{
	struct segment sg;
	char c[ITEM_MAX + 1], run[ITEM_MAX + 1];
	size_t n, s, end, clen, covered = p, runlen = 0;
	int kind, prefixed, items = 0;

	prefixed = glued || preceded_by_prefix(t, p);
	memset(&sg, 0, sizeof(sg));
	memset(run, 0, sizeof(run));
	for (;;) {
		n = chunk_len(t, len, p, (size_t)-1);
		if (runlen < ITEM_MAX) {
			copy_upper(run, runlen, t + p, n);
			runlen = runlen + n > ITEM_MAX ? ITEM_MAX : runlen + n;
		}
		if (p < covered)
			;	/* part of the item just counted */
		else if (valid_from(t, len, p, n, sc->need_aligned, c, &end)) {
			items += segment_close(&sg, sc);
			record(sc, ITEM_VALID, c, NIR_LEN);
			items++;
			covered = end;
		} else if ((kind = shaped_from(t, len, p, n, sc->need_aligned,
		    c, &clen, &end)) != ITEM_NONE) {
			items += segment_close(&sg, sc);
			record(sc, kind, c, clen);
			items++;
			covered = end;
		} else
			segment_add(&sg, t + p, n);
		if ((s = sep_after(t, len, p + n)) == 0)
			break;
		p += n + s;
	}
	items += segment_close(&sg, sc);
	/* "NIR : 12345": the partner meant a NIR, and it is none. */
	if (prefixed && items == 0)
		record(sc, ITEM_INVALID, run, runlen);
	return p + n;
}

/* 1 if a valid NIR along the standard grouping is anywhere in the text. */
static int
any_aligned_valid(const char *t, size_t len)
{
	char nir[NIR_LEN + 1];
	size_t p = 0, n, s, end;
	int glued;

	while (p < len) {
		if (!starts_chunk(t, len, p, &glued)) {
			p++;
			continue;
		}
		for (;;) {
			n = chunk_len(t, len, p, (size_t)-1);
			if (valid_from(t, len, p, n, 1, nir, &end))
				return 1;
			if ((s = sep_after(t, len, p + n)) == 0)
				break;
			p += n + s;
		}
		p += n;
	}
	return 0;
}

void
nir_scan(const char *text, size_t len, struct nir_scan *out)
{
	struct scan sc;
	size_t p = 0;
	int glued;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return;
	memset(&sc, 0, sizeof(sc));
	sc.out = out;
	sc.need_aligned = any_aligned_valid(text, len);
	while (p < len) {
		if (starts_chunk(text, len, p, &glued))
			p = scan_run(text, len, p, glued, &sc);
		else
			p++;
	}
	/* The pseudonym is only worth keeping for one known beneficiary. */
	if (out->found != 1 || out->ambiguous)
		out->nir[0] = '\0';
}
