/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store - the sqlite store: migrations, partners, persons and their
 * quota, the habilitation lookup, decisions, the outbox and the audit
 * chain, the statement cache and checked binds.  Each test runs on a fresh
 * database in its own temporary folder; raw sqlite3 is used only to look
 * behind the API (modes, tampering, limits, prepared statements).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "store"
#include "test_store_open.h"
#include "tmpdir.h"

#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "balp/date.h"
#include "balp/keyfile.h"
#include "balp/nir.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_partner.h"
#include "balp/store_queue.h"
/* Only for store_db(): some tests look behind the API at the connection. */
#include "../../src/store/store_priv.h"

#define NOW	((time_t)1790000000)	/* 2026-09-21T... UTC */
#define ACTOR	"admin-test"

static int32_t
D(const char *iso)
{
	int32_t d;

	if (date_parse_iso(iso, &d) == -1)
		fail_msg("bad test date %s", iso);
	return d;
}

static void
add_partner(struct store *st, const char *id, int32_t start, int32_t end,
    int max)
{
	struct store_partner_spec p = { id, "Partenaire", NULL, start, end,
	    max };

	if (store_partner_add(st, &p, ACTOR, NOW) != STORE_OK)
		fail_msg("partner add %s: %s", id, store_errmsg(st));
}

static int
add_person(struct store *st, const char *partner, const char *email,
    int32_t start, int32_t end, int32_t today)
{
	struct store_person_spec p = { partner, "MARTIN", "Anne", email,
	    "Assistante sociale", start, end };

	return store_person_add(st, &p, today, ACTOR, NOW, NULL);
}

/* ---- opening ---------------------------------------------------------- */

static void
test_open_creates_0600_and_migrates(void **state)
{
	struct fx *fx = *state;
	struct stat sb;

	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_version(fx->st), store_schema_latest());
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "sqlite_master WHERE type = 'table' AND name IN ('partners', "
	    "'persons', 'decisions', 'outbox', 'audit')"), 5);
}

/* The plan of sql (EXPLAIN QUERY PLAN), its details joined by " | ". */
static void
query_plan(const char *path, const char *sql, char *out, size_t size)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char q[1024];
	size_t n = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW && n < size)
		n += (size_t)snprintf(out + n, size - n, "%s | ",
		    (const char *)sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/*
 * The lookups by decision use an index (migration 7):
 * who supersedes a decision (superseded_by, the retriage's checks), the
 * audit rows about one object (store_audit_of, audit verify).  Without
 * them each is a scan of a year of decisions or of the whole chain.
 */
static void
test_lookup_indexes(void **state)
{
	static const struct {
		const char	*sql;
		const char	*index;
	} cases[] = {
		{ "SELECT id FROM decisions WHERE supersedes = ?1 ORDER BY id "
		    "LIMIT 1", "decisions_supersedes" },
		{ "SELECT 1 FROM decisions x WHERE x.supersedes = ?1",
		    "decisions_supersedes" },
		{ "SELECT id, at, kind, actor, action, object, detail, "
		    "prev_hash, hash FROM audit WHERE object = ?1 ORDER BY id",
		    "audit_object" },
	};
	struct fx *fx = *state;
	char plan[2048];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		query_plan(fx->path, cases[i].sql, plan, sizeof(plan));
		if (strstr(plan, cases[i].index) == NULL ||
		    strstr(plan, "SCAN") != NULL)
			fail_msg("%s: plan '%s' does not use %s",
			    cases[i].sql, plan, cases[i].index);
	}
}

/* The referents' table: one address once per partner. */
static void
test_referents_table(void **state)
{
	struct fx *fx = *state;
	const char *refs[] = { "Ref@X.fr", "ref@x.fr ", "autre@x.fr" };
	struct store_partner_spec p = { "x", "X", NULL, DATE_NONE, DATE_NONE,
	    STORE_NO_QUOTA };

	assert_int_equal(store_partner_add_referents(fx->st, &p, refs, 3,
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "partner_referents WHERE partner_id = 'x'"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "partner_referents WHERE email = 'ref@x.fr'"), 1);
}

static void
test_open_twice_is_idempotent(void **state)
{
	struct fx *fx = *state;
	struct store *st2;
	struct buf err = BUF_INIT;
	struct store_partner p;

	add_partner(fx->st, "apeai", D("2026-01-01"), DATE_NONE, 10);
	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(test_store_open(fx->path, &fx->st, &err), STORE_OK);
	assert_int_equal(test_store_open(fx->path, &st2, &err), STORE_OK);
	assert_int_equal(store_schema_version(st2), store_schema_latest());
	/* Data survives, nothing was recreated. */
	assert_int_equal(store_partner_get(st2, "apeai", &p), STORE_OK);
	store_partner_free(&p);
	store_close(st2);
	buf_free(&err);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fx *fx = *state;
	struct store *st2 = NULL;
	struct buf err = BUF_INIT;

	raw_exec(fx->path, "PRAGMA user_version = 999");
	assert_int_equal(test_store_open(fx->path, &st2, &err), STORE_ERROR);
	assert_null(st2);
	assert_non_null(strstr(buf_str(&err), "newer"));
	buf_free(&err);
}

static void
test_open_uses_wal_and_foreign_keys(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	/* The FK is enforced: a person of no partner is refused. */
	assert_int_equal(add_person(fx->st, "nobody", "a@b.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_NOTFOUND);
}

static void
test_open_refuses_non_database(void **state)
{
	struct fx *fx = *state;
	struct store *st2 = NULL;
	struct buf err = BUF_INIT;
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/junk.db", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, just some text that is long enough "
	    "to have a header...............................................",
	    f);
	fclose(f);
	assert_int_equal(test_store_open(path, &st2, &err), STORE_ERROR);
	assert_null(st2);
	assert_non_null(strstr(buf_str(&err), path));
	buf_free(&err);
}

/* ---- partners --------------------------------------------------------- */

static void
test_partner_add_get_list(void **state)
{
	struct fx *fx = *state;
	struct store_partner_spec b = { "zeta", "Zeta", "123 456 789 00015",
	    D("2026-01-01"), D("2026-12-31"), 20 };
	struct store_partner_spec a = { "apeai", "  APEAI  Ouest Hérault ",
	    NULL, DATE_NONE, DATE_NONE, STORE_NO_QUOTA };
	struct store_partner p;
	struct store_partner_list l;

	assert_int_equal(store_partner_add(fx->st, &b, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_add(fx->st, &a, ACTOR, NOW), STORE_OK);

	assert_int_equal(store_partner_get(fx->st, "zeta", &p), STORE_OK);
	assert_string_equal(p.id, "zeta");
	assert_string_equal(p.siret, "12345678900015");
	assert_int_equal(p.start, D("2026-01-01"));
	assert_int_equal(p.end, D("2026-12-31"));
	assert_int_equal(p.max_persons, 20);
	assert_false(p.suspended);
	assert_null(p.suspend_reason);
	assert_string_equal(p.created_at, "2026-09-21T14:13:20Z");
	store_partner_free(&p);

	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_string_equal(p.name, "APEAI Ouest Hérault");
	assert_null(p.siret);
	assert_int_equal(p.start, DATE_NONE);
	assert_int_equal(p.end, DATE_NONE);
	assert_int_equal(p.max_persons, STORE_NO_QUOTA);
	store_partner_free(&p);

	assert_int_equal(store_partner_list(fx->st, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "apeai");
	assert_string_equal(l.v[1].id, "zeta");
	store_partner_list_free(&l);
	assert_int_equal(l.n, 0);
}

static void
test_partner_get_unknown(void **state)
{
	struct fx *fx = *state;
	struct store_partner p;

	assert_int_equal(store_partner_get(fx->st, "ghost", &p),
	    STORE_NOTFOUND);
	assert_non_null(strstr(store_errmsg(fx->st), "ghost"));
	store_partner_free(&p);
}

static void
test_partner_add_refusals(void **state)
{
	static const struct {
		struct store_partner_spec	 spec;
		int				 want;
		const char			*msg;
	} cases[] = {
		{ { "dup", "Dup", NULL, DATE_NONE, DATE_NONE, -1 },
		    STORE_EXISTS, "already exists" },
		{ { "p1", "P", NULL, 20454, 20453, -1 },
		    STORE_REFUSED, "before its start" },
		{ { "p2", "P", "1234567890123", DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "14 digits" },
		{ { "p3", "P", "123456789012345", DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "14 digits" },
		{ { "p4", "P", "1234567890123A", DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "14 digits" },
		{ { "p5", "  ", NULL, DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "name required" },
		{ { "", "P", NULL, DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "id required" },
		{ { "p6", "P", NULL, DATE_NONE, DATE_NONE, -5 },
		    STORE_REFUSED, "negative" },
		{ { "p7", "P", "12345678900012", DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "wrong key" },
		{ { "p8", "P", NULL, DATE_NONE, DATE_NONE, 0 },
		    STORE_REFUSED, "max_persons 0" },
		{ { "p9", "P\tQ", NULL, DATE_NONE, DATE_NONE, -1 },
		    STORE_REFUSED, "control character" },
	};
	struct fx *fx = *state;
	struct store_partner_list l;
	size_t i;

	add_partner(fx->st, "dup", DATE_NONE, DATE_NONE, STORE_NO_QUOTA);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_partner_add(fx->st, &cases[i].spec,
		    ACTOR, NOW), cases[i].want);
		if (strstr(store_errmsg(fx->st), cases[i].msg) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i,
			    store_errmsg(fx->st), cases[i].msg);
	}
	assert_int_equal(store_partner_list(fx->st, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	store_partner_list_free(&l);
	/* One audit row: the successful add only. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 1);
}

/* partner update: every field, one audit row; equal values write none. */
static void
test_partner_update(void **state)
{
	struct fx *fx = *state;
	const char *add[] = { "Ref@X.fr" }, *del[] = { "ref@x.fr" };
	struct store_partner_change ch;
	struct store_partner p;
	long rows;
	int changed;

	add_partner(fx->st, "apeai", D("2026-01-01"), DATE_NONE, 10);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "b@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	rows = raw_count(fx->path, "SELECT count(*) FROM audit");
	memset(&ch, 0, sizeof(ch));
	ch.name = "APEAI 34";
	ch.siret = "356 000 000 00048";
	ch.set_end = 1;
	ch.end = D("2027-12-31");
	ch.set_max_persons = 1;
	ch.max_persons = 2;
	ch.add_referents = add;
	ch.n_add_referents = 1;
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_OK);
	assert_int_equal(changed, 1);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_string_equal(p.name, "APEAI 34");
	assert_string_equal(p.siret, "35600000000048");
	assert_int_equal(p.end, D("2027-12-31"));
	assert_int_equal(p.max_persons, 2);
	store_partner_free(&p);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows + 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'partner.update' AND detail = 'name: Partenaire -> "
	    "APEAI 34; siret: (none) -> 35600000000048; end: (none) -> "
	    "2027-12-31; max_persons: 10 -> 2; referent+: ref@x.fr'"), 1);
	/* The same values again: nothing written. */
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows + 1);
	/* Below the two persons in force: refused with their count. */
	memset(&ch, 0, sizeof(ch));
	ch.set_max_persons = 1;
	ch.max_persons = 1;
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "below the 2 persons"));
	ch.max_persons = 0;
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_REFUSED);
	/* A referent removed; removing it again is not found. */
	memset(&ch, 0, sizeof(ch));
	ch.del_referents = del;
	ch.n_del_referents = 1;
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "partner_referents"), 0);
	assert_int_equal(store_partner_update(fx->st, "apeai", &ch,
	    D("2026-06-01"), ACTOR, NOW, &changed), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    rows + 2);
}

static void
test_partner_end(void **state)
{
	struct fx *fx = *state;
	struct store_partner p;

	add_partner(fx->st, "apeai", D("2026-01-01"), DATE_NONE, -1);
	assert_int_equal(store_partner_end(fx->st, "apeai", D("2026-12-31"),
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_int_equal(p.end, D("2026-12-31"));
	store_partner_free(&p);
	/* Before the start: refused, the end stays. */
	assert_int_equal(store_partner_end(fx->st, "apeai", D("2025-12-31"),
	    ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_int_equal(p.end, D("2026-12-31"));
	store_partner_free(&p);
	assert_int_equal(store_partner_end(fx->st, "ghost", D("2026-12-31"),
	    ACTOR, NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'partner.end' AND detail = 'end: (none) -> "
	    "2026-12-31'"), 1);
}

static void
test_partner_suspend_resume(void **state)
{
	struct fx *fx = *state;
	struct store_partner p;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(store_partner_suspend(fx->st, "apeai", "",
	    ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_partner_resume(fx->st, "apeai", ACTOR, NOW),
	    STORE_REFUSED);
	assert_int_equal(store_partner_suspend(fx->st, "apeai",
	    "spoofing suspected", ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_true(p.suspended);
	assert_string_equal(p.suspend_reason, "spoofing suspected");
	store_partner_free(&p);
	assert_int_equal(store_partner_suspend(fx->st, "apeai", "again",
	    ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_partner_resume(fx->st, "apeai", ACTOR, NOW),
	    STORE_OK);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_false(p.suspended);
	assert_null(p.suspend_reason);
	store_partner_free(&p);
	assert_int_equal(store_partner_suspend(fx->st, "ghost", "x", ACTOR,
	    NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action IN ('partner.suspend', 'partner.resume') AND "
	    "actor = 'admin-test'"), 2);
}

static void
test_partner_set_max_persons(void **state)
{
	struct fx *fx = *state;
	struct store_partner p;
	int32_t t = D("2026-06-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, STORE_NO_QUOTA);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", t, DATE_NONE,
	    t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "b@x.fr", t, DATE_NONE,
	    t), STORE_OK);
	/* Lowering below the count is allowed; the next add is not. */
	assert_int_equal(store_partner_set_max_persons(fx->st, "apeai", 1,
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_get(fx->st, "apeai", &p), STORE_OK);
	assert_int_equal(p.max_persons, 1);
	store_partner_free(&p);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", t, DATE_NONE,
	    t), STORE_REFUSED);
	assert_int_equal(store_partner_set_max_persons(fx->st, "apeai",
	    STORE_NO_QUOTA, ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", t, DATE_NONE,
	    t), STORE_OK);
}

/* ---- persons ---------------------------------------------------------- */

static void
test_person_add_and_get(void **state)
{
	struct fx *fx = *state;
	struct store_person_spec s = { "apeai", " MARTIN ", "Anne",
	    "  A.Martin@APEAI34.fr ", NULL, D("2026-01-05"), DATE_NONE };
	struct store_person p;
	int64_t id = 0;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(store_person_add(fx->st, &s, D("2026-01-01"), ACTOR,
	    NOW, &id), STORE_OK);
	assert_true(id > 0);
	assert_int_equal(store_person_get(fx->st, NULL, "a.martin@apeai34.fr",
	    &p), STORE_OK);
	assert_int_equal(p.id, id);
	assert_string_equal(p.partner_id, "apeai");
	assert_string_equal(p.email, "a.martin@apeai34.fr");
	assert_string_equal(p.last_name, "MARTIN");
	assert_string_equal(p.job_title, "");
	assert_int_equal(p.start, D("2026-01-05"));
	assert_int_equal(p.end, DATE_NONE);
	assert_false(p.suspended);
	store_person_free(&p);
	/* Looked up in any case. */
	assert_int_equal(store_person_get(fx->st, "apeai",
	    " A.MARTIN@apeai34.FR", &p), STORE_OK);
	store_person_free(&p);
}

static void
test_person_add_refusals(void **state)
{
	static const struct {
		const char	*partner, *last, *first, *email;
		const char	*start, *end;
		int		 want;
	} cases[] = {
		{ "apeai", "M", "A", "a@x.fr", "2026-02-01", "2026-01-31",
		    STORE_REFUSED },
		{ "apeai", "M", "A", "A@X.FR", "2026-01-01", NULL,
		    STORE_EXISTS },
		{ "apeai", "M", "A", "not-an-email", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", "A", "a@x", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", "A", "a b@x.fr", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", "A", "a@@x.fr", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", "A", "a@x..fr", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "", "A", "b@x.fr", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", " ", "b@x.fr", "2026-01-01", NULL,
		    STORE_REFUSED },
		{ "apeai", "M", "A", "b@x.fr", NULL, NULL, STORE_REFUSED },
		{ "ghost", "M", "A", "b@x.fr", "2026-01-01", NULL,
		    STORE_NOTFOUND },
	};
	struct fx *fx = *state;
	struct store_person_spec s;
	struct store_person_list l;
	size_t i;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.partner_id = cases[i].partner;
		s.last_name = cases[i].last;
		s.first_name = cases[i].first;
		s.email = cases[i].email;
		s.start = cases[i].start ? D(cases[i].start) : DATE_NONE;
		s.end = cases[i].end ? D(cases[i].end) : DATE_NONE;
		if (store_person_add(fx->st, &s, D("2026-01-01"), ACTOR, NOW,
		    NULL) != cases[i].want)
			fail_msg("case %zu: %s", i, store_errmsg(fx->st));
		assert_true(store_errmsg(fx->st)[0] != '\0');
	}
	assert_int_equal(store_person_list(fx->st, NULL, DATE_NONE, &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	store_person_list_free(&l);
}

static void
test_person_add_quota(void **state)
{
	struct fx *fx = *state;
	int32_t today = D("2026-06-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, 2);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	/* Not started yet still counts: habilitated on today or later. */
	assert_int_equal(add_person(fx->st, "apeai", "b@x.fr", D("2026-09-01"),
	    DATE_NONE, today), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "quota"));
	assert_non_null(strstr(store_errmsg(fx->st), "3"));
	assert_non_null(strstr(store_errmsg(fx->st), "2"));
	/* A person already ended (history) does not count. */
	assert_int_equal(add_person(fx->st, "apeai", "old@x.fr",
	    D("2024-01-01"), D("2025-12-31"), today), STORE_OK);
	/* Ending on today still counts (the end day is valid) ... */
	assert_int_equal(store_person_end(fx->st, NULL, "a@x.fr", today,
	    today, ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_REFUSED);
	/* ... ending yesterday frees a place. */
	assert_int_equal(store_person_end(fx->st, NULL, "a@x.fr", today - 1,
	    today, ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	/* A suspended person still counts (one quota rule, DESIGN.md). */
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "b@x.fr",
	    "left without notice", today, ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "d@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "quota"));
	/* So resuming them takes no new place. */
	assert_int_equal(store_person_resume(fx->st, NULL, "b@x.fr", today,
	    ACTOR, NOW), STORE_OK);
}

/*
 * The quota is one rule wherever it is checked: persons not ended count,
 * suspended ones included.  Adding beside a suspended person at the quota
 * is refused; nothing is written.
 */
static void
test_quota_suspended_counts_on_add(void **state)
{
	struct fx *fx = *state;
	struct store_person_list l;
	int32_t today = D("2026-06-01");
	long audit;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, 2);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "b@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	assert_int_equal(store_person_suspend(fx->st, "apeai", "b@x.fr",
	    "password shared", ACTOR, NOW), STORE_OK);
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "3 persons"));
	assert_non_null(strstr(store_errmsg(fx->st), "suspended ones count"));
	assert_non_null(strstr(store_errmsg(fx->st), "quota is 2"));
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	assert_int_equal(store_person_list(fx->st, "apeai", DATE_NONE, &l),
	    STORE_OK);
	assert_int_equal(l.n, 2);
	store_person_list_free(&l);
	/* Ending the suspended person (yesterday) frees the place. */
	assert_int_equal(store_person_end(fx->st, "apeai", "b@x.fr",
	    today - 1, today, ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "c@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
}

/*
 * Resuming a suspended person at the quota is fine (they kept their
 * place); over a quota lowered since, it is refused until a place frees.
 */
static void
test_quota_resume(void **state)
{
	struct fx *fx = *state;
	struct store_person p;
	int32_t today = D("2026-06-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, 2);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "b@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "b@x.fr", "r",
	    today - 1, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_resume(fx->st, NULL, "b@x.fr", today,
	    ACTOR, NOW), STORE_OK);

	assert_int_equal(store_person_suspend_from(fx->st, NULL, "b@x.fr", "r",
	    today, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_set_max_persons(fx->st, "apeai", 1,
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_resume(fx->st, NULL, "b@x.fr", today,
	    ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "quota is 1"));
	assert_int_equal(store_person_get(fx->st, NULL, "b@x.fr", &p),
	    STORE_OK);
	assert_true(p.suspended);
	store_person_free(&p);
	assert_int_equal(store_person_end(fx->st, NULL, "a@x.fr", today - 1,
	    today, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_resume(fx->st, NULL, "b@x.fr", today,
	    ACTOR, NOW), STORE_OK);
}

/* The person's row: the dates of the latest period. */
static void
get_latest(struct store *st, const char *email, struct store_person *p)
{
	if (store_person_get(st, NULL, email, p) != STORE_OK)
		fail_msg("%s: %s", email, store_errmsg(st));
}

static void
test_person_end(void **state)
{
	struct fx *fx = *state;
	struct store_person p;
	int32_t t = D("2026-01-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	add_partner(fx->st, "ccas", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "one@x.fr", t, DATE_NONE,
	    t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "two@x.fr", t, DATE_NONE,
	    t), STORE_OK);
	assert_int_equal(add_person(fx->st, "ccas", "two@x.fr", t, DATE_NONE,
	    t), STORE_OK);

	assert_int_equal(store_person_end(fx->st, NULL, "ONE@x.fr",
	    D("2026-03-31"), t, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_get(fx->st, NULL, "one@x.fr", &p),
	    STORE_OK);
	assert_int_equal(p.end, D("2026-03-31"));
	store_person_free(&p);

	/* On two partners: the partner must be named. */
	assert_int_equal(store_person_end(fx->st, NULL, "two@x.fr",
	    D("2026-03-31"), t, ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "--partner"));
	assert_non_null(strstr(store_errmsg(fx->st), "apeai, ccas"));
	assert_int_equal(store_person_end(fx->st, "ccas", "two@x.fr",
	    D("2026-03-31"), t, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_get(fx->st, "apeai", "two@x.fr", &p),
	    STORE_OK);
	assert_int_equal(p.end, DATE_NONE);
	store_person_free(&p);
	assert_int_equal(store_person_get(fx->st, "ccas", "two@x.fr", &p),
	    STORE_OK);
	assert_int_equal(p.end, D("2026-03-31"));
	store_person_free(&p);

	assert_int_equal(store_person_end(fx->st, NULL, "ghost@x.fr",
	    D("2026-03-31"), t, ACTOR, NOW), STORE_NOTFOUND);
	assert_int_equal(store_person_end(fx->st, "ccas", "one@x.fr",
	    D("2026-03-31"), t, ACTOR, NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'person.end'"), 2);
}

/*
 * person end only shortens the period in force: never reopens an ended
 * habilitation, extends one, nor ends it before it started.
 */
static void
test_person_end_only_shortens(void **state)
{
	struct fx *fx = *state;
	struct store_person p;
	int32_t today = D("2026-06-01");
	long audit;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, 1);
	assert_int_equal(add_person(fx->st, "apeai", "gone@x.fr",
	    D("2025-01-01"), D("2026-03-31"), today), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "here@x.fr",
	    D("2026-01-01"), D("2026-12-31"), today), STORE_OK);
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");

	/* Reopening gone@ would let her in past the quota of 1. */
	assert_int_equal(store_person_end(fx->st, NULL, "gone@x.fr",
	    D("2030-01-01"), today, ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "ended on 2026-03-31"));
	assert_non_null(strstr(store_errmsg(fx->st), "gone@x.fr"));
	/* Nor rewritten: an ended period is history. */
	assert_int_equal(store_person_end(fx->st, NULL, "gone@x.fr",
	    D("2026-02-01"), today, ACTOR, NOW), STORE_REFUSED);
	/* The same end again: nothing to do, nothing written. */
	assert_int_equal(store_person_end(fx->st, NULL, "gone@x.fr",
	    D("2026-03-31"), today, ACTOR, NOW), STORE_OK);
	/* Extending the period in force. */
	assert_int_equal(store_person_end(fx->st, NULL, "here@x.fr",
	    D("2027-06-30"), today, ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st),
	    "2027-06-30 would extend"));
	/* Before it started. */
	assert_int_equal(store_person_end(fx->st, NULL, "here@x.fr",
	    D("2025-12-31"), today, ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "before the habilitation "
	    "start 2026-01-01"));
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	get_latest(fx->st, "here@x.fr", &p);
	assert_int_equal(p.end, D("2026-12-31"));
	store_person_free(&p);

	/* Shortening, even back-dated, and the start day itself: fine. */
	assert_int_equal(store_person_end(fx->st, NULL, "here@x.fr",
	    D("2026-09-30"), today, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_end(fx->st, NULL, "here@x.fr",
	    D("2026-01-01"), today, ACTOR, NOW), STORE_OK);
	get_latest(fx->st, "here@x.fr", &p);
	assert_int_equal(p.end, D("2026-01-01"));
	store_person_free(&p);
	/* Its period follows the person row. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM hab_periods "
	    "WHERE hab_end = '2026-01-01'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit + 2);
	/* An open one ends on any day from its start. */
	assert_int_equal(add_person(fx->st, "apeai", "open@x.fr",
	    D("2026-05-01"), DATE_NONE, today), STORE_OK);
	assert_int_equal(store_person_end(fx->st, NULL, "open@x.fr",
	    D("2026-04-30"), today, ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_person_end(fx->st, NULL, "open@x.fr",
	    D("2040-01-01"), today, ACTOR, NOW), STORE_OK);
}

static void
test_person_suspend_resume(void **state)
{
	struct fx *fx = *state;
	struct store_person p;
	int32_t t = D("2026-01-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "one@x.fr", t, DATE_NONE,
	    t), STORE_OK);
	assert_int_equal(store_person_suspend(fx->st, NULL, "one@x.fr", NULL,
	    ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_person_resume(fx->st, NULL, "one@x.fr", t,
	    ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_person_suspend_from(fx->st, "apeai", "one@x.fr",
	    "password shared", t, ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_get(fx->st, NULL, "one@x.fr", &p),
	    STORE_OK);
	assert_true(p.suspended);
	assert_string_equal(p.suspend_reason, "password shared");
	store_person_free(&p);
	assert_int_equal(store_person_suspend_from(fx->st, "apeai", "one@x.fr",
	    "again", t, ACTOR, NOW), STORE_REFUSED);
	assert_int_equal(store_person_resume(fx->st, NULL, "one@x.fr", t,
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_get(fx->st, NULL, "one@x.fr", &p),
	    STORE_OK);
	assert_false(p.suspended);
	assert_null(p.suspend_reason);
	store_person_free(&p);
}

static int
list_has(const struct store_person_list *l, const char *email)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].email, email) == 0)
			return 1;
	return 0;
}

/*
 * A partner's suspension keeps its history too: a decision of a day reads
 * the one in force on it (suspended on NOW's day, resumed ten days
 * later), not today's flag.
 */
static void
test_partner_suspension_history(void **state)
{
	struct fx *fx = *state;
	struct store_habilitations h;
	int32_t day = D("2026-09-21");	/* NOW's day */

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "s@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	assert_int_equal(store_partner_suspend(fx->st, "apeai", "contrôle",
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_partner_resume(fx->st, "apeai", ACTOR,
	    NOW + 10 * 86400), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "partner_suspensions WHERE partner_id = 'apeai' AND first_day = "
	    "'2026-09-21' AND last_day = '2026-09-30' AND reason = 'contrôle'"),
	    1);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr", day - 1, &h),
	    STORE_OK);
	assert_false(h.v[0].partner_suspended);
	store_habilitations_free(&h);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr", day + 5, &h),
	    STORE_OK);
	assert_true(h.v[0].partner_suspended);
	store_habilitations_free(&h);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr", day + 10, &h),
	    STORE_OK);
	assert_false(h.v[0].partner_suspended);
	store_habilitations_free(&h);
}

static int
list_suspended(const struct store_person_list *l, const char *email)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].email, email) == 0)
			return l->v[i].suspended;
	return -1;
}

static void
test_person_list_at(void **state)
{
	static const struct {
		const char	*at;
		int		 window, open, suspended, other;
		int		 susp_state;	/* -1: not listed */
	} cases[] = {
		{ "2026-01-09", 0, 0, 1, 0, 0 },
		{ "2026-01-10", 1, 1, 1, 1, 0 },	/* start day included */
		{ "2026-01-15", 1, 1, 1, 1, 1 },	/* suspended from it */
		{ "2026-01-20", 1, 1, 1, 1, 1 },	/* end day included */
		{ "2026-01-21", 0, 1, 1, 1, 1 },
		{ "2030-01-01", 0, 1, 1, 1, 1 },
	};
	struct fx *fx = *state;
	struct store_person_list l;
	int32_t t = D("2026-01-01");
	size_t i;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	add_partner(fx->st, "ccas", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "window@x.fr",
	    D("2026-01-10"), D("2026-01-20"), t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "open@x.fr",
	    D("2026-01-10"), DATE_NONE, t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "susp@x.fr",
	    D("2026-01-01"), DATE_NONE, t), STORE_OK);
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "susp@x.fr",
	    "r", D("2026-01-15"), ACTOR, NOW), STORE_OK);
	assert_int_equal(add_person(fx->st, "ccas", "other@x.fr",
	    D("2026-01-10"), DATE_NONE, t), STORE_OK);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_person_list(fx->st, NULL,
		    D(cases[i].at), &l), STORE_OK);
		if (list_has(&l, "window@x.fr") != cases[i].window ||
		    list_has(&l, "open@x.fr") != cases[i].open ||
		    list_has(&l, "susp@x.fr") != cases[i].suspended ||
		    list_has(&l, "other@x.fr") != cases[i].other)
			fail_msg("list --at %s: wrong persons", cases[i].at);
		if (list_suspended(&l, "susp@x.fr") != cases[i].susp_state)
			fail_msg("list --at %s: suspended is %d", cases[i].at,
			    list_suspended(&l, "susp@x.fr"));
		store_person_list_free(&l);
	}
	/* Without a day: everyone, suspended and ended too; by partner. */
	assert_int_equal(store_person_list(fx->st, "apeai", DATE_NONE, &l),
	    STORE_OK);
	assert_int_equal(l.n, 3);
	assert_false(list_has(&l, "other@x.fr"));
	store_person_list_free(&l);
	assert_int_equal(store_person_list(fx->st, NULL, DATE_NONE, &l),
	    STORE_OK);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].partner_id, "apeai");
	assert_string_equal(l.v[3].partner_id, "ccas");
	store_person_list_free(&l);
}

/*
 * Suspensions keep their history like habilitation periods: each with
 * its days and reason; they never overlap; the lists and the decisions of
 * a day read the one in force on it, not today's flag.
 */
static void
test_person_suspension_history(void **state)
{
	struct fx *fx = *state;
	struct store_suspension_list sl;
	struct store_habilitations h;
	struct store_person_list l;
	int32_t today = D("2026-06-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "s@x.fr", D("2026-01-01"),
	    DATE_NONE, today), STORE_OK);
	/* Suspended 2026-02-01, resumed 2026-03-01 (last day 02-28). */
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "s@x.fr",
	    "poste partagé", D("2026-02-01"), ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_resume_on(fx->st, NULL, "s@x.fr",
	    D("2026-01-31"), today, ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "before the suspension "
	    "started (2026-02-01)"));
	assert_int_equal(store_person_resume_on(fx->st, NULL, "s@x.fr",
	    D("2026-03-01"), today, ACTOR, NOW), STORE_OK);
	/* A second one may not start inside the first. */
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "s@x.fr",
	    "x", D("2026-02-28"), ACTOR, NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "ran to 2026-02-28"));
	assert_int_equal(store_person_suspend_from(fx->st, NULL, "s@x.fr",
	    "départ", D("2026-05-01"), ACTOR, NOW), STORE_OK);

	assert_int_equal(store_person_suspensions(fx->st, NULL, "s@x.fr", &sl),
	    STORE_OK);
	assert_int_equal(sl.n, 2);
	assert_int_equal(sl.v[0].first, D("2026-02-01"));
	assert_int_equal(sl.v[0].last, D("2026-02-28"));
	assert_string_equal(sl.v[0].reason, "poste partagé");
	assert_int_equal(sl.v[1].first, D("2026-05-01"));
	assert_int_equal(sl.v[1].last, DATE_NONE);
	assert_string_equal(sl.v[1].reason, "départ");
	store_suspension_list_free(&sl);

	/* A decision of a day reads the suspension in force on it. */
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr",
	    D("2026-01-31"), &h), STORE_OK);
	assert_int_equal(h.n, 1);
	assert_false(h.v[0].person_suspended);
	store_habilitations_free(&h);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr",
	    D("2026-02-15"), &h), STORE_OK);
	assert_true(h.v[0].person_suspended);
	store_habilitations_free(&h);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr",
	    D("2026-03-01"), &h), STORE_OK);
	assert_false(h.v[0].person_suspended);
	store_habilitations_free(&h);
	assert_int_equal(store_habilitations_at(fx->st, "s@x.fr",
	    D("2026-05-01"), &h), STORE_OK);
	assert_true(h.v[0].person_suspended);
	store_habilitations_free(&h);

	/* And so does the list of a day, with the reason of then. */
	assert_int_equal(store_person_list(fx->st, NULL, D("2026-02-10"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].suspended);
	assert_string_equal(l.v[0].suspend_reason, "poste partagé");
	store_person_list_free(&l);
	assert_int_equal(store_person_list(fx->st, NULL, D("2026-04-10"), &l),
	    STORE_OK);
	assert_false(l.v[0].suspended);
	assert_null(l.v[0].suspend_reason);
	store_person_list_free(&l);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "action = 'person.suspend' AND detail LIKE 'from=2026-05-01;%'"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "action = 'person.resume' AND detail LIKE 'on=2026-03-01;%'"), 1);
}

/* ---- habilitations ---------------------------------------------------- */

/*
 * A person with two periods (the store's own writes open the second one
 * through annex import; here the row is set behind its back): each lookup
 * answers with the period of its day.
 */
static void
two_periods(struct fx *fx)
{
	int32_t t = D("2024-01-01");

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "s@x.fr",
	    D("2024-01-01"), D("2024-12-31"), t), STORE_OK);
	raw_exec(fx->path, "UPDATE persons SET hab_start = '2027-01-01', "
	    "hab_end = NULL WHERE email = 's@x.fr';"
	    "INSERT INTO hab_periods (person_id, hab_start, hab_end, "
	    "created_at) SELECT id, '2027-01-01', NULL, created_at FROM "
	    "persons WHERE email = 's@x.fr'");
}

static void
test_habilitations_at_periods(void **state)
{
	static const struct {
		const char	*day;
		const char	*start;	/* the period that answers */
	} cases[] = {
		{ "2023-06-01", "2024-01-01" },	/* none yet: the first */
		{ "2024-01-01", "2024-01-01" },	/* in force */
		{ "2024-12-31", "2024-01-01" },
		{ "2025-06-01", "2024-01-01" },	/* between: the ended */
		{ "2027-01-01", "2027-01-01" },	/* in force */
		{ "2030-01-01", "2027-01-01" },
	};
	struct fx *fx = *state;
	struct store_habilitations h;
	size_t i;

	two_periods(fx);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(store_habilitations_at(fx->st, "s@x.fr",
		    D(cases[i].day), &h), STORE_OK);
		assert_int_equal(h.n, 1);
		if (h.v[0].start != D(cases[i].start))
			fail_msg("%s: wrong period", cases[i].day);
		store_habilitations_free(&h);
	}
	/* No day: the latest. */
	assert_int_equal(store_habilitations(fx->st, "s@x.fr", &h), STORE_OK);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.v[0].start, D("2027-01-01"));
	assert_int_equal(h.v[0].end, DATE_NONE);
	store_habilitations_free(&h);
}

static void
test_person_list_at_periods(void **state)
{
	struct fx *fx = *state;
	struct store_person_list l;

	two_periods(fx);
	assert_int_equal(store_person_list(fx->st, NULL, D("2024-06-01"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, D("2024-01-01"));
	assert_int_equal(l.v[0].end, D("2024-12-31"));
	store_person_list_free(&l);
	assert_int_equal(store_person_list(fx->st, NULL, D("2025-06-01"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 0);
	store_person_list_free(&l);
	assert_int_equal(store_person_list(fx->st, NULL, D("2027-06-01"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, D("2027-01-01"));
	assert_int_equal(l.v[0].prev_end, D("2024-12-31"));
	store_person_list_free(&l);
}

/*
 * A person suspended before suspensions had a history (schema 1 here,
 * suspended behind the store's back as an older balpctl did): the
 * migration turns the flag into an open suspension from the day of the
 * row's last change, with its reason, and a day before it reads as not
 * suspended.  Nothing is audited.
 */
static void
test_migration_suspended_flag(void **state)
{
	struct fx *fx = *state;
	struct store_suspension_list sl;
	struct store_person_list l;
	struct buf err = BUF_INIT;
	long audit;
	FILE *in, *out;
	int c;

	store_close(fx->st);
	fx->st = NULL;
	assert_non_null(in = fopen(BALP_SRCDIR "/tests/data/store/schema1.db",
	    "rb"));
	assert_non_null(out = fopen(fx->path, "wb"));
	while ((c = getc(in)) != EOF)
		putc(c, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	raw_exec(fx->path, "UPDATE persons SET suspended = 1, suspend_reason "
	    "= 'poste partagé', updated_at = '2026-02-03T10:00:00Z' WHERE "
	    "email = 'b@x.fr'");
	raw_exec(fx->path, "UPDATE partners SET suspended = 1, suspend_reason "
	    "= 'contrôle'");
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");
	assert_int_equal(test_store_open(fx->path, &fx->st, &err), STORE_OK);
	/* the partner's too, open from its creation (no audit row) */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "partner_suspensions ps JOIN partners pa ON pa.id = ps.partner_id "
	    "WHERE ps.last_day IS NULL AND ps.reason = 'contrôle' AND "
	    "ps.first_day = substr(pa.created_at, 1, 10)"), 1);
	assert_int_equal(store_schema_version(fx->st), store_schema_latest());
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	assert_int_equal(store_person_suspensions(fx->st, NULL, "b@x.fr", &sl),
	    STORE_OK);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.v[0].first, D("2026-02-03"));
	assert_int_equal(sl.v[0].last, DATE_NONE);
	assert_string_equal(sl.v[0].reason, "poste partagé");
	store_suspension_list_free(&sl);
	assert_int_equal(store_person_suspensions(fx->st, NULL, "a@x.fr", &sl),
	    STORE_OK);
	assert_int_equal(sl.n, 0);
	store_suspension_list_free(&sl);
	assert_int_equal(store_person_list(fx->st, NULL, D("2026-02-02"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].suspended);
	store_person_list_free(&l);
	assert_int_equal(store_person_list(fx->st, NULL, D("2026-02-03"), &l),
	    STORE_OK);
	assert_true(l.v[0].suspended);
	store_person_list_free(&l);
	/* and it is resumed as any other */
	assert_int_equal(store_person_resume_on(fx->st, NULL, "b@x.fr",
	    D("2026-03-01"), D("2026-03-01"), ACTOR, NOW), STORE_OK);
	buf_free(&err);
}

/*
 * A store written by schema 1 (tests/data/store/schema1.db: made by the
 * first release's balpctl and balpd: a partner, a person ended at
 * 2025-12-31 and one from 2026-01-01, one rejected message) opens: each
 * person's dates become its first period, decisions get the later
 * columns, nothing else changes, and the audit chain still verifies (the
 * migrations write no audit row).
 */
static void
test_migration_from_schema_1(void **state)
{
	struct fx *fx = *state;
	struct store_person_list l;
	struct store_decision_list dl = { NULL, 0 };
	struct store_audit_report r;
	struct buf err = BUF_INIT;
	char sql[200];
	int64_t bad = -1;
	long audit;
	FILE *in, *out;
	int c;

	store_close(fx->st);
	fx->st = NULL;
	assert_non_null(in = fopen(BALP_SRCDIR "/tests/data/store/schema1.db",
	    "rb"));
	assert_non_null(out = fopen(fx->path, "wb"));
	while ((c = getc(in)) != EOF)
		putc(c, out);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(raw_count(fx->path, "PRAGMA user_version"), 1);
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");

	assert_int_equal(test_store_open(fx->path, &fx->st, &err), STORE_OK);
	assert_int_equal(store_schema_version(fx->st), store_schema_latest());
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "hab_periods"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM hab_periods "
	    "h JOIN persons p ON p.id = h.person_id WHERE h.hab_start = "
	    "p.hab_start AND h.hab_end IS p.hab_end"), 2);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(store_person_list(fx->st, NULL, D("2025-06-01"), &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].email, "a@x.fr");
	store_person_list_free(&l);
	assert_int_equal(store_decision_list(fx->st, NULL, &dl), STORE_OK);
	assert_int_equal(dl.n, 1);
	assert_string_equal(dl.v[0].outcome, "rejected");
	assert_int_equal(dl.v[0].supersedes, 0);
	store_decision_list_free(&dl);
	/*
	 * And it is written to as any store: the first keyed row names the
	 * rows from before the key, which stay verified without it.
	 */
	assert_int_equal(store_person_end(fx->st, NULL, "b@x.fr",
	    D("2026-06-30"), D("2026-01-01"), ACTOR, NOW), STORE_OK);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 0);
	assert_int_equal(r.legacy_rows, audit);
	assert_int_equal(r.rows, audit + 2);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE id = %ld "
	    "AND keyed = 1 AND action = 'audit.keyed' AND detail = "
	    "'legacy_rows=%ld'", audit + 1, audit);
	assert_int_equal(raw_count(fx->path, sql), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit WHERE "
	    "keyed = 0"), audit);
	/* The count of old rows raised: the keyed row disagrees. */
	raw_exec(fx->path, "UPDATE audit_keying SET legacy_rows = legacy_rows "
	    "+ 1");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.why, STORE_AUDIT_LEGACY);
	assert_int_equal(r.bad_id, audit + 1);
	buf_free(&err);
}

static void
test_habilitations_several_rows(void **state)
{
	struct fx *fx = *state;
	struct store_habilitations h;
	int32_t t = D("2026-01-01");

	add_partner(fx->st, "ccas", D("2025-01-01"), D("2026-12-31"), -1);
	add_partner(fx->st, "apeai", D("2026-01-01"), DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "ccas", "s.x@ex.fr",
	    D("2025-02-01"), D("2026-06-30"), t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "s.x@ex.fr",
	    D("2026-03-01"), DATE_NONE, t), STORE_OK);
	assert_int_equal(add_person(fx->st, "apeai", "other@ex.fr",
	    D("2026-03-01"), DATE_NONE, t), STORE_OK);
	assert_int_equal(store_partner_suspend(fx->st, "ccas", "audit",
	    ACTOR, NOW), STORE_OK);
	assert_int_equal(store_person_suspend(fx->st, "apeai", "s.x@ex.fr",
	    "check", ACTOR, NOW), STORE_OK);

	assert_int_equal(store_habilitations(fx->st, "  S.X@Ex.FR ", &h),
	    STORE_OK);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.v[0].partner_id, "apeai");
	assert_int_equal(h.v[0].convention_start, D("2026-01-01"));
	assert_int_equal(h.v[0].convention_end, DATE_NONE);
	assert_false(h.v[0].partner_suspended);
	assert_int_equal(h.v[0].start, D("2026-03-01"));
	assert_int_equal(h.v[0].end, DATE_NONE);
	assert_true(h.v[0].person_suspended);
	assert_string_equal(h.v[1].partner_id, "ccas");
	assert_int_equal(h.v[1].convention_start, D("2025-01-01"));
	assert_int_equal(h.v[1].convention_end, D("2026-12-31"));
	assert_true(h.v[1].partner_suspended);
	assert_int_equal(h.v[1].start, D("2025-02-01"));
	assert_int_equal(h.v[1].end, D("2026-06-30"));
	assert_false(h.v[1].person_suspended);
	store_habilitations_free(&h);
	assert_int_equal(h.n, 0);

	assert_int_equal(store_habilitations(fx->st, "nobody@ex.fr", &h),
	    STORE_OK);
	assert_int_equal(h.n, 0);
	store_habilitations_free(&h);
}

/* ---- decisions and outbox --------------------------------------------- */

static const char pseudo[] =
    "4eb29b6f302d6d9622dbbea169985694f37012a0f4f2705c914f77093ef3a3de";

static struct store_decision_spec
decision_spec(const char *ref)
{
	struct store_decision_spec d;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.message_id = "<m1@apeai34.fr>";
	d.sender = "A.Martin@apeai34.fr";
	d.partner_id = "apeai";
	d.type = "rib";
	d.outcome = OUTCOME_REJECTED;
	d.reasons = REASON_BIT(REASON_NIR_INVALID) |
	    REASON_BIT(REASON_NAME_MISSING);
	d.queue = "BALP/Rejets";
	d.nir_pseudonym = pseudo;
	return d;
}

static void
test_decision_record_find(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("1700000000.M1P2.host");
	struct store_notice n = { "a.martin@apeai34.fr", "Votre demande",
	    "Bonjour, ..." };
	struct store_decision got;
	int64_t id = 0;

	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    &id), STORE_OK);
	assert_true(id > 0);
	assert_int_equal(store_decision_find(fx->st, "maildir",
	    "1700000000.M1P2.host", &got), STORE_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.decided_at, "2026-09-21T14:13:20Z");
	assert_string_equal(got.source, "maildir");
	assert_string_equal(got.message_id, "<m1@apeai34.fr>");
	assert_string_equal(got.sender, "a.martin@apeai34.fr");
	assert_string_equal(got.partner_id, "apeai");
	assert_string_equal(got.type, "rib");
	assert_string_equal(got.outcome, "rejected");
	assert_string_equal(got.reasons, "nir_invalid,name_missing");
	assert_string_equal(got.queue, "BALP/Rejets");
	assert_string_equal(got.nir_pseudonym, pseudo);
	store_decision_free(&got);

	assert_int_equal(store_decision_find(fx->st, "maildir", "other",
	    &got), STORE_NOTFOUND);
	assert_int_equal(store_decision_find(fx->st, "imap",
	    "1700000000.M1P2.host", &got), STORE_NOTFOUND);
}

static void
test_decision_nulls(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision got;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = "x";
	d.outcome = OUTCOME_QUARANTINED;
	d.reasons = REASON_BIT(REASON_MALFORMED);
	d.queue = "BALP/Quarantaine";
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(store_decision_find(fx->st, "maildir", "x", &got),
	    STORE_OK);
	assert_null(got.sender);
	assert_null(got.partner_id);
	assert_null(got.type);
	assert_null(got.message_id);
	assert_null(got.nir_pseudonym);
	assert_string_equal(got.reasons, "malformed");
	assert_string_equal(got.outcome, "quarantined");
	store_decision_free(&got);
}

static void
test_decision_unique_per_message(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("ref-1");
	struct store_notice n = { "a@x.fr", "s", "b" };
	long audit, outbox;

	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    NULL), STORE_OK);
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");
	outbox = raw_count(fx->path, "SELECT count(*) FROM outbox");
	d.outcome = OUTCOME_ACCEPTED;
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    NULL), STORE_EXISTS);
	assert_non_null(strstr(store_errmsg(fx->st), "already decided"));
	/* Nothing of the second attempt remains. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 1);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox"),
	    outbox);
	/* Another source may use the same reference. */
	d.source = "imap";
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
}

/*
 * The second key: one first decision per header section, whatever name
 * the source gives the message; found again by it.
 */
static void
test_decision_header_key(void **state)
{
	static const char key1[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char key2[] =
	    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("1795929450.7");
	struct store_decision got;
	int64_t id = 0;

	d.source = "imap";
	d.header_key = key1;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    &id), STORE_OK);
	/* The same message under a new UIDVALIDITY: already decided. */
	d.source_ref = "1795930000.1";
	d.outcome = OUTCOME_ACCEPTED;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_EXISTS);
	assert_int_equal(store_decision_find(fx->st, "imap", "1795930000.1",
	    &got), STORE_NOTFOUND);
	assert_int_equal(store_decision_find_by_key(fx->st, key1, &got),
	    STORE_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.source_ref, "1795929450.7");
	assert_string_equal(got.outcome, "rejected");
	store_decision_free(&got);
	assert_int_equal(store_decision_find_by_key(fx->st, key2, &got),
	    STORE_NOTFOUND);
	/* Another message under that name's neighbour: its own decision. */
	d.header_key = key2;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	/* Sources that give no digest store none, and never collide. */
	d = decision_spec("a");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("b");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM decisions"
	    " WHERE header_key IS NULL"), 2);
}

/*
 * What every new message asks the store (is it decided already, by its
 * name or its header key; its decision written) reads an index, never
 * the table: a walk of the decisions costs each message more as they
 * accumulate (find_by_key once read the table whole: the unique index
 * holds first decisions only).
 */
/* A header key of its own for decision i: i in hex, then a's. */
static void
decision_key(char key[65], int i)
{
	snprintf(key, 65, "%04x%060d", (unsigned)i, 0);
	memset(key + 4, 'a', 60);
}

static void
test_decision_path_reads_no_table(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision got;
	char ref[32], key[65];
	sqlite3_stmt *s;
	int i, checked = 0;

	for (i = 0; i < 300; i++) {
		snprintf(ref, sizeof(ref), "1700000000.%d", i);
		decision_key(key, i);
		d = decision_spec(ref);
		d.source = "lmtp";
		d.header_key = key;
		assert_int_equal(store_decision_record(fx->st, &d, NULL,
		    "balpd", NOW, NULL), STORE_OK);
	}
	for (i = 0; i < STMT_COUNT; i++)
		if (fx->st->stmt[i] != NULL)
			(void)sqlite3_stmt_status(fx->st->stmt[i],
			    SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	/* A message not seen yet, then one seen, then a new decision. */
	memset(key, 'f', 64);
	assert_int_equal(store_decision_find_by_key(fx->st, key, &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_decision_find(fx->st, "lmtp", "1800000000.1",
	    &got), STORE_NOTFOUND);
	decision_key(key, 150);
	assert_int_equal(store_decision_find_by_key(fx->st, key, &got),
	    STORE_OK);
	assert_string_equal(got.source_ref, "1700000000.150");
	store_decision_free(&got);
	d = decision_spec("1800000000.1");
	d.source = "lmtp";
	memset(key, 'e', 64);
	d.header_key = key;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd",
	    NOW, NULL), STORE_OK);
	for (i = 0; i < STMT_COUNT; i++) {
		if ((s = fx->st->stmt[i]) == NULL)
			continue;
		checked++;
		if (sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP,
		    0) > 10)
			fail_msg("reads a table whole: %s", sqlite3_sql(s));
	}
	assert_true(checked >= 4);
}

static void
test_decision_refuses_nir_in_pseudonym(void **state)
{
	static const char *const bad[] = {
		"185057800608491",	/* a NIR, in clear */
		"4EB29B6F302D6D9622DBBEA169985694F37012A0F4F2705C914F77093EF3A3DE",
		"4eb29b6f302d6d9622dbbea169985694f37012a0f4f2705c914f77093ef3a3d",
		"",
	};
	struct fx *fx = *state;
	struct store_decision_spec d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = decision_spec("ref");
		d.nir_pseudonym = bad[i];
		assert_int_equal(store_decision_record(fx->st, &d, NULL,
		    "balpd", NOW, NULL), STORE_REFUSED);
		/* The message does not echo the value. */
		assert_null(strstr(store_errmsg(fx->st), "185057800608491"));
	}
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 0);
}

static void
test_decision_list(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision_filter f;
	struct store_decision_list l;
	char ref[16];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(ref, sizeof(ref), "r%d", i);
		d = decision_spec(ref);
		if (i % 2) {
			d.partner_id = "ccas";
			d.sender = "B@ccas.fr";
		}
		assert_int_equal(store_decision_record(fx->st, &d, NULL,
		    "balpd", NOW + i, NULL), STORE_OK);
	}
	memset(&f, 0, sizeof(f));
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_OK);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].source_ref, "r4");	/* newest first */
	assert_string_equal(l.v[4].source_ref, "r0");
	store_decision_list_free(&l);

	f.limit = 2;
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].source_ref, "r3");
	store_decision_list_free(&l);

	f.limit = 0;
	f.partner_id = "ccas";
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].source_ref, "r3");
	store_decision_list_free(&l);

	f.partner_id = NULL;
	f.sender = "b@CCAS.fr";
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	store_decision_list_free(&l);
	assert_int_equal(store_decision_list(fx->st, NULL, &l), STORE_OK);
	assert_int_equal(l.n, 5);
	store_decision_list_free(&l);
}

/* ---- trace queries: store_decision_list's filter ----------------------- */

/* Midnight UTC of NOW's day: the period tests' day. */
#define M0	(NOW - NOW % 86400)

static time_t
trace_cut(const char *name, void *arg)
{
	(void)name;
	return *(const time_t *)arg;
}

/* Two beneficiaries' pseudonyms under the tests' pseudonym key. */
static const unsigned char trace_key[KEYFILE_KEY_LEN] = { 0x70, 0x73 };

static void
trace_pseudonym(const char *nir, char out[KEYFILE_PSEUDONYM_LEN + 1])
{
	struct nir_scan scan;

	/* The writing an admin types, read as the pipeline reads a Subject. */
	nir_scan(nir, strlen(nir), &scan);
	assert_int_equal(scan.found, 1);
	keyfile_pseudonym(trace_key, scan.nir, out);
}

/*
 * Six decisions around one day [M0, M0 + 1 day): r0 one second before it,
 * r1 at its first second, r2 at its last, r3 at the next day's first.
 */
static void
trace_fixture(struct fx *fx)
{
	static const struct {
		const char	*ref;
		time_t		 at;
		const char	*partner, *sender, *type;
		enum outcome	 outcome;
		reason_set	 reasons;
		const char	*nir;
	} rows[] = {
		{ "r0", M0 - 1, "apeai", "A.Martin@apeai34.fr", "rib",
		  OUTCOME_ACCEPTED, 0, "185057800608491" },
		{ "r1", M0, "apeai", "a.martin@apeai34.fr", "suspension",
		  OUTCOME_REJECTED, REASON_BIT(REASON_NIR_INVALID) |
		  REASON_BIT(REASON_NAME_MISSING), "269052B12345618" },
		{ "r2", M0 + 86399, "ccas", "c.garcia@ccas.fr", "rib",
		  OUTCOME_REJECTED, REASON_BIT(REASON_NAME_MISSING),
		  "1 85 05 78 006 084 91" },
		{ "r3", M0 + 86400, "ccas", "c.garcia@ccas.fr", "blocage",
		  OUTCOME_QUARANTINED, REASON_BIT(REASON_AUTH_FAILED), NULL },
		{ "r4", M0 + 2 * 86400, "apeai", "j.roux@apeai34.fr", "rib",
		  OUTCOME_REJECTED,
		  REASON_BIT(REASON_SENDER_HABILITATION_ENDED) |
		  REASON_BIT(REASON_NIR_KEY_MISSING), NULL },
		{ "r5", M0 + 2 * 86400 + 5, NULL, NULL, NULL,
		  OUTCOME_QUARANTINED, REASON_BIT(REASON_MALFORMED), NULL },
	};
	struct store_decision_spec d;
	char p[KEYFILE_PSEUDONYM_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		d = decision_spec(rows[i].ref);
		d.partner_id = rows[i].partner;
		d.sender = rows[i].sender;
		d.type = rows[i].type;
		d.outcome = rows[i].outcome;
		d.reasons = rows[i].reasons;
		d.nir_pseudonym = NULL;
		if (rows[i].nir != NULL) {
			trace_pseudonym(rows[i].nir, p);
			d.nir_pseudonym = p;
		}
		assert_int_equal(store_decision_record(fx->st, &d, NULL,
		    "balpd", rows[i].at, NULL), STORE_OK);
	}
}

/* The refs the filter gives, in the order given, joined by ','. */
static void
expect_refs(struct fx *fx, const struct store_decision_filter *f,
    const char *want)
{
	struct store_decision_list l;
	struct buf got = BUF_INIT;
	size_t i;

	assert_int_equal(store_decision_list(fx->st, f, &l), STORE_OK);
	buf_add(&got, "", 0);
	for (i = 0; i < l.n; i++)
		buf_printf(&got, "%s%s", i > 0 ? "," : "", l.v[i].source_ref);
	store_decision_list_free(&l);
	assert_string_equal(buf_str(&got), want);
	buf_free(&got);
}

static void
test_trace_each_filter_alone(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;
	char p[KEYFILE_PSEUDONYM_LEN + 1];

	trace_fixture(fx);
	memset(&f, 0, sizeof(f));
	expect_refs(fx, &f, "r5,r4,r3,r2,r1,r0");
	f.partner_id = "apeai";
	expect_refs(fx, &f, "r4,r1,r0");
	memset(&f, 0, sizeof(f));
	f.sender = " A.MARTIN@apeai34.FR";
	expect_refs(fx, &f, "r1,r0");
	memset(&f, 0, sizeof(f));
	f.from = M0;
	expect_refs(fx, &f, "r5,r4,r3,r2,r1");
	memset(&f, 0, sizeof(f));
	f.before = M0 + 86400;
	expect_refs(fx, &f, "r2,r1,r0");
	memset(&f, 0, sizeof(f));
	f.outcome = "rejected";
	expect_refs(fx, &f, "r4,r2,r1");
	f.outcome = "quarantined";
	expect_refs(fx, &f, "r5,r3");
	memset(&f, 0, sizeof(f));
	f.reason = "name_missing";		/* r1's last, r2's only */
	expect_refs(fx, &f, "r2,r1");
	f.reason = "nir_invalid";		/* r1's first */
	expect_refs(fx, &f, "r1");
	f.reason = "too_large";
	expect_refs(fx, &f, "");
	memset(&f, 0, sizeof(f));
	f.type = "rib";
	expect_refs(fx, &f, "r4,r2,r0");
	memset(&f, 0, sizeof(f));
	trace_pseudonym("185057800608491", p);
	f.nir_pseudonym = p;
	expect_refs(fx, &f, "r2,r0");
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	expect_refs(fx, &f, "r5,r4");
}

static void
test_trace_filters_combined(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;
	char p[KEYFILE_PSEUDONYM_LEN + 1];

	trace_fixture(fx);
	trace_pseudonym("185057800608491", p);
	memset(&f, 0, sizeof(f));
	f.partner_id = "apeai";
	f.outcome = "rejected";
	expect_refs(fx, &f, "r4,r1");
	f.limit = 1;
	expect_refs(fx, &f, "r4");
	memset(&f, 0, sizeof(f));
	f.nir_pseudonym = p;
	f.partner_id = "ccas";
	expect_refs(fx, &f, "r2");
	memset(&f, 0, sizeof(f));
	f.nir_pseudonym = p;
	f.before = M0;
	expect_refs(fx, &f, "r0");
	memset(&f, 0, sizeof(f));
	f.from = M0;
	f.before = M0 + 86400;
	f.sender = "c.garcia@ccas.fr";
	expect_refs(fx, &f, "r2");
	memset(&f, 0, sizeof(f));
	f.reason = "name_missing";
	f.type = "rib";
	expect_refs(fx, &f, "r2");
	/* Every filter at once, then each one changed alone: nothing. */
	memset(&f, 0, sizeof(f));
	f.partner_id = "ccas";
	f.sender = "c.garcia@ccas.fr";
	f.from = M0;
	f.before = M0 + 86400;
	f.outcome = "rejected";
	f.reason = "name_missing";
	f.type = "rib";
	f.nir_pseudonym = p;
	expect_refs(fx, &f, "r2");
	f.outcome = "accepted";
	expect_refs(fx, &f, "");
	f.outcome = "rejected";
	f.type = "blocage";
	expect_refs(fx, &f, "");
	f.type = "rib";
	f.partner_id = "apeai";
	expect_refs(fx, &f, "");
	f.partner_id = "ccas";
	f.sender = "a.martin@apeai34.fr";
	expect_refs(fx, &f, "");
	f.sender = "c.garcia@ccas.fr";
	f.reason = "auth_failed";
	expect_refs(fx, &f, "");
	f.reason = "name_missing";
	f.from = M0 + 86400;
	f.before = 0;
	expect_refs(fx, &f, "");
}

/* [from, before): the first second in, the second at `before` out. */
static void
test_trace_period_bounds(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;

	trace_fixture(fx);
	memset(&f, 0, sizeof(f));
	f.from = M0;
	f.before = M0 + 86400;
	expect_refs(fx, &f, "r2,r1");
	f.from = M0 - 1;
	expect_refs(fx, &f, "r2,r1,r0");
	f.before = M0 + 86401;
	expect_refs(fx, &f, "r3,r2,r1,r0");
	f.from = M0 + 86399;
	f.before = M0 + 86400;
	expect_refs(fx, &f, "r2");
	f.from = M0 + 86400;
	expect_refs(fx, &f, "");
}

/* A reason is a whole code of the list, never part of one. */
static void
test_trace_reason_whole_code(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;

	/* Lists no store write makes, written behind its back. */
	raw_exec(fx->path, "INSERT INTO decisions (decided_at, source, "
	    "source_ref, outcome, reasons, queue) VALUES "
	    "('2026-09-21T00:00:01Z', 'maildir', 'alone', 'rejected', "
	    "'nir_missing', 'q'), "
	    "('2026-09-21T00:00:02Z', 'maildir', 'first', 'rejected', "
	    "'nir_missing,name_missing', 'q'), "
	    "('2026-09-21T00:00:03Z', 'maildir', 'last', 'rejected', "
	    "'name_missing,nir_missing', 'q'), "
	    "('2026-09-21T00:00:04Z', 'maildir', 'longer', 'rejected', "
	    "'nir_missing_key', 'q'), "
	    "('2026-09-21T00:00:05Z', 'maildir', 'inside', 'rejected', "
	    "'name_missing,xnir_missing,nir_missingx', 'q'), "
	    "('2026-09-21T00:00:06Z', 'maildir', 'wildcard', 'rejected', "
	    "'nir-missing', 'q'), "
	    "('2026-09-21T00:00:07Z', 'maildir', 'none', 'accepted', "
	    "'', 'q')");
	memset(&f, 0, sizeof(f));
	f.reason = "nir_missing";
	expect_refs(fx, &f, "last,first,alone");
	f.reason = "name_missing";
	expect_refs(fx, &f, "inside,last,first");
}

/*
 * --nir: the pseudonym of a NIR in any writing finds its rows; another
 * NIR finds its own; one never seen, none.
 */
static void
test_trace_by_pseudonym(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;
	char p[KEYFILE_PSEUDONYM_LEN + 1];

	trace_fixture(fx);
	memset(&f, 0, sizeof(f));
	f.nir_pseudonym = p;
	trace_pseudonym("1.85.05.78.006.084-91", p);
	expect_refs(fx, &f, "r2,r0");
	trace_pseudonym("2 69 05 2b 123 456 18", p);	/* lower-case 2b */
	expect_refs(fx, &f, "r1");
	trace_pseudonym("2870634172058 73", p);
	expect_refs(fx, &f, "");
	/* The pseudonym is the key's: another key finds nothing. */
	keyfile_pseudonym(test_audit_key, "185057800608491", p);
	expect_refs(fx, &f, "");
}

static void
test_trace_refusals(void **state)
{
	static const char *const bad_pseudonyms[] = {
		"185057800608491",
		"4EB29B6F302D6D9622DBBEA169985694F37012A0F4F2705C914F77093EF3A3DE",
		"",
	};
	struct fx *fx = *state;
	struct store_decision_filter f;
	struct store_decision_list l;
	size_t i;

	trace_fixture(fx);
	memset(&f, 0, sizeof(f));
	f.outcome = "185057800608491";
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_REFUSED);
	assert_null(strstr(store_errmsg(fx->st), "185057800608491"));
	f.outcome = "Accepted";
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_REFUSED);
	memset(&f, 0, sizeof(f));
	f.reason = "185057800608491";
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_REFUSED);
	assert_null(strstr(store_errmsg(fx->st), "185057800608491"));
	f.reason = "missing";			/* part of codes, none */
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_REFUSED);
	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(bad_pseudonyms) / sizeof(bad_pseudonyms[0]);
	    i++) {
		f.nir_pseudonym = bad_pseudonyms[i];
		assert_int_equal(store_decision_list(fx->st, &f, &l),
		    STORE_REFUSED);
		assert_int_equal(l.n, 0);
		assert_null(strstr(store_errmsg(fx->st), "185057800608491"));
	}
}

/*
 * The one cached statement is answered by an index for a pseudonym, a
 * partner or a sender, and never sorts: the branches merge in id order.
 */
static void
test_trace_query_plan(void **state)
{
	struct fx *fx = *state;
	struct store_decision_list l;
	struct buf sql = BUF_INIT, plan = BUF_INIT;
	sqlite3_stmt *s;

	trace_fixture(fx);
	assert_int_equal(store_decision_list(fx->st, NULL, &l), STORE_OK);
	store_decision_list_free(&l);
	assert_non_null(fx->st->stmt_sql[STMT_DECISION_LIST]);
	buf_printf(&sql, "EXPLAIN QUERY PLAN %s",
	    fx->st->stmt_sql[STMT_DECISION_LIST]);
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->st), buf_str(&sql),
	    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(&plan, "%s\n", sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	assert_non_null(strstr(buf_str(&plan), "INDEX decisions_pseudonym"));
	assert_non_null(strstr(buf_str(&plan), "INDEX decisions_partner"));
	assert_non_null(strstr(buf_str(&plan), "INDEX decisions_sender"));
	assert_null(strstr(buf_str(&plan), "TEMP B-TREE"));
	buf_free(&sql);
	buf_free(&plan);
}

/* The query plan of the cached statement id, one line per step. */
static void
plan_of(struct fx *fx, enum stmt_id id, struct buf *plan)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *s;

	assert_non_null(fx->st->stmt_sql[id]);
	buf_printf(&sql, "EXPLAIN QUERY PLAN %s", fx->st->stmt_sql[id]);
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->st), buf_str(&sql),
	    -1, &s, NULL), SQLITE_OK);
	buf_reset(plan);
	while (sqlite3_step(s) == SQLITE_ROW)
		buf_printf(plan, "%s\n", sqlite3_column_text(s, 3));
	sqlite3_finalize(s);
	buf_free(&sql);
}

/*
 * The console's searches by a period alone read the period by its index,
 * newest first, with no sort and no scan of the table; the dashboard's
 * queue counts and oldest, and queue status's overdue ids, come from
 * decisions_queue, never the table.
 */
static void
test_console_query_plans(void **state)
{
	struct fx *fx = *state;
	struct store_decision_filter f;
	struct store_decision_list l;
	struct store_queue_list ql;
	struct buf plan = BUF_INIT;
	time_t cut = M0 + 86400;

	trace_fixture(fx);
	memset(&f, 0, sizeof(f));
	f.from = M0 - 1;
	f.before = M0 + 3 * 86400;
	f.limit = 2;
	/* The newest of the period first, as by the ids. */
	expect_refs(fx, &f, "r5,r4");
	f.outcome = "quarantined";
	expect_refs(fx, &f, "r5,r3");
	f.from = 0;
	f.limit = 0;
	expect_refs(fx, &f, "r5,r3");
	assert_int_equal(store_decision_list(fx->st, &f, &l), STORE_OK);
	store_decision_list_free(&l);
	plan_of(fx, STMT_DECISION_LIST_PERIOD, &plan);
	assert_non_null(strstr(buf_str(&plan), "INDEX decisions_decided"));
	assert_null(strstr(buf_str(&plan), "TEMP B-TREE"));
	assert_null(strstr(buf_str(&plan), "SCAN decisions"));

	assert_int_equal(store_queue_summary(fx->st, NULL, NULL, &ql),
	    STORE_OK);
	store_queue_list_free(&ql);
	/* With a cutoff: the statement of the recent ones too. */
	assert_int_equal(store_queue_summary(fx->st, trace_cut, &cut, &ql),
	    STORE_OK);
	store_queue_list_free(&ql);
	plan_of(fx, STMT_QUEUE_COUNT, &plan);
	assert_non_null(strstr(buf_str(&plan),
	    "COVERING INDEX decisions_queue"));
	plan_of(fx, STMT_QUEUE_RECENT, &plan);
	assert_non_null(strstr(buf_str(&plan),
	    "COVERING INDEX decisions_queue (queue=? AND decided_at>?)"));
	plan_of(fx, STMT_QUEUE_OLDEST, &plan);
	assert_non_null(strstr(buf_str(&plan), "INDEX decisions_queue"));
	assert_null(strstr(buf_str(&plan), "TEMP B-TREE"));
	plan_of(fx, STMT_QUEUE_NAMES, &plan);
	assert_null(strstr(buf_str(&plan), "SCAN decisions"));
	/* The overdue ids (queue status, the digest): the index's first. */
	assert_int_equal(store_queue_overdue(fx->st, trace_cut, &cut, 5, &ql),
	    STORE_OK);
	store_queue_list_free(&ql);
	plan_of(fx, STMT_QUEUE_OVERDUE, &plan);
	assert_non_null(strstr(buf_str(&plan),
	    "COVERING INDEX decisions_queue (queue=? AND decided_at<?)"));
	assert_null(strstr(buf_str(&plan), "TEMP B-TREE"));
	assert_null(strstr(buf_str(&plan), "SCAN decisions"));
	buf_free(&plan);
}

static void
test_outbox(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("ref");
	struct store_notice n = { "a.martin@apeai34.fr", "BALP : demande "
	    "rejetée", "Votre demande n'a pas été traitée : NIR invalide." };
	struct store_outbox_list l;
	int64_t id;

	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    &id), STORE_OK);
	d = decision_spec("no-notice");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);

	assert_int_equal(store_outbox_pending(fx->st, NOW, 0, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].decision_id, id);
	assert_string_equal(l.v[0].recipient, "a.martin@apeai34.fr");
	assert_string_equal(l.v[0].subject, n.subject);
	assert_string_equal(l.v[0].body, n.body);
	assert_string_equal(l.v[0].status, "pending");
	assert_int_equal(l.v[0].attempts, 0);
	assert_null(l.v[0].last_error);
	id = l.v[0].id;
	store_outbox_list_free(&l);
	/* Not due before it was queued. */
	assert_int_equal(store_outbox_pending(fx->st, NOW - 1, 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 0);
	store_outbox_list_free(&l);

	/* A failure postpones it... */
	assert_int_equal(store_outbox_failed(fx->st, id, "451 try later",
	    NOW + 600, NOW), STORE_OK);
	assert_int_equal(store_outbox_pending(fx->st, NOW + 599, 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 0);
	store_outbox_list_free(&l);
	assert_int_equal(store_outbox_pending(fx->st, NOW + 600, 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].attempts, 1);
	assert_string_equal(l.v[0].last_error, "451 try later");
	store_outbox_list_free(&l);
	/* ... and once sent it is no longer pending. */
	assert_int_equal(store_outbox_sent(fx->st, id, NOW + 600), STORE_OK);
	assert_int_equal(store_outbox_pending(fx->st, NOW + 9999, 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 0);
	store_outbox_list_free(&l);
	assert_int_equal(store_outbox_sent(fx->st, id, NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT attempts FROM outbox"),
	    2);
}

static void
test_outbox_failed_for_good(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("ref");
	struct store_notice n = { "a@x.fr", "s", "b" };
	struct store_outbox_list l;

	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(store_outbox_pending(fx->st, NOW, 1, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(store_outbox_failed(fx->st, l.v[0].id,
	    "550 no such user", (time_t)-1, NOW), STORE_OK);
	store_outbox_list_free(&l);
	assert_int_equal(store_outbox_pending(fx->st, NOW + 99999, 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 0);
	store_outbox_list_free(&l);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox "
	    "WHERE status = 'failed'"), 1);
}

/* A failure inside the transaction leaves no decision, notice nor trace. */
static void
test_decision_all_or_nothing(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("ref");
	struct store_notice n = { "a@x.fr", "s", "b" };
	struct store_decision got;

	raw_exec(fx->path, "CREATE TRIGGER boom BEFORE INSERT ON outbox "
	    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    NULL), STORE_ERROR);
	assert_int_equal(store_decision_find(fx->st, "maildir", "ref", &got),
	    STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 0);
	/* Without a notice the trigger is not reached. */
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 1);
}

/* ---- audit ------------------------------------------------------------ */

static void
fill_some(struct store *st)
{
	struct store_decision_spec d = decision_spec("ref");
	int32_t t = D("2026-01-01");

	add_partner(st, "apeai", t, DATE_NONE, -1);			/* 1 */
	assert_int_equal(add_person(st, "apeai", "a@x.fr", t, DATE_NONE, t),
	    STORE_OK);							/* 2 */
	assert_int_equal(store_decision_record(st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);						/* 3 */
	assert_int_equal(store_person_end(st, NULL, "a@x.fr",
	    D("2026-02-01"), t, ACTOR, NOW), STORE_OK);		/* 4 */
	assert_int_equal(store_partner_suspend(st, "apeai", "r", ACTOR, NOW),
	    STORE_OK);							/* 5 */
}

static void
test_audit_rows(void **state)
{
	struct fx *fx = *state;
	struct store_audit_list l;

	fill_some(fx->st);
	assert_int_equal(store_audit_list(fx->st, NULL, 0, &l), STORE_OK);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[4].prev_hash, "00000000000000000000000000000000"
	    "00000000000000000000000000000000");
	assert_string_equal(l.v[4].action, "partner.add");
	assert_string_equal(l.v[4].kind, "admin");
	assert_string_equal(l.v[4].actor, ACTOR);
	assert_string_equal(l.v[4].object, "apeai");
	assert_string_equal(l.v[3].object, "apeai/a@x.fr");
	assert_string_equal(l.v[2].kind, "decision");
	assert_string_equal(l.v[2].action, "decision.record");
	assert_string_equal(l.v[3].prev_hash, l.v[4].hash);
	assert_string_equal(l.v[0].action, "partner.suspend");
	/* The pseudonym stays in the decision row, not in the trace. */
	assert_null(strstr(l.v[2].detail, pseudo));
	store_audit_list_free(&l);
	assert_int_equal(store_audit_list(fx->st, "decision", 0, &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	store_audit_list_free(&l);
	assert_int_equal(store_audit_list(fx->st, NULL, 2, &l), STORE_OK);
	assert_int_equal(l.n, 2);
	store_audit_list_free(&l);
}

static void
test_audit_verify_ok(void **state)
{
	struct fx *fx = *state;
	int64_t bad = -1;

	assert_int_equal(store_audit_verify(fx->st, &bad), 0);	/* empty */
	fill_some(fx->st);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(bad, 0);
}

static void
test_audit_verify_tampered_detail(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	raw_exec(fx->path, "UPDATE audit SET detail = detail || ' (edited)' "
	    "WHERE id = 3");
	assert_int_equal(store_audit_verify(fx->st, &bad), 1);
	assert_int_equal(bad, 3);
}

static void
test_audit_verify_tampered_actor(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	raw_exec(fx->path, "UPDATE audit SET actor = 'someone-else' "
	    "WHERE id = 2");
	assert_int_equal(store_audit_verify(fx->st, &bad), 1);
	assert_int_equal(bad, 2);
}

/* Rewriting a row's hash too breaks the link to the next row. */
static void
test_audit_verify_rehashed_row(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	raw_exec(fx->path, "UPDATE audit SET hash = '"
	    "1111111111111111111111111111111111111111111111111111111111111111'"
	    " WHERE id = 4");
	assert_int_equal(store_audit_verify(fx->st, &bad), 1);
	assert_int_equal(bad, 4);
}

static void
test_audit_verify_deleted_row(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	raw_exec(fx->path, "DELETE FROM audit WHERE id = 2");
	assert_int_equal(store_audit_verify(fx->st, &bad), 1);
	assert_int_equal(bad, 3);
}

/* After a break, new rows still chain on the last row as stored. */
static void
test_audit_chain_continues(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	assert_int_equal(store_partner_resume(fx->st, "apeai", ACTOR, NOW),
	    STORE_OK);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 6);
}

static void
hash_ns(crypto_generichash_state *h, const char *f, size_t n)
{
	char num[32];

	snprintf(num, sizeof(num), "%zu:", n);
	crypto_generichash_update(h, (const unsigned char *)num, strlen(num));
	crypto_generichash_update(h, (const unsigned char *)f, n);
	crypto_generichash_update(h, (const unsigned char *)",", 1);
}

static void
hash_hex(crypto_generichash_state *h, char out[65])
{
	unsigned char md[32];

	crypto_generichash_final(h, md, sizeof(md));
	sodium_bin2hex(out, 65, md, sizeof(md));
}

/*
 * What an intruder who can write the database can do: edit rows from
 * `from` on and hash them again, each on the one before, with the
 * definitions of docs/store.md - with key, the keyed one (the content's
 * hash, then the link); without (key NULL), the unkeyed one of the rows
 * from before schema 5 - marking them keyed or not.
 */
static void
rehash_from(const char *path, int64_t from, const unsigned char *key,
    int keyed)
{
	sqlite3 *db;
	sqlite3_stmt *s, *u;
	char prev[65], hash[65], content[65], id[32];
	crypto_generichash_state h;
	int i;

	memset(prev, '0', 64);
	prev[64] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE "
	    "id = ?1 - 1", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, from);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(prev, sizeof(prev), "%s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, at, kind, actor, "
	    "action, object, detail FROM audit WHERE id >= ?1 ORDER BY id", -1,
	    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE audit SET prev_hash = "
	    "?1, hash = ?2, keyed = ?3, content_hash = ?4 WHERE id = ?5", -1,
	    &u, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, from);
	while (sqlite3_step(s) == SQLITE_ROW) {
		snprintf(id, sizeof(id), "%lld", sqlite3_column_int64(s, 0));
		if (key != NULL) {
			crypto_generichash_init(&h, key, 32, 32);
			for (i = 1; i < 7; i++)
				hash_ns(&h, (const char *)sqlite3_column_text(s,
				    i), (size_t)sqlite3_column_bytes(s, i));
			hash_hex(&h, content);
			crypto_generichash_init(&h, key, 32, 32);
			crypto_generichash_update(&h, (const unsigned char *)prev,
			    64);
			hash_ns(&h, id, strlen(id));
			hash_ns(&h, content, 64);
		} else {
			snprintf(content, sizeof(content), "%064d", 0);
			crypto_generichash_init(&h, NULL, 0, 32);
			crypto_generichash_update(&h, (const unsigned char *)prev,
			    64);
			for (i = 0; i < 7; i++)
				hash_ns(&h, (const char *)sqlite3_column_text(s,
				    i), (size_t)sqlite3_column_bytes(s, i));
		}
		hash_hex(&h, hash);
		sqlite3_bind_text(u, 1, prev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(u, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(u, 3, keyed);
		sqlite3_bind_text(u, 4, content, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 5, sqlite3_column_int64(s, 0));
		assert_int_equal(sqlite3_step(u), SQLITE_DONE);
		sqlite3_reset(u);
		memcpy(prev, hash, sizeof(prev));
	}
	sqlite3_finalize(u);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The rehash itself is right: with the key, the chain verifies again. */
static void
test_audit_rehash_with_key_verifies(void **state)
{
	struct fx *fx = *state;
	int64_t bad = 0;

	fill_some(fx->st);
	/* Row 4, person.end: no table row is compared with it. */
	raw_exec(fx->path, "UPDATE audit SET detail = detail || ' (edited)' "
	    "WHERE id = 4");
	rehash_from(fx->path, 4, test_audit_key, 1);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
}

/* An edit hashed again without the key, keyed or not: row 3 is named. */
static void
test_audit_rehash_without_key(void **state)
{
	struct fx *fx = *state;
	struct store_audit_report r;

	fill_some(fx->st);
	raw_exec(fx->path, "UPDATE audit SET detail = detail || ' (edited)' "
	    "WHERE id = 3");
	rehash_from(fx->path, 3, NULL, 1);
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.bad_id, 3);
	assert_int_equal(r.why, STORE_AUDIT_EDITED);
	/* Passed off as rows from before the key: */
	rehash_from(fx->path, 3, NULL, 0);
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.bad_id, 3);
	assert_int_equal(r.why, STORE_AUDIT_UNKEYED);
	/* ... the whole chain, and the count of old rows raised short of
	 * it: the first row past the count is named. */
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	rehash_from(fx->path, 1, NULL, 0);
	raw_exec(fx->path, "UPDATE audit_keying SET legacy_rows = 2");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.bad_id, 3);
	assert_int_equal(r.why, STORE_AUDIT_UNKEYED);
}

/*
 * The limit (docs/store.md): the whole chain re-hashed without the key and
 * the count raised to all of it reads as a store from before the key, and
 * verify says so ("written before the audit key"); an anchor taken before
 * is what proves the rewrite.
 */
static void
test_audit_rewrite_needs_anchor(void **state)
{
	struct fx *fx = *state;
	struct store_audit_report r;
	char anchor[STORE_HASH_HEX_LEN + 1];

	fill_some(fx->st);
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 0);
	assert_int_equal(r.legacy_rows, 0);
	memcpy(anchor, r.head_hash, sizeof(anchor));
	rehash_from(fx->path, 1, NULL, 0);
	raw_exec(fx->path, "UPDATE audit_keying SET legacy_rows = "
	    "(SELECT max(id) FROM audit)");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 0);
	assert_int_equal(r.legacy_rows, r.rows);
	assert_int_equal(store_audit_check(fx->st, anchor, &r), 1);
	assert_int_equal(r.why, STORE_AUDIT_ANCHOR);
}

/* Two rows swapped (ids kept): the first of them does not follow. */
static void
test_audit_reordered_rows(void **state)
{
	struct fx *fx = *state;
	struct store_audit_report r;

	fill_some(fx->st);
	raw_exec(fx->path, "UPDATE audit SET id = -2 WHERE id = 2;"
	    "UPDATE audit SET id = 2 WHERE id = 3;"
	    "UPDATE audit SET id = 3 WHERE id = -2");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.bad_id, 2);
	assert_int_equal(r.why, STORE_AUDIT_LINK);
}

/* A row deleted: the next one says rows are missing before it. */
static void
test_audit_gap(void **state)
{
	struct fx *fx = *state;
	struct store_audit_report r;

	fill_some(fx->st);
	raw_exec(fx->path, "DELETE FROM audit WHERE id = 2");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 1);
	assert_int_equal(r.bad_id, 3);
	assert_int_equal(r.why, STORE_AUDIT_GAP);
	assert_int_equal(r.rows, 1);
}

/*
 * The last rows cut: the shorter chain is intact (nothing in the store can
 * tell), the anchor taken before is not in it any more.
 */
static void
test_audit_anchor(void **state)
{
	struct fx *fx = *state;
	struct store_audit_report r;
	char anchor[STORE_HASH_HEX_LEN + 1], older[STORE_HASH_HEX_LEN + 1];
	int64_t rows;

	fill_some(fx->st);
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 0);
	rows = r.rows;
	assert_true(rows >= 3);
	assert_int_equal(r.head_id, rows);
	memcpy(anchor, r.head_hash, sizeof(anchor));
	assert_int_equal(store_audit_check(fx->st, anchor, &r), 0);
	/* An anchor of an older head holds as the chain grows. */
	assert_int_equal(store_partner_resume(fx->st, "apeai", ACTOR, NOW),
	    STORE_OK);
	assert_int_equal(store_audit_check(fx->st, anchor, &r), 0);
	assert_int_equal(r.rows, rows + 1);
	memcpy(older, anchor, sizeof(older));
	memcpy(anchor, r.head_hash, sizeof(anchor));
	raw_exec(fx->path, "DELETE FROM audit WHERE id = (SELECT max(id) FROM "
	    "audit)");
	assert_int_equal(store_audit_check(fx->st, NULL, &r), 0);
	assert_int_equal(r.rows, rows);
	assert_int_equal(store_audit_check(fx->st, older, &r), 0);
	assert_int_equal(store_audit_check(fx->st, anchor, &r), 1);
	assert_int_equal(r.why, STORE_AUDIT_ANCHOR);
	assert_int_equal(r.bad_id, 0);
	assert_int_equal(r.head_id, rows);
}

/* Without the key nothing is appended, and keyed rows are not verified. */
static void
test_audit_needs_key(void **state)
{
	struct fx *fx = *state;
	struct store *st2 = NULL;
	struct buf err = BUF_INIT;
	unsigned char other[STORE_AUDIT_KEY_LEN] = { 7 };
	int64_t bad = 0;

	fill_some(fx->st);
	assert_int_equal(store_open(fx->path, &st2, &err), STORE_OK);
	assert_int_equal(store_partner_resume(st2, "apeai", ACTOR, NOW),
	    STORE_ERROR);
	assert_string_equal(store_errmsg(st2), "audit key not loaded");
	assert_int_equal(store_audit_verify(st2, &bad), -1);
	assert_non_null(strstr(store_errmsg(st2), "audit key not loaded"));
	/* Another key is no better than none. */
	store_audit_key(st2, other);
	assert_int_equal(store_audit_verify(st2, &bad), 1);
	assert_int_equal(bad, 1);
	store_close(st2);
	buf_free(&err);
}

/*
 * A key from its file is read per write transaction, not kept: the file
 * replaced by another key, the next row is hashed with the new one (the
 * chain then breaks there); the file gone, the next write fails naming
 * it, and the store held no copy to go on with.
 */
static void
test_audit_key_read_per_write(void **state)
{
	struct fx *fx = *state;
	struct store *st2 = NULL;
	struct buf err = BUF_INIT;
	char kpath[160];
	int64_t bad = 0, before;
	FILE *f;

	fill_some(fx->st);
	snprintf(kpath, sizeof(kpath), "%s/audit.key", fx->dir);
	assert_non_null(f = fopen(kpath, "w"));
	fprintf(f, "%s\n", "62616c702d746573742d61756469742d6b6579000000000000"
	    "00000000000000");
	fclose(f);
	chmod(kpath, 0600);
	assert_int_equal(store_open(fx->path, &st2, &err), STORE_OK);
	assert_int_equal(store_audit_key_load(st2, kpath, (gid_t)-1, &err), 0);
	assert_int_equal(store_audit_verify(st2, &bad), 0);
	assert_int_equal(store_audit_note(st2, ACTOR, "test.note", "x", "1", NOW),
	    STORE_OK);
	assert_int_equal(store_audit_verify(st2, &bad), 0);
	before = raw_count(fx->path, "SELECT max(id) FROM audit");
	/* Another key in the file: used from the next write on. */
	assert_non_null(f = fopen(kpath, "w"));
	fprintf(f, "%064d\n", 7);
	fclose(f);
	assert_int_equal(store_audit_note(st2, ACTOR, "test.note", "x", "2", NOW),
	    STORE_OK);
	assert_int_equal(store_audit_verify(st2, &bad), 1);
	assert_int_equal(bad, 1);
	/* The file gone: a write fails, naming it. */
	unlink(kpath);
	assert_int_equal(store_audit_note(st2, ACTOR, "test.note", "x", "1", NOW),
	    STORE_ERROR);
	assert_non_null(strstr(store_errmsg(st2), "audit.key: cannot open "
	    "the key file"));
	assert_int_equal(raw_count(fx->path, "SELECT max(id) FROM audit"),
	    before + 1);
	store_close(st2);
	buf_free(&err);
}

/* ---- statement cache and binds ----------------------------------------- */

/* Prepared statements alive on the connection; *busy: how many stepping. */
static int
count_stmts(sqlite3 *db, int *busy, int *max_runs)
{
	sqlite3_stmt *s = NULL;
	int n = 0, runs;

	*busy = 0;
	*max_runs = 0;
	while ((s = sqlite3_next_stmt(db, s)) != NULL) {
		n++;
		if (sqlite3_stmt_busy(s))
			(*busy)++;
		runs = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN, 0);
		if (runs > *max_runs)
			*max_runs = runs;
	}
	return n;
}

/* One round of the per-message reads and an admin list or two. */
static void
read_round(struct store *st, int64_t want_id)
{
	struct store_decision got;
	struct store_habilitations h;
	struct store_partner p;
	struct store_person_list l;

	assert_int_equal(store_decision_find(st, "maildir", "cached", &got),
	    STORE_OK);
	assert_int_equal(got.id, want_id);
	assert_string_equal(got.reasons, "nir_invalid,name_missing");
	store_decision_free(&got);
	assert_int_equal(store_decision_find(st, "maildir", "never", &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_habilitations(st, "a@x.fr", &h), STORE_OK);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0].partner_id, "apeai");
	store_habilitations_free(&h);
	assert_int_equal(store_partner_get(st, "apeai", &p), STORE_OK);
	assert_string_equal(p.name, "Partenaire");
	store_partner_free(&p);
	assert_int_equal(store_person_list(st, "apeai", DATE_NONE, &l),
	    STORE_OK);
	assert_int_equal(l.n, 1);
	store_person_list_free(&l);
}

/* Each statement is prepared once and reused: same answers, no growth. */
static void
test_stmt_cache_reuses(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("cached");
	sqlite3 *db = store_db(fx->st);
	int64_t id = 0;
	int n0, n, busy, runs, i;

	add_partner(fx->st, "apeai", DATE_NONE, DATE_NONE, -1);
	assert_int_equal(add_person(fx->st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    &id), STORE_OK);
	read_round(fx->st, id);
	n0 = count_stmts(db, &busy, &runs);
	assert_int_equal(busy, 0);
	for (i = 0; i < 200; i++)
		read_round(fx->st, id);
	n = count_stmts(db, &busy, &runs);
	assert_int_equal(n, n0);
	/* Every path handed its statement back (reset, not left stepping). */
	assert_int_equal(busy, 0);
	assert_true(runs >= 200);
}

/* store_close finalizes every cached statement: sqlite frees everything. */
static void
test_stmt_cache_close_releases(void **state)
{
	struct fx *fx = *state;
	struct store *st;
	struct store_decision_spec d = decision_spec("cached");
	struct buf err = BUF_INIT;
	char path[160];
	sqlite3_int64 before;
	int64_t id = 0;

	snprintf(path, sizeof(path), "%s/other.db", fx->dir);
	before = sqlite3_memory_used();
	assert_int_equal(test_store_open(path, &st, &err), STORE_OK);
	add_partner(st, "apeai", DATE_NONE, DATE_NONE, 2);
	assert_int_equal(add_person(st, "apeai", "a@x.fr", D("2026-01-01"),
	    DATE_NONE, D("2026-01-01")), STORE_OK);
	assert_int_equal(store_decision_record(st, &d, NULL, "balpd", NOW,
	    &id), STORE_OK);
	read_round(st, id);
	store_close(st);
	/* An unfinalized statement would keep the connection (a zombie). */
	assert_int_equal(sqlite3_memory_used(), before);
	buf_free(&err);
}

static char *
big_value(size_t n)
{
	char *v = malloc(n + 1);

	assert_non_null(v);
	memset(v, 'x', n);
	v[n] = '\0';
	return v;
}

/*
 * A bind that fails (here: over the length limit) is an error, never a
 * NULL stored in place of the value; nothing of the decision remains.
 */
static void
test_decision_bind_failure(void **state)
{
	static const char *const fields[] = {
		"message_id", "type", "partner_id", "queue", "notice subject",
		"notice body",
	};
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_notice n;
	sqlite3 *db = store_db(fx->st);
	char *big = big_value(4000);
	int old;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		d = decision_spec("ref-big");
		n.recipient = "a@x.fr";
		n.subject = "s";
		n.body = "b";
		switch (i) {
		case 0: d.message_id = big; break;
		case 1: d.type = big; break;
		case 2: d.partner_id = big; break;
		case 3: d.queue = big; break;
		case 4: n.subject = big; break;
		case 5: n.body = big; break;
		}
		old = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000);
		if (store_decision_record(fx->st, &d, &n, "balpd", NOW, NULL)
		    != STORE_ERROR)
			fail_msg("%s: a too big value was accepted",
			    fields[i]);
		sqlite3_limit(db, SQLITE_LIMIT_LENGTH, old);
		assert_non_null(strstr(store_errmsg(fx->st), "too big"));
		/* The message names the statement, not the value. */
		assert_null(strstr(store_errmsg(fx->st), "xxxxxxxxxx"));
		assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
		    "decisions"), 0);
		assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
		    "outbox"), 0);
		assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
		    "audit"), 0);
	}
	/* The connection and its cached statements are fine afterwards. */
	d = decision_spec("ref-big");
	n.subject = "s";
	n.body = "b";
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    NULL), STORE_OK);
	free(big);
}

/* The same for an admin write: no partner without its name. */
static void
test_partner_bind_failure(void **state)
{
	struct fx *fx = *state;
	struct store_partner_spec p = { "big", NULL, NULL, DATE_NONE,
	    DATE_NONE, STORE_NO_QUOTA };
	sqlite3 *db = store_db(fx->st);
	char *big = big_value(4000);
	int old;

	p.name = big;
	old = sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1000);
	assert_int_equal(store_partner_add(fx->st, &p, ACTOR, NOW),
	    STORE_ERROR);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, old);
	assert_non_null(strstr(store_errmsg(fx->st), "too big"));
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM partners"),
	    0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 0);
	free(big);
}

/* ---- group commit and find_many ---------------------------------------- */

/* How many times the cached statement whose SQL holds `part` ran. */
static int
stmt_runs(sqlite3 *db, const char *part)
{
	sqlite3_stmt *s = NULL;

	while ((s = sqlite3_next_stmt(db, s)) != NULL)
		if (strstr(sqlite3_sql(s), part) != NULL)
			return sqlite3_stmt_status(s, SQLITE_STMTSTATUS_RUN,
			    0);
	return 0;
}

/* The group commit of a pass: 100 decisions, their notices, one COMMIT. */
static void
test_batch_100_committed(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_notice n = { "a.martin@apeai34.fr", "BALP : DUPONT Jean",
	    "Bonjour, la demande pour DUPONT Jean ..." };
	struct store_decision got;
	int64_t ids[100], bad = -1;
	char ref[32];
	int i;

	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	for (i = 0; i < 100; i++) {
		snprintf(ref, sizeof(ref), "msg-%03d", i);
		d = decision_spec(ref);
		ids[i] = 0;
		if (store_batch_add(fx->st, &d, &n, "balpd", NOW, &ids[i])
		    != STORE_OK)
			fail_msg("add %d: %s", i, store_errmsg(fx->st));
		assert_true(ids[i] > 0);
		assert_true(i == 0 || ids[i] > ids[i - 1]);
	}
	/* Nothing is visible to another connection before the commit. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 0);
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);

	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 100);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox"),
	    100);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'decision.record'"), 100);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE action = 'notice.queue' AND kind = 'decision'"), 100);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    200);
	/* Each notice.queue names its outbox row and decision... */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit a "
	    "JOIN outbox o ON a.object = 'outbox/' || o.id WHERE "
	    "a.action = 'notice.queue' AND a.detail LIKE 'decision=' || "
	    "o.decision_id || ';%'"), 100);
	/* ... never the subject or body (a beneficiary's name). */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE detail LIKE '%DUPONT%'"), 0);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	/* The chain head was read once for the 200 rows. */
	assert_int_equal(stmt_runs(store_db(fx->st), "ORDER BY id DESC "
	    "LIMIT 1"), 1);
	assert_int_equal(store_decision_find(fx->st, "maildir", "msg-042",
	    &got), STORE_OK);
	assert_int_equal(got.id, ids[42]);
	store_decision_free(&got);
}

static void
test_batch_abort_leaves_nothing(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_notice n = { "a@x.fr", "s", "b" };
	struct store_audit_list l;
	int64_t bad = -1;
	char ref[32];
	int i;

	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	for (i = 0; i < 10; i++) {
		snprintf(ref, sizeof(ref), "msg-%d", i);
		d = decision_spec(ref);
		assert_int_equal(store_batch_add(fx->st, &d, &n, "balpd", NOW,
		    NULL), STORE_OK);
	}
	store_batch_abort(fx->st);
	store_batch_abort(fx->st);		/* harmless twice */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox"),
	    0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 0);
	/* The head of the rolled back rows is forgotten: a fresh chain. */
	d = decision_spec("after");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(store_audit_list(fx->st, NULL, 0, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].id, 1);
	assert_string_equal(l.v[0].prev_hash, "0000000000000000000000000000"
	    "000000000000000000000000000000000000");
	store_audit_list_free(&l);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
}

/* A message already decided is skipped; the batch and the others stay. */
static void
test_batch_exists_goes_on(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_notice n = { "a@x.fr", "s", "b" };
	struct store_decision got;
	int64_t first = 0, id = 0, bad = -1;
	long audit, outbox;

	d = decision_spec("r1");
	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    &first), STORE_OK);
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");
	outbox = raw_count(fx->path, "SELECT count(*) FROM outbox");

	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	d = decision_spec("r0");
	assert_int_equal(store_batch_add(fx->st, &d, &n, "balpd", NOW, NULL),
	    STORE_OK);
	d = decision_spec("r1");
	d.outcome = OUTCOME_ACCEPTED;
	id = -7;
	assert_int_equal(store_batch_add(fx->st, &d, &n, "balpd", NOW, &id),
	    STORE_EXISTS);
	assert_non_null(strstr(store_errmsg(fx->st), "already decided"));
	assert_int_equal(id, -7);		/* untouched */
	d = decision_spec("r2");
	assert_int_equal(store_batch_add(fx->st, &d, &n, "balpd", NOW, NULL),
	    STORE_OK);
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);

	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 3);
	/* r0 and r2: a decision.record and a notice.queue each. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit + 4);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM outbox"),
	    outbox + 2);
	assert_int_equal(store_decision_find(fx->st, "maildir", "r1", &got),
	    STORE_OK);
	assert_int_equal(got.id, first);
	assert_string_equal(got.outcome, "rejected");	/* the first one */
	store_decision_free(&got);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
}

/* Without store_batch_begin nothing is written one statement at a time. */
static void
test_batch_add_needs_a_batch(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("r");

	assert_int_equal(store_batch_add(fx->st, &d, NULL, "balpd", NOW, NULL),
	    STORE_ERROR);
	assert_non_null(strstr(store_errmsg(fx->st), "no transaction"));
	assert_int_equal(store_batch_commit(fx->st), STORE_ERROR);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM "
	    "decisions"), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 0);
}

/* Two connections append in turn: each reads the head anew. */
static void
test_audit_chain_two_connections(void **state)
{
	struct fx *fx = *state;
	struct store *st2;
	struct store_decision_spec d;
	struct buf err = BUF_INIT;
	int64_t bad = -1;

	assert_int_equal(test_store_open(fx->path, &st2, &err), STORE_OK);
	d = decision_spec("one");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("two");
	assert_int_equal(store_decision_record(st2, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("three");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"), 3);
	store_close(st2);
	buf_free(&err);
}

static void
test_find_many_mix(void **state)
{
	static const char *const refs[] = {
		"r1", "nope", "r3", NULL, "r1", "only-imap", "",
		"l\xc3\xa0-bas", "r\"q\\uote'\n",
	};
	/* The decided entries: the ref recorded, "" = undecided. */
	static const char *const want[] = {
		"r1", "", "r3", "", "r1", "", "", "l\xc3\xa0-bas",
		"r\"q\\uote'\n",
	};
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision out[sizeof(refs) / sizeof(refs[0])];
	size_t i, n = sizeof(refs) / sizeof(refs[0]);

	for (i = 0; i < 5; i++) {
		char ref[8];

		snprintf(ref, sizeof(ref), "r%zu", i);
		d = decision_spec(ref);
		assert_int_equal(store_decision_record(fx->st, &d, NULL,
		    "balpd", NOW, NULL), STORE_OK);
	}
	d = decision_spec("l\xc3\xa0-bas");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("r\"q\\uote'\n");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("only-imap");
	d.source = "imap";
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);

	assert_int_equal(store_decision_find_many(fx->st, "maildir", refs, n,
	    out), STORE_OK);
	for (i = 0; i < n; i++) {
		if (*want[i] == '\0') {
			if (out[i].id != 0 || out[i].source_ref != NULL)
				fail_msg("entry %zu: decided", i);
			continue;
		}
		if (out[i].id == 0)
			fail_msg("entry %zu: not found", i);
		assert_string_equal(out[i].source_ref, want[i]);
		assert_string_equal(out[i].source, "maildir");
		assert_string_equal(out[i].reasons,
		    "nir_invalid,name_missing");
	}
	assert_int_equal(out[0].id, out[4].id);
	for (i = 0; i < n; i++)
		store_decision_free(&out[i]);
}

static void
test_find_many_none(void **state)
{
	struct fx *fx = *state;
	struct store_decision out[1];

	assert_int_equal(store_decision_find_many(fx->st, "maildir", NULL, 0,
	    NULL), STORE_OK);
	/* Nothing decided yet: zeroed. */
	out[0].id = 99;
	assert_int_equal(store_decision_find_many(fx->st, "maildir",
	    (const char *const[]){ "x" }, 1, out), STORE_OK);
	assert_int_equal(out[0].id, 0);
	assert_null(out[0].source_ref);
}

/* A pass of 1000 messages, half decided: one indexed query. */
static void
test_find_many_1000(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision *out;
	sqlite3_stmt *s = NULL, *plan;
	const char **refs;
	char (*names)[16];
	struct buf q = BUF_INIT;
	int indexed = 0, scans = 0;
	size_t i;

	refs = calloc(1000, sizeof(*refs));
	names = calloc(1000, sizeof(*names));
	out = calloc(1000, sizeof(*out));
	assert_true(refs != NULL && names != NULL && out != NULL);
	assert_int_equal(store_batch_begin(fx->st), STORE_OK);
	for (i = 0; i < 1000; i++) {
		snprintf(names[i], sizeof(names[i]), "m%04zu", i);
		refs[i] = names[i];
		if (i % 2)
			continue;
		d = decision_spec(names[i]);
		assert_int_equal(store_batch_add(fx->st, &d, NULL, "balpd",
		    NOW, NULL), STORE_OK);
	}
	assert_int_equal(store_batch_commit(fx->st), STORE_OK);
	assert_int_equal(store_decision_find_many(fx->st, "maildir", refs,
	    1000, out), STORE_OK);
	for (i = 0; i < 1000; i++) {
		if (i % 2) {
			assert_int_equal(out[i].id, 0);
			continue;
		}
		assert_true(out[i].id != 0);
		assert_string_equal(out[i].source_ref, names[i]);
		store_decision_free(&out[i]);
	}
	assert_int_equal(stmt_runs(store_db(fx->st), "json_each"), 1);
	/* Its plan searches the (source, source_ref) index. */
	while ((s = sqlite3_next_stmt(store_db(fx->st), s)) != NULL)
		if (strstr(sqlite3_sql(s), "json_each") != NULL)
			break;
	assert_non_null(s);
	buf_printf(&q, "EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
	assert_int_equal(sqlite3_prepare_v2(store_db(fx->st), buf_str(&q), -1,
	    &plan, NULL), SQLITE_OK);
	while (sqlite3_step(plan) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(plan, 3);

		if (strstr(row, "SEARCH decisions USING") != NULL)
			indexed++;
		if (strstr(row, "SCAN decisions") != NULL)
			scans++;
	}
	sqlite3_finalize(plan);
	assert_int_equal(indexed, 1);
	assert_int_equal(scans, 0);
	buf_free(&q);
	free(out);
	free(names);
	free(refs);
}

/* A ref that is not UTF-8 cannot go in JSON: it is still found. */
static void
test_find_many_not_utf8(void **state)
{
	static const char *const refs[] = { "\xff\xfe.bad", "ok", "\xff" };
	struct fx *fx = *state;
	struct store_decision_spec d;
	struct store_decision out[3];

	d = decision_spec("\xff\xfe.bad");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	d = decision_spec("ok");
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    NULL), STORE_OK);
	assert_int_equal(store_decision_find_many(fx->st, "maildir", refs, 3,
	    out), STORE_OK);
	assert_true(out[0].id != 0);
	assert_string_equal(out[0].source_ref, "\xff\xfe.bad");
	assert_true(out[1].id != 0);
	assert_int_equal(out[2].id, 0);
	store_decision_free(&out[0]);
	store_decision_free(&out[1]);
	store_decision_free(&out[2]);
}

/* Each attempt the notifier reports is one transaction with its trace. */
static void
test_outbox_attempts_audited(void **state)
{
	struct fx *fx = *state;
	struct store_decision_spec d = decision_spec("ref");
	struct store_notice n = { "a.martin@apeai34.fr", "BALP : DUPONT Jean",
	    "Bonjour, la demande pour DUPONT Jean ..." };
	struct store_outbox_list l;
	struct store_audit_list a;
	int64_t did, oid, bad = -1;
	char want[64];
	long audit;

	assert_int_equal(store_decision_record(fx->st, &d, &n, "balpd", NOW,
	    &did), STORE_OK);
	assert_int_equal(store_outbox_pending(fx->st, NOW, 0, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	oid = l.v[0].id;
	store_outbox_list_free(&l);

	assert_int_equal(store_outbox_failed(fx->st, oid, "451 DUPONT later",
	    NOW + 600, NOW + 1), STORE_OK);
	assert_int_equal(store_outbox_sent(fx->st, oid, NOW + 600), STORE_OK);
	assert_int_equal(store_audit_list(fx->st, NULL, 3, &a), STORE_OK);
	assert_int_equal(a.n, 3);
	snprintf(want, sizeof(want), "outbox/%lld", (long long)oid);
	assert_string_equal(a.v[0].action, "notice.sent");
	assert_string_equal(a.v[0].kind, "decision");
	assert_string_equal(a.v[0].actor, "notifier");
	assert_string_equal(a.v[0].object, want);
	assert_string_equal(a.v[0].at, "2026-09-21T14:23:20Z");
	assert_string_equal(a.v[1].action, "notice.failed");
	assert_string_equal(a.v[1].object, want);
	assert_string_equal(a.v[1].at, "2026-09-21T14:13:21Z");
	assert_non_null(strstr(a.v[1].detail, "attempt=1"));
	assert_non_null(strstr(a.v[1].detail, "retry at"));
	assert_non_null(strstr(a.v[0].detail, "attempt=2"));
	assert_string_equal(a.v[2].action, "notice.queue");
	assert_string_equal(a.v[2].object, want);
	snprintf(want, sizeof(want), "decision=%lld;", (long long)did);
	assert_non_null(strstr(a.v[0].detail, want));
	assert_non_null(strstr(a.v[1].detail, want));
	assert_non_null(strstr(a.v[2].detail, want));
	assert_non_null(strstr(a.v[0].detail, "a.martin@apeai34.fr"));
	store_audit_list_free(&a);
	/* Neither subject, body nor the server's reply reach the trail. */
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit "
	    "WHERE detail LIKE '%DUPONT%'"), 0);

	/* Not pending any more: refused, and no trace of the attempt. */
	audit = raw_count(fx->path, "SELECT count(*) FROM audit");
	assert_int_equal(store_outbox_sent(fx->st, oid, NOW), STORE_NOTFOUND);
	assert_int_equal(store_outbox_failed(fx->st, oid, "x", (time_t)-1,
	    NOW), STORE_NOTFOUND);
	assert_int_equal(raw_count(fx->path, "SELECT count(*) FROM audit"),
	    audit);
	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
}

/* ---- helpers ---------------------------------------------------------- */

static void
test_email_canon(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ " A.Martin@APEAI34.fr ", "a.martin@apeai34.fr" },
		{ "x+tag@sub.example.org", "x+tag@sub.example.org" },
		{ "a@b.c", "a@b.c" },
		{ "", NULL },
		{ "a", NULL },
		{ "@x.fr", NULL },
		{ "a@", NULL },
		{ "a@x", NULL },
		{ "a@.x.fr", NULL },
		{ "a@x.fr.", NULL },
		{ "a@x..fr", NULL },
		{ "a b@x.fr", NULL },
		{ "a@b@x.fr", NULL },
		{ "<a@x.fr>", NULL },
		{ "a;b@x.fr", NULL },
		{ "\xc3\xa9@x.fr", NULL },
		{ ".a@x.fr", NULL },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].out == NULL) {
			if (store_email_canon(cases[i].in, &out) !=
			    STORE_REFUSED)
				fail_msg("accepted '%s'", cases[i].in);
			assert_null(out);
			continue;
		}
		assert_int_equal(store_email_canon(cases[i].in, &out),
		    STORE_OK);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void
test_timestamp(void **state)
{
	char ts[21];

	(void)state;
	store_timestamp(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00Z");
	store_timestamp(NOW, ts);
	assert_string_equal(ts, "2026-09-21T14:13:20Z");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_0600_and_migrates),
		T(test_open_twice_is_idempotent),
		T(test_lookup_indexes),
		T(test_referents_table),
		T(test_partner_update),
		T(test_open_refuses_newer_schema),
		T(test_open_uses_wal_and_foreign_keys),
		T(test_open_refuses_non_database),
		T(test_partner_add_get_list),
		T(test_partner_get_unknown),
		T(test_partner_add_refusals),
		T(test_partner_end),
		T(test_partner_suspend_resume),
		T(test_partner_set_max_persons),
		T(test_person_add_and_get),
		T(test_person_add_refusals),
		T(test_person_add_quota),
		T(test_quota_suspended_counts_on_add),
		T(test_quota_resume),
		T(test_person_end),
		T(test_person_end_only_shortens),
		T(test_person_suspend_resume),
		T(test_person_suspension_history),
		T(test_partner_suspension_history),
		T(test_person_list_at),
		T(test_habilitations_several_rows),
		T(test_habilitations_at_periods),
		T(test_person_list_at_periods),
		T(test_migration_from_schema_1),
		T(test_migration_suspended_flag),
		T(test_decision_record_find),
		T(test_decision_nulls),
		T(test_decision_unique_per_message),
		T(test_decision_header_key),
		T(test_decision_path_reads_no_table),
		T(test_decision_refuses_nir_in_pseudonym),
		T(test_decision_list),
		T(test_trace_each_filter_alone),
		T(test_trace_filters_combined),
		T(test_trace_period_bounds),
		T(test_trace_reason_whole_code),
		T(test_trace_by_pseudonym),
		T(test_trace_refusals),
		T(test_trace_query_plan),
		T(test_console_query_plans),
		T(test_outbox),
		T(test_outbox_failed_for_good),
		T(test_decision_all_or_nothing),
		T(test_audit_rows),
		T(test_audit_verify_ok),
		T(test_audit_verify_tampered_detail),
		T(test_audit_verify_tampered_actor),
		T(test_audit_verify_rehashed_row),
		T(test_audit_verify_deleted_row),
		T(test_audit_chain_continues),
		T(test_audit_rehash_with_key_verifies),
		T(test_audit_rehash_without_key),
		T(test_audit_rewrite_needs_anchor),
		T(test_audit_reordered_rows),
		T(test_audit_gap),
		T(test_audit_anchor),
		T(test_audit_needs_key),
		T(test_audit_key_read_per_write),
		T(test_stmt_cache_reuses),
		T(test_stmt_cache_close_releases),
		T(test_decision_bind_failure),
		T(test_partner_bind_failure),
		T(test_batch_100_committed),
		T(test_batch_abort_leaves_nothing),
		T(test_batch_exists_goes_on),
		T(test_batch_add_needs_a_batch),
		T(test_audit_chain_two_connections),
		T(test_find_many_mix),
		T(test_find_many_none),
		T(test_find_many_1000),
		T(test_find_many_not_utf8),
		T(test_outbox_attempts_audited),
		cmocka_unit_test(test_email_canon),
		cmocka_unit_test(test_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
