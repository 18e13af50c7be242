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
 * nir_find
 */

struct find_case {
	const char		*text;
	enum nir_status		 status;
	const char		*nir;	/* on NIR_FOUND */
};

static const char *
status_name(enum nir_status s)
{
	switch (s) {
	case NIR_FOUND:		return "found";
	case NIR_MISSING:	return "missing";
	case NIR_KEY_MISSING:	return "key_missing";
	case NIR_INVALID:	return "invalid";
	case NIR_AMBIGUOUS:	return "ambiguous";
	}
	return "?";
}

static void
run_cases(const struct find_case *c, size_t n)
{
	char out[NIR_LEN + 1];
	enum nir_status st;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(out, 'x', sizeof(out));
		st = nir_find(c[i].text, strlen(c[i].text), out);
		if (st != c[i].status)
			fail_msg("case %zu \"%s\": got %s, want %s", i,
			    c[i].text, status_name(st),
			    status_name(c[i].status));
		if (c[i].status == NIR_FOUND)
			assert_string_equal(out, c[i].nir);
		else
			assert_string_equal(out, "");
	}
}

#define N1	"185057800608491"

static void
test_find_writing_forms(void **state)
{
	static const struct find_case c[] = {
		{ "185057800608491", NIR_FOUND, N1 },
		{ "1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "1.85.05.78.006.084.91", NIR_FOUND, N1 },
		{ "1-85-05-78-006-084-91", NIR_FOUND, N1 },
		{ "1_85_05_78_006_084_91", NIR_FOUND, N1 },
		{ "1\t85\t05\t78\t006\t084\t91", NIR_FOUND, N1 },
		{ "1 - 85 - 05 - 78 - 006 - 084 - 91", NIR_FOUND, N1 },
		{ "1850578006084 91", NIR_FOUND, N1 },
		{ "1850578006084-91", NIR_FOUND, N1 },
		{ "1850578006084/91", NIR_FOUND, N1 },
		{ "1850578006084 / 91", NIR_FOUND, N1 },
		{ "18505 78006 08491", NIR_FOUND, N1 },
		/* no-break and narrow no-break spaces (French typing) */
		{ "1\xc2\xa0" "85\xc2\xa0" "05\xc2\xa0" "78\xc2\xa0" "006"
		  "\xc2\xa0" "084\xc2\xa0" "91", NIR_FOUND, N1 },
		{ "1\xe2\x80\xaf" "85\xe2\x80\xaf" "05\xe2\x80\xaf" "78"
		  "\xe2\x80\xaf" "006\xe2\x80\xaf" "084\xe2\x80\xaf" "91",
		  NIR_FOUND, N1 },
		/* an odd grouping is still found */
		{ "1850 578 006 084 91", NIR_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_key_written_apart(void **state)
{
	static const struct find_case c[] = {
		{ "NIR 2870634172058 Cl\xc3\xa9 : 73", NIR_FOUND, "287063417205873" },
		{ "NIR 2870634172058 CL\xc3\x89 73", NIR_FOUND, "287063417205873" },
		{ "2870634172058 cle: 73 MARTIN", NIR_FOUND, "287063417205873" },
		{ "2870634172058 clef 73", NIR_FOUND, "287063417205873" },
		{ "2870634172058 (73)", NIR_FOUND, "287063417205873" },
		{ "2 87 06 34 172 058 (73) - MARTIN", NIR_FOUND, "287063417205873" },
		{ "2870634172058 key=73", NIR_FOUND, "287063417205873" },
		/* a wrong key written apart is a wrong key, not a missing one */
		{ "2870634172058 cl\xc3\xa9 : 74", NIR_INVALID, NULL },
		{ "2870634172058 (74)", NIR_INVALID, NULL },
		/* not a key: three digits, an unclosed parenthesis, a word */
		{ "2870634172058 (735)", NIR_KEY_MISSING, NULL },
		{ "2870634172058 (73", NIR_KEY_MISSING, NULL },
		{ "2870634172058 clement 73", NIR_KEY_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_prefixed(void **state)
{
	static const struct find_case c[] = {
		{ "NIR : 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "NIR:185057800608491", NIR_FOUND, N1 },
		{ "NIR185057800608491", NIR_FOUND, N1 },
		{ "N° SS 185057800608491", NIR_FOUND, N1 },
		{ "N°SS:1850578006084 91", NIR_FOUND, N1 },
		{ "n°sécu 185057800608491", NIR_FOUND, N1 },
		{ "n°sécu185057800608491", NIR_FOUND, N1 },
		{ "NSS 1850578006084 91", NIR_FOUND, N1 },
		{ "n°185057800608491", NIR_FOUND, N1 },
		{ "(NIR 1 85 05 78 006 084 91)", NIR_FOUND, N1 },
		{ "numéro de sécurité sociale : 1 85 05 78 006 084 91",
		  NIR_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_among_other_text(void **state)
{
	static const struct find_case c[] = {
		{ "RIB - DUPONT Jean - 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "RE: TR: RIB 185057800608491", NIR_FOUND, N1 },
		{ "12/09/2026 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "1 85 05 78 006 084 91 12/09/2026", NIR_FOUND, N1 },
		{ "12/09/2026 185057800608491", NIR_FOUND, N1 },
		/* "25 03 2022 1 85 05 78" is itself a valid NIR, by chance */
		{ "25/03/2022 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "Blocage depuis le 10/05/2021 1 85 05 78 006 084 91",
		  NIR_FOUND, N1 },
		{ "185057800608491 12/09/2026", NIR_FOUND, N1 },
		{ "06 12 34 56 78 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "1 85 05 78 006 084 91 06 12 34 56 78", NIR_FOUND, N1 },
		{ "Suspendu depuis le 12/09/2026 - 06.12.34.56.78 - "
		  "1 85 05 78 006 084 91 - 34000", NIR_FOUND, N1 },
		{ "IBAN FR76 3000 6000 0112 3456 7890 189 NIR 1 85 05 78 006 "
		  "084 91", NIR_FOUND, N1 },
		{ "DUPONT Jean 185057800608491X", NIR_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_corsica(void **state)
{
	static const struct find_case c[] = {
		{ "2 69 05 2B 123 456 18", NIR_FOUND, "269052B12345618" },
		{ "2 69 05 2b 123 456 18", NIR_FOUND, "269052B12345618" },
		{ "1 85 08 2A 004 012 21", NIR_FOUND, "185082A00401221" },
		{ "1 85 08 2a 004 012 21", NIR_FOUND, "185082A00401221" },
		{ "185082a00401221", NIR_FOUND, "185082A00401221" },
		{ "NIR 269052B123456 18", NIR_FOUND, "269052B12345618" },
		{ "2 69 05 2B 123 456 19", NIR_INVALID, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_twice_and_ambiguous(void **state)
{
	static const struct find_case c[] = {
		{ "185057800608491 287063417205873", NIR_AMBIGUOUS, NULL },
		{ "1 85 05 78 006 084 91 / 2 87 06 34 172 058 73",
		  NIR_AMBIGUOUS, NULL },
		{ "DUPONT 185057800608491 MARTIN 2870634172058 73",
		  NIR_AMBIGUOUS, NULL },
		{ "185057800608491 1 85 05 78 006 084 91", NIR_FOUND, N1 },
		{ "NIR 185057800608491 (rappel : 1850578006084-91)",
		  NIR_FOUND, N1 },
		/* a valid NIR and a wrong one: the valid one is the answer */
		{ "185057800608491 185057800608492", NIR_FOUND, N1 },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_key_missing(void **state)
{
	static const struct find_case c[] = {
		{ "1850578006084", NIR_KEY_MISSING, NULL },
		{ "1 85 05 78 006 084", NIR_KEY_MISSING, NULL },
		{ "1.85.05.78.006.084", NIR_KEY_MISSING, NULL },
		{ "NIR : 1850578006084", NIR_KEY_MISSING, NULL },
		{ "RIB DUPONT Jean 185082A004012", NIR_KEY_MISSING, NULL },
		{ "12/09/2026 1850578006084", NIR_KEY_MISSING, NULL },
		{ "1850578006084 12/09/2026", NIR_KEY_MISSING, NULL },
		{ "1850578006084 0612345678", NIR_KEY_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_invalid(void **state)
{
	static const struct find_case c[] = {
		{ "1850578006084 92", NIR_INVALID, NULL },
		{ "1850578006084 90", NIR_INVALID, NULL },
		{ "1 85 05 78 006 084 92", NIR_INVALID, NULL },
		{ "185057800608492", NIR_INVALID, NULL },
		{ "1850578006084 9", NIR_INVALID, NULL },	/* short key */
		{ "18505780060849", NIR_INVALID, NULL },	/* 14 digits */
		{ "1850578006084912", NIR_INVALID, NULL },	/* 16 digits */
		{ "0 85 05 78 006 084 91", NIR_INVALID, NULL },	/* sex 0 */
		{ "1 85 13 78 006 084 91", NIR_INVALID, NULL },	/* month 13 */
		{ "0850578006084", NIR_INVALID, NULL },	/* bad 13 */
		{ "NIR : 12345", NIR_INVALID, NULL },
		{ "NIR 12/09/2026", NIR_INVALID, NULL },
		{ "N° SS 12345", NIR_INVALID, NULL },
		{ "NSS:12", NIR_INVALID, NULL },
		{ "sécu n° 12345", NIR_INVALID, NULL },
		{ "NIR12345", NIR_INVALID, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_missing(void **state)
{
	static const struct find_case c[] = {
		{ "", NIR_MISSING, NULL },
		{ "RIB DUPONT Jean", NIR_MISSING, NULL },
		{ "12/09/2026", NIR_MISSING, NULL },
		{ "Suspendu depuis le 12/09/2026", NIR_MISSING, NULL },
		{ "06 12 34 56 78", NIR_MISSING, NULL },
		{ "06.12.34.56.78", NIR_MISSING, NULL },
		{ "0612345678", NIR_MISSING, NULL },
		{ "+33 6 12 34 56 78", NIR_MISSING, NULL },
		{ "34000 Montpellier", NIR_MISSING, NULL },
		{ "12/09/2026 - 06 12 34 56 78", NIR_MISSING, NULL },
		{ "Dossier n° 1234567", NIR_MISSING, NULL },
		/* digits inside words do not start a NIR */
		{ "FR7630006000011234567890189", NIR_MISSING, NULL },
		{ "RIB2185057800608491", NIR_MISSING, NULL },
		{ "ref ABC185057800608491", NIR_MISSING, NULL },
	};

	(void)state;
	run_cases(c, NELEM(c));
}

static void
test_find_null_text(void **state)
{
	char out[NIR_LEN + 1] = "junk";

	(void)state;
	assert_int_equal(nir_find(NULL, 0, out), NIR_MISSING);
	assert_string_equal(out, "");
	assert_int_equal(nir_find("185057800608491", 0, out), NIR_MISSING);
	assert_string_equal(out, "");
}

/* A NUL byte is an ordinary non-digit: it neither ends nor joins text. */
static void
test_find_embedded_nul(void **state)
{
	static const char a[] = "RIB\0DUPONT 185057800608491";
	static const char b[] = "1850578006084\0" "91";
	static const char c[] = "185057800608491\0" "287063417205873";
	char out[NIR_LEN + 1];

	(void)state;
	assert_int_equal(nir_find(a, sizeof(a) - 1, out), NIR_FOUND);
	assert_string_equal(out, N1);
	assert_int_equal(nir_find(b, sizeof(b) - 1, out), NIR_KEY_MISSING);
	assert_int_equal(nir_find(c, sizeof(c) - 1, out), NIR_AMBIGUOUS);
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
	char out[NIR_LEN + 1], *p;
	size_t i, n, cut;

	(void)state;
	for (i = 0; i < NELEM(texts); i++) {
		n = strlen(texts[i]);
		for (cut = 0; cut <= n; cut++) {
			p = malloc(cut > 0 ? cut : 1);
			assert_non_null(p);
			memcpy(p, texts[i], cut);
			(void)nir_find(p, cut, out);
			free(p);
		}
	}
	p = malloc(13);
	assert_non_null(p);
	memcpy(p, "185057800608491", 13);
	assert_int_equal(nir_find(p, 13, out), NIR_KEY_MISSING);
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
		enum nir_status	 status;
	} c[] = {
		{ "1", 10000, NIR_INVALID },
		{ "1", 300000, NIR_INVALID },
		{ "1 ", 100000, NIR_MISSING },
		{ "2A", 100000, NIR_INVALID },
		{ "1 85 ", 50000, NIR_MISSING },
		{ "NIR ", 50000, NIR_MISSING },
		{ "a1", 100000, NIR_MISSING },
		{ "12/09/2026 ", 30000, NIR_MISSING },
		{ "185057800608491 ", 20000, NIR_FOUND },
	};
	char out[NIR_LEN + 1], *p;
	clock_t t0;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		p = repeat(c[i].unit, c[i].times);
		t0 = clock();
		assert_int_equal(nir_find(p, strlen(p), out), c[i].status);
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
