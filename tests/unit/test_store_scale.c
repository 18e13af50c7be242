/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_scale - what balpd asks of the store for every message (the
 * drain's and the LMTP intake's lookups, the habilitation of the sender,
 * the group commit with its retriage check, notices and audit rows, an
 * annex mailed), what its notifier asks every turn, and what a partner's
 * and a message's pages ask, cost the same on a small store and on one
 * twenty-one times as big: after the calls, no cached statement has
 * stepped through a table whole (more than 10 steps of a full scan), nor
 * taken more virtual machine steps on the big store than on the small
 * one (a quarter more and 20 allowed).  The second check sees what the
 * first cannot: an index range that grows with the store (all the
 * retriages of a source for each new message).  test_store.c's
 * test_decision_path_reads_no_table is the first of these; the
 * console's searches and dashboard are test_console_query_plans'.
 *
 * The store grows by units, each what some days of a Caf add: a partner
 * with five persons and a referent, 20 decisions (IMAP with header keys,
 * LMTP with envelopes), their notices queued and sent, four retriages
 * pending, a trace query.  Unit u is dated T0 + u * 3 h, all of them
 * hours before the calls measured (at NOW): the notifier's hourly cap
 * counts the last hour only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "scale"
#include "test_store_open.h"
#include "tmpdir.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex.h"
#include "balp/date.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_outbox.h"
#include "balp/store_partner.h"
#include "balp/store_quota.h"
#include "balp/store_referent.h"
#include "balp/store_review.h"
#include "balp/store_staged.h"
/* The statement cache: its counters are what these tests read. */
#include "../../src/store/store_priv.h"

#define NOW	((time_t)1795000000)
#define T0	(NOW - 100 * 86400)
#define UNIT_T(u) (T0 + (time_t)(u) * 3 * 3600)
#define SMALL	1		/* units of the small store */
#define BIG	21		/* units of the big one */

/* The steps of one statement over the calls measured. */
struct cost {
	int	vm;
	int	scan;
};

static void
costs_reset(struct store *st)
{
	int i;

	for (i = 0; i < STMT_COUNT; i++)
		if (st->stmt[i] != NULL) {
			(void)sqlite3_stmt_status(st->stmt[i],
			    SQLITE_STMTSTATUS_VM_STEP, 1);
			(void)sqlite3_stmt_status(st->stmt[i],
			    SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
		}
}

static void
costs_read(struct store *st, struct cost c[STMT_COUNT])
{
	int i;

	memset(c, 0, STMT_COUNT * sizeof(*c));
	for (i = 0; i < STMT_COUNT; i++)
		if (st->stmt[i] != NULL) {
			c[i].vm = sqlite3_stmt_status(st->stmt[i],
			    SQLITE_STMTSTATUS_VM_STEP, 0);
			c[i].scan = sqlite3_stmt_status(st->stmt[i],
			    SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		}
}

/* Fails naming the first statement whose cost grew with the store. */
static void
costs_flat(struct store *st, const struct cost *small,
    const struct cost *big)
{
	int i, seen = 0;

	for (i = 0; i < STMT_COUNT; i++) {
		if (big[i].vm == 0)
			continue;
		seen++;
		if (big[i].scan > 10)
			fail_msg("reads a table whole (%d steps): %s",
			    big[i].scan, sqlite3_sql(st->stmt[i]));
		if (big[i].vm > small[i].vm + small[i].vm / 4 + 20)
			fail_msg("%d VM steps on a store %d times as big, %d "
			    "on the small one: %s", big[i].vm, BIG / SMALL,
			    small[i].vm, sqlite3_sql(st->stmt[i]));
	}
	assert_true(seen >= 5);
}

/* ---- the store's growth ---------------------------------------------- */

static void
header_key(char out[65], unsigned n)
{
	snprintf(out, 65, "%064x", n);
}

static void
partner_id(char *out, size_t size, int u)
{
	snprintf(out, size, "p%03d", u);
}

static void
agent(char *out, size_t size, int u, int k)
{
	snprintf(out, size, "agent%d@p%03d.fr", k, u);
}

/* A decision of unit u's partner, sent by its agent k, at t. */
static struct store_decision_spec
spec(int u, int k, const char *source, const char *ref, const char *key,
    char *pid, char *sender)
{
	struct store_decision_spec d;

	memset(&d, 0, sizeof(d));
	partner_id(pid, 16, u);
	agent(sender, 32, u, k);
	d.source = source;
	d.source_ref = ref;
	d.message_id = "m1@p.fr";
	d.sender = sender;
	d.partner_id = pid;
	d.type = "rib";
	d.outcome = OUTCOME_REJECTED;
	d.reasons = REASON_BIT(REASON_NIR_MISSING);
	d.queue = "BALP/Rejets";
	d.header_key = key;
	d.findings = "part 2: not inspected";
	if (strcmp(source, "lmtp") == 0) {
		d.envelope_sender = sender;
		d.envelope_recipients = "balp@caf.test";
	}
	return d;
}

/* Unit u (see the head comment). */
static void
unit(struct store *st, int u)
{
	struct store_partner_spec ps;
	struct store_person_spec pe;
	struct store_decision_spec d;
	struct store_notice n = { NULL, "BALP : demande rejetée",
	    "Votre demande n'a pas été traitée." };
	struct store_outbox_list l;
	time_t t = UNIT_T(u);
	int32_t day = (int32_t)(t / 86400);
	char pid[16], email[32], ref[32], key[65], referent[32];
	const char *refs[1] = { referent };
	int64_t ids[20];
	size_t i;
	int k;

	partner_id(pid, sizeof(pid), u);
	snprintf(referent, sizeof(referent), "ref@%s.fr", pid);
	memset(&ps, 0, sizeof(ps));
	ps.id = pid;
	ps.name = "Partenaire";
	ps.start = day - 400;
	ps.end = DATE_NONE;
	ps.max_persons = 50;
	assert_int_equal(store_partner_add_referents(st, &ps, refs, 1,
	    "balpctl", t), STORE_OK);
	for (k = 0; k < 5; k++) {
		agent(email, sizeof(email), u, k);
		memset(&pe, 0, sizeof(pe));
		pe.partner_id = pid;
		pe.last_name = "MARTIN";
		pe.first_name = "Anne";
		pe.email = email;
		pe.start = day - 30;
		pe.end = DATE_NONE;
		assert_int_equal(store_person_add(st, &pe, day, "balpctl", t,
		    NULL), STORE_OK);
	}
	assert_int_equal(store_batch_begin(st), STORE_OK);
	for (k = 0; k < 20; k++) {
		snprintf(ref, sizeof(ref), "u%d.%d", u, k);
		header_key(key, (unsigned)(u * 100 + k + 1));
		d = spec(u, k % 5, k % 2 ? "lmtp" : "imap", ref, key, pid,
		    email);
		n.recipient = email;
		assert_int_equal(store_batch_add(st, &d, &n, "balpd", t,
		    &ids[k]), STORE_OK);
	}
	assert_int_equal(store_batch_commit(st), STORE_OK);
	assert_int_equal(store_outbox_pending(st, t, 0, &l), STORE_OK);
	for (i = 0; i < l.n; i++)
		assert_int_equal(store_outbox_sent(st, l.v[i].id, t),
		    STORE_OK);
	store_outbox_list_free(&l);
	/* Four messages of IMAP sent back to the inbox by an admin. */
	for (k = 0; k < 4; k++) {
		snprintf(ref, sizeof(ref), "u%d.r%d", u, k);
		assert_int_equal(store_message_retriage(st, ids[2 * k], ref,
		    "à revoir", "web:adm", t), STORE_OK);
	}
	assert_int_equal(store_audit_note(st, "web:dpo", "trace.query",
	    "decisions", "partner=x; rows=3", t), STORE_OK);
}

static void
grow(struct store *st, int from, int to)
{
	int u;

	if (from == 0)
		/* The last digest, before every unit. */
		assert_int_equal(store_audit_note(st, "notifier",
		    "digest.sent", "sla", "day=2026-01-01; sent=yes",
		    T0 - 86400), STORE_OK);
	for (u = from; u < to; u++)
		unit(st, u);
}

/* p000's annex as a CSV of its five persons, read. */
static void
annex_rows_p000(struct annex_rows *rows)
{
	struct buf csv = BUF_INIT, err = BUF_INIT;
	char email[32];
	int k;

	buf_puts(&csv, "nom;prenom;email;fonction;date_habilitation;"
	    "date_fin\n");
	for (k = 0; k < 5; k++) {
		agent(email, sizeof(email), 0, k);
		buf_printf(&csv, "MARTIN;Anne;%s;AS;01/01/2025;\n", email);
	}
	memset(rows, 0, sizeof(*rows));
	assert_int_equal(annex_file_parse(csv.data, csv.len, rows, &err), 0);
	assert_int_equal(annex_digest(csv.data, csv.len, rows), 0);
	buf_free(&csv);
	buf_free(&err);
}

/* ---- the paths -------------------------------------------------------- */

/*
 * One pass of the drain over ten messages of p000 (five decided already,
 * five new), then a message over LMTP, and an annex mailed by p000's
 * referent, dry run and staged: round r names its new messages.
 */
static void
drain_path(struct store *st, int r)
{
	struct store_decision found[10], one;
	struct store_decision_spec d;
	struct store_habilitations h;
	struct store_referent_list rl;
	struct store_notice n = { NULL, "BALP : demande rejetée",
	    "Votre demande n'a pas été traitée." };
	struct store_staged_spec ss;
	struct annex_rows rows;
	struct annex_plan plan;
	const char *refs[10];
	char names[10][32], key[65], pid[16], sender[32];
	int32_t today = (int32_t)(NOW / 86400);
	int64_t id, staged;
	size_t used;
	int i;

	for (i = 0; i < 10; i++) {
		if (i < 5)
			snprintf(names[i], sizeof(names[i]), "u0.%d", 2 * i);
		else
			snprintf(names[i], sizeof(names[i]), "new%d.%d", r, i);
		refs[i] = names[i];
	}
	assert_int_equal(store_decision_find_many(st, "imap", refs, 10,
	    found), STORE_OK);
	assert_true(found[0].id != 0 && found[9].id == 0);
	for (i = 0; i < 10; i++)
		store_decision_free(&found[i]);
	assert_int_equal(store_decision_find(st, "imap", names[9], &one),
	    STORE_NOTFOUND);
	header_key(key, 0xffff0000u + (unsigned)r);
	assert_int_equal(store_decision_find_by_key(st, key, &one),
	    STORE_NOTFOUND);
	header_key(key, 3);
	assert_int_equal(store_decision_find_by_key(st, key, &one), STORE_OK);
	store_decision_free(&one);
	/*
	 * the sender's habilitations, whose referent (an annex mail); and
	 * the partner's quota count, which the drain does not ask for (an
	 * annex mail's dry run replaces the persons) but the partners page
	 * does for each partner
	 */
	agent(sender, sizeof(sender), 0, 1);
	assert_int_equal(store_habilitations_at(st, sender, today, &h),
	    STORE_OK);
	assert_int_equal(h.n, 1);
	store_habilitations_free(&h);
	assert_int_equal(store_referent_partners(st, "ref@p000.fr", &rl),
	    STORE_OK);
	assert_int_equal(rl.n, 1);
	store_referent_list_free(&rl);
	assert_int_equal(store_quota_used(st, "p000", today, &used),
	    STORE_OK);
	assert_int_equal(used, 5);
	/* the group commit: IMAP, then LMTP, each with its notice */
	assert_int_equal(store_batch_begin(st), STORE_OK);
	for (i = 0; i < 2; i++) {
		snprintf(names[i], sizeof(names[i]), "new%d.%d", r, i);
		header_key(key, 0xfff00000u + (unsigned)(r * 2 + i));
		d = spec(0, 1, i ? "lmtp" : "imap", names[i], key, pid,
		    sender);
		n.recipient = sender;
		assert_int_equal(store_batch_add(st, &d, &n, "balpd", NOW,
		    &id), STORE_OK);
	}
	/* an annex mailed by the referent: its dry run, staged with it */
	annex_rows_p000(&rows);
	assert_int_equal(annex_import_locked(st, "p000", &rows, today, 1, 0,
	    "balpd", NOW, &plan), STORE_OK);
	memset(&ss, 0, sizeof(ss));
	ss.partner_id = "p000";
	ss.sender = "ref@p000.fr";
	ss.decision_id = id;
	ss.received_at = NOW;
	ss.rows = &rows;
	ss.plan = &plan;
	assert_int_equal(store_staged_add(st, &ss, "balpd", NOW, &staged),
	    STORE_OK);
	assert_int_equal(store_batch_commit(st), STORE_OK);
	annex_plan_free(&plan);
	annex_rows_free(&rows);
}

/* Three notices of p000's, queued before the notifier's turn. */
static void
notices_queue(struct store *st, int r)
{
	struct store_decision_spec d;
	struct store_notice n = { NULL, "BALP : demande rejetée",
	    "Votre demande n'a pas été traitée." };
	char ref[32], key[65], pid[16], sender[32];
	int i;

	assert_int_equal(store_batch_begin(st), STORE_OK);
	for (i = 0; i < 3; i++) {
		snprintf(ref, sizeof(ref), "ntf%d.%d", r, i);
		header_key(key, 0xff000000u + (unsigned)(r * 3 + i));
		d = spec(0, i, "imap", ref, key, pid, sender);
		n.recipient = sender;
		assert_int_equal(store_batch_add(st, &d, &n, "balpd", NOW,
		    NULL), STORE_OK);
	}
	assert_int_equal(store_batch_commit(st), STORE_OK);
}

/*
 * The notifier's turn (notifier.c): the due notices, each vetted (its
 * decision, the hourly cap) then sent, failed or deferred; the digest's
 * check of the day.
 */
static void
notifier_path(struct store *st)
{
	struct store_outbox_list l;
	struct store_decision d;
	char *last = NULL;
	time_t at;
	size_t i;

	assert_int_equal(store_outbox_pending(st, NOW, 50, &l), STORE_OK);
	assert_int_equal(l.n, 3);
	for (i = 0; i < l.n; i++) {
		assert_int_equal(store_decision_get(st, l.v[i].decision_id,
		    &d), STORE_OK);
		store_decision_free(&d);
		assert_int_equal(store_outbox_cap_free_at(st, l.v[i].recipient,
		    10, NOW, &at), STORE_OK);
		assert_true(at == NOW);
	}
	assert_int_equal(store_outbox_sent(st, l.v[0].id, NOW), STORE_OK);
	assert_int_equal(store_outbox_failed(st, l.v[1].id, "451 4.3.0 busy",
	    NOW + 600, NOW), STORE_OK);
	assert_int_equal(store_outbox_defer(st, l.v[2].id, "cap", NOW + 60,
	    NOW), STORE_OK);
	store_outbox_list_free(&l);
	assert_int_equal(store_audit_last_detail(st, "sla", "digest.sent",
	    &last), STORE_OK);
	assert_non_null(last);
	assert_string_equal(last, "day=2026-01-01; sent=yes");
	free(last);
}

/*
 * p000's page (its record, referents, persons, quota), its review
 * (`balpctl review --partner`), a staged annex of it checked, and the
 * page of one of its messages.
 */
static void
pages_path(struct store *st, int64_t staged, int64_t message)
{
	struct store_partner p;
	struct store_referent_list rl;
	struct store_person_list pl;
	struct store_review rv;
	struct store_message m;
	struct store_outbox_list ol;
	struct annex_plan plan;
	int32_t today = (int32_t)(NOW / 86400);
	char *findings = NULL;
	int64_t id;
	size_t used;

	assert_int_equal(store_partner_get(st, "p000", &p), STORE_OK);
	store_partner_free(&p);
	assert_int_equal(store_referent_list(st, "p000", &rl), STORE_OK);
	store_referent_list_free(&rl);
	assert_int_equal(store_person_list(st, "p000", DATE_NONE, &pl),
	    STORE_OK);
	assert_int_equal(pl.n, 5);
	store_person_list_free(&pl);
	assert_int_equal(store_person_list(st, "p000", today, &pl),
	    STORE_OK);
	assert_int_equal(pl.n, 5);
	store_person_list_free(&pl);
	assert_int_equal(store_quota_used(st, "p000", today, &used),
	    STORE_OK);
	assert_int_equal(store_review(st, "p000", today, today - 365, &rv),
	    STORE_OK);
	assert_int_equal(rv.n, 1);
	assert_int_equal(rv.v[0].n, 5);
	store_review_free(&rv);
	assert_int_equal(store_staged_check(st, staged, today, &plan),
	    STORE_OK);
	annex_plan_free(&plan);
	assert_int_equal(store_message_get(st, message, &m), STORE_OK);
	store_message_free(&m);
	assert_int_equal(store_decision_findings(st, message, &findings),
	    STORE_OK);
	free(findings);
	assert_int_equal(store_outbox_of(st, message, &ol), STORE_OK);
	assert_int_equal(ol.n, 1);
	store_outbox_list_free(&ol);
	assert_int_equal(store_staged_pending_of(st, message, &id), STORE_OK);
}

/* ---- tests ------------------------------------------------------------- */

static void
test_drain_path_cost_flat(void **state)
{
	struct fx *fx = *state;
	struct cost small[STMT_COUNT], big[STMT_COUNT];

	grow(fx->st, 0, SMALL);
	drain_path(fx->st, 0);
	costs_reset(fx->st);
	drain_path(fx->st, 1);
	costs_read(fx->st, small);
	grow(fx->st, SMALL, BIG);
	costs_reset(fx->st);
	drain_path(fx->st, 2);
	costs_read(fx->st, big);
	costs_flat(fx->st, small, big);
}

static void
test_notifier_path_cost_flat(void **state)
{
	struct fx *fx = *state;
	struct cost small[STMT_COUNT], big[STMT_COUNT];

	grow(fx->st, 0, SMALL);
	notices_queue(fx->st, 0);
	costs_reset(fx->st);
	notifier_path(fx->st);
	costs_read(fx->st, small);
	grow(fx->st, SMALL, BIG);
	notices_queue(fx->st, 1);
	costs_reset(fx->st);
	notifier_path(fx->st);
	costs_read(fx->st, big);
	costs_flat(fx->st, small, big);
}

static void
test_pages_cost_flat(void **state)
{
	struct fx *fx = *state;
	struct cost small[STMT_COUNT], big[STMT_COUNT];
	struct store_decision d;
	struct store_staged_list l;
	int64_t staged;

	grow(fx->st, 0, SMALL);
	/* an annex of p000's staged (drain_path stages one) */
	drain_path(fx->st, 0);
	assert_int_equal(store_staged_list(fx->st, 1, &l), STORE_OK);
	assert_int_equal(l.n, 1);
	staged = l.v[0].id;
	store_staged_list_free(&l);
	assert_int_equal(store_decision_find(fx->st, "imap", "u0.10", &d),
	    STORE_OK);
	costs_reset(fx->st);
	pages_path(fx->st, staged, d.id);
	costs_read(fx->st, small);
	grow(fx->st, SMALL, BIG);
	costs_reset(fx->st);
	pages_path(fx->st, staged, d.id);
	costs_read(fx->st, big);
	store_decision_free(&d);
	costs_flat(fx->st, small, big);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_drain_path_cost_flat),
		T(test_notifier_path_cost_flat),
		T(test_pages_cost_flat),
	};

	return cmocka_run_group_tests_name("store_scale", tests, NULL, NULL);
}
