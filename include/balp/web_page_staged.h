/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_staged - the annexes a partner's referent mailed, staged by
 * balpd until an admin approves or rejects them (docs/annex-mail.md), in
 * the console (admin and dpo, as the annex import):
 *
 *   GET  /annexes              every pending one (the dashboard's link)
 *   GET  /annexes/ID           one: who sent it, when, its mail's
 *                              decision, its file, and the changes
 *                              `balpctl annex show` prints, in French
 *                              (web_plan.h; against the annex in force
 *                              today while pending, as staged once
 *                              decided or no longer applying, with why);
 *                              the approve and reject forms
 *   POST /annexes/ID/approve   force=1 (an end of more than half)
 *   POST /annexes/ID/reject    reason (required: the referent is told)
 *
 * The partner's page lists its pending ones (web_page_staged_section).
 * Approve and reject are annex_act.h's, what balpctl annex approve |
 * reject call: the same re-validation, transaction, audit rows and
 * notice to the referent, actor web:LOGIN.  Done: 303 to /annexes/ID.
 * Refused: 400 with why (the annex changed since, not pending, no
 * reason), the way back.  Every value (names, addresses, the diff, the
 * reason) is escaped (web_html.h).
 */
#ifndef BALP_WEB_PAGE_STAGED_H
#define BALP_WEB_PAGE_STAGED_H

#include "balp/web_app.h"

void	 web_page_staged_list(struct web_ctx *);
void	 web_page_staged(struct web_ctx *);
void	 web_page_staged_approve(struct web_ctx *);
void	 web_page_staged_reject(struct web_ctx *);
/* The pending staged annexes of partner_id, a section of its page. */
void	 web_page_staged_section(struct web_ctx *, const char *partner_id);

#endif
