/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules - the Caf's policy as plain values: request types and their
 * queues, subject stop words, attachment policy, notice templates.
 *
 * Loaded from rules/ by the conf module (libconfig); the core only reads
 * it.  Adding a request type is an edit of rules/, never a rebuild.
 *
 * Ownership: everything inside a struct rules belongs to it and is freed by
 * rules_free().
 */
#ifndef BALP_RULES_H
#define BALP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "balp/wordlist.h"

struct request_type {
	char		*id;		/* "rib": stable, in JSON and the store */
	char		*label;		/* "transmission d'un RIB", for notices */
	char		*queue;		/* "BALP/RIB" */
	struct wordlist	 keywords;	/* folded; Subject then first text part */
	/*
	 * Attachment the type needs ("a RIB needs a PDF or an image"): MIME
	 * types ("application/pdf", "image/" + "*") and extensions ("pdf").  Both
	 * empty = nothing needed.
	 */
	struct wordlist	 needs_types;
	struct wordlist	 needs_extensions;
	/* "More than a month": the date the partner gives must be at least
	 * this many months before the day of processing; 0 = no such rule. */
	int		 min_age_months;
	/*
	 * The annex's update sent by a partner's referent (convention art.
	 * 6, rules/ "annex_update = true"): no beneficiary name nor NIR
	 * needed; the sender must be a referent of the partner (not a
	 * habilitated person) and the mail must carry exactly one file that
	 * needs_attachment describes, the annex (decide.h).
	 */
	int		 annex_update;
};

struct notice_templates {
	char	*subject;		/* notice Subject */
	char	*intro;			/* before the list of reasons */
	char	*outro;			/* after it: the convention's prerequisites */
	char	*reason[32];		/* per enum reason; NULL = generic line */
	/* The acknowledgment of an accepted message; NULL = none written. */
	char	*ack_subject;
	char	*ack_body;
	/*
	 * The annex by mail (all NULL when the rules have no notices.annex):
	 * the end of a refused annex mail's notice (instead of outro, which
	 * speaks of beneficiaries), and the mails to the referent when an
	 * admin approves or rejects the staged file (notice.h).
	 */
	char	*annex_outro;
	char	*annex_approved_subject;
	char	*annex_approved_body;
	char	*annex_rejected_subject;
	char	*annex_rejected_body;
};

struct rules {
	struct request_type	*types;
	size_t			 n_types;
	char			*queue_rejects;		/* "BALP/Rejets" */
	char			*queue_quarantine;	/* "BALP/Quarantaine" */

	struct wordlist		 stop_words;	/* never a beneficiary's name */
	struct wordlist		 date_markers;	/* "depuis", "a compter du"... */

	struct wordlist		 forbidden_types;	/* MIME types; a trailing "/" + "*" = any subtype */
	struct wordlist		 forbidden_extensions;
	struct wordlist		 archive_types;
	struct wordlist		 archive_extensions;
	int			 archives_forbidden;
	uint64_t		 max_message_size;	/* bytes; too_large above */

	struct notice_templates	 notices;
};

void	 rules_init(struct rules *);
void	 rules_free(struct rules *);
/* The type with that id, or NULL. */
const struct request_type *rules_type(const struct rules *, const char *id);

#endif
