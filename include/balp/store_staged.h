/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_staged - annexes mailed by a partner's referent, staged until an
 * admin approves or rejects them (docs/annex-mail.md, convention art. 6).
 *
 * A staged annex is the file's rows, its digest and encoding, who sent it
 * and when, the decision of its mail, and its diff against the annex in
 * force when it was staged (the plan's changes value by value, rendered
 * in English, counted, and keyed: the changes it makes, by kind, line and
 * email).  It is written in the
 * decision's own transaction (store_batch_add), never applied by itself.
 * Approval re-plans it against the annex in force then: when the key is
 * no longer the staged one (an import, a person's change since), it is
 * refused with what differs; else it is applied as an import is, in one
 * transaction with its status, its audit row (annex.approve, naming the
 * admin and the mail's decision) and the referent's acknowledgment.
 *
 * Ownership: structs filled here own their strings (the *_free
 * functions).  Errors: a status, the message in store_errmsg().
 */
#ifndef BALP_STORE_STAGED_H
#define BALP_STORE_STAGED_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/annex.h"
#include "balp/annex_file.h"
#include "balp/buf.h"
#include "balp/store.h"
#include "balp/store_decision.h"

struct store_staged_spec {
	const char		*partner_id;
	const char		*sender;
	int64_t			 decision_id;
	time_t			 received_at;
	const struct annex_rows	*rows;		/* digest and encoding set */
	const struct annex_plan	*plan;		/* the dry run's */
};

struct store_staged {
	int64_t		 id;
	char		*partner_id;
	char		*sender;
	int64_t		 decision_id;
	char		*received_at;	/* "YYYY-MM-DDTHH:MM:SSZ" */
	char		*digest;
	char		*encoding;
	size_t		 n_rows;
	size_t		 added, updated, ended, unchanged, new_periods;
	int		 force_needed;
	char		*diff;		/* annex_plan_render at staging */
	int		 changes_kept;	/* store_staged_plan has them */
	char		*plan_key;
	char		*status;	/* "pending", "approved", "rejected" */
	char		*decided_by;	/* NULL while pending */
	char		*decided_at;
	char		*reason;	/* a rejection's */
};

struct store_staged_list {
	struct store_staged	*v;
	size_t			 n;
};

/*
 * The changes of a plan as a key: one line per change that is not
 * "unchanged" (kind, file line, email; an update's fields), so that two
 * plans of the same file make the same changes iff their keys are equal
 * (an end's day, the import day, is left out).  Appended to out.
 */
void	 store_staged_plan_key(const struct annex_plan *, struct buf *out);

/*
 * Stages an annex inside the caller's write transaction (the decision's
 * batch): its row, its rows, and an audit row annex.stage (the partner,
 * the decision, the digest and the counts).  *id gets its id.
 */
int	 store_staged_add(struct store *, const struct store_staged_spec *,
	    const char *actor, time_t now, int64_t *id);

/* Every staged annex, the oldest first; pending_only: the pending ones. */
int	 store_staged_list(struct store *, int pending_only,
	    struct store_staged_list *out);
/* One: STORE_OK, STORE_NOTFOUND. */
int	 store_staged_get(struct store *, int64_t id, struct store_staged *out);
/* Its rows, in file order, as annex_file_parse gave them. */
int	 store_staged_rows(struct store *, int64_t id, struct annex_rows *out);
/*
 * Its plan as staged (against the annex in force then), for a language
 * other than diff's English: the changes in plan order (no unchanged
 * person), the counts, partner_id and force_needed; today DATE_NONE and
 * n_active 0 (not kept).  STORE_OK; STORE_NOTFOUND when there is no such
 * staged annex or it was staged before its changes were kept
 * (!changes_kept: its diff alone says them).
 */
int	 store_staged_plan(struct store *, int64_t id, struct annex_plan *plan);

/*
 * The pending staged annex of decision_id's mail: *id its id, 0 if none
 * (a retriage or a release of that mail is refused while one is: see
 * store_message.h).  STORE_OK or an error.
 */
int	 store_staged_pending_of(struct store *, int64_t decision_id,
	    int64_t *id);

/*
 * Re-validates a staged annex against the annex in force on `today`, in a
 * transaction rolled back (nothing written): STORE_OK with plan filled
 * when it applies as staged; STORE_REFUSED with store_errmsg() saying why
 * (not pending any more, the quota, the annex changed since: what
 * differs), plan filled when it could be made; STORE_NOTFOUND.
 */
int	 store_staged_check(struct store *, int64_t id, int32_t today,
	    struct annex_plan *plan);

/*
 * Approves: in ONE transaction, checks it as store_staged_check does, and
 * applies it as `annex import` (annex_import_locked: person.* and
 * annex.import audit rows by actor), marks it approved by actor, writes
 * annex.approve (the staged id, the mail's decision, the digest, the
 * counts) and queues notice (the acknowledgment, to the referent, about
 * the mail's decision; NULL: none).  force as for an import (a file that
 * ends more than half of the active persons).  STORE_OK with plan filled;
 * STORE_REFUSED with the reason, nothing written; STORE_NOTFOUND.
 */
int	 store_staged_approve(struct store *, int64_t id, int32_t today,
	    int force, const struct store_notice *notice, const char *actor,
	    time_t now, struct annex_plan *plan);

/*
 * Rejects a pending one with reason (required), in one transaction with
 * its audit row (annex.reject) and notice (to the referent).  STORE_OK,
 * STORE_REFUSED (not pending, no reason), STORE_NOTFOUND.
 */
int	 store_staged_reject(struct store *, int64_t id, const char *reason,
	    const struct store_notice *notice, const char *actor, time_t now);

void	 store_staged_free(struct store_staged *);
void	 store_staged_list_free(struct store_staged_list *);

#endif
