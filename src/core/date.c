/* SPDX-License-Identifier: Apache-2.0 */
/*
 * date - civil dates as day numbers (see date.h).
 *
 * Conversions use Howard Hinnant's days_from_civil algorithm: exact for the
 * proleptic Gregorian calendar, no table, no time zone, no libc.
 */
#include "balp/date.h"


static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

int
date_from_ymd(int y, int m, int d, int32_t *out)
{
	if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 ||
	    d > month_days(y, m))
		return -1;
	*out = days_from_civil(y, m, d);
	return 0;
}

void
date_to_ymd(int32_t day, int *y, int *m, int *d)
{
	int z = day + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at s; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
date_parse_iso(const char *s, int32_t *out)
{
	int y, m, d;

	if ((y = digits(s, 4)) < 0 || s[4] != '-' ||
	    (m = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0 || s[10] != '\0')
		return -1;
	return date_from_ymd(y, m, d, out);
}

int
date_parse_fr(const char *s, int32_t *out)
{
	int d, m, y, n;

	/* s[0] is checked first so that s[1] is never read past the end. */
	n = (s[0] != '\0' && s[1] == '/') ? 1 : 2;
	if ((d = digits(s, n)) < 0 || s[n] != '/')
		return -1;
	s += n + 1;
	n = (s[0] != '\0' && s[1] == '/') ? 1 : 2;
	if ((m = digits(s, n)) < 0 || s[n] != '/')
		return -1;
	s += n + 1;
	if ((y = digits(s, 4)) < 0 || s[4] != '\0')
		return -1;
	return date_from_ymd(y, m, d, out);
}

int
date_parse_any(const char *s, int32_t *out)
{
	char tmp[16];
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s != '\0' && n < sizeof(tmp) - 1)
		tmp[n++] = *s++;
	if (*s != '\0')
		return -1;
	while (n > 0 && (tmp[n - 1] == ' ' || tmp[n - 1] == '\t' ||
	    tmp[n - 1] == '\r'))
		n--;
	tmp[n] = '\0';
	if (date_parse_iso(tmp, out) == 0)
		return 0;
	return date_parse_fr(tmp, out);
}

/* Writes v as exactly n digits (v is in range by construction). */
static void
put_digits(char *out, unsigned v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
date_format_iso(int32_t day, char out[11])
{
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)m, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)d, 2);
	out[10] = '\0';
}

void
date_format_fr(int32_t day, char out[11])
{
	int y, m, d;

	date_to_ymd(day, &y, &m, &d);
	put_digits(out, (unsigned)d, 2);
	out[2] = '/';
	put_digits(out + 3, (unsigned)m, 2);
	out[5] = '/';
	put_digits(out + 6, (unsigned)y, 4);
	out[10] = '\0';
}

int32_t
date_add_months(int32_t day, int n)
{
	int y, m, d, total;

	date_to_ymd(day, &y, &m, &d);
	total = y * 12 + (m - 1) + n;
	y = total / 12;
	m = total % 12 + 1;
	if (d > month_days(y, m))
		d = month_days(y, m);
	return days_from_civil(y, m, d);
}
