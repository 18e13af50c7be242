/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_notice - the mail a notice travels in (notice_compose): RFC 3834
 * headers, threading to the partner's message, the Subject in RFC 2047
 * words and the body in quoted-printable (decoded back here, byte for
 * byte), line lengths, and no header injection from any value.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/buf.h"
#include "balp/notice.h"
#include "balp/rules.h"

#define SUBJ	"BALP : votre message n'a pas pu être traité"
#define BODY	"Bonjour,\n\nLe message (NIR de clé 42) n'a pas pu être " \
		"pris en charge pour la ou les raisons suivantes :\n- motif\n"

static struct notice_mail
mail(void)
{
	struct notice_mail m;

	memset(&m, 0, sizeof(m));
	m.from = "balp-ne-pas-repondre@caf.test";
	m.to = "a.martin@apeai34.fr";
	m.subject = SUBJ;
	m.body = BODY;
	m.date = 1795824000;	/* 2026-11-28T00:00:00Z, a Saturday */
	m.message_id = "notice.7.20261128000000@caf.test";
	m.in_reply_to = "CAF123.456@mail.apeai34.fr";
	return m;
}

/* Composes m; expects success. The caller frees out. */
static void
compose_ok(const struct notice_mail *m, struct buf *out, int *threaded)
{
	struct buf err = BUF_INIT;

	if (notice_compose(m, out, threaded, &err) != 0)
		fail_msg("notice_compose: %s", buf_str(&err));
	buf_free(&err);
}

/* The header block (up to the blank line), unfolded lines kept as is. */
static char *
header_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return strndup(msg, (size_t)(end - msg) + 2);
}

/* 1 if the header block has exactly this line. */
static int
has_line(const char *msg, const char *line)
{
	char *h = header_of(msg), *p;
	size_t n = strlen(line);
	int found = 0;

	for (p = h; p != NULL && *p != '\0'; p = strstr(p, "\r\n") ?
	    strstr(p, "\r\n") + 2 : NULL)
		if (strncmp(p, line, n) == 0 && p[n] == '\r')
			found = 1;
	free(h);
	return found;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : -1;
}

/* Decodes a quoted-printable body with CRLF lines into LF text. */
static char *
qp_decode(const char *s)
{
	struct buf b = BUF_INIT;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			assert_true(hexval(s[1]) >= 0 && hexval(s[2]) >= 0);
			buf_putc(&b, (char)(hexval(s[1]) * 16 + hexval(s[2])));
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			buf_putc(&b, '\n');
			s += 2;
		} else {
			/* Nothing but printable ASCII, space and tab travels raw. */
			assert_true((*s >= 32 && *s < 127) || *s == '\t');
			buf_putc(&b, *s++);
		}
	}
	return buf_detach(&b);
}

static int
b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = strchr(t, c);

	return c != '\0' && p != NULL ? (int)(p - t) : -1;
}

/* Decodes a folded Subject of =?utf-8?B?...?= words (or plain text). */
static char *
subject_decode(const char *msg)
{
	struct buf b = BUF_INIT;
	const char *p = strstr(msg, "\r\nSubject: "), *e;
	uint32_t v;
	int n, k;

	assert_non_null(p);
	p += 11;
	if (strncmp(p, "=?", 2) != 0) {
		e = strstr(p, "\r\n");
		buf_add(&b, p, (size_t)(e - p));
		return buf_detach(&b);
	}
	for (;;) {
		assert_int_equal(strncmp(p, "=?utf-8?B?", 10), 0);
		p += 10;
		e = strstr(p, "?=");
		assert_non_null(e);
		/* RFC 2047: an encoded word is at most 75 characters. */
		assert_true(e - p + 12 <= 75);
		for (; p < e; p += 4) {
			v = 0;
			n = 0;
			for (k = 0; k < 4; k++) {
				if (p[k] == '=')
					continue;
				assert_true(b64val(p[k]) >= 0);
				v |= (uint32_t)b64val(p[k]) << (18 - 6 * k);
				n++;
			}
			buf_putc(&b, (char)(v >> 16));
			if (n > 2)
				buf_putc(&b, (char)(v >> 8 & 255));
			if (n > 3)
				buf_putc(&b, (char)(v & 255));
		}
		p = e + 2;
		if (strncmp(p, "\r\n ", 3) != 0)
			break;
		p += 3;
	}
	assert_int_equal(strncmp(p, "\r\n", 2), 0);
	return buf_detach(&b);
}

/* Every line ends in CRLF, no bare CR or LF, no line over max. */
static void
assert_lines(const char *msg, size_t max_header, size_t max_body)
{
	const char *p = msg, *e;
	int body = 0;

	while (*p != '\0') {
		e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		assert_null(memchr(p, '\r', (size_t)(e - p)));
		assert_true((size_t)(e - p) <= (body ? max_body : max_header));
		if (e == p)
			body = 1;
		p = e + 2;
	}
}

static void
test_headers(void **state)
{
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	int threaded = -1;

	(void)state;
	compose_ok(&m, &out, &threaded);
	assert_int_equal(threaded, 1);
	assert_true(has_line(out.data, "From: <balp-ne-pas-repondre@caf.test>"));
	assert_true(has_line(out.data, "To: <a.martin@apeai34.fr>"));
	assert_true(has_line(out.data, "Date: Sat, 28 Nov 2026 00:00:00 +0000"));
	assert_true(has_line(out.data,
	    "Message-ID: <notice.7.20261128000000@caf.test>"));
	assert_true(has_line(out.data,
	    "In-Reply-To: <CAF123.456@mail.apeai34.fr>"));
	assert_true(has_line(out.data,
	    "References: <CAF123.456@mail.apeai34.fr>"));
	assert_true(has_line(out.data, "Auto-Submitted: auto-replied"));
	assert_true(has_line(out.data, "X-Auto-Response-Suppress: All"));
	assert_true(has_line(out.data, "X-BALP-Notice: 1"));
	assert_true(has_line(out.data, "MIME-Version: 1.0"));
	assert_true(has_line(out.data,
	    "Content-Type: text/plain; charset=utf-8"));
	assert_true(has_line(out.data,
	    "Content-Transfer-Encoding: quoted-printable"));
	/* RFC 3834 3.1.8: no Precedence. */
	assert_null(strstr(out.data, "Precedence"));
	assert_int_equal(strncmp(out.data, "From: ", 6), 0);
	buf_free(&out);
}

static void
test_dates(void **state)
{
	static const struct {
		int64_t		 t;
		const char	*want;
	} cases[] = {
		{ 0, "Date: Thu, 1 Jan 1970 00:00:00 +0000" },
		{ 951782400, "Date: Tue, 29 Feb 2000 00:00:00 +0000" },
		{ 1798761599, "Date: Thu, 31 Dec 2026 23:59:59 +0000" },
		{ 1795829533, "Date: Sat, 28 Nov 2026 01:32:13 +0000" },
		{ -5, "Date: Thu, 1 Jan 1970 00:00:00 +0000" },
	};
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m.date = cases[i].t;
		buf_reset(&out);
		compose_ok(&m, &out, NULL);
		if (!has_line(out.data, cases[i].want))
			fail_msg("want %s in\n%s", cases[i].want, out.data);
	}
	buf_free(&out);
}

static void
test_not_threaded(void **state)
{
	static const char *const ids[] = { NULL, "", "no-at-sign",
	    "a@b>\r\nBcc: victim@x.test", "a@b\nX: y", "a b@c", "<a@b>",
	    "a@b@c", "@b", "a@", "a\"q@b", "a@b\\c", "é@b",
	    "x@\x01" };
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	size_t i;
	int threaded;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		m.in_reply_to = ids[i];
		buf_reset(&out);
		threaded = -1;
		compose_ok(&m, &out, &threaded);
		assert_int_equal(threaded, 0);
		assert_null(strstr(out.data, "In-Reply-To"));
		assert_null(strstr(out.data, "References"));
		assert_null(strstr(out.data, "Bcc"));
		assert_lines(out.data, 998, 76);
	}
	buf_free(&out);
}

static void
test_refused_values(void **state)
{
	static const char *const addrs[] = { NULL, "", "plain",
	    "a@b>\r\nBcc: c@d", "a@b\r\n", "<a@b>", "a b@c", "a@b c", "a,b@c",
	    "a@b..c", "a@.b", "a@b.", "\"a\"@b", "a@[1.2.3.4]", "é@b.fr",
	    "a@bé.fr", "a@b;c" };
	struct notice_mail m;
	struct buf out = BUF_INIT, err = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		m = mail();
		m.to = addrs[i];
		assert_int_equal(notice_compose(&m, &out, NULL, &err), -1);
		m = mail();
		m.from = addrs[i];
		assert_int_equal(notice_compose(&m, &out, NULL, &err), -1);
		assert_false(notice_addr_ok(addrs[i]));
	}
	m = mail();
	m.message_id = "x@y>\r\nBcc: z@w";
	assert_int_equal(notice_compose(&m, &out, NULL, &err), -1);
	m = mail();
	m.subject = NULL;
	assert_int_equal(notice_compose(&m, &out, NULL, &err), -1);
	assert_true(err.len > 0);
	assert_true(notice_addr_ok("a.martin+balp@apeai34.fr"));
	assert_true(notice_addr_ok("O'Neil@x-y.fr"));
	assert_true(notice_msgid_ok("CAF123.456@mail.apeai34.fr"));
	assert_true(notice_msgid_ok("a$b%c@[127.0.0.1]"));
	buf_free(&out);
	buf_free(&err);
}

static void
test_subject_encoding(void **state)
{
	static const char *const subjects[] = {
		SUBJ,
		"Plain ASCII subject",
		"=?utf-8?B?Zm9v?= looks encoded",
		"A long ASCII subject that goes well past the sixty-six "
		    "characters of a short line",
		"Tab\tand\nnewline",
		"ééééééééééééééééééééééééééééééééééééééééééééééééé"
		    "ééééééééééééééééééééééééééé€€€€€€€€€€€€€€€😀😀😀😀",
		"€",
		"",
	};
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	char *got, *want;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		m.subject = subjects[i];
		buf_reset(&out);
		compose_ok(&m, &out, NULL);
		assert_lines(out.data, 78, 76);
		got = subject_decode(out.data);
		want = strdup(subjects[i]);
		for (k = 0; want[k] != '\0'; k++)
			if (want[k] == '\t' || want[k] == '\n')
				want[k] = ' ';
		assert_string_equal(got, want);
		free(got);
		free(want);
	}
	/* Non-ASCII and the encoded-word look-alike are never sent raw. */
	m.subject = SUBJ;
	buf_reset(&out);
	compose_ok(&m, &out, NULL);
	assert_non_null(strstr(out.data, "Subject: =?utf-8?B?"));
	m.subject = "=?utf-8?B?Zm9v?=";
	buf_reset(&out);
	compose_ok(&m, &out, NULL);
	assert_null(strstr(out.data, "Subject: =?utf-8?B?Zm9v?=\r\n"));
	m.subject = "Plain";
	buf_reset(&out);
	compose_ok(&m, &out, NULL);
	assert_true(has_line(out.data, "Subject: Plain"));
	buf_free(&out);
}

/* Never split a UTF-8 sequence between two encoded words. */
static void
test_subject_words_whole_utf8(void **state)
{
	struct notice_mail m = mail();
	struct buf out = BUF_INIT, s = BUF_INIT;
	const char *p, *e;
	size_t i, n;

	(void)state;
	for (i = 0; i < 60; i++)
		buf_puts(&s, i % 3 ? "é" : "€");
	m.subject = buf_str(&s);
	compose_ok(&m, &out, NULL);
	for (p = strstr(out.data, "=?utf-8?B?"); p != NULL;
	    p = strstr(e, "=?utf-8?B?")) {
		p += 10;
		e = strstr(p, "?=");
		n = (size_t)(e - p);
		/* decode this word alone: it must end on a whole character */
		{
			char word[128];
			struct buf one = BUF_INIT;
			char *dec;
			size_t len;

			snprintf(word, sizeof(word), "\r\nSubject: =?utf-8?B?"
			    "%.*s?=\r\n", (int)n, p);
			buf_puts(&one, word);
			dec = subject_decode(one.data);
			len = strlen(dec);
			assert_true(len > 0);
			/* the last byte is not the first of a longer sequence */
			assert_false(((unsigned char)dec[len - 1] & 0xc0) == 0xc0);
			assert_false(((unsigned char)dec[0] & 0xc0) == 0x80);
			free(dec);
			buf_free(&one);
		}
	}
	buf_free(&out);
	buf_free(&s);
}

static void
test_body_quoted_printable(void **state)
{
	static const char *const bodies[] = {
		BODY,
		"",
		"one line without end",
		"trailing space \nand tab\t\nend",
		"= sign and =3D already\n",
		"CRLF line\r\nnext\r\n",
		"a bare \r in the middle\n",
		"\x01\x7f control bytes\n",
		".\n.. dots at line start\nFrom the start\n",
		"0123456789012345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567890123456789"
		    "0123456789\n",
		"éééééééééééééééééééééééééééééééééééééééééééééééééééééééé"
		    "éééééééééééééééééééééé\n",
		"x=========================================================="
		    "=================================\n",
		"last line ends with space ",
	};
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	const char *body;
	char *dec, *want;
	size_t i, k, j;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		m.body = bodies[i];
		buf_reset(&out);
		compose_ok(&m, &out, NULL);
		assert_lines(out.data, 998, 76);
		body = strstr(out.data, "\r\n\r\n") + 4;
		dec = qp_decode(body);
		/* What went in, CRLF as LF, always ending in a line end. */
		want = calloc(1, strlen(bodies[i]) + 2);
		for (k = j = 0; bodies[i][k] != '\0'; k++)
			if (!(bodies[i][k] == '\r' && bodies[i][k + 1] == '\n'))
				want[j++] = bodies[i][k];
		if (j > 0 && want[j - 1] != '\n')
			want[j++] = '\n';
		assert_string_equal(dec, want);
		free(dec);
		free(want);
	}
	buf_free(&out);
}

/* Whatever the body, no line of it can look like a header or the end. */
static void
test_body_cannot_inject(void **state)
{
	struct notice_mail m = mail();
	struct buf out = BUF_INIT;
	const char *body;

	(void)state;
	m.body = "text\r\n\r\nBcc: x@y\n\x00";
	compose_ok(&m, &out, NULL);
	body = strstr(out.data, "\r\n\r\n") + 4;
	/* The header block ends once, before the body. */
	assert_null(strstr(out.data, "\r\nBcc: x@y\r\n\r\n"));
	assert_int_equal(strstr(out.data, "\r\n\r\n") - out.data + 4,
	    body - out.data);
	buf_free(&out);
}

/* The acknowledgment: its own template, the key at most of the NIR. */
static void
test_render_ack(void **state)
{
	struct request_type t;
	struct rules r;
	struct decision d;
	char *subject = NULL, *body = NULL;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	t.label = "transmission d'un RIB";
	d.outcome = OUTCOME_ACCEPTED;
	d.type = &t;
	strcpy(d.nir, "185057800608491");
	assert_int_equal(notice_render_ack(&r, &d, 20785, &subject, &body), -1);
	r.notices.ack_subject = "Reçu le {date}";
	r.notices.ack_body = "Demande ({type}){key} reçue.\n";
	assert_int_equal(notice_render_ack(&r, &d, 20785, &subject, &body), 0);
	assert_string_equal(subject, "Reçu le 28/11/2026");
	assert_string_equal(body, "Demande (transmission d'un RIB) (NIR de clé"
	    " 91) reçue.\n");
	assert_null(strstr(body, "1850578"));
	free(subject);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_not_threaded),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_subject_encoding),
		cmocka_unit_test(test_subject_words_whole_utf8),
		cmocka_unit_test(test_body_quoted_printable),
		cmocka_unit_test(test_body_cannot_inject),
		cmocka_unit_test(test_render_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
