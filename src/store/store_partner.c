/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner - partners, the annex of their persons, the quota and the
 * habilitation lookup decide() uses (see include/balp/store_partner.h).
 *
 * Every public write is BEGIN IMMEDIATE ... COMMIT with its audit row:
 * the write lock is taken before the first read, so a quota count cannot
 * be raced by a second process.  The unlocked person writes annex.c needs
 * are declared in store_priv.h.
 *
 * Ownership: result structs own their strings (their *_free).  Failure: a
 * status, message in store_errmsg().
 */
#include "balp/store_partner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/store_referent.h"
#include "store_priv.h"

/* ---- partners --------------------------------------------------------- */

#define PARTNER_COLS "id, name, siret, convention_start, convention_end, " \
	"suspended, suspend_reason, max_persons, created_at"

static int
partner_from_row(sqlite3_stmt *s, struct store_partner *p)
{
	int fail = 0;

	memset(p, 0, sizeof(*p));
	p->id = col_str0(s, 0, &fail);
	p->name = col_str0(s, 1, &fail);
	p->siret = col_str(s, 2, &fail);
	p->start = col_date(s, 3);
	p->end = col_date(s, 4);
	p->suspended = sqlite3_column_int(s, 5) != 0;
	p->suspend_reason = col_str(s, 6, &fail);
	p->max_persons = sqlite3_column_type(s, 7) == SQLITE_NULL ?
	    STORE_NO_QUOTA : sqlite3_column_int(s, 7);
	p->created_at = col_str0(s, 8, &fail);
	if (fail) {
		store_partner_free(p);
		return -1;
	}
	return 0;
}

void
store_partner_free(struct store_partner *p)
{
	free(p->id);
	free(p->name);
	free(p->siret);
	free(p->suspend_reason);
	free(p->created_at);
	memset(p, 0, sizeof(*p));
}

void
store_partner_list_free(struct store_partner_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_partner_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_partner_get(struct store *st, const char *id, struct store_partner *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_PARTNER_GET, "SELECT " PARTNER_COLS
	    " FROM partners WHERE id = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, id != NULL ? id : "", &rc);
	if (rc != STORE_OK)
		goto out;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = partner_from_row(s, out) == 0 ? STORE_OK : store_oom(st);
		break;
	case SQLITE_DONE:
		rc = store_seterr(st, STORE_NOTFOUND, "no partner '%s'",
		    id != NULL ? id : "");
		break;
	default:
		rc = store_sqlerr(st, "partner get");
	}
out:
	stmt_done(s);
	return rc;
}

int
store_partner_list(struct store *st, struct store_partner_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_PARTNER_LIST, "SELECT " PARTNER_COLS
	    " FROM partners ORDER BY id", &s)) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    partner_from_row(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "partner list");
	stmt_done(s);
	if (rc != STORE_OK)
		store_partner_list_free(out);
	return rc;
}

/* max_persons as stored: NULL for no quota. */
void
store_bind_quota(struct store *st, sqlite3_stmt *s, int i, int max_persons,
    int *rc)
{
	if (max_persons == STORE_NO_QUOTA)
		bind_null(st, s, i, rc);
	else
		bind_int64(st, s, i, max_persons, rc);
}

static int
partner_insert(struct store *st, const struct store_partner_spec *p,
    const char *name, const char *siret, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_PARTNER_INSERT, "INSERT INTO partners (id, "
	    "name, siret, convention_start, convention_end, max_persons, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, p->id, &rc);
	bind_text(st, s, 2, name, &rc);
	bind_text(st, s, 3, siret, &rc);
	bind_date(st, s, 4, p->start, &rc);
	bind_date(st, s, 5, p->end, &rc);
	store_bind_quota(st, s, 6, p->max_persons, &rc);
	bind_ts(st, s, 7, now, &rc);
	if (rc == STORE_OK && sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = store_seterr(st, STORE_EXISTS, "partner '%s' "
			    "already exists", p->id);
		else
			rc = store_sqlerr(st, "partner add");
	}
	stmt_done(s);
	return rc;
}

int
store_partner_add(struct store *st, const struct store_partner_spec *p,
    const char *actor, time_t now)
{
	return store_partner_add_referents(st, p, NULL, 0, actor, now);
}

int
store_partner_add_referents(struct store *st,
    const struct store_partner_spec *p, const char *const *referents,
    size_t n_referents, const char *actor, time_t now)
{
	struct buf detail = BUF_INIT;
	char siret[15], d1[11], d2[11], *name = NULL, **refs = NULL;
	size_t i;
	int rc, has_siret, added, first = 1;

	if (p->id == NULL || *p->id == '\0')
		return store_seterr(st, STORE_REFUSED, "partner id required");
	has_siret = p->siret != NULL && !is_blank(p->siret);
	if (has_siret && (rc = store_partner_siret_check(st, p->id,
	    p->siret, siret)) != STORE_OK)
		return rc;
	if (p->start != DATE_NONE && p->end != DATE_NONE && p->end < p->start) {
		store_date_text(p->start, d1);
		store_date_text(p->end, d2);
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "convention end %s is before its start %s", p->id, d2, d1);
	}
	if (p->max_persons < STORE_NO_QUOTA)
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons %d is negative", p->id, p->max_persons);
	if (p->max_persons == 0)
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons 0 would refuse every person (suspend the "
		    "partner instead)", p->id);
	if ((rc = store_partner_name_check(st, p->id, p->name, &name)) !=
	    STORE_OK)
		return rc;
	if ((rc = store_partner_referents_canon(st, p->id, referents,
	    n_referents, &refs)) != STORE_OK)
		goto out;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto out;
	if ((rc = partner_insert(st, p, name, has_siret ? siret : NULL, now))
	    != STORE_OK)
		goto end;
	store_date_text(p->start, d1);
	store_date_text(p->end, d2);
	buf_printf(&detail, "name=%s; siret=%s; start=%s; end=%s; "
	    "max_persons=", name, has_siret ? siret : "(none)", d1, d2);
	if (p->max_persons == STORE_NO_QUOTA)
		buf_puts(&detail, "(none)");
	else
		buf_printf(&detail, "%d", p->max_persons);
	for (i = 0; i < n_referents && rc == STORE_OK; i++) {
		rc = store_referent_insert(st, p->id, refs[i], now, &added);
		if (rc == STORE_OK && added)
			buf_printf(&detail, "%s%s", first ? "; referents=" :
			    ", ", refs[i]);
		first &= !added;
	}
	if (rc != STORE_OK)
		goto end;
	rc = detail.failed ? store_oom(st) : store_audit_append(st, "admin",
	    actor, "partner.add", p->id, buf_str(&detail), now);
end:
	rc = store_tx_end(st, rc);
out:
	free(name);
	store_strv_free(refs, n_referents);
	buf_free(&detail);
	return rc;
}

int
store_partner_end(struct store *st, const char *id, int32_t end,
    const char *actor, time_t now)
{
	struct store_partner cur;
	sqlite3_stmt *s;
	char d0[11], d1[11], detail[64];
	int rc;

	if (end == DATE_NONE)
		return store_seterr(st, STORE_REFUSED, "partner '%s': end date "
		    "required", id);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK)
		return store_tx_end(st, rc);
	store_date_text(cur.end, d0);
	store_date_text(end, d1);
	if (cur.start != DATE_NONE && end < cur.start) {
		store_date_text(cur.start, d0);
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': end %s is "
		    "before the convention start %s", id, d1, d0);
		goto out;
	}
	if ((rc = stmt_get(st, STMT_PARTNER_SET_END, "UPDATE partners SET "
	    "convention_end = ? WHERE id = ?", &s)) != STORE_OK)
		goto out;
	bind_date(st, s, 1, end, &rc);
	bind_text(st, s, 2, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "partner end", NULL)) != STORE_OK)
		goto out;
	snprintf(detail, sizeof(detail), "end: %s -> %s", d0, d1);
	rc = store_audit_append(st, "admin", actor, "partner.end", id, detail,
	    now);
out:
	store_partner_free(&cur);
	return store_tx_end(st, rc);
}

/* The partner's latest suspension's days; *found 0 when none. */
static int
partner_suspension_last(struct store *st, const char *id, int *found,
    int32_t *first, int32_t *last)
{
	sqlite3_stmt *s;
	int rc, step;

	*found = 0;
	*first = *last = DATE_NONE;
	if ((rc = stmt_get(st, STMT_PARTNER_SUSPENSION_LAST, "SELECT "
	    "first_day, last_day FROM partner_suspensions WHERE partner_id = ?"
	    " ORDER BY first_day DESC, id DESC LIMIT 1", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, id, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			*found = 1;
			*first = col_date(s, 0);
			*last = col_date(s, 1);
		} else if (step != SQLITE_DONE)
			rc = store_sqlerr(st, "partner suspension");
	}
	stmt_done(s);
	return rc;
}

/*
 * Suspends from day, or resumes on day (the suspension's last day is the
 * day before), keeping the history as a person's (store_suspension.c).
 */
static int
partner_set_suspended(struct store *st, const char *id, int suspend,
    const char *reason, int32_t day, const char *actor, time_t now)
{
	struct store_partner cur;
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL, d1[11], d2[11];
	int32_t first, last;
	int rc, found;

	if (suspend && is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "partner '%s': a reason "
		    "is required to suspend", id);
	if (suspend && (why = clean(reason)) == NULL)
		return store_oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK) {
		rc = store_tx_end(st, rc);
		goto done;
	}
	if (cur.suspended == suspend) {
		rc = store_seterr(st, STORE_REFUSED, "partner '%s' is %s",
		    id, suspend ? "already suspended" : "not suspended");
		goto out;
	}
	if ((rc = partner_suspension_last(st, id, &found, &first, &last)) !=
	    STORE_OK)
		goto out;
	if (suspend && found && last != DATE_NONE && day <= last) {
		date_format_iso(day, d1);
		date_format_iso(last, d2);
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': a "
		    "suspension from %s would overlap the last one, which ran "
		    "to %s", id, d1, d2);
		goto out;
	}
	if (!suspend && found && last == DATE_NONE && day < first) {
		date_format_iso(day, d1);
		date_format_iso(first, d2);
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': resumed on "
		    "%s, before the suspension started (%s)", id, d1, d2);
		goto out;
	}
	if ((rc = stmt_get(st, STMT_PARTNER_SET_SUSPENDED, "UPDATE partners "
	    "SET suspended = ?, suspend_reason = ? WHERE id = ?", &s))
	    != STORE_OK)
		goto out;
	bind_int64(st, s, 1, suspend, &rc);
	bind_text(st, s, 2, why, &rc);
	bind_text(st, s, 3, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "partner suspend", NULL)) != STORE_OK)
		goto out;
	/* Its history, as a person's: from day, or closed the day before. */
	if (suspend) {
		if ((rc = stmt_get(st, STMT_PARTNER_SUSPENSION_OPEN, "INSERT "
		    "INTO partner_suspensions (partner_id, first_day, reason, "
		    "created_at) VALUES (?, ?, ?, ?)", &s)) != STORE_OK)
			goto out;
		bind_text(st, s, 1, id, &rc);
		bind_date(st, s, 2, day, &rc);
		bind_text(st, s, 3, why, &rc);
		bind_ts(st, s, 4, now, &rc);
	} else {
		if ((rc = stmt_get(st, STMT_PARTNER_SUSPENSION_CLOSE, "UPDATE "
		    "partner_suspensions SET last_day = ?1, resumed_at = ?2 "
		    "WHERE partner_id = ?3 AND last_day IS NULL", &s)) !=
		    STORE_OK)
			goto out;
		bind_date(st, s, 1, day - 1, &rc);
		bind_ts(st, s, 2, now, &rc);
		bind_text(st, s, 3, id, &rc);
	}
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "partner suspension", NULL)) != STORE_OK)
		goto out;
	date_format_iso(day, d1);
	if (suspend)
		buf_printf(&detail, "from=%s; reason=%s", d1, why);
	else
		buf_printf(&detail, "on=%s; was suspended: %s", d1,
		    cur.suspend_reason ? cur.suspend_reason : "");
	rc = detail.failed ? store_oom(st) : store_audit_append(st, "admin",
	    actor, suspend ? "partner.suspend" : "partner.resume", id,
	    buf_str(&detail), now);
out:
	store_partner_free(&cur);
	rc = store_tx_end(st, rc);
done:
	free(why);
	buf_free(&detail);
	return rc;
}

int
store_partner_suspend(struct store *st, const char *id, const char *reason,
    const char *actor, time_t now)
{
	return partner_set_suspended(st, id, 1, reason, store_local_day(now),
	    actor, now);
}

int
store_partner_suspend_from(struct store *st, const char *id,
    const char *reason, int32_t day, const char *actor, time_t now)
{
	return partner_set_suspended(st, id, 1, reason, day, actor, now);
}

int
store_partner_resume(struct store *st, const char *id, const char *actor,
    time_t now)
{
	return partner_set_suspended(st, id, 0, NULL, store_local_day(now),
	    actor, now);
}

int
store_partner_resume_on(struct store *st, const char *id, int32_t day,
    const char *actor, time_t now)
{
	return partner_set_suspended(st, id, 0, NULL, day, actor, now);
}

int
store_partner_set_max_persons(struct store *st, const char *id,
    int max_persons, const char *actor, time_t now)
{
	struct store_partner cur;
	sqlite3_stmt *s;
	char detail[64], o[16], n[16];
	int rc;

	if (max_persons < STORE_NO_QUOTA)
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons %d is negative", id, max_persons);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK)
		return store_tx_end(st, rc);
	if ((rc = stmt_get(st, STMT_PARTNER_SET_QUOTA, "UPDATE partners SET "
	    "max_persons = ? WHERE id = ?", &s)) != STORE_OK)
		goto out;
	store_bind_quota(st, s, 1, max_persons, &rc);
	bind_text(st, s, 2, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "partner quota", NULL)) != STORE_OK)
		goto out;
	if (cur.max_persons == STORE_NO_QUOTA)
		snprintf(o, sizeof(o), "(none)");
	else
		snprintf(o, sizeof(o), "%d", cur.max_persons);
	if (max_persons == STORE_NO_QUOTA)
		snprintf(n, sizeof(n), "(none)");
	else
		snprintf(n, sizeof(n), "%d", max_persons);
	snprintf(detail, sizeof(detail), "max_persons: %s -> %s", o, n);
	rc = store_audit_append(st, "admin", actor, "partner.quota", id,
	    detail, now);
out:
	store_partner_free(&cur);
	return store_tx_end(st, rc);
}

/* ---- persons ---------------------------------------------------------- */

#define PERSON_COLS "id, partner_id, last_name, first_name, email, " \
	"job_title, hab_start, hab_end, suspended, suspend_reason, " \
	"created_at, updated_at, " PREV_END("persons")
/* The end of the period before the latest one of person row t. */
#define PREV_END(t) "(SELECT max(h0.hab_end) FROM hab_periods h0 WHERE " \
	"h0.person_id = " t ".id AND h0.hab_start < " t ".hab_start)"

static int
person_from_row(sqlite3_stmt *s, struct store_person *p)
{
	int fail = 0;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->partner_id = col_str0(s, 1, &fail);
	p->last_name = col_str0(s, 2, &fail);
	p->first_name = col_str0(s, 3, &fail);
	p->email = col_str0(s, 4, &fail);
	p->job_title = col_str0(s, 5, &fail);
	p->start = col_date(s, 6);
	p->end = col_date(s, 7);
	p->suspended = sqlite3_column_int(s, 8) != 0;
	p->suspend_reason = col_str(s, 9, &fail);
	p->created_at = col_str0(s, 10, &fail);
	p->updated_at = col_str0(s, 11, &fail);
	p->prev_end = col_date(s, 12);
	if (fail) {
		store_person_free(p);
		return -1;
	}
	return 0;
}

void
store_person_free(struct store_person *p)
{
	free(p->partner_id);
	free(p->last_name);
	free(p->first_name);
	free(p->email);
	free(p->job_title);
	free(p->suspend_reason);
	free(p->created_at);
	free(p->updated_at);
	memset(p, 0, sizeof(*p));
}

void
store_person_list_free(struct store_person_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_person_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_person_list(struct store *st, const char *partner_id, int32_t at,
    struct store_person_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step = SQLITE_DONE;

	out->v = NULL;
	out->n = 0;
	/*
	 * With a day, the period in force on it (periods never overlap, so
	 * one at most) gives the dates shown: a person ended and habilitated
	 * again is listed on a day of either period; and the suspension in
	 * force on it (they never overlap either) says whether the person
	 * was suspended that day, and why.  Without, the person row's dates
	 * (the latest period) and its open suspension.
	 */
	if ((rc = stmt_get(st, STMT_PERSON_LIST, "SELECT p.id, p.partner_id, "
	    "p.last_name, p.first_name, p.email, p.job_title, "
	    "COALESCE(h.hab_start, p.hab_start), "
	    "CASE WHEN h.id IS NULL THEN p.hab_end ELSE h.hab_end END, "
	    "CASE WHEN ?2 IS NULL THEN p.suspended ELSE sp.id IS NOT NULL "
	    "END, CASE WHEN ?2 IS NULL THEN p.suspend_reason ELSE sp.reason "
	    "END, p.created_at, p.updated_at, "
	    PREV_END("p") " FROM persons p LEFT JOIN hab_periods h ON "
	    "?2 IS NOT NULL AND h.person_id = p.id AND h.hab_start <= ?2 "
	    "AND (h.hab_end IS NULL OR h.hab_end >= ?2) "
	    "LEFT JOIN suspensions sp ON ?2 IS NOT NULL AND "
	    "sp.person_id = p.id AND sp.first_day <= ?2 AND "
	    "(sp.last_day IS NULL OR sp.last_day >= ?2) "
	    "WHERE (?1 IS NULL OR p.partner_id = ?1) AND "
	    "(?2 IS NULL OR h.id IS NOT NULL) "
	    "ORDER BY p.partner_id, p.last_name, p.first_name, p.email, p.id",
	    &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, partner_id, &rc);
	bind_date(st, s, 2, at, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    person_from_row(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "person list");
	stmt_done(s);
	if (rc != STORE_OK)
		store_person_list_free(out);
	return rc;
}

/*
 * The quota rule, written here only (DESIGN.md: "persons not ended count,
 * suspended ones included"): a person counts on `today` while the
 * habilitation is open or ends on today or later (the end day is valid),
 * whether suspended or not.
 */
int
store_person_counts(int32_t end, int32_t today)
{
	return end == DATE_NONE || end >= today;
}

/*
 * Refuses (STORE_REFUSED) when, after a change, more persons of pa would
 * count than its quota: the stored persons (unless replace: an exhaustive
 * annex replaces them, those it leaves out are ended by it) plus the
 * persons whose end dates are ends[0..n).
 */
int
store_quota_count(struct store *st, const char *partner_id, int32_t today,
    size_t *count)
{
	sqlite3_stmt *s;
	int rc, step = SQLITE_DONE;

	*count = 0;
	if ((rc = stmt_get(st, STMT_QUOTA_ENDS, "SELECT hab_end FROM "
	    "persons WHERE partner_id = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, partner_id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
		if (store_person_counts(col_date(s, 0), today))
			(*count)++;
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "quota count");
	stmt_done(s);
	return rc;
}

int
store_quota_check(struct store *st, const struct store_partner *pa,
    int32_t today, const int32_t *ends, size_t n, int replace)
{
	size_t count = 0, i;
	char d[11];
	int rc;

	if (pa->max_persons == STORE_NO_QUOTA)
		return STORE_OK;
	if (!replace && (rc = store_quota_count(st, pa->id, today, &count)) !=
	    STORE_OK)
		return rc;
	for (i = 0; i < n; i++)
		if (store_person_counts(ends[i], today))
			count++;
	if (count > (size_t)pa->max_persons) {
		store_date_text(today, d);
		return store_seterr(st, STORE_REFUSED, "partner '%s' quota "
		    "exceeded: %zu persons habilitated on %s or later "
		    "(suspended ones count), the quota is %d", pa->id, count,
		    d, pa->max_persons);
	}
	return STORE_OK;
}

/* Opens a period of person_id (the caller keeps them apart). */
static int
period_insert(struct store *st, int64_t person_id, int32_t start,
    int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_PERIOD_INSERT, "INSERT INTO hab_periods "
	    "(person_id, hab_start, hab_end, created_at) VALUES (?, ?, ?, ?)",
	    &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, person_id, &rc);
	bind_date(st, s, 2, start, &rc);
	bind_date(st, s, 3, end, &rc);
	bind_ts(st, s, 4, now, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "period insert", NULL);
}

/*
 * Sets the dates of the latest period of person_id (start DATE_NONE:
 * kept), as the person row's.  A person with no period (none is written
 * without one since schema 2) gets one.
 */
static int
period_set_latest(struct store *st, int64_t person_id, int32_t start,
    int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc, changes = 0;

	if ((rc = stmt_get(st, STMT_PERIOD_SET_LATEST, "UPDATE hab_periods SET "
	    "hab_start = COALESCE(?1, hab_start), hab_end = ?2 WHERE id = "
	    "(SELECT id FROM hab_periods WHERE person_id = ?3 "
	    "ORDER BY hab_start DESC, id DESC LIMIT 1)", &s)) != STORE_OK)
		return rc;
	bind_date(st, s, 1, start, &rc);
	bind_date(st, s, 2, end, &rc);
	bind_int64(st, s, 3, person_id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "period update", &changes)) != STORE_OK)
		return rc;
	if (changes == 0 && start != DATE_NONE)
		rc = period_insert(st, person_id, start, end, now);
	return rc;
}

int
store_person_insert(struct store *st, const struct store_person_spec *p,
    time_t now, int64_t *id)
{
	sqlite3_stmt *s;
	int64_t pid = 0;
	int rc;

	if ((rc = stmt_get(st, STMT_PERSON_INSERT, "INSERT INTO persons "
	    "(partner_id, last_name, first_name, email, job_title, hab_start, "
	    "hab_end, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?8)", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, p->partner_id, &rc);
	bind_text(st, s, 2, p->last_name, &rc);
	bind_text(st, s, 3, p->first_name, &rc);
	bind_text(st, s, 4, p->email, &rc);
	bind_text(st, s, 5, p->job_title != NULL ? p->job_title : "", &rc);
	bind_date(st, s, 6, p->start, &rc);
	bind_date(st, s, 7, p->end, &rc);
	bind_ts(st, s, 8, now, &rc);
	if (rc == STORE_OK && sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = store_seterr(st, STORE_EXISTS, "'%s' is already "
			    "in the annex of partner '%s'", p->email,
			    p->partner_id);
		else if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = store_seterr(st, STORE_NOTFOUND, "no partner "
			    "'%s'", p->partner_id);
		else
			rc = store_sqlerr(st, "person insert");
	} else if (rc == STORE_OK) {
		pid = sqlite3_last_insert_rowid(st->db);
	}
	stmt_done(s);
	if (rc == STORE_OK)
		rc = period_insert(st, pid, p->start, p->end, now);
	if (rc == STORE_OK && id != NULL)
		*id = pid;
	return rc;
}

/* The person row: names and the dates of the latest period. */
static int
person_row_update(struct store *st, int64_t id, const char *last_name,
    const char *first_name, const char *job_title, int32_t start,
    int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_PERSON_UPDATE, "UPDATE persons SET "
	    "last_name = ?, first_name = ?, job_title = ?, hab_start = ?, "
	    "hab_end = ?, updated_at = ? WHERE id = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, last_name, &rc);
	bind_text(st, s, 2, first_name, &rc);
	bind_text(st, s, 3, job_title != NULL ? job_title : "", &rc);
	bind_date(st, s, 4, start, &rc);
	bind_date(st, s, 5, end, &rc);
	bind_ts(st, s, 6, now, &rc);
	bind_int64(st, s, 7, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "person update", NULL);
}

int
store_person_update(struct store *st, int64_t id, const char *last_name,
    const char *first_name, const char *job_title, int32_t start,
    int32_t end, time_t now)
{
	int rc;

	if ((rc = person_row_update(st, id, last_name, first_name, job_title,
	    start, end, now)) != STORE_OK)
		return rc;
	return period_set_latest(st, id, start, end, now);
}

int
store_person_new_period(struct store *st, int64_t id, const char *last_name,
    const char *first_name, const char *job_title, int32_t start,
    int32_t end, time_t now)
{
	int rc;

	if ((rc = person_row_update(st, id, last_name, first_name, job_title,
	    start, end, now)) != STORE_OK)
		return rc;
	return period_insert(st, id, start, end, now);
}

int
store_person_set_end(struct store *st, int64_t id, int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_PERSON_SET_END, "UPDATE persons SET "
	    "hab_end = ?, updated_at = ? WHERE id = ?", &s)) != STORE_OK)
		return rc;
	bind_date(st, s, 1, end, &rc);
	bind_ts(st, s, 2, now, &rc);
	bind_int64(st, s, 3, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "person end", NULL)) != STORE_OK)
		return rc;
	return period_set_latest(st, id, DATE_NONE, end, now);
}

/* "partner/email": the audit object of a person. */
static void
person_object(struct buf *b, const char *partner_id, const char *email)
{
	buf_reset(b);
	buf_printf(b, "%s/%s", partner_id, email);
}

/*
 * The person pid/email of the spec is already in the annex, in the open
 * transaction: a new period when its habilitation ended before today
 * (person.period), else STORE_EXISTS.
 */
static int
person_rehabilitate(struct store *st, const struct store_person_spec *p,
    const struct store_person *old, int32_t today, const char *actor,
    time_t now, struct buf *obj, struct buf *detail)
{
	char d1[11], d2[11];
	int rc;

	store_date_text(old->start, d1);
	store_date_text(old->end, d2);
	if (old->end == DATE_NONE || old->end >= today)
		return store_seterr(st, STORE_EXISTS, "'%s' is already in the "
		    "annex of partner '%s', habilitated from %s to %s",
		    p->email, p->partner_id, d1, old->end == DATE_NONE ?
		    "(open)" : d2);
	if (p->start <= old->end) {
		store_date_text(p->start, d1);
		return store_seterr(st, STORE_REFUSED, "%s: a new habilitation "
		    "must start after the previous one ended (%s); --start "
		    "%s is not", p->email, d2, d1);
	}
	if ((rc = store_person_new_period(st, old->id, p->last_name,
	    p->first_name, p->job_title, p->start, p->end, now)) != STORE_OK)
		return rc;
	person_object(obj, p->partner_id, p->email);
	buf_printf(detail, "new period; last period %s to %s; ", d1, d2);
	store_date_text(p->start, d1);
	store_date_text(p->end, d2);
	buf_printf(detail, "last_name=%s; first_name=%s; job_title=%s; "
	    "start=%s; end=%s", p->last_name, p->first_name, p->job_title,
	    d1, d2);
	return obj->failed || detail->failed ? store_oom(st) :
	    store_audit_append(st, "admin", actor, "person.period",
	    buf_str(obj), buf_str(detail), now);
}

int
store_person_add(struct store *st, const struct store_person_spec *in,
    int32_t today, const char *actor, time_t now, int64_t *id)
{
	return store_person_habilitate(st, in, today, actor, now, id, NULL,
	    NULL);
}

int
store_person_habilitate(struct store *st, const struct store_person_spec *in,
    int32_t today, const char *actor, time_t now, int64_t *id,
    int32_t *prev_start, int32_t *prev_end)
{
	struct store_person old;
	int found;
	struct store_person_spec p;
	struct store_partner pa;
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	char *email = NULL, *last = NULL, *first = NULL, *job = NULL;
	char d1[11], d2[11];
	const char *pid = in->partner_id != NULL ? in->partner_id : "";
	int rc;

	memset(&pa, 0, sizeof(pa));
	if (prev_start != NULL)
		*prev_start = *prev_end = DATE_NONE;
	if (is_blank(in->email))
		return store_seterr(st, STORE_REFUSED, "email required");
	if ((rc = store_email_canon(in->email, &email)) != STORE_OK)
		return rc == STORE_REFUSED ? store_seterr(st, rc, "'%s' is "
		    "not an email address (local@domain.tld)", in->email) :
		    store_oom(st);
	if (is_blank(in->last_name) || is_blank(in->first_name)) {
		rc = store_seterr(st, STORE_REFUSED, "%s: last and first "
		    "names are required", email);
		goto done;
	}
	if (in->start == DATE_NONE) {
		rc = store_seterr(st, STORE_REFUSED, "%s: habilitation start "
		    "date required", email);
		goto done;
	}
	store_date_text(in->start, d1);
	store_date_text(in->end, d2);
	if (in->end != DATE_NONE && in->end < in->start) {
		rc = store_seterr(st, STORE_REFUSED, "%s: end %s is before "
		    "start %s", email, d2, d1);
		goto done;
	}
	if ((last = clean(in->last_name)) == NULL ||
	    (first = clean(in->first_name)) == NULL ||
	    (job = clean(in->job_title)) == NULL) {
		rc = store_oom(st);
		goto done;
	}
	p = *in;
	p.partner_id = pid;
	p.email = email;
	p.last_name = last;
	p.first_name = first;
	p.job_title = job;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_partner_get(st, pid, &pa)) != STORE_OK)
		goto out;
	/* Only when asked: store_person_add keeps answering STORE_EXISTS. */
	memset(&old, 0, sizeof(old));
	found = prev_start != NULL && store_person_get(st, pid, email, &old) ==
	    STORE_OK;
	/* One in force is named as such, before any quota is counted. */
	if ((found && (old.end == DATE_NONE || old.end >= today) &&
	    (rc = person_rehabilitate(st, &p, &old, today, actor, now, &obj,
	    &detail)) != STORE_OK) || (rc = store_quota_check(st, &pa, today,
	    &p.end, 1, 0)) != STORE_OK) {
		store_person_free(&old);
		goto out;
	}
	if (found) {
		rc = person_rehabilitate(st, &p, &old, today, actor, now, &obj,
		    &detail);
		if (rc == STORE_OK) {
			*prev_start = old.start;
			*prev_end = old.end;
			if (id != NULL)
				*id = old.id;
		}
		store_person_free(&old);
		goto out;
	}
	store_person_free(&old);
	if ((rc = store_person_insert(st, &p, now, id)) != STORE_OK)
		goto out;
	person_object(&obj, pid, email);
	buf_printf(&detail, "last_name=%s; first_name=%s; job_title=%s; "
	    "start=%s; end=%s", last, first, job, d1, d2);
	rc = obj.failed || detail.failed ? store_oom(st) :
	    store_audit_append(st, "admin", actor, "person.add",
	    buf_str(&obj), buf_str(&detail), now);
out:
	store_partner_free(&pa);
	rc = store_tx_end(st, rc);
done:
	free(email);
	free(last);
	free(first);
	free(job);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_person_get(struct store *st, const char *partner_id, const char *email,
    struct store_person *out)
{
	struct store_person extra;
	struct buf others = BUF_INIT;
	sqlite3_stmt *s;
	char *key;
	int rc, step = SQLITE_DONE, n = 0;

	memset(out, 0, sizeof(*out));
	if ((key = lower_trim(email)) == NULL)
		return store_oom(st);
	if ((rc = stmt_get(st, STMT_PERSON_BY_EMAIL, "SELECT " PERSON_COLS
	    " FROM persons WHERE email = ?1 AND (?2 IS NULL OR "
	    "partner_id = ?2) ORDER BY partner_id", &s)) != STORE_OK)
		goto done;
	bind_text(st, s, 1, key, &rc);
	bind_text(st, s, 2, partner_id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == 0) {
			if (person_from_row(s, out) == -1) {
				rc = store_oom(st);
				break;
			}
			buf_puts(&others, out->partner_id);
		} else {
			if (person_from_row(s, &extra) == -1) {
				rc = store_oom(st);
				break;
			}
			buf_printf(&others, ", %s", extra.partner_id);
			store_person_free(&extra);
		}
		n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "person get");
	else if (rc == STORE_OK && n == 0 && partner_id != NULL)
		rc = store_seterr(st, STORE_NOTFOUND, "no person '%s' in the "
		    "annex of partner '%s'", key, partner_id);
	else if (rc == STORE_OK && n == 0)
		rc = store_seterr(st, STORE_NOTFOUND, "no person '%s'", key);
	else if (rc == STORE_OK && n > 1)
		rc = store_seterr(st, STORE_REFUSED, "'%s' is in the annex of "
		    "several partners (%s): name the partner (--partner)", key,
		    buf_str(&others));
	stmt_done(s);
	if (rc != STORE_OK)
		store_person_free(out);
done:
	free(key);
	buf_free(&others);
	return rc;
}

int
store_person_end(struct store *st, const char *partner_id, const char *email,
    int32_t end, int32_t today, const char *actor, time_t now)
{
	struct store_person cur;
	struct buf obj = BUF_INIT;
	char d0[11], d1[11], ds[11], detail[64];
	int rc;

	if (end == DATE_NONE)
		return store_seterr(st, STORE_REFUSED, "end date required");
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_person_get(st, partner_id, email, &cur)) != STORE_OK)
		return store_tx_end(st, rc);
	store_date_text(cur.end, d0);
	store_date_text(end, d1);
	store_date_text(cur.start, ds);
	/*
	 * Only the period in force is shortened (DESIGN.md): an end that
	 * reopened an ended habilitation or pushed one further would let a
	 * person in past the partner's quota, which only an annex import
	 * (a new period) may do; one before the start would leave a period
	 * that never was.  The same end again changes nothing.
	 */
	if (cur.end != DATE_NONE && end == cur.end) {
		rc = STORE_OK;
		goto out;
	}
	if (cur.end != DATE_NONE && today != DATE_NONE && cur.end < today) {
		rc = store_seterr(st, STORE_REFUSED, "'%s' of partner '%s': "
		    "habilitation ended on %s; end %s refused (a new period "
		    "comes with an annex import)", cur.email, cur.partner_id,
		    d0, d1);
		goto out;
	}
	if (cur.end != DATE_NONE && end > cur.end) {
		rc = store_seterr(st, STORE_REFUSED, "'%s' of partner '%s': "
		    "end %s would extend the habilitation, which ends on %s "
		    "(person end only shortens it)", cur.email, cur.partner_id,
		    d1, d0);
		goto out;
	}
	if (end < cur.start) {
		rc = store_seterr(st, STORE_REFUSED, "'%s' of partner '%s': "
		    "end %s is before the habilitation start %s", cur.email,
		    cur.partner_id, d1, ds);
		goto out;
	}
	if ((rc = store_person_set_end(st, cur.id, end, now)) != STORE_OK)
		goto out;
	snprintf(detail, sizeof(detail), "end: %s -> %s", d0, d1);
	person_object(&obj, cur.partner_id, cur.email);
	rc = obj.failed ? store_oom(st) : store_audit_append(st, "admin", actor,
	    "person.end", buf_str(&obj), detail, now);
out:
	store_person_free(&cur);
	buf_free(&obj);
	return store_tx_end(st, rc);
}

/* ---- habilitations ---------------------------------------------------- */

void
store_habilitations_free(struct store_habilitations *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->owned[i]);
	free(h->owned);
	free(h->v);
	h->v = NULL;
	h->owned = NULL;
	h->n = 0;
}

int
store_habilitations(struct store *st, const char *email,
    struct store_habilitations *out)
{
	return store_habilitations_at(st, email, DATE_NONE, out);
}

int
store_habilitations_at(struct store *st, const char *email, int32_t day,
    struct store_habilitations *out)
{
	struct habilitation *hb;
	sqlite3_stmt *s;
	size_t cap = 0, ocap = 0;
	char *key;
	int rc, step = SQLITE_DONE, fail = 0;

	out->v = NULL;
	out->owned = NULL;
	out->n = 0;
	if ((key = lower_trim(email)) == NULL)
		return store_oom(st);
	/*
	 * One entry per listing, with the period that answers for `day`:
	 * the one in force; else the latest one started before it (decide
	 * says "habilitation ended"); else the next one to come ("not yet
	 * habilitated").  No day: the latest period.  A row without period
	 * (none since schema 2) answers with its own dates.
	 */
	if ((rc = stmt_get(st, STMT_HABILITATIONS, "SELECT p.partner_id, "
	    "pa.convention_start, pa.convention_end, "
	    /* the partner's suspension in force on the day too */
	    "CASE WHEN ?2 IS NULL THEN pa.suspended ELSE EXISTS (SELECT 1 "
	    "FROM partner_suspensions ps WHERE ps.partner_id = pa.id AND "
	    "ps.first_day <= ?2 AND (ps.last_day IS NULL OR "
	    "ps.last_day >= ?2)) END, "
	    "COALESCE(h.hab_start, p.hab_start), "
	    "CASE WHEN h.id IS NULL THEN p.hab_end ELSE h.hab_end END, "
	    /* the suspension in force on the day, not today's flag */
	    "CASE WHEN ?2 IS NULL THEN p.suspended ELSE EXISTS (SELECT 1 "
	    "FROM suspensions sp WHERE sp.person_id = p.id AND "
	    "sp.first_day <= ?2 AND (sp.last_day IS NULL OR "
	    "sp.last_day >= ?2)) END FROM persons p "
	    "JOIN partners pa ON pa.id = p.partner_id "
	    "LEFT JOIN hab_periods h ON h.id = (SELECT h2.id FROM hab_periods "
	    "h2 WHERE h2.person_id = p.id ORDER BY "
	    "CASE WHEN ?2 IS NULL THEN 0 WHEN h2.hab_start <= ?2 AND "
	    "(h2.hab_end IS NULL OR h2.hab_end >= ?2) THEN 0 "
	    "WHEN h2.hab_start <= ?2 THEN 1 ELSE 2 END, "
	    "CASE WHEN h2.hab_start > ?2 THEN h2.hab_start END, "
	    "h2.hab_start DESC, h2.id DESC LIMIT 1) "
	    "WHERE p.email = ?1 ORDER BY p.partner_id", &s)) != STORE_OK) {
		free(key);
		return rc;
	}
	bind_text(st, s, 1, key, &rc);
	bind_date(st, s, 2, day, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    ARRAY_RESERVE(out->owned, ocap, out->n)) {
			rc = store_oom(st);
			break;
		}
		hb = &out->v[out->n];
		out->owned[out->n] = col_str0(s, 0, &fail);
		if (fail) {
			rc = store_oom(st);
			break;
		}
		hb->partner_id = out->owned[out->n];
		hb->convention_start = col_date(s, 1);
		hb->convention_end = col_date(s, 2);
		hb->partner_suspended = sqlite3_column_int(s, 3) != 0;
		hb->start = col_date(s, 4);
		hb->end = col_date(s, 5);
		hb->person_suspended = sqlite3_column_int(s, 6) != 0;
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "habilitations");
	stmt_done(s);
	free(key);
	if (rc != STORE_OK)
		store_habilitations_free(out);
	return rc;
}
