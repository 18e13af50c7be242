/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_text - folding.
 *
 * text_fold() writes into one allocation of len + 1 bytes, on the claim
 * that folding never lengthens a text.  These tests compare it against
 * the folding as it was before (kept here, growing a struct buf) on every
 * code point and on random bytes, valid UTF-8 or not; under ASan any
 * write past the allocation is caught.  struct text_lazy folds once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "balp/buf.h"
#include "balp/text.h"

/* ---- the reference: text_fold() before the single allocation ---------- */

static const char *const ref_latin_fold[] = {
	/* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* D0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "a", "a", "a", "a", "a", "a", "c", "c",
	/* 108 */ "c", "c", "c", "c", "c", "c", "d", "d",
	/* 110 */ "d", "d", "e", "e", "e", "e", "e", "e",
	/* 118 */ "e", "e", "e", "e", "g", "g", "g", "g",
	/* 120 */ "g", "g", "g", "g", "h", "h", "h", "h",
	/* 128 */ "i", "i", "i", "i", "i", "i", "i", "i",
	/* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k",
	/* 138 */ "k", "l", "l", "l", "l", "l", "l", "l",
	/* 140 */ "l", "l", "l", "n", "n", "n", "n", "n",
	/* 148 */ "n", "n", "n", "n", "o", "o", "o", "o",
	/* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r",
	/* 158 */ "r", "r", "s", "s", "s", "s", "s", "s",
	/* 160 */ "s", "s", "t", "t", "t", "t", "t", "t",
	/* 168 */ "u", "u", "u", "u", "u", "u", "u", "u",
	/* 170 */ "u", "u", "u", "u", "w", "w", "y", "y",
	/* 178 */ "y", "z", "z", "z", "z", "z", "z", "s",
};

static int
ref_is_unicode_space(uint32_t cp)
{
	return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	    cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* The old text_fold(); *olen receives its length (NULs included). */
static char *
ref_fold(const char *s, size_t len, size_t *olen)
{
	struct buf b = BUF_INIT;
	size_t i = 0, before;
	uint32_t cp;
	char tmp[4];

	buf_add(&b, "", 0);
	while (i < len) {
		before = i;
		cp = text_utf8_next(s, len, &i);
		if (cp == 0xFFFD && i - before == 1) {
			buf_putc(&b, '?');
		} else if (cp < 0x80) {
			buf_putc(&b, text_ascii_lower((char)cp));
		} else if (cp >= 0xC0 && cp <= 0x17F &&
		    ref_latin_fold[cp - 0xC0][0]) {
			buf_puts(&b, ref_latin_fold[cp - 0xC0]);
		} else if (cp == 0x2018 || cp == 0x2019 || cp == 0x02BC ||
		    cp == 0x2032 || cp == 0x00B4 || cp == 0x0060) {
			buf_putc(&b, '\'');
		} else if (cp >= 0x2010 && cp <= 0x2015) {
			buf_putc(&b, '-');
		} else if (ref_is_unicode_space(cp)) {
			buf_putc(&b, ' ');
		} else {
			buf_add(&b, tmp, text_utf8_put(cp, tmp));
		}
	}
	*olen = b.len;
	return buf_detach(&b);
}

/* text_fold(s, len) is the reference's answer, byte for byte. */
static void
assert_folds_as_before(const char *s, size_t len)
{
	size_t rlen;
	char *got, *want;

	assert_non_null(got = text_fold(s, len));
	assert_non_null(want = ref_fold(s, len, &rlen));
	assert_true(rlen <= len);
	assert_memory_equal(got, want, rlen + 1);
	free(got);
	free(want);
}

/* ---- behaviours -------------------------------------------------------- */

static void
test_fold_examples(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "", "" },
		{ "RIB", "rib" },
		{ "Relevé d’Identité", "releve d'identite" },
		{ "ŒUVRE Straße Æ", "oeuvre strasse ae" },
		{ "GÉRARD‐D'ALMEIDA", "gerard-d'almeida" },
		{ "a\xc2\xa0" "b\xe2\x80\xaf" "c", "a b c" },
		{ "\xff\xc3(", "?\?(" },
		{ "\xe2\x82\xac 😀", "\xe2\x82\xac 😀" },
		{ "`x`", "`x`" },
	};
	size_t i;
	char *f;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_non_null(f = text_fold(t[i].in, strlen(t[i].in)));
		assert_string_equal(f, t[i].out);
		free(f);
		assert_folds_as_before(t[i].in, strlen(t[i].in));
	}
}

/* Only len bytes are read, and a NUL among them is kept. */
static void
test_fold_bounded_and_nul(void **state)
{
	char *f;

	(void)state;
	assert_non_null(f = text_fold("AB\0CD", 5));
	assert_memory_equal(f, "ab\0cd", 6);
	free(f);
	assert_non_null(f = text_fold("ÉCOLE", 1));
	assert_string_equal(f, "?");
	free(f);
	assert_non_null(f = text_fold("ÉCOLE", 3));
	assert_string_equal(f, "ec");
	free(f);
}

static void
test_fold_every_code_point_as_before(void **state)
{
	char s[16];
	uint32_t cp;
	size_t n;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = text_utf8_put(cp, s);
		assert_folds_as_before(s, n);
		/* and between ASCII letters */
		s[0] = 'A';
		n = text_utf8_put(cp, s + 1) + 1;
		s[n++] = 'Z';
		assert_folds_as_before(s, n);
	}
}

/* Random bytes, leaning towards lead and continuation bytes. */
static void
test_fold_random_bytes_as_before(void **state)
{
	static const unsigned char pool[] = {
		'a', 'Z', ' ', '\'', '-', 0x00, 0x7f, 0x80, 0x8f, 0x9f, 0xa0,
		0xa9, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xca, 0xdf,
		0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	};
	unsigned char s[24];
	uint32_t x = 20261123;
	size_t round, n, i;

	(void)state;
	for (round = 0; round < 200000; round++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % sizeof(s);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[i] = (x & 0x100) ? (unsigned char)x :
			    pool[x % sizeof(pool)];
		}
		assert_folds_as_before((const char *)s, n);
	}
}

/* Folded on first use, once; an absent text stays absent. */
static void
test_lazy_folds_once(void **state)
{
	struct text_lazy t;
	const char *f;

	(void)state;
	text_lazy_init(&t, "Relevé RIB");
	assert_null(t.folded);
	assert_non_null(f = text_lazy_folded(&t));
	assert_string_equal(f, "releve rib");
	assert_ptr_equal(text_lazy_folded(&t), f);
	text_lazy_free(&t);
	assert_null(t.folded);
	assert_null(t.s);

	text_lazy_init(&t, NULL);
	assert_null(text_lazy_folded(&t));
	assert_false(t.failed);
	text_lazy_free(&t);
}

/* ---- text_escape: the one escaper of what balpctl prints ---------------- */

static void
check_escape(const char *in, size_t len, const char *want)
{
	struct buf b = BUF_INIT;

	buf_add(&b, "", 0);
	assert_int_equal(text_escape(&b, in, len), 0);
	if (strcmp(buf_str(&b), want) != 0)
		fail_msg("escape: got \"%s\", want \"%s\"", buf_str(&b), want);
	assert_int_equal(text_needs_escape(in, len), strcmp(in, want) != 0);
	buf_free(&b);
}

#define ESC(lit, want)	check_escape(lit, sizeof(lit) - 1, want)

static void
test_escape(void **state)
{
	(void)state;
	/* plain text and French letters are kept */
	ESC("a.martin@apeai34.fr", "a.martin@apeai34.fr");
	ESC("Relev\xc3\xa9 d'identit\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac",
	    "Relev\xc3\xa9 d'identit\xc3\xa9 \xe2\x80\x94 \xe2\x82\xac");
	/* C0 and DEL; the backslash is kept */
	ESC("a\x1b[2Jb", "a\\x1b[2Jb");
	ESC("l1\nl2\r\t", "l1\\x0al2\\x0d\\x09");
	ESC("x\x7fy\\z", "x\\x7fy\\z");
	/* C1 controls as code points: U+009B is CSI on a terminal */
	ESC("a\xc2\x9b" "2Jb", "a\\u009b2Jb");
	ESC("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0");
	/* bidi controls: the right-to-left override and the isolates */
	ESC("fdp.\xe2\x80\xaegpj.exe", "fdp.\\u202egpj.exe");
	ESC("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	    "\\u202a\\u202b\\u202c\\u202d");
	ESC("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	    "\\u2066\\u2067\\u2068\\u2069");
	ESC("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
	/* neighbours of the ranges are kept */
	ESC("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
	    "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
	/* invalid UTF-8: each byte; a real U+FFFD is kept */
	ESC("a\xffz", "a\\xffz");
	ESC("\xc3(", "\\xc3(");
	ESC("\xe2\x80", "\\xe2\\x80");
	ESC("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* a surrogate */
	ESC("\xc0\xaf", "\\xc0\\xaf");			/* an overlong '/' */
	ESC("\xef\xbf\xbd", "\xef\xbf\xbd");
	/* a NUL inside the length is escaped too */
	ESC("a\0b", "a\\x00b");
}

/*
 * Escaping what was escaped changes nothing (a name escaped by its source
 * and printed through a table shows once escaped), on every byte string
 * of a pseudo-random sample.
 */
static void
test_escape_idempotent(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	char in[24];
	uint32_t x = 2463534242u;
	size_t n, k;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = (size_t)(i % (int)sizeof(in));
		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			in[k] = (char)(x & 0xff);
		}
		buf_reset(&a);
		buf_reset(&b);
		buf_add(&a, "", 0);
		buf_add(&b, "", 0);
		text_escape(&a, in, n);
		assert_false(text_needs_escape(buf_str(&a), a.len));
		text_escape(&b, buf_str(&a), a.len);
		assert_string_equal(buf_str(&b), buf_str(&a));
	}
	buf_free(&a);
	buf_free(&b);
}

/* Every code point: escaped exactly when it is a control. */
static void
test_escape_every_code_point(void **state)
{
	char in[4];
	size_t n;
	uint32_t cp;
	int want;

	(void)state;
	for (cp = 1; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = text_utf8_put(cp, in);
		want = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
		    cp == 0x061C || cp == 0x200E || cp == 0x200F ||
		    (cp >= 0x202A && cp <= 0x202E) ||
		    (cp >= 0x2066 && cp <= 0x2069);
		if (text_needs_escape(in, n) != want)
			fail_msg("U+%04X: escaped is %d", (unsigned)cp, !want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_examples),
		cmocka_unit_test(test_fold_bounded_and_nul),
		cmocka_unit_test(test_fold_every_code_point_as_before),
		cmocka_unit_test(test_fold_random_bytes_as_before),
		cmocka_unit_test(test_lazy_folds_once),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_every_code_point),
		cmocka_unit_test(test_escape_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
