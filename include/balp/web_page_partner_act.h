/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_partner_act - what an admin does to a partner or to one of its
 * persons from the console, each through the store function balpctl's
 * command calls (same transaction, same audit row, actor web:LOGIN), on
 * the day of the request:
 *
 *   POST /partners/ID/suspend          reason (required): from today
 *   POST /partners/ID/resume           the partner may send again today
 *   POST /partners/ID/end              date (default today): the
 *                                      convention's last day
 *   POST /partners/ID/persons/suspend  email, reason (required)
 *   POST /partners/ID/persons/resume   email
 *   POST /partners/ID/persons/end      email, date (default today): only
 *                                      shortens the period in force
 *
 * Done: 303 back to /partners/ID (the page shows the new state).
 * Refused: 400 with the store's reason (a rule broken) and a link back;
 * 404 for no such partner or person.  A change takes effect on balpd's
 * next message, as with balpctl.
 */
#ifndef BALP_WEB_PAGE_PARTNER_ACT_H
#define BALP_WEB_PAGE_PARTNER_ACT_H

#include "balp/web_app.h"

void	 web_page_partner_suspend(struct web_ctx *);
void	 web_page_partner_resume(struct web_ctx *);
void	 web_page_partner_end(struct web_ctx *);
void	 web_page_person_suspend(struct web_ctx *);
void	 web_page_person_resume(struct web_ctx *);
void	 web_page_person_end(struct web_ctx *);

#endif
