/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_decision_find - decisions read back (see
 * include/balp/store_decision.h): one by its message, its header key or
 * its id; the decisions of many messages of a source at once (a pass);
 * the trace's list, indexed, and its audit note; a decision's findings.
 * Apart from store_decision.c, which records them: reading changes
 * nothing, and the trace's list is a concern of its own.
 *
 * Ownership: result structs own their strings (their *_free).  Failure: a
 * status, message in store_errmsg().
 */
#include "balp/store_decision.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/store_audit.h"
#include "balp/text.h"
#include "store_priv.h"

/* ---- decisions read back ---------------------------------------------- */

#define DECISION_COLS "id, decided_at, source, source_ref, message_id, " \
	"sender, partner_id, type, outcome, reasons, queue, nir_pseudonym, " \
	"supersedes"

static int
decision_from_row(sqlite3_stmt *s, struct store_decision *d)
{
	int fail = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->decided_at = col_str0(s, 1, &fail);
	d->source = col_str0(s, 2, &fail);
	d->source_ref = col_str0(s, 3, &fail);
	d->message_id = col_str(s, 4, &fail);
	d->sender = col_str(s, 5, &fail);
	d->partner_id = col_str(s, 6, &fail);
	d->type = col_str(s, 7, &fail);
	d->outcome = col_str0(s, 8, &fail);
	d->reasons = col_str0(s, 9, &fail);
	d->queue = col_str0(s, 10, &fail);
	d->nir_pseudonym = col_str(s, 11, &fail);
	d->supersedes = sqlite3_column_int64(s, 12);
	if (fail) {
		store_decision_free(d);
		return -1;
	}
	return 0;
}

void
store_decision_free(struct store_decision *d)
{
	free(d->decided_at);
	free(d->source);
	free(d->source_ref);
	free(d->message_id);
	free(d->sender);
	free(d->partner_id);
	free(d->type);
	free(d->outcome);
	free(d->reasons);
	free(d->queue);
	free(d->nir_pseudonym);
	memset(d, 0, sizeof(*d));
}

int
store_decision_traced(struct store *st, const char *actor,
    const struct store_decision_filter *f, int32_t since, int32_t until,
    size_t rows, time_t now)
{
	struct buf d = BUF_INIT;
	char day[11];
	int rc;

	if (since != DATE_NONE) {
		date_format_iso(since, day);
		buf_printf(&d, "since=%s; ", day);
	}
	if (until != DATE_NONE) {
		date_format_iso(until, day);
		buf_printf(&d, "until=%s; ", day);
	}
	if (f->partner_id != NULL)
		buf_printf(&d, "partner=%s; ", f->partner_id);
	if (f->sender != NULL)
		buf_printf(&d, "sender=%s; ", f->sender);
	if (f->outcome != NULL)
		buf_printf(&d, "outcome=%s; ", f->outcome);
	if (f->reason != NULL)
		buf_printf(&d, "reason=%s; ", f->reason);
	if (f->type != NULL)
		buf_printf(&d, "type=%s; ", f->type);
	if (f->queue != NULL)
		buf_printf(&d, "queue=%s; ", f->queue);
	if (f->nir_pseudonym != NULL)
		buf_printf(&d, "nir_pseudonym=%s; ", f->nir_pseudonym);
	buf_printf(&d, "rows=%zu", rows);
	if (d.failed) {
		buf_free(&d);
		return store_seterr(st, STORE_ERROR, "out of memory");
	}
	rc = store_audit_note(st, actor, "trace.query", "decisions",
	    buf_str(&d), now);
	buf_free(&d);
	return rc;
}

void
store_decision_list_free(struct store_decision_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_decision_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_decision_findings(struct store *st, int64_t id, char **out)
{
	sqlite3_stmt *s;
	int rc, step, fail = 0;

	*out = NULL;
	if ((rc = stmt_get(st, STMT_FINDINGS_GET, "SELECT findings FROM "
	    "decision_findings WHERE decision_id = ?1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*out = col_str(s, 0, &fail);
		step = fail ? SQLITE_NOMEM : sqlite3_step(s);
	}
	if (fail)
		rc = store_oom(st);
	else if (step != SQLITE_DONE)
		rc = store_sqlerr(st, "findings get");
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Steps a bound statement for at most one decision row into *out and
 * hands the statement back.  STORE_NOTFOUND (message left to the caller,
 * who knows what it looked for) when there is none.
 */
static int
decision_one(struct store *st, sqlite3_stmt *s, int rc,
    struct store_decision *out, const char *what)
{
	if (rc == STORE_OK) {
		switch (sqlite3_step(s)) {
		case SQLITE_ROW:
			rc = decision_from_row(s, out) == 0 ? STORE_OK :
			    store_oom(st);
			break;
		case SQLITE_DONE:
			rc = STORE_NOTFOUND;
			break;
		default:
			rc = store_sqlerr(st, what);
		}
	}
	stmt_done(s);
	return rc;
}

int
store_decision_find(struct store *st, const char *source,
    const char *source_ref, struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_FIND, "SELECT " DECISION_COLS
	    " FROM decisions WHERE source = ? AND source_ref = ?", &s))
	    != STORE_OK)
		return rc;
	bind_text(st, s, 1, source, &rc);
	bind_text(st, s, 2, source_ref, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision find")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision for %s:%s",
		    source ? source : "", source_ref ? source_ref : "");
	return rc;
}

int
store_decision_find_by_key(struct store *st, const char *header_key,
    struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_FIND_BY_KEY, "SELECT "
	    DECISION_COLS " FROM decisions WHERE header_key = ?1 ORDER BY id"
	    " DESC LIMIT 1", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, header_key, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision find by key")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision for that"
		    " message");
	return rc;
}

int
store_decision_get(struct store *st, int64_t id, struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_DECISION_GET, "SELECT " DECISION_COLS
	    " FROM decisions WHERE id = ?1", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if ((rc = decision_one(st, s, rc, out, "decision get")) ==
	    STORE_NOTFOUND)
		rc = store_seterr(st, STORE_NOTFOUND, "no decision %" PRId64,
		    id);
	return rc;
}

/* refs sorted by text, to map each row found back to its entries. */
struct ref_slot {
	const char	*ref;
	size_t		 i;
};

static int
ref_slot_cmp(const void *a, const void *b)
{
	const struct ref_slot *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ref, y->ref)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Fills every out[] whose ref is the current row's (a ref may repeat). */
static int
find_many_row(sqlite3_stmt *s, const struct ref_slot *slot, size_t nslot,
    struct store_decision *out)
{
	const char *ref = (const char *)sqlite3_column_text(s, 3);
	size_t lo = 0, hi = nslot, mid;

	if (ref == NULL)
		return 0;
	while (lo < hi) {		/* the first slot >= ref */
		mid = lo + (hi - lo) / 2;
		if (strcmp(slot[mid].ref, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nslot && strcmp(slot[lo].ref, ref) == 0; lo++) {
		if (out[slot[lo].i].id != 0)
			continue;
		if (decision_from_row(s, &out[slot[lo].i]) == -1)
			return -1;
	}
	return 0;
}

int
store_decision_find_many(struct store *st, const char *source,
    const char *const *refs, size_t n, struct store_decision *out)
{
	struct buf json = BUF_INIT;
	struct ref_slot *slot = NULL;
	struct store_decision one;
	sqlite3_stmt *s = NULL;
	size_t i, nslot = 0;
	int rc = STORE_OK, step = SQLITE_DONE;

	if (n > 0)
		memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return STORE_OK;
	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		return store_oom(st);
	buf_putc(&json, '[');
	for (i = 0; i < n; i++) {
		if (refs[i] == NULL)
			continue;
		/* JSON carries UTF-8 only: another ref is looked up alone. */
		if (!text_utf8_valid(refs[i], strlen(refs[i]))) {
			rc = store_decision_find(st, source, refs[i], &one);
			if (rc == STORE_OK)
				out[i] = one;
			else if (rc != STORE_NOTFOUND)
				goto out;
			rc = STORE_OK;
			continue;
		}
		if (nslot > 0)
			buf_putc(&json, ',');
		json_string(&json, refs[i]);
		slot[nslot].ref = refs[i];
		slot[nslot++].i = i;
	}
	buf_putc(&json, ']');
	if (json.failed) {
		rc = store_oom(st);
		goto out;
	}
	if (nslot == 0)
		goto out;
	qsort(slot, nslot, sizeof(*slot), ref_slot_cmp);
	/*
	 * One statement for a whole pass; the IN list is a subquery on
	 * json_each, so the (source, source_ref) unique index answers it.
	 */
	if ((rc = stmt_get(st, STMT_DECISION_FIND_MANY, "SELECT "
	    DECISION_COLS " FROM decisions WHERE source = ?1 AND "
	    "source_ref IN (SELECT value FROM json_each(?2))", &s))
	    != STORE_OK)
		goto out;
	bind_text(st, s, 1, source, &rc);
	bind_text(st, s, 2, buf_str(&json), &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW)
		if (find_many_row(s, slot, nslot, out) == -1)
			rc = store_oom(st);
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "decision find many");
	stmt_done(s);
out:
	if (rc != STORE_OK)
		for (i = 0; i < n; i++)
			store_decision_free(&out[i]);
	free(slot);
	buf_free(&json);
	return rc;
}

/*
 * The trace filter, ANDed; an unset (NULL) parameter lets every row
 * through.  Reasons are matched as whole codes in the comma-separated
 * list (instr, not LIKE: '_' in a code is a LIKE wildcard).
 */
#define DECISION_FILTER \
	"(?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR sender = ?2) " \
	"AND (?3 IS NULL OR decided_at >= ?3) " \
	"AND (?4 IS NULL OR decided_at < ?4) " \
	"AND (?5 IS NULL OR outcome = ?5) " \
	"AND (?6 IS NULL OR instr(',' || reasons || ',', ',' || ?6 || ',') " \
	"> 0) AND (?7 IS NULL OR type = ?7) " \
	"AND (?8 IS NULL OR nir_pseudonym = ?8) " \
	"AND (?10 IS NULL OR queue = ?10)"

/*
 * One fixed statement (cached), yet indexed: `?N IS NULL OR col = ?N`
 * alone makes sqlite scan the whole table, so the query is four branches
 * whose guards on the parameters are constants (evaluated once; exactly
 * one branch runs): by pseudonym (decisions_pseudonym), else by partner
 * (decisions_partner), else by sender (decisions_sender), else a scan
 * from the newest row, which LIMIT stops early.  Each branch yields ids
 * in order, so the UNION ALL is a merge, with no sort.  On a million
 * rows (a year at one decision every 30 s): --nir 0 ms instead of a
 * 170 ms scan, --sender 6 ms; a period alone scans, 120 ms: hence the
 * statement below for a period alone.
 */
#define DECISION_SELECT "SELECT " DECISION_COLS " FROM decisions WHERE "
#define DECISION_BRANCHES \
	DECISION_SELECT "?8 IS NOT NULL AND nir_pseudonym = ?8 AND " \
	DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NOT NULL AND " \
	"partner_id = ?1 AND " DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NULL AND ?2 IS NOT NULL AND " \
	"sender = ?2 AND " DECISION_FILTER " UNION ALL " \
	DECISION_SELECT "?8 IS NULL AND ?1 IS NULL AND ?2 IS NULL AND " \
	DECISION_FILTER " ORDER BY id DESC LIMIT ?9"

/*
 * A period with no pseudonym, partner or sender: the period's rows by
 * decisions_decided, newest first, which LIMIT stops early; not the
 * table from its newest row, which reads every later decision first (on
 * a million, the first week of six months quarantined as malformed: 150
 * ms read whole, tests/bench/web.sh).  Ordered by time, then id: the
 * same order as the ids' unless the clock went back.
 */
#define DECISION_PERIOD \
	DECISION_SELECT "decided_at >= coalesce(?3, '') AND " \
	"decided_at < coalesce(?4, '~') AND " DECISION_FILTER \
	" ORDER BY decided_at DESC, id DESC LIMIT ?9"

int
store_decision_list(struct store *st, const struct store_decision_filter *f,
    struct store_decision_list *out)
{
	static const struct store_decision_filter all;
	sqlite3_stmt *s;
	char *sender = NULL;
	size_t cap = 0;
	int rc, step = SQLITE_DONE;

	out->v = NULL;
	out->n = 0;
	if (f == NULL)
		f = &all;
	/*
	 * None of the refused values is echoed: a caller that mixed up its
	 * fields may hold a NIR in any of them.
	 */
	if (f->outcome != NULL && strcmp(f->outcome,
	    outcome_name(OUTCOME_ACCEPTED)) != 0 && strcmp(f->outcome,
	    outcome_name(OUTCOME_REJECTED)) != 0 && strcmp(f->outcome,
	    outcome_name(OUTCOME_QUARANTINED)) != 0)
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "outcome must be accepted, rejected or quarantined");
	if (f->reason != NULL && reason_from_code(f->reason) == -1)
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "reason must be one code of reason.h");
	if (f->nir_pseudonym != NULL && !store_is_hex64(f->nir_pseudonym))
		return store_seterr(st, STORE_REFUSED, "decision list: the "
		    "NIR pseudonym must be 64 lower-case hex digits");
	if (f->sender != NULL && (sender = lower_trim(f->sender)) == NULL)
		return store_oom(st);
	if (f->nir_pseudonym == NULL && f->partner_id == NULL &&
	    sender == NULL && (f->from != 0 || f->before != 0))
		rc = stmt_get(st, STMT_DECISION_LIST_PERIOD, DECISION_PERIOD,
		    &s);
	else
		rc = stmt_get(st, STMT_DECISION_LIST, DECISION_BRANCHES, &s);
	if (rc != STORE_OK) {
		free(sender);
		return rc;
	}
	bind_text(st, s, 1, f->partner_id, &rc);
	bind_text(st, s, 2, sender, &rc);
	if (f->from != 0)
		bind_ts(st, s, 3, f->from, &rc);
	else
		bind_null(st, s, 3, &rc);
	if (f->before != 0)
		bind_ts(st, s, 4, f->before, &rc);
	else
		bind_null(st, s, 4, &rc);
	bind_text(st, s, 5, f->outcome, &rc);
	bind_text(st, s, 6, f->reason, &rc);
	bind_text(st, s, 7, f->type, &rc);
	bind_text(st, s, 8, f->nir_pseudonym, &rc);
	bind_int64(st, s, 9, f->limit ? (int64_t)f->limit : -1, &rc);
	bind_text(st, s, 10, f->queue, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    decision_from_row(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "decision list");
	stmt_done(s);
	free(sender);
	if (rc != STORE_OK)
		store_decision_list_free(out);
	return rc;
}
