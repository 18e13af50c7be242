/*
 * nir - finding and checking the NIR in a Subject (see include/balp/nir.h
 * and docs/nir.md for the facts).
 *
 * Pure and allocation-free: nir_find() keeps only offsets, flags and a
 * 16-byte candidate on the stack, so it cannot fail, never reads past len
 * (NUL bytes are ordinary non-digits) and stays linear in len whatever the
 * Subject holds: every lookahead is capped at one NIR's worth of groups.
 *
 * How a Subject is read.  A "chunk" is a maximal run of digits in which
 * A/B (either case) may follow a '2' (Corsica, 2A/2B); a chunk never
 * starts inside a word ("FR76", "RIB2"), unless that word is a NIR prefix
 * glued to the number ("NIR185..."). A "run" is a sequence of chunks
 * separated by 1 to 3 separator characters (space, tab, . - / _ and the
 * no-break and thin spaces), which is how partners group a NIR.
 *
 * Candidates are the concatenations of consecutive whole chunks of a run.
 * A candidate is "aligned" when every place it was cut falls on a standard
 * NIR group boundary (after 1, 3, 5, 7, 10 or 13 characters: "1 85 05 78
 * 006 084 91", "1850578006084 91", plain).  Aligned valid candidates win
 * over unaligned ones: that is what keeps a date or a phone number written
 * right before a NIR from being glued into a second, accidentally valid,
 * NIR ("25/03/2022 1 85 05 78" is one) and the Subject looking ambiguous.
 * Unaligned candidates still count when no aligned one is valid, so an odd
 * grouping ("1850 578 006 084 91") is found.
 *
 * Outcome, first that applies: two distinct valid NIRs -> NIR_AMBIGUOUS;
 * one (maybe written twice) -> NIR_FOUND; an aligned, well-shaped 13-char
 * candidate not followed by a 1-2 character key attempt -> NIR_KEY_MISSING;
 * something NIR-like (an aligned candidate of 13 characters or more, a run
 * of 13 to 15 characters, or any number right after "NIR", "NSS", "N° SS",
 * "sécu", "sécurité sociale"...) -> NIR_INVALID; else NIR_MISSING.  Dates,
 * phone numbers and postcodes alone are none of these.
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

/*
 * Length of the chunk at t[p] (a digit), counting at most cap characters:
 * lookaheads only need to know "longer than a NIR".
 */
static size_t
chunk_len(const char *t, size_t len, size_t p, size_t cap)
{
	size_t i = p;

	while (i < len && i - p < cap && (is_digit(t[i]) ||
	    (i > p && t[i - 1] == '2' && is_corsica_letter(t[i]))))
		i++;
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
	if (n == 0 || n > SEP_MAX || i >= len || !is_digit(t[i]))
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
 * 1 if a chunk starts at t[p]: a digit that does not continue a word,
 * except a NIR prefix glued to it ("NIR185...", "n°sécu185..."), which
 * sets *glued.
 */
static int
starts_chunk(const char *t, size_t p, int *glued)
{
	*glued = 0;
	if (!is_digit(t[p]))
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

/* What the scan has seen so far. */
struct tier {
	char	 nir[NIR_LEN + 1];
	int	 count;		/* distinct valid NIRs, capped at 2 */
};

struct seen {
	struct tier	 aligned;
	struct tier	 unaligned;
	int		 key_missing;
	int		 attempt;	/* something NIR-like */
};

/* Cuts inside an aligned candidate: the standard grouping's boundaries. */
static int
boundary_ok(size_t at)
{
	return at == 1 || at == 3 || at == 5 || at == 7 || at == 10 ||
	    at == 13;
}

static void
candidate(struct seen *sn, const char *c, int aligned)
{
	struct tier *t = aligned ? &sn->aligned : &sn->unaligned;

	if (!full_ok(c))
		return;
	if (t->count == 0) {
		memcpy(t->nir, c, NIR_LEN);
		t->nir[NIR_LEN] = '\0';
		t->count = 1;
	} else if (memcmp(t->nir, c, NIR_LEN) != 0)
		t->count = 2;
}

/*
 * An aligned, well-shaped 13 ending at t[end]: the key is missing unless
 * a 1-2 character chunk follows (a key, wrong since no 15 was valid).  A
 * 2-digit chunk followed by a lone '/' is the day of a date, not a key.
 */
static void
body_alone(const char *t, size_t len, size_t end, const char *c,
    struct seen *sn)
{
	size_t s, q, n;

	if (!shape_ok(c))
		return;
	if ((s = sep_after(t, len, end)) != 0) {
		q = end + s;
		n = chunk_len(t, len, q, 3);
		if (n < 3 && !(q + n < len && t[q + n] == '/' &&
		    sep_after(t, len, q + n) == 1))
			return;
	}
	sn->key_missing = 1;
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

/* Every candidate starting with the chunk t[p..p+n). */
static void
windows_from(const char *t, size_t len, size_t p, size_t n, struct seen *sn)
{
	char c[NIR_LEN + 1];
	size_t cum = n, q = p, ln = n, s;
	int aligned = 1;

	if (n >= NIR_BODY)
		sn->attempt = 1;
	if (n > NIR_LEN)
		return;
	memset(c, 0, sizeof(c));
	for (s = 0; s < n; s++)
		c[s] = to_upper(t[p + s]);
	for (;;) {
		if (cum == NIR_LEN)
			candidate(sn, c, aligned);
		if (cum == NIR_BODY && aligned) {
			if (labelled_key(t, len, q + ln, c + NIR_BODY))
				candidate(sn, c, 1);
			else
				body_alone(t, len, q + ln, c, sn);
			c[NIR_BODY] = c[NIR_BODY + 1] = '\0';
		}
		if ((s = sep_after(t, len, q + ln)) == 0)
			return;
		q += ln + s;
		ln = chunk_len(t, len, q, NIR_LEN + 1);
		if (!boundary_ok(cum))
			aligned = 0;
		if (aligned && cum + ln >= NIR_BODY)
			sn->attempt = 1;
		if (cum + ln > NIR_LEN)
			return;
		for (s = 0; s < ln; s++)
			c[cum + s] = to_upper(t[q + s]);
		cum += ln;
	}
}

/* Scans the run starting at t[p]; returns where it ends. */
static size_t
scan_run(const char *t, size_t len, size_t p, int glued, struct seen *sn)
{
	size_t n, s, total = 0;
	int prefixed;

	prefixed = glued || preceded_by_prefix(t, p);
	for (;;) {
		n = chunk_len(t, len, p, (size_t)-1);
		windows_from(t, len, p, n, sn);
		total += n;
		if ((s = sep_after(t, len, p + n)) == 0)
			break;
		p += n + s;
	}
	if (prefixed || (total >= NIR_BODY && total <= NIR_LEN))
		sn->attempt = 1;
	return p + n;
}

enum nir_status
nir_find(const char *text, size_t len, char out[NIR_LEN + 1])
{
	struct seen sn;
	const struct tier *t;
	size_t p = 0;
	int glued;

	out[0] = '\0';
	if (text == NULL)
		return NIR_MISSING;
	memset(&sn, 0, sizeof(sn));
	while (p < len) {
		if (starts_chunk(text, p, &glued))
			p = scan_run(text, len, p, glued, &sn);
		else
			p++;
	}
	t = sn.aligned.count > 0 ? &sn.aligned : &sn.unaligned;
	if (t->count > 1)
		return NIR_AMBIGUOUS;
	if (t->count == 1) {
		memcpy(out, t->nir, NIR_LEN + 1);
		return NIR_FOUND;
	}
	if (sn.key_missing)
		return NIR_KEY_MISSING;
	if (sn.attempt)
		return NIR_INVALID;
	return NIR_MISSING;
}
