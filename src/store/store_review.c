/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_review - the yearly reverse review's reading of the store (see
 * include/balp/store_review.h): the partners, their persons and the
 * decisions' counts, in one read transaction.
 *
 * Ownership: the review owns every string (store_review_free).  Failure:
 * a status, message in store_errmsg().
 */
#include "balp/store_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "store_priv.h"

static void
review_person_free(struct store_review_person *p)
{
	free(p->last_name);
	free(p->first_name);
	free(p->email);
	free(p->job_title);
	free(p->suspend_reason);
	memset(p, 0, sizeof(*p));
}

void
store_review_free(struct store_review *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		n += r->v[i].n;
		store_partner_free(&r->v[i].partner);
	}
	for (i = 0; i < n; i++)
		review_person_free(&r->persons[i]);
	free(r->persons);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The partners of the review, as store_partner_list or _get give them. */
static int
review_partners(struct store *st, const char *partner_id,
    struct store_review *out)
{
	struct store_partner_list l = { NULL, 0 };
	struct store_partner one;
	int rc;

	if (partner_id != NULL) {
		if ((rc = store_partner_get(st, partner_id, &one)) != STORE_OK)
			return rc;
		if ((out->v = calloc(1, sizeof(*out->v))) == NULL) {
			store_partner_free(&one);
			return store_oom(st);
		}
		out->v[0].partner = one;
		out->n = 1;
		return STORE_OK;
	}
	if ((rc = store_partner_list(st, &l)) != STORE_OK)
		return rc;
	if (l.n > 0 && (out->v = calloc(l.n, sizeof(*out->v))) == NULL) {
		store_partner_list_free(&l);
		return store_oom(st);
	}
	/* The partners move into the review: free only the array. */
	for (out->n = 0; out->n < l.n; out->n++)
		out->v[out->n].partner = l.v[out->n];
	free(l.v);
	return STORE_OK;
}

static int
review_person_from_row(sqlite3_stmt *s, struct store_review_person *p)
{
	int fail = 0;

	memset(p, 0, sizeof(*p));
	p->last_name = col_str0(s, 1, &fail);
	p->first_name = col_str0(s, 2, &fail);
	p->email = col_str0(s, 3, &fail);
	p->job_title = col_str0(s, 4, &fail);
	p->start = col_date(s, 5);
	p->end = col_date(s, 6);
	p->suspended = sqlite3_column_int(s, 7) != 0;
	p->suspend_reason = col_str(s, 8, &fail);
	p->first_start = col_date(s, 9);
	if (p->first_start == DATE_NONE)
		p->first_start = p->start;
	p->last_message = col_date(s, 10);
	p->n_accepted = (size_t)sqlite3_column_int64(s, 11);
	p->n_rejected = (size_t)sqlite3_column_int64(s, 12);
	p->n_quarantined = (size_t)sqlite3_column_int64(s, 13);
	p->used = sqlite3_column_int(s, 14) != 0;
	if (fail) {
		review_person_free(p);
		return -1;
	}
	return 0;
}

/*
 * The review's statement, of one partner (dwhere "partner_id = ?1", pwhere
 * "p.partner_id = ?1": its decisions by decisions_partner, its persons by
 * their partner's index) or of all (both "?1 IS NULL"): two statements,
 * because one with "(?1 IS NULL OR partner_id = ?1)" read every decision
 * and every person for one partner's review (`balpctl review --partner`):
 * 0.42 s for the 8,400 decisions of the largest partner among 200,000,
 * 0.03 s by its index.
 */
#define REVIEW_PERSONS(dwhere, pwhere) "WITH sup(id) AS " \
	"MATERIALIZED (SELECT supersedes FROM decisions WHERE supersedes " \
	"IS NOT NULL) SELECT p.partner_id, " \
	"p.last_name, p.first_name, p.email, p.job_title, p.hab_start, " \
	"p.hab_end, p.suspended, p.suspend_reason, " \
	"(SELECT min(h.hab_start) FROM hab_periods h WHERE " \
	"h.person_id = p.id), " \
	"a.last_day, coalesce(a.n_acc, 0), coalesce(a.n_rej, 0), " \
	"coalesce(a.n_qua, 0), " \
	"a.sender IS NOT NULL AND EXISTS (SELECT 1 FROM decisions d " \
	"JOIN hab_periods h ON h.person_id = p.id WHERE d.sender = p.email " \
	"AND d.partner_id = p.partner_id AND d.supersedes IS NULL AND " \
	"',' || d.reasons || ',' NOT LIKE '%,auth_failed,%' AND " \
	"date(d.decided_at, 'localtime') BETWEEN h.hab_start AND " \
	"min(coalesce(h.hab_end, ?2), ?2)) " \
	"FROM persons p LEFT JOIN (SELECT sender, partner_id, " \
	"max(CASE WHEN supersedes IS NULL AND " \
	"',' || reasons || ',' NOT LIKE '%,auth_failed,%' THEN day END) " \
	"AS last_day, " \
	"sum(cur AND day >= ?3 AND outcome = 'accepted') AS n_acc, " \
	"sum(cur AND day >= ?3 AND outcome = 'rejected') AS n_rej, " \
	"sum(cur AND day >= ?3 AND outcome = 'quarantined') AS n_qua " \
	"FROM (SELECT sender, partner_id, outcome, reasons, supersedes, " \
	"date(decided_at, 'localtime') AS day, id NOT IN (SELECT id FROM " \
	"sup) AS cur " \
	"FROM decisions WHERE sender IS NOT NULL AND partner_id IS NOT " \
	"NULL AND " dwhere ") WHERE day <= ?2 " \
	"GROUP BY sender, partner_id) a ON a.sender = p.email AND " \
	"a.partner_id = p.partner_id " \
	"WHERE " pwhere " AND " \
	"(p.hab_end IS NULL OR p.hab_end >= ?3) " \
	"ORDER BY p.partner_id, p.last_name, p.first_name, p.email, p.id"

int
store_review(struct store *st, const char *partner_id, int32_t now,
    int32_t year_start, struct store_review *out)
{
	struct store_review_partner *pa;
	sqlite3_stmt *s;
	size_t cap = 0, n = 0, k = 0, i, *first = NULL;
	const char *pid;
	int32_t start, end;
	int rc, step = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	if (now == DATE_NONE || year_start == DATE_NONE || year_start > now)
		return store_seterr(st, STORE_REFUSED, "review: the year must "
		    "end on the review day");
	if ((rc = review_partners(st, partner_id, out)) != STORE_OK)
		return rc;
	if (out->n > 0 && (first = calloc(out->n, sizeof(*first))) == NULL) {
		store_review_free(out);
		return store_oom(st);
	}
	/*
	 * One pass over the decisions of the partners reviewed (the
	 * decisions_partner index), grouped by sender.  A decision's day is
	 * local, as the day the pipeline judged it by.  Superseded decisions
	 * (a retriage decided the message again) are left out of the counts
	 * through the list `sup`, read once.  Every person whose latest
	 * period ends on year_start or later comes back, so the quota count
	 * (the persons not ended on now) is made here too, in C, with the
	 * store's rule.
	 */
	if (partner_id != NULL)
		rc = stmt_get(st, STMT_REVIEW_PERSONS_PARTNER, REVIEW_PERSONS(
		    "partner_id = ?1", "p.partner_id = ?1"), &s);
	else
		rc = stmt_get(st, STMT_REVIEW_PERSONS, REVIEW_PERSONS(
		    "?1 IS NULL", "?1 IS NULL"), &s);
	if (rc != STORE_OK)
		goto out;
	bind_text(st, s, 1, partner_id, &rc);
	bind_date(st, s, 2, now, &rc);
	bind_date(st, s, 3, year_start, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		/* Both in id order: the row's partner is here or further. */
		pid = (const char *)sqlite3_column_text(s, 0);
		while (k < out->n && pid != NULL &&
		    strcmp(out->v[k].partner.id, pid) < 0)
			k++;
		if (k == out->n || pid == NULL ||
		    strcmp(out->v[k].partner.id, pid) != 0)
			continue;	/* a partner added since the list */
		pa = &out->v[k];
		start = col_date(s, 5);
		end = col_date(s, 6);
		if (store_person_counts(end, now))
			pa->counted++;
		if (end != DATE_NONE && end < start)
			continue;
		if (ARRAY_RESERVE(out->persons, cap, n) ||
		    review_person_from_row(s, &out->persons[n]) == -1) {
			rc = store_oom(st);
			break;
		}
		if (pa->n == 0)
			first[k] = n;
		n++;
		pa->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "review");
	stmt_done(s);
	/* The array has stopped moving: the partners may point into it. */
	for (i = 0; rc == STORE_OK && i < out->n; i++)
		out->v[i].v = out->v[i].n > 0 ? &out->persons[first[i]] : NULL;
out:
	free(first);
	if (rc != STORE_OK)
		store_review_free(out);
	return rc;
}
