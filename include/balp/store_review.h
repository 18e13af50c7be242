/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_review - the yearly reverse review (Contrat 2.2.2): per partner
 * and person, the habilitation dates and what the decisions say of the
 * messages sent, read from the store (the flags are src/core/review.c's).
 *
 * Ownership: a store_review owns its strings (store_review_free).
 * Failure: a status, message in store_errmsg().
 */
#ifndef BALP_STORE_REVIEW_H
#define BALP_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "balp/store.h"
#include "balp/store_partner.h"

/*
 * One person of a partner's annex as the review reads it: the latest
 * habilitation period, and what the decisions say of the messages the
 * person sent (decisions.sender = the email, decisions.partner_id = the
 * partner; no NIR, no beneficiary: only the decisions' metadata).
 */
struct store_review_person {
	char		*last_name;
	char		*first_name;
	char		*email;
	char		*job_title;	/* "" if none */
	int32_t		 start;		/* the latest period */
	int32_t		 end;		/* DATE_NONE = open */
	int32_t		 first_start;	/* the earliest period's start */
	int		 suspended;
	char		*suspend_reason; /* NULL unless suspended */
	/*
	 * Messages up to the review day.  A message whose decision says
	 * auth_failed is not the person's (anyone can write their address
	 * in From): it is counted by outcome, but is no use nor last
	 * message.  A retriaged message counts once, with its current
	 * outcome, on the day of its current decision; its last message
	 * day is that of its arrival.
	 */
	int		 used;		/* one fell on a day of a period */
	int32_t		 last_message;	/* its day; DATE_NONE if none */
	size_t		 n_accepted;	/* over the review year */
	size_t		 n_rejected;
	size_t		 n_quarantined;
};

struct store_review_partner {
	struct store_partner		 partner;
	/* The persons the quota counts on the review day (store_person_add). */
	size_t				 counted;
	struct store_review_person	*v;	/* points into the review's */
	size_t				 n;
};

struct store_review {
	struct store_review_partner	*v;
	size_t				 n;
	struct store_review_person	*persons; /* private: owns every v */
};

/*
 * The review of partner_id (NULL: every partner, ordered by id) on the
 * day `now`, the review year being year_start .. now (both included;
 * year_start <= now).  Each partner lists its persons whose latest period
 * ends on year_start or later or is open (an ended person is listed for a
 * year after the end, so one review asks the partner to confirm the
 * departure), ordered by last name, first name, email;
 * a period that ended before it started (a person the annex removed
 * before the start) is not listed, but counted as store_quota_check does.
 * A decision's day is its local civil day, as the pipeline's `today`.
 * STORE_NOTFOUND when partner_id is not a partner.
 */
int	 store_review(struct store *, const char *partner_id, int32_t now,
	    int32_t year_start, struct store_review *out);
void	 store_review_free(struct store_review *);

#endif
