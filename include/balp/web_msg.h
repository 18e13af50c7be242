/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_msg - the console's French for what the code it shares with
 * balpctl refuses.  The checks stay where they are (annex_file,
 * message_act, password, the store): they give a code and its
 * parameters, balpctl says it in English, the console here in French,
 * with what to do.  A failure of the store (not a refusal) is said as
 * one sentence, the technical detail going to the log: never a NIR nor
 * a name in either (the store's messages hold none; a refusal's, which
 * may name a person, is not logged).
 *
 * Ownership: appends to the caller's buf or to ctx->res->body.
 */
#ifndef BALP_WEB_MSG_H
#define BALP_WEB_MSG_H

#include "balp/annex_file.h"
#include "balp/message_act.h"
#include "balp/password.h"
#include "balp/web_app.h"

/* What the console says when the store fails. */
#define WEB_MSG_STORE_DOWN	"Le registre est momentanément indisponible " \
				"; réessayez dans un instant. Si cela dure, " \
				"prévenez l'administrateur de la passerelle."

/* What a user is doing, for the sentences that depend on it. */
enum web_msg_act {
	WEB_MSG_PARTNER_SUSPEND,
	WEB_MSG_PARTNER_RESUME,
	WEB_MSG_PARTNER_END,
	WEB_MSG_PERSON_SUSPEND,
	WEB_MSG_PERSON_RESUME,
	WEB_MSG_PERSON_END,
	WEB_MSG_STAGED_APPROVE,
	WEB_MSG_STAGED_REJECT,
};

/* One error of an annex file, "ligne N : ...", plain text (not HTML). */
void	 web_msg_annex_error(struct buf *out, const struct annex_file_error *);
/* Why message_act refused (a->refusal), plain text. */
void	 web_msg_message_act(struct buf *out, const struct message_act *a,
	    const char *to);
/* The password rule broken, plain text. */
const char *web_msg_password(enum password_rule);
/*
 * The sentence for what the store answered rc (not STORE_OK) to act:
 * a refusal said in French, a failure as WEB_MSG_STORE_DOWN with its
 * detail logged under what.  Returns a static string.
 */
const char *web_msg_store(struct web_ctx *, int rc, enum web_msg_act act);
/*
 * A failure of the store while doing what (a few English words for the
 * log): logs store_errmsg, returns WEB_MSG_STORE_DOWN.
 */
const char *web_msg_store_down(struct web_ctx *, const char *what);

#endif
