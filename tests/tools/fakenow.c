/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fakenow.so - time(2) as if today were another day, for the tests that
 * need a real command to run on a day other than today (a purge seven
 * months after the traces it destroys: `balpctl purge` refuses a --now
 * after today, so the day must be the process's own).
 *
 *	LD_PRELOAD=build/tests/fakenow.so BALP_TEST_TODAY=2027-07-07 CMD
 *
 * Whole days are added to the real clock, so that time still runs and
 * the time of day is the real one.  Only time() is replaced: it is what
 * balpd and balpctl read "now" from.  Never built into the programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

time_t	time(time_t *);

time_t
time(time_t *out)
{
	static time_t shift;
	static int known;
	struct timespec ts;
	struct tm tm = { 0 };
	const char *day;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!known) {
		known = 1;
		day = getenv("BALP_TEST_TODAY");
		if (day != NULL && sscanf(day, "%d-%d-%d", &tm.tm_year,
		    &tm.tm_mon, &tm.tm_mday) == 3) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			shift = timegm(&tm) / 86400 * 86400 -
			    ts.tv_sec / 86400 * 86400;
		}
	}
	t = ts.tv_sec + shift;
	if (out != NULL)
		*out = t;
	return t;
}
