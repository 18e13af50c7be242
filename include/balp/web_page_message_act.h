/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_message_act - an admin's release and retriage of a decided
 * message from its page, each with its mandatory reason, through
 * message_act.h (what balpctl message release | retriage call: the same
 * record, move and audit row, actor web:LOGIN):
 *
 *   POST /messages/ID/release    to (one of the rules' queues), reason,
 *                                notify=1 (to the rejects only: the
 *                                rejection notice of its reasons)
 *   POST /messages/ID/retriage   reason: back to the inbox, decided
 *                                afresh by balpd's next pass
 *
 * Done: 303 to /messages/ID.  Refused: 400 with why, and the way back.
 */
#ifndef BALP_WEB_PAGE_MESSAGE_ACT_H
#define BALP_WEB_PAGE_MESSAGE_ACT_H

#include "balp/web_app.h"

void	 web_page_message_release(struct web_ctx *);
void	 web_page_message_retriage(struct web_ctx *);
/* The two forms, on a decision's page (admin). */
void	 web_page_message_act_forms(struct web_ctx *, int64_t id,
	    const char *queue_now);

#endif
