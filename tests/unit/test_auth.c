/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_auth - Authentication-Results (RFC 8601) reading and alignment.
 *
 * Header values are shaped after what Postfix milters (OpenDKIM,
 * OpenDMARC, policyd-spf), rspamd, amavis, Gmail and Microsoft write,
 * unfolded as the mime module hands them over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balp/auth.h"
#include "balp/wordlist.h"

#define ID	"mx.caf.test"
#define FROM	"apeai34.fr"

static const char *const trusted[] = { "mx.caf.test", "MX2.Caf.Test" };
#define N_TRUSTED	(sizeof(trusted) / sizeof(trusted[0]))

static void
make_suffixes(struct wordlist *w)
{
	wordlist_init(w);
	assert_int_equal(wordlist_add(w, "gouv.fr"), 0);
	assert_int_equal(wordlist_add(w, "asso.fr"), 0);
	assert_int_equal(wordlist_add(w, "co.uk"), 0);
}

struct ar_case {
	const char	*name;
	const char	*from;		/* From domain; NULL = FROM */
	const char	*h[3];		/* header values, NULL-terminated */
	int		 want;
};

static const struct ar_case ar_cases[] = {
	/* ---- DMARC ---- */
	{ "opendmarc pass", NULL,
	  { ID "; dmarc=pass (p=reject dis=none) header.from=apeai34.fr" }, 1 },
	{ "dmarc pass other domain", NULL,
	  { ID "; dmarc=pass (p=none dis=none) header.from=other.fr" }, 0 },
	{ "dmarc fail", NULL,
	  { ID "; dmarc=fail (p=reject dis=reject) header.from=apeai34.fr" },
	  0 },
	{ "dmarc needs equality, not alignment", NULL,
	  { ID "; dmarc=pass header.from=mail.apeai34.fr" }, 0 },
	{ "dmarc pass without header.from", NULL,
	  { ID "; dmarc=pass (p=none dis=none)" }, 0 },
	{ "dmarc header.from with two domains", NULL,
	  { ID "; dmarc=pass header.from=apeai34.fr,evil.example" }, 0 },
	{ "dmarc header.from upper case", NULL,
	  { ID "; DMARC=Pass header.from=APEAI34.FR" }, 1 },
	{ "dmarc bestguesspass", NULL,
	  { ID "; dmarc=bestguesspass header.from=apeai34.fr" }, 0 },

	/* ---- DKIM ---- */
	{ "opendkim pass", NULL,
	  { ID "; dkim=pass (2048-bit key; unprotected) header.d=apeai34.fr "
	    "header.i=@apeai34.fr header.a=rsa-sha256 header.s=mail "
	    "header.b=AbC/dE+f" }, 1 },
	{ "dkim subdomain signer", NULL,
	  { ID "; dkim=pass header.d=mail.apeai34.fr header.s=s1" }, 1 },
	{ "dkim parent signer, subdomain From", "mail.apeai34.fr",
	  { ID "; dkim=pass header.d=apeai34.fr header.s=s1" }, 1 },
	{ "dkim sibling subdomains", "a.apeai34.fr",
	  { ID "; dkim=pass header.d=b.apeai34.fr" }, 1 },
	{ "dkim third-party signer", NULL,
	  { ID "; dkim=pass (1024-bit key) header.d=sendgrid.net "
	    "header.i=@sendgrid.net" }, 0 },
	{ "dkim header.i domain", NULL,
	  { ID "; dkim=pass header.i=@news.apeai34.fr header.s=s1" }, 1 },
	{ "dkim header.i address", NULL,
	  { ID "; dkim=pass header.i=a.martin@apeai34.fr" }, 1 },
	{ "dkim header.d is no address", NULL,
	  { ID "; dkim=pass header.d=x@apeai34.fr" }, 0 },
	{ "dkim look-alike", NULL,
	  { ID "; dkim=pass header.d=evilapeai34.fr" }, 0 },
	{ "dkim domain under another", NULL,
	  { ID "; dkim=pass header.d=apeai34.fr.evil.example" }, 0 },
	{ "dkim fail", NULL,
	  { ID "; dkim=fail (bad signature) header.d=apeai34.fr" }, 0 },
	{ "dkim neutral", NULL,
	  { ID "; dkim=neutral (body hash did not verify) "
	    "header.d=apeai34.fr" }, 0 },
	{ "dkim none", NULL, { ID "; dkim=none header.d=apeai34.fr" }, 0 },
	{ "dkim temperror", NULL,
	  { ID "; dkim=temperror (key query timeout) header.d=apeai34.fr" },
	  0 },
	{ "dkim permerror", NULL,
	  { ID "; dkim=permerror header.d=apeai34.fr" }, 0 },
	{ "dkim policy", NULL, { ID "; dkim=policy header.d=apeai34.fr" }, 0 },
	{ "dkim method version", NULL,
	  { ID "; dkim/1=pass header.d=apeai34.fr" }, 1 },
	{ "dkim CFWS everywhere", NULL,
	  { ID " ; dkim (x) = (y) pass (z) header (a) . (b) d (c) = (d) "
	    "apeai34.fr (e)" }, 1 },
	{ "dkim trailing dot", NULL,
	  { ID "; dkim=pass header.d=apeai34.fr." }, 1 },
	{ "From domain with trailing dot", "apeai34.fr.",
	  { ID "; dkim=pass header.d=apeai34.fr" }, 1 },
	{ "dkim quoted header.b and reason", NULL,
	  { ID "; dkim=pass reason=\"good; really (sure)\" "
	    "header.d=apeai34.fr header.b=\"Xy/z+\"" }, 1 },
	{ "dkim quoted header.d", NULL,
	  { ID "; dkim=pass header.d=\"apeai34.fr\"" }, 1 },
	{ "pass about another domain, fail about ours", NULL,
	  { ID "; dkim=pass header.d=other.fr; dkim=fail header.d=apeai34.fr" },
	  0 },
	{ "two signatures, ours passes", NULL,
	  { ID "; dkim=pass header.d=mailchimp.com; dkim=pass "
	    "header.d=apeai34.fr" }, 1 },

	/* ---- SPF ---- */
	{ "policyd-spf pass address", NULL,
	  { ID "; spf=pass (sender SPF authorized) "
	    "smtp.mailfrom=a.martin@apeai34.fr" }, 1 },
	{ "spf pass bare domain", NULL,
	  { ID "; spf=pass smtp.mailfrom=apeai34.fr" }, 1 },
	{ "spf pass bounce subdomain", NULL,
	  { ID "; spf=pass smtp.mailfrom=bounce@bounce.apeai34.fr" }, 1 },
	{ "spf pass third party", NULL,
	  { ID "; spf=pass smtp.mailfrom=bounces+123@mailchimp.com" }, 0 },
	{ "spf helo does not count", NULL,
	  { ID "; spf=pass smtp.helo=apeai34.fr" }, 0 },
	{ "spf softfail", NULL,
	  { ID "; spf=softfail (transitioning) smtp.mailfrom=apeai34.fr" }, 0 },
	{ "spf neutral", NULL,
	  { ID "; spf=neutral smtp.mailfrom=apeai34.fr" }, 0 },
	{ "spf none", NULL, { ID "; spf=none smtp.mailfrom=apeai34.fr" }, 0 },
	{ "spf null sender", NULL,
	  { ID "; spf=pass smtp.mailfrom=\"\"" }, 0 },
	{ "spf quoted address", NULL,
	  { ID "; spf=pass smtp.mailfrom=\"a.martin@apeai34.fr\"" }, 1 },
	{ "spf quoted local part", NULL,
	  { ID "; spf=pass smtp.mailfrom=\"a martin\"@apeai34.fr" }, 1 },
	{ "spf quoted injection stays one value", NULL,
	  { ID "; spf=pass smtp.mailfrom=\"x;dkim=pass header.d=apeai34.fr\""
	    "@evil.example" }, 0 },
	{ "spf fail with quoted injection", NULL,
	  { ID "; spf=fail smtp.mailfrom=\"x; dmarc=pass "
	    "header.from=apeai34.fr\"@evil.example" }, 0 },

	/* ---- authserv-id ---- */
	{ "untrusted id with passes", NULL,
	  { "evil.example; dmarc=pass header.from=apeai34.fr; dkim=pass "
	    "header.d=apeai34.fr; spf=pass smtp.mailfrom=apeai34.fr" }, 0 },
	{ "gmail shape, untrusted", NULL,
	  { "mx.google.com; dkim=pass header.i=@apeai34.fr header.s=mail "
	    "header.b=AbCd1234; spf=pass (google.com: domain of "
	    "a.martin@apeai34.fr designates 192.0.2.1 as permitted sender) "
	    "smtp.mailfrom=a.martin@apeai34.fr; dmarc=pass (p=NONE sp=NONE "
	    "dis=NONE) header.from=apeai34.fr" }, 0 },
	{ "trusted id only in a leading comment", NULL,
	  { "(mx.caf.test) evil.example; dmarc=pass header.from=apeai34.fr" },
	  0 },
	{ "trusted id only in a trailing comment", NULL,
	  { "evil.example (mx.caf.test); dmarc=pass header.from=apeai34.fr" },
	  0 },
	{ "trusted id in a result comment", NULL,
	  { "evil.example; dmarc=pass (mx.caf.test) header.from=apeai34.fr" },
	  0 },
	{ "id with a trusted prefix", NULL,
	  { "mx.caf.test.evil.example; dkim=pass header.d=apeai34.fr" }, 0 },
	{ "id with a trusted suffix", NULL,
	  { "evil.mx.caf.test; dkim=pass header.d=apeai34.fr" }, 0 },
	{ "microsoft shape without id", NULL,
	  { "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=apeai34.fr; "
	    "dkim=pass (signature was verified) header.d=apeai34.fr;"
	    "dmarc=pass action=none header.from=apeai34.fr;compauth=pass "
	    "reason=100" }, 0 },
	{ "microsoft shape with trusted id", NULL,
	  { ID "; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=apeai34.fr; "
	    "dkim=pass (signature was verified) header.d=apeai34.fr;"
	    "dmarc=pass action=none header.from=apeai34.fr;compauth=pass "
	    "reason=100" }, 1 },
	{ "version number", NULL,
	  { ID " 1; dmarc=pass header.from=apeai34.fr" }, 1 },
	{ "version number and comment", NULL,
	  { ID " (amavisd) 1 (v1); dkim=pass header.d=apeai34.fr" }, 1 },
	{ "id case-insensitive", NULL,
	  { "MX.CAF.TEST; DKIM=PASS header.d=APEAI34.FR" }, 1 },
	{ "second trusted id", NULL,
	  { "mx2.caf.test; spf=pass smtp.mailfrom=apeai34.fr" }, 1 },
	{ "quoted id", NULL,
	  { "\"mx.caf.test\"; dmarc=pass header.from=apeai34.fr" }, 1 },
	{ "amavis comment after id", NULL,
	  { ID " (amavisd-new); dkim=pass (2048-bit key) "
	    "reason=\"pass (just generated, assumed good)\" "
	    "header.d=apeai34.fr" }, 1 },
	{ "rspamd shape, tabs", NULL,
	  { ID ";\tdkim=pass header.d=apeai34.fr header.s=dkim "
	    "header.b=abc;\tspf=pass (mx.caf.test: domain of "
	    "\"a.martin@apeai34.fr\" designates 192.0.2.1 as permitted sender) "
	    "smtp.mailfrom=a.martin@apeai34.fr;\tdmarc=pass (policy=reject) "
	    "header.from=apeai34.fr" }, 1 },
	{ "nested comments with escapes", NULL,
	  { ID " (a (nested \\) one) here); dkim=pass (x\\(y) "
	    "header.d=apeai34.fr" }, 1 },
	{ "trailing semicolon", NULL,
	  { ID "; dkim=pass header.d=apeai34.fr;" }, 1 },
	{ "no result", NULL, { ID "; none" }, 0 },
	{ "no result with comment", NULL, { ID "; none (nothing checked)" },
	  0 },

	/* ---- several headers ---- */
	{ "only the trusted one of three passes", NULL,
	  { "evil.example; dkim=fail header.d=apeai34.fr",
	    ID "; spf=fail smtp.mailfrom=apeai34.fr",
	    ID "; dkim=pass header.d=apeai34.fr" }, 1 },
	{ "pass only from untrusted", NULL,
	  { ID "; spf=fail smtp.mailfrom=apeai34.fr",
	    "mx.google.com; dkim=pass header.d=apeai34.fr" }, 0 },
	{ "garbage then good", NULL,
	  { "))) ;;; ===", ID "; dmarc=pass header.from=apeai34.fr" }, 1 },

	/* ---- public suffixes ---- */
	{ "gouv.fr siblings are not aligned", "b.gouv.fr",
	  { ID "; dkim=pass header.d=a.gouv.fr" }, 0 },
	{ "gouv.fr subdomain aligned", "a.gouv.fr",
	  { ID "; dkim=pass header.d=mail.a.gouv.fr" }, 1 },
	{ "asso.fr siblings", "apeai.asso.fr",
	  { ID "; spf=pass smtp.mailfrom=x@other.asso.fr" }, 0 },
	{ "co.uk siblings", "a.co.uk",
	  { ID "; dkim=pass header.d=b.co.uk" }, 0 },
	{ "public suffix itself as signer", "a.gouv.fr",
	  { ID "; dkim=pass header.d=gouv.fr" }, 0 },
	{ "tld as signer", NULL, { ID "; dkim=pass header.d=fr" }, 0 },

	/* ---- malformed: the whole header is ignored ---- */
	{ "unterminated comment", NULL,
	  { ID "; dkim=pass (oops header.d=apeai34.fr" }, 0 },
	{ "unterminated quote", NULL,
	  { ID "; dkim=pass header.d=\"apeai34.fr" }, 0 },
	{ "garbage after a pass", NULL,
	  { ID "; dkim=pass header.d=apeai34.fr; $$$ garbage" }, 0 },
	{ "missing result", NULL, { ID "; dkim= header.d=apeai34.fr" }, 0 },
	{ "missing ';' after id", NULL,
	  { ID " dkim=pass header.d=apeai34.fr" }, 0 },
	{ "no id", NULL, { "; dkim=pass header.d=apeai34.fr" }, 0 },
	{ "result glued to property", NULL,
	  { ID "; dkim=pass\"x\"header.d=apeai34.fr" }, 0 },
	{ "passed is not pass", NULL,
	  { ID "; dkim=passed header.d=apeai34.fr" }, 0 },
	{ "empty", NULL, { "" }, 0 },
	{ "blank", NULL, { " \t " }, 0 },
	{ "id only", NULL, { ID }, 0 },
	{ "id and ';'", NULL, { ID ";" }, 0 },
	{ "no headers", NULL, { NULL }, 0 },
	{ "empty From domain", "", { ID "; dkim=pass header.d=apeai34.fr" },
	  0 },
};

static void
test_verified_table(void **state)
{
	struct wordlist ps;
	size_t i, n;
	int got;

	(void)state;
	make_suffixes(&ps);
	for (i = 0; i < sizeof(ar_cases) / sizeof(ar_cases[0]); i++) {
		const struct ar_case *c = &ar_cases[i];
		char *h[3];

		for (n = 0; n < 3 && c->h[n] != NULL; n++)
			h[n] = (char *)c->h[n];
		got = auth_sender_verified(h, n, c->from ? c->from : FROM,
		    trusted, N_TRUSTED, &ps);
		if (got != c->want)
			fail_msg("case %zu (%s): got %d, want %d", i, c->name,
			    got, c->want);
	}
	wordlist_free(&ps);
}

/* No trusted id at all: nothing is verified. */
static void
test_verified_nothing_trusted(void **state)
{
	char *h[] = { ID "; dmarc=pass header.from=apeai34.fr" };

	(void)state;
	assert_int_equal(auth_sender_verified(h, 1, FROM, trusted, N_TRUSTED,
	    NULL), 1);
	assert_int_equal(auth_sender_verified(h, 1, FROM, NULL, 0, NULL), 0);
	assert_int_equal(auth_sender_verified(h, 1, NULL, trusted, N_TRUSTED,
	    NULL), 0);
	assert_int_equal(auth_sender_verified(NULL, 0, FROM, trusted,
	    N_TRUSTED, NULL), 0);
}

struct org_case {
	const char	*domain;
	const char	*org;
};

static const struct org_case org_cases[] = {
	{ "apeai34.fr", "apeai34.fr" },
	{ "mail.apeai34.fr", "apeai34.fr" },
	{ "a.b.c.apeai34.fr", "apeai34.fr" },
	{ "mail.apeai34.fr.", "apeai34.fr." },
	{ "fr", "fr" },
	{ "", "" },
	{ "a.gouv.fr", "a.gouv.fr" },
	{ "x.y.a.gouv.fr", "a.gouv.fr" },
	{ "x.a.gouv.fr.", "a.gouv.fr." },
	{ "gouv.fr", "gouv.fr" },
	{ "www.caf.co.uk", "caf.co.uk" },
	{ "notgouv.fr", "notgouv.fr" },
	{ "a.notgouv.fr", "notgouv.fr" },
	{ "x.a.GOUV.FR", "a.GOUV.FR" },
};

static void
test_org_domain_table(void **state)
{
	struct wordlist ps;
	const char *got;
	size_t i;

	(void)state;
	make_suffixes(&ps);
	for (i = 0; i < sizeof(org_cases) / sizeof(org_cases[0]); i++) {
		got = auth_org_domain(org_cases[i].domain, &ps);
		if (strcmp(got, org_cases[i].org) != 0)
			fail_msg("case %zu (%s): got %s, want %s", i,
			    org_cases[i].domain, got, org_cases[i].org);
	}
	wordlist_free(&ps);
	/* without a list, two labels */
	assert_string_equal(auth_org_domain("x.a.gouv.fr", NULL), "gouv.fr");
}

struct aligned_case {
	const char	*a, *b;
	int		 want;
};

static const struct aligned_case aligned_cases[] = {
	{ "apeai34.fr", "apeai34.fr", 1 },
	{ "APEAI34.FR", "apeai34.fr", 1 },
	{ "mail.apeai34.fr", "apeai34.fr", 1 },
	{ "apeai34.fr", "mail.apeai34.fr", 1 },
	{ "a.apeai34.fr", "b.apeai34.fr", 1 },
	{ "apeai34.fr.", "apeai34.fr", 1 },
	{ "apeai34.fr", "apeai35.fr", 0 },
	{ "apeai34.fr", "evilapeai34.fr", 0 },
	{ "apeai34.fr", "apeai34.fr.evil.example", 0 },
	{ "a.gouv.fr", "b.gouv.fr", 0 },
	{ "a.gouv.fr", "mail.a.gouv.fr", 1 },
	{ "gouv.fr", "a.gouv.fr", 0 },
	{ "a.asso.fr", "b.asso.fr", 0 },
	{ "a.co.uk", "b.co.uk", 0 },
	{ "apeai34.fr", "", 0 },
	{ "", "", 0 },
};

static void
test_aligned_table(void **state)
{
	struct wordlist ps;
	size_t i;

	(void)state;
	make_suffixes(&ps);
	for (i = 0; i < sizeof(aligned_cases) / sizeof(aligned_cases[0]);
	    i++) {
		const struct aligned_case *c = &aligned_cases[i];

		if (auth_aligned(c->a, c->b, &ps) != c->want)
			fail_msg("case %zu (%s, %s): want %d", i, c->a, c->b,
			    c->want);
	}
	assert_int_equal(auth_aligned(NULL, "apeai34.fr", &ps), 0);
	wordlist_free(&ps);
}

static char *
repeat(const char *prefix, const char *unit, size_t total)
{
	size_t plen = strlen(prefix), ulen = strlen(unit), i;
	char *s;

	s = malloc(total + 1);
	assert_non_null(s);
	memcpy(s, prefix, plen < total ? plen : total);
	for (i = plen; i < total; i++)
		s[i] = unit[(i - plen) % ulen];
	s[total] = '\0';
	return s;
}

/* 100 KB hostile values: no crash, no stack blow-up, no pass. */
static void
test_verified_huge_values(void **state)
{
	static const struct {
		const char *prefix, *unit;
	} shapes[] = {
		{ "", "(" },
		{ ID " ", "(" },
		{ ID "; dkim=pass ", "(" },
		{ ID "; dkim=pass (", "\\" },
		{ "", "a" },
		{ ID "; ", ";" },
		{ ID "; dkim=pass header.d=", "a." },
		{ ID "; dkim=pass header.d=\"", "x" },
		{ ID "; dkim=pass", " header.s=x" },
		{ ID "; ", "dkim=pass header.d=other.fr; " },
		{ "\"", "\\\"" },
	};
	struct wordlist ps;
	size_t i;
	char *h;

	(void)state;
	make_suffixes(&ps);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		h = repeat(shapes[i].prefix, shapes[i].unit, 100 * 1024);
		if (auth_sender_verified(&h, 1, FROM, trusted, N_TRUSTED,
		    &ps) != 0)
			fail_msg("shape %zu verified", i);
		free(h);
	}
	/* a long but real pass still counts */
	h = repeat(ID "; dkim=pass header.d=apeai34.fr", " header.x=y",
	    strlen(ID "; dkim=pass header.d=apeai34.fr") + 11 * 9000);
	assert_int_equal(auth_sender_verified(&h, 1, FROM, trusted, N_TRUSTED,
	    &ps), 1);
	free(h);
	h = repeat("a", ".a", 100 * 1024 + 1);
	assert_string_equal(auth_org_domain(h, &ps), "a.a");
	assert_int_equal(auth_aligned(h, "x.a.a", &ps), 1);
	free(h);
	wordlist_free(&ps);
}

/*
 * Random junk built from the characters the grammar cares about: never a
 * crash (ASan watches), and a header without "pass" never verifies.
 */
static void
test_verified_random_junk(void **state)
{
	static const char *const atoms[] = { ID, "evil.example", ";", " ",
	    "(", ")", "\\", "\"", "=", ".", "@", "/", "dkim", "spf", "dmarc",
	    "pass", "fail", "header", "d", "i", "from", "smtp", "mailfrom",
	    "apeai34.fr", "1", "none", "reason", "\t", "\xc3\xa9", "\x01" };
	struct wordlist ps;
	unsigned long seed = 12345;
	char buf[512], *h = buf;
	size_t iter, k, len, n;
	int got;

	(void)state;
	make_suffixes(&ps);
	for (iter = 0; iter < 20000; iter++) {
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % 40;
		len = 0;
		for (k = 0; k < n; k++) {
			const char *a;

			seed = seed * 6364136223846793005UL +
			    1442695040888963407UL;
			a = atoms[(seed >> 33) % (sizeof(atoms) /
			    sizeof(atoms[0]))];
			if (len + strlen(a) >= sizeof(buf))
				break;
			memcpy(buf + len, a, strlen(a));
			len += strlen(a);
		}
		buf[len] = '\0';
		got = auth_sender_verified(&h, 1, FROM, trusted, N_TRUSTED, &ps);
		if (got != 0 && strstr(buf, "pass") == NULL)
			fail_msg("verified without pass: %s", buf);
		if (got != 0 && strncmp(buf, ID, strlen(ID)) != 0 &&
		    strchr(" \t(\"", buf[0]) == NULL)
			fail_msg("verified without trusted id: %s", buf);
	}
	wordlist_free(&ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verified_table),
		cmocka_unit_test(test_verified_nothing_trusted),
		cmocka_unit_test(test_org_domain_table),
		cmocka_unit_test(test_aligned_table),
		cmocka_unit_test(test_verified_huge_values),
		cmocka_unit_test(test_verified_random_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
