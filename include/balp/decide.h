/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decide - the pure decision: message facts + the sender's annex entries +
 * rules + the day of processing -> outcome, type, reasons, queue.
 *
 * No I/O, no globals, no clock: the caller hands everything in, so the same
 * call serves the daemon, `balpctl test`, the unit tests and the fuzzer.
 *
 * Every applicable reason is collected, not only the first, so that a
 * partner can fix everything at once.
 */
#ifndef BALP_DECIDE_H
#define BALP_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "balp/facts.h"
#include "balp/nir.h"
#include "balp/reason.h"
#include "balp/rules.h"
#include "balp/wordlist.h"

/*
 * One annex entry for the sender's address: a person record and its
 * partner's convention.  Dates are day numbers; DATE_NONE = open.
 */
struct habilitation {
	const char	*partner_id;
	int32_t		 convention_start;
	int32_t		 convention_end;
	int		 partner_suspended;
	int32_t		 start;
	int32_t		 end;
	int		 person_suspended;
};

struct annex_view {
	const struct habilitation *v;	/* entries whose email is the sender's */
	size_t			   n;
	/*
	 * The partners (ids) of which the sender is a referent, looked up by
	 * the caller like the entries: what a mail of an annex_update type
	 * is judged by, instead of the habilitations.
	 */
	const char *const	  *referent_of;
	size_t			   n_referent_of;
};

struct decide_ctx {
	const struct rules	 *rules;
	const char *const	 *trusted_authserv_ids;
	size_t			  n_trusted_authserv_ids;
	/* Multi-label public suffixes for DMARC-style alignment ("gouv.fr"). */
	const struct wordlist	 *public_suffixes;
	int32_t			  today;	/* the day of processing */
};

struct decision {
	enum outcome		   outcome;
	reason_set		   reasons;
	const struct request_type *type;	/* into rules; NULL = unknown */
	const char		  *queue;	/* into rules */
	const char		  *partner_id;	/* into the annex view; NULL */
	int			   notify;	/* a notice goes to the sender */
	/* The valid NIR found, for the pseudonym only: never log it. */
	char			   nir[NIR_LEN + 1];
	int32_t			   since;	/* date the partner gave, or DATE_NONE */
	/*
	 * An annex_update type: the index in facts.parts of its one annex
	 * file, -1 when there is not exactly one.  annex_errors: the file's
	 * errors, one "line N: ..." a line, set by the caller with
	 * decide_annex_refused() (borrowed: it must outlive the decision's
	 * notice); NULL otherwise.
	 */
	long			   annex_part;
	const char		  *annex_errors;
};

/* Always fills *out (never fails: a bad message is itself a decision). */
void	 decide(const struct msg_facts *, const struct annex_view *,
	    const struct decide_ctx *, struct decision *out);

/*
 * What the caller found on reading an accepted annex mail's file (it is
 * read after decide, in a sandboxed worker: decide does no I/O): the file
 * has errors (why = REASON_ANNEX_INVALID, errors its lines, borrowed), or
 * could not be read at all without harm (why = REASON_MALFORMED: a parser
 * that crashed or ran out of time on it).  The reason is added and the
 * outcome, queue and notice follow as in decide().
 */
void	 decide_annex_refused(struct decision *, const struct rules *,
	    enum reason why, const char *errors);

#endif
