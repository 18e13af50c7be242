/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_review - the yearly reverse review in the console (dpo), as
 * `balpctl review` computes it (store_review.h, review_report.h), on the
 * day of the request, inactivity after REVIEW_IDLE_MONTHS:
 *
 *   GET /review        per partner, its state and every person with the
 *                      dates, the last message, the year's counts and
 *                      what to check (in words)
 *   GET /review.csv    the same as `balpctl review --format csv`
 */
#ifndef BALP_WEB_PAGE_REVIEW_H
#define BALP_WEB_PAGE_REVIEW_H

#include "balp/web_app.h"

void	 web_page_review(struct web_ctx *);
void	 web_page_review_csv(struct web_ctx *);

#endif
