/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_decide - the decision table: every reason code alone and combined,
 * the outcome rule, the queue, the partner and the notice flag, with the
 * shipped conf/ and rules/ (so the French keywords are tested too).
 *
 * Each row is one cmocka test named after the behaviour it pins down.
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
#include "balp/date.h"
#include "balp/content.h"
#include "balp/decide.h"

static struct balp_conf conf;
static int32_t today;

#define AR_PASS	"mx.caf.test; dkim=pass header.d=apeai34.fr; spf=pass " \
		"smtp.mailfrom=a.martin@apeai34.fr; dmarc=pass header.from=apeai34.fr"
#define NIR_OK	"1 85 05 78 006 084 91"
#define SUBJ_RIB "RIB - DUPONT Jean - " NIR_OK

enum annex_fixture {
	ANNEX_OK,		/* habilitated, convention in force */
	ANNEX_NONE,		/* unknown sender */
	ANNEX_NOT_YET,		/* habilitation starts next week */
	ANNEX_ENDED,		/* habilitation ended last month */
	ANNEX_SUSPENDED,	/* habilitation suspended by the Caf */
	ANNEX_STARTS_TODAY,
	ANNEX_ENDS_TODAY,
	ANNEX_CONV_ENDED,	/* partner's convention terminated */
	ANNEX_CONV_NOT_STARTED,
	ANNEX_CONV_SUSPENDED,
	ANNEX_CONV_STARTS_TODAY,
	ANNEX_MOVED,		/* ended at one partner, active at another */
	ANNEX_ENDED_AND_CONV_ENDED,
};

struct dcase {
	const char	*name;
	const char	*subject;
	const char	*text;
	const char	*ar;		/* NULL: AR_PASS; "": none */
	const char	*att_type;	/* one attachment, or NULL */
	const char	*att_name;
	enum annex_fixture annex;
	const char	*from;		/* NULL: a.martin@apeai34.fr */
	int		 from_count;	/* 0: 1 */
	const char	*auto_submitted;
	const char	*precedence;
	const char	*return_path;
	int		 notice_marker;
	uint64_t	 size;		/* 0: 20 KB */
	const char	*malformed;
	const char	*att2_type;
	const char	*att2_name;
	int		 truncated;	/* more parts than the parser kept */
	int		 embedded;	/* the attachment is a body picture */
	/* The parser's findings on the attachment (content.h); its sniffed
	 * type is then application/pdf. */
	unsigned	 att_findings;
	/* expectations */
	const char	*outcome;
	const char	*type;		/* NULL: unknown */
	const char	*reasons;	/* "a,b" in code order, "" none */
	const char	*partner;	/* NULL: none */
};

#define P "apeai-ouest-herault"
#define PDF "application/pdf", "rib.pdf"

static const struct dcase cases[] = {
	/* accepted */
	{ "rib_with_pdf_is_accepted", SUBJ_RIB, NULL, NULL, PDF,
	  .outcome = "accepted", .type = "rib", .reasons = "", .partner = P },
	{ "rib_with_jpeg_is_accepted", SUBJ_RIB, NULL, NULL, "image/jpeg",
	  "scan.jpg", .outcome = "accepted", .type = "rib", .reasons = "",
	  .partner = P },
	{ "rib_octet_stream_named_pdf_is_accepted", SUBJ_RIB, NULL, NULL,
	  "application/octet-stream", "RIB.PDF", .outcome = "accepted",
	  .type = "rib", .reasons = "", .partner = P },
	{ "rib_spelled_out_with_accents", "Relevé d'identité bancaire : "
	  "MARTIN Léa 2870634172058 73", NULL, NULL, PDF,
	  .outcome = "accepted", .type = "rib", .reasons = "", .partner = P },
	{ "rib_reply_prefixes_are_ignored", "RE: TR: RIB DUPONT Jean "
	  "185057800608491", NULL, NULL, PDF, .outcome = "accepted",
	  .type = "rib", .reasons = "", .partner = P },
	{ "suspension_old_enough_is_accepted", "Dossier suspendu depuis le "
	  "01/09/2026 - MARTIN Léa 2870634172058 73", NULL, NULL, NULL, NULL,
	  .outcome = "accepted", .type = "suspension", .reasons = "",
	  .partner = P },
	{ "suspension_without_date_is_accepted", "Suspension des droits "
	  "DUPONT Jean " NIR_OK, NULL, NULL, NULL, NULL, .outcome = "accepted",
	  .type = "suspension", .reasons = "", .partner = P },
	{ "blocage_corsican_nir_is_accepted", "Blocage administratif - "
	  "N'DIAYE Awa - 1 85 08 2A 004 012 21", NULL, NULL, NULL, NULL,
	  .outcome = "accepted", .type = "blocage", .reasons = "",
	  .partner = P },
	{ "blocage_exactly_one_month_is_accepted", "Dossier bloqué depuis le "
	  "23/10/2026 DUPONT Jean " NIR_OK, NULL, NULL, NULL, NULL,
	  .outcome = "accepted", .type = "blocage", .reasons = "",
	  .partner = P },
	{ "type_found_in_body_only", "DUPONT Jean 1850578006084 91",
	  "Bonjour,\nle dossier est bloqué depuis le 3 septembre 2026.\n",
	  NULL, NULL, NULL, .outcome = "accepted", .type = "blocage",
	  .reasons = "", .partner = P },
	{ "dkim_aligned_subdomain_authenticates", SUBJ_RIB, NULL,
	  "mx.caf.test; dkim=pass header.d=mail.apeai34.fr", PDF,
	  .outcome = "accepted", .type = "rib", .reasons = "", .partner = P },
	{ "spf_alone_authenticates", SUBJ_RIB, NULL,
	  "mx.caf.test; spf=pass smtp.mailfrom=apeai34.fr", PDF,
	  .outcome = "accepted", .type = "rib", .reasons = "", .partner = P },
	{ "habilitation_starting_today_is_valid", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_STARTS_TODAY, .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = P },
	{ "habilitation_ending_today_is_valid", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_ENDS_TODAY, .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = P },
	{ "convention_starting_today_is_in_force", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_CONV_STARTS_TODAY, .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = P },
	{ "person_moved_to_another_partner_speaks_for_it", SUBJ_RIB, NULL,
	  NULL, PDF, ANNEX_MOVED, .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = "ccas-beziers" },
	{ "auto_submitted_no_is_not_automatic", SUBJ_RIB, NULL, NULL, PDF,
	  .auto_submitted = "no", .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = P },

	/* rejected, one reason */
	{ "unknown_sender", SUBJ_RIB, NULL, NULL, PDF, ANNEX_NONE,
	  .outcome = "rejected", .type = "rib", .reasons = "sender_unknown" },
	{ "habilitation_not_started", SUBJ_RIB, NULL, NULL, PDF, ANNEX_NOT_YET,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "sender_not_yet_habilitated", .partner = P },
	{ "habilitation_ended", SUBJ_RIB, NULL, NULL, PDF, ANNEX_ENDED,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "sender_habilitation_ended", .partner = P },
	{ "habilitation_suspended_counts_as_ended", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_SUSPENDED, .outcome = "rejected", .type = "rib",
	  .reasons = "sender_habilitation_ended", .partner = P },
	{ "convention_terminated", SUBJ_RIB, NULL, NULL, PDF, ANNEX_CONV_ENDED,
	  .outcome = "rejected", .type = "rib", .reasons = "partner_inactive",
	  .partner = P },
	{ "convention_not_started", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_CONV_NOT_STARTED, .outcome = "rejected", .type = "rib",
	  .reasons = "partner_inactive", .partner = P },
	{ "convention_suspended", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_CONV_SUSPENDED, .outcome = "rejected", .type = "rib",
	  .reasons = "partner_inactive", .partner = P },
	{ "type_unknown", "Question DUPONT Jean " NIR_OK, "Bonjour, une "
	  "question sur ce dossier.", NULL, NULL, NULL, .outcome = "rejected",
	  .type = NULL, .reasons = "type_unknown", .partner = P },
	{ "rib_not_matched_inside_attribution", "Attribution DUPONT Jean "
	  NIR_OK, NULL, NULL, NULL, NULL, .outcome = "rejected", .type = NULL,
	  .reasons = "type_unknown", .partner = P },
	{ "suspension_too_recent", "Dossier suspendu depuis le 01/11/2026 "
	  "DUPONT Jean " NIR_OK, NULL, NULL, NULL, NULL, .outcome = "rejected",
	  .type = "suspension", .reasons = "too_recent", .partner = P },
	{ "blocage_too_recent_french_date", "Blocage dossier DUPONT Jean "
	  NIR_OK, "Le dossier est bloqué depuis le 15 novembre 2026.", NULL,
	  NULL, NULL, .outcome = "rejected", .type = "blocage",
	  .reasons = "too_recent", .partner = P },
	{ "one_month_minus_a_day_is_too_recent", "Dossier suspendu depuis le "
	  "24/10/2026 DUPONT Jean " NIR_OK, NULL, NULL, NULL, NULL,
	  .outcome = "rejected", .type = "suspension", .reasons = "too_recent",
	  .partner = P },
	{ "rib_has_no_age_rule", "RIB DUPONT Jean " NIR_OK " depuis le "
	  "20/11/2026", NULL, NULL, PDF, .outcome = "accepted", .type = "rib",
	  .reasons = "", .partner = P },
	{ "nir_missing", "RIB DUPONT Jean", NULL, NULL, PDF,
	  .outcome = "rejected", .type = "rib", .reasons = "nir_missing",
	  .partner = P },
	{ "nir_key_missing", "RIB DUPONT Jean 1850578006084", NULL, NULL, PDF,
	  .outcome = "rejected", .type = "rib", .reasons = "nir_key_missing",
	  .partner = P },
	{ "nir_key_missing_grouped", "RIB DUPONT Jean 1 85 05 78 006 084",
	  NULL, NULL, PDF, .outcome = "rejected", .type = "rib",
	  .reasons = "nir_key_missing", .partner = P },
	{ "nir_wrong_key", "RIB DUPONT Jean 1850578006084 92", NULL, NULL, PDF,
	  .outcome = "rejected", .type = "rib", .reasons = "nir_invalid",
	  .partner = P },
	{ "nir_wrong_shape", "RIB DUPONT Jean 0850578006084 91", NULL, NULL,
	  PDF, .outcome = "rejected", .type = "rib", .reasons = "nir_invalid",
	  .partner = P },
	{ "nir_two_different", "RIB DUPONT Jean " NIR_OK " et 2870634172058 "
	  "73", NULL, NULL, PDF, .outcome = "rejected", .type = "rib",
	  .reasons = "nir_ambiguous", .partner = P },
	/* Every NIR-shaped number is checked; reasons add up. */
	{ "nir_letter_o_is_invalid_not_missing", "RIB DUPONT Jean "
	  "1 85 O5 78 006 084 91", NULL, NULL, PDF, .outcome = "rejected",
	  .type = "rib", .reasons = "nir_invalid", .partner = P },
	{ "nir_valid_and_wrong_key", "RIB DUPONT Jean " NIR_OK " / "
	  "2 87 06 34 172 058 74", NULL, NULL, PDF, .outcome = "rejected",
	  .type = "rib", .reasons = "nir_invalid,nir_ambiguous", .partner = P },
	{ "nir_valid_and_thirteen", "RIB DUPONT Jean " NIR_OK " / "
	  "2870634172058", NULL, NULL, PDF, .outcome = "rejected",
	  .type = "rib", .reasons = "nir_key_missing,nir_ambiguous",
	  .partner = P },
	{ "nir_three_wrong_ways", "RIB DUPONT Jean 1850578006084 - "
	  "2 87 06 34 172 058 74 - 185057800608491", NULL, NULL, PDF,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "nir_key_missing,nir_invalid,nir_ambiguous", .partner = P },
	{ "nir_beside_siret_iban_phone", "RIB DUPONT Jean " NIR_OK
	  " SIRET 123 456 789 00012 IBAN FR76 3000 6000 0112 3456 7890 189 "
	  "tel 06 12 34 56 78", NULL, NULL, PDF, .outcome = "accepted",
	  .type = "rib", .reasons = "", .partner = P },
	{ "nir_same_twice_is_fine", "RIB DUPONT Jean " NIR_OK " ("
	  "185057800608491)", NULL, NULL, PDF, .outcome = "accepted",
	  .type = "rib", .reasons = "", .partner = P },
	{ "name_missing", "RIB " NIR_OK, NULL, NULL, PDF, .outcome = "rejected",
	  .type = "rib", .reasons = "name_missing", .partner = P },
	{ "name_missing_only_stop_words", "Demande de RIB pour le dossier NIR "
	  NIR_OK, NULL, NULL, PDF, .outcome = "rejected", .type = "rib",
	  .reasons = "name_missing", .partner = P },
	{ "attachment_missing", SUBJ_RIB, NULL, NULL, NULL, NULL,
	  .outcome = "rejected", .type = "rib", .reasons = "attachment_missing",
	  .partner = P },
	{ "attachment_of_wrong_kind_is_missing", SUBJ_RIB, NULL, NULL,
	  "application/vnd.openxmlformats-officedocument.wordprocessingml."
	  "document", "rib.docx", .outcome = "rejected", .type = "rib",
	  .reasons = "attachment_missing", .partner = P },
	{ "too_large", SUBJ_RIB, NULL, NULL, PDF, .size = 16 * 1024 * 1024,
	  .outcome = "rejected", .type = "rib", .reasons = "too_large",
	  .partner = P },
	{ "auto_replied", SUBJ_RIB, NULL, NULL, PDF,
	  .auto_submitted = "auto-replied", .outcome = "rejected",
	  .type = "rib", .reasons = "auto_reply", .partner = P },
	{ "auto_generated_with_comment", SUBJ_RIB, NULL, NULL, PDF,
	  .auto_submitted = "auto-generated (vacation)", .outcome = "rejected",
	  .type = "rib", .reasons = "auto_reply", .partner = P },
	{ "precedence_bulk", SUBJ_RIB, NULL, NULL, PDF, .precedence = "bulk",
	  .outcome = "rejected", .type = "rib", .reasons = "auto_reply",
	  .partner = P },
	{ "precedence_junk", SUBJ_RIB, NULL, NULL, PDF, .precedence = "Junk",
	  .outcome = "rejected", .type = "rib", .reasons = "auto_reply",
	  .partner = P },
	{ "null_return_path", SUBJ_RIB, NULL, NULL, PDF, .return_path = "<>",
	  .outcome = "rejected", .type = "rib", .reasons = "auto_reply",
	  .partner = P },
	{ "our_notice_coming_back", SUBJ_RIB, NULL, NULL, PDF,
	  .notice_marker = 1, .outcome = "rejected", .type = "rib",
	  .reasons = "auto_reply", .partner = P },

	/* rejected, combined */
	{ "design_example_invalid_nir_and_no_name", "RIB 1850578006084 92",
	  NULL, NULL, PDF, .outcome = "rejected", .type = "rib",
	  .reasons = "nir_invalid,name_missing", .partner = P },
	{ "everything_missing", "Bonjour", NULL, NULL, NULL, NULL, ANNEX_NONE,
	  .outcome = "rejected", .type = NULL,
	  .reasons = "sender_unknown,type_unknown,nir_missing,name_missing" },
	{ "too_recent_and_key_missing", "Dossier suspendu depuis le "
	  "10/11/2026 DUPONT Jean 1850578006084", NULL, NULL, NULL, NULL,
	  .outcome = "rejected", .type = "suspension",
	  .reasons = "too_recent,nir_key_missing", .partner = P },
	{ "auto_reply_from_unknown_sender", "Réponse automatique : absent",
	  NULL, NULL, NULL, NULL, ANNEX_NONE, .auto_submitted = "auto-replied",
	  .outcome = "rejected", .type = NULL, .reasons = "auto_reply,"
	  "sender_unknown,type_unknown,nir_missing,name_missing" },
	{ "no_attachment_and_no_name", "RIB " NIR_OK, NULL, NULL, NULL, NULL,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "name_missing,attachment_missing", .partner = P },
	{ "ended_person_and_ended_convention", SUBJ_RIB, NULL, NULL, PDF,
	  ANNEX_ENDED_AND_CONV_ENDED, .outcome = "rejected", .type = "rib",
	  .reasons = "sender_habilitation_ended,partner_inactive",
	  .partner = P },
	{ "not_yet_and_too_large", SUBJ_RIB, NULL, NULL, PDF, ANNEX_NOT_YET,
	  .size = 20 * 1024 * 1024, .outcome = "rejected", .type = "rib",
	  .reasons = "sender_not_yet_habilitated,too_large", .partner = P },
	{ "no_subject_at_all", NULL, NULL, NULL, NULL, NULL,
	  .outcome = "rejected", .type = NULL,
	  .reasons = "type_unknown,nir_missing,name_missing", .partner = P },

	/* quarantined */
	/* Malformed, its From readable: its partner named for the record. */
	{ "malformed_alone", SUBJ_RIB, NULL, NULL, PDF,
	  .malformed = "unparseable header", .outcome = "quarantined",
	  .type = "rib", .reasons = "malformed", .partner = P },
	{ "two_from_is_malformed", SUBJ_RIB, NULL, NULL, PDF, .from_count = 2,
	  .outcome = "quarantined", .type = "rib", .reasons = "malformed" },
	{ "no_from_is_malformed", SUBJ_RIB, NULL, NULL, PDF, .from = "",
	  .from_count = -1, .outcome = "quarantined", .type = "rib",
	  .reasons = "malformed" },
	{ "no_authentication_results", SUBJ_RIB, NULL, "", PDF,
	  .outcome = "quarantined", .type = "rib", .reasons = "auth_failed",
	  .partner = P },
	{ "untrusted_authserv_id", SUBJ_RIB, NULL, "mx.evil.test; dmarc=pass "
	  "header.from=apeai34.fr", PDF, .outcome = "quarantined",
	  .type = "rib", .reasons = "auth_failed", .partner = P },
	{ "pass_for_another_domain", SUBJ_RIB, NULL, "mx.caf.test; dmarc=pass "
	  "header.from=evil.test; dkim=pass header.d=evil.test", PDF,
	  .outcome = "quarantined", .type = "rib", .reasons = "auth_failed",
	  .partner = P },
	{ "dkim_fail_spf_softfail", SUBJ_RIB, NULL, "mx.caf.test; dkim=fail "
	  "header.d=apeai34.fr; spf=softfail smtp.mailfrom=apeai34.fr; "
	  "dmarc=fail header.from=apeai34.fr", PDF, .outcome = "quarantined",
	  .type = "rib", .reasons = "auth_failed", .partner = P },
	{ "executable_attachment", SUBJ_RIB, NULL, NULL, PDF,
	  .att2_type = "application/octet-stream", .att2_name = "facture.exe",
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden", .partner = P },
	{ "double_extension", SUBJ_RIB, NULL, NULL, PDF,
	  .att2_type = "application/pdf", .att2_name = "rib.pdf.exe",
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden", .partner = P },
	{ "macro_document", SUBJ_RIB, NULL, NULL, PDF,
	  .att2_type = "application/vnd.ms-word.document.macroEnabled.12",
	  .att2_name = "courrier.docm", .outcome = "quarantined",
	  .type = "rib", .reasons = "attachment_forbidden", .partner = P },
	{ "archive_is_forbidden_by_shipped_rules", SUBJ_RIB, NULL, NULL, PDF,
	  .att2_type = "application/zip", .att2_name = "pieces.zip",
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden", .partner = P },
	{ "script_by_type_without_name", SUBJ_RIB, NULL, NULL, PDF,
	  .att2_type = "application/javascript", .outcome = "quarantined",
	  .type = "rib", .reasons = "attachment_forbidden", .partner = P },
	{ "only_an_executable_for_a_rib", SUBJ_RIB, NULL, NULL,
	  "application/x-msdownload", "rib.exe", .outcome = "quarantined",
	  .type = "rib", .reasons = "attachment_forbidden,attachment_missing",
	  .partner = P },
	{ "spoofed_unknown_sender", SUBJ_RIB, NULL, "", PDF, ANNEX_NONE,
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "auth_failed,sender_unknown" },
	{ "spoofed_with_exe_and_no_nir", "RIB DUPONT Jean", NULL, "", NULL,
	  NULL, .att2_type = "application/octet-stream", .att2_name = "x.scr",
	  .outcome = "quarantined", .type = "rib", .reasons = "auth_failed,"
	  "attachment_forbidden,nir_missing,attachment_missing", .partner = P },
	/*
	 * Too large to inspect is not dangerous (DESIGN.md): a clean PDF
	 * past the scan budget is too_large, rejected, never forbidden;
	 * what its head showed still forbids it.
	 */
	{ "part_too_large_to_inspect", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_PDF | CONTENT_TOO_LARGE,
	  .outcome = "rejected", .type = "rib", .reasons = "too_large",
	  .partner = P },
	{ "part_too_large_but_head_active", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_PDF | CONTENT_PDF_ACTIVE | CONTENT_TOO_LARGE,
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden,too_large", .partner = P },
	/* What could not be read for another reason is still not clean. */
	{ "part_unreadable_is_forbidden", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_PDF | CONTENT_NOT_INSPECTED,
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden", .partner = P },
	/* Encrypted: rejected, the notice asks for it without a password. */
	{ "part_encrypted", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_PDF | CONTENT_ENCRYPTED,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "attachment_encrypted", .partner = P },
	{ "part_encrypted_and_too_large", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_PDF | CONTENT_ENCRYPTED | CONTENT_TOO_LARGE,
	  .outcome = "rejected", .type = "rib",
	  .reasons = "too_large,attachment_encrypted", .partner = P },
	/* A forwarded mail's executable, named as a PDF. */
	{ "forwarded_executable", SUBJ_RIB, NULL, NULL, PDF,
	  .att_findings = CONTENT_EXECUTABLE | CONTENT_FORWARDED,
	  .outcome = "quarantined", .type = "rib",
	  .reasons = "attachment_forbidden,attachment_missing", .partner = P },
	{ "too_many_parts_to_examine", SUBJ_RIB, NULL, NULL, PDF,
	  .truncated = 1, .outcome = "quarantined", .type = "rib",
	  .reasons = "malformed", .partner = P },
	{ "nameless_inline_logo_is_not_a_rib", SUBJ_RIB, NULL, NULL,
	  "image/png", NULL, .outcome = "rejected", .type = "rib",
	  .reasons = "attachment_missing", .partner = P },
	{ "outlook_logo_named_image001_is_not_a_rib", SUBJ_RIB, NULL, NULL,
	  "image/png", "image001.png", .embedded = 1, .outcome = "rejected",
	  .type = "rib", .reasons = "attachment_missing", .partner = P },
	{ "malformed_hides_other_reasons", "Bonjour", NULL, "", NULL, NULL,
	  ANNEX_NONE, .malformed = "no From", .outcome = "quarantined",
	  .type = NULL, .reasons = "malformed" },
};

static int32_t
day(const char *iso)
{
	int32_t d;

	assert_int_equal(date_parse_iso(iso, &d), 0);
	return d;
}

static size_t
fixture(enum annex_fixture a, struct habilitation *h)
{
	struct habilitation base = { P, day("2024-01-01"), DATE_NONE, 0,
	    day("2025-03-01"), DATE_NONE, 0 };

	h[0] = base;
	switch (a) {
	case ANNEX_OK:
		return 1;
	case ANNEX_NONE:
		return 0;
	case ANNEX_NOT_YET:
		h[0].start = today + 7;
		return 1;
	case ANNEX_ENDED:
		h[0].end = day("2026-10-31");
		return 1;
	case ANNEX_SUSPENDED:
		h[0].person_suspended = 1;
		return 1;
	case ANNEX_STARTS_TODAY:
		h[0].start = today;
		return 1;
	case ANNEX_ENDS_TODAY:
		h[0].end = today;
		return 1;
	case ANNEX_CONV_ENDED:
		h[0].convention_end = today - 1;
		return 1;
	case ANNEX_CONV_NOT_STARTED:
		h[0].convention_start = today + 1;
		return 1;
	case ANNEX_CONV_SUSPENDED:
		h[0].partner_suspended = 1;
		return 1;
	case ANNEX_CONV_STARTS_TODAY:
		h[0].convention_start = today;
		return 1;
	case ANNEX_MOVED:
		h[0].end = day("2026-06-30");
		h[1] = base;
		h[1].partner_id = "ccas-beziers";
		h[1].start = day("2026-07-01");
		return 2;
	case ANNEX_ENDED_AND_CONV_ENDED:
		h[0].end = day("2026-10-31");
		h[0].convention_end = day("2026-10-31");
		return 1;
	}
	return 0;
}

static void
reasons_string(reason_set set, char *out, size_t size)
{
	int r;

	out[0] = '\0';
	for (r = 0; r < REASON_COUNT; r++) {
		if (!(set & REASON_BIT(r)))
			continue;
		if (out[0] != '\0')
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, reason_code(r), size - strlen(out) - 1);
	}
}

static void
test_case(void **state)
{
	const struct dcase *c = *state;
	const char *const *trusted =
	    (const char *const *)conf.trusted_authserv_ids.v;
	struct decide_ctx ctx = { &conf.rules, trusted,
	    conf.trusted_authserv_ids.n, &conf.public_suffixes, today };
	struct habilitation h[2];
	struct annex_view annex;
	struct msg_facts f;
	struct decision d;
	char got[512];

	facts_init(&f);
	f.raw_size = c->size ? c->size : 20 * 1024;
	f.from_count = c->from_count == 0 ? 1 :
	    c->from_count < 0 ? 0 : c->from_count;
	if (c->from == NULL || c->from[0] != '\0')
		f.from_addr = strdup(c->from ? c->from : "a.martin@apeai34.fr");
	f.from_name = strdup("Anne Martin");
	if (c->subject != NULL)
		f.subject = strdup(c->subject);
	if (c->text != NULL)
		f.first_text = strdup(c->text);
	if (c->ar == NULL)
		facts_add_auth_result(&f, AR_PASS);
	else if (c->ar[0] != '\0')
		facts_add_auth_result(&f, c->ar);
	if (c->auto_submitted != NULL)
		f.auto_submitted = strdup(c->auto_submitted);
	if (c->precedence != NULL)
		f.precedence = strdup(c->precedence);
	if (c->return_path != NULL) {
		f.has_return_path = 1;
		f.return_path = strdup(c->return_path);
	}
	f.has_notice_marker = c->notice_marker;
	f.truncated_parts = c->truncated;
	f.malformed = c->malformed;
	f.top_content_type = strdup("multipart/mixed");
	facts_add_part(&f, "text/plain", NULL, 200, 0, 1);
	if (c->att_type != NULL) {
		facts_add_part(&f, c->att_type, c->att_name, 50000, 1, 1);
		f.parts[f.n_parts - 1].embedded = c->embedded;
		if (c->att_findings != 0) {
			f.parts[f.n_parts - 1].findings = c->att_findings;
			f.parts[f.n_parts - 1].sniffed_type =
			    strdup("application/pdf");
		}
	}
	if (c->att2_type != NULL)
		facts_add_part(&f, c->att2_type, c->att2_name, 50000, 1, 1);

	annex.v = h;
	annex.n = fixture(c->annex, h);
	decide(&f, &annex, &ctx, &d);

	reasons_string(d.reasons, got, sizeof(got));
	if (strcmp(got, c->reasons) != 0)
		fail_msg("%s: reasons [%s], expected [%s]", c->name, got,
		    c->reasons);
	assert_string_equal(outcome_name(d.outcome), c->outcome);
	if (c->type == NULL)
		assert_null(d.type);
	else {
		assert_non_null(d.type);
		assert_string_equal(d.type->id, c->type);
	}
	if (c->partner == NULL)
		assert_null(d.partner_id);
	else {
		assert_non_null(d.partner_id);
		assert_string_equal(d.partner_id, c->partner);
	}
	/* The queue follows the outcome; a notice only for a plain reject. */
	if (d.outcome == OUTCOME_ACCEPTED)
		assert_string_equal(d.queue, d.type->queue);
	else if (d.outcome == OUTCOME_REJECTED)
		assert_string_equal(d.queue, "BALP/Rejets");
	else
		assert_string_equal(d.queue, "BALP/Quarantaine");
	assert_int_equal(d.notify, d.outcome == OUTCOME_REJECTED &&
	    !(d.reasons & REASON_BIT(REASON_AUTO_REPLY)));
	/*
	 * The NIR is kept (for its pseudonym) when exactly one valid NIR was
	 * found and nothing makes the beneficiary ambiguous; beside it a
	 * wrong or keyless writing of the same number may still be rejected.
	 */
	if (d.reasons & (REASON_BIT(REASON_NIR_MISSING) |
	    REASON_BIT(REASON_NIR_AMBIGUOUS) | REASON_BIT(REASON_MALFORMED)))
		assert_string_equal(d.nir, "");
	else if (!(d.reasons & (REASON_BIT(REASON_NIR_INVALID) |
	    REASON_BIT(REASON_NIR_KEY_MISSING))))
		assert_int_equal(strlen(d.nir), 15);
	else if (d.nir[0] != '\0')
		assert_int_equal(strlen(d.nir), 15);
	facts_free(&f);
}

static void
test_outcome_rule(void **state)
{
	(void)state;
	assert_int_equal(reason_outcome(0), OUTCOME_ACCEPTED);
	assert_int_equal(reason_outcome(REASON_BIT(REASON_NIR_MISSING)),
	    OUTCOME_REJECTED);
	assert_int_equal(reason_outcome(REASON_BIT(REASON_NIR_MISSING) |
	    REASON_BIT(REASON_AUTH_FAILED)), OUTCOME_QUARANTINED);
	assert_int_equal(reason_outcome(REASON_BIT(REASON_AUTO_REPLY)),
	    OUTCOME_REJECTED);
	assert_int_equal(reason_from_code("too_large"), REASON_TOO_LARGE);
	/* the stable code of issue 22, and it rejects (a notice goes) */
	assert_int_equal(reason_from_code("attachment_encrypted"),
	    REASON_ATTACHMENT_ENCRYPTED);
	assert_int_equal(reason_outcome(REASON_BIT(
	    REASON_ATTACHMENT_ENCRYPTED)), OUTCOME_REJECTED);
	assert_int_equal(reason_from_code("nope"), -1);
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
	today = day("2026-11-23");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(&conf);
	return 0;
}

/*
 * A sender listed at several partners (DESIGN "Decision"): the listing
 * that lets the mail through if one does; else one at a partner whose
 * convention is in force; else the most recently started (the person's
 * habilitation start, then the convention's, then the smaller partner
 * id).  Every pair of states, in both orders: the decision names the
 * winning listing's partner and carries only its reasons.
 */
enum listing {
	L_OK,			/* habilitated since 2025-03-01, in force */
	L_NOT_YET,		/* starts next week */
	L_ENDED,		/* 2024-06-01 to 2026-10-31 */
	L_SUSPENDED,		/* since 2025-09-01, suspended by the Caf */
	L_CONV_ENDED,		/* since 2025-01-01, convention ended yesterday */
	L_CONV_SUSPENDED,	/* since 2025-06-01, partner suspended */
	L_CONV_FUTURE,		/* since 2026-01-01, convention starts tomorrow */
	L_ALL_ENDED,		/* 2024-01-15 to 2026-03-31, convention too */
	L_COUNT,
};

/* What each listing says when it is the one that speaks. */
static const char *const listing_reasons[L_COUNT] = {
	[L_OK] = "",
	[L_NOT_YET] = "sender_not_yet_habilitated",
	[L_ENDED] = "sender_habilitation_ended",
	[L_SUSPENDED] = "sender_habilitation_ended",
	[L_CONV_ENDED] = "partner_inactive",
	[L_CONV_SUSPENDED] = "partner_inactive",
	[L_CONV_FUTURE] = "partner_inactive",
	[L_ALL_ENDED] = "sender_habilitation_ended,partner_inactive",
};

static struct habilitation
listing(enum listing l, const char *partner)
{
	struct habilitation h = { partner, day("2024-01-01"), DATE_NONE, 0,
	    day("2025-03-01"), DATE_NONE, 0 };

	switch (l) {
	case L_OK:
	case L_COUNT:
		break;
	case L_NOT_YET:
		h.start = today + 7;
		break;
	case L_ENDED:
		h.start = day("2024-06-01");
		h.end = day("2026-10-31");
		break;
	case L_SUSPENDED:
		h.start = day("2025-09-01");
		h.person_suspended = 1;
		break;
	case L_CONV_ENDED:
		h.start = day("2025-01-01");
		h.convention_end = today - 1;
		break;
	case L_CONV_SUSPENDED:
		h.start = day("2025-06-01");
		h.partner_suspended = 1;
		break;
	case L_CONV_FUTURE:
		h.start = day("2026-01-01");
		h.convention_start = today + 1;
		break;
	case L_ALL_ENDED:
		h.start = day("2024-01-15");
		h.end = day("2026-03-31");
		h.convention_end = day("2026-06-30");
		break;
	}
	return h;
}

/*
 * Which of two listings speaks, 'a' or 'b', reasoned from DESIGN: OK lets
 * the mail through; NOT_YET, ENDED and SUSPENDED are at a partner in
 * force; the CONV_* and ALL_ENDED ones are not.  Within one of these
 * three, the most recently started: NOT_YET (next week) > CONV_FUTURE
 * (2026-01-01) > SUSPENDED (2025-09-01) > CONV_SUSPENDED (2025-06-01) >
 * OK (2025-03-01) > CONV_ENDED (2025-01-01) > ENDED (2024-06-01) >
 * ALL_ENDED (2024-01-15).  The same state twice: equal starts, so the
 * smaller partner id, "partner-a".
 */
static const struct {
	enum listing	 a, b;
	char		 winner;
} listing_pairs[] = {
	{ L_OK, L_OK, 'a' },
	{ L_OK, L_NOT_YET, 'a' },
	{ L_OK, L_ENDED, 'a' },
	{ L_OK, L_SUSPENDED, 'a' },
	{ L_OK, L_CONV_ENDED, 'a' },
	{ L_OK, L_CONV_SUSPENDED, 'a' },
	{ L_OK, L_CONV_FUTURE, 'a' },
	{ L_OK, L_ALL_ENDED, 'a' },
	{ L_NOT_YET, L_NOT_YET, 'a' },
	{ L_NOT_YET, L_ENDED, 'a' },
	{ L_NOT_YET, L_SUSPENDED, 'a' },
	{ L_NOT_YET, L_CONV_ENDED, 'a' },
	{ L_NOT_YET, L_CONV_SUSPENDED, 'a' },
	{ L_NOT_YET, L_CONV_FUTURE, 'a' },
	{ L_NOT_YET, L_ALL_ENDED, 'a' },
	{ L_ENDED, L_ENDED, 'a' },
	{ L_ENDED, L_SUSPENDED, 'b' },
	{ L_ENDED, L_CONV_ENDED, 'a' },
	{ L_ENDED, L_CONV_SUSPENDED, 'a' },
	{ L_ENDED, L_CONV_FUTURE, 'a' },
	{ L_ENDED, L_ALL_ENDED, 'a' },
	{ L_SUSPENDED, L_SUSPENDED, 'a' },
	/* the case of the issue: not partner_inactive */
	{ L_SUSPENDED, L_CONV_ENDED, 'a' },
	{ L_SUSPENDED, L_CONV_SUSPENDED, 'a' },
	{ L_SUSPENDED, L_CONV_FUTURE, 'a' },
	{ L_SUSPENDED, L_ALL_ENDED, 'a' },
	{ L_CONV_ENDED, L_CONV_ENDED, 'a' },
	{ L_CONV_ENDED, L_CONV_SUSPENDED, 'b' },
	{ L_CONV_ENDED, L_CONV_FUTURE, 'b' },
	{ L_CONV_ENDED, L_ALL_ENDED, 'a' },
	{ L_CONV_SUSPENDED, L_CONV_SUSPENDED, 'a' },
	{ L_CONV_SUSPENDED, L_CONV_FUTURE, 'b' },
	{ L_CONV_SUSPENDED, L_ALL_ENDED, 'a' },
	{ L_CONV_FUTURE, L_CONV_FUTURE, 'a' },
	{ L_CONV_FUTURE, L_ALL_ENDED, 'a' },
	{ L_ALL_ENDED, L_ALL_ENDED, 'a' },
};

static void
decide_listings(const struct habilitation *h, size_t n, struct decision *d)
{
	const char *const *trusted =
	    (const char *const *)conf.trusted_authserv_ids.v;
	struct decide_ctx ctx = { &conf.rules, trusted,
	    conf.trusted_authserv_ids.n, &conf.public_suffixes, today };
	struct annex_view annex = { h, n, NULL, 0 };
	struct msg_facts f;

	facts_init(&f);
	f.raw_size = 20 * 1024;
	f.from_count = 1;
	f.from_addr = strdup("a.martin@apeai34.fr");
	f.subject = strdup(SUBJ_RIB);
	facts_add_auth_result(&f, AR_PASS);
	f.top_content_type = strdup("multipart/mixed");
	facts_add_part(&f, "text/plain", NULL, 200, 0, 1);
	facts_add_part(&f, PDF, 50000, 1, 1);
	decide(&f, &annex, &ctx, d);
	facts_free(&f);
}

static void
test_several_listings(void **state)
{
	struct habilitation h[2];
	struct decision d;
	enum listing won;
	const char *want_partner;
	char got[512];
	size_t i;
	int order;

	(void)state;
	/* Each listing alone says what the table above says. */
	for (i = 0; i < L_COUNT; i++) {
		h[0] = listing(i, "partner-a");
		decide_listings(h, 1, &d);
		reasons_string(d.reasons, got, sizeof(got));
		if (strcmp(got, listing_reasons[i]) != 0)
			fail_msg("listing %zu alone: [%s], expected [%s]", i,
			    got, listing_reasons[i]);
	}
	for (i = 0; i < sizeof(listing_pairs) / sizeof(listing_pairs[0]);
	    i++) {
		won = listing_pairs[i].winner == 'a' ? listing_pairs[i].a :
		    listing_pairs[i].b;
		want_partner = listing_pairs[i].winner == 'a' ? "partner-a" :
		    "partner-b";
		for (order = 0; order < 2; order++) {
			h[order] = listing(listing_pairs[i].a, "partner-a");
			h[!order] = listing(listing_pairs[i].b, "partner-b");
			decide_listings(h, 2, &d);
			reasons_string(d.reasons, got, sizeof(got));
			if (strcmp(got, listing_reasons[won]) != 0 ||
			    d.partner_id == NULL ||
			    strcmp(d.partner_id, want_partner) != 0)
				fail_msg("pair %zu (order %d): [%s] at %s, "
				    "expected [%s] at %s", i, order, got,
				    d.partner_id ? d.partner_id : "(none)",
				    listing_reasons[won], want_partner);
			assert_string_equal(outcome_name(d.outcome),
			    won == L_OK ? "accepted" : "rejected");
		}
	}
}

/* Ties on the person's start: the convention started last speaks. */
static void
test_several_listings_ties(void **state)
{
	struct habilitation h[3];
	struct decision d;

	(void)state;
	h[0] = listing(L_SUSPENDED, "partner-z");
	h[1] = listing(L_SUSPENDED, "partner-y");
	h[1].convention_start = day("2025-01-01");
	h[2] = listing(L_CONV_ENDED, "partner-x");
	decide_listings(h, 3, &d);
	assert_string_equal(d.partner_id, "partner-y");
	assert_int_equal(d.reasons,
	    REASON_BIT(REASON_SENDER_HABILITATION_ENDED));
	/* Three listings, one lets the mail through, wherever it is. */
	h[0] = listing(L_CONV_FUTURE, "partner-a");
	h[1] = listing(L_NOT_YET, "partner-b");
	h[2] = listing(L_OK, "partner-c");
	decide_listings(h, 3, &d);
	assert_string_equal(d.partner_id, "partner-c");
	assert_int_equal(d.reasons, 0);
	assert_string_equal(outcome_name(d.outcome), "accepted");
}

int
main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	struct CMUnitTest *tests;
	int r;

	if ((tests = calloc(n + 3, sizeof(*tests))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	tests[n].name = "outcome_rule";
	tests[n].test_func = test_outcome_rule;
	tests[n + 1].name = "several_listings";
	tests[n + 1].test_func = test_several_listings;
	tests[n + 2].name = "several_listings_ties";
	tests[n + 2].test_func = test_several_listings_ties;
	r = _cmocka_run_group_tests("decide", tests, n + 3, setup, teardown);
	free(tests);
	return r;
}
