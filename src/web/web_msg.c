/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_msg - the console's French for the shared code's refusals (see
 * include/balp/web_msg.h).  Sentences only: which rule was broken is
 * decided by the code that checks it, never again here.
 */
#include "balp/web_msg.h"

#include <inttypes.h>

#include "balp/log.h"
#include "balp/store.h"

/* A limit's number in a sentence, from its one definition. */
#define NUM_(x)	#x
#define NUM(x)	NUM_(x)

void
web_msg_annex_error(struct buf *out, const struct annex_file_error *e)
{
	/* Its detail is the structure's (sizes, parts), no cell. */
	if (e->code == ANNEX_FILE_E_SHEET)
		log_warn("annex upload refused: %s",
		    e->value != NULL ? e->value : "");
	annex_file_error_text_fr(e, out);
}

void
web_msg_message_act(struct buf *out, const struct message_act *a,
    const char *to)
{
	switch (a->refusal) {
	case MESSAGE_ACT_NO_DECISION:
		buf_puts(out, "Cette décision n'existe pas.");
		break;
	case MESSAGE_ACT_ANNEX_PENDING:
		buf_printf(out, "Son annexe attend l'approbation (annexe n° %"
		    PRId64 ") : approuvez-la ou rejetez-la d'abord, depuis la "
		    "page de la décision.", a->staged);
		break;
	case MESSAGE_ACT_NOT_IN_QUEUE:
		buf_puts(out, "Le message n'est plus dans sa file (déplacé ou "
		    "supprimé depuis un client de messagerie ?) : rien n'est "
		    "fait. Cherchez-le dans la boîte aux lettres.");
		break;
	case MESSAGE_ACT_RETRIAGE_GONE:
		buf_puts(out, "Un nouveau tri est déjà en attente et le "
		    "message n'est plus dans sa file : il est sans doute déjà "
		    "dans la boîte de réception. Attendez le prochain passage "
		    "de balpd.");
		break;
	case MESSAGE_ACT_UNKNOWN_QUEUE:
		buf_puts(out, "Choisissez l'une des files des règles.");
		break;
	case MESSAGE_ACT_ANNEX_QUEUE:
		buf_printf(out, "La file « %s » reçoit les annexes à approuver, "
		    "et un déplacement n'en dépose aucune : triez plutôt le "
		    "message de nouveau ; une annexe que la passerelle refuse "
		    "s'importe depuis la page du partenaire.", to != NULL ?
		    to : "");
		break;
	case MESSAGE_ACT_SUPERSEDED:
		buf_puts(out, "Cette décision a été remplacée par une plus "
		    "récente : agissez sur celle-ci (voir « Où est le "
		    "message »).");
		break;
	case MESSAGE_ACT_IN_INBOX:
		buf_puts(out, "Le message est revenu dans la boîte de "
		    "réception pour un nouveau tri : attendez le prochain "
		    "passage de balpd.");
		break;
	case MESSAGE_ACT_SAME_QUEUE:
		buf_printf(out, "Le message est déjà dans la file « %s » : "
		    "choisissez-en une autre.", to != NULL ? to : "");
		break;
	case MESSAGE_ACT_NO_SENDER:
		buf_puts(out, "Ce message n'a pas d'expéditeur connu : "
		    "déplacez-le sans envoyer d'avis.");
		break;
	case MESSAGE_ACT_STATE:
		buf_puts(out, "La décision a changé entre-temps (remplacée, "
		    "ou son message attend déjà un nouveau tri) : rechargez "
		    "la page de la décision et réessayez si besoin.");
		break;
	case MESSAGE_ACT_FAILED:
	default:
		buf_puts(out, "L'action n'a pas pu être faite (registre ou "
		    "boîte aux lettres momentanément indisponible) : rien "
		    "n'est changé ; réessayez dans un instant. Si cela dure, "
		    "prévenez l'administrateur de la passerelle.");
		break;
	}
}

const char *
web_msg_password(enum password_rule r)
{
	switch (r) {
	case PASSWORD_TOO_LONG:
		return "Le mot de passe est trop long (" NUM(PASSWORD_MAX)
		    " octets au plus) : choisissez-en un plus court.";
	case PASSWORD_NOT_UTF8:
	case PASSWORD_CONTROL:
		return "Le mot de passe contient un caractère de contrôle "
		    "(tabulation, retour chariot…) : tapez-le plutôt que de "
		    "le coller.";
	case PASSWORD_TOO_SHORT:
		return "Le mot de passe doit compter au moins "
		    NUM(PASSWORD_MIN) " caractères.";
	case PASSWORD_IS_LOGIN:
		return "Le mot de passe ne peut pas être l'identifiant.";
	case PASSWORD_OK:
	default:
		return "Le mot de passe ne suit pas les règles.";
	}
}

const char *
web_msg_store_down(struct web_ctx *ctx, const char *what)
{
	log_warn("%s: %s", what, store_errmsg(ctx->app->st));
	return WEB_MSG_STORE_DOWN;
}

/* The refusal of act (the store said STORE_REFUSED or STORE_EXISTS). */
static const char *
refusal(enum web_msg_act act)
{
	switch (act) {
	case WEB_MSG_PARTNER_SUSPEND:
		return "Ce partenaire n'est pas suspendu de nouveau : il l'est "
		    "déjà, ou sa dernière suspension court encore aujourd'hui. "
		    "Rechargez sa page pour voir son état.";
	case WEB_MSG_PARTNER_RESUME:
		return "Ce partenaire ne peut pas être repris : il n'est pas "
		    "suspendu, ou sa suspension commence plus tard. Rechargez "
		    "sa page pour voir son état.";
	case WEB_MSG_PARTNER_END:
		return "Cette fin n'est pas enregistrée : la date précède le "
		    "début de la convention. Choisissez une date après son "
		    "début.";
	case WEB_MSG_PERSON_SUSPEND:
		return "Cette personne n'est pas suspendue de nouveau : elle "
		    "l'est déjà, ou sa dernière suspension court encore "
		    "aujourd'hui. Rechargez la page du partenaire.";
	case WEB_MSG_PERSON_RESUME:
		return "Cette personne ne peut pas être reprise : elle n'est "
		    "pas suspendue, ou sa suspension commence plus tard. "
		    "Rechargez la page du partenaire.";
	case WEB_MSG_PERSON_END:
		return "Cette fin n'est pas enregistrée : une fin ne fait "
		    "que raccourcir l'habilitation en cours, jamais avant son "
		    "début ; une habilitation terminée ne revient que par un "
		    "import d'annexe. Choisissez une date entre le début et "
		    "la fin prévue.";
	case WEB_MSG_STAGED_APPROVE:
		return "Cette annexe n'est pas approuvée, rien n'est changé : "
		    "elle est déjà décidée, ou elle ne s'applique plus telle "
		    "que reçue (l'annexe du partenaire a changé depuis, elle "
		    "dépasse son quota, ou elle met fin à trop de personnes "
		    "sans que vous l'ayez confirmé). Rechargez sa page ; si "
		    "elle ne s'applique plus, rejetez-la et demandez la liste "
		    "de nouveau au référent.";
	case WEB_MSG_STAGED_REJECT:
	default:
		return "Cette annexe n'est pas rejetée : elle est déjà "
		    "décidée. Rechargez sa page.";
	}
}

const char *
web_msg_store(struct web_ctx *ctx, int rc, enum web_msg_act act)
{
	switch (rc) {
	case STORE_NOTFOUND:
		switch (act) {
		case WEB_MSG_PERSON_SUSPEND:
		case WEB_MSG_PERSON_RESUME:
		case WEB_MSG_PERSON_END:
			return "Cette personne n'est pas dans l'annexe de ce "
			    "partenaire : rechargez sa page.";
		case WEB_MSG_STAGED_APPROVE:
		case WEB_MSG_STAGED_REJECT:
			return "Cette annexe n'existe pas.";
		default:
			return "Ce partenaire n'existe pas.";
		}
	case STORE_REFUSED:
	case STORE_EXISTS:
		return refusal(act);
	default:
		return web_msg_store_down(ctx, "console action");
	}
}
