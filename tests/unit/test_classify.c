/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_classify - request type recognition and the "since" date.
 *
 * The rules are built by hand with the keywords and markers of rules/ so
 * that these tests pin the matching, not the configuration file.
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
#include "balp/rules.h"

#define NIR_GROUPED	"1 85 05 78 006 084 91"

static void
add_type(struct rules *r, const char *id, const char *const *kw,
    int min_age)
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
	t->min_age_months = min_age;
}

static void
make_rules(struct rules *r)
{
	static const char *const rib[] = { "rib",
	    "relevé d'identité bancaire", "iban", "coordonnées bancaires",
	    "changement de banque", NULL };
	static const char *const suspension[] = { "suspen*",
	    "droits suspendus", NULL };
	static const char *const blocage[] = { "blocage", "bloqu*",
	    "dossier bloqué", NULL };
	static const char *const markers[] = { "depuis", "depuis le",
	    "à compter du", "à partir du", "en date du", "since", NULL };
	const char *const *m;

	rules_init(r);
	r->types = calloc(3, sizeof(*r->types));
	assert_non_null(r->types);
	add_type(r, "rib", rib, 0);
	add_type(r, "suspension", suspension, 1);
	add_type(r, "blocage", blocage, 1);
	for (m = markers; *m != NULL; m++)
		assert_int_equal(wordlist_add(&r->date_markers, *m), 0);
}

static int32_t
ymd(int y, int m, int d)
{
	int32_t day;

	assert_int_equal(date_from_ymd(y, m, d, &day), 0);
	return day;
}

/* ---- classify_type ---- */

struct type_case {
	const char	*subject;
	const char	*text;
	const char	*want;		/* type id, NULL = none */
};

static const struct type_case type_cases[] = {
	{ "Dossier suspendu depuis le 12/09/2026 - DUPONT Jean " NIR_GROUPED,
	  NULL, "suspension" },
	{ "Blocage administratif depuis le 1er octobre 2026 - MARTIN Paul",
	  NULL, "blocage" },
	{ "suspension des droits depuis 3 nov. 2026", NULL, "suspension" },
	{ "DROITS SUSPENDUS - DURAND Marie " NIR_GROUPED, NULL,
	  "suspension" },
	{ "RELEVÉ D'IDENTITÉ BANCAIRE - LEROY Anne", NULL, "rib" },
	{ "Relevé d’identité bancaire LEROY Anne", NULL, "rib" },
	{ "releve d identite bancaire leroy", NULL, "rib" },
	{ "Transmission RIB - BERNARD Luc " NIR_GROUPED, NULL, "rib" },
	{ "TR: rib.", NULL, "rib" },
	{ "Nouvel IBAN pour Mme PETIT", NULL, "rib" },
	{ "Coordonnées Bancaires - PETIT Léa", NULL, "rib" },
	{ "Changement de banque PETIT", NULL, "rib" },
	{ "Dossier BLOQUÉ - GARCIA Ana", NULL, "blocage" },
	{ "Droits bloqués depuis août", NULL, "blocage" },
	{ "Dossier bloque GARCIA", NULL, "blocage" },
	/* "rib" inside other words is no keyword */
	{ "Attribution logement - TRIBUNAL - MOREAU", NULL, NULL },
	{ "Contribution RIBAMBELLE ribs", NULL, NULL },
	{ "Demande de renseignements - MOREAU Eric", NULL, NULL },
	{ "", "", NULL },
	{ NULL, NULL, NULL },
	/* body only: the Subject names no type */
	{ "DUPONT Jean " NIR_GROUPED,
	  "Bonjour,\nveuillez trouver ci-joint le RIB de M. Dupont.\n",
	  "rib" },
	{ NULL, "Ses droits sont suspendus depuis deux mois.", "suspension" },
	{ "MOREAU Eric", "Merci de votre aide.", NULL },
	/* the Subject wins over the text */
	{ "Dossier bloqué - DUPONT Jean", "Ci-joint son nouveau RIB.",
	  "blocage" },
	/* earliest keyword in the Subject wins */
	{ "RIB - dossier suspendu - DUPONT", NULL, "rib" },
	{ "Dossier suspendu, nouveau RIB joint - DUPONT", NULL, "suspension" },
	{ "Blocage suite à suspension - DUPONT", NULL, "blocage" },
	{ "Paiements suspendus car dossier bloqué", NULL, "suspension" },
	/* earliest in the text too */
	{ "DUPONT", "Dossier bloqué, pourtant le RIB est à jour.", "blocage" },
};

static void
test_type_table(void **state)
{
	const struct request_type *t;
	struct rules r;
	size_t i;

	(void)state;
	make_rules(&r);
	for (i = 0; i < sizeof(type_cases) / sizeof(type_cases[0]); i++) {
		const struct type_case *c = &type_cases[i];

		t = classify_type(&r, c->subject, c->text);
		if (c->want == NULL && t != NULL)
			fail_msg("case %zu \"%s\": got %s, want none", i,
			    c->subject ? c->subject : "(null)", t->id);
		if (c->want != NULL && (t == NULL || strcmp(t->id, c->want)))
			fail_msg("case %zu \"%s\": got %s, want %s", i,
			    c->subject ? c->subject : "(null)",
			    t ? t->id : "none", c->want);
	}
	rules_free(&r);
}

/* Two types matching at the same place: the one listed first wins. */
static void
test_type_tie_first_listed_wins(void **state)
{
	static const char *const a[] = { "dossier", NULL };
	static const char *const b[] = { "dossier bloque", NULL };
	const struct request_type *t;
	struct rules r;

	(void)state;
	rules_init(&r);
	r.types = calloc(2, sizeof(*r.types));
	assert_non_null(r.types);
	add_type(&r, "b", b, 0);
	add_type(&r, "a", a, 0);
	t = classify_type(&r, "Dossier bloqué", NULL);
	assert_non_null(t);
	assert_string_equal(t->id, "b");
	rules_free(&r);

	rules_init(&r);
	r.types = calloc(2, sizeof(*r.types));
	assert_non_null(r.types);
	add_type(&r, "a", a, 0);
	add_type(&r, "b", b, 0);
	t = classify_type(&r, "Dossier bloqué", NULL);
	assert_non_null(t);
	assert_string_equal(t->id, "a");
	rules_free(&r);
}

static void
test_type_no_types(void **state)
{
	struct rules r;

	(void)state;
	rules_init(&r);
	assert_null(classify_type(&r, "RIB", "RIB"));
	rules_free(&r);
}

/* ---- classify_find_date ---- */

struct date_case {
	const char	*text;		/* folded, as callers pass it */
	int		 y, m, d;	/* y == 0: no date */
	size_t		 at, end;	/* checked when end != 0 */
};

static const struct date_case date_cases[] = {
	{ "12/09/2026", 2026, 9, 12, 0, 10 },
	{ "le 12/09/2026.", 2026, 9, 12, 3, 13 },
	{ "1/2/2026", 2026, 2, 1, 0, 8 },
	{ "01/02/2026", 2026, 2, 1, 0, 0 },
	{ "12-09-2026", 2026, 9, 12, 0, 10 },
	{ "12.09.2026", 2026, 9, 12, 0, 10 },
	{ "12/09/26", 2026, 9, 12, 0, 8 },
	{ "depuis le 5.1.26, merci", 2026, 1, 5, 10, 16 },
	{ "2026-09-12", 2026, 9, 12, 0, 10 },
	{ "(2026-09-12)", 2026, 9, 12, 1, 11 },
	{ "1er octobre 2026", 2026, 10, 1, 0, 16 },
	{ "depuis le 1er mars 2026 !", 2026, 3, 1, 10, 23 },
	{ "3 nov. 2026", 2026, 11, 3, 0, 11 },
	{ "3 nov 2026", 2026, 11, 3, 0, 10 },
	{ "3 nov.2026", 2026, 11, 3, 0, 10 },
	{ "3 NOV. 2026", 2026, 11, 3, 0, 0 },
	{ "03 novembre 2026", 2026, 11, 3, 0, 0 },
	{ "15 janvier 2026", 2026, 1, 15, 0, 0 },
	{ "2 janv. 2026", 2026, 1, 2, 0, 0 },
	{ "15 fevrier 2026", 2026, 2, 15, 0, 0 },
	{ "15 fev. 2026", 2026, 2, 15, 0, 0 },
	{ "15 fevr. 2026", 2026, 2, 15, 0, 0 },
	{ "31 mars 2026", 2026, 3, 31, 0, 0 },
	{ "5 avril 2026", 2026, 4, 5, 0, 0 },
	{ "5 avr. 2026", 2026, 4, 5, 0, 0 },
	{ "1 mai 2026", 2026, 5, 1, 0, 0 },
	{ "30 juin 2026", 2026, 6, 30, 0, 0 },
	{ "14 juillet 2026", 2026, 7, 14, 0, 0 },
	{ "7 juil. 2026", 2026, 7, 7, 0, 0 },
	{ "4 aout 2026", 2026, 8, 4, 0, 0 },
	{ "9 septembre 2026", 2026, 9, 9, 0, 0 },
	{ "9 sept. 2026", 2026, 9, 9, 0, 0 },
	{ "11 octobre 2026", 2026, 10, 11, 0, 0 },
	{ "11 oct 2026", 2026, 10, 11, 0, 0 },
	{ "20 decembre 2025", 2025, 12, 20, 0, 0 },
	{ "2 dec. 2025", 2025, 12, 2, 0, 0 },
	{ "29/02/2028", 2028, 2, 29, 0, 0 },
	{ "du 01/09/2026-15/10/2026", 2026, 9, 1, 3, 13 },
	/* invalid dates are skipped, the next real one is found */
	{ "31/02/2026 puis 01/03/2026", 2026, 3, 1, 16, 26 },
	{ "31/02/2026", 0, 0, 0, 0, 0 },
	{ "29/02/2025", 0, 0, 0, 0, 0 },
	{ "32/01/2026", 0, 0, 0, 0, 0 },
	{ "12/13/2026", 0, 0, 0, 0, 0 },
	{ "0/1/2026", 0, 0, 0, 0, 0 },
	{ "31 avril 2026", 0, 0, 0, 0, 0 },
	{ "2026-02-30", 0, 0, 0, 0, 0 },
	{ "2er mars 2026", 0, 0, 0, 0, 0 },
	{ "3 novembre", 0, 0, 0, 0, 0 },
	{ "3 novembres 2026", 0, 0, 0, 0, 0 },
	{ "3 brumaire 2026", 0, 0, 0, 0, 0 },
	{ "3 nov 26", 0, 0, 0, 0, 0 },
	{ "12/09-2026", 0, 0, 0, 0, 0 },
	{ "12/09/202", 0, 0, 0, 0, 0 },
	{ "12/09/20261", 0, 0, 0, 0, 0 },
	{ "112/09/2026", 0, 0, 0, 0, 0 },
	{ "12/009/2026", 0, 0, 0, 0, 0 },
	{ "2026/09/12", 0, 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0, 0 },
	{ "12", 0, 0, 0, 0, 0 },
	{ "12/", 0, 0, 0, 0, 0 },
	{ "12/09/", 0, 0, 0, 0, 0 },
	{ "1er", 0, 0, 0, 0, 0 },
	{ "1 ", 0, 0, 0, 0, 0 },
	/* digits of a NIR, a phone number, a reference are no date */
	{ NIR_GROUPED, 0, 0, 0, 0, 0 },
	{ "185057800608491", 0, 0, 0, 0, 0 },
	{ "2.12.05.78.006.084.91", 0, 0, 0, 0, 0 },
	{ "2-12-05-78-006-084-91", 0, 0, 0, 0, 0 },
	{ "1/12/05/78/006/084/91", 0, 0, 0, 0, 0 },
	{ "tel 06.12.05.10.20", 0, 0, 0, 0, 0 },
	{ "tel 06 12 05 10 20", 0, 0, 0, 0, 0 },
	{ "ref 2026-09-12-0042", 0, 0, 0, 0, 0 },
	{ "ref 12.05.2026.7", 0, 0, 0, 0, 0 },
	{ "dupont jean " NIR_GROUPED " depuis le 12/09/2026", 2026, 9, 12,
	  44, 54 },
};

static void
test_find_date_table(void **state)
{
	size_t i, at, end;
	int32_t got, want;

	(void)state;
	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct date_case *c = &date_cases[i];

		at = end = (size_t)-1;
		got = classify_find_date(c->text, strlen(c->text), &at, &end);
		want = c->y ? ymd(c->y, c->m, c->d) : DATE_NONE;
		if (got != want)
			fail_msg("case %zu \"%s\": got %d, want %d", i, c->text,
			    (int)got, (int)want);
		if (c->end != 0 && (at != c->at || end != c->end))
			fail_msg("case %zu \"%s\": span %zu..%zu, want "
			    "%zu..%zu", i, c->text, at, end, c->at, c->end);
	}
}

/* The length bounds the read: nothing past it is looked at. */
static void
test_find_date_bounded(void **state)
{
	static const char s[] = "12/09/2026";
	char *exact;

	(void)state;
	assert_int_equal(classify_find_date(s, 5, NULL, NULL), DATE_NONE);
	assert_int_equal(classify_find_date(s, 9, NULL, NULL), DATE_NONE);
	assert_int_equal(classify_find_date(s, 0, NULL, NULL), DATE_NONE);
	assert_int_equal(classify_find_date(NULL, 10, NULL, NULL), DATE_NONE);
	/* not NUL-terminated: ASan catches any read past the end */
	exact = malloc(10);
	assert_non_null(exact);
	memcpy(exact, s, 10);
	assert_int_equal(classify_find_date(exact, 10, NULL, NULL),
	    ymd(2026, 9, 12));
	memcpy(exact, "3 nov 2026", 10);
	assert_int_equal(classify_find_date(exact, 10, NULL, NULL),
	    ymd(2026, 11, 3));
	memcpy(exact, "2026-09-12", 10);
	assert_int_equal(classify_find_date(exact, 10, NULL, NULL),
	    ymd(2026, 9, 12));
	memcpy(exact, "xx 1er mar", 10);
	assert_int_equal(classify_find_date(exact, 10, NULL, NULL), DATE_NONE);
	memcpy(exact, "xxxx 12/09", 10);
	assert_int_equal(classify_find_date(exact, 10, NULL, NULL), DATE_NONE);
	free(exact);
}

/* ---- classify_since ---- */

struct since_case {
	const char	*subject;
	const char	*text;
	int		 y, m, d;	/* y == 0: DATE_NONE */
};

/* The day of processing of these cases: it dates a yearless date. */
#define TODAY	ymd(2026, 11, 23)

static const struct since_case since_cases[] = {
	/* the year left out: the latest such day, today included */
	{ "Blocage", "suspendus depuis le 9 novembre", 2026, 11, 9 },
	{ "Blocage", "bloqué depuis le 1er décembre", 2025, 12, 1 },
	{ "Suspension depuis le 16/11 DUPONT", NULL, 2026, 11, 16 },
	{ "Suspension depuis le 23.11", NULL, 2026, 11, 23 },
	{ "Suspension depuis le 24/11", NULL, 2025, 11, 24 },
	{ "Suspension depuis le 29/02", NULL, 2024, 2, 29 },
	/* the day left out: the first of the month */
	{ "Dossier bloqué depuis novembre 2026", NULL, 2026, 11, 1 },
	{ "Dossier bloqué depuis sept. 2026", NULL, 2026, 9, 1 },
	{ "Dossier bloqué depuis décembre", NULL, 2025, 12, 1 },
	/* two-digit years: 26 is 2026, 80 a birth year */
	{ "Suspension depuis le 12/09/80", NULL, 1980, 9, 12 },
	/* a duration counts back from today; not a date glued to digits */
	{ "Suspension depuis 2 mois", NULL, 2026, 9, 23 },
	{ "Suspension depuis le 16/11/20265", NULL, 0, 0, 0 },
	{ "Dossier suspendu depuis le 12/09/2026 - DUPONT Jean " NIR_GROUPED,
	  NULL, 2026, 9, 12 },
	{ "Blocage administratif depuis le 1er octobre 2026", NULL,
	  2026, 10, 1 },
	{ "suspension des droits depuis 3 nov. 2026", NULL, 2026, 11, 3 },
	{ "DROITS SUSPENDUS DEPUIS LE 3 FÉVR. 2026 - DURAND", NULL,
	  2026, 2, 3 },
	{ "Dossier bloqué depuis le 14 août 2026", NULL, 2026, 8, 14 },
	{ "Dossier bloqué depuis le 9 déc. 2025", NULL, 2025, 12, 9 },
	{ "Dossier bloqué à compter du 15/01/2026 - GARCIA", NULL,
	  2026, 1, 15 },
	{ "Droits suspendus à partir du 15.01.2026", NULL, 2026, 1, 15 },
	{ "Droits suspendus en date du 2026-01-15", NULL, 2026, 1, 15 },
	{ "Suspended since the 2026-01-15", NULL, 2026, 1, 15 },
	{ "Suspendu depuis : 15/01/26", NULL, 2026, 1, 15 },
	{ "Suspendu depuis le\u00a015/01/2026", NULL, 2026, 1, 15 },
	/* the marked date wins over an earlier bare date in the Subject */
	{ "Courrier du 01/02/2026 : droits suspendus depuis le 05/01/2026",
	  NULL, 2026, 1, 5 },
	/* a marker without a date does not stop the search */
	{ "Bloqué depuis longtemps, et depuis le 03/03/2026", NULL,
	  2026, 3, 3 },
	/* a bare date in the Subject is taken when no marker gives one */
	{ "Dossier suspendu 12/09/2026 - DUPONT Jean", NULL, 2026, 9, 12 },
	{ "Dossier suspendu - DUPONT Jean - 3 nov. 2026",
	  "Né le 12/05/1980.", 2026, 11, 3 },
	/* a marker in the text */
	{ "Dossier suspendu - DUPONT Jean " NIR_GROUPED,
	  "Bonjour,\nle dossier est suspendu depuis le 02/03/2026.\n"
	  "Cordialement", 2026, 3, 2 },
	/* the Subject's marker beats the text's */
	{ "suspendu depuis le 05/01/2026", "suspendu depuis le 01/01/2026",
	  2026, 1, 5 },
	/* the text's marker beats a bare date in the Subject */
	{ "Dossier suspendu 10/01/2026", "suspendu depuis le 02/01/2026",
	  2026, 1, 2 },
	/* bare dates in the text are ignored: birth date, letter date */
	{ "Dossier suspendu - DUPONT Jean",
	  "Né le 12/05/1980, courrier du 01/02/2026.", 0, 0, 0 },
	/* "plus d'un mois" is read, not the birth date after it */
	{ "Dossier suspendu - DUPONT",
	  "suspendu depuis plus d'un mois. Né le 12/05/1980", 2026, 10, 22 },
	/* the marker must be close: at most three short words between */
	{ "Dossier suspendu - DUPONT",
	  "suspendu depuis longtemps. Né le 12/05/1980", 0, 0, 0 },
	{ "Dossier suspendu - DUPONT", "depuis le du la 12/09/2026",
	  2026, 9, 12 },
	{ "Dossier suspendu - DUPONT", "depuis le du la de 12/09/2026",
	  0, 0, 0 },
	/* a NIR after the marker is no date */
	{ "Dossier suspendu depuis " NIR_GROUPED, NULL, 0, 0, 0 },
	{ "Suspendu depuis le 31/02/2026", NULL, 0, 0, 0 },
	{ "Dossier suspendu - DUPONT", NULL, 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
	{ NULL, "depuis le 12/09/2026", 2026, 9, 12 },
	{ "", "", 0, 0, 0 },
};

static void
test_since_table(void **state)
{
	struct rules r;
	int32_t got, want;
	size_t i;

	(void)state;
	make_rules(&r);
	for (i = 0; i < sizeof(since_cases) / sizeof(since_cases[0]); i++) {
		const struct since_case *c = &since_cases[i];

		got = classify_since(&r, c->subject, c->text, TODAY);
		want = c->y ? ymd(c->y, c->m, c->d) : DATE_NONE;
		if (got != want)
			fail_msg("case %zu \"%s\": got %d, want %d", i,
			    c->subject ? c->subject : "(null)", (int)got,
			    (int)want);
	}
	rules_free(&r);
}

/* ---- classify_since: durations ---- */

struct duration_case {
	const char	*subject;
	const char	*text;
	int		 y, m, d;	/* the start; y == 0: DATE_NONE */
	int		 recent;	/* too recent for "more than a month" */
};

/*
 * As of 2026-11-22: a month back is 2026-10-22, the last start that is
 * not too recent.
 */
#define DUR_TODAY	ymd(2026, 11, 22)

static const struct duration_case duration_cases[] = {
	/* digits, Subject or text */
	{ "Suspension depuis 3 semaines - DUPONT", NULL, 2026, 11, 1, 1 },
	{ "Dossier suspendu depuis 15 jours", NULL, 2026, 11, 7, 1 },
	{ "Dossier suspendu", "suspendu depuis 15 jours.", 2026, 11, 7, 1 },
	{ "Suspension depuis 6 semaines", NULL, 2026, 10, 11, 0 },
	{ "Suspension depuis 2 ans", NULL, 2024, 11, 22, 0 },
	{ "Suspension depuis 1 an", NULL, 2025, 11, 22, 0 },
	/* around the boundary: 30 days is too recent, 31 is a month */
	{ "Suspension depuis 30 jours", NULL, 2026, 10, 23, 1 },
	{ "Suspension depuis 31 jours", NULL, 2026, 10, 22, 0 },
	{ "Suspension depuis 1 mois", NULL, 2026, 10, 22, 0 },
	{ "Suspension depuis 4 semaines", NULL, 2026, 10, 25, 1 },
	{ "Suspension depuis 5 semaines", NULL, 2026, 10, 18, 0 },
	/* glued and abbreviated units */
	{ "Suspension depuis 15jours", NULL, 2026, 11, 7, 1 },
	{ "Suspension depuis 3 sem. - DUPONT", NULL, 2026, 11, 1, 1 },
	{ "Suspension depuis 6sem", NULL, 2026, 10, 11, 0 },
	/* numbers in words, accents and case */
	{ "Dossier bloqué depuis une semaine", NULL, 2026, 11, 15, 1 },
	{ "Dossier bloqué depuis un mois", NULL, 2026, 10, 22, 0 },
	{ "Bloqué depuis deux mois", NULL, 2026, 9, 22, 0 },
	{ "Bloqué depuis trois semaines", NULL, 2026, 11, 1, 1 },
	{ "Bloqué Depuis Trois Semaines", NULL, 2026, 11, 1, 1 },
	{ "BLOQUÉ DEPUIS QUATRE SEMAINES", NULL, 2026, 10, 25, 1 },
	{ "Bloqué depuis cinq semaines", NULL, 2026, 10, 18, 0 },
	{ "Bloqué depuis six jours", NULL, 2026, 11, 16, 1 },
	{ "Bloqué depuis sept semaines", NULL, 2026, 10, 4, 0 },
	{ "Bloqué depuis huit jours", NULL, 2026, 11, 14, 1 },
	{ "Bloqué depuis neuf mois", NULL, 2026, 2, 22, 0 },
	{ "Bloqué depuis dix jours", NULL, 2026, 11, 12, 1 },
	{ "Bloqué depuis onze jours", NULL, 2026, 11, 11, 1 },
	{ "Bloqué depuis douze jours", NULL, 2026, 11, 10, 1 },
	{ "Bloqué depuis quinze jours", NULL, 2026, 11, 7, 1 },
	{ "Bloqué depuis vingt jours", NULL, 2026, 11, 2, 1 },
	{ "Bloqué depuis dix-huit jours", NULL, 2026, 11, 4, 1 },
	{ "Bloqué depuis vingt et un jours", NULL, 2026, 11, 1, 1 },
	{ "Bloqué depuis trente-cinq jours", NULL, 2026, 10, 18, 0 },
	{ "Bloqué depuis deux années", NULL, 2024, 11, 22, 0 },
	{ "Bloqué depuis un an", NULL, 2025, 11, 22, 0 },
	/* "sept" the number, not September */
	{ "Bloqué depuis sept jours", NULL, 2026, 11, 15, 1 },
	{ "Bloqué depuis sept. 2026", NULL, 2026, 9, 1, 0 },
	/* yesterday, today */
	{ "Suspension depuis hier", NULL, 2026, 11, 21, 1 },
	{ "Suspension depuis avant-hier", NULL, 2026, 11, 20, 1 },
	{ "Suspension depuis aujourd'hui", NULL, 2026, 11, 22, 1 },
	/* bounds: less is as recent as today, more is a day past a month */
	{ "Suspension depuis moins d'un mois", NULL, 2026, 11, 22, 1 },
	{ "Suspension depuis moins de 2 mois", NULL, 2026, 11, 22, 1 },
	{ "Suspension depuis peu", NULL, 2026, 11, 22, 1 },
	{ "Suspension depuis peu de temps", NULL, 2026, 11, 22, 1 },
	{ "Suspension depuis quelques jours", NULL, 2026, 11, 20, 1 },
	{ "Suspension depuis quelques semaines", NULL, 2026, 11, 8, 1 },
	{ "Suspension depuis plusieurs mois", NULL, 2026, 9, 22, 0 },
	{ "Suspension depuis des mois", NULL, 2026, 9, 22, 0 },
	{ "Suspension depuis plus d'un mois", NULL, 2026, 10, 21, 0 },
	{ "Suspension depuis plus d\u2019un mois", NULL, 2026, 10, 21, 0 },
	{ "Suspension depuis plus de deux mois", NULL, 2026, 9, 21, 0 },
	{ "Suspension depuis plus de 15 jours", NULL, 2026, 11, 6, 1 },
	{ "Suspension depuis au moins 2 mois", NULL, 2026, 9, 22, 0 },
	/* words that say nothing of the date may come between */
	{ "Suspension depuis maintenant 3 semaines", NULL, 2026, 11, 1, 1 },
	{ "Suspension depuis déjà deux mois", NULL, 2026, 9, 22, 0 },
	{ "Suspension depuis environ 6 semaines", NULL, 2026, 10, 11, 0 },
	/* around a month: half units, "une quinzaine", "une dizaine" */
	{ "Suspension depuis 4 semaines et demie", NULL, 2026, 10, 22, 0 },
	{ "Suspension depuis quatre semaines et demie", NULL, 2026, 10, 22,
	  0 },
	{ "Suspension depuis 4,5 semaines", NULL, 2026, 10, 22, 0 },
	{ "Suspension depuis 4.5 semaines", NULL, 2026, 10, 22, 0 },
	{ "Suspension depuis 2 semaines et demie", NULL, 2026, 11, 5, 1 },
	{ "Suspension depuis deux semaines et demi", NULL, 2026, 11, 5, 1 },
	{ "Suspension depuis un mois et demi", NULL, 2026, 10, 7, 0 },
	{ "Suspension depuis 1 mois 1/2", NULL, 2026, 10, 7, 0 },
	{ "Suspension depuis 1 mois 1/2 - DUPONT", NULL, 2026, 10, 7, 0 },
	{ "Suspension depuis 1,5 mois", NULL, 2026, 10, 7, 0 },
	{ "Suspension depuis un an et demi", NULL, 2025, 5, 22, 0 },
	{ "Suspension depuis plus d'un mois et demi", NULL, 2026, 10, 6, 0 },
	{ "Suspension depuis moins d'un mois et demi", NULL, 2026, 11, 22,
	  1 },
	{ "Suspension depuis une quinzaine de jours", NULL, 2026, 11, 7, 1 },
	{ "Suspension depuis une quinzaine", NULL, 2026, 11, 7, 1 },
	{ "Suspension depuis une quinzaine - DUPONT", NULL, 2026, 11, 7, 1 },
	{ "Suspension depuis une dizaine de jours", NULL, 2026, 11, 12, 1 },
	{ "Suspension depuis une dizaine de semaines", NULL, 2026, 9, 13, 0 },
	{ "Suspension depuis une vingtaine de jours", NULL, 2026, 11, 2, 1 },
	{ "Suspension depuis une trentaine de jours", NULL, 2026, 10, 23, 1 },
	{ "Suspension depuis 3 semaines et des poussières", NULL, 2026, 11, 1,
	  1 },
	{ "Suspension depuis le 1.5.2026", NULL, 2026, 5, 1, 0 },
	/* a marker then another: "bloqué" gives nothing, "depuis" does */
	{ "Dossier bloqué", "il est bloqué depuis 3 semaines", 2026, 11, 1, 1 },
	/* the Subject first, then the text */
	{ "Suspension depuis 2 mois", "suspendu depuis 3 jours", 2026, 9, 22,
	  0 },
	{ "Suspension - DUPONT", "suspendu depuis 3 jours", 2026, 11, 19, 1 },
	/* a duration and a date: the first marker that gives something */
	{ "Suspension depuis 3 jours", "depuis le 01/01/2026", 2026, 11, 19,
	  1 },
	/* nothing given: the partner's word is taken */
	{ "Suspension depuis longtemps", NULL, 0, 0, 0, 0 },
	{ "Suspension depuis 3", NULL, 0, 0, 0, 0 },
	{ "Suspension depuis 3 heures", NULL, 0, 0, 0, 0 },
	{ "Suspension depuis 1,3 mois", NULL, 0, 0, 0, 0 },
	{ "Suspension depuis 1,55 mois", NULL, 0, 0, 0, 0 },
	{ "Suspension depuis la semaine", NULL, 0, 0, 0, 0 },
	/* no marker: a duration alone is not read */
	{ "Suspension 3 semaines", NULL, 0, 0, 0, 0 },
	{ "Suspension", "il y a 3 semaines", 0, 0, 0, 0 },
	/* absurd counts stay in range: a century back at most */
	{ "Suspension depuis 9999 ans", NULL, 1926, 11, 22, 0 },
	{ "Suspension depuis 9999 jours", NULL, 1999, 7, 8, 0 },
};

static void
test_since_durations(void **state)
{
	struct rules r;
	int32_t got, want, limit;
	size_t i;

	(void)state;
	make_rules(&r);
	limit = date_add_months(DUR_TODAY, -1);
	for (i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]);
	    i++) {
		const struct duration_case *c = &duration_cases[i];

		got = classify_since(&r, c->subject, c->text, DUR_TODAY);
		want = c->y ? ymd(c->y, c->m, c->d) : DATE_NONE;
		if (got != want)
			fail_msg("case %zu \"%s\": got %d, want %d", i,
			    c->subject ? c->subject : "(null)", (int)got,
			    (int)want);
		if ((got != DATE_NONE && got > limit) != c->recent)
			fail_msg("case %zu \"%s\": too recent is %d", i,
			    c->subject ? c->subject : "(null)", !c->recent);
	}
	rules_free(&r);
}

/* A month back is clamped to the month's end, as for dates. */
static void
test_since_duration_month_end(void **state)
{
	struct rules r;

	(void)state;
	make_rules(&r);
	assert_int_equal(classify_since(&r, "Bloqué depuis un mois", NULL,
	    ymd(2026, 3, 31)), ymd(2026, 2, 28));
	assert_int_equal(classify_since(&r, "Bloqué depuis 1 mois", NULL,
	    ymd(2028, 3, 31)), ymd(2028, 2, 29));
	assert_int_equal(classify_since(&r, "Bloqué depuis plus d'un mois",
	    NULL, ymd(2026, 3, 31)), ymd(2026, 2, 27));
	rules_free(&r);
}

/* Without markers only the Subject's first date counts. */
static void
test_since_no_markers(void **state)
{
	struct rules r;

	(void)state;
	rules_init(&r);
	assert_int_equal(classify_since(&r, "suspendu depuis le 12/09/2026",
	    "depuis le 01/01/2026", TODAY), ymd(2026, 9, 12));
	assert_int_equal(classify_since(&r, "suspendu", "depuis le 01/01/2026", TODAY),
	    DATE_NONE);
	rules_free(&r);
}

/* Long hostile input stays linear and in bounds. */
static void
test_since_long_input(void **state)
{
	struct rules r;
	size_t n = 200000, i;
	char *s;

	(void)state;
	make_rules(&r);
	s = malloc(n + 1);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = "depuis 1 "[i % 9];
	s[n] = '\0';
	assert_int_equal(classify_since(&r, s, s, TODAY), DATE_NONE);
	for (i = 0; i < n; i++)
		s[i] = "1/"[i % 2];
	assert_int_equal(classify_since(&r, s, s, TODAY), DATE_NONE);
	assert_null(classify_type(&r, s, s));
	free(s);
	rules_free(&r);
}

/*
 * decide() folds the Subject and the text once for the type and the date
 * (struct text_lazy): the same answers as one fold per step, in that order.
 */
static void
test_lazy_shared_as_separate(void **state)
{
	const struct request_type *t;
	struct text_lazy s, x;
	struct rules r;
	size_t i, n;
	const char *subj, *text;
	int32_t day;

	(void)state;
	make_rules(&r);
	n = sizeof(type_cases) / sizeof(type_cases[0]) +
	    sizeof(since_cases) / sizeof(since_cases[0]);
	for (i = 0; i < n; i++) {
		if (i < sizeof(type_cases) / sizeof(type_cases[0])) {
			subj = type_cases[i].subject;
			text = type_cases[i].text;
		} else {
			subj = since_cases[i - sizeof(type_cases) /
			    sizeof(type_cases[0])].subject;
			text = since_cases[i - sizeof(type_cases) /
			    sizeof(type_cases[0])].text;
		}
		text_lazy_init(&s, subj);
		text_lazy_init(&x, text);
		t = classify_type_lazy(&r, &s, &x);
		day = classify_since_lazy(&r, &s, &x, TODAY);
		assert_ptr_equal(t, classify_type(&r, subj, text));
		assert_int_equal(day, classify_since(&r, subj, text, TODAY));
		text_lazy_free(&s);
		text_lazy_free(&x);
	}
	rules_free(&r);
}

/* A type named in the Subject leaves the text unfolded: it may be long. */
static void
test_lazy_text_folded_only_if_needed(void **state)
{
	struct text_lazy s, x;
	struct rules r;

	(void)state;
	make_rules(&r);
	text_lazy_init(&s, "Transmission RIB - BERNARD Luc");
	text_lazy_init(&x, "Bonjour, ci-joint le RIB.");
	assert_string_equal(classify_type_lazy(&r, &s, &x)->id, "rib");
	assert_non_null(s.folded);
	assert_null(x.folded);
	text_lazy_free(&s);
	text_lazy_init(&s, "BERNARD Luc");
	assert_string_equal(classify_type_lazy(&r, &s, &x)->id, "rib");
	assert_non_null(x.folded);
	text_lazy_free(&s);
	text_lazy_free(&x);
	rules_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_type_tie_first_listed_wins),
		cmocka_unit_test(test_type_no_types),
		cmocka_unit_test(test_find_date_table),
		cmocka_unit_test(test_find_date_bounded),
		cmocka_unit_test(test_since_table),
		cmocka_unit_test(test_since_durations),
		cmocka_unit_test(test_since_duration_month_end),
		cmocka_unit_test(test_since_no_markers),
		cmocka_unit_test(test_since_long_input),
		cmocka_unit_test(test_lazy_shared_as_separate),
		cmocka_unit_test(test_lazy_text_folded_only_if_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
