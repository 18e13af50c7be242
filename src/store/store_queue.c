/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_queue - the messages waiting in each queue, by the record (see
 * include/balp/store_queue.h).
 *
 * One statement reads every current decision with its queue and its time:
 * the superseded decisions and those with a pending retriage are left out
 * by two uncorrelated NOT IN (each list is built once, so the query stays
 * linear in the decisions kept, 6 months of them, instead of a lookup per
 * decision kept); the
 * last release of a message is found by releases_decision's index.
 * store_queue_summary gives the same counts without reading each
 * decision, and store_queue_overdue the overdue ids besides, on the same
 * index: docs/store.md says how.
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
		free(l->v[i].before_ids);
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

/*
 * A decision an admin acted on (released, retriaged, or superseded by a
 * retriage's decision): where decisions_queue counts it, and where
 * store_queue_status puts it.
 */
struct moved {
	int64_t	 id;
	char	*queue;		/* decided */
	time_t	 decided;
	char	*now;		/* NULL: in no queue */
	time_t	 since;
};

struct moved_list {
	struct moved	*v;	/* by id */
	size_t		 n;
};

static void
moved_free(struct moved_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].queue);
		free(l->v[i].now);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
moved_has(const struct moved_list *l, int64_t id)
{
	size_t lo = 0, hi = l->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (l->v[mid].id == id)
			return 1;
		if (l->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* The decisions an admin acted on, with the same rules as the status. */
static int
moved_load(struct store *st, struct moved_list *out)
{
	sqlite3_stmt *s;
	struct moved *m;
	size_t cap = 0;
	const char *q, *now;
	int rc, step = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_QUEUE_MOVED, "SELECT d.id, d.queue, "
	    "CAST(strftime('%s', d.decided_at) AS INTEGER), "
	    "d.id IN (SELECT supersedes FROM decisions "
	    "WHERE supersedes IS NOT NULL) "
	    "OR d.id IN (SELECT decision_id FROM retriages), "
	    "coalesce(r.to_queue, d.queue), "
	    "CAST(strftime('%s', coalesce(r.at, d.decided_at)) AS INTEGER) "
	    "FROM decisions d LEFT JOIN releases r ON r.id = "
	    "(SELECT max(id) FROM releases WHERE decision_id = d.id) "
	    "WHERE d.id IN (SELECT supersedes FROM decisions "
	    "WHERE supersedes IS NOT NULL UNION SELECT decision_id "
	    "FROM retriages UNION SELECT decision_id FROM releases) "
	    "ORDER BY d.id", &s)) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		q = (const char *)sqlite3_column_text(s, 1);
		now = (const char *)sqlite3_column_text(s, 4);
		if (q == NULL || now == NULL) {
			rc = store_oom(st);
			break;
		}
		if (sqlite3_column_type(s, 2) == SQLITE_NULL ||
		    sqlite3_column_type(s, 5) == SQLITE_NULL) {
			rc = store_seterr(st, STORE_ERROR, "decision %" PRId64
			    ": its time (or its last release's) is not a"
			    " timestamp", (int64_t)sqlite3_column_int64(s, 0));
			break;
		}
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			rc = store_oom(st);
			break;
		}
		m = &out->v[out->n];
		memset(m, 0, sizeof(*m));
		out->n++;
		m->id = sqlite3_column_int64(s, 0);
		m->decided = (time_t)sqlite3_column_int64(s, 2);
		m->since = (time_t)sqlite3_column_int64(s, 5);
		if ((m->queue = buf_strdup(q)) == NULL ||
		    (!sqlite3_column_int(s, 3) &&
		    (m->now = buf_strdup(now)) == NULL)) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "queue status");
	stmt_done(s);
	if (rc != STORE_OK)
		moved_free(out);
	return rc;
}

/* By since, then id: store_queue_status's order within a queue. */
static int
item_cmp(const void *a, const void *b)
{
	const struct store_queue_item *x = a, *y = b;

	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	return (x->decision_id > y->decision_id) -
	    (x->decision_id < y->decision_id);
}

/*
 * The first want (at most q->before) decision ids of queue name waiting
 * since before cut, in store_queue_status's order, into q->before_ids: the
 * index's entries before cut in its order (decided_at's text, then the
 * rowid: the same as by time then id, the times being one format), less
 * those an admin moved, merged with the moved ones now waiting there
 * since before cut.  Only the ids given are read: a digest's 50 read 50
 * index entries, not the queue.
 */
static int
overdue_ids(struct store *st, const char *name, time_t cut, size_t want,
    const struct moved_list *mv, struct store_queue *q)
{
	sqlite3_stmt *s;
	struct store_queue_item *in = NULL, row;
	size_t nin = 0, cap = 0, k = 0, i;
	int rc = STORE_OK, step = SQLITE_ROW, have = 0;

	if (want > q->before)
		want = q->before;
	if (want == 0)
		return STORE_OK;
	for (i = 0; i < mv->n; i++) {
		if (mv->v[i].now == NULL || strcmp(mv->v[i].now, name) != 0 ||
		    mv->v[i].since >= cut)
			continue;
		if (ARRAY_RESERVE(in, cap, nin)) {
			free(in);
			return store_oom(st);
		}
		in[nin].decision_id = mv->v[i].id;
		in[nin++].since = mv->v[i].since;
	}
	if (nin > 1)
		qsort(in, nin, sizeof(*in), item_cmp);
	if ((q->before_ids = calloc(want, sizeof(*q->before_ids))) == NULL) {
		free(in);
		return store_oom(st);
	}
	/*
	 * The time only to merge the moved ones in (a third of the cost of
	 * every id of a million, for --json, when none is to be merged).
	 */
	if ((rc = stmt_get(st, STMT_QUEUE_OVERDUE, "SELECT id, CASE WHEN ?3 "
	    "THEN CAST(strftime('%s', decided_at) AS INTEGER) ELSE 0 END "
	    "FROM decisions WHERE queue = ?1 AND decided_at < ?2 "
	    "ORDER BY decided_at, id", &s)) != STORE_OK) {
		free(in);
		return rc;
	}
	bind_text(st, s, 1, name, &rc);
	bind_ts(st, s, 2, cut, &rc);
	bind_int64(st, s, 3, nin > 0, &rc);
	while (rc == STORE_OK && q->n_before_ids < want) {
		/* row: the index's next entry no admin moved, if any. */
		while (!have && step == SQLITE_ROW &&
		    (step = sqlite3_step(s)) == SQLITE_ROW) {
			row.decision_id = sqlite3_column_int64(s, 0);
			if (moved_has(mv, row.decision_id))
				continue;
			if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
				rc = store_seterr(st, STORE_ERROR, "decision %"
				    PRId64 ": its time is not a timestamp",
				    row.decision_id);
				break;
			}
			row.since = (time_t)sqlite3_column_int64(s, 1);
			have = 1;
		}
		if (rc != STORE_OK)
			break;
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = store_sqlerr(st, "queue overdue");
			break;
		}
		if (have && (k == nin || item_cmp(&row, &in[k]) < 0)) {
			q->before_ids[q->n_before_ids++] = row.decision_id;
			have = 0;
		} else if (k < nin)
			q->before_ids[q->n_before_ids++] = in[k++].decision_id;
		else
			break;	/* both ends reached: before counted no more */
	}
	stmt_done(s);
	free(in);
	return rc;
}

/*
 * Queue name's figures: the index's count, minus what was moved out of
 * it, plus what is now in it; with max_ids, the first overdue ids.  *q is
 * filled (q->name owned by the caller).
 */
static int
summary_one(struct store *st, const char *name, time_t cut, size_t max_ids,
    const struct moved_list *mv, struct store_queue *q)
{
	sqlite3_stmt *s;
	int64_t count = 0, before = 0, id;
	const struct moved *m;
	size_t i;
	int rc, step, found = 0, k;

	/*
	 * A bare count(*) on the index decodes no column: the overdue are
	 * the count less the recent, a short range at the index's end.
	 */
	for (k = 0; k < (cut != 0 ? 2 : 1); k++) {
		if ((rc = k == 0 ? stmt_get(st, STMT_QUEUE_COUNT, "SELECT "
		    "count(*) FROM decisions WHERE queue = ?1", &s) :
		    stmt_get(st, STMT_QUEUE_RECENT, "SELECT count(*) FROM "
		    "decisions WHERE queue = ?1 AND decided_at >= ?2", &s)) !=
		    STORE_OK)
			return rc;
		bind_text(st, s, 1, name, &rc);
		if (k == 1)
			bind_ts(st, s, 2, cut, &rc);
		if (rc == STORE_OK && sqlite3_step(s) == SQLITE_ROW) {
			if (k == 0)
				count = sqlite3_column_int64(s, 0);
			else
				before = count - sqlite3_column_int64(s, 0);
		} else if (rc == STORE_OK)
			rc = store_sqlerr(st, "queue count");
		stmt_done(s);
		if (rc != STORE_OK)
			return rc;
	}
	/* The oldest: the index's first that no admin moved. */
	if ((rc = stmt_get(st, STMT_QUEUE_OLDEST, "SELECT id, "
	    "CAST(strftime('%s', decided_at) AS INTEGER) FROM decisions "
	    "WHERE queue = ?1 ORDER BY decided_at, id", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, name, &rc);
	step = SQLITE_DONE;
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		if (moved_has(mv, id))
			continue;
		if (sqlite3_column_type(s, 1) == SQLITE_NULL)
			rc = store_seterr(st, STORE_ERROR, "decision %" PRId64
			    ": its time is not a timestamp", id);
		else {
			q->oldest = (time_t)sqlite3_column_int64(s, 1);
			found = 1;
		}
		break;
	}
	if (rc == STORE_OK && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = store_sqlerr(st, "queue oldest");
	stmt_done(s);
	if (rc != STORE_OK)
		return rc;
	for (i = 0; i < mv->n; i++) {
		m = &mv->v[i];
		if (strcmp(m->queue, name) == 0) {
			count--;
			before -= cut != 0 && m->decided < cut;
		}
		if (m->now != NULL && strcmp(m->now, name) == 0) {
			count++;
			before += cut != 0 && m->since < cut;
			if (!found || m->since < q->oldest)
				q->oldest = m->since;
			found = 1;
		}
	}
	q->count = count > 0 ? (size_t)count : 0;
	q->before = before > 0 ? (size_t)before : 0;
	return cut != 0 ? overdue_ids(st, name, cut, max_ids, mv, q) :
	    STORE_OK;
}

int
store_queue_summary(struct store *st,
    time_t (*cutoff)(const char *name, void *arg), void *arg,
    struct store_queue_list *out)
{
	return store_queue_overdue(st, cutoff, arg, 0, out);
}

int
store_queue_overdue(struct store *st,
    time_t (*cutoff)(const char *name, void *arg), void *arg,
    size_t max_ids, struct store_queue_list *out)
{
	sqlite3_stmt *s;
	struct moved_list mv;
	struct store_queue q;
	size_t cap = 0, nnames = 0, ncap = 0, i;
	char **names = NULL;
	const char *name;
	int rc, step = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	if ((rc = moved_load(st, &mv)) != STORE_OK)
		return rc;
	/*
	 * The queues named: each distinct decided queue by a walk of the
	 * index (one seek per name, not a scan), and where releases went.
	 */
	if ((rc = stmt_get(st, STMT_QUEUE_NAMES, "WITH RECURSIVE n(q) AS ("
	    "SELECT min(queue) FROM decisions UNION ALL "
	    "SELECT (SELECT min(queue) FROM decisions WHERE queue > n.q) "
	    "FROM n WHERE n.q IS NOT NULL) "
	    "SELECT q FROM n WHERE q IS NOT NULL "
	    "UNION SELECT to_queue FROM releases ORDER BY 1", &s)) !=
	    STORE_OK) {
		moved_free(&mv);
		return rc;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((name = (const char *)sqlite3_column_text(s, 0)) == NULL ||
		    ARRAY_RESERVE(names, ncap, nnames) ||
		    (names[nnames] = buf_strdup(name)) == NULL) {
			rc = store_oom(st);
			break;
		}
		nnames++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "queue names");
	stmt_done(s);
	for (i = 0; rc == STORE_OK && i < nnames; i++) {
		memset(&q, 0, sizeof(q));
		if ((rc = summary_one(st, names[i], cutoff != NULL ?
		    cutoff(names[i], arg) : 0, max_ids, &mv, &q)) !=
		    STORE_OK) {
			free(q.before_ids);
			break;
		}
		if (q.count == 0) {
			free(q.before_ids);
			continue;
		}
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			free(q.before_ids);
			rc = store_oom(st);
			break;
		}
		q.name = names[i];
		names[i] = NULL;
		out->v[out->n++] = q;
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	moved_free(&mv);
	if (rc != STORE_OK)
		store_queue_list_free(out);
	return rc;
}
