/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_audit - the audit trail in the console (dpo), as `balpctl
 * audit verify | anchor` and `balpctl purge` do it:
 *
 *   GET  /audit          the chain checked whole (store_audit_check): its
 *                        rows, the head's hash (the anchor to keep
 *                        outside the machine), the first break if any
 *   POST /audit/verify   field anchor (64 hex digits): the chain checked
 *                        against an anchor kept earlier
 *   POST /audit/purge    retention (store_purge): with dry_run=1 what
 *                        would go; else, with confirm=1, destroyed, and
 *                        the attestation of destruction (monenfant art. 2:
 *                        when, by whom, the rule, the counts, the proof's
 *                        audit row)
 *
 * A broken chain is also a security line in the log (log_security), as
 * balpctl says it.
 */
#ifndef BALP_WEB_PAGE_AUDIT_H
#define BALP_WEB_PAGE_AUDIT_H

#include "balp/web_app.h"

void	 web_page_audit(struct web_ctx *);
void	 web_page_audit_verify(struct web_ctx *);
void	 web_page_audit_purge(struct web_ctx *);

#endif
