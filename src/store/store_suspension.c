/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_suspension - a person's suspensions and their history (see
 * include/balp/store_partner.h: store_person_suspend and after).
 *
 * A suspension runs from its first day to its last (NULL: open); they
 * never overlap; persons.suspended/suspend_reason stay as the open one's.
 * The lists and the decisions of a day read the one in force on it
 * (store_partner_person.c, store_partner_habilitation.c).
 */
#include "balp/store_partner.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balp/array.h"
#include "balp/date.h"
#include "store_priv.h"

/* The local day of t, as balpctl and balpd count days. */
int32_t
store_local_day(time_t t)
{
	struct tm tm;
	int32_t d;

	if (localtime_r(&t, &tm) == NULL ||
	    date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d) ==
	    -1)
		return 0;
	return d;
}

/*
 * "partner/email": the audit object of a person, as
 * store_partner_person.c's.
 */
static void
person_object(struct buf *b, const char *partner_id, const char *email)
{
	buf_reset(b);
	buf_printf(b, "%s/%s", partner_id, email);
}

/*
 * The person's latest suspension: its first and last days (DATE_NONE:
 * open); *found 0 when there is none.
 */
static int
suspension_last(struct store *st, int64_t person_id, int *found,
    int32_t *first, int32_t *last)
{
	sqlite3_stmt *s;
	int rc, step;

	*found = 0;
	*first = *last = DATE_NONE;
	if ((rc = stmt_get(st, STMT_SUSPENSION_LAST, "SELECT first_day, "
	    "last_day FROM suspensions WHERE person_id = ? ORDER BY "
	    "first_day DESC, id DESC LIMIT 1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, person_id, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			*found = 1;
			*first = col_date(s, 0);
			*last = col_date(s, 1);
		} else if (step != SQLITE_DONE)
			rc = store_sqlerr(st, "suspension");
	}
	stmt_done(s);
	return rc;
}

/*
 * Opens a suspension from day (suspend) or closes the open one the day
 * before day (resume: day is the first day the person may send again),
 * and keeps persons.suspended as "a suspension is open".
 */
static int
person_set_suspended(struct store *st, const char *partner_id,
    const char *email, int suspend, const char *reason, int32_t day,
    int32_t today, const char *actor, time_t now)
{
	struct store_person cur;
	struct store_partner pa;
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL, d1[11], d2[11];
	int32_t first, last;
	int rc, found;

	memset(&pa, 0, sizeof(pa));
	if (suspend && is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "a reason is required "
		    "to suspend");
	if (suspend && (why = clean(reason)) == NULL)
		return store_oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_person_get(st, partner_id, email, &cur)) != STORE_OK) {
		rc = store_tx_end(st, rc);
		goto done;
	}
	if (cur.suspended == suspend) {
		rc = store_seterr(st, STORE_REFUSED, "'%s' of partner '%s' is "
		    "%s", cur.email, cur.partner_id, suspend ?
		    "already suspended" : "not suspended");
		goto out;
	}
	if ((rc = suspension_last(st, cur.id, &found, &first, &last)) !=
	    STORE_OK)
		goto out;
	/* Suspensions never overlap: one is in force on a day at most. */
	if (suspend && found && last != DATE_NONE && day <= last) {
		date_format_iso(day, d1);
		date_format_iso(last, d2);
		rc = store_seterr(st, STORE_REFUSED, "'%s': a suspension from "
		    "%s would overlap the last one, which ran to %s",
		    cur.email, d1, d2);
		goto out;
	}
	if (!suspend && found && last == DATE_NONE && day < first) {
		date_format_iso(day, d1);
		date_format_iso(first, d2);
		rc = store_seterr(st, STORE_REFUSED, "'%s': resumed on %s, "
		    "before the suspension started (%s)", cur.email, d1, d2);
		goto out;
	}
	if (!suspend) {
		if ((rc = store_partner_get(st, cur.partner_id, &pa))
		    != STORE_OK)
			goto out;
		if ((rc = store_quota_check(st, &pa, today, NULL, 0, 0))
		    != STORE_OK)
			goto out;
	}
	if (suspend) {
		if ((rc = stmt_get(st, STMT_SUSPENSION_OPEN, "INSERT INTO "
		    "suspensions (person_id, first_day, reason, created_at) "
		    "VALUES (?, ?, ?, ?)", &s)) != STORE_OK)
			goto out;
		bind_int64(st, s, 1, cur.id, &rc);
		bind_date(st, s, 2, day, &rc);
		bind_text(st, s, 3, why, &rc);
		bind_ts(st, s, 4, now, &rc);
	} else {
		/* A row suspended before the history (none since the step
		 * that made it) has no open suspension: nothing to close. */
		if ((rc = stmt_get(st, STMT_SUSPENSION_CLOSE, "UPDATE "
		    "suspensions SET last_day = ?, resumed_at = ? WHERE "
		    "person_id = ? AND last_day IS NULL", &s)) != STORE_OK)
			goto out;
		bind_date(st, s, 1, day - 1, &rc);
		bind_ts(st, s, 2, now, &rc);
		bind_int64(st, s, 3, cur.id, &rc);
	}
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "suspension", NULL)) != STORE_OK)
		goto out;
	if ((rc = stmt_get(st, STMT_PERSON_SET_SUSPENDED, "UPDATE persons SET "
	    "suspended = ?, suspend_reason = ?, updated_at = ? WHERE id = ?",
	    &s)) != STORE_OK)
		goto out;
	bind_int64(st, s, 1, suspend, &rc);
	bind_text(st, s, 2, why, &rc);
	bind_ts(st, s, 3, now, &rc);
	bind_int64(st, s, 4, cur.id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "person suspend", NULL)) != STORE_OK)
		goto out;
	person_object(&obj, cur.partner_id, cur.email);
	date_format_iso(day, d1);
	if (suspend)
		buf_printf(&detail, "from=%s; reason=%s", d1, why);
	else
		buf_printf(&detail, "on=%s; was suspended: %s", d1,
		    cur.suspend_reason ? cur.suspend_reason : "");
	rc = obj.failed || detail.failed ? store_oom(st) :
	    store_audit_append(st, "admin", actor, suspend ? "person.suspend" :
	    "person.resume", buf_str(&obj), buf_str(&detail), now);
out:
	store_person_free(&cur);
	store_partner_free(&pa);
	rc = store_tx_end(st, rc);
done:
	free(why);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_person_suspend(struct store *st, const char *partner_id,
    const char *email, const char *reason, const char *actor, time_t now)
{
	return person_set_suspended(st, partner_id, email, 1, reason,
	    store_local_day(now), DATE_NONE, actor, now);
}

int
store_person_suspend_from(struct store *st, const char *partner_id,
    const char *email, const char *reason, int32_t day, const char *actor,
    time_t now)
{
	return person_set_suspended(st, partner_id, email, 1, reason, day,
	    DATE_NONE, actor, now);
}

int
store_person_resume(struct store *st, const char *partner_id,
    const char *email, int32_t today, const char *actor, time_t now)
{
	return person_set_suspended(st, partner_id, email, 0, NULL, today,
	    today, actor, now);
}

int
store_person_resume_on(struct store *st, const char *partner_id,
    const char *email, int32_t day, int32_t today, const char *actor,
    time_t now)
{
	return person_set_suspended(st, partner_id, email, 0, NULL, day,
	    today, actor, now);
}

int
store_person_suspensions(struct store *st, const char *partner_id,
    const char *email, struct store_suspension_list *out)
{
	struct store_person cur;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step = SQLITE_DONE, fail = 0;

	out->v = NULL;
	out->n = 0;
	if ((rc = store_person_get(st, partner_id, email, &cur)) != STORE_OK)
		return rc;
	if ((rc = stmt_get(st, STMT_SUSPENSION_LIST, "SELECT first_day, "
	    "last_day, reason FROM suspensions WHERE person_id = ? "
	    "ORDER BY first_day, id", &s)) != STORE_OK) {
		store_person_free(&cur);
		return rc;
	}
	bind_int64(st, s, 1, cur.id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			rc = store_oom(st);
			break;
		}
		out->v[out->n].first = col_date(s, 0);
		out->v[out->n].last = col_date(s, 1);
		out->v[out->n].reason = col_str0(s, 2, &fail);
		out->n++;
		if (fail) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "suspensions");
	stmt_done(s);
	store_person_free(&cur);
	if (rc != STORE_OK)
		store_suspension_list_free(out);
	return rc;
}

void
store_suspension_list_free(struct store_suspension_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].reason);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
