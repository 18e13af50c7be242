/* SPDX-License-Identifier: Apache-2.0 */
/*
 * workdays - working days of metropolitan France, pure: the clock of the
 * queues' SLA (contract 3.3: escalation when a partner has had no answer
 * within 10 working days).
 *
 * A working day is a Monday to Friday that is not a public holiday.  The
 * holidays are the eleven of the Code du travail (art. L3133-1) observed
 * in all of metropolitan France: 1 January, Easter Monday, 1 May, 8 May,
 * Ascension Thursday, Whit Monday, 14 July, 15 August, 1 November,
 * 11 November, 25 December.  Alsace-Moselle's two extra days (Good Friday,
 * 26 December) are not in it: the Caf de l'Hérault does not observe them.
 * Whit Monday is counted as a holiday even where it is the "journée de
 * solidarité": the partners' offices are closed then.
 *
 * Days are date.h day numbers.  Holidays are known for the years date.h
 * knows (1900..2199); outside them only weekends count.  No I/O, no
 * state: every answer is computed from its arguments.
 */
#ifndef BALP_WORKDAYS_H
#define BALP_WORKDAYS_H

#include <stddef.h>
#include <stdint.h>

/* At most this many distinct holidays in a year (Ascension may fall on
 * 1 or 8 May, which makes ten). */
#define WORKDAYS_MAX_HOLIDAYS	11

/*
 * Easter Sunday of year (1900..2199), by the anonymous Gregorian
 * algorithm (Meeus, Jones, Butcher); DATE_NONE outside those years.
 */
int32_t	 workdays_easter(int year);

/*
 * The public holidays of year into out, ascending, each day once; returns
 * how many (10 or 11; 0 outside 1900..2199).
 */
size_t	 workdays_holidays(int year, int32_t out[WORKDAYS_MAX_HOLIDAYS]);

/* 0 Monday .. 6 Sunday. */
int	 workdays_weekday(int32_t day);
/* 1 if day is a public holiday (whatever the day of the week), else 0. */
int	 workdays_is_holiday(int32_t day);
/* 1 if day is neither a Saturday, a Sunday nor a public holiday. */
int	 workdays_is_working(int32_t day);

/*
 * The working days after from, up to and including to: a message received
 * on a Friday is 1 working day old on the Monday, 0 on the Saturday and
 * on the day it came.  0 when to == from; when to is before from, minus
 * the count from to to from (so between(a, b) == -between(b, a)).
 */
int64_t	 workdays_between(int32_t from, int32_t to);

/*
 * The n-th working day after from (n > 0), the n-th before it (n < 0), or
 * from itself (n == 0).  For n >= 0, workdays_between(from, result) == n.
 * n is a count of days to wait (an SLA): the walk is day by day.
 */
int32_t	 workdays_add(int32_t from, int n);

#endif
