/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_act - what an admin does to an annex a partner's referent mailed
 * and balpd staged (store_staged.h, docs/annex-mail.md), for balpctl
 * (annex approve | reject) and the console alike: the same re-validation,
 * transaction, audit rows and notice to the referent, whoever the actor
 * ("admin:LOGIN" or "web:LOGIN").
 *
 *   approve: plans the staged rows against the annex in force on today
 *   (store_staged_check); refused when the plan's key is no longer the
 *   staged one (another import or a person's change since: what differs
 *   is said); else writes the referent's acknowledgment from that plan
 *   (notices.annex.approved, {changes}: one person a line) and has
 *   store_staged_approve check it again, apply it as `annex import`
 *   does, mark it approved and queue the acknowledgment in ONE
 *   transaction.
 *
 *   reject: a reason is required; notices.annex.rejected gives it to the
 *   referent, queued with the status and its audit row in one
 *   transaction (store_staged_reject).
 *
 * Both return a store status: STORE_OK; STORE_NOTFOUND (no such staged
 * annex); STORE_REFUSED (not pending, no reason, no longer applies, the
 * quota, an end of more than half without force: nothing written);
 * STORE_ERROR (the store, memory, the rules without the template).  On
 * anything but STORE_OK, err gets one English line naming the staged
 * annex and why, as balpctl prints it (the reason may name staff: the
 * partner's own list, shown to admins only).
 *
 * Ownership: a struct annex_act owns its strings; free it with
 * annex_act_free whatever the call returned.
 */
#ifndef BALP_ANNEX_ACT_H
#define BALP_ANNEX_ACT_H

#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/rules.h"
#include "balp/store.h"
#include "balp/store_staged.h"

/* What was done, for the caller's sentence. */
struct annex_act {
	char		*partner_id;
	char		*sender;	/* the referent, who is told */
	struct buf	 applied;	/* approve: annex_plan_render of it */
};

int	 annex_act_approve(struct store *, const struct rules *, int64_t id,
	    int32_t today, int force, const char *actor, time_t now,
	    struct annex_act *out, struct buf *err);
int	 annex_act_reject(struct store *, const struct rules *, int64_t id,
	    const char *reason, int32_t today, const char *actor, time_t now,
	    struct annex_act *out, struct buf *err);
void	 annex_act_free(struct annex_act *);

/*
 * Days since g was received, on today (a pending one is kept, whatever
 * its age, until an admin decides it: docs/annex-mail.md, "Retention");
 * -1 when received_at is not a date.
 */
long	 annex_act_age_days(const struct store_staged *g, int32_t today);

#endif
