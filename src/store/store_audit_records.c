/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_audit_records - the second half of audit verify: every decision,
 * outbox, retriage and release row agrees with the audit row that
 * recorded it (see include/balp/store_audit.h, STORE_AUDIT_RECORD).
 *
 * The chain proves the audit rows were not edited; it says nothing of the
 * tables beside it.  A decision edited by hand (quarantined -> accepted,
 * its queue and reasons changed) makes `log` and `message show` tell the
 * edited story while the chain still verifies.  So each row is compared,
 * field by field, with the detail its audit row was written with
 * (store_decision.c, store_message.c write them; the formats have not
 * changed since schema 1, and rows from before the audit key keep their
 * content, so they are compared alike).  A row whose audit row a purge
 * emptied should be gone with it (the same cut-off): one still there, or
 * one without any audit row, breaks too.
 *
 * Each table is read from a row on (the ids after those an earlier check
 * compared: store_audit_check_from), whole for `audit verify`.
 *
 * Ownership: nothing allocated outlives a call.  The statements run once
 * per verify: prepared on the spot, not cached.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/store_audit.h"
#include "store_priv.h"

/* Where a row is compared: the report's text is built from it. */
struct cmp {
	struct store_audit_report *r;
	const char	*table;		/* "decision", "notice"... */
	int64_t		 id;
	int64_t		 audit_id;
	const char	*p;		/* the rest of the detail */
	int64_t		 lost;		/* see check_decision */
};

static const char *
col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? v : "";
}

/* A free text (a reason an admin typed) is compared, never quoted. */
static int
shown(const char *field)
{
	return strcmp(field, "reason") != 0;
}

static int
mismatch(struct cmp *c, const char *field, const char *row_value)
{
	char audit_value[96];
	size_t n;

	n = strcspn(c->p, ";");
	if (n >= sizeof(audit_value))
		n = sizeof(audit_value) - 1;
	memcpy(audit_value, c->p, n);
	audit_value[n] = '\0';
	c->r->why = STORE_AUDIT_RECORD;
	c->r->bad_id = c->audit_id;
	if (shown(field))
		snprintf(c->r->record, sizeof(c->r->record), "%s %" PRId64
		    " does not agree with audit row %" PRId64 " that recorded "
		    "it: %s is '%.80s' in the table, '%s' in the audit row",
		    c->table, c->id, c->audit_id, field, row_value,
		    audit_value);
	else
		snprintf(c->r->record, sizeof(c->r->record), "%s %" PRId64
		    " does not agree with audit row %" PRId64 " that recorded "
		    "it: its %s differs", c->table, c->id, c->audit_id, field);
	return 1;
}

/*
 * The detail goes on with "NAME=VALUE" then "; " (or its end when last):
 * 0, and the cursor past it; 1 (the report filled) when it does not.
 */
static int
expect(struct cmp *c, const char *name, const char *value, int last)
{
	size_t nn = strlen(name), nv = strlen(value);

	if (strncmp(c->p, name, nn) != 0 || c->p[nn] != '=') {
		c->p += strcspn(c->p, "=");
		c->p += *c->p == '=';
		return mismatch(c, name, value);
	}
	c->p += nn + 1;
	if (strncmp(c->p, value, nv) != 0 || (last ? c->p[nv] != '\0' :
	    strncmp(c->p + nv, "; ", 2) != 0))
		return mismatch(c, name, value);
	c->p += nv + (last ? 0 : 2);
	return 0;
}

/*
 * The row has no audit row to agree with: none was written (a row
 * inserted by hand), or a purge emptied it (its object with the rest)
 * and the row stayed (its date moved on by hand).
 */
static int
unrecorded(struct cmp *c)
{
	c->r->why = STORE_AUDIT_RECORD;
	c->r->bad_id = 0;
	snprintf(c->r->record, sizeof(c->r->record), "%s %" PRId64 " has no "
	    "audit row that recorded it: inserted by hand, or kept past the "
	    "purge that emptied its row", c->table, c->id);
	return 1;
}

static int
prepare(struct store *st, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(store_db(st), sql, -1, s, NULL) != SQLITE_OK) {
		store_sqlerr(st, "audit verify: records");
		return -1;
	}
	return 0;
}

/* "x" for a NULL column, as store_batch_add wrote it: "(none)". */
static const char *
or_none(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? "(none)" :
	    col(s, i);
}

/*
 * Columns: 0 id, 1 decided_at, 2 source, 3 source_ref, 4 outcome,
 * 5 reasons, 6 type, 7 partner_id, 8 sender, 9 queue, 10 supersedes,
 * 11 audit id, 12 audit at, 13 detail, 14 purged.
 */
static const char decisions_sql[] =
    "SELECT d.id, d.decided_at, d.source, d.source_ref, d.outcome, "
    "d.reasons, d.type, d.partner_id, d.sender, d.queue, d.supersedes, "
    "a.id, a.at, a.detail, a.purged "
    "FROM decisions d LEFT JOIN audit a ON a.object = 'decision/' || d.id "
    "AND a.action = 'decision.record' WHERE d.id > ?1 ORDER BY d.id";

static int
check_decision(struct cmp *c, sqlite3_stmt *s)
{
	char sup[40];
	const char *rest;

	c->table = "decision";
	c->id = sqlite3_column_int64(s, 0);
	c->audit_id = sqlite3_column_int64(s, 11);
	c->p = col(s, 13);
	if (sqlite3_column_type(s, 11) == SQLITE_NULL ||
	    sqlite3_column_int64(s, 14) != 0)
		return unrecorded(c);
	if (strcmp(col(s, 1), col(s, 12)) != 0) {
		c->p = col(s, 12);
		return mismatch(c, "decided_at", col(s, 1));
	}
	if (expect(c, "source", col(s, 2), 0) || expect(c, "ref", col(s, 3),
	    0) || expect(c, "outcome", col(s, 4), 0) || expect(c, "reasons",
	    col(s, 5), 0) || expect(c, "type", or_none(s, 6), 0) ||
	    expect(c, "partner", or_none(s, 7), 0) || expect(c, "sender",
	    or_none(s, 8), 0) || expect(c, "queue", col(s, 9), 0))
		return 1;
	/* notice=yes|no, then the decision it supersedes, if any. */
	if (strncmp(c->p, "notice=yes", 10) == 0 ||
	    strncmp(c->p, "notice=no", 9) == 0)
		rest = c->p + (c->p[7] == 'y' ? 10 : 9);
	else
		return mismatch(c, "notice", "yes|no");
	if (sqlite3_column_type(s, 10) == SQLITE_NULL) {
		if (*rest == '\0')
			return 0;
		c->p = rest + 2;
		if (strncmp(c->p, "supersedes=", 11) == 0)
			c->p += 11;
		/*
		 * A purge forgets the link to a superseded decision it
		 * destroyed (store_purge.c) and the audit row keeps naming
		 * it: 2, c->lost that decision, for the caller to look up.
		 */
		if (strncmp(rest, "; supersedes=decision/", 22) != 0)
			return mismatch(c, "supersedes", "(none)");
		c->lost = strtoll(rest + 22, NULL, 10);
		return 2;
	}
	snprintf(sup, sizeof(sup), "; supersedes=decision/%" PRId64,
	    (int64_t)sqlite3_column_int64(s, 10));
	if (strcmp(rest, sup) != 0) {
		c->p = *rest != '\0' ? rest + 2 : rest;
		if (strncmp(c->p, "supersedes=", 11) == 0)
			c->p += 11;
		return mismatch(c, "supersedes", sup + 13);
	}
	return 0;
}

/* *gone: decision id no longer exists. */
static int
decision_gone(struct store *st, int64_t id, int *gone)
{
	sqlite3_stmt *s;

	*gone = 0;
	if (prepare(st, "SELECT count(*) FROM decisions WHERE id = ?", &s)
	    == -1)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) == SQLITE_ROW)
		*gone = sqlite3_column_int(s, 0) == 0;
	sqlite3_finalize(s);
	return 0;
}

static int
check_decisions(struct store *st, struct store_audit_report *r,
    int64_t after, int64_t *last)
{
	struct cmp c;
	sqlite3_stmt *s;
	int step, rc = 0, gone;

	if (prepare(st, decisions_sql, &s) == -1)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	memset(&c, 0, sizeof(c));
	c.r = r;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(s, 0);
		if ((rc = check_decision(&c, s)) != 2)
			continue;
		if (decision_gone(st, c.lost, &gone) == -1) {
			rc = -1;
			break;
		}
		rc = gone ? 0 : mismatch(&c, "supersedes", "(none)");
	}
	if (rc == 0 && step != SQLITE_DONE) {
		store_sqlerr(st, "audit verify: decisions");
		rc = -1;
	}
	sqlite3_finalize(s);
	return rc;
}

/*
 * The audit row that recorded decision d, last column of each query: an
 * outbox row of a decision recorded before the audit key may have none
 * (schema 1 did not audit the outbox), and cannot be told from one
 * inserted since.
 */
#define RECORD_OF(d) "(SELECT min(x.id) FROM audit x WHERE x.object = " \
	"'decision/' || " d " AND x.action = 'decision.record')"

/*
 * The outbox: "decision=ID; recipient=EMAIL" (notice.queue), and a copy
 * an admin queued again: the same, then "; resends=outbox/ID (status)"
 * (notice.resend).
 */
static const char outbox_sql[] =
    "SELECT o.id, o.decision_id, o.recipient, o.created_at, a.id, a.at, "
    "a.detail, a.purged, " RECORD_OF("o.decision_id") ", a.action "
    "FROM outbox o "
    "LEFT JOIN audit a ON a.object = 'outbox/' || o.id "
    "AND a.action IN ('notice.queue', 'notice.resend') WHERE o.id > ?1 "
    "ORDER BY o.id";

/* Retriages: the last message.retriage row of their decision. */
static const char retriages_sql[] =
    "SELECT r.id, d.source, d.source_ref, r.new_ref, d.queue, r.reason, "
    "r.at, a.id, a.at, a.detail, a.purged, " RECORD_OF("d.id") " "
    "FROM retriages r "
    "JOIN decisions d ON d.id = r.decision_id "
    "LEFT JOIN audit a ON a.id = (SELECT max(x.id) FROM audit x WHERE "
    "x.object = 'decision/' || r.decision_id AND "
    "x.action = 'message.retriage') WHERE r.id > ?1 ORDER BY r.id";

/*
 * Releases: the k-th of a decision, its k-th message.release row.  Only
 * the decisions released after ?1 are numbered, their releases and their
 * audit rows (by releases_decision and audit_object), not every release
 * and every release row of the audit.
 */
static const char releases_sql[] =
    "WITH rr AS (SELECT id, decision_id, from_queue, to_queue, reason, at, "
    "row_number() OVER (PARTITION BY decision_id ORDER BY id) AS k "
    "FROM releases WHERE decision_id IN (SELECT decision_id FROM releases "
    "WHERE id > ?1)), "
    "aa AS (SELECT id, object, at, detail, purged, row_number() OVER "
    "(PARTITION BY object ORDER BY id) AS k FROM audit "
    "WHERE object IN (SELECT 'decision/' || decision_id FROM releases "
    "WHERE id > ?1) AND action = 'message.release') "
    "SELECT rr.id, d.source, d.source_ref, rr.from_queue, rr.to_queue, "
    "rr.reason, rr.at, aa.id, aa.at, aa.detail, aa.purged, "
    RECORD_OF("d.id") " FROM rr "
    "JOIN decisions d ON d.id = rr.decision_id "
    "LEFT JOIN aa ON aa.object = 'decision/' || rr.decision_id "
    "AND aa.k = rr.k WHERE rr.id > ?1 ORDER BY rr.id";

static int
check_others(struct store *st, struct store_audit_report *r,
    const int64_t *after, int64_t *last)
{
	static const struct {
		const char	*sql;
		const char	*table;
		int		 audit;	/* column of the audit id */
	} q[] = {
		{ outbox_sql, "notice", 4 },
		{ retriages_sql, "retriage", 7 },
		{ releases_sql, "release", 7 },
	};
	struct cmp c;
	sqlite3_stmt *s;
	size_t i;
	int step = SQLITE_DONE, rc = 0, a;
	char id[24];

	memset(&c, 0, sizeof(c));
	c.r = r;
	for (i = 0; i < sizeof(q) / sizeof(q[0]) && rc == 0; i++) {
		if (prepare(st, q[i].sql, &s) == -1)
			return -1;
		sqlite3_bind_int64(s, 1, after[i]);
		a = q[i].audit;
		c.table = q[i].table;
		while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
			c.id = sqlite3_column_int64(s, 0);
			last[i] = c.id;
			c.audit_id = sqlite3_column_int64(s, a);
			c.p = col(s, a + 2);
			if (sqlite3_column_type(s, a) == SQLITE_NULL &&
			    sqlite3_column_type(s, a + 4) != SQLITE_NULL &&
			    sqlite3_column_int64(s, a + 4) <= r->legacy_rows)
				continue;
			if (sqlite3_column_type(s, a) == SQLITE_NULL ||
			    sqlite3_column_int64(s, a + 3) != 0) {
				rc = unrecorded(&c);
				break;
			}
			/* Written with the same now as the row. */
			if (strcmp(col(s, a - 1), col(s, a + 1)) != 0) {
				c.p = col(s, a + 1);
				rc = mismatch(&c, "at", col(s, a - 1));
			} else if (i == 0) {
				snprintf(id, sizeof(id), "%" PRId64,
				    (int64_t)sqlite3_column_int64(s, 1));
				rc = expect(&c, "decision", id, 0) ||
				    expect(&c, "recipient", col(s, 2),
				    strcmp(col(s, 9), "notice.resend") != 0);
			} else if (i == 1)
				rc = expect(&c, "source", col(s, 1), 0) ||
				    expect(&c, "ref", col(s, 2), 0) ||
				    expect(&c, "new_ref", col(s, 3), 0) ||
				    expect(&c, "queue", col(s, 4), 0) ||
				    expect(&c, "reason", col(s, 5), 1);
			else
				rc = expect(&c, "source", col(s, 1), 0) ||
				    expect(&c, "ref", col(s, 2), 0) ||
				    expect(&c, "from", col(s, 3), 0) ||
				    expect(&c, "to", col(s, 4), 0) ||
				    expect(&c, "reason", col(s, 5), 0) ||
				    (strcmp(c.p, "notice=yes") != 0 &&
				    strcmp(c.p, "notice=no") != 0 ?
				    mismatch(&c, "notice", "yes|no") : 0);
		}
		if (rc == 0 && step != SQLITE_DONE) {
			store_sqlerr(st, "audit verify: records");
			rc = -1;
		}
		sqlite3_finalize(s);
	}
	return rc;
}

int
store_audit_check_records(struct store *st, struct store_audit_report *r,
    const int64_t after[STORE_AUDIT_RECORD_TABLES],
    int64_t last[STORE_AUDIT_RECORD_TABLES])
{
	static const int64_t none[STORE_AUDIT_RECORD_TABLES];
	int64_t ignored[STORE_AUDIT_RECORD_TABLES];
	int rc;

	if (after == NULL)
		after = none;
	if (last == NULL)
		last = ignored;
	memcpy(last, after, sizeof(ignored));
	if ((rc = check_decisions(st, r, after[0], &last[0])) != 0)
		return rc;
	return check_others(st, r, after + 1, last + 1);
}
