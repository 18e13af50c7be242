/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_act - approval and rejection of a staged annex (see
 * include/balp/annex_act.h).  Moved here from balpctl's
 * ctl_annex_staged.c so that the console does exactly the same.
 *
 * approve plans the staged file against the annex in force today
 * (store_staged_check), writes the referent's acknowledgment from that
 * plan, then has store_staged_approve check it again, apply it and queue
 * the acknowledgment in one transaction: if the annex moved in between,
 * the keys differ and nothing is written.
 */
#include "balp/annex_act.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex.h"
#include "balp/date.h"
#include "balp/notice.h"
#include "balp/store_decision.h"

void
annex_act_free(struct annex_act *a)
{
	free(a->partner_id);
	free(a->sender);
	buf_free(&a->applied);
	memset(a, 0, sizeof(*a));
}

long
annex_act_age_days(const struct store_staged *g, int32_t today)
{
	char day[11];
	int32_t d;

	(void)snprintf(day, sizeof(day), "%s", g->received_at);
	if (date_parse_iso(day, &d) == -1)
		return -1;
	return (long)today - (long)d;
}

/* The day as the referent reads it. */
static void
day_fr(int32_t d, char out[11])
{
	if (d == DATE_NONE)
		(void)snprintf(out, 11, "-");
	else
		date_format_fr(d, out);
}

/*
 * What an approved annex changed, in French, one person a line, for the
 * referent's acknowledgment ({changes}): their own staff list.
 */
static void
changes_fr(const struct annex_plan *pl, struct buf *b)
{
	const struct annex_change *c;
	char d1[11], d2[11];
	size_t i, n = 0;
	unsigned bit;

	for (i = 0; i < pl->n; i++) {
		c = &pl->v[i];
		day_fr(c->start, d1);
		day_fr(c->end, d2);
		switch (c->kind) {
		case ANNEX_ADD:
			buf_printf(b, "- ajout : %s (%s %s), habilitation du "
			    "%s%s%s\n", c->email, c->last_name, c->first_name,
			    d1, c->end != DATE_NONE ? " au " : "",
			    c->end != DATE_NONE ? d2 : "");
			break;
		case ANNEX_NEW_PERIOD:
			buf_printf(b, "- nouvelle habilitation : %s (%s %s), "
			    "du %s%s%s\n", c->email, c->last_name,
			    c->first_name, d1, c->end != DATE_NONE ? " au " :
			    "", c->end != DATE_NONE ? d2 : "");
			break;
		case ANNEX_UPDATE:
			buf_printf(b, "- modification : %s (%s %s) :", c->email,
			    c->last_name, c->first_name);
			for (bit = ANNEX_F_NOM; bit <= ANNEX_F_LAST; bit <<= 1)
				if (c->changed & bit)
					buf_printf(b, " %s",
					    annex_field_fr(bit));
			buf_puts(b, "\n");
			break;
		case ANNEX_END:
			buf_printf(b, "- fin d'habilitation : %s (%s %s), au "
			    "%s\n", c->email, c->old_last_name != NULL ?
			    c->old_last_name : "", c->old_first_name != NULL ?
			    c->old_first_name : "", d2);
			break;
		case ANNEX_UNCHANGED:
			continue;
		}
		n++;
	}
	if (n == 0)
		buf_puts(b, "- aucune : la liste transmise est celle que la Caf "
		    "connaissait déjà\n");
	/* The template ends the line. */
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

/*
 * The staged annex id into g, its partner and referent into out:
 * STORE_OK, or the store's status with its message in err.
 */
static int
act_begin(struct store *st, int64_t id, struct store_staged *g,
    struct annex_act *out, struct buf *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	memset(g, 0, sizeof(*g));
	if ((rc = store_staged_get(st, id, g)) != STORE_OK) {
		buf_puts(err, store_errmsg(st));
		return rc;
	}
	if ((out->partner_id = strdup(g->partner_id)) == NULL ||
	    (out->sender = strdup(g->sender)) == NULL) {
		store_staged_free(g);
		annex_act_free(out);
		buf_puts(err, "out of memory");
		return STORE_ERROR;
	}
	return STORE_OK;
}

int
annex_act_approve(struct store *st, const struct rules *rules, int64_t id,
    int32_t today, int force, const char *actor, time_t now,
    struct annex_act *out, struct buf *err)
{
	struct store_staged g;
	struct store_notice notice;
	struct annex_plan plan;
	struct buf changes = BUF_INIT;
	char *subject = NULL, *body = NULL;
	int rc;

	memset(&plan, 0, sizeof(plan));
	if ((rc = act_begin(st, id, &g, out, err)) != STORE_OK)
		return rc;
	if ((rc = store_staged_check(st, id, today, &plan)) != STORE_OK) {
		buf_printf(err, "annex %" PRId64 " not approved, nothing "
		    "changed: %s", id, store_errmsg(st));
		goto out;
	}
	changes_fr(&plan, &changes);
	annex_plan_free(&plan);
	if (changes.failed || notice_render_annex(rules, 1, g.partner_id,
	    buf_str(&changes), today, &subject, &body) == -1) {
		buf_puts(err, "cannot write the acknowledgment: the rules need "
		    "notices.annex.approved (or memory ran out)");
		rc = STORE_ERROR;
		goto out;
	}
	notice.recipient = g.sender;
	notice.subject = subject;
	notice.body = body;
	if ((rc = store_staged_approve(st, id, today, force, &notice, actor,
	    now, &plan)) != STORE_OK) {
		buf_printf(err, "annex %" PRId64 " not approved, nothing "
		    "changed: %s", id, store_errmsg(st));
		goto out;
	}
	annex_plan_render(&plan, &out->applied);
out:
	annex_plan_free(&plan);
	store_staged_free(&g);
	buf_free(&changes);
	free(subject);
	free(body);
	return rc;
}

int
annex_act_reject(struct store *st, const struct rules *rules, int64_t id,
    const char *reason, int32_t today, const char *actor, time_t now,
    struct annex_act *out, struct buf *err)
{
	struct store_staged g;
	struct store_notice notice;
	char *subject = NULL, *body = NULL;
	int rc;

	if ((rc = act_begin(st, id, &g, out, err)) != STORE_OK)
		return rc;
	/* A blank reason is refused by the store: the referent is told it. */
	if (notice_render_annex(rules, 0, g.partner_id, reason != NULL ?
	    reason : "", today, &subject, &body) == -1) {
		buf_puts(err, "cannot write the notice: the rules need "
		    "notices.annex.rejected (or memory ran out)");
		rc = STORE_ERROR;
		goto out;
	}
	notice.recipient = g.sender;
	notice.subject = subject;
	notice.body = body;
	if ((rc = store_staged_reject(st, id, reason, &notice, actor, now)) !=
	    STORE_OK)
		buf_printf(err, "annex %" PRId64 " not rejected: %s", id,
		    store_errmsg(st));
out:
	store_staged_free(&g);
	free(subject);
	free(body);
	return rc;
}
