/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_oom - allocation failures must be failures, never missing values.
 *
 * This binary is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (see the Makefile): every allocation made by balp's own code (libbalp.a
 * and this file) goes through the wrappers below, which can fail the Nth
 * one.  libc's, libconfig's and libetpan's internal allocations are not
 * wrapped; they do not need to be for what is tested here.
 *
 * Each test runs an operation once normally (the reference), then again
 * failing allocation 0, 1, 2, ... until a run completes without reaching
 * the failure.  Every failed run must either report the failure (-1) or
 * give exactly the reference result: a 0 with a value missing is the bug
 * (a filename check that fails open, a config string printed as "%s").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex_file.h"
#include "balp/conf.h"
#include "balp/facts.h"
#include "balp/html.h"
#include "balp/mime.h"
#include "balp/reason.h"

#include "annex_data.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);

/*
 * volatile: the compiler takes malloc() for a function that touches no
 * global, and would otherwise drop the arming store before the calls.
 */
static volatile long	oom_countdown = -1;	/* < 0: never fail */
static volatile int	oom_hit;		/* the armed failure happened */

/* 1 if this allocation is the one to fail. */
static int
oom_now(void)
{
	if (oom_countdown < 0)
		return 0;
	if (oom_countdown-- == 0) {
		oom_hit = 1;
		return 1;
	}
	return 0;
}

void *
__wrap_malloc(size_t n)
{
	return oom_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return oom_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return oom_now() ? NULL : __real_realloc(p, n);
}

static void
oom_arm(long n)
{
	oom_hit = 0;
	oom_countdown = n;
}

static void
oom_disarm(void)
{
	oom_countdown = -1;
}

/* Runs beyond this mean the loop does not converge: a test bug. */
#define OOM_MAX_RUNS	20000

/* ---- the wrapping works ------------------------------------------------ */

static void
test_wrapper_fails_the_nth(void **state)
{
	void *a, *b;

	(void)state;
	oom_arm(1);
	a = malloc(8);
	b = malloc(8);
	oom_disarm();
	assert_non_null(a);
	assert_null(b);
	assert_true(oom_hit);
	free(a);
}

/* ---- html_to_text: NULL, never a partial text ------------------------ */

static void
test_html_to_text(void **state)
{
	static const char html[] = "<p>Caf&eacute; <b>ouvert</b></p>"
	    "<script>x</script>depuis le 3&nbsp;mars";
	char *ref, *got;
	long n;

	(void)state;
	ref = html_to_text(html, sizeof(html) - 1);
	assert_non_null(ref);
	for (n = 0; n < OOM_MAX_RUNS; n++) {
		oom_arm(n);
		got = html_to_text(html, sizeof(html) - 1);
		oom_disarm();
		if (got != NULL)
			assert_string_equal(got, ref);
		free(got);
		if (!oom_hit)
			break;
		assert_null(got);
	}
	assert_true(n < OOM_MAX_RUNS);
	free(ref);
}

/* ---- mime_parse: -1, or the facts of the normal parse ------------------ */

static void
assert_facts_equal(const struct msg_facts *a, const struct msg_facts *b)
{
	size_t i;

#define STR_EQ(x, y) do {						\
	if ((x) == NULL || (y) == NULL)					\
		assert_ptr_equal((x), (y));				\
	else								\
		assert_string_equal((x), (y));				\
} while (0)
	STR_EQ(a->malformed, b->malformed);
	STR_EQ(a->from_addr, b->from_addr);
	STR_EQ(a->from_name, b->from_name);
	STR_EQ(a->subject, b->subject);
	STR_EQ(a->message_id, b->message_id);
	STR_EQ(a->top_content_type, b->top_content_type);
	STR_EQ(a->first_text, b->first_text);
	assert_int_equal(a->n_auth_results, b->n_auth_results);
	assert_int_equal(a->n_parts, b->n_parts);
	for (i = 0; i < a->n_parts; i++) {
		STR_EQ(a->parts[i].content_type, b->parts[i].content_type);
		STR_EQ(a->parts[i].filename, b->parts[i].filename);
		assert_true(a->parts[i].size == b->parts[i].size);
		assert_int_equal(a->parts[i].is_attachment,
		    b->parts[i].is_attachment);
	}
#undef STR_EQ
}

static void
parse_under_oom(const char *msg)
{
	const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct msg_facts ref, f;
	size_t len = strlen(msg);
	long n;
	int r;

	facts_init(&ref);
	assert_int_equal(mime_parse(msg, len, &lim, &ref), 0);
	for (n = 0; n < OOM_MAX_RUNS; n++) {
		facts_init(&f);
		oom_arm(n);
		r = mime_parse(msg, len, &lim, &f);
		oom_disarm();
		if (r == 0)
			assert_facts_equal(&f, &ref);
		else
			assert_int_equal(r, -1);
		facts_free(&f);
		if (!oom_hit)
			break;
	}
	/* Many allocations were failed in turn: the wrapping reaches mime.c. */
	assert_true(n > 10 && n < OOM_MAX_RUNS);
	facts_free(&ref);
}

/*
 * The filename of the second part is one libetpan drops (unterminated
 * quote): only raw_param() reads it back from the raw header.  When its
 * allocations failed it used to return NULL as for "no such parameter",
 * the part went on without a name, and mime_parse() returned 0: the
 * extension policy then never saw "facture.exe".
 */
static void
test_mime_raw_param(void **state)
{
	(void)state;
	parse_under_oom("From: a@apeai34.fr\n"
	    "Subject: RIB\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain\n\nci-joint\n"
	    "--b\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=\"facture.exe\n\n"
	    "MZ\n--b--\n");
	/* A name libetpan cuts at its first word: raw_param() too. */
	parse_under_oom("From: a@apeai34.fr\n"
	    "Subject: RIB\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain\n\nci-joint\n"
	    "--b\nContent-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=mon virus.exe\n\n"
	    "MZ\n--b--\n");
}

/* The other decoded names and an HTML-only text, for completeness. */
static void
test_mime_other_paths(void **state)
{
	(void)state;
	parse_under_oom("From: =?ISO-8859-1?Q?Andr=E9?= <a@apeai34.fr>\n"
	    "Subject: =?UTF-8?B?UklCIGTDqWJsb2NhZ2U=?=\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/html; charset=utf-8\n\n"
	    "<p>Caf&eacute;</p><script>x</script>\n"
	    "--b\nContent-Type: application/pdf\n"
	    "Content-Disposition: attachment;"
	    " filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\n\n"
	    "%PDF-1.4\n--b--\n");
}

/* ---- conf_load: -1, or every value of the normal load ------------------ */

static void
assert_rules_equal(const struct rules *a, const struct rules *b)
{
	size_t i;

	assert_string_equal(a->queue_rejects, b->queue_rejects);
	assert_string_equal(a->queue_quarantine, b->queue_quarantine);
	assert_int_equal(a->n_types, b->n_types);
	for (i = 0; i < a->n_types; i++) {
		assert_string_equal(a->types[i].id, b->types[i].id);
		assert_string_equal(a->types[i].label, b->types[i].label);
		assert_string_equal(a->types[i].queue, b->types[i].queue);
		assert_int_equal(a->types[i].keywords.n,
		    b->types[i].keywords.n);
	}
	assert_string_equal(a->notices.subject, b->notices.subject);
	assert_string_equal(a->notices.intro, b->notices.intro);
	assert_string_equal(a->notices.outro, b->notices.outro);
	for (i = 0; i < REASON_COUNT; i++) {
		if (a->notices.reason[i] == NULL)
			assert_null(b->notices.reason[i]);
		else
			assert_string_equal(a->notices.reason[i],
			    b->notices.reason[i]);
	}
	assert_int_equal(a->stop_words.n, b->stop_words.n);
	assert_int_equal(a->forbidden_extensions.n, b->forbidden_extensions.n);
}

static void
test_conf_load(void **state)
{
	const char *path = BALP_SRCDIR "/conf/balp.conf";
	struct balp_conf ref, c;
	struct buf err = BUF_INIT;
	long n;
	int r;

	(void)state;
	if (conf_load(path, &ref, &err) != 0)
		fail_msg("%s", buf_str(&err));
	for (n = 0; n < OOM_MAX_RUNS; n++) {
		buf_reset(&err);
		oom_arm(n);
		r = conf_load(path, &c, &err);
		oom_disarm();
		if (r == 0) {
			assert_string_equal(c.file, ref.file);
			assert_string_equal(c.dir, ref.dir);
			assert_string_equal(c.rules_file, ref.rules_file);
			assert_string_equal(c.store_path, ref.store_path);
			assert_string_equal(c.key_file, ref.key_file);
			assert_string_equal(c.source.maildir_path,
			    ref.source.maildir_path);
			assert_string_equal(c.notice_from, ref.notice_from);
			assert_int_equal(c.trusted_authserv_ids.n,
			    ref.trusted_authserv_ids.n);
			assert_int_equal(c.public_suffixes.n,
			    ref.public_suffixes.n);
			assert_rules_equal(&c.rules, &ref.rules);
			conf_free(&c);
		} else {
			assert_int_equal(r, -1);
			/* Freed and zeroed: nothing for a caller to misuse. */
			assert_null(c.file);
			assert_null(c.notice_from);
		}
		if (!oom_hit)
			break;
	}
	assert_true(n > 10 && n < OOM_MAX_RUNS);
	buf_free(&err);
	conf_free(&ref);
}

/* ---- annex_file_parse: -1, or every row of the normal parse ----------- */

static void
test_annex_file(void **state)
{
	static const char *const files[] = { "good_semicolon_fr.xlsx",
	    "good_semicolon_fr.ods", "good_semicolon_fr.csv" };
	struct annex_rows ref, rows;
	struct buf err = BUF_INIT;
	size_t f, i, len;
	char *data;
	long n;
	int r;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		data = annex_data(files[f], &len);
		if (annex_file_parse(data, len, &ref, &err) != 0)
			fail_msg("%s: %s", files[f], buf_str(&err));
		for (n = 0; n < OOM_MAX_RUNS; n++) {
			buf_reset(&err);
			oom_arm(n);
			r = annex_file_parse(data, len, &rows, &err);
			oom_disarm();
			if (r == 0) {
				assert_int_equal(rows.n, ref.n);
				for (i = 0; i < ref.n; i++) {
					assert_string_equal(rows.v[i].email,
					    ref.v[i].email);
					assert_string_equal(rows.v[i].job_title,
					    ref.v[i].job_title);
					assert_int_equal(rows.v[i].start,
					    ref.v[i].start);
					assert_int_equal(rows.v[i].end,
					    ref.v[i].end);
				}
				annex_rows_free(&rows);
			} else {
				assert_int_equal(r, -1);
				/* Nothing for a caller to import. */
				assert_int_equal(rows.n, 0);
				assert_null(rows.v);
			}
			if (!oom_hit)
				break;
		}
		assert_true(n > 10 && n < OOM_MAX_RUNS);
		annex_rows_free(&ref);
		free(data);
	}
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapper_fails_the_nth),
		cmocka_unit_test(test_html_to_text),
		cmocka_unit_test(test_mime_raw_param),
		cmocka_unit_test(test_mime_other_paths),
		cmocka_unit_test(test_conf_load),
		cmocka_unit_test(test_annex_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
