/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workdays - working days of metropolitan France (see workdays.h).
 *
 * Counting is arithmetic, not a walk: the weekdays of a span come from
 * whole weeks, then the holidays of each year it touches that fall on a
 * weekday are taken off.  A queue status over thousands of messages each
 * months old stays a few operations per message.
 */
#include "balp/workdays.h"
#include "balp/date.h"

#define YEAR_MIN	1900
#define YEAR_MAX	2199

/* Holidays at a fixed date: { month, day }. */
static const int fixed[][2] = {
	{ 1, 1 }, { 5, 1 }, { 5, 8 }, { 7, 14 }, { 8, 15 }, { 11, 1 },
	{ 11, 11 }, { 12, 25 },
};

/* Holidays counted from Easter Sunday: Monday, Ascension, Whit Monday. */
static const int from_easter[] = { 1, 39, 50 };

#define N_FIXED		(sizeof(fixed) / sizeof(fixed[0]))
#define N_EASTER	(sizeof(from_easter) / sizeof(from_easter[0]))

/* Floor division and modulo: days before 1970 are negative. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

int32_t
workdays_easter(int year)
{
	int a, b, c, d, e, f, g, h, i, k, l, m, month, day;
	int32_t out;

	if (year < YEAR_MIN || year > YEAR_MAX)
		return DATE_NONE;
	a = year % 19;
	b = year / 100;
	c = year % 100;
	d = b / 4;
	e = b % 4;
	f = (b + 8) / 25;
	g = (b - f + 1) / 3;
	h = (19 * a + b - d - g + 15) % 30;
	i = c / 4;
	k = c % 4;
	l = (32 + 2 * e + 2 * i - h - k) % 7;
	m = (a + 11 * h + 22 * l) / 451;
	month = (h + l - 7 * m + 114) / 31;
	day = (h + l - 7 * m + 114) % 31 + 1;
	if (date_from_ymd(year, month, day, &out) == -1)
		return DATE_NONE;
	return out;
}

size_t
workdays_holidays(int year, int32_t out[WORKDAYS_MAX_HOLIDAYS])
{
	int32_t easter, v, t;
	size_t n = 0, i, j;

	if ((easter = workdays_easter(year)) == DATE_NONE)
		return 0;
	for (i = 0; i < N_FIXED; i++)
		if (date_from_ymd(year, fixed[i][0], fixed[i][1], &v) == 0)
			out[n++] = v;
	for (i = 0; i < N_EASTER; i++) {
		v = easter + from_easter[i];
		/* Ascension on 1 or 8 May (2008, 1997) is one day off, not two. */
		for (j = 0; j < n && out[j] != v; j++)
			;
		if (j == n)
			out[n++] = v;
	}
	/* Eleven values at most: an insertion sort is plenty. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

int
workdays_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday. */
	return (int)floor_mod((int64_t)day + 3, 7);
}

/* The year of day, or YEAR_MIN - 1 / YEAR_MAX + 1 outside date.h's range
 * (date_to_ymd would overflow near INT32_MAX). */
static int
year_of(int32_t day)
{
	int32_t first, last;
	int y, m, d;

	if (date_from_ymd(YEAR_MIN, 1, 1, &first) == -1 ||
	    date_from_ymd(YEAR_MAX, 12, 31, &last) == -1)
		return YEAR_MIN - 1;
	if (day < first)
		return YEAR_MIN - 1;
	if (day > last)
		return YEAR_MAX + 1;
	date_to_ymd(day, &y, &m, &d);
	return y;
}

int
workdays_is_holiday(int32_t day)
{
	int32_t h[WORKDAYS_MAX_HOLIDAYS];
	size_t n, i;

	n = workdays_holidays(year_of(day), h);
	for (i = 0; i < n; i++)
		if (h[i] == day)
			return 1;
	return 0;
}

int
workdays_is_working(int32_t day)
{
	return workdays_weekday(day) < 5 && !workdays_is_holiday(day);
}

/*
 * Monday to Friday days up to and including day, counted from the Monday
 * 1969-12-29 (day -3): only differences of it mean anything.
 */
static int64_t
weekdays_upto(int32_t day)
{
	int64_t t = (int64_t)day + 3 + 1;
	int64_t rest = floor_mod(t, 7);

	return floor_div(t, 7) * 5 + (rest < 5 ? rest : 5);
}

int64_t
workdays_between(int32_t from, int32_t to)
{
	int32_t h[WORKDAYS_MAX_HOLIDAYS];
	int64_t count;
	size_t n, i;
	int y, y_end;

	if (to < from)
		return -workdays_between(to, from);
	count = weekdays_upto(to) - weekdays_upto(from);
	y = year_of(from);
	y_end = year_of(to);
	if (y < YEAR_MIN)
		y = YEAR_MIN;
	if (y_end > YEAR_MAX)
		y_end = YEAR_MAX;
	for (; y <= y_end; y++) {
		n = workdays_holidays(y, h);
		for (i = 0; i < n; i++)
			if (h[i] > from && h[i] <= to &&
			    workdays_weekday(h[i]) < 5)
				count--;
	}
	return count;
}

int32_t
workdays_add(int32_t from, int n)
{
	int32_t day = from;
	int step = n > 0 ? 1 : -1;

	while (n != 0) {
		/* Past the ends of int32_t there is no day to give. */
		if ((step > 0 && day == INT32_MAX) ||
		    (step < 0 && day == INT32_MIN))
			break;
		day += step;
		if (workdays_is_working(day))
			n -= step;
	}
	return day;
}
