/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_html - html_to_text() on small documents, one construct at a time.
 *
 * Every input is copied into a heap buffer of exactly its length, without
 * a terminating NUL, so that ASan reports any read past len.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "balp/html.h"
#include "balp/text.h"

/* html_to_text() of the first len bytes of s, from an exact-size copy. */
static char *
convert_n(const char *s, size_t len)
{
	char *copy, *out;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, s, len);
	out = html_to_text(copy, len);
	free(copy);
	assert_non_null(out);
	/* The module's promises, checked on every input of this file. */
	assert_true(text_utf8_valid(out, strlen(out)));
	assert_true(strlen(out) <= 3 * len);
	return out;
}

static void
check_n(const char *html, size_t len, const char *want)
{
	char *got = convert_n(html, len);

	if (strcmp(got, want) != 0)
		fail_msg("html \"%.*s\"\n got  \"%s\"\n want \"%s\"", (int)len,
		    html, got, want);
	free(got);
}

static void
check(const char *html, const char *want)
{
	check_n(html, strlen(html), want);
}

static void
test_empty_input(void **state)
{
	char *out;

	(void)state;
	check("", "");
	/* NULL with length 0 is an empty document too. */
	out = html_to_text(NULL, 0);
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	check("<html><body></body></html>", "");
	check("   \n\t  ", "");
}

static void
test_named_entities(void **state)
{
	(void)state;
	check("Caf&eacute; &amp; th&eacute;", "Café & thé");
	check("&lt;ok&gt; &quot;x&quot; l&apos;an", "<ok> \"x\" l'an");
	check("100&nbsp;&euro;", "100 €");
	check("&laquo;&Eacute;t&eacute;&raquo; &oelig;uvre &hellip;",
	    "«Été» œuvre …");
	check("1&sup2; &frac12;", "1² ½");
	/* Names are case-sensitive, as in HTML. */
	check("&EACUTE;", "&EACUTE;");
}

static void
test_named_entities_invalid(void **state)
{
	(void)state;
	/* Unknown names and missing ';' are text, as typed. */
	check("&unknown;", "&unknown;");
	check("&eacute", "&eacute");
	check("&copy2025", "&copy2025");
	check("R&D", "R&D");
	check("a & b", "a & b");
	check("&", "&");
	check("&;", "&;");
	check("fin&", "fin&");
	/* A name longer than any entity is not looked up. */
	check("&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;",
	    "&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;");
}

static void
test_numeric_entities(void **state)
{
	(void)state;
	check("th&#233;", "thé");
	check("&#x20AC; &#X20ac;", "€ €");
	check("d&#39;un", "d'un");
	/* The ';' is optional, as browsers read it. */
	check("&#233t&#233", "été");
	/* 0x80-0x9F mean windows-1252. */
	check("&#128; &#150; &#x9C;", "€ – œ");
	check("&#x1F600;", "\xF0\x9F\x98\x80");
	/* Leading zeros are digits like any other. */
	check("&#0000065;", "A");
}

static void
test_numeric_entities_invalid(void **state)
{
	(void)state;
	/* 0, surrogates and values past U+10FFFF: U+FFFD. */
	check("&#0;", "\xEF\xBF\xBD");
	check("&#xD800;", "\xEF\xBF\xBD");
	check("&#x110000;", "\xEF\xBF\xBD");
	check("&#99999999999999999999999;", "\xEF\xBF\xBD");
	check("&#xFFFFFFFFFFFFFFFFFFFF;", "\xEF\xBF\xBD");
	/* No digit: not a reference at all. */
	check("&#;", "&#;");
	check("&#x;", "&#x;");
	check("&#xZ;", "&#xZ;");
	check("&#", "&#");
	check("&#x", "&#x");
	/* Hex digits after a decimal reference end it. */
	check("&#65A", "AA");
}

static void
test_block_tags_break_lines(void **state)
{
	(void)state;
	check("<div>Bonjour,</div><div>Le dossier</div>",
	    "Bonjour,\n\nLe dossier\n");
	check("<p>a</p><p>b</p>", "a\n\nb\n");
	check("a<br>b<br/>c<BR />d", "a\nb\nc\nd");
	/* Never more than one empty line; none at the start. */
	check("<br><br><p>a<br><br><br><br>b", "a\n\nb");
	/* Trailing spaces go before a line end. */
	check("a   <br>b", "a\nb");
	check("<ul><li>un</li><li>deux</li></ul>", "un\n\ndeux\n\n");
	check("<table><tr><td>a</td><td>b</td></tr></table>", "a b\n\n");
	/* Inline tags are dropped without a break. */
	check("<b>gr</b><i>as</i> <span>x</span>", "gras x");
	/* A longer name that starts like a block tag is not one. */
	check("a<pre>b</pre>c<param>d", "a\nb\ncd");
	check("a<p:x>b", "ab");
}

static void
test_white_space_collapsed(void **state)
{
	(void)state;
	check("  Bonjour \r\n\t  Madame  ", "Bonjour Madame");
	check("a\fb", "a b");
	/* nbsp is not source white space: it stays. */
	check("a&nbsp;&nbsp;b", "a  b");
}

static void
test_script_and_style_dropped(void **state)
{
	(void)state;
	check("a<script>alert(\"<p>x</p>\")</script>b", "ab");
	check("a<SCRIPT type=\"text/javascript\">x</ScRiPt >b", "ab");
	check("<style>p{color:red}</style><p>texte</p>", "texte\n");
	check("a<style>x</style >b", "ab");
	/* "</scripts" does not end a script; only "</script" + end does. */
	check("a<script>x</scripts>y</script>b", "ab");
	/* Unterminated: everything after is script. */
	check("a<script>alert(1)", "a");
	check("a<style>", "a");
	/* An end tag alone is just dropped. */
	check("a</script>b", "ab");
}

static void
test_comments(void **state)
{
	(void)state;
	check("a<!-- commentaire -->b", "ab");
	check("a<!-- <p>cach&eacute;</p> -- encore -->b", "ab");
	check("a<!---->b", "ab");
	check("a<!-->b", "ab");
	check("a<!--->b", "ab");
	check("a<!-- x --!>b", "ab");
	/* Unterminated: the rest is comment. */
	check("a<!-- jamais fermé", "a");
	check("a<!--", "a");
	/* Outlook's conditional comments: markers go, content stays. */
	check("<![if !supportLists]>-&nbsp;<![endif]>point", "- point");
	check("<!DOCTYPE html><html>a</html>", "a");
	check("<?xml version=\"1.0\"?>a", "a");
}

static void
test_cdata(void **state)
{
	(void)state;
	/* In HTML a CDATA section is a bogus comment to the first '>'. */
	check("a<![CDATA[ cach&eacute; ]]>b", "ab");
	check("a<![CDATA[x>y]]>b", "ay]]>b");
	check("a<![CDATA[ jamais fermé", "a");
}

static void
test_unterminated_tags(void **state)
{
	(void)state;
	check("a<p", "a");
	check("a<div class=\"x\"", "a");
	check("a<b", "a");
	check("a</", "a</");
	check("a</p", "a");
	check("a<", "a<");
	check("<", "<");
	/* An unterminated quoted value runs to the end, as in a browser. */
	check("a<a href=\"x>b", "a");
	check("a<!", "a");
	check("a<?", "a");
	check("a</ x>b", "ab");
	check("a</>b", "ab");
}

static void
test_less_than_as_text(void **state)
{
	(void)state;
	check("montant < 100 et > 50", "montant < 100 et > 50");
	check("a<3 b<=c", "a<3 b<=c");
	check("1 <- 2", "1 <- 2");
}

static void
test_quoted_attributes(void **state)
{
	(void)state;
	check("<a title=\"a>b\">lien</a>", "lien");
	check("<a title='a>b'>lien</a>", "lien");
	check("<img alt = \"x > y\" src=x>apr&egrave;s", "après");
	/* A quote not after '=' is part of a name, not a value. */
	check("x<p y\">a", "x\na");
	/* Unquoted values end at '>'. */
	check("<td width=50%>a</td>", "a");
	/* A '>' in a quoted value of a block tag still breaks once. */
	check("a<div data-x=\"<br>\">b", "a\nb");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	/* Each bad byte is U+FFFD; good sequences around are kept. */
	check("caf\xe9 noir", "caf\xEF\xBF\xBD noir");
	check("\xc3\xa9t\xc3", "ét\xEF\xBF\xBD");
	check("\xff\xfe", "\xEF\xBF\xBD\xEF\xBF\xBD");
	/* Overlong and surrogate encodings are invalid too. */
	check("\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD");
	check("\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	/* Bad bytes inside a tag or comment vanish with it. */
	check("a<p \xff>b<!-- \xfe -->c", "a\nbc");
}

static void
test_nul_bytes(void **state)
{
	(void)state;
	/* NUL is U+FFFD: the output stays one C string. */
	check_n("a\0b", 3, "a\xEF\xBF\xBD" "b");
	check_n("x<p\0>a", 6, "xa");
	check_n("&#0;\0", 5, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

static void
test_realistic_mail(void **state)
{
	(void)state;
	check("<html><head><meta charset=\"utf-8\"><title>RIB</title>"
	    "<style>p{margin:0}</style></head><body>"
	    "<div class=\"WordSection1\"><p class=MsoNormal>Bonjour,<o:p>"
	    "</o:p></p><p class=MsoNormal>Veuillez trouver ci-joint le RIB de "
	    "M.&nbsp;DUPONT, suspendu depuis le 3&nbsp;f&eacute;vrier."
	    "<o:p></o:p></p></div></body></html>",
	    "RIB\n\nBonjour,\n\nVeuillez trouver ci-joint le RIB de "
	    "M. DUPONT, suspendu depuis le 3 février.\n\n");
}

/* Output never exceeds 3 bytes per input byte, even at the worst. */
static void
test_output_bound(void **state)
{
	char in[300], *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)0xff;
	out = convert_n(in, sizeof(in));
	assert_int_equal(strlen(out), 3 * sizeof(in));
	free(out);
	for (i = 0; i + 5 <= sizeof(in); i += 5)
		memcpy(in + i, "&#128", 5);
	out = convert_n(in, i);
	assert_int_equal(strlen(out), 3 * (i / 5));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_named_entities),
		cmocka_unit_test(test_named_entities_invalid),
		cmocka_unit_test(test_numeric_entities),
		cmocka_unit_test(test_numeric_entities_invalid),
		cmocka_unit_test(test_block_tags_break_lines),
		cmocka_unit_test(test_white_space_collapsed),
		cmocka_unit_test(test_script_and_style_dropped),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_cdata),
		cmocka_unit_test(test_unterminated_tags),
		cmocka_unit_test(test_less_than_as_text),
		cmocka_unit_test(test_quoted_attributes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_realistic_mail),
		cmocka_unit_test(test_output_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
