/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_referent - a partner's referents (see include/balp/store_referent.h).
 * The writes, without their own transaction, are in store_priv.h: partner
 * add and update call them inside theirs, with their audit row.
 */
#include "balp/store_referent.h"

#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "store_priv.h"

void
store_referent_list_free(struct store_referent_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The first column of every row of s (bound, or failed in rc). */
static int
read_column(struct store *st, sqlite3_stmt *s, int rc,
    struct store_referent_list *out)
{
	size_t cap = 0;
	int step = SQLITE_DONE, fail = 0;

	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    (out->v[out->n] = col_str0(s, 0, &fail)) == NULL || fail) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "referent list");
	stmt_done(s);
	if (rc != STORE_OK)
		store_referent_list_free(out);
	return rc;
}

int
store_referent_list(struct store *st, const char *partner_id,
    struct store_referent_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_REFERENT_LIST, "SELECT email FROM "
	    "partner_referents WHERE partner_id = ? ORDER BY email", &s)) !=
	    STORE_OK)
		return rc;
	bind_text(st, s, 1, partner_id, &rc);
	return read_column(st, s, rc, out);
}

int
store_referent_partners(struct store *st, const char *email,
    struct store_referent_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_REFERENT_PARTNERS, "SELECT partner_id "
	    "FROM partner_referents WHERE email = ? ORDER BY partner_id",
	    &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, email, &rc);
	return read_column(st, s, rc, out);
}

int
store_referent_insert(struct store *st, const char *partner_id,
    const char *email, time_t now, int *added)
{
	sqlite3_stmt *s;
	int rc;

	*added = 0;
	if ((rc = stmt_get(st, STMT_REFERENT_INSERT, "INSERT INTO "
	    "partner_referents (partner_id, email, created_at) VALUES "
	    "(?, ?, ?) ON CONFLICT (partner_id, email) DO NOTHING", &s)) !=
	    STORE_OK)
		return rc;
	bind_text(st, s, 1, partner_id, &rc);
	bind_text(st, s, 2, email, &rc);
	bind_ts(st, s, 3, now, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "referent insert", added);
}

int
store_referent_delete(struct store *st, const char *partner_id,
    const char *email, int *removed)
{
	sqlite3_stmt *s;
	int rc;

	*removed = 0;
	if ((rc = stmt_get(st, STMT_REFERENT_DELETE, "DELETE FROM "
	    "partner_referents WHERE partner_id = ? AND email = ?", &s)) !=
	    STORE_OK)
		return rc;
	bind_text(st, s, 1, partner_id, &rc);
	bind_text(st, s, 2, email, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "referent delete", removed);
}
