/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reason - stable reason codes and the outcome rule (see reason.h).
 */
#include "balp/reason.h"
#include "balp/buf.h"

#include <string.h>

static const char *const codes[REASON_COUNT] = {
	[REASON_MALFORMED] = "malformed",
	[REASON_AUTH_FAILED] = "auth_failed",
	[REASON_ATTACHMENT_FORBIDDEN] = "attachment_forbidden",
	[REASON_AUTO_REPLY] = "auto_reply",
	[REASON_SENDER_UNKNOWN] = "sender_unknown",
	[REASON_SENDER_NOT_YET_HABILITATED] = "sender_not_yet_habilitated",
	[REASON_SENDER_HABILITATION_ENDED] = "sender_habilitation_ended",
	[REASON_PARTNER_INACTIVE] = "partner_inactive",
	[REASON_TYPE_UNKNOWN] = "type_unknown",
	[REASON_TOO_RECENT] = "too_recent",
	[REASON_NIR_MISSING] = "nir_missing",
	[REASON_NIR_KEY_MISSING] = "nir_key_missing",
	[REASON_NIR_INVALID] = "nir_invalid",
	[REASON_NIR_AMBIGUOUS] = "nir_ambiguous",
	[REASON_NAME_MISSING] = "name_missing",
	[REASON_ATTACHMENT_MISSING] = "attachment_missing",
	[REASON_TOO_LARGE] = "too_large",
	[REASON_ATTACHMENT_ENCRYPTED] = "attachment_encrypted",
	[REASON_ANNEX_SENDER_NOT_REFERENT] = "annex_sender_not_referent",
	[REASON_ANNEX_PARTNER_AMBIGUOUS] = "annex_partner_ambiguous",
	[REASON_ANNEX_FILE_MISSING] = "annex_file_missing",
	[REASON_ANNEX_FILE_SEVERAL] = "annex_file_several",
	[REASON_ANNEX_INVALID] = "annex_invalid",
};

int
reason_notified(enum reason r)
{
	/* Quarantined reasons reach a partner too, through `message release
	 * --notify`; only an automatic reply is never answered (RFC 3834). */
	return (unsigned)r < REASON_COUNT && r != REASON_AUTO_REPLY;
}

const char *
reason_code(enum reason r)
{
	if ((unsigned)r >= REASON_COUNT)
		return NULL;
	return codes[r];
}

int
reason_from_code(const char *s)
{
	int r;

	for (r = 0; r < REASON_COUNT; r++)
		if (strcmp(codes[r], s) == 0)
			return r;
	return -1;
}

int
reason_quarantines(enum reason r)
{
	return r == REASON_MALFORMED || r == REASON_AUTH_FAILED ||
	    r == REASON_ATTACHMENT_FORBIDDEN;
}

enum outcome
reason_outcome(reason_set set)
{
	int r;

	for (r = 0; r < REASON_COUNT; r++)
		if ((set & REASON_BIT(r)) && reason_quarantines(r))
			return OUTCOME_QUARANTINED;
	return set != 0 ? OUTCOME_REJECTED : OUTCOME_ACCEPTED;
}

const char *
outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_ACCEPTED:
		return "accepted";
	case OUTCOME_REJECTED:
		return "rejected";
	case OUTCOME_QUARANTINED:
		return "quarantined";
	}
	return "unknown";
}

void
reason_join(struct buf *b, reason_set set, const char *sep)
{
	int r, first = 1;

	for (r = 0; r < REASON_COUNT; r++) {
		if (!(set & REASON_BIT(r)))
			continue;
		if (!first)
			buf_puts(b, sep);
		buf_puts(b, codes[r]);
		first = 0;
	}
}
