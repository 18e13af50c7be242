/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_workdays - the working-day clock of the queues' SLA: Easter (known
 * dates, and a second algorithm over every year date.h knows), the
 * holidays of 2026 one by one, Ascension on 1 or 8 May, counting across
 * weekends, holidays and a year end, zero and negative spans, and the
 * count checked against a day-by-day walk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "balp/date.h"
#include "balp/workdays.h"

static int32_t
day(int y, int m, int d)
{
	int32_t v;

	if (date_from_ymd(y, m, d, &v) == -1)
		fail_msg("bad date %04d-%02d-%02d", y, m, d);
	return v;
}

static const char *
iso(int32_t v, char out[11])
{
	date_format_iso(v, out);
	return out;
}

static void
test_easter_known(void **state)
{
	static const int cases[][4] = {
		/* year, Easter's month and day */
		{ 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 },
		{ 2027, 3, 28 }, { 2028, 4, 16 }, { 2030, 4, 21 },
		{ 2038, 4, 25 }, { 2000, 4, 23 }, { 2019, 4, 21 },
		{ 2008, 3, 23 }, { 1997, 3, 30 }, { 1943, 4, 25 },
		{ 1913, 3, 23 }, { 2011, 4, 24 }, { 2100, 3, 28 },
		{ 1900, 4, 15 }, { 2199, 4, 14 }, { 1954, 4, 18 },
		{ 1991, 3, 31 }, { 2049, 4, 18 }, { 2160, 3, 23 },
	};
	char got[11], want[11];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int32_t e = workdays_easter(cases[i][0]);
		int32_t w = day(cases[i][0], cases[i][1], cases[i][2]);

		if (e != w)
			fail_msg("Easter %d: got %s, want %s", cases[i][0],
			    e == DATE_NONE ? "none" : iso(e, got), iso(w, want));
	}
}

/*
 * Easter by another road (Oudin's algorithm, as Claus Tondering gives
 * it): the two must agree on every year, and every Easter is a Sunday
 * from 22 March to 25 April.
 */
static int32_t
easter_oudin(int y)
{
	int g = y % 19, c = y / 100, h, i, j, l, m, d;

	h = (c - c / 4 - (8 * c + 13) / 25 + 19 * g + 15) % 30;
	i = h - (h / 28) * (1 - (29 / (h + 1)) * ((21 - g) / 11));
	j = (y + y / 4 + i + 2 - c + c / 4) % 7;
	l = i - j;
	m = 3 + (l + 40) / 44;
	d = l + 28 - 31 * (m / 4);
	return day(y, m, d);
}

static void
test_easter_every_year(void **state)
{
	char got[11], want[11];
	int y;

	(void)state;
	for (y = 1900; y <= 2199; y++) {
		int32_t e = workdays_easter(y);

		if (e != easter_oudin(y))
			fail_msg("Easter %d: %s, Oudin says %s", y,
			    iso(e, got), iso(easter_oudin(y), want));
		assert_int_equal(workdays_weekday(e), 6);
		assert_true(e >= day(y, 3, 22));
		assert_true(e <= day(y, 4, 25));
	}
	assert_int_equal(workdays_easter(1899), DATE_NONE);
	assert_int_equal(workdays_easter(2200), DATE_NONE);
}

static void
test_weekday(void **state)
{
	(void)state;
	assert_int_equal(workdays_weekday(day(1970, 1, 1)), 3);
	assert_int_equal(workdays_weekday(day(1900, 1, 1)), 0);
	assert_int_equal(workdays_weekday(day(1969, 12, 28)), 6);
	assert_int_equal(workdays_weekday(day(2026, 11, 27)), 4);
	assert_int_equal(workdays_weekday(day(2026, 11, 28)), 5);
	assert_int_equal(workdays_weekday(day(2026, 11, 29)), 6);
	assert_int_equal(workdays_weekday(day(2026, 11, 30)), 0);
	assert_int_equal(workdays_weekday(day(2199, 12, 31)), 1);
	/* Far outside the calendar, still a day of the week. */
	assert_true(workdays_weekday(INT32_MIN) >= 0);
	assert_true(workdays_weekday(INT32_MAX) <= 6);
}

static void
test_holidays_2026(void **state)
{
	static const int want[][2] = {
		{ 1, 1 },	/* Jour de l'an, Thursday */
		{ 4, 6 },	/* Lundi de Pâques */
		{ 5, 1 },	/* Fête du travail, Friday */
		{ 5, 8 },	/* Victoire 1945, Friday */
		{ 5, 14 },	/* Ascension, Thursday */
		{ 5, 25 },	/* Lundi de Pentecôte */
		{ 7, 14 },	/* Fête nationale, Tuesday */
		{ 8, 15 },	/* Assomption, Saturday */
		{ 11, 1 },	/* Toussaint, Sunday */
		{ 11, 11 },	/* Armistice, Wednesday */
		{ 12, 25 },	/* Noël, Friday */
	};
	int32_t h[WORKDAYS_MAX_HOLIDAYS];
	char got[11], exp[11];
	size_t n, i;

	(void)state;
	n = workdays_holidays(2026, h);
	assert_int_equal(n, 11);
	for (i = 0; i < n; i++) {
		int32_t w = day(2026, want[i][0], want[i][1]);

		if (h[i] != w)
			fail_msg("holiday %zu: got %s, want %s", i,
			    iso(h[i], got), iso(w, exp));
		assert_true(workdays_is_holiday(w));
		assert_false(workdays_is_working(w));
		/* The day before is no holiday (none of 2026's are
		 * adjacent). */
		assert_false(workdays_is_holiday(w - 1));
	}
	/* Easter Sunday and Pentecost are Sundays, not listed holidays. */
	assert_false(workdays_is_holiday(day(2026, 4, 5)));
	assert_false(workdays_is_holiday(day(2026, 5, 24)));
	/* Days the Caf works although others may not. */
	assert_false(workdays_is_holiday(day(2026, 4, 3)));	/* Good Friday */
	assert_false(workdays_is_holiday(day(2026, 12, 26)));	/* St Stephen */
	assert_true(workdays_is_working(day(2026, 4, 3)));
	assert_true(workdays_is_working(day(2026, 12, 24)));
	assert_false(workdays_is_working(day(2026, 11, 28)));	/* Saturday */
	assert_false(workdays_is_working(day(2026, 11, 29)));	/* Sunday */
	assert_true(workdays_is_working(day(2026, 11, 30)));
}

/* Ascension on 1 May (2008) or 8 May (1997): one day off, not two. */
static void
test_ascension_on_may_holiday(void **state)
{
	int32_t h[WORKDAYS_MAX_HOLIDAYS];
	size_t i;

	(void)state;
	assert_int_equal(workdays_easter(2008) + 39, day(2008, 5, 1));
	assert_int_equal(workdays_holidays(2008, h), 10);
	assert_int_equal(workdays_easter(1997) + 39, day(1997, 5, 8));
	assert_int_equal(workdays_holidays(1997, h), 10);
	for (i = 1; i < 10; i++)
		assert_true(h[i - 1] < h[i]);
	/* Thursday 2008-05-01 to Friday 2008-05-02: the Friday only. */
	assert_int_equal(workdays_between(day(2008, 4, 30),
	    day(2008, 5, 2)), 1);
	assert_int_equal(workdays_holidays(2026, h), 11);
	/* Outside date.h's years: no holidays, weekends only. */
	assert_int_equal(workdays_holidays(1899, h), 0);
	assert_int_equal(workdays_holidays(2200, h), 0);
}

struct span {
	int	from[3];
	int	to[3];
	int64_t	want;
	const char *why;
};

static void
test_between(void **state)
{
	static const struct span cases[] = {
		{ { 2026, 11, 27 }, { 2026, 11, 27 }, 0, "same day" },
		{ { 2026, 11, 27 }, { 2026, 11, 28 }, 0, "Friday to Saturday" },
		{ { 2026, 11, 27 }, { 2026, 11, 29 }, 0, "Friday to Sunday" },
		{ { 2026, 11, 27 }, { 2026, 11, 30 }, 1, "Friday to Monday" },
		{ { 2026, 11, 28 }, { 2026, 11, 30 }, 1, "Saturday to Monday" },
		{ { 2026, 11, 26 }, { 2026, 11, 27 }, 1, "Thursday to Friday" },
		{ { 2026, 11, 27 }, { 2026, 12, 4 }, 5, "a week" },
		{ { 2026, 11, 16 }, { 2026, 11, 30 }, 10, "two weeks" },
		/* 1 May 2026 is a Friday */
		{ { 2026, 4, 30 }, { 2026, 5, 1 }, 0, "to 1 May" },
		{ { 2026, 4, 30 }, { 2026, 5, 4 }, 1, "across 1 May" },
		/* 8 May 2026 is a Friday */
		{ { 2026, 5, 7 }, { 2026, 5, 11 }, 1, "across 8 May" },
		/* Ascension, Thursday 14 May 2026 */
		{ { 2026, 5, 13 }, { 2026, 5, 15 }, 1, "across Ascension" },
		{ { 2026, 5, 22 }, { 2026, 5, 26 }, 1, "across Whit Monday" },
		/* May 2026: 21 weekdays, four of them holidays */
		{ { 2026, 4, 30 }, { 2026, 5, 31 }, 17, "the month of May" },
		{ { 2026, 4, 3 }, { 2026, 4, 7 }, 1, "across Easter Monday" },
		/* 15 August and 1 November 2026 fall on a weekend */
		{ { 2026, 8, 14 }, { 2026, 8, 17 }, 1, "15 August, Saturday" },
		{ { 2026, 10, 30 }, { 2026, 11, 2 }, 1, "1 November, Sunday" },
		{ { 2026, 11, 10 }, { 2026, 11, 12 }, 1, "across 11 November" },
		/* Christmas, 28-31 December, 1 January 2027, 4 January */
		{ { 2026, 12, 24 }, { 2027, 1, 4 }, 5, "across the year end" },
		{ { 2026, 12, 31 }, { 2027, 1, 1 }, 0, "to New Year's Day" },
		{ { 2026, 12, 31 }, { 2027, 1, 4 }, 1, "New Year, weekend" },
		/* A whole year: 261 weekdays in 2026, 9 holidays on them */
		{ { 2025, 12, 31 }, { 2026, 12, 31 }, 252, "the year 2026" },
		/* negative spans */
		{ { 2026, 11, 30 }, { 2026, 11, 27 }, -1, "Monday back to Friday" },
		{ { 2027, 1, 4 }, { 2026, 12, 24 }, -5, "back across the year" },
		{ { 2026, 11, 29 }, { 2026, 11, 28 }, 0, "Sunday back to Saturday" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct span *c = &cases[i];
		int64_t got = workdays_between(day(c->from[0], c->from[1],
		    c->from[2]), day(c->to[0], c->to[1], c->to[2]));

		if (got != c->want)
			fail_msg("%s: got %lld, want %lld", c->why,
			    (long long)got, (long long)c->want);
	}
}

/* The arithmetic count agrees with a walk, day by day, over three years
 * of starts and spans up to eight weeks. */
static void
test_between_matches_walk(void **state)
{
	int32_t from, to, d, first = day(2025, 12, 1), last = day(2028, 1, 31);
	int64_t walk;

	(void)state;
	for (from = first; from <= last; from++) {
		walk = 0;
		for (to = from; to <= from + 56; to++) {
			if (to > from && workdays_is_working(to))
				walk++;
			if (workdays_between(from, to) != walk)
				fail_msg("span %d..%d: %lld, walked %lld",
				    from, to, (long long)
				    workdays_between(from, to),
				    (long long)walk);
			assert_int_equal(workdays_between(to, from), -walk);
		}
	}
	/* Whole years, with their holidays, against the walk too. */
	walk = 0;
	for (d = day(1999, 1, 1); d <= day(2031, 1, 1); d++)
		walk += workdays_is_working(d);
	assert_int_equal(workdays_between(day(1998, 12, 31),
	    day(2031, 1, 1)), walk);
}

static void
test_extremes(void **state)
{
	int64_t n;

	(void)state;
	/* No overflow at the ends of int32_t: weekdays only out there. */
	n = workdays_between(INT32_MIN, INT32_MAX);
	assert_true(n > 0);
	assert_true(n <= ((int64_t)INT32_MAX - INT32_MIN) / 7 * 5 + 5);
	assert_int_equal(workdays_between(INT32_MAX, INT32_MIN), -n);
	assert_int_equal(workdays_add(INT32_MAX - 1, 5), INT32_MAX);
	assert_int_equal(workdays_add(INT32_MIN + 1, -5), INT32_MIN);
}

static void
test_add(void **state)
{
	static const struct {
		int	from[3];
		int	n;
		int	want[3];
	} cases[] = {
		{ { 2026, 11, 27 }, 1, { 2026, 11, 30 } },	/* Fri -> Mon */
		{ { 2026, 11, 28 }, 1, { 2026, 11, 30 } },	/* Sat -> Mon */
		{ { 2026, 4, 30 }, 1, { 2026, 5, 4 } },		/* 1 May */
		{ { 2026, 5, 7 }, 1, { 2026, 5, 11 } },		/* 8 May */
		{ { 2026, 5, 13 }, 1, { 2026, 5, 15 } },	/* Ascension */
		{ { 2026, 12, 18 }, 10, { 2027, 1, 5 } },	/* year end */
		{ { 2026, 11, 29 }, 0, { 2026, 11, 29 } },	/* a Sunday */
		{ { 2026, 5, 4 }, -1, { 2026, 4, 30 } },
		{ { 2027, 1, 4 }, -5, { 2026, 12, 24 } },
	};
	char got[11], want[11];
	int32_t from, r;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		from = day(cases[i].from[0], cases[i].from[1],
		    cases[i].from[2]);
		r = workdays_add(from, cases[i].n);
		if (r != day(cases[i].want[0], cases[i].want[1],
		    cases[i].want[2]))
			fail_msg("case %zu: got %s, want %s", i, iso(r, got),
			    iso(day(cases[i].want[0], cases[i].want[1],
			    cases[i].want[2]), want));
	}
	/* between undoes add, from any day of a year, for any SLA. */
	for (from = day(2026, 1, 1); from <= day(2026, 12, 31); from++)
		for (n = 0; n <= 30; n++) {
			r = workdays_add(from, n);
			assert_int_equal(workdays_between(from, r), n);
			if (n > 0)
				assert_true(workdays_is_working(r));
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_easter_known),
		cmocka_unit_test(test_easter_every_year),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_holidays_2026),
		cmocka_unit_test(test_ascension_on_may_holiday),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_between_matches_walk),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
