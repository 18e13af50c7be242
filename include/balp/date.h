/* SPDX-License-Identifier: Apache-2.0 */
/*
 * date - civil dates as day numbers, pure.
 *
 * A day is an int32_t counting days since 1970-01-01 (proleptic Gregorian),
 * so comparing and subtracting dates is integer arithmetic.  DATE_NONE marks
 * an absent date (an open-ended habilitation or convention).
 */
#ifndef BALP_DATE_H
#define BALP_DATE_H

#include <stddef.h>
#include <stdint.h>

#define DATE_NONE	INT32_MIN

/* 0 and *out set if y-m-d is a real date (years 1900..2199), else -1. */
int	 date_from_ymd(int y, int m, int d, int32_t *out);
void	 date_to_ymd(int32_t day, int *y, int *m, int *d);

/* "YYYY-MM-DD" exactly; 0 or -1. */
int	 date_parse_iso(const char *s, int32_t *out);
/* "DD/MM/YYYY" (also D/M/YYYY); 0 or -1. */
int	 date_parse_fr(const char *s, int32_t *out);
/* Either form, surrounding spaces allowed; 0 or -1. */
int	 date_parse_any(const char *s, int32_t *out);

/* Writes "YYYY-MM-DD" into out (11 bytes). */
void	 date_format_iso(int32_t day, char out[11]);
/* Writes "DD/MM/YYYY" into out (11 bytes). */
void	 date_format_fr(int32_t day, char out[11]);

/*
 * day shifted by n calendar months, the day of month clamped to the end of
 * the target month (31 March minus one month is 28 or 29 February).
 */
int32_t	 date_add_months(int32_t day, int n);

#endif
