/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify - the request type and the date the partner gives, pure.
 *
 * The type is the one whose keyword appears first in the Subject; if the
 * Subject names none, the first in the first text part; else unknown.
 * Keywords match whole words, case- and accent-insensitively.
 *
 * The "since" date backs the "more than a month" rule: a date introduced by
 * a marker of rules/ ("depuis le 12/09/2026", "à compter du 3 novembre
 * 2026") in the Subject, else in the text, else the first date written in
 * the Subject.  "Introduced" means the date starts right after the marker
 * or after at most three short words ("le", "du", "the").  A date in the
 * text without a marker is ignored: it may be a birth date or the date of
 * a letter.
 * Durations ("depuis 3 semaines") are read after a marker: see
 * classify_since().
 * Forms: DD/MM/YYYY and D/M/YYYY (also with '-' or '.'), DD/MM/YY read as
 * 20YY, YYYY-MM-DD, and D month YYYY in French ("1er mars 2026", "3 nov.
 * 2026", "15 févr. 2026").  Impossible dates (31/02) are skipped, and digits
 * that belong to a longer number (a NIR, "06.12.05.10.20") are no date.
 *
 * On allocation failure the answers are "unknown" (NULL, DATE_NONE).
 */
#ifndef BALP_CLASSIFY_H
#define BALP_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "balp/rules.h"
#include "balp/text.h"

/* The recognised type (into rules), or NULL.  Either text may be NULL. */
const struct request_type *classify_type(const struct rules *,
	    const char *subject, const char *text);

/*
 * The date the partner gives, or DATE_NONE.  Either text may be NULL.
 * After a marker the year may be left out ("depuis le 9 novembre",
 * "depuis le 16/11": the latest such day not after today) and so may the
 * day ("depuis novembre 2026": the first of the month).
 *
 * After a marker a duration is a date too, counted back from today so
 * that the caller compares it as any other: "depuis 3 semaines" (today
 * minus 21 days), "depuis deux mois" (date_add_months(today, -2), the
 * day clamped to the month's end), "depuis 1 an", "depuis hier" (today
 * minus one), "depuis une semaine".  Counts are digits or French words
 * (un/une to seize, vingt to soixante, "dix-sept", "vingt et un");
 * units jour(s), semaine(s) or "sem.", mois, an(s), année(s).  A bound
 * is read as far as the partner's words go: "moins d'un mois", "moins de
 * 2 mois", "peu", "aujourd'hui" give today (the start may be as late as
 * that: too recent for any "more than" rule); "quelques" / "plusieurs" /
 * "des" count two ("quelques jours": two days, "des mois": two months);
 * "plus d'un mois" gives today minus one month minus one day ("plus de N
 * units": N units and a day); "au moins 2 mois" is two months.  A few
 * words saying nothing of the date may follow the marker ("depuis déjà",
 * "maintenant", "environ").  "depuis longtemps" gives nothing: the
 * partner's word is taken.  Without a marker no duration is read.
 */
int32_t	 classify_since(const struct rules *, const char *subject,
	    const char *text, int32_t today);

/*
 * The same two on texts folded on demand (text.h), for decide() to fold
 * the Subject and the text once for every step.  Same answers, also on
 * allocation failure.
 */
const struct request_type *classify_type_lazy(const struct rules *,
	    struct text_lazy *subject, struct text_lazy *text);
int32_t	 classify_since_lazy(const struct rules *, struct text_lazy *subject,
	    struct text_lazy *text, int32_t today);

/*
 * The first date written in text[0..len) at or after its start, as a day
 * number, or DATE_NONE; *at and *end (each may be NULL) receive its byte
 * span in text when found.  Reads nothing at or past text[len]; month names
 * are matched without accents, so pass folded text (text_fold).
 */
int32_t	 classify_find_date(const char *text, size_t len, size_t *at,
	    size_t *end);

#endif
