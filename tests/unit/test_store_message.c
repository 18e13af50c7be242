/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_message - retriages and releases as the store records them:
 * the supersede link, the refusals, the idempotent retry, the undo, and
 * the audit chain after each.  Each test has its own database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define TEST_STORE_NAME "msg"
#include "test_store_open.h"
#include "tmpdir.h"

#include <string.h>

#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"

#define NOW	((time_t)1790000000)

static int64_t
record(struct fx *fx, const char *ref, enum outcome o, const char *queue)
{
	struct store_decision_spec d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.source = "maildir";
	d.source_ref = ref;
	d.message_id = "m1@x.test";
	d.sender = "a@x.test";
	d.outcome = o;
	d.queue = queue;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    &id), STORE_OK);
	return id;
}

static void
assert_chain(struct fx *fx)
{
	int64_t bad = 0;

	assert_int_equal(store_audit_verify(fx->st, &bad), 0);
}

static void
test_retriage_links_the_next_decision(void **state)
{
	struct fx *fx = *state;
	struct store_message m;
	int64_t old, new;

	old = record(fx, "r1", OUTCOME_REJECTED, "BALP/Rejets");
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r1",
	    "NIR corrigé", "admin:x", NOW), STORE_OK);
	assert_int_equal(store_message_get(fx->st, old, &m), STORE_OK);
	assert_string_equal(m.retriage_ref, "r1.r1");
	assert_null(store_message_queue(&m));
	store_message_free(&m);

	new = record(fx, "r1.r1", OUTCOME_ACCEPTED, "BALP/RIB");
	assert_int_equal(store_message_get(fx->st, new, &m), STORE_OK);
	assert_int_equal(m.decision.supersedes, old);
	store_message_free(&m);
	assert_int_equal(store_message_get(fx->st, old, &m), STORE_OK);
	assert_int_equal(m.superseded_by, new);
	assert_null(m.retriage_ref);
	store_message_free(&m);
	/* Any other message's decision supersedes nothing. */
	assert_int_equal(store_message_get(fx->st, record(fx, "r2",
	    OUTCOME_ACCEPTED, "BALP/RIB"), &m), STORE_OK);
	assert_int_equal(m.decision.supersedes, 0);
	store_message_free(&m);
	assert_chain(fx);
}

/* A decision with a header key, as from an IMAP inbox. */
static int64_t
record_keyed(struct fx *fx, const char *ref, const char *key, enum outcome o,
    const char *queue, int want)
{
	struct store_decision_spec d;
	int64_t id = 0;

	memset(&d, 0, sizeof(d));
	d.source = "imap";
	d.source_ref = ref;
	d.message_id = "m1@x.test";
	d.outcome = o;
	d.queue = queue;
	d.header_key = key;
	assert_int_equal(store_decision_record(fx->st, &d, NULL, "balpd", NOW,
	    &id), want);
	return id;
}

/*
 * Over IMAP the server names the retriaged message in the inbox (a new
 * UID, not the retriage's name): its header key links its next decision.
 */
static void
test_retriage_by_header_key(void **state)
{
	static const char key[] =
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct fx *fx = *state;
	struct store_message m;
	int64_t old, new, third;

	old = record_keyed(fx, "7.1", key, OUTCOME_REJECTED, "BALP/Rejets",
	    STORE_OK);
	/* Without a retriage, the same message is decided once only. */
	record_keyed(fx, "7.2", key, OUTCOME_ACCEPTED, "BALP/RIB",
	    STORE_EXISTS);
	assert_int_equal(store_message_retriage(fx->st, old, "7.1.r1",
	    "NIR corrigé", "admin:x", NOW), STORE_OK);
	new = record_keyed(fx, "7.9", key, OUTCOME_ACCEPTED, "BALP/RIB",
	    STORE_OK);
	assert_int_equal(store_message_get(fx->st, new, &m), STORE_OK);
	assert_int_equal(m.decision.supersedes, old);
	store_message_free(&m);
	assert_int_equal(store_message_get(fx->st, old, &m), STORE_OK);
	assert_int_equal(m.superseded_by, new);
	store_message_free(&m);
	/* Consumed: the message found again is not decided a third time. */
	record_keyed(fx, "7.10", key, OUTCOME_ACCEPTED, "BALP/RIB",
	    STORE_EXISTS);
	/* Retriaged again, from its new decision. */
	assert_int_equal(store_message_retriage(fx->st, new, "7.9.r2", "",
	    "admin:x", NOW), STORE_OK);
	third = record_keyed(fx, "7.11", key, OUTCOME_REJECTED, "BALP/Rejets",
	    STORE_OK);
	assert_int_equal(store_message_get(fx->st, third, &m), STORE_OK);
	assert_int_equal(m.decision.supersedes, new);
	store_message_free(&m);
	assert_chain(fx);
}

static void
test_retriage_refusals_and_retry(void **state)
{
	struct fx *fx = *state;
	int64_t old;

	old = record(fx, "r1", OUTCOME_REJECTED, "BALP/Rejets");
	assert_int_equal(store_message_retriage(fx->st, 999, "x", "", "a",
	    NOW), STORE_NOTFOUND);
	assert_int_equal(store_message_retriage(fx->st, old, "", "", "a",
	    NOW), STORE_REFUSED);
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r1", "", "a",
	    NOW), STORE_OK);
	/* The same again: the caller may redo the move. */
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r1", "", "a",
	    NOW), STORE_EXISTS);
	assert_int_equal(store_message_retriage(fx->st, old, "r1.other", "",
	    "a", NOW), STORE_REFUSED);
	assert_int_equal(store_message_release(fx->st, old, "BALP/Rejets",
	    "BALP/RIB", "ok", NULL, "a", NOW), STORE_REFUSED);
	record(fx, "r1.r1", OUTCOME_REJECTED, "BALP/Rejets");
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r9", "", "a",
	    NOW), STORE_REFUSED);
	assert_non_null(strstr(store_errmsg(fx->st), "superseded by"));
	assert_chain(fx);
}

static void
test_retriage_undo(void **state)
{
	struct fx *fx = *state;
	struct store_message m;
	int64_t old;
	size_t i, undone = 0;

	old = record(fx, "r1", OUTCOME_REJECTED, "BALP/Rejets");
	assert_int_equal(store_message_retriage_undo(fx->st, old, "x", "a",
	    NOW), STORE_NOTFOUND);
	assert_int_equal(store_message_retriage(fx->st, old, "r1.r1", "", "a",
	    NOW), STORE_OK);
	assert_int_equal(store_message_retriage_undo(fx->st, old,
	    "not found", "a", NOW), STORE_OK);
	assert_int_equal(store_message_get(fx->st, old, &m), STORE_OK);
	assert_null(m.retriage_ref);
	assert_string_equal(store_message_queue(&m), "BALP/Rejets");
	for (i = 0; i < m.audit.n; i++)
		undone += strcmp(m.audit.v[i].action,
		    "message.retriage.undone") == 0;
	assert_int_equal(undone, 1);
	store_message_free(&m);
	/* A decision taken on the name since is no longer linked. */
	assert_int_equal(store_message_get(fx->st, record(fx, "r1.r1",
	    OUTCOME_ACCEPTED, "BALP/RIB"), &m), STORE_OK);
	assert_int_equal(m.decision.supersedes, 0);
	store_message_free(&m);
	assert_chain(fx);
}

static void
test_release_recorded_beside_the_decision(void **state)
{
	struct fx *fx = *state;
	struct store_notice notice = { "a@x.test", "BALP", "corps" };
	struct store_outbox_list out = { NULL, 0 };
	struct store_message m;
	int64_t id;

	id = record(fx, "q1", OUTCOME_QUARANTINED, "BALP/Quarantaine");
	assert_int_equal(store_message_release(fx->st, id, "BALP/Quarantaine",
	    "BALP/RIB", "  ", NULL, "a", NOW), STORE_REFUSED);
	assert_int_equal(store_message_release(fx->st, id, "BALP/Quarantaine",
	    "BALP/RIB", "vérifié", NULL, "admin:x", NOW), STORE_OK);
	assert_int_equal(store_message_release(fx->st, id, "BALP/RIB",
	    "BALP/Rejets", "finalement", &notice, "admin:y", NOW + 60),
	    STORE_OK);
	assert_int_equal(store_message_get(fx->st, id, &m), STORE_OK);
	/* The decision stays as it was taken; the releases beside it. */
	assert_string_equal(m.decision.outcome, "quarantined");
	assert_string_equal(m.decision.queue, "BALP/Quarantaine");
	assert_int_equal(m.n_releases, 2);
	assert_string_equal(m.releases[0].actor, "admin:x");
	assert_string_equal(m.releases[0].reason, "vérifié");
	assert_string_equal(store_message_queue(&m), "BALP/Rejets");
	/* record, release, release; the notice's row is about outbox/N */
	assert_int_equal(m.audit.n, 3);
	store_message_free(&m);
	/* Asked for on the second release only. */
	assert_int_equal(store_outbox_pending(fx->st, NOW + 3600, 0, &out),
	    STORE_OK);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].decision_id, id);
	store_outbox_list_free(&out);
	assert_chain(fx);
}

static void
test_find_by_message_id(void **state)
{
	struct fx *fx = *state;
	int64_t first, second, id = 0;

	first = record(fx, "a", OUTCOME_REJECTED, "BALP/Rejets");
	second = record(fx, "b", OUTCOME_REJECTED, "BALP/Rejets");
	assert_true(second > first);
	assert_int_equal(store_message_find(fx->st, "<m1@x.test>", &id),
	    STORE_OK);
	assert_int_equal(id, second);	/* the most recent */
	assert_int_equal(store_message_find(fx->st, "m1@x.test", &id),
	    STORE_OK);
	assert_int_equal(id, second);
	assert_int_equal(store_message_find(fx->st, "<none@x.test>", &id),
	    STORE_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_retriage_links_the_next_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_retriage_by_header_key, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_retriage_refusals_and_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retriage_undo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_release_recorded_beside_the_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_by_message_id, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
