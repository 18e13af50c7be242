/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_quote - the partner's own text: '>' lines, attributions (one line
 * or folded by Gmail), Outlook and Thunderbird separators and header
 * blocks are left out; the partner's own sentences are kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balp/classify.h"
#include "balp/date.h"
#include "balp/quote.h"
#include "balp/rules.h"

struct quote_case {
	const char	*text;
	const char	*own;		/* NULL: the text itself, uncopied */
};

#define CAF_QUOTE \
	"Bonjour,\nmerci de nous transmettre le RIB de M. Dupont.\n" \
	"Cordialement,\nLa Caf\n"

static const struct quote_case quote_cases[] = {
	/* nothing quoted: the text itself */
	{ "Bonjour,\nle dossier est suspendu depuis le 02/03/2026.\n", NULL },
	{ "", NULL },
	/* '>' lines, anywhere, indented too */
	{ "Voici le relevé.\n> RIB demandé le 12/11/2026\n>> ancien\n",
	  "Voici le relevé.\n" },
	{ "> question ?\nréponse\n  > autre question ?\nautre réponse",
	  "réponse\nautre réponse" },
	{ "ci-joint\r\n> bloqué depuis le 20/11/2026\r\nmerci\r\n",
	  "ci-joint\r\nmerci\r\n" },
	/* attribution on one line, then the Caf's message */
	{ "Le dossier est bloqué depuis deux mois.\n\n"
	  "Le lun. 16 nov. 2026 à 10:12, Caf <balp@caf.test> a écrit :\n"
	  CAF_QUOTE, "Le dossier est bloqué depuis deux mois.\n\n" },
	/* no-break spaces before the colon, no accent, "écrit:" */
	{ "Oui.\nLe 16/11/2026 à 10:12, Caf a écrit\xc2\xa0:\n" CAF_QUOTE,
	  "Oui.\n" },
	{ "Oui.\nLe 16/11/2026 à 10:12, Caf a \xc3\xa9" "crit\xe2\x80\xaf:\n"
	  CAF_QUOTE, "Oui.\n" },
	{ "Oui.\nLe 16/11/2026, Caf a ecrit:\n" CAF_QUOTE, "Oui.\n" },
	/* folded by Gmail onto two lines */
	{ "Merci.\n\n"
	  "Le lun. 16 nov. 2026 à 10:12, Caf <balp@caf.test> a\n"
	  "écrit :\n\n" CAF_QUOTE, "Merci.\n\n" },
	{ "Merci.\n"
	  "Le lun. 16 nov. 2026 à 10:12, Caisse d'allocations familiales\n"
	  "<balp@caf.test> a écrit :\n" CAF_QUOTE, "Merci.\n" },
	/* English mailers */
	{ "Thanks.\nOn Mon, Nov 16, 2026 at 10:12 AM Caf <balp@caf.test> "
	  "wrote:\n" CAF_QUOTE, "Thanks.\n" },
	/* the partner's own sentences with "a écrit" are kept */
	{ "Mme Durand a écrit : elle attend son RIB.\n", NULL },
	{ "Le médecin traitant a écrit un certificat.\n", NULL },
	{ "Le courrier que la Caf a écrit :\n", NULL },
	{ "Voici ce que l'assistante a écrit :\nrien de plus.\n", NULL },
	/* separators */
	{ "Bloqué depuis 3 semaines.\n\n-----Message d'origine-----\n"
	  "De : Caf\nEnvoyé : lundi 16 novembre 2026 10:12\n" CAF_QUOTE,
	  "Bloqué depuis 3 semaines.\n\n" },
	{ "Voir plus bas.\n-----Original Message-----\nFrom: Caf\n" CAF_QUOTE,
	  "Voir plus bas.\n" },
	{ "Pour info\n\n-------- Message transféré --------\nSujet : RIB\n"
	  CAF_QUOTE, "Pour info\n\n" },
	{ "Pour info\n---------- Forwarded message ---------\n" CAF_QUOTE,
	  "Pour info\n" },
	{ "Pour info\nDébut du message réexpédié :\n" CAF_QUOTE,
	  "Pour info\n" },
	/* Outlook's header block, French and English, bold or not */
	{ "Le dossier reste suspendu.\n\n________________________________\n"
	  "De : Caf de l'Hérault <balp@caf.test>\n"
	  "Envoyé : lundi 16 novembre 2026 10:12\nÀ : Martin\n"
	  "Objet : RIB\n\n" CAF_QUOTE,
	  "Le dossier reste suspendu.\n\n________________________________\n" },
	{ "Réponse ci-dessus.\n*De :* Caf <balp@caf.test>\n"
	  "*Envoyé :* lundi 16 novembre 2026 10:12\n" CAF_QUOTE,
	  "Réponse ci-dessus.\n" },
	{ "See above.\nFrom: Caf <balp@caf.test>\nSent: Monday, November 16, "
	  "2026 10:12 AM\nTo: Martin\n" CAF_QUOTE, "See above.\n" },
	{ "Ok.\nDe : Caf <balp@caf.test>\nDate : lundi 16 novembre 2026\n"
	  CAF_QUOTE, "Ok.\n" },
	/* "De :" alone, without its "Envoyé :", is the partner's */
	{ "De : l'assistante sociale\nObjet : suspension\n", NULL },
	/* the first of several: what follows the first quote is out */
	{ "A\n> q\nB\nLe 1 nov. 2026, X a écrit :\nC\n> r\n", "A\nB\n" },
	/* everything quoted: nothing of the partner's */
	{ "> tout cité\n", "" },
	{ "Le 16/11/2026, Caf a écrit :\n" CAF_QUOTE, "" },
};

static void
test_quote_table(void **state)
{
	const char *got;
	char *copy;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(quote_cases) / sizeof(quote_cases[0]); i++) {
		const struct quote_case *c = &quote_cases[i];

		got = quote_own_text(c->text, &copy);
		if (c->own == NULL) {
			if (got != c->text || copy != NULL)
				fail_msg("case %zu: copied, want the text "
				    "itself", i);
		} else if (got == NULL || got != copy ||
		    strcmp(got, c->own) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    got ? got : "(null)", c->own);
		free(copy);
	}
}

static void
test_quote_null(void **state)
{
	char *copy = (char *)1;

	(void)state;
	assert_null(quote_own_text(NULL, &copy));
	assert_null(copy);
	assert_int_equal(quote_own_len(NULL, 0), 0);
}

/* The length is bounded: nothing at or past text[len] is read. */
static void
test_quote_own_len_bounded(void **state)
{
	static const char s[] = "Merci.\nLe 1 nov. 2026, X a\nécrit :\nY";
	size_t cut = strlen("Merci.\n"), k;
	char *exact;

	(void)state;
	assert_int_equal(quote_own_len(s, strlen(s)), cut);
	for (k = 0; k <= strlen(s); k++) {
		exact = malloc(k > 0 ? k : 1);
		assert_non_null(exact);
		memcpy(exact, s, k);
		/* cut short, the attribution may be unfinished: never more */
		assert_true(quote_own_len(exact, k) <= k);
		free(exact);
	}
	/* without "écrit :" the folded line is no attribution */
	assert_int_equal(quote_own_len(s, strlen("Merci.\nLe 1 nov. 2026, X "
	    "a\n")), strlen("Merci.\nLe 1 nov. 2026, X a\n"));
}

/* ---- with classify: the type and the date from the partner's words ---- */

static void
add_type(struct rules *r, const char *id, const char *const *kw, int age)
{
	struct request_type *t = &r->types[r->n_types++];

	t->id = strdup(id);
	t->queue = strdup(id);
	assert_non_null(t->id);
	wordlist_init(&t->keywords);
	wordlist_init(&t->needs_types);
	wordlist_init(&t->needs_extensions);
	for (; *kw != NULL; kw++)
		assert_int_equal(wordlist_add(&t->keywords, *kw), 0);
	t->min_age_months = age;
}

static void
make_rules(struct rules *r)
{
	static const char *const rib[] = { "rib", "iban", NULL };
	static const char *const suspension[] = { "suspen*", NULL };
	static const char *const blocage[] = { "bloqu*", "blocage", NULL };

	rules_init(r);
	r->types = calloc(3, sizeof(*r->types));
	assert_non_null(r->types);
	add_type(r, "rib", rib, 0);
	add_type(r, "suspension", suspension, 1);
	add_type(r, "blocage", blocage, 1);
	assert_int_equal(wordlist_add(&r->date_markers, "depuis"), 0);
}

struct own_case {
	const char	*subject;
	const char	*text;
	const char	*type;		/* NULL: none */
	int		 has_since;	/* a date is read */
};

static const struct own_case own_cases[] = {
	/* the only RIB mention is the Caf's, quoted: no type */
	{ "RE: Dupont Jean", "Bonjour,\nvoici les éléments.\n\n"
	  "Le lun. 16 nov. 2026 à 10:12, Caf <balp@caf.test> a\nécrit :\n"
	  "> Merci de transmettre le RIB.\n", NULL, 0 },
	{ "RE: Dupont Jean", "Ci-joint.\n-----Message d'origine-----\n"
	  "De : Caf\nEnvoyé : lundi\nMerci de transmettre le RIB.\n",
	  NULL, 0 },
	/* the partner's own words give it */
	{ "RE: Dupont Jean", "Le dossier est suspendu.\n"
	  "Le 16/11/2026, Caf a écrit :\nMerci de transmettre le RIB.\n",
	  "suspension", 0 },
	/* a '>' line with a date is not read; the partner's is */
	{ "Suspension Dupont", "> suspendu depuis le 20/11/2026\n"
	  "suspendu depuis le 01/09/2026\n", "suspension", 1 },
	{ "Suspension Dupont", "> suspendu depuis le 20/11/2026\nmerci\n",
	  "suspension", 0 },
	{ "Blocage Dupont", "Voir ci-dessous.\nDe : Caf <balp@caf.test>\n"
	  "Envoyé : lundi 16 novembre 2026\nbloqué depuis 3 jours ?\n",
	  "blocage", 0 },
};

static void
test_quote_then_classify(void **state)
{
	const struct request_type *t;
	struct rules r;
	const char *own;
	char *copy;
	int32_t since;
	size_t i;

	(void)state;
	make_rules(&r);
	for (i = 0; i < sizeof(own_cases) / sizeof(own_cases[0]); i++) {
		const struct own_case *c = &own_cases[i];

		own = quote_own_text(c->text, &copy);
		assert_non_null(own);
		t = classify_type(&r, c->subject, own);
		since = classify_since(&r, c->subject, own, 20779);
		if ((t == NULL) != (c->type == NULL) || (t != NULL &&
		    strcmp(t->id, c->type) != 0))
			fail_msg("case %zu: type %s, want %s", i,
			    t ? t->id : "(none)", c->type ? c->type : "(none)");
		if ((since != DATE_NONE) != c->has_since)
			fail_msg("case %zu: a date read: %d", i,
			    since != DATE_NONE);
		free(copy);
	}
	rules_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_table),
		cmocka_unit_test(test_quote_null),
		cmocka_unit_test(test_quote_own_len_bounded),
		cmocka_unit_test(test_quote_then_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
