/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_queue - the messages waiting in each queue, by the record (see
 * include/balp/store_queue.h).
 *
 * One statement reads every current decision with its queue and its time:
 * the superseded decisions and those with a pending retriage are left out
 * by two uncorrelated NOT IN (each list is built once, so the query stays
 * linear in the decisions kept, 6 months of them, where a NOT EXISTS per
 * row would scan decisions.supersedes, which has no index, for each); the
 * last release of a message is found by releases_decision's index.
 *
 * Ownership: struct store_queue_list owns everything in it.  Failure: a
 * status, message in store_errmsg().
 */
#include "balp/store_queue.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "store_priv.h"

void
store_queue_list_free(struct store_queue_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].items);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

const struct store_queue *
store_queue_find(const struct store_queue_list *l, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/*
 * Adds one row (queue name, decision id, since) to out; rows come sorted
 * by queue, so a new name opens a new entry.  *cap is out->v's capacity,
 * *icap the last entry's items capacity.
 */
static int
add_row(struct store *st, struct store_queue_list *out, size_t *cap,
    size_t *icap, const char *name, int64_t id, time_t since)
{
	struct store_queue *q;

	if (out->n == 0 || strcmp(out->v[out->n - 1].name, name) != 0) {
		if (ARRAY_RESERVE(out->v, *cap, out->n))
			return store_oom(st);
		q = &out->v[out->n];
		if ((q->name = buf_strdup(name)) == NULL)
			return store_oom(st);
		out->n++;
		*icap = 0;
		q->oldest = since;
	}
	q = &out->v[out->n - 1];
	if (ARRAY_RESERVE(q->items, *icap, q->count))
		return store_oom(st);
	q->items[q->count].decision_id = id;
	q->items[q->count].since = since;
	q->count++;
	return STORE_OK;
}

int
store_queue_status(struct store *st, struct store_queue_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0, icap = 0;
	const char *name;
	int64_t id;
	int rc, step = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	/*
	 * A decision's time is UTC ISO 8601 ("...Z"), which strftime('%s')
	 * reads; anything else gives NULL and is reported.
	 */
	if ((rc = stmt_get(st, STMT_QUEUE_STATUS, "SELECT d.id, "
	    "coalesce(r.to_queue, d.queue) AS q, "
	    "CAST(strftime('%s', coalesce(r.at, d.decided_at)) AS INTEGER) "
	    "AS since "
	    "FROM decisions d LEFT JOIN releases r ON r.id = "
	    "(SELECT max(id) FROM releases WHERE decision_id = d.id) "
	    "WHERE d.id NOT IN (SELECT supersedes FROM decisions "
	    "WHERE supersedes IS NOT NULL) "
	    "AND d.id NOT IN (SELECT decision_id FROM retriages) "
	    "ORDER BY q, since, d.id", &s)) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		name = (const char *)sqlite3_column_text(s, 1);
		/* Both queue columns are NOT NULL: NULL is sqlite's ENOMEM. */
		if (name == NULL) {
			rc = store_oom(st);
			break;
		}
		if (sqlite3_column_type(s, 2) == SQLITE_NULL) {
			rc = store_seterr(st, STORE_ERROR, "decision %" PRId64
			    ": its time (or its last release's) is not a"
			    " timestamp", id);
			break;
		}
		if ((rc = add_row(st, out, &cap, &icap, name, id,
		    (time_t)sqlite3_column_int64(s, 2))) != STORE_OK)
			break;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "queue status");
	stmt_done(s);
	if (rc != STORE_OK)
		store_queue_list_free(out);
	return rc;
}

void
store_queue_days_free(struct store_queue_days *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
store_queue_days(struct store *st, struct store_queue_days *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	const char *name;
	int rc, step = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	/*
	 * The same current decisions as store_queue_status, grouped by
	 * queue and by local day ('localtime': the C library's, as
	 * pipeline_today's localtime_r).  A time that is no timestamp
	 * makes a NULL day: reported.
	 */
	if ((rc = stmt_get(st, STMT_QUEUE_DAYS, "SELECT q, min(since), "
	    "count(*), day FROM (SELECT coalesce(r.to_queue, d.queue) AS q, "
	    "CAST(strftime('%s', coalesce(r.at, d.decided_at)) AS INTEGER) "
	    "AS since, date(coalesce(r.at, d.decided_at), 'localtime') AS day "
	    "FROM decisions d LEFT JOIN releases r ON r.id = "
	    "(SELECT max(id) FROM releases WHERE decision_id = d.id) "
	    "WHERE d.id NOT IN (SELECT supersedes FROM decisions "
	    "WHERE supersedes IS NOT NULL) "
	    "AND d.id NOT IN (SELECT decision_id FROM retriages)) "
	    "GROUP BY q, day ORDER BY q, day", &s)) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((name = (const char *)sqlite3_column_text(s, 0)) == NULL) {
			rc = store_oom(st);
			break;
		}
		if (sqlite3_column_type(s, 1) == SQLITE_NULL ||
		    sqlite3_column_type(s, 3) == SQLITE_NULL) {
			rc = store_seterr(st, STORE_ERROR, "a decision in %s: "
			    "its time (or its last release's) is not a "
			    "timestamp", name);
			break;
		}
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    (out->v[out->n].name = buf_strdup(name)) == NULL) {
			rc = store_oom(st);
			break;
		}
		out->v[out->n].first = (time_t)sqlite3_column_int64(s, 1);
		out->v[out->n].count = (size_t)sqlite3_column_int64(s, 2);
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "queue days");
	stmt_done(s);
	if (rc != STORE_OK)
		store_queue_days_free(out);
	return rc;
}
