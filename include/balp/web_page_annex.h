/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_annex - a partner's annex in the console (admin):
 *
 *   POST /partners/ID/annex           the file (multipart field "annex"),
 *                                     checked as `balpctl annex import`
 *                                     checks it: every error listed with
 *                                     its line (400), or a preview of what
 *                                     would change (added, changed, ended,
 *                                     unchanged, new periods, the quota)
 *                                     and a confirm form with its token
 *   POST /partners/ID/annex/confirm   field "token" (and "force" when the
 *                                     preview said it is needed): the
 *                                     same file imported, in one
 *                                     transaction, with the audit rows
 *                                     balpctl writes (actor web:LOGIN)
 *   GET  /partners/ID/annex           the annex exported as CSV
 *                                     (annex_export, as balpctl's)
 *
 * Between preview and confirm the file waits in memory (never on disk),
 * under a token of 256 random bits bound to the account and the partner,
 * for WEB_ANNEX_TTL seconds, used once; at most WEB_ANNEX_STASH files
 * wait (the oldest goes).  At confirm the file is checked and compared
 * again with the annex as it is then.
 *
 * Ownership: the stash is the app's (web_app.h), freed with
 * web_page_annex_stash_free.
 */
#ifndef BALP_WEB_PAGE_ANNEX_H
#define BALP_WEB_PAGE_ANNEX_H

#include "balp/web_app.h"

#define WEB_ANNEX_TTL		(15 * 60)
#define WEB_ANNEX_STASH		16

void	 web_page_annex_upload(struct web_ctx *);
void	 web_page_annex_confirm(struct web_ctx *);
void	 web_page_annex_export(struct web_ctx *);
/* Wipes and frees the files waiting for their confirm. */
void	 web_page_annex_stash_free(struct web_app *);

#endif
