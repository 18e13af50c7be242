/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_nir - the NIR checks and the search of a NIR in a Subject.
 *
 * Vectors are those of docs/nir.md; writing forms are those partners use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balp/nir.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct vector {
	const char	*body;
	int		 key;
} vectors[] = {
	{ "1850578006084", 91 },	/* man, Yvelines */
	{ "2690299341732", 85 },	/* woman, born abroad */
	{ "185082A004012", 21 },	/* Corsica 2A */
	{ "269052B123456", 18 },	/* Corsica 2B */
	{ "2870634172058", 73 },	/* woman, Hérault */
	{ "8010199999001", 97 },	/* temporary number (NIA) */
};

static void
full(char out[NIR_LEN + 1], const char *body, int key)
{
	snprintf(out, NIR_LEN + 1, "%s%02d", body, key);
}

static void
test_key_of_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		assert_true(nir_shape_valid(vectors[i].body));
		assert_int_equal(nir_key(vectors[i].body), vectors[i].key);
	}
}

static void
test_vectors_valid(void **state)
{
	char s[NIR_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		full(s, vectors[i].body, vectors[i].key);
		assert_int_equal(nir_valid(s), 1);
	}
}

static void
test_vectors_key_off_by_one(void **state)
{
	char s[NIR_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		full(s, vectors[i].body, vectors[i].key + 1);
		assert_int_equal(nir_valid(s), 0);
		full(s, vectors[i].body, vectors[i].key - 1);
		assert_int_equal(nir_valid(s), 0);
	}
}

static void
test_corsica_lower_case(void **state)
{
	(void)state;
	assert_int_equal(nir_key("185082a004012"), 21);
	assert_int_equal(nir_key("269052b123456"), 18);
	assert_int_equal(nir_valid("185082a00401221"), 1);
	assert_int_equal(nir_valid("269052b12345618"), 1);
}

/* 2A and 2B are read as 19 and 18, not as 20 */
static void
test_corsica_not_read_as_20(void **state)
{
	(void)state;
	assert_int_not_equal(nir_key("185082A004012"),
	    nir_key("1850820004012"));
	assert_int_equal(nir_key("185082A004012"), nir_key("1850819004012"));
	assert_int_equal(nir_key("269052B123456"), nir_key("2690518123456"));
}

static void
test_shape_rejections(void **state)
{
	static const char *const bad[] = {
		"0850578006084",	/* sex 0 */
		"5850578006084",	/* sex 5 */
		"6850578006084",	/* sex 6 */
		"9850578006084",	/* sex 9 */
		"1850078006084",	/* month 00 */
		"1851378006084",	/* month 13 */
		"1851978006084",	/* month 19 */
		"1852178006084",	/* month 21 */
		"1852978006084",	/* month 29 */
		"1854378006084",	/* month 43 */
		"1854978006084",	/* month 49 */
		"1850500006084",	/* department 00 */
		"185052C006084",	/* 2C is no department */
		"185053A006084",	/* A only after 2 */
		"1A50578006084",	/* letter in the year */
		"18505780060A4",	/* letter in the order */
		"185057800A084",	/* letter in the commune */
		"1850578006000",	/* order 000 */
		"1850578006 84",	/* a space */
		"185057800608",		/* 12 characters */
		"18505780060841",	/* 14 characters */
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		assert_int_equal(nir_shape_valid(bad[i]), 0);
		assert_int_equal(nir_key(bad[i]), -1);
	}
	assert_int_equal(nir_shape_valid(NULL), 0);
	assert_int_equal(nir_key(NULL), -1);
}

static void
test_shape_accepts(void **state)
{
	static const char *const good[] = {
		"3850578006084", "4850578006084", "7850578006084",
		"1852078006084",	/* month 20 */
		"1853078006084",	/* month 30 */
		"1854278006084",	/* month 42 */
		"1855078006084",	/* month 50 */
		"1859978006084",	/* month 99 */
		"1850501006084",	/* department 01 */
		"1850595006084",	/* department 95 */
		"1850596006084",	/* 96 */
		"1850597112084",	/* 971 + commune 12 */
		"1850598712084",	/* 987 */
		"1850599134084",	/* abroad */
		"1850578006001",	/* order 001 */
		"1850578006999",	/* order 999 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		assert_int_equal(nir_shape_valid(good[i]), 1);
		assert_in_range(nir_key(good[i]), 1, 97);
	}
}

static void
test_valid_rejects(void **state)
{
	static const char *const bad[] = {
		"185057800608400",	/* key 00 */
		"801019999900198",	/* key 98 */
		"185057800608499",	/* key 99 */
		"18505780060849",	/* 14 characters */
		"1850578006084911",	/* 16 characters */
		"18505780060849A",	/* letter in the key */
		"085057800608491",	/* shape */
		"185057800600091",	/* order 000 */
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		assert_int_equal(nir_valid(bad[i]), 0);
	assert_int_equal(nir_valid(NULL), 0);
}

/*
 * nir_scan
 */

/* What a Subject should give: FOUND with the NIR, and/or reasons. */
#define W_MISSING	0
#define W_FOUND		0x01
#define W_KEY		0x02
#define W_INV		0x04
#define W_AMB		0x08

struct find_case {
	const char		*text;
	int			 want;
	const char		*nir;	/* with W_FOUND */
};

static int
scan_bits(const char *text, size_t len, struct nir_scan *sc)
{
	int got;

	memset(sc, 'x', sizeof(*sc));
	nir_scan(text, len, sc);
	got = (sc->nir[0] != '\0' ? W_FOUND : 0) |
	    (sc->key_missing ? W_KEY : 0) | (sc->invalid ? W_INV : 0) |
	    (sc->ambiguous ? W_AMB : 0);
	/* Missing is exactly "nothing seen"; a NIR is kept only when found. */
	assert_int_equal(sc->seen == 0, got == 0 && sc->found == 0);
	if (sc->nir[0] != '\0')
		assert_int_equal(sc->found, 1);
	return got;
}

static void
run_cases(const struct find_case *c, size_t n)
{
	struct nir_scan sc;
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		got = scan_bits(c[i].text, strlen(c[i].text), &sc);
		if (got != c[i].want)
			fail_msg("case %zu \"%s\": got %#x, want %#x", i,
			    c[i].text, got, c[i].want);
		if (c[i].want & W_FOUND)
			assert_string_equal(sc.nir, c[i].nir);
		else
			assert_string_equal(sc.nir, "");
	}
}

#define N1	"185057800608491"

static void
test_find_writing_forms(void **state)
{
	static const struct find_case c[] = {
		{ "185057800608491", W_FOUND, N1 },
		{ "1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "1.85.05.78.006.084.91", W_FOUND, N1 },
		{ "1-85-05-78-006-084-91", W_FOUND, N1 },
		{ "1_85_05_78_006_084_91", W_FOUND, N1 },
		{ "1\t85\t05\t78\t006\t084\t91", W_FOUND, N1 },
		{ "1 - 85 - 05 - 78 - 006 - 084 - 91", W_FOUND, N1 },
		{ "1850578006084 91", W_FOUND, N1 },
		{ "1850578006084-91", W_FOUND, N1 },
		{ "1850578006084/91", W_FOUND, N1 },
		{ "1850578006084 / 91", W_FOUND, N1 },
		{ "18505 78006 08491", W_FOUND, N1 },
		/* no-break and narrow no-break spaces (French typing) */
		{ "1\xc2\xa0" "85\xc2\xa0" "05\xc2\xa0" "78\xc2\xa0" "006"
		  "\xc2\xa0" "084\xc2\xa0" "91", W_FOUND, N1 },
		{ "1\xe2\x80\xaf" "85\xe2\x80\xaf" "05\xe2\x80\xaf" "78"
		  "\xe2\x80\xaf" "006\xe2\x80\xaf" "084\xe2\x80\xaf" "91",
		  W_FOUND, N1 },
		/* an odd grouping is still found */
		{ "1850 578 006 084 91", W_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_key_written_apart(void **state)
{
	static const struct find_case c[] = {
		{ "NIR 2870634172058 Cl\xc3\xa9 : 73", W_FOUND, "287063417205873" },
		{ "NIR 2870634172058 CL\xc3\x89 73", W_FOUND, "287063417205873" },
		{ "2870634172058 cle: 73 MARTIN", W_FOUND, "287063417205873" },
		{ "2870634172058 clef 73", W_FOUND, "287063417205873" },
		{ "2870634172058 (73)", W_FOUND, "287063417205873" },
		{ "2 87 06 34 172 058 (73) - MARTIN", W_FOUND, "287063417205873" },
		{ "2870634172058 key=73", W_FOUND, "287063417205873" },
		/* a wrong key written apart is a wrong key, not a missing one */
		{ "2870634172058 cl\xc3\xa9 : 74", W_INV, NULL },
		{ "2870634172058 (74)", W_INV, NULL },
		/* not a key: three digits, an unclosed parenthesis, a word */
		{ "2870634172058 (735)", W_KEY, NULL },
		{ "2870634172058 (73", W_KEY, NULL },
		{ "2870634172058 clement 73", W_KEY, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_prefixed(void **state)
{
	static const struct find_case c[] = {
		{ "NIR : 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "NIR:185057800608491", W_FOUND, N1 },
		{ "NIR185057800608491", W_FOUND, N1 },
		{ "N° SS 185057800608491", W_FOUND, N1 },
		{ "N°SS:1850578006084 91", W_FOUND, N1 },
		{ "n°sécu 185057800608491", W_FOUND, N1 },
		{ "n°sécu185057800608491", W_FOUND, N1 },
		{ "NSS 1850578006084 91", W_FOUND, N1 },
		{ "n°185057800608491", W_FOUND, N1 },
		{ "(NIR 1 85 05 78 006 084 91)", W_FOUND, N1 },
		{ "numéro de sécurité sociale : 1 85 05 78 006 084 91",
		  W_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_among_other_text(void **state)
{
	static const struct find_case c[] = {
		{ "RIB - DUPONT Jean - 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "RE: TR: RIB 185057800608491", W_FOUND, N1 },
		{ "12/09/2026 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "1 85 05 78 006 084 91 12/09/2026", W_FOUND, N1 },
		{ "12/09/2026 185057800608491", W_FOUND, N1 },
		/* "25 03 2022 1 85 05 78" is itself a valid NIR, by chance */
		{ "25/03/2022 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "Blocage depuis le 10/05/2021 1 85 05 78 006 084 91",
		  W_FOUND, N1 },
		{ "185057800608491 12/09/2026", W_FOUND, N1 },
		{ "06 12 34 56 78 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "1 85 05 78 006 084 91 06 12 34 56 78", W_FOUND, N1 },
		{ "Suspendu depuis le 12/09/2026 - 06.12.34.56.78 - "
		  "1 85 05 78 006 084 91 - 34000", W_FOUND, N1 },
		{ "IBAN FR76 3000 6000 0112 3456 7890 189 NIR 1 85 05 78 006 "
		  "084 91", W_FOUND, N1 },
		{ "DUPONT Jean 185057800608491X", W_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_corsica(void **state)
{
	static const struct find_case c[] = {
		{ "2 69 05 2B 123 456 18", W_FOUND, "269052B12345618" },
		{ "2 69 05 2b 123 456 18", W_FOUND, "269052B12345618" },
		{ "1 85 08 2A 004 012 21", W_FOUND, "185082A00401221" },
		{ "1 85 08 2a 004 012 21", W_FOUND, "185082A00401221" },
		{ "185082a00401221", W_FOUND, "185082A00401221" },
		{ "NIR 269052B123456 18", W_FOUND, "269052B12345618" },
		{ "2 69 05 2B 123 456 19", W_INV, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_twice_and_ambiguous(void **state)
{
	static const struct find_case c[] = {
		{ "185057800608491 287063417205873", W_AMB, NULL },
		{ "1 85 05 78 006 084 91 / 2 87 06 34 172 058 73",
		  W_AMB, NULL },
		{ "DUPONT 185057800608491 MARTIN 2870634172058 73",
		  W_AMB, NULL },
		{ "185057800608491 1 85 05 78 006 084 91", W_FOUND, N1 },
		{ "NIR 185057800608491 (rappel : 1850578006084-91)",
		  W_FOUND, N1 },
		/* a valid NIR and a wrong one: two numbers, one wrong */
		{ "185057800608491 185057800608492", W_INV | W_AMB, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

/*
 * Every NIR-shaped number is checked (DESIGN "Decision"): each wrong one
 * adds its reason, two different ones are ambiguous, one written twice is
 * one.
 */
static void
test_find_every_number(void **state)
{
	static const struct find_case c[] = {
		/* valid + wrong key: invalid, and two numbers */
		{ "185057800608491 185057800608492", W_INV | W_AMB, NULL },
		{ "NIR 1 85 05 78 006 084 91 - 2 87 06 34 172 058 74",
		  W_INV | W_AMB, NULL },
		/* valid + 13 characters of another */
		{ "185057800608491 2870634172058", W_KEY | W_AMB, NULL },
		/*
		 * valid + its own 13 characters: one number (its NIR kept),
		 * the key missing once
		 */
		{ "185057800608491 1850578006084", W_FOUND | W_KEY, N1 },
		/* two valid different, in any order and writing */
		{ "287063417205873 1 85 05 78 006 084 91", W_AMB, NULL },
		{ "185082A00401221 269052B12345618", W_AMB, NULL },
		/* the same twice, grouped and plain, key apart */
		{ "1 85 05 78 006 084 91 (185057800608491)", W_FOUND, N1 },
		{ "1850578006084-91 / 1.85.05.78.006.084.91", W_FOUND, N1 },
		{ "185082a00401221 1 85 08 2A 004 012 21", W_FOUND,
		  "185082A00401221" },
		/* valid + invalid 13 + wrong key: every reason */
		{ "185057800608491 2870634172058 287063417205874",
		  W_KEY | W_INV | W_AMB, NULL },
		/* a 13 then another number: its first group is no key */
		{ "1850578006084 - 2 87 06 34 172 058 74 - 185057800608491",
		  W_KEY | W_INV | W_AMB, NULL },
		{ "1850578006084 1 85 05 78 006 084 91", W_FOUND | W_KEY, N1 },
		/* two wrong ones, different: both reasons */
		{ "185057800608492 2870634172058", W_KEY | W_INV | W_AMB,
		  NULL },
		/* the same wrong one twice is one */
		{ "185057800608492 1 85 05 78 006 084 92", W_INV, NULL },
		/* after a prefix, a number that is none, beside a NIR */
		{ "NIR 185057800608491 NSS 12345", W_INV | W_AMB, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

/* A letter O typed for a zero is a wrong NIR, never a missing one. */
static void
test_find_letter_o(void **state)
{
	static const struct find_case c[] = {
		/* start of a group, middle, key */
		{ "1 85 O5 78 006 084 91", W_INV, NULL },
		{ "1850578OO6084 91", W_INV, NULL },
		{ "18505780060849O", W_INV, NULL },
		{ "1850578006084 9O", W_INV, NULL },
		{ "NIR 1850578006O8491", W_INV, NULL },
		/* the very start (sex can never be 0 anyway) */
		{ "O85057800608491", W_INV, NULL },
		/* lower case */
		{ "1 85 o5 78 oo6 o84 91", W_INV, NULL },
		/* 13 characters with an O: both to fix */
		{ "185o578006084", W_KEY | W_INV, NULL },
		{ "1 85 O5 78 006 084", W_KEY | W_INV, NULL },
		/* a wrong shape anyway is no keyless NIR */
		{ "O850578006084", W_INV, NULL },
		/* beside the same NIR written right: one number, invalid */
		{ "185057800608491 (1 85 O5 78 OO6 O84 91)", W_FOUND | W_INV,
		  N1 },
		/* beside another NIR: invalid and ambiguous */
		{ "287063417205873 1 85 O5 78 006 084 91", W_INV | W_AMB,
		  NULL },
		/* an odd grouping with an O */
		{ "1850 578 OO6 084 91", W_INV, NULL },
		/* words with O are no numbers */
		{ "DUPONT Octave 185057800608491", W_FOUND, N1 },
		{ "RIB NO 185057800608491 OK", W_FOUND, N1 },
		{ "suspendu le 10Octobre 185057800608491", W_FOUND, N1 },
		{ "Dossier O-ROUX", W_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

/* 2A/2B and the letter O: the Corsican letter is no O, an O is no A. */
static void
test_find_corsica_and_letter_o(void **state)
{
	static const struct find_case c[] = {
		{ "1 85 08 2A 004 012 21", W_FOUND, "185082A00401221" },
		{ "1 85 O8 2A 004 012 21", W_INV, NULL },
		{ "1 85 08 2A OO4 O12 21", W_INV, NULL },
		{ "185082AOO401221", W_INV, NULL },
		{ "2 69 05 2b 123 456 18", W_FOUND, "269052B12345618" },
		{ "2 69 O5 2b 123 456 18", W_INV, NULL },
		{ "269052B123456 1O", W_INV, NULL },
		/* the same Corsican NIR, once with O: one number */
		{ "185082A00401221 185082AOO401221", W_FOUND | W_INV,
		  "185082A00401221" },
		/* 2O is 20, not a Corsican department */
		{ "1 85 08 2O 004 012 21", W_INV, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

/* What is shaped like a NIR but is something else does not count. */
static void
test_find_beside_other_numbers(void **state)
{
	static const struct find_case c[] = {
		{ "FR76 3000 6000 0112 3456 7890 189 - 1 85 05 78 006 084 91",
		  W_FOUND, N1 },
		{ "1 85 05 78 006 084 91 FR76 3000 6000 0112 3456 7890 189",
		  W_FOUND, N1 },
		{ "185057800608491 IBAN 3000 6000 0112 3456 7890 189",
		  W_FOUND, N1 },
		{ "SIRET 123 456 789 00012 NIR 185057800608491", W_FOUND, N1 },
		{ "185057800608491 SIRET 123 456 789 00012", W_FOUND, N1 },
		{ "185057800608491 123456789 00012", W_FOUND, N1 },
		{ "185057800608491 73282932000074", W_FOUND, N1 },
		{ "185057800608491 12345678900012", W_FOUND, N1 },
		{ "06 12 34 56 78 - 185057800608491", W_FOUND, N1 },
		{ "185057800608491 +33 6 12 34 56 78", W_FOUND, N1 },
		{ "185057800608491 0033 6 12 34 56 78", W_FOUND, N1 },
		{ "15/10/2026 34500 185057800608491", W_FOUND, N1 },
		{ "185057800608491 - 15/10/2026 - 34500 B\xc3\xa9ziers",
		  W_FOUND, N1 },
		{ "185057800608491 2026-10-15", W_FOUND, N1 },
		{ "RIB 30006 00001 12345678901 89 185057800608491", W_FOUND,
		  N1 },
		{ "RIB 30006000011234567890189 185057800608491", W_FOUND, N1 },
		{ "185057800608491 +33612345678901", W_FOUND, N1 },
		{ "185057800608491 0033612345678", W_FOUND, N1 },
		/* an odd grouping of 13 is a NIR without key */
		{ "1850 578 006 084", W_KEY, NULL },
		/* an odd grouping beside an aligned NIR is a second NIR */
		{ "1850 578 006 084 91 / 2870634172058 73", W_AMB, NULL },
		{ "1850 578 006 084 91 / 1850578006084 91", W_FOUND, N1 },
		{ "2870634172058 73 / 1850 578 006 084 92", W_INV | W_AMB,
		  NULL },
		/* alone, none of them is a NIR */
		{ "SIRET 123 456 789 00012", W_MISSING, NULL },
		{ "FR76 3000 6000 0112 3456 7890 189", W_MISSING, NULL },
		{ "15/10/2026 - 34500", W_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_key_missing(void **state)
{
	static const struct find_case c[] = {
		{ "1850578006084", W_KEY, NULL },
		{ "1 85 05 78 006 084", W_KEY, NULL },
		{ "1.85.05.78.006.084", W_KEY, NULL },
		{ "NIR : 1850578006084", W_KEY, NULL },
		{ "RIB DUPONT Jean 185082A004012", W_KEY, NULL },
		{ "12/09/2026 1850578006084", W_KEY, NULL },
		{ "1850578006084 12/09/2026", W_KEY, NULL },
		{ "1850578006084 0612345678", W_KEY, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_invalid(void **state)
{
	static const struct find_case c[] = {
		{ "1850578006084 92", W_INV, NULL },
		{ "1850578006084 90", W_INV, NULL },
		{ "1 85 05 78 006 084 92", W_INV, NULL },
		{ "185057800608492", W_INV, NULL },
		{ "1850578006084 9", W_INV, NULL },	/* short key */
		{ "18505780060849", W_INV, NULL },	/* 14 digits */
		{ "1850578006084912", W_INV, NULL },	/* 16 digits */
		{ "0 85 05 78 006 084 91", W_INV, NULL },	/* sex 0 */
		{ "1 85 13 78 006 084 91", W_INV, NULL },	/* month 13 */
		{ "0850578006084", W_INV, NULL },	/* bad 13 */
		{ "NIR : 12345", W_INV, NULL },
		{ "NIR 12/09/2026", W_INV, NULL },
		{ "N° SS 12345", W_INV, NULL },
		{ "NSS:12", W_INV, NULL },
		{ "sécu n° 12345", W_INV, NULL },
		{ "NIR12345", W_INV, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_missing(void **state)
{
	static const struct find_case c[] = {
		{ "", W_MISSING, NULL },
		{ "RIB DUPONT Jean", W_MISSING, NULL },
		{ "12/09/2026", W_MISSING, NULL },
		{ "Suspendu depuis le 12/09/2026", W_MISSING, NULL },
		{ "06 12 34 56 78", W_MISSING, NULL },
		{ "06.12.34.56.78", W_MISSING, NULL },
		{ "0612345678", W_MISSING, NULL },
		{ "+33 6 12 34 56 78", W_MISSING, NULL },
		{ "34000 Montpellier", W_MISSING, NULL },
		{ "12/09/2026 - 06 12 34 56 78", W_MISSING, NULL },
		{ "Dossier n° 1234567", W_MISSING, NULL },
		/* digits inside words do not start a NIR */
		{ "FR7630006000011234567890189", W_MISSING, NULL },
		{ "RIB2185057800608491", W_MISSING, NULL },
		{ "ref ABC185057800608491", W_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_null_text(void **state)
{
	struct nir_scan sc;

	(void)state;
	assert_int_equal(scan_bits(NULL, 0, &sc), W_MISSING);
	assert_string_equal(sc.nir, "");
	assert_int_equal(scan_bits("185057800608491", 0, &sc), W_MISSING);
	assert_string_equal(sc.nir, "");
}

/* A NUL byte is an ordinary non-digit: it neither ends nor joins text. */
static void
test_find_embedded_nul(void **state)
{
	static const char a[] = "RIB\0DUPONT 185057800608491";
	static const char b[] = "1850578006084\0" "91";
	static const char c[] = "185057800608491\0" "287063417205873";
	struct nir_scan sc;

	(void)state;
	assert_int_equal(scan_bits(a, sizeof(a) - 1, &sc), W_FOUND);
	assert_string_equal(sc.nir, N1);
	assert_int_equal(scan_bits(b, sizeof(b) - 1, &sc), W_KEY);
	assert_int_equal(scan_bits(c, sizeof(c) - 1, &sc), W_AMB);
}

/* Heap copies without a terminator: ASan catches any read past len. */
static void
test_find_never_reads_past_len(void **state)
{
	static const char *const texts[] = {
		"185057800608491", "1 85 05 78 006 084 91", "NIR",
		"NIR185057800608491", "1850578006084\xc2", "2 69 05 2",
		"1 85 05 78 006 084 9\xe2\x80", "n\xc2\xb0", "\xc2\xa0" "1",
	};
	struct nir_scan sc;
	size_t i, n, cut;
	char *p;

	(void)state;
	for (i = 0; i < NELEM(texts); i++) {
		n = strlen(texts[i]);
		for (cut = 0; cut <= n; cut++) {
			p = malloc(cut > 0 ? cut : 1);
			assert_non_null(p);
			memcpy(p, texts[i], cut);
			(void)scan_bits(p, cut, &sc);
			free(p);
		}
	}
	p = malloc(13);
	assert_non_null(p);
	memcpy(p, "185057800608491", 13);
	assert_int_equal(scan_bits(p, 13, &sc), W_KEY);
	free(p);
}

static char *
repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit), i;
	char *p;

	p = malloc(n * times + 1);
	assert_non_null(p);
	for (i = 0; i < times; i++)
		memcpy(p + i * n, unit, n);
	p[n * times] = '\0';
	return p;
}

/* Hostile Subjects stay linear: a few hundred kB in well under a second. */
static void
test_find_long_inputs(void **state)
{
	static const struct {
		const char	*unit;
		size_t		 times;
		int		 want;
	} c[] = {
		/* numbers longer than 16 are accounts or references */
		{ "1", 10000, W_MISSING },
		{ "1", 300000, W_MISSING },
		{ "1 ", 100000, W_MISSING },
		{ "2A", 100000, W_MISSING },
		{ "O", 100000, W_MISSING },
		{ "O1 ", 100000, W_MISSING },
		{ "1 O", 100000, W_MISSING },
		{ "1 85 05 78 006 084 92 ", 20000, W_INV },
		{ "1850578006084 - ", 20000, W_KEY },
		{ "1 85 O5 78 OO6 O84 91 ", 20000, W_INV },
		{ "1 2A 2b O5 ", 30000, W_MISSING },
		{ "1 85 05 78 006 084 91 1850 578 006 084 92 ", 10000,
		  W_INV | W_AMB },
		{ "1 85 ", 50000, W_MISSING },
		{ "NIR ", 50000, W_MISSING },
		{ "a1", 100000, W_MISSING },
		{ "12/09/2026 ", 30000, W_MISSING },
		{ "185057800608491 ", 20000, W_FOUND },
	};
	struct nir_scan sc;
	clock_t t0;
	char *p;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		p = repeat(c[i].unit, c[i].times);
		t0 = clock();
		assert_int_equal(scan_bits(p, strlen(p), &sc), c[i].want);
		assert_true(clock() - t0 < 2 * CLOCKS_PER_SEC);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_of_vectors),
		cmocka_unit_test(test_vectors_valid),
		cmocka_unit_test(test_vectors_key_off_by_one),
		cmocka_unit_test(test_corsica_lower_case),
		cmocka_unit_test(test_corsica_not_read_as_20),
		cmocka_unit_test(test_shape_rejections),
		cmocka_unit_test(test_shape_accepts),
		cmocka_unit_test(test_valid_rejects),
		cmocka_unit_test(test_find_writing_forms),
		cmocka_unit_test(test_find_key_written_apart),
		cmocka_unit_test(test_find_prefixed),
		cmocka_unit_test(test_find_among_other_text),
		cmocka_unit_test(test_find_corsica),
		cmocka_unit_test(test_find_twice_and_ambiguous),
		cmocka_unit_test(test_find_every_number),
		cmocka_unit_test(test_find_letter_o),
		cmocka_unit_test(test_find_corsica_and_letter_o),
		cmocka_unit_test(test_find_beside_other_numbers),
		cmocka_unit_test(test_find_key_missing),
		cmocka_unit_test(test_find_invalid),
		cmocka_unit_test(test_find_missing),
		cmocka_unit_test(test_find_null_text),
		cmocka_unit_test(test_find_embedded_nul),
		cmocka_unit_test(test_find_never_reads_past_len),
		cmocka_unit_test(test_find_long_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
