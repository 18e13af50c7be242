/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_review - the yearly reverse review (Contrat 2.2.2): the flags of
 * review.c (each flag, what excludes it, the boundary days) and what
 * store_review() reads (periods, the decisions of the year by outcome,
 * the last message, the quota count), on a fresh database per test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "review"
#include "test_store_open.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "balp/date.h"
#include "balp/review.h"
#include "balp/store.h"
#include "balp/store_decision.h"
#include "balp/store_partner.h"
#include "balp/store_review.h"

#define ACTOR	"admin-test"

static int32_t
D(const char *iso)
{
	int32_t d;

	if (date_parse_iso(iso, &d) == -1)
		fail_msg("bad test date %s", iso);
	return d;
}

/* Noon UTC of day: the same civil day in any zone within +-11 hours. */
static time_t
at_noon(int32_t day)
{
	return (time_t)day * 86400 + 43200;
}

/* ---- the flags (pure) ------------------------------------------------- */

static void
test_year_start_is_365_days(void **state)
{
	(void)state;
	assert_int_equal(review_year_start(D("2026-11-29")), D("2025-11-30"));
	/* A leap day inside: still 365 days, both ends included. */
	assert_int_equal(review_year_start(D("2028-12-31")), D("2028-01-02"));
	assert_int_equal(D("2026-11-29") - review_year_start(D("2026-11-29"))
	    + 1, REVIEW_YEAR_DAYS);
}

static void
test_idle_before_is_months_back(void **state)
{
	struct review_params rp = { D("2026-11-29"), 6 };

	(void)state;
	assert_int_equal(review_idle_before(&rp), D("2026-05-29"));
	rp.now = D("2026-08-31");
	assert_int_equal(review_idle_before(&rp), D("2026-02-28"));
	rp.idle_months = 0;
	assert_int_equal(review_idle_before(&rp), D("2026-08-31"));
}

struct person_case {
	const char	*what;
	const char	*first_start;
	const char	*end;		/* NULL: open */
	int		 suspended;
	int		 used;
	const char	*last_message;	/* NULL: none */
	int		 idle_months;
	unsigned	 want;
};

/* Every case is judged on 2026-11-29. */
static const struct person_case person_cases[] = {
	{ "used yesterday", "2025-01-05", NULL, 0, 1, "2026-11-28", 6, 0 },
	{ "never used", "2025-01-05", NULL, 0, 0, NULL, 6,
	    REVIEW_NEVER_USED },
	{ "habilitated today, never used", "2026-11-29", NULL, 0, 0, NULL, 6,
	    REVIEW_NEVER_USED },
	{ "not yet habilitated", "2026-11-30", NULL, 0, 0, NULL, 6, 0 },
	{ "wrote only outside the habilitation: never used, not idle",
	    "2025-01-05", NULL, 0, 0, "2025-01-01", 6, REVIEW_NEVER_USED },
	{ "last message 6 months ago to the day: not idle", "2025-01-05",
	    NULL, 0, 1, "2026-05-29", 6, 0 },
	{ "a day more: idle", "2025-01-05", NULL, 0, 1, "2026-05-28", 6,
	    REVIEW_IDLE },
	{ "idle after 3 months", "2025-01-05", NULL, 0, 1, "2026-08-28", 3,
	    REVIEW_IDLE },
	{ "not idle after 12", "2025-01-05", NULL, 0, 1, "2026-08-28", 12,
	    0 },
	{ "0 months: yesterday is idle", "2025-01-05", NULL, 0, 1,
	    "2026-11-28", 0, REVIEW_IDLE },
	{ "0 months: today is not", "2025-01-05", NULL, 0, 1, "2026-11-29",
	    0, 0 },
	{ "ends today: not past its end", "2025-01-05", "2026-11-29", 0, 1,
	    "2026-11-29", 6, 0 },
	{ "ended yesterday", "2025-01-05", "2026-11-28", 0, 1, "2026-11-28",
	    6, REVIEW_PAST_END },
	{ "ended, idle and never used are apart", "2025-01-05", "2026-01-31",
	    0, 0, NULL, 6, REVIEW_PAST_END | REVIEW_NEVER_USED },
	{ "ended and idle", "2025-01-05", "2026-01-31", 0, 1, "2026-01-15",
	    6, REVIEW_PAST_END | REVIEW_IDLE },
	{ "suspended", "2025-01-05", NULL, 1, 1, "2026-11-28", 6,
	    REVIEW_SUSPENDED },
	{ "suspended and never used", "2025-01-05", NULL, 1, 0, NULL, 6,
	    REVIEW_SUSPENDED | REVIEW_NEVER_USED },
};

static void
test_person_flags(void **state)
{
	const struct person_case *c;
	struct review_person_facts f;
	struct review_params rp;
	size_t i;
	unsigned got;

	(void)state;
	for (i = 0; i < sizeof(person_cases) / sizeof(person_cases[0]); i++) {
		c = &person_cases[i];
		f.first_start = D(c->first_start);
		f.end = c->end != NULL ? D(c->end) : DATE_NONE;
		f.suspended = c->suspended;
		f.used = c->used;
		f.last_message = c->last_message != NULL ?
		    D(c->last_message) : DATE_NONE;
		rp.now = D("2026-11-29");
		rp.idle_months = c->idle_months;
		got = review_person(&f, &rp);
		if (got != c->want)
			fail_msg("%s: flags 0x%x, want 0x%x", c->what, got,
			    c->want);
		assert_int_equal(got & ~REVIEW_PERSON_FLAGS, 0);
	}
}

struct partner_case {
	const char	*what;
	const char	*end;		/* NULL: open */
	int		 suspended;
	int		 max_persons;
	size_t		 counted;
	unsigned	 want;
};

static const struct partner_case partner_cases[] = {
	{ "in force, under its quota", NULL, 0, 3, 2, 0 },
	{ "at its quota", NULL, 0, 3, 3, 0 },
	{ "over its quota", NULL, 0, 3, 4, REVIEW_OVER_QUOTA },
	{ "a quota of 0 and one person", NULL, 0, 0, 1, REVIEW_OVER_QUOTA },
	{ "no quota", NULL, 0, -1, 500, 0 },
	{ "convention ends today", "2026-11-29", 0, -1, 1, 0 },
	{ "convention ended yesterday", "2026-11-28", 0, -1, 1,
	    REVIEW_CONVENTION_ENDED },
	{ "suspended", NULL, 1, -1, 1, REVIEW_PARTNER_SUSPENDED },
	{ "all three", "2026-01-01", 1, 1, 2, REVIEW_OVER_QUOTA |
	    REVIEW_CONVENTION_ENDED | REVIEW_PARTNER_SUSPENDED },
};

static void
test_partner_flags(void **state)
{
	const struct partner_case *c;
	struct review_partner_facts f;
	struct review_params rp = { 0, REVIEW_IDLE_MONTHS };
	size_t i;
	unsigned got;

	(void)state;
	rp.now = D("2026-11-29");
	for (i = 0; i < sizeof(partner_cases) / sizeof(partner_cases[0]);
	    i++) {
		c = &partner_cases[i];
		f.convention_end = c->end != NULL ? D(c->end) : DATE_NONE;
		f.suspended = c->suspended;
		f.max_persons = c->max_persons;
		f.counted = c->counted;
		got = review_partner(&f, &rp);
		if (got != c->want)
			fail_msg("%s: flags 0x%x, want 0x%x", c->what, got,
			    c->want);
		assert_int_equal(got & ~REVIEW_PARTNER_FLAGS, 0);
	}
}

static void
test_flag_names(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; review_flag_at(i) != 0; i++)
		assert_non_null(review_flag_name(review_flag_at(i)));
	assert_int_equal(i, 7);
	assert_string_equal(review_flag_name(REVIEW_NEVER_USED), "never_used");
	assert_string_equal(review_flag_name(REVIEW_IDLE), "idle");
	assert_string_equal(review_flag_name(REVIEW_PAST_END), "past_end");
	assert_string_equal(review_flag_name(REVIEW_OVER_QUOTA), "over_quota");
	assert_string_equal(review_flag_name(REVIEW_CONVENTION_ENDED),
	    "convention_ended");
	assert_null(review_flag_name(0x80u));
	assert_int_equal(review_flags_join(&b, REVIEW_PAST_END |
	    REVIEW_NEVER_USED, ",", 0), 0);
	assert_string_equal(buf_str(&b), "never_used,past_end");
	buf_reset(&b);
	review_flags_join(&b, REVIEW_OVER_QUOTA | REVIEW_PARTNER_SUSPENDED,
	    ",", 1);
	assert_string_equal(buf_str(&b), "\"over_quota\",\"suspended\"");
	buf_reset(&b);
	review_flags_join(&b, 0, ",", 1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* ---- store_review ----------------------------------------------------- */

static void
add_partner(struct store *st, const char *id, int32_t end, int max)
{
	struct store_partner_spec p = { id, "Partenaire", NULL,
	    D("2024-01-01"), end, max };

	if (store_partner_add(st, &p, ACTOR, at_noon(D("2024-01-01"))) !=
	    STORE_OK)
		fail_msg("partner add %s: %s", id, store_errmsg(st));
}

static void
add_person(struct store *st, const char *partner, const char *last,
    const char *email, const char *start, const char *end)
{
	struct store_person_spec p = { partner, last, "Anne", email,
	    "Assistante sociale", D(start), end != NULL ? D(end) : DATE_NONE };

	if (store_person_add(st, &p, D(start), ACTOR, at_noon(D(start)),
	    NULL) != STORE_OK)
		fail_msg("person add %s: %s", email, store_errmsg(st));
}

/* One decision, on day at noon. */
static void
decide_on(struct store *st, const char *ref, const char *sender,
    const char *partner, enum outcome o, reason_set reasons,
    const char *day)
{
	struct store_decision_spec d;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.sender = sender;
	d.partner_id = partner;
	d.outcome = o;
	d.reasons = reasons;
	d.queue = "BALP/X";
	if (store_decision_record(st, &d, NULL, "balpd", at_noon(D(day)),
	    NULL) != STORE_OK)
		fail_msg("decision %s: %s", ref, store_errmsg(st));
}

static const struct store_review_partner *
partner_of(const struct store_review *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].partner.id, id) == 0)
			return &r->v[i];
	fail_msg("partner %s not in the review", id);
	return NULL;
}

static const struct store_review_person *
person_of(const struct store_review *r, const char *email)
{
	size_t i, j;

	for (i = 0; i < r->n; i++)
		for (j = 0; j < r->v[i].n; j++)
			if (strcmp(r->v[i].v[j].email, email) == 0)
				return &r->v[i].v[j];
	return NULL;
}

static int
review(struct store *st, const char *partner, const char *now,
    struct store_review *r)
{
	return store_review(st, partner, D(now),
	    review_year_start(D(now)), r);
}

static void
test_review_counts_the_year(void **state)
{
	struct fx *fx = *state;
	const struct store_review_person *p;
	struct store_review r;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "MARTIN", "a.martin@apeai34.fr",
	    "2024-06-01", NULL);
	/* The year is 2025-11-30 .. 2026-11-29. */
	decide_on(fx->st, "old", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2025-11-29");
	decide_on(fx->st, "first", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2025-11-30");
	decide_on(fx->st, "a2", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2026-03-01");
	decide_on(fx->st, "r1", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_REJECTED, REASON_BIT(REASON_NIR_INVALID), "2026-06-01");
	decide_on(fx->st, "q1", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_QUARANTINED, REASON_BIT(REASON_ATTACHMENT_FORBIDDEN),
	    "2026-07-01");
	decide_on(fx->st, "last", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_REJECTED, REASON_BIT(REASON_TOO_RECENT), "2026-11-29");
	/* After the review day: in no count. */
	decide_on(fx->st, "later", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2026-11-30");
	/* Not hers: another sender, another partner, no partner. */
	decide_on(fx->st, "other", "j.roux@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2026-03-01");
	decide_on(fx->st, "elsewhere", "a.martin@apeai34.fr", "ccas",
	    OUTCOME_ACCEPTED, 0, "2026-03-01");
	decide_on(fx->st, "unknown", "a.martin@apeai34.fr", NULL,
	    OUTCOME_REJECTED, REASON_BIT(REASON_SENDER_UNKNOWN),
	    "2026-03-01");

	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].n, 1);
	p = &r.v[0].v[0];
	assert_string_equal(p->last_name, "MARTIN");
	assert_string_equal(p->first_name, "Anne");
	assert_string_equal(p->job_title, "Assistante sociale");
	assert_int_equal(p->start, D("2024-06-01"));
	assert_int_equal(p->first_start, D("2024-06-01"));
	assert_int_equal(p->end, DATE_NONE);
	assert_int_equal(p->n_accepted, 2);
	assert_int_equal(p->n_rejected, 2);
	assert_int_equal(p->n_quarantined, 1);
	assert_true(p->used);
	assert_int_equal(p->last_message, D("2026-11-29"));
	store_review_free(&r);

	/* A day earlier: "last" is after it, "old" is in the year. */
	assert_int_equal(review(fx->st, NULL, "2026-11-28", &r), STORE_OK);
	p = &r.v[0].v[0];
	assert_int_equal(p->n_accepted, 3);
	assert_int_equal(p->n_rejected, 1);
	assert_int_equal(p->last_message, D("2026-07-01"));
	store_review_free(&r);
	store_review_free(&r);	/* freeing twice is harmless */
}

static void
test_review_use_is_within_the_habilitation(void **state)
{
	struct fx *fx = *state;
	const struct store_review_person *p;
	struct store_review r;
	struct review_params rp = { 0, 6 };
	struct review_person_facts f;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "ROUX", "j.roux@apeai34.fr",
	    "2025-03-01", "2026-08-31");
	add_person(fx->st, "apeai", "SPOOF", "s.poof@apeai34.fr",
	    "2025-03-01", NULL);
	add_person(fx->st, "apeai", "BENALI", "s.benali@apeai34.fr",
	    "2026-12-01", NULL);
	/* Rejected after the end: sent, but not a use. */
	decide_on(fx->st, "late", "j.roux@apeai34.fr", "apeai",
	    OUTCOME_REJECTED, REASON_BIT(REASON_SENDER_HABILITATION_ENDED),
	    "2026-09-15");
	/* Someone else wrote her address: counted, not hers. */
	decide_on(fx->st, "spoof", "s.poof@apeai34.fr", "apeai",
	    OUTCOME_QUARANTINED, REASON_BIT(REASON_AUTH_FAILED),
	    "2026-09-15");

	assert_int_equal(review(fx->st, "apeai", "2026-11-29", &r), STORE_OK);
	assert_int_equal(r.v[0].n, 3);
	rp.now = D("2026-11-29");

	p = person_of(&r, "j.roux@apeai34.fr");
	assert_non_null(p);
	assert_false(p->used);
	assert_int_equal(p->last_message, D("2026-09-15"));
	assert_int_equal(p->n_rejected, 1);
	f = (struct review_person_facts){ p->first_start, p->end,
	    p->suspended, p->used, p->last_message };
	assert_int_equal(review_person(&f, &rp), REVIEW_NEVER_USED |
	    REVIEW_PAST_END);

	p = person_of(&r, "s.poof@apeai34.fr");
	assert_non_null(p);
	assert_false(p->used);
	assert_int_equal(p->last_message, DATE_NONE);
	assert_int_equal(p->n_quarantined, 1);

	/* Starts after the review day: listed, never used is not said. */
	p = person_of(&r, "s.benali@apeai34.fr");
	assert_non_null(p);
	f = (struct review_person_facts){ p->first_start, p->end,
	    p->suspended, p->used, p->last_message };
	assert_int_equal(review_person(&f, &rp), 0);
	store_review_free(&r);
}

static void
test_review_idle_far_ahead(void **state)
{
	struct fx *fx = *state;
	const struct store_review_person *p;
	struct store_review r;
	struct review_params rp = { 0, 6 };
	struct review_person_facts f;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "MARTIN", "a.martin@apeai34.fr",
	    "2025-01-05", NULL);
	decide_on(fx->st, "m1", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2026-03-10");
	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	p = person_of(&r, "a.martin@apeai34.fr");
	assert_non_null(p);
	rp.now = D("2026-11-29");
	f = (struct review_person_facts){ p->first_start, p->end,
	    p->suspended, p->used, p->last_message };
	assert_int_equal(review_person(&f, &rp), REVIEW_IDLE);
	rp.idle_months = 9;
	assert_int_equal(review_person(&f, &rp), 0);
	store_review_free(&r);

	/* More than a year on: idle, and the message is out of the year. */
	assert_int_equal(review(fx->st, NULL, "2027-06-01", &r), STORE_OK);
	p = person_of(&r, "a.martin@apeai34.fr");
	assert_int_equal(p->n_accepted, 0);
	assert_int_equal(p->last_message, D("2026-03-10"));
	assert_true(p->used);
	store_review_free(&r);
}

static void
test_review_retriage_counts_once(void **state)
{
	struct fx *fx = *state;
	const struct store_review_person *p;
	struct store_review r;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "MARTIN", "a.martin@apeai34.fr",
	    "2025-01-05", NULL);
	decide_on(fx->st, "m1", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_QUARANTINED, REASON_BIT(REASON_MALFORMED), "2026-10-01");
	decide_on(fx->st, "m1-again", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2026-10-05");
	/* As store_message's retriage links them. */
	raw_exec(fx->path, "UPDATE decisions SET supersedes = (SELECT id FROM "
	    "decisions WHERE source_ref = 'm1') WHERE source_ref = "
	    "'m1-again'");
	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	p = person_of(&r, "a.martin@apeai34.fr");
	assert_non_null(p);
	assert_int_equal(p->n_quarantined, 0);
	assert_int_equal(p->n_accepted, 1);
	/* The day it came, not the day of the retriage. */
	assert_int_equal(p->last_message, D("2026-10-01"));
	assert_true(p->used);
	store_review_free(&r);
}

static void
test_review_who_is_listed(void **state)
{
	struct fx *fx = *state;
	const struct store_review_partner *pa;
	struct store_review r;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_partner(fx->st, "ccas", DATE_NONE, STORE_NO_QUOTA);
	add_partner(fx->st, "empty", D("2026-06-30"), STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "ZOLA", "z@apeai34.fr", "2024-01-01",
	    NULL);
	add_person(fx->st, "apeai", "ANCIEN", "old@apeai34.fr", "2024-01-01",
	    "2025-11-29");
	add_person(fx->st, "apeai", "RECENT", "ended@apeai34.fr",
	    "2024-01-01", "2025-11-30");
	add_person(fx->st, "apeai", "ANNULE", "void@apeai34.fr", "2027-01-01",
	    NULL);
	/* An annex left her out before her start: she never was. */
	raw_exec(fx->path, "UPDATE persons SET hab_end = '2026-12-15' WHERE "
	    "email = 'void@apeai34.fr'; UPDATE hab_periods SET hab_end = "
	    "'2026-12-15' WHERE person_id = (SELECT id FROM persons WHERE "
	    "email = 'void@apeai34.fr')");
	add_person(fx->st, "ccas", "GARCIA", "c.garcia@lespignan.fr",
	    "2025-06-01", NULL);

	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	assert_int_equal(r.n, 3);
	pa = partner_of(&r, "apeai");
	/* Ordered by name; ended before the year: not listed. */
	assert_int_equal(pa->n, 2);
	assert_string_equal(pa->v[0].last_name, "RECENT");
	assert_string_equal(pa->v[1].last_name, "ZOLA");
	assert_null(person_of(&r, "old@apeai34.fr"));
	assert_null(person_of(&r, "void@apeai34.fr"));
	/* ZOLA and the void one, as store_quota_check counts them. */
	assert_int_equal(pa->counted, 2);
	assert_int_equal(partner_of(&r, "ccas")->n, 1);
	assert_int_equal(partner_of(&r, "empty")->n, 0);
	assert_int_equal(partner_of(&r, "empty")->partner.end,
	    D("2026-06-30"));
	store_review_free(&r);

	assert_int_equal(review(fx->st, "ccas", "2026-11-29", &r), STORE_OK);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].partner.id, "ccas");
	assert_int_equal(r.v[0].n, 1);
	store_review_free(&r);

	assert_int_equal(review(fx->st, "nope", "2026-11-29", &r),
	    STORE_NOTFOUND);
	assert_int_equal(r.n, 0);
	assert_int_equal(store_review(fx->st, NULL, D("2026-11-29"),
	    D("2026-11-30"), &r), STORE_REFUSED);
}

static void
test_review_quota_count(void **state)
{
	struct fx *fx = *state;
	struct store_review r;
	struct review_params rp = { 0, 6 };
	struct review_partner_facts f;
	const struct store_review_partner *pa;

	add_partner(fx->st, "apeai", DATE_NONE, 2);
	add_person(fx->st, "apeai", "A", "a@apeai34.fr", "2025-01-01", NULL);
	add_person(fx->st, "apeai", "B", "b@apeai34.fr", "2025-01-01",
	    "2026-11-29");
	assert_int_equal(store_person_suspend(fx->st, "apeai", "b@apeai34.fr",
	    "congé", ACTOR, at_noon(D("2026-11-01"))), STORE_OK);
	assert_int_equal(store_partner_set_max_persons(fx->st, "apeai", 1,
	    ACTOR, at_noon(D("2026-11-01"))), STORE_OK);
	rp.now = D("2026-11-29");

	/* Suspended and ending on the day: counted, over the quota. */
	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	pa = partner_of(&r, "apeai");
	assert_int_equal(pa->counted, 2);
	assert_true(person_of(&r, "b@apeai34.fr")->suspended);
	assert_string_equal(person_of(&r, "b@apeai34.fr")->suspend_reason,
	    "congé");
	f = (struct review_partner_facts){ pa->partner.end,
	    pa->partner.suspended, pa->partner.max_persons, pa->counted };
	assert_int_equal(review_partner(&f, &rp), REVIEW_OVER_QUOTA);
	/* The store's own rule says the same: no resume. */
	assert_int_equal(store_person_resume(fx->st, "apeai", "b@apeai34.fr",
	    D("2026-11-29"), ACTOR, at_noon(D("2026-11-29"))), STORE_REFUSED);
	store_review_free(&r);

	/* The day after B's end: at the quota. */
	assert_int_equal(review(fx->st, NULL, "2026-11-30", &r), STORE_OK);
	pa = partner_of(&r, "apeai");
	assert_int_equal(pa->counted, 1);
	rp.now = D("2026-11-30");
	f.counted = pa->counted;
	assert_int_equal(review_partner(&f, &rp), 0);
	store_review_free(&r);
}

static void
test_review_periods(void **state)
{
	struct fx *fx = *state;
	const struct store_review_person *p;
	struct store_review r;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "MARTIN", "a.martin@apeai34.fr",
	    "2024-01-01", "2024-12-31");
	/* Listed again by an annex in 2026: a second period, the latest. */
	raw_exec(fx->path, "UPDATE persons SET hab_start = '2026-02-01', "
	    "hab_end = NULL WHERE email = 'a.martin@apeai34.fr'; "
	    "INSERT INTO hab_periods (person_id, hab_start, hab_end, "
	    "created_at) SELECT id, '2026-02-01', NULL, "
	    "'2026-02-01T12:00:00Z' FROM persons WHERE "
	    "email = 'a.martin@apeai34.fr'");
	/* Between the periods: not a use.  In the first: a use. */
	decide_on(fx->st, "between", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_REJECTED, REASON_BIT(REASON_SENDER_HABILITATION_ENDED),
	    "2025-06-01");
	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	p = person_of(&r, "a.martin@apeai34.fr");
	assert_non_null(p);
	assert_int_equal(p->start, D("2026-02-01"));
	assert_int_equal(p->first_start, D("2024-01-01"));
	assert_false(p->used);
	assert_int_equal(p->last_message, D("2025-06-01"));
	store_review_free(&r);

	decide_on(fx->st, "first", "a.martin@apeai34.fr", "apeai",
	    OUTCOME_ACCEPTED, 0, "2024-12-31");
	assert_int_equal(review(fx->st, NULL, "2026-11-29", &r), STORE_OK);
	p = person_of(&r, "a.martin@apeai34.fr");
	assert_true(p->used);
	assert_int_equal(p->n_accepted, 0);	/* not in the year */
	store_review_free(&r);
}

/*
 * balpd keeps its store open across passes: a suspension written by
 * another connection (balpctl) must be what its next lookup sees, the
 * statement cache notwithstanding.
 */
static void
test_suspension_seen_without_reopening(void **state)
{
	struct fx *fx = *state;
	struct store_habilitations h;
	struct store *ctl;
	struct buf err = BUF_INIT;

	add_partner(fx->st, "apeai", DATE_NONE, STORE_NO_QUOTA);
	add_person(fx->st, "apeai", "MARTIN", "a.martin@apeai34.fr",
	    "2025-01-05", NULL);
	assert_int_equal(store_habilitations_at(fx->st, "a.martin@apeai34.fr",
	    D("2026-11-29"), &h), STORE_OK);
	assert_int_equal(h.n, 1);
	assert_false(h.v[0].person_suspended);
	assert_false(h.v[0].partner_suspended);
	store_habilitations_free(&h);

	assert_int_equal(test_store_open(fx->path, &ctl, &err), STORE_OK);
	assert_int_equal(store_person_suspend(ctl, "apeai",
	    "a.martin@apeai34.fr", "départ", ACTOR, at_noon(D("2026-11-29"))),
	    STORE_OK);
	assert_int_equal(store_habilitations_at(fx->st, "a.martin@apeai34.fr",
	    D("2026-11-29"), &h), STORE_OK);
	assert_true(h.v[0].person_suspended);
	store_habilitations_free(&h);

	assert_int_equal(store_partner_suspend(ctl, "apeai", "audit",
	    ACTOR, at_noon(D("2026-11-29"))), STORE_OK);
	assert_int_equal(store_habilitations_at(fx->st, "a.martin@apeai34.fr",
	    D("2026-11-29"), &h), STORE_OK);
	assert_true(h.v[0].partner_suspended);
	store_habilitations_free(&h);
	store_close(ctl);
	buf_free(&err);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_year_start_is_365_days),
		cmocka_unit_test(test_idle_before_is_months_back),
		cmocka_unit_test(test_person_flags),
		cmocka_unit_test(test_partner_flags),
		cmocka_unit_test(test_flag_names),
		T(test_review_counts_the_year),
		T(test_review_use_is_within_the_habilitation),
		T(test_review_idle_far_ahead),
		T(test_review_retriage_counts_once),
		T(test_review_who_is_listed),
		T(test_review_quota_count),
		T(test_review_periods),
		T(test_suspension_seen_without_reopening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
