/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_partners - the console's "Partenaires" (admin):
 *
 *   GET /partners        every partner: its convention's dates and state
 *                        (in force, not started, ended, suspended), the
 *                        quota used against its maximum
 *   GET /partners/ID     one partner: its record, referents, and persons
 *                        with their latest habilitation period (in force,
 *                        ended, future; suspended); the forms of the
 *                        actions (web_page_partner_act.h) and of the
 *                        annex (web_page_annex.h), which do the work
 *
 * The quota used is the store's rule (store_quota.h), the day today's
 * (pipeline_today, as balpd and balpctl count days).  Every name, address
 * and reason is escaped (web_html.h).
 */
#ifndef BALP_WEB_PAGE_PARTNERS_H
#define BALP_WEB_PAGE_PARTNERS_H

#include "balp/web_app.h"

void	 web_page_partners(struct web_ctx *);
void	 web_page_partner(struct web_ctx *);

#endif
