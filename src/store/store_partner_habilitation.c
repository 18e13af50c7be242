/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner_habilitation - store_habilitations(), the one lookup of
 * the annex decide() uses (see include/balp/store_partner.h): every
 * listing of a sender's email with its partner and the period that
 * answers for the day.  Apart from the annex's writes
 * (store_partner_person.c) because it is the pipeline's read, once per
 * message, and changes nothing.
 *
 * Ownership: struct store_habilitations owns its strings
 * (store_habilitations_free).  Failure: a status, message in
 * store_errmsg().
 */
#include "balp/store_partner.h"

#include <stdlib.h>

#include "balp/array.h"
#include "balp/date.h"
#include "store_priv.h"

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
