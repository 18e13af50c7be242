/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_dashboard - the console's "Tableau de bord" (GET /): each
 * queue with its count, its oldest message's age in working days and its
 * SLA state (a colour and the same in words), the notices waiting or
 * failed, the audit chain's state and the last decision balpd recorded.
 *
 * The figures are those of `balpctl queue status` (sla.h's sla_summary:
 * sla_report's counts from an index, without the overdue ids),
 * the outbox's counts (store_outbox_count) and `balpctl audit verify`
 * (store_audit_verify, run off the requests by web_audit_watch.h: it
 * walks the whole chain; the page says when it last did).  Nothing here
 * names a sender, a partner or a beneficiary.
 */
#ifndef BALP_WEB_PAGE_DASHBOARD_H
#define BALP_WEB_PAGE_DASHBOARD_H

#include "balp/web_app.h"

void	 web_page_dashboard(struct web_ctx *);

#endif
