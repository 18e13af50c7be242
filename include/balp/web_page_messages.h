/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_messages - the console's "Messages" (every role):
 *
 *   GET  /messages          the search form (dates, partner, sender,
 *                           outcome, reason, type); for the dpo, the NIR
 *                           search form too
 *   POST /messages          the search: the most recent WEB_MESSAGES_MAX
 *                           decisions that match, each a link
 *                           href="/messages/ID"
 *   POST /messages/search   (dpo) the same with the field nir: hashed
 *                           with the pseudonym key (read, used, wiped),
 *                           never echoed back, logged or stored
 *   GET  /messages/ID       a decision: its facts, reasons and findings,
 *                           where its message is now, its releases and
 *                           notices, its audit rows (read-only)
 *
 * The searches are POSTs so that no sender address nor NIR is ever in a
 * URL.  Each search is one audit row trace.query as `balpctl log` writes
 * it (its filters, the NIR as its pseudonym, the rows found), actor
 * "web:LOGIN", before the results are shown.
 */
#ifndef BALP_WEB_PAGE_MESSAGES_H
#define BALP_WEB_PAGE_MESSAGES_H

#include "balp/web_app.h"

#define WEB_MESSAGES_MAX	200

void	 web_page_messages(struct web_ctx *);
void	 web_page_messages_search(struct web_ctx *);
void	 web_page_messages_nir(struct web_ctx *);
void	 web_page_message(struct web_ctx *);

#endif
