/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reason - the stable reason codes and outcomes (docs/contracts.md).
 *
 * Tests, logs, the store and `balpctl test --json` depend on these strings:
 * never rename one.  Order here is the order reasons are listed in output.
 */
#ifndef BALP_REASON_H
#define BALP_REASON_H

#include <stdint.h>

enum reason {
	REASON_MALFORMED,
	REASON_AUTH_FAILED,
	REASON_ATTACHMENT_FORBIDDEN,
	REASON_AUTO_REPLY,
	REASON_SENDER_UNKNOWN,
	REASON_SENDER_NOT_YET_HABILITATED,
	REASON_SENDER_HABILITATION_ENDED,
	REASON_PARTNER_INACTIVE,
	REASON_TYPE_UNKNOWN,
	REASON_TOO_RECENT,
	REASON_NIR_MISSING,
	REASON_NIR_KEY_MISSING,
	REASON_NIR_INVALID,
	REASON_NIR_AMBIGUOUS,
	REASON_NAME_MISSING,
	REASON_ATTACHMENT_MISSING,
	REASON_TOO_LARGE,
	REASON_ATTACHMENT_ENCRYPTED,
	/* A mail of a type marked annex_update (rules/: the annex sent by
	 * a partner's referent, convention art. 6). */
	REASON_ANNEX_SENDER_NOT_REFERENT,
	REASON_ANNEX_PARTNER_AMBIGUOUS,
	REASON_ANNEX_FILE_MISSING,
	REASON_ANNEX_FILE_SEVERAL,
	REASON_ANNEX_INVALID,
	REASON_COUNT
};

enum outcome {
	OUTCOME_ACCEPTED,
	OUTCOME_REJECTED,
	OUTCOME_QUARANTINED,
};

typedef uint32_t reason_set;

#define REASON_BIT(r)	((reason_set)1 << (r))

/* "nir_invalid"...; NULL for an out-of-range value. */
const char	*reason_code(enum reason);
/* The enum for a code, or -1. */
int		 reason_from_code(const char *);
/*
 * 1 if a notice may name this reason (so notices.rules needs its text):
 * every reason but auto_reply, quarantined ones included (release
 * --notify).
 */
int		 reason_notified(enum reason);
/* 1 if this reason alone sends the message to quarantine. */
int		 reason_quarantines(enum reason);
/* The outcome rule (docs/contracts.md): quarantine > reject > accept. */
enum outcome	 reason_outcome(reason_set);
/*
 * Appends the codes of set, in table order, separated by sep (","; or
 * "\",\"" to build JSON array items) to b.
 */
struct buf;
void		 reason_join(struct buf *b, reason_set, const char *sep);
/* "accepted", "rejected", "quarantined". */
const char	*outcome_name(enum outcome);

#endif
