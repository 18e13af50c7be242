/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_decide_annex - the decision on a mail of the annex (rules' type
 * "annexe", annex_update): from a referent of the partner with exactly one
 * annex file it is accepted into BALP/Annexes; from anyone else it is
 * annex_sender_not_referent; no file, two files, a referent of two
 * partners are refused with their own reasons; auth_failed still
 * quarantines; a file with errors found after decide is annex_invalid,
 * and its notice lists every error.  With the shipped conf/ and rules/
 * (the French keywords and the notices are tested too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balp/conf.h"
#include "balp/content.h"
#include "balp/date.h"
#include "balp/decide.h"
#include "balp/notice.h"

static struct balp_conf conf;
static int32_t today;

#define P	"apeai-ouest-herault"
#define REF	"referente@apeai34.fr"
#define AR_PASS	"mx.caf.test; dkim=pass header.d=apeai34.fr; spf=pass " \
		"smtp.mailfrom=" REF "; dmarc=pass header.from=apeai34.fr"
#define XLSX	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

struct mail {
	const char	*subject;
	const char	*ar;		/* NULL: AR_PASS */
	const char	*att_type[3];	/* attachments, NULL-terminated */
	const char	*att_name[3];
	const char	*sniffed[3];	/* NULL: not inspected (older facts) */
	unsigned	 findings[3];
	int		 referent;	/* of how many partners: 0, 1, 2 */
	int		 habilitated;	/* listed in the annex (of P) */
};

static void
run(const struct mail *m, struct decision *d, struct msg_facts *f)
{
	static const char *const one[] = { P };
	static const char *const two[] = { P, "ccas-beziers" };
	const char *const *trusted =
	    (const char *const *)conf.trusted_authserv_ids.v;
	struct decide_ctx ctx = { &conf.rules, trusted,
	    conf.trusted_authserv_ids.n, &conf.public_suffixes, today };
	struct habilitation h = { P, DATE_NONE, DATE_NONE, 0, today - 300,
	    DATE_NONE, 0 };
	struct annex_view annex = { &h, 0, NULL, 0 };
	size_t i;

	facts_init(f);
	f->raw_size = 30000;
	f->from_count = 1;
	f->from_addr = strdup(REF);
	f->subject = strdup(m->subject);
	f->first_text = strdup("Bonjour, veuillez trouver ci-joint le "
	    "fichier.");
	f->top_content_type = strdup("multipart/mixed");
	facts_add_auth_result(f, m->ar != NULL ? m->ar : AR_PASS);
	facts_add_part(f, "text/plain", NULL, 200, 0, 1);
	for (i = 0; i < 3 && m->att_type[i] != NULL; i++) {
		facts_add_part(f, m->att_type[i], m->att_name[i], 9000, 1, 1);
		if (m->sniffed[i] != NULL)
			f->parts[f->n_parts - 1].sniffed_type =
			    strdup(m->sniffed[i]);
		f->parts[f->n_parts - 1].findings = m->findings[i];
	}
	annex.n = m->habilitated ? 1 : 0;
	annex.referent_of = m->referent == 2 ? two : one;
	annex.n_referent_of = (size_t)m->referent;
	decide(f, &annex, &ctx, d);
}

static void
expect(const struct decision *d, const char *outcome, const char *reasons)
{
	char got[512];
	int r;

	got[0] = '\0';
	for (r = 0; r < REASON_COUNT; r++) {
		if (!(d->reasons & REASON_BIT(r)))
			continue;
		if (got[0] != '\0')
			strcat(got, ",");
		strcat(got, reason_code(r));
	}
	if (strcmp(got, reasons) != 0)
		fail_msg("reasons [%s], expected [%s]", got, reasons);
	assert_string_equal(outcome_name(d->outcome), outcome);
	assert_non_null(d->type);
	assert_string_equal(d->type->id, "annexe");
}

/* A referent, one CSV: accepted into BALP/Annexes, no NIR nor name asked. */
static void
test_referent_one_file(void **state)
{
	struct mail m = { "Mise à jour de l'annexe BALP", NULL,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" }, { 0 }, 1, 0 };
	struct msg_facts f;
	struct decision d;

	(void)state;
	run(&m, &d, &f);
	expect(&d, "accepted", "");
	assert_string_equal(d.queue, "BALP/Annexes");
	assert_string_equal(d.partner_id, P);
	assert_int_equal(d.annex_part, 1);
	assert_int_equal(d.notify, 0);
	assert_string_equal(d.nir, "");
	facts_free(&f);
	/* The text may say it too, and an .xlsx or .ods is a file as well. */
	m.subject = "Envoi";
	m.att_type[0] = "application/octet-stream";
	m.att_name[0] = "Liste habilitations.xlsx";
	m.sniffed[0] = XLSX;
	run(&m, &d, &f);
	assert_null(d.type);	/* "Envoi" and the text say nothing */
	facts_free(&f);
	m.subject = "Liste des personnes habilitées au 01/12/2026";
	run(&m, &d, &f);
	expect(&d, "accepted", "");
	facts_free(&f);
	m.att_type[0] = "application/vnd.oasis.opendocument.spreadsheet";
	m.att_name[0] = "annexe.ods";
	m.sniffed[0] = "application/vnd.oasis.opendocument.spreadsheet";
	run(&m, &d, &f);
	expect(&d, "accepted", "");
	facts_free(&f);
}

/* Not a referent: refused with its own reason, whoever it is. */
static void
test_not_referent(void **state)
{
	struct mail m = { "Mise à jour de l'annexe BALP", NULL,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" }, { 0 }, 0, 1 };
	struct msg_facts f;
	struct decision d;
	char *subject, *body;

	(void)state;
	/* Habilitated at the partner, but not its referent. */
	run(&m, &d, &f);
	expect(&d, "rejected", "annex_sender_not_referent");
	assert_string_equal(d.queue, "BALP/Rejets");
	assert_int_equal(d.notify, 1);
	/* The record still names the partner the sender is listed by. */
	assert_string_equal(d.partner_id, P);
	/* The notice says who may send it, and nothing of beneficiaries. */
	assert_int_equal(notice_render(&conf.rules, &d, today, &subject,
	    &body), 0);
	assert_non_null(strstr(body, "Seul le référent BALP"));
	assert_null(strstr(body, "numéro de sécurité sociale"));
	free(subject);
	free(body);
	facts_free(&f);
	/* Unknown altogether: the same single reason, no partner. */
	m.habilitated = 0;
	run(&m, &d, &f);
	expect(&d, "rejected", "annex_sender_not_referent");
	assert_null(d.partner_id);
	facts_free(&f);
}

/* No file, two files: refused, each with its reason. */
static void
test_files(void **state)
{
	struct mail none = { "Mise à jour de l'annexe", NULL, { NULL },
	    { NULL }, { NULL }, { 0 }, 1, 0 };
	struct mail two = { "Mise à jour de l'annexe", NULL,
	    { "text/csv", "text/csv" }, { "annexe.csv", "annexe-v2.csv" },
	    { "text/plain", "text/plain" }, { 0, 0 }, 1, 0 };
	struct mail pdf = { "Mise à jour de l'annexe", NULL,
	    { "application/pdf" }, { "annexe.pdf" }, { "application/pdf" },
	    { 0 }, 1, 0 };
	struct mail fwd = { "Mise à jour de l'annexe", NULL,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" },
	    { CONTENT_FORWARDED }, 1, 0 };
	struct msg_facts f;
	struct decision d;

	(void)state;
	run(&none, &d, &f);
	expect(&d, "rejected", "annex_file_missing");
	assert_int_equal(d.annex_part, -1);
	assert_string_equal(d.partner_id, P);
	facts_free(&f);
	run(&two, &d, &f);
	expect(&d, "rejected", "annex_file_several");
	assert_int_equal(d.annex_part, -1);
	facts_free(&f);
	/* A PDF of the list is no file balp can read. */
	run(&pdf, &d, &f);
	expect(&d, "rejected", "annex_file_missing");
	facts_free(&f);
	/* A file in a forwarded mail is someone else's. */
	run(&fwd, &d, &f);
	expect(&d, "rejected", "annex_file_missing");
	facts_free(&f);
}

/* The sender is authenticated as for any mail; attachments judged too. */
static void
test_auth_and_content(void **state)
{
	struct mail m = { "Mise à jour de l'annexe BALP",
	    "mx.caf.test; spf=fail smtp.mailfrom=" REF,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" }, { 0 }, 1, 0 };
	struct mail bomb = { "Mise à jour de l'annexe BALP", NULL,
	    { XLSX }, { "annexe.xlsx" }, { "application/zip" },
	    { CONTENT_ARCHIVE | CONTENT_NOT_INSPECTED }, 1, 0 };
	struct msg_facts f;
	struct decision d;

	(void)state;
	run(&m, &d, &f);
	expect(&d, "quarantined", "auth_failed");
	assert_int_equal(d.notify, 0);
	facts_free(&f);
	run(&bomb, &d, &f);
	assert_string_equal(outcome_name(d.outcome), "quarantined");
	assert_true(d.reasons & REASON_BIT(REASON_ATTACHMENT_FORBIDDEN));
	facts_free(&f);
}

/* A referent of two partners: which annex is it?  Refused, not guessed. */
static void
test_referent_of_two(void **state)
{
	struct mail m = { "Mise à jour de l'annexe BALP", NULL,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" }, { 0 }, 2, 0 };
	struct msg_facts f;
	struct decision d;

	(void)state;
	run(&m, &d, &f);
	expect(&d, "rejected", "annex_partner_ambiguous");
	assert_null(d.partner_id);
	facts_free(&f);
}

/* "en annexe" is how any mail says "attached": no annex mail for that. */
static void
test_en_annexe(void **state)
{
	struct mail m = { "RIB en annexe - DUPONT Jean", NULL,
	    { "application/pdf" }, { "rib.pdf" }, { "application/pdf" },
	    { 0 }, 1, 1 };
	struct msg_facts f;
	struct decision d;

	(void)state;
	m.subject = "Document en annexe DUPONT Jean";
	run(&m, &d, &f);
	assert_true(d.type == NULL || strcmp(d.type->id, "annexe") != 0);
	facts_free(&f);
}

/* The file's errors, found after decide: rejected, every line listed. */
static void
test_file_errors(void **state)
{
	struct mail m = { "Mise à jour de l'annexe BALP", NULL,
	    { "text/csv" }, { "annexe.csv" }, { "text/plain" }, { 0 }, 1, 0 };
	const char *errors = "line 3: email: 'pas-une-adresse' is not an "
	    "address\nline 5: date_habilitation: '31/02/2026' is not a "
	    "date\nline 9: date_fin: before date_habilitation\n";
	struct msg_facts f;
	struct decision d;
	char *subject, *body;

	(void)state;
	run(&m, &d, &f);
	expect(&d, "accepted", "");
	decide_annex_refused(&d, &conf.rules, REASON_ANNEX_INVALID, errors);
	expect(&d, "rejected", "annex_invalid");
	assert_string_equal(d.queue, "BALP/Rejets");
	assert_int_equal(d.notify, 1);
	assert_int_equal(notice_render(&conf.rules, &d, today, &subject,
	    &body), 0);
	assert_non_null(strstr(body, "\n    line 3: email:"));
	assert_non_null(strstr(body, "\n    line 5: date_habilitation:"));
	assert_non_null(strstr(body, "\n    line 9: date_fin:"));
	/* The referent's outro, not the beneficiaries' reminder. */
	assert_null(strstr(body, "numéro de sécurité sociale"));
	free(subject);
	free(body);
	/* A file the parser could not read without harm: quarantined. */
	decide_annex_refused(&d, &conf.rules, REASON_MALFORMED, NULL);
	assert_string_equal(outcome_name(d.outcome), "quarantined");
	assert_int_equal(d.notify, 0);
	facts_free(&f);
}

static int
setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	if (conf_load(BALP_SRCDIR "/conf/balp.conf", &conf, &err) != 0) {
		fprintf(stderr, "%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	assert_int_equal(date_parse_iso("2026-11-23", &today), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_referent_one_file),
		cmocka_unit_test(test_not_referent),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_auth_and_content),
		cmocka_unit_test(test_referent_of_two),
		cmocka_unit_test(test_en_annexe),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests_name("decide_annex", tests, setup,
	    teardown);
}
