/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_purge - retention: what the conventions say must go, destroyed in
 * one transaction (see include/balp/store_purge.h).
 *
 * The statements run once a day at most: prepared on the spot, not kept
 * in the statement cache.
 */
#include "balp/store_purge.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "balp/buf.h"
#include "balp/date.h"
#include "store_priv.h"

/*
 * ?1: the traces' cut-off day, ?2: the habilitations'.  The decision of a
 * staged annex is kept as long as the staged annex (store_priv.h).
 */
#define OLD_DECISIONS	"(SELECT id FROM decisions WHERE decided_at < ?1 " \
			"AND id NOT IN " STAGED_KEPT_DECISIONS ")"
#define OLD_PERSONS	"(SELECT id FROM persons WHERE hab_end IS NOT NULL " \
			"AND hab_end < ?2)"

static const char count_sql[] =
    "SELECT (SELECT count(*) FROM decisions WHERE id IN " OLD_DECISIONS "),"
    " (SELECT count(*) FROM outbox WHERE decision_id IN " OLD_DECISIONS "),"
    " (SELECT count(*) FROM retriages WHERE decision_id IN " OLD_DECISIONS
    "), (SELECT count(*) FROM releases WHERE decision_id IN " OLD_DECISIONS
    "), (SELECT count(*) FROM persons WHERE id IN " OLD_PERSONS "),"
    " (SELECT count(*) FROM hab_periods WHERE person_id IN " OLD_PERSONS "),"
    " (SELECT count(*) FROM staged_annexes WHERE id IN " STAGED_OLD "),"
    " (SELECT count(*) FROM staged_annex_rows WHERE staged_id IN "
    STAGED_OLD "),"
    " (SELECT count(*) FROM staged_annexes WHERE status = 'pending' AND "
    "received_at < ?1)";

/* In this order: what refers to a row goes before it. */
static const char *const delete_sql[] = {
	"UPDATE decisions SET supersedes = NULL WHERE supersedes IN "
	    OLD_DECISIONS,
	"DELETE FROM outbox WHERE decision_id IN " OLD_DECISIONS,
	"DELETE FROM retriages WHERE decision_id IN " OLD_DECISIONS,
	"DELETE FROM releases WHERE decision_id IN " OLD_DECISIONS,
	"DELETE FROM decision_findings WHERE decision_id IN " OLD_DECISIONS,
	"DELETE FROM decision_envelopes WHERE decision_id IN " OLD_DECISIONS,
	"DELETE FROM decisions WHERE id IN " OLD_DECISIONS,
	"DELETE FROM staged_annex_rows WHERE staged_id IN " STAGED_OLD,
	/* its changes as staged: part of the staged annex, counted as it */
	"DELETE FROM staged_annex_changes WHERE staged_id IN " STAGED_OLD,
	"DELETE FROM staged_annexes WHERE id IN " STAGED_OLD,
	"DELETE FROM hab_periods WHERE person_id IN " OLD_PERSONS,
	/* a person's suspensions are habilitation data: they go with it */
	"DELETE FROM suspensions WHERE person_id IN " OLD_PERSONS,
	"DELETE FROM persons WHERE id IN " OLD_PERSONS,
};

/* Prepares sql, binds the two days (when it has them), steps it once. */
static int
run(struct store *st, const char *sql, const struct store_purge_report *r,
    sqlite3_stmt **keep)
{
	sqlite3_stmt *s;
	int rc = STORE_OK, step, n;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return store_sqlerr(st, "purge");
	n = sqlite3_bind_parameter_count(s);
	if ((n >= 1 && sqlite3_bind_text(s, 1, r->traces_before, -1,
	    SQLITE_STATIC) != SQLITE_OK) || (n >= 2 && sqlite3_bind_text(s, 2,
	    r->habilitations_before, -1, SQLITE_STATIC) != SQLITE_OK))
		rc = store_sqlerr(st, "purge");
	else if ((step = sqlite3_step(s)) != SQLITE_DONE &&
	    !(step == SQLITE_ROW && keep != NULL))
		rc = store_sqlerr(st, "purge");
	if (rc == STORE_OK && keep != NULL) {
		*keep = s;
		return rc;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
count(struct store *st, struct store_purge_report *r)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if ((rc = run(st, count_sql, r, &s)) != STORE_OK)
		return rc;
	r->decisions = sqlite3_column_int64(s, 0);
	r->outbox = sqlite3_column_int64(s, 1);
	r->retriages = sqlite3_column_int64(s, 2);
	r->releases = sqlite3_column_int64(s, 3);
	r->persons = sqlite3_column_int64(s, 4);
	r->periods = sqlite3_column_int64(s, 5);
	r->staged = sqlite3_column_int64(s, 6);
	r->staged_rows = sqlite3_column_int64(s, 7);
	r->staged_pending = sqlite3_column_int64(s, 8);
	sqlite3_finalize(s);
	return STORE_OK;
}

int
store_purge(struct store *st, const struct store_purge_spec *spec,
    const char *actor, time_t now, struct store_purge_report *r)
{
	struct buf detail = BUF_INIT;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (spec->traces_months < 1 || spec->habilitation_years < 1)
		return store_seterr(st, STORE_ERROR, "purge: retention periods "
		    "must be at least one month and one year");
	date_format_iso(date_add_months(spec->today, -spec->traces_months),
	    r->traces_before);
	date_format_iso(date_add_months(spec->today,
	    -12 * spec->habilitation_years), r->habilitations_before);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = count(st, r)) != STORE_OK)
		goto out;
	buf_printf(&detail, "traces_before=%s; habilitations_before=%s; "
	    "decisions=%" PRId64 "; outbox=%" PRId64 "; retriages=%" PRId64
	    "; releases=%" PRId64 "; persons=%" PRId64 "; periods=%" PRId64
	    "; staged_annexes=%" PRId64 "; staged_rows=%" PRId64,
	    r->traces_before, r->habilitations_before, r->decisions,
	    r->outbox, r->retriages, r->releases, r->persons, r->periods,
	    r->staged, r->staged_rows);
	if (detail.failed) {
		rc = store_oom(st);
		goto out;
	}
	/*
	 * The audit rows first: it finds the persons' rows by the persons.
	 * Counted before anything is written: a day with nothing to destroy
	 * leaves no purge row (balpd purges daily).
	 */
	if ((rc = store_audit_purge(st, r->traces_before,
	    r->habilitations_before, buf_str(&detail), 1, actor, now,
	    &r->audit_rows, &r->audit_kept)) != STORE_OK || spec->dry_run ||
	    (r->decisions | r->outbox | r->retriages | r->releases | r->persons |
	    r->periods | r->staged | r->audit_rows) == 0)
		goto out;
	if ((rc = store_audit_purge(st, r->traces_before,
	    r->habilitations_before, buf_str(&detail), 0, actor, now,
	    &r->audit_rows, &r->audit_kept)) != STORE_OK)
		goto out;
	r->checkpoint_id = st->head_id;
	memcpy(r->checkpoint_hash, st->head_hash, sizeof(r->checkpoint_hash));
	for (i = 0; i < sizeof(delete_sql) / sizeof(delete_sql[0]); i++)
		if ((rc = run(st, delete_sql[i], r, NULL)) != STORE_OK)
			goto out;
out:
	buf_free(&detail);
	if (spec->dry_run || rc != STORE_OK || r->checkpoint_id == 0) {
		store_tx_rollback(st);
		return rc;
	}
	if ((rc = store_tx_commit(st)) != STORE_OK)
		return rc;
	/* Best effort: the log's copies of the destroyed pages go too. */
	(void)sqlite3_exec(store_db(st), "PRAGMA wal_checkpoint(TRUNCATE)",
	    NULL, NULL, NULL);
	return STORE_OK;
}
