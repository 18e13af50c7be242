/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner - partners (their convention, suspension and quota) and
 * the quota rule (see include/balp/store_partner.h).  The rest of the
 * partner module is apart, each file a concern of its own:
 * store_partner_update.c (what a partner's record may hold, partner
 * update), store_partner_person.c (the annex of persons),
 * store_partner_habilitation.c (the lookup decide() uses),
 * store_suspension.c (a person's suspensions).
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

/* ---- the quota rule --------------------------------------------------- */

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
