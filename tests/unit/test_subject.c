/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_subject - is the beneficiary named in the Subject?
 *
 * The rules are built by hand with realistic French stop words and the
 * keywords of the rib / suspension / blocage request types.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "balp/rules.h"
#include "balp/subject.h"
#include "balp/wordlist.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const stop_words[] = {
	"demande", "dossier", "allocataire", "madame", "monsieur", "mme",
	"nir", "nss", "sécu", "sécurité", "sociale", "numéro", "pour", "de",
	"du", "des", "la", "le", "les", "et", "concernant", "objet", "urgent",
	"suite", "depuis", "plus", "mois", "un", "une", "janvier", "février",
	"pièce jointe",
};

static const struct {
	const char		*id;
	const char *const	 keywords[5];
} types[] = {
	{ "rib", { "rib", "relevé d'identité bancaire", "iban",
	    "coordonnées bancaires", NULL } },
	{ "suspension", { "suspen*", NULL } },
	{ "blocage", { "blocage", "bloqu*", NULL } },
};

static int
setup(void **state)
{
	struct rules *r;
	size_t i, k;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	rules_init(r);
	for (i = 0; i < NELEM(stop_words); i++)
		if (wordlist_add(&r->stop_words, stop_words[i]) == -1)
			return -1;
	/* rules_free() frees types with free(): allocate them likewise */
	if ((r->types = calloc(NELEM(types), sizeof(*r->types))) == NULL)
		return -1;
	r->n_types = NELEM(types);
	for (i = 0; i < NELEM(types); i++) {
		if ((r->types[i].id = strdup(types[i].id)) == NULL)
			return -1;
		wordlist_init(&r->types[i].keywords);
		wordlist_init(&r->types[i].needs_types);
		wordlist_init(&r->types[i].needs_extensions);
		for (k = 0; types[i].keywords[k] != NULL; k++)
			if (wordlist_add(&r->types[i].keywords,
			    types[i].keywords[k]) == -1)
				return -1;
	}
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	struct rules *r = *state;

	rules_free(r);
	free(r);
	return 0;
}

struct name_case {
	const char	*subject;
	int		 named;
};

static void
run_cases(const struct rules *r, const struct name_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (subject_has_name(c[i].subject, r) != c[i].named)
			fail_msg("case %zu \"%s\": want %d", i, c[i].subject,
			    c[i].named);
}

static void
test_named_subjects(void **state)
{
	static const struct name_case c[] = {
		{ "RIB - DUPONT Jean - 1 85 05 78 006 084 91", 1 },
		{ "RIB DUPONT 185057800608491", 1 },
		{ "Re: RIB Rémi 185057800608491", 1 },
		{ "Blocage dossier Mme N'DIAYE Awa", 1 },
		{ "Suspension allocataire Müller", 1 },
		{ "RIB\xc2\xa0" "DUPONT", 1 },	/* no-break space */
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_no_name_only_rules_words(void **state)
{
	static const struct name_case c[] = {
		{ "RE: TR: RIB 185057800608491", 0 },
		{ "Demande RIB NIR 185057800608491", 0 },
		{ "Dossier suspendu depuis plus d'un mois 185057800608491", 0 },
		{ "Suspension allocataire depuis janvier", 0 },
		{ "Dossier bloqué - URGENT", 0 },
		{ "Coordonnées bancaires IBAN 185057800608491", 0 },
		{ "Objet : demande concernant la suspension du dossier", 0 },
		{ "RIB Madame Monsieur", 0 },
		/* a phrase stop word: none of its words is a name */
		{ "RIB pièce jointe", 0 },
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_reply_prefixes_are_no_names(void **state)
{
	static const struct name_case c[] = {
		{ "Fwd: RE: Relevé d'identité bancaire", 0 },
		{ "TR: Fw: AW: WG: RV: Réf: RIB", 0 },
		{ "RE : RE : RE : Blocage", 0 },
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_accents_apostrophes_hyphens(void **state)
{
	static const struct name_case c[] = {
		{ "RIB M. Lê Văn Anh", 1 },
		{ "RIB Élodie GÉRARD-D'ALMEIDA", 1 },
		{ "RIB GÉRARD-D\xe2\x80\x99" "ALMEIDA", 1 },	/* ’ */
		{ "Blocage Mme N\xe2\x80\x99" "DIAYE", 1 },	/* ’ */
		{ "RIB D'ALMEIDA", 1 },
		{ "RIB Jean-Pierre", 1 },
		{ "RIB Ørsted", 1 },
		{ "RIB Παπαδόπουλος", 1 },
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_short_words_and_numbers_are_no_names(void **state)
{
	static const struct name_case c[] = {
		{ "RIB M. 185057800608491", 0 },
		{ "RIB M. N. J. 185057800608491", 0 },
		{ "RIB D'", 0 },
		{ "RIB n°185057800608491", 0 },
		{ "RIB 12/09/2026 2A 2B", 0 },
		{ "RIB DUPONT1 X2Y", 0 },
		{ "RIB \xc2\xab \xe2\x80\xa6 \xc2\xbb", 0 },	/* « … » */
		{ "RIB \xc3\x97 \xc3\xb7", 0 },		/* × ÷ */
		{ "RIB \xe2\x80\x94 urgent", 0 },		/* em dash */
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_emoji_are_no_names(void **state)
{
	static const struct name_case c[] = {
		{ "RIB \xf0\x9f\x98\x80 185057800608491", 0 },
		{ "RIB \xf0\x9f\x98\x80\xf0\x9f\x98\x80", 0 },
		{ "RIB \xe2\x9c\x85\xef\xb8\x8f", 0 },	/* ✅ + VS16 */
		{ "RIB \xee\x80\x80\xee\x80\x81", 0 },	/* private use */
		{ "RIB \xf0\x9f\x98\x80 DUPONT", 1 },
	};

	run_cases(*state, c, NELEM(c));
}

static void
test_empty_and_null(void **state)
{
	static const struct name_case c[] = {
		{ "", 0 },
		{ " ", 0 },
		{ "RE:", 0 },
	};

	run_cases(*state, c, NELEM(c));
	assert_int_equal(subject_has_name(NULL, *state), 0);
	assert_int_equal(subject_has_name(NULL, NULL), 0);
}

/* Without rules only the built-in checks apply. */
static void
test_null_rules(void **state)
{
	(void)state;
	assert_int_equal(subject_has_name("DUPONT", NULL), 1);
	assert_int_equal(subject_has_name("RE: M. 185057800608491", NULL), 0);
}

/* Invalid UTF-8 is folded to '?', which separates words. */
static void
test_invalid_utf8(void **state)
{
	static const struct name_case c[] = {
		{ "RIB \xff\xfe 185057800608491", 0 },
		{ "RIB D\xffU", 0 },
		{ "RIB DUP\xc3ONT", 1 },
	};

	run_cases(*state, c, NELEM(c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_named_subjects),
		cmocka_unit_test(test_no_name_only_rules_words),
		cmocka_unit_test(test_reply_prefixes_are_no_names),
		cmocka_unit_test(test_accents_apostrophes_hyphens),
		cmocka_unit_test(test_short_words_and_numbers_are_no_names),
		cmocka_unit_test(test_emoji_are_no_names),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_null_rules),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
