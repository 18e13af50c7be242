/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_staged - annexes mailed by a referent, staged for an admin's
 * approval (see include/balp/store_staged.h, docs/annex-mail.md).
 */
#include "balp/store_staged.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/array.h"
#include "balp/date.h"
#include "store_priv.h"

/* The most lines of differences an approval's refusal names. */
#define KEY_DIFF_MAX	10

void
store_staged_plan_key(const struct annex_plan *plan, struct buf *out)
{
	const struct annex_change *c;
	size_t i;

	for (i = 0; i < plan->n; i++) {
		c = &plan->v[i];
		switch (c->kind) {
		case ANNEX_ADD:
			buf_printf(out, "add line %u %s\n", c->line, c->email);
			break;
		case ANNEX_UPDATE:
			buf_printf(out, "update line %u %s fields %#x\n",
			    c->line, c->email, c->changed);
			break;
		case ANNEX_NEW_PERIOD:
			buf_printf(out, "new period line %u %s\n", c->line,
			    c->email);
			break;
		case ANNEX_END:
			buf_printf(out, "end %s\n", c->email);
			break;
		case ANNEX_UNCHANGED:
			break;
		}
	}
}

static int
insert_rows(struct store *st, int64_t id, const struct annex_rows *rows)
{
	const struct annex_row *r;
	sqlite3_stmt *s;
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < rows->n && rc == STORE_OK; i++) {
		r = &rows->v[i];
		if ((rc = stmt_get(st, STMT_STAGED_ROW_INSERT, "INSERT INTO "
		    "staged_annex_rows (staged_id, line, last_name, "
		    "first_name, email, job_title, start_day, end_day) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?, ?)", &s)) != STORE_OK)
			return rc;
		bind_int64(st, s, 1, id, &rc);
		bind_int64(st, s, 2, r->line, &rc);
		bind_text(st, s, 3, r->last_name, &rc);
		bind_text(st, s, 4, r->first_name, &rc);
		bind_text(st, s, 5, r->email, &rc);
		bind_text(st, s, 6, r->job_title != NULL ? r->job_title : "",
		    &rc);
		bind_date(st, s, 7, r->start, &rc);
		bind_date(st, s, 8, r->end, &rc);
		if (rc != STORE_OK) {
			stmt_done(s);
			return rc;
		}
		rc = step_done(st, s, "staged row insert", NULL);
	}
	return rc;
}

static const char *
kind_name(enum annex_change_kind k)
{
	switch (k) {
	case ANNEX_ADD:
		return "add";
	case ANNEX_UPDATE:
		return "update";
	case ANNEX_END:
		return "end";
	case ANNEX_NEW_PERIOD:
		return "new_period";
	default:
		return NULL;
	}
}

/* The plan's changes (not the unchanged), value by value, in its order. */
static int
insert_changes(struct store *st, int64_t id, const struct annex_plan *pl)
{
	const struct annex_change *c;
	sqlite3_stmt *s;
	int64_t seq = 0;
	size_t i;
	int rc = STORE_OK, add;

	for (i = 0; i < pl->n && rc == STORE_OK; i++) {
		c = &pl->v[i];
		if (kind_name(c->kind) == NULL)
			continue;
		/* An addition has no "before": its old_* are unset. */
		add = c->kind == ANNEX_ADD;
		if ((rc = stmt_get(st, STMT_STAGED_CHANGE_INSERT, "INSERT INTO "
		    "staged_annex_changes (staged_id, seq, kind, line, email, "
		    "changed, last_name, first_name, job_title, start_day, "
		    "end_day, old_last_name, old_first_name, old_job_title, "
		    "old_start_day, old_end_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?, ?, ?, ?, ?, ?, ?)", &s)) != STORE_OK)
			return rc;
		bind_int64(st, s, 1, id, &rc);
		bind_int64(st, s, 2, ++seq, &rc);
		bind_text(st, s, 3, kind_name(c->kind), &rc);
		bind_int64(st, s, 4, c->line, &rc);
		bind_text(st, s, 5, c->email != NULL ? c->email : "", &rc);
		bind_int64(st, s, 6, c->changed, &rc);
		bind_text(st, s, 7, c->last_name != NULL ? c->last_name : "",
		    &rc);
		bind_text(st, s, 8, c->first_name != NULL ? c->first_name : "",
		    &rc);
		bind_text(st, s, 9, c->job_title != NULL ? c->job_title : "",
		    &rc);
		bind_date(st, s, 10, c->start, &rc);
		bind_date(st, s, 11, c->end, &rc);
		bind_text(st, s, 12, add ? NULL : c->old_last_name, &rc);
		bind_text(st, s, 13, add ? NULL : c->old_first_name, &rc);
		bind_text(st, s, 14, add ? NULL : c->old_job_title, &rc);
		bind_date(st, s, 15, add ? DATE_NONE : c->old_start, &rc);
		bind_date(st, s, 16, add ? DATE_NONE : c->old_end, &rc);
		if (rc != STORE_OK) {
			stmt_done(s);
			return rc;
		}
		rc = step_done(st, s, "staged change insert", NULL);
	}
	return rc;
}

int
store_staged_add(struct store *st, const struct store_staged_spec *sp,
    const char *actor, time_t now, int64_t *id)
{
	const struct annex_plan *pl = sp->plan;
	struct buf diff = BUF_INIT, key = BUF_INIT, detail = BUF_INIT;
	sqlite3_stmt *s;
	int rc;

	*id = 0;
	if ((rc = store_tx_required(st, "staging an annex")) != STORE_OK)
		return rc;
	if (is_blank(sp->partner_id) || is_blank(sp->sender) ||
	    sp->rows->digest[0] == '\0')
		return store_seterr(st, STORE_REFUSED, "staged annex: partner, "
		    "sender and file digest required");
	if (annex_plan_render(pl, &diff) == -1)
		return store_oom(st);
	store_staged_plan_key(pl, &key);
	if (key.failed) {
		buf_free(&diff);
		return store_oom(st);
	}
	if ((rc = stmt_get(st, STMT_STAGED_INSERT, "INSERT INTO staged_annexes "
	    "(partner_id, sender, decision_id, received_at, file_digest, "
	    "encoding, n_rows, added, updated, ended, unchanged, new_periods, "
	    "force_needed, diff, plan_key, changes_kept) VALUES (?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", &s)) != STORE_OK)
		goto out;
	bind_text(st, s, 1, sp->partner_id, &rc);
	bind_text(st, s, 2, sp->sender, &rc);
	bind_int64(st, s, 3, sp->decision_id, &rc);
	bind_ts(st, s, 4, sp->received_at, &rc);
	bind_text(st, s, 5, sp->rows->digest, &rc);
	bind_text(st, s, 6, sp->rows->encoding != NULL ? sp->rows->encoding :
	    "UTF-8", &rc);
	bind_int64(st, s, 7, (int64_t)sp->rows->n, &rc);
	bind_int64(st, s, 8, (int64_t)pl->n_added, &rc);
	bind_int64(st, s, 9, (int64_t)pl->n_updated, &rc);
	bind_int64(st, s, 10, (int64_t)pl->n_ended, &rc);
	bind_int64(st, s, 11, (int64_t)pl->n_unchanged, &rc);
	bind_int64(st, s, 12, (int64_t)pl->n_new_period, &rc);
	bind_int64(st, s, 13, pl->force_needed, &rc);
	bind_text(st, s, 14, buf_str(&diff), &rc);
	bind_text(st, s, 15, buf_str(&key), &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		goto out;
	}
	if ((rc = step_done(st, s, "staged annex insert", NULL)) != STORE_OK)
		goto out;
	*id = sqlite3_last_insert_rowid(st->db);
	if ((rc = insert_rows(st, *id, sp->rows)) != STORE_OK ||
	    (rc = insert_changes(st, *id, pl)) != STORE_OK)
		goto out;
	buf_printf(&detail, "staged=%" PRId64 "; decision=%" PRId64 "; "
	    "sender=%s; file=%s; rows=%zu; %zu added, %zu updated, %zu ended, "
	    "%zu unchanged, %zu new periods", *id, sp->decision_id, sp->sender,
	    sp->rows->digest, sp->rows->n, pl->n_added, pl->n_updated,
	    pl->n_ended, pl->n_unchanged, pl->n_new_period);
	rc = detail.failed ? store_oom(st) : store_audit_append(st, "admin",
	    actor, "annex.stage", sp->partner_id, buf_str(&detail), now);
out:
	buf_free(&diff);
	buf_free(&key);
	buf_free(&detail);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

#define STAGED_COLUMNS "id, partner_id, sender, decision_id, received_at, " \
	"file_digest, encoding, n_rows, added, updated, ended, unchanged, " \
	"new_periods, force_needed, diff, plan_key, status, decided_by, " \
	"decided_at, reason, changes_kept"

void
store_staged_free(struct store_staged *g)
{
	free(g->partner_id);
	free(g->sender);
	free(g->received_at);
	free(g->digest);
	free(g->encoding);
	free(g->diff);
	free(g->plan_key);
	free(g->status);
	free(g->decided_by);
	free(g->decided_at);
	free(g->reason);
	memset(g, 0, sizeof(*g));
}

void
store_staged_list_free(struct store_staged_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_staged_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static size_t
col_count(sqlite3_stmt *s, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (size_t)v;
}

/* The row at s into g; 0, or -1 on ENOMEM (g freed). */
static int
read_staged(sqlite3_stmt *s, struct store_staged *g)
{
	int fail = 0;

	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(s, 0);
	g->partner_id = col_str0(s, 1, &fail);
	g->sender = col_str0(s, 2, &fail);
	g->decision_id = sqlite3_column_int64(s, 3);
	g->received_at = col_str0(s, 4, &fail);
	g->digest = col_str0(s, 5, &fail);
	g->encoding = col_str0(s, 6, &fail);
	g->n_rows = col_count(s, 7);
	g->added = col_count(s, 8);
	g->updated = col_count(s, 9);
	g->ended = col_count(s, 10);
	g->unchanged = col_count(s, 11);
	g->new_periods = col_count(s, 12);
	g->force_needed = sqlite3_column_int(s, 13) != 0;
	g->diff = col_str0(s, 14, &fail);
	g->plan_key = col_str0(s, 15, &fail);
	g->status = col_str0(s, 16, &fail);
	g->decided_by = col_str(s, 17, &fail);
	g->decided_at = col_str(s, 18, &fail);
	g->reason = col_str(s, 19, &fail);
	g->changes_kept = sqlite3_column_int(s, 20) != 0;
	if (fail) {
		store_staged_free(g);
		return -1;
	}
	return 0;
}

int
store_staged_list(struct store *st, int pending_only,
    struct store_staged_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	rc = pending_only ? stmt_get(st, STMT_STAGED_LIST_PENDING, "SELECT "
	    STAGED_COLUMNS " FROM staged_annexes WHERE status = 'pending' "
	    "ORDER BY id", &s) : stmt_get(st, STMT_STAGED_LIST, "SELECT "
	    STAGED_COLUMNS " FROM staged_annexes ORDER BY id", &s);
	if (rc != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    read_staged(s, &out->v[out->n]) == -1) {
			rc = store_oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "staged annex list");
	stmt_done(s);
	if (rc != STORE_OK)
		store_staged_list_free(out);
	return rc;
}

int
store_staged_get(struct store *st, int64_t id, struct store_staged *out)
{
	sqlite3_stmt *s;
	int rc, step;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_STAGED_GET, "SELECT " STAGED_COLUMNS
	    " FROM staged_annexes WHERE id = ?", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	if (rc == STORE_OK) {
		step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			rc = read_staged(s, out) == -1 ? store_oom(st) :
			    STORE_OK;
		else if (step == SQLITE_DONE)
			rc = store_seterr(st, STORE_NOTFOUND, "no staged annex "
			    "%" PRId64, id);
		else
			rc = store_sqlerr(st, "staged annex get");
	}
	stmt_done(s);
	return rc;
}

int
store_staged_rows(struct store *st, int64_t id, struct annex_rows *out)
{
	struct annex_row *r;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step, fail = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = stmt_get(st, STMT_STAGED_ROWS, "SELECT line, last_name, "
	    "first_name, email, job_title, start_day, end_day FROM "
	    "staged_annex_rows WHERE staged_id = ? ORDER BY line", &s)) !=
	    STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			rc = store_oom(st);
			break;
		}
		r = &out->v[out->n++];
		memset(r, 0, sizeof(*r));
		r->line = (unsigned)sqlite3_column_int64(s, 0);
		r->last_name = col_str0(s, 1, &fail);
		r->first_name = col_str0(s, 2, &fail);
		r->email = col_str0(s, 3, &fail);
		r->job_title = col_str0(s, 4, &fail);
		r->start = col_date(s, 5);
		r->end = col_date(s, 6);
		if (fail) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "staged annex rows");
	stmt_done(s);
	if (rc != STORE_OK)
		annex_rows_free(out);
	return rc;
}

static int
kind_of(const char *name, enum annex_change_kind *k)
{
	static const enum annex_change_kind kinds[] = { ANNEX_ADD,
	    ANNEX_UPDATE, ANNEX_END, ANNEX_NEW_PERIOD };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(name, kind_name(kinds[i])) == 0) {
			*k = kinds[i];
			return 0;
		}
	return -1;
}

/* The changes of staged annex id into plan->v, in their order. */
static int
read_changes(struct store *st, int64_t id, struct annex_plan *plan)
{
	struct annex_change *c;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step = SQLITE_DONE, fail = 0;

	if ((rc = stmt_get(st, STMT_STAGED_CHANGES, "SELECT kind, line, "
	    "email, changed, last_name, first_name, job_title, start_day, "
	    "end_day, old_last_name, old_first_name, old_job_title, "
	    "old_start_day, old_end_day FROM staged_annex_changes WHERE "
	    "staged_id = ? ORDER BY seq", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, id, &rc);
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(plan->v, cap, plan->n)) {
			rc = store_oom(st);
			break;
		}
		c = &plan->v[plan->n++];
		memset(c, 0, sizeof(*c));
		if (kind_of((const char *)sqlite3_column_text(s, 0) != NULL ?
		    (const char *)sqlite3_column_text(s, 0) : "", &c->kind)
		    == -1) {
			rc = store_seterr(st, STORE_ERROR, "staged annex %"
			    PRId64 ": a change of no known kind", id);
			break;
		}
		c->line = (unsigned)sqlite3_column_int64(s, 1);
		c->email = col_str0(s, 2, &fail);
		c->changed = (unsigned)sqlite3_column_int64(s, 3);
		c->last_name = col_str0(s, 4, &fail);
		c->first_name = col_str0(s, 5, &fail);
		c->job_title = col_str0(s, 6, &fail);
		c->start = col_date(s, 7);
		c->end = col_date(s, 8);
		c->old_last_name = col_str(s, 9, &fail);
		c->old_first_name = col_str(s, 10, &fail);
		c->old_job_title = col_str(s, 11, &fail);
		c->old_start = col_date(s, 12);
		c->old_end = col_date(s, 13);
		if (fail) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "staged annex changes");
	stmt_done(s);
	return rc;
}

int
store_staged_plan(struct store *st, int64_t id, struct annex_plan *plan)
{
	struct store_staged g;
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->today = DATE_NONE;
	if ((rc = store_staged_get(st, id, &g)) != STORE_OK)
		return rc;
	if (!g.changes_kept) {
		store_staged_free(&g);
		return store_seterr(st, STORE_NOTFOUND, "staged annex %" PRId64
		    ": staged before its changes were kept (its diff says "
		    "them)", id);
	}
	plan->partner_id = g.partner_id;
	g.partner_id = NULL;
	plan->n_added = g.added;
	plan->n_updated = g.updated;
	plan->n_ended = g.ended;
	plan->n_unchanged = g.unchanged;
	plan->n_new_period = g.new_periods;
	plan->force_needed = g.force_needed;
	store_staged_free(&g);
	if ((rc = read_changes(st, id, plan)) != STORE_OK) {
		annex_plan_free(plan);
		plan->today = DATE_NONE;
	}
	return rc;
}

int
store_staged_pending_of(struct store *st, int64_t decision_id, int64_t *id)
{
	sqlite3_stmt *s;
	int rc, step;

	*id = 0;
	if ((rc = stmt_get(st, STMT_STAGED_PENDING_OF, "SELECT min(id) FROM "
	    "staged_annexes WHERE decision_id = ? AND status = 'pending'",
	    &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, decision_id, &rc);
	if (rc == STORE_OK) {
		if ((step = sqlite3_step(s)) == SQLITE_ROW)
			*id = sqlite3_column_int64(s, 0);
		else
			rc = store_sqlerr(st, "staged annex of a decision");
	}
	stmt_done(s);
	return rc;
}

/* ---- approval ---------------------------------------------------------- */

/*
 * Lines of key a that key b has not, prefixed, into out: at most
 * KEY_DIFF_MAX lines in all (*n counts them).
 */
static void
key_missing(const char *a, const char *b, const char *prefix, size_t *n,
    struct buf *out)
{
	struct buf line = BUF_INIT;
	const char *p = a, *nl;
	size_t len;

	while (*p != '\0' && *n < KEY_DIFF_MAX) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		buf_reset(&line);
		buf_putc(&line, '\n');
		buf_add(&line, p, len);
		buf_putc(&line, '\n');
		/* b's lines, whole: at its start, or after a newline */
		if (!line.failed && strncmp(b, buf_str(&line) + 1, len + 1) !=
		    0 && strstr(b, buf_str(&line)) == NULL) {
			buf_printf(out, "; %s %.*s", prefix, (int)len, p);
			(*n)++;
		}
		p += len + (nl != NULL);
	}
	buf_free(&line);
}

/*
 * Inside an open transaction: the staged annex g (pending) planned again
 * on today; STORE_REFUSED with why when it no longer applies as staged.
 */
static int
check_locked(struct store *st, const struct store_staged *g, int32_t today,
    int dry_run, int force, const char *actor, time_t now,
    struct annex_plan *plan)
{
	struct annex_rows rows;
	struct buf key = BUF_INIT, why = BUF_INIT;
	size_t n = 0;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (strcmp(g->status, "pending") != 0)
		return store_seterr(st, STORE_REFUSED, "staged annex %" PRId64
		    " is %s already (by %s)", g->id, g->status,
		    g->decided_by != NULL ? g->decided_by : "unknown");
	if ((rc = store_staged_rows(st, g->id, &rows)) != STORE_OK)
		return rc;
	memcpy(rows.digest, g->digest, strnlen(g->digest,
	    ANNEX_DIGEST_HEX_LEN));
	rows.encoding = g->encoding;
	/* First a dry run: the key is compared before anything is written. */
	rc = annex_import_locked(st, g->partner_id, &rows, today, 1, force,
	    actor, now, plan);
	if (rc == STORE_OK) {
		store_staged_plan_key(plan, &key);
		if (key.failed)
			rc = store_oom(st);
		else if (strcmp(buf_str(&key), g->plan_key) != 0) {
			key_missing(g->plan_key, buf_str(&key), "staged:", &n,
			    &why);
			key_missing(buf_str(&key), g->plan_key, "now:", &n,
			    &why);
			rc = store_seterr(st, STORE_REFUSED, "staged annex %"
			    PRId64 " no longer applies as staged: the annex of "
			    "%s changed since %s (an import or a change of a "
			    "person)%s; reject it and ask the referent for the "
			    "list again", g->id, g->partner_id, g->received_at,
			    buf_str(&why));
		}
	} else if (rc == STORE_REFUSED || rc == STORE_NOTFOUND) {
		/* the quota, the partner gone: said by annex_import */
		buf_puts(&why, store_errmsg(st));
		rc = store_seterr(st, STORE_REFUSED, "staged annex %" PRId64
		    " no longer applies: %s", g->id, buf_str(&why));
	}
	if (rc == STORE_OK && !dry_run) {
		annex_plan_free(plan);
		rc = annex_import_locked(st, g->partner_id, &rows, today, 0,
		    force, actor, now, plan);
	}
	annex_rows_free(&rows);
	buf_free(&key);
	buf_free(&why);
	return rc;
}

int
store_staged_check(struct store *st, int64_t id, int32_t today,
    struct annex_plan *plan)
{
	struct store_staged g;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_staged_get(st, id, &g)) == STORE_OK)
		rc = check_locked(st, &g, today, 1, 1, NULL, 0, plan);
	store_tx_rollback(st);
	store_staged_free(&g);
	return rc;
}

/* Sets a pending staged annex's status; STORE_REFUSED if not pending. */
static int
set_status(struct store *st, int64_t id, const char *status,
    const char *actor, const char *reason, time_t now)
{
	sqlite3_stmt *s;
	int rc, changed = 0;

	if ((rc = stmt_get(st, STMT_STAGED_DECIDE, "UPDATE staged_annexes SET "
	    "status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE "
	    "id = ? AND status = 'pending'", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, status, &rc);
	bind_text(st, s, 2, actor_or_default(actor), &rc);
	bind_ts(st, s, 3, now, &rc);
	bind_text(st, s, 4, reason, &rc);
	bind_int64(st, s, 5, id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "staged annex status", &changed)) !=
	    STORE_OK)
		return rc;
	return changed == 1 ? STORE_OK : store_seterr(st, STORE_REFUSED,
	    "staged annex %" PRId64 " is not pending", id);
}

int
store_staged_approve(struct store *st, int64_t id, int32_t today, int force,
    const struct store_notice *notice, const char *actor, time_t now,
    struct annex_plan *plan)
{
	struct store_staged g;
	struct buf detail = BUF_INIT;
	int rc;

	memset(plan, 0, sizeof(*plan));
	memset(&g, 0, sizeof(g));
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_staged_get(st, id, &g)) != STORE_OK ||
	    (rc = check_locked(st, &g, today, 0, force, actor, now, plan)) !=
	    STORE_OK)
		goto out;
	if ((rc = set_status(st, id, "approved", actor, NULL, now)) !=
	    STORE_OK)
		goto out;
	buf_printf(&detail, "staged=%" PRId64 "; decision=%" PRId64 "; "
	    "sender=%s; file=%s; %zu added, %zu updated, %zu ended, "
	    "%zu unchanged, %zu new periods%s", id, g.decision_id, g.sender,
	    g.digest, plan->n_added, plan->n_updated, plan->n_ended,
	    plan->n_unchanged, plan->n_new_period, plan->force_needed ?
	    "; forced" : "");
	if (detail.failed) {
		rc = store_oom(st);
		goto out;
	}
	if ((rc = store_audit_append(st, "admin", actor, "annex.approve",
	    g.partner_id, buf_str(&detail), now)) != STORE_OK)
		goto out;
	if (notice != NULL)
		rc = store_notice_queue(st, g.decision_id, notice, actor, now);
out:
	if (rc == STORE_OK)
		rc = store_tx_commit(st);
	else
		store_tx_rollback(st);
	if (rc != STORE_OK)
		plan->applied = 0;
	store_staged_free(&g);
	buf_free(&detail);
	return rc;
}

int
store_staged_reject(struct store *st, int64_t id, const char *reason,
    const struct store_notice *notice, const char *actor, time_t now)
{
	struct store_staged g;
	struct buf detail = BUF_INIT;
	int rc;

	memset(&g, 0, sizeof(g));
	if (is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "a rejection needs its "
		    "reason (--reason TEXT): the referent is told it");
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_staged_get(st, id, &g)) != STORE_OK)
		goto out;
	if (strcmp(g.status, "pending") != 0) {
		rc = store_seterr(st, STORE_REFUSED, "staged annex %" PRId64
		    " is %s already (by %s)", id, g.status, g.decided_by !=
		    NULL ? g.decided_by : "unknown");
		goto out;
	}
	if ((rc = set_status(st, id, "rejected", actor, reason, now)) !=
	    STORE_OK)
		goto out;
	buf_printf(&detail, "staged=%" PRId64 "; decision=%" PRId64 "; "
	    "sender=%s; file=%s; reason=%s", id, g.decision_id, g.sender,
	    g.digest, reason);
	if (detail.failed) {
		rc = store_oom(st);
		goto out;
	}
	if ((rc = store_audit_append(st, "admin", actor, "annex.reject",
	    g.partner_id, buf_str(&detail), now)) != STORE_OK)
		goto out;
	if (notice != NULL)
		rc = store_notice_queue(st, g.decision_id, notice, actor, now);
out:
	if (rc == STORE_OK)
		rc = store_tx_commit(st);
	else
		store_tx_rollback(st);
	store_staged_free(&g);
	buf_free(&detail);
	return rc;
}
