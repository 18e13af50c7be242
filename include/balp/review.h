/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review - the flags of the yearly reverse review of habilitations
 * (Contrat Mon Compte Partenaire 2.2.2), pure: the Caf sends each partner's
 * administrator the list of its habilitated persons, and these flags say
 * what the administrator must confirm or correct.
 *
 * Per person:
 *   never_used  habilitated on some day up to the review day, and no
 *               message of theirs fell on a day of their habilitation
 *   idle        used, but the last message is older than N months (a
 *               person never used is not also idle)
 *   past_end    the habilitation ended before the review day: the
 *               partner confirms the departure
 *   suspended   suspended by the Caf
 * Per partner:
 *   over_quota       more persons count for the quota than max_persons
 *                    (the store's rule: not ended, suspended included)
 *   convention_ended the convention's last day is before the review day
 *   suspended        suspended by the Caf
 *
 * The review day is `now`; the review year is the 365 days up to it
 * (review_year_start .. now, both included).  Days are date.h's.  Nothing
 * is allocated here, except by review_flags_join into the caller's buf.
 */
#ifndef BALP_REVIEW_H
#define BALP_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"

#define REVIEW_IDLE_MONTHS	6	/* the default of --idle-months */
#define REVIEW_YEAR_DAYS	365

/* Person flags. */
#define REVIEW_NEVER_USED	0x01u
#define REVIEW_IDLE		0x02u
#define REVIEW_PAST_END		0x04u
#define REVIEW_SUSPENDED	0x08u
/* Partner flags. */
#define REVIEW_OVER_QUOTA	0x10u
#define REVIEW_CONVENTION_ENDED	0x20u
#define REVIEW_PARTNER_SUSPENDED 0x40u

#define REVIEW_PERSON_FLAGS	(REVIEW_NEVER_USED | REVIEW_IDLE | \
	REVIEW_PAST_END | REVIEW_SUSPENDED)
#define REVIEW_PARTNER_FLAGS	(REVIEW_OVER_QUOTA | \
	REVIEW_CONVENTION_ENDED | REVIEW_PARTNER_SUSPENDED)

struct review_params {
	int32_t		 now;		/* the review day */
	int		 idle_months;	/* >= 0 */
};

/* What the store knows of one person, as the flags need it. */
struct review_person_facts {
	int32_t		 first_start;	/* start of the earliest period */
	int32_t		 end;		/* end of the latest; DATE_NONE: open */
	int		 suspended;
	/* A message of theirs fell on a day of one of their periods. */
	int		 used;
	int32_t		 last_message;	/* its day; DATE_NONE if none */
};

struct review_partner_facts {
	int32_t		 convention_end;	/* DATE_NONE: open */
	int		 suspended;
	int		 max_persons;		/* < 0: no quota */
	size_t		 counted;		/* persons the quota counts */
};

/* The first day of the review year ending on now. */
int32_t	 review_year_start(int32_t now);
/* A last message before this day is idle (now minus idle_months). */
int32_t	 review_idle_before(const struct review_params *);

unsigned review_person(const struct review_person_facts *,
	    const struct review_params *);
unsigned review_partner(const struct review_partner_facts *,
	    const struct review_params *);

/*
 * The name of one flag bit ("never_used", ... "suspended" for both
 * suspensions), the key the text, CSV and JSON reports use; NULL for a
 * bit that is no flag.
 */
const char *review_flag_name(unsigned flag);
/*
 * The flags of `flags` in a fixed order: person flags, then partner
 * flags.  review_flag_at(i) for i in 0.. gives the i-th bit, 0 past the
 * last.
 */
unsigned review_flag_at(size_t i);
/*
 * Appends the names of the flags set, separated by sep, each quoted as a
 * JSON string when json is set (for an array's content).  Appends nothing
 * when none is set.  0, or -1 once the buf has failed.
 */
int	 review_flags_join(struct buf *, unsigned flags, const char *sep,
	    int json);

#endif
