/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review_report - the yearly reverse review (review.h's flags over
 * store_review.h's facts) as `balpctl review` and the console's /review
 * give it: each person's and partner's flags, and the CSV export, one
 * format for both (';' separated, CRLF, a header row, one row per person,
 * a partner without persons on a row of its own).
 *
 * Ownership: appends to the caller's buf (its `failed` flag on ENOMEM).
 */
#ifndef BALP_REVIEW_REPORT_H
#define BALP_REVIEW_REPORT_H

#include <stdint.h>

#include "balp/buf.h"
#include "balp/review.h"
#include "balp/store_review.h"

unsigned review_report_person_flags(const struct store_review_person *,
	    const struct review_params *);
unsigned review_report_partner_flags(const struct store_review_partner *,
	    const struct review_params *);
/* The whole review as CSV into out. */
void	 review_report_csv(const struct store_review *,
	    const struct review_params *, int32_t year_start,
	    struct buf *out);

#endif
