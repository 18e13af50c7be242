/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner_person - the annex of a partner's persons (see
 * include/balp/store_partner.h): their rows and lists, the periods of
 * their habilitation, person add (a new period for one whose habilitation
 * ended), get and end; and the person writes without their own
 * transaction that annex.c needs (store_priv.h).  Apart from
 * store_partner.c, which keeps to the partners themselves and the quota
 * rule these writes check.
 *
 * Every public write is BEGIN IMMEDIATE ... COMMIT with its audit row:
 * the write lock is taken before the first read, so a quota count cannot
 * be raced by a second process.
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
#include "store_priv.h"

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

/*
 * The persons of one partner (where: "p.partner_id = ?1", by the index of
 * UNIQUE (partner_id, email)) or of all (where: "?1 IS NULL"): two
 * statements, because one with "(?1 IS NULL OR p.partner_id = ?1)" read
 * every person of every partner for one partner's list (its page, each
 * annex mailed, checked, approved or imported): 5,600 persons for the
 * 171 of the largest partner, and persons are kept six years after
 * their habilitation ends.
 */
#define PERSON_LIST(where) "SELECT p.id, p.partner_id, " \
	"p.last_name, p.first_name, p.email, p.job_title, " \
	"COALESCE(h.hab_start, p.hab_start), " \
	"CASE WHEN h.id IS NULL THEN p.hab_end ELSE h.hab_end END, " \
	"CASE WHEN ?2 IS NULL THEN p.suspended ELSE sp.id IS NOT NULL " \
	"END, CASE WHEN ?2 IS NULL THEN p.suspend_reason ELSE sp.reason " \
	"END, p.created_at, p.updated_at, " \
	PREV_END("p") " FROM persons p LEFT JOIN hab_periods h ON " \
	"?2 IS NOT NULL AND h.person_id = p.id AND h.hab_start <= ?2 " \
	"AND (h.hab_end IS NULL OR h.hab_end >= ?2) " \
	"LEFT JOIN suspensions sp ON ?2 IS NOT NULL AND " \
	"sp.person_id = p.id AND sp.first_day <= ?2 AND " \
	"(sp.last_day IS NULL OR sp.last_day >= ?2) " \
	"WHERE " where " AND (?2 IS NULL OR h.id IS NOT NULL) " \
	"ORDER BY p.partner_id, p.last_name, p.first_name, p.email, p.id"

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
	if (partner_id != NULL)
		rc = stmt_get(st, STMT_PERSON_LIST_PARTNER, PERSON_LIST(
		    "p.partner_id = ?1"), &s);
	else
		rc = stmt_get(st, STMT_PERSON_LIST, PERSON_LIST("?1 IS NULL"),
		    &s);
	if (rc != STORE_OK)
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
