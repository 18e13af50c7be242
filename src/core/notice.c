/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notice - renders the French notice of a refused message (see notice.h).
 *
 * Templates are plain text with a few {placeholders}; an unknown one is
 * copied as is so that a typo in rules/ shows in the notice instead of
 * silently vanishing.
 */
#include "balp/notice.h"
#include "balp/buf.h"
#include "balp/date.h"
#include "balp/reason.h"

#include <stdlib.h>
#include <string.h>

static void
put_size(struct buf *b, uint64_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		buf_printf(b, "%llu Mo", (unsigned long long)(bytes >> 20));
	else if (bytes >= 1024)
		buf_printf(b, "%llu Ko", (unsigned long long)(bytes >> 10));
	else
		buf_printf(b, "%llu octets", (unsigned long long)bytes);
}

/*
 * An annex's errors ("ligne N : ...", annex_file_error_text_fr), one a line
 * under the reason: every one of them, up to a bound that keeps a notice a
 * mail (a file wrong on every line says so in its first lines anyway).
 */
#define NOTICE_MAX_ERRORS	500

static void
put_errors(struct buf *b, const char *errors)
{
	const char *p = errors, *nl;
	size_t n = 0, more = 0;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (n < NOTICE_MAX_ERRORS) {
			buf_puts(b, "\n    ");
			buf_add(b, p, nl != NULL ? (size_t)(nl - p) : strlen(p));
			n++;
		} else
			more++;
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (more > 0)
		buf_printf(b, "\n    (et %zu autre%s erreur%s)", more,
		    more > 1 ? "s" : "", more > 1 ? "s" : "");
}

static void
expand(struct buf *b, const char *tpl, const struct rules *r,
    const struct decision *d, int32_t today)
{
	char day[11];
	const char *p, *close;
	size_t n;

	for (p = tpl; *p != '\0'; p++) {
		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			buf_putc(b, *p);
			continue;
		}
		n = (size_t)(close - p - 1);
		if (n == 4 && strncmp(p + 1, "date", 4) == 0) {
			date_format_fr(today, day);
			buf_puts(b, day);
		} else if (n == 4 && strncmp(p + 1, "type", 4) == 0) {
			buf_puts(b, d->type != NULL ? d->type->label :
			    "non reconnue");
		} else if (n == 3 && strncmp(p + 1, "key", 3) == 0) {
			if (d->nir[0] != '\0')
				buf_printf(b, " (NIR de clé %s)", d->nir + 13);
		} else if (n == 8 && strncmp(p + 1, "max_size", 8) == 0) {
			put_size(b, r->max_message_size);
		} else if (n == 6 && strncmp(p + 1, "errors", 6) == 0) {
			put_errors(b, d->annex_errors);
		} else {
			buf_putc(b, *p);
			continue;
		}
		p = close;
	}
}

int
notice_render(const struct rules *r, const struct decision *d, int32_t today,
    char **subject, char **body)
{
	struct buf s = BUF_INIT, b = BUF_INIT;
	int code;

	*subject = *body = NULL;
	expand(&s, r->notices.subject ? r->notices.subject : "BALP", r, d, today);
	if (r->notices.intro != NULL)
		expand(&b, r->notices.intro, r, d, today);
	for (code = 0; code < REASON_COUNT; code++) {
		if (!(d->reasons & REASON_BIT(code)))
			continue;
		buf_puts(&b, "\n- ");
		if (r->notices.reason[code] != NULL)
			expand(&b, r->notices.reason[code], r, d, today);
		else
			buf_printf(&b, "motif : %s", reason_code(code));
		buf_putc(&b, '\n');
	}
	/* An annex's sender is a referent: the beneficiaries' rules are
	 * not theirs to be reminded of. */
	if (d->type != NULL && d->type->annex_update &&
	    r->notices.annex_outro != NULL)
		expand(&b, r->notices.annex_outro, r, d, today);
	else if (r->notices.outro != NULL)
		expand(&b, r->notices.outro, r, d, today);
	if (s.failed || b.failed) {
		buf_free(&s);
		buf_free(&b);
		return -1;
	}
	*subject = buf_detach(&s);
	*body = buf_detach(&b);
	return 0;
}

int
notice_render_ack(const struct rules *r, const struct decision *d,
    int32_t today, char **subject, char **body)
{
	struct buf s = BUF_INIT, b = BUF_INIT;

	*subject = *body = NULL;
	if (r->notices.ack_subject == NULL || r->notices.ack_body == NULL)
		return -1;
	expand(&s, r->notices.ack_subject, r, d, today);
	expand(&b, r->notices.ack_body, r, d, today);
	if (s.failed || b.failed) {
		buf_free(&s);
		buf_free(&b);
		return -1;
	}
	*subject = buf_detach(&s);
	*body = buf_detach(&b);
	return 0;
}

/* The annex's templates: {date}, {partner}, {changes}, {reason}. */
static void
expand_annex(struct buf *b, const char *tpl, const char *partner,
    const char *text, int32_t today)
{
	char day[11];
	const char *p, *close;
	size_t n;

	for (p = tpl; *p != '\0'; p++) {
		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			buf_putc(b, *p);
			continue;
		}
		n = (size_t)(close - p - 1);
		if (n == 4 && strncmp(p + 1, "date", 4) == 0) {
			date_format_fr(today, day);
			buf_puts(b, day);
		} else if (n == 7 && strncmp(p + 1, "partner", 7) == 0)
			buf_puts(b, partner != NULL ? partner : "");
		else if ((n == 7 && strncmp(p + 1, "changes", 7) == 0) ||
		    (n == 6 && strncmp(p + 1, "reason", 6) == 0))
			buf_puts(b, text != NULL ? text : "");
		else {
			buf_putc(b, *p);
			continue;
		}
		p = close;
	}
}

int
notice_render_annex(const struct rules *r, int approved, const char *partner,
    const char *text, int32_t today, char **subject, char **body)
{
	const char *ts = approved ? r->notices.annex_approved_subject :
	    r->notices.annex_rejected_subject;
	const char *tb = approved ? r->notices.annex_approved_body :
	    r->notices.annex_rejected_body;
	struct buf s = BUF_INIT, b = BUF_INIT;

	*subject = *body = NULL;
	if (ts == NULL || tb == NULL)
		return -1;
	expand_annex(&s, ts, partner, text, today);
	expand_annex(&b, tb, partner, text, today);
	if (s.failed || b.failed) {
		buf_free(&s);
		buf_free(&b);
		return -1;
	}
	*subject = buf_detach(&s);
	*body = buf_detach(&b);
	return 0;
}

/* ---- the mail around a notice ------------------------------------------ */

/* Header values we write must never carry what could end or split them. */
static int
addr_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>[]:;@\\,\"", c) == NULL;
}

int
notice_addr_ok(const char *s)
{
	const char *at, *p;

	if (s == NULL || strlen(s) > 254 || (at = strchr(s, '@')) == NULL ||
	    at == s || at[1] == '\0' || at[1] == '.')
		return 0;
	for (p = s; p < at; p++)
		if (!addr_char_ok((unsigned char)*p))
			return 0;
	for (p = at + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' ||
		    (*p == '.' && p[1] != '.' && p[1] != '\0')))
			return 0;
	return 1;
}

int
notice_msgid_ok(const char *s)
{
	const char *p, *at;

	if (s == NULL || strlen(s) > 250 || (at = strchr(s, '@')) == NULL ||
	    at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>\\\",()", *p) != NULL)
			return 0;
	return 1;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
put_base64(struct buf *b, const unsigned char *p, size_t n)
{
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_putc(b, b64[v >> 18 & 63]);
		buf_putc(b, b64[v >> 12 & 63]);
		buf_putc(b, b64[v >> 6 & 63]);
		buf_putc(b, b64[v & 63]);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		buf_putc(b, b64[v >> 18 & 63]);
		buf_putc(b, b64[v >> 12 & 63]);
		buf_puts(b, "==");
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		buf_putc(b, b64[v >> 18 & 63]);
		buf_putc(b, b64[v >> 12 & 63]);
		buf_putc(b, b64[v >> 6 & 63]);
		buf_putc(b, '=');
	}
}

/*
 * 39 bytes are 52 base64 characters: with "=?utf-8?B?" and "?=" an
 * encoded word of 64, under RFC 2047's 75, and after "Subject: " a line
 * of 73, under its 76.
 */
#define NOTICE_EW_BYTES	39
/* "Subject: " + this many characters stays under 78. */
#define NOTICE_SUBJECT_PLAIN	66

static void
put_subject(struct buf *b, const char *subject)
{
	const unsigned char *s = (const unsigned char *)subject;
	size_t n = strlen(subject), i, take;
	int plain = n <= NOTICE_SUBJECT_PLAIN && strstr(subject, "=?") == NULL;
	struct buf clean = BUF_INIT;

	for (i = 0; i < n && plain; i++)
		plain = s[i] >= 0x20 && s[i] < 0x7f;
	buf_puts(b, "Subject: ");
	if (plain) {
		buf_puts(b, subject);
		buf_puts(b, "\r\n");
		return;
	}
	/* Controls (a template's tab or newline) become spaces. */
	for (i = 0; i < n; i++)
		buf_putc(&clean, s[i] < 0x20 || s[i] == 0x7f ? ' ' : (char)s[i]);
	if (clean.failed) {
		b->failed = 1;
		return;
	}
	s = (const unsigned char *)buf_str(&clean);
	for (i = 0; i < n; i += take) {
		take = n - i < NOTICE_EW_BYTES ? n - i : NOTICE_EW_BYTES;
		/* Never split a UTF-8 sequence between two words. */
		while (i + take < n && take > 1 && (s[i + take] & 0xc0) == 0x80)
			take--;
		if (i > 0)
			buf_puts(b, "\r\n ");
		buf_puts(b, "=?utf-8?B?");
		put_base64(b, s + i, take);
		buf_puts(b, "?=");
	}
	buf_puts(b, "\r\n");
	buf_free(&clean);
}

/* Quoted-printable (RFC 2045 6.7), lines of at most 76 with soft breaks. */
static void
put_qp(struct buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)text, *eol;
	char tok[4];
	size_t col, t;

	while (*p != '\0') {
		eol = (const unsigned char *)strchr((const char *)p, '\n');
		if (eol == NULL)
			eol = p + strlen((const char *)p);
		col = 0;
		for (; p < eol; p++) {
			if (*p == '\r' && p + 1 == eol)
				continue;
			if ((*p >= 33 && *p <= 126 && *p != '=') ||
			    ((*p == ' ' || *p == '\t') && p + 1 != eol &&
			    !(p + 2 == eol && p[1] == '\r'))) {
				tok[0] = (char)*p;
				t = 1;
			} else {
				tok[0] = '=';
				tok[1] = hex[*p >> 4];
				tok[2] = hex[*p & 15];
				t = 3;
			}
			/* Room for the soft break's '=' within 76. */
			if (col + t > 75) {
				buf_puts(b, "=\r\n");
				col = 0;
			}
			buf_add(b, tok, t);
			col += t;
		}
		buf_puts(b, "\r\n");
		if (*eol == '\0')
			break;
		p = eol + 1;
	}
}

static void
put_date(struct buf *b, int64_t t)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon",
	    "Tue", "Wed" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t days, secs;
	int y, m, d;

	if (t < 0)
		t = 0;
	days = t / 86400;
	secs = t % 86400;
	date_to_ymd((int32_t)days, &y, &m, &d);
	buf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
	    wd[days % 7], d, mon[m - 1], y, (int)(secs / 3600),
	    (int)(secs / 60 % 60), (int)(secs % 60));
}

int
notice_compose(const struct notice_mail *m, struct buf *out, int *threaded,
    struct buf *err)
{
	int thread;

	if (threaded != NULL)
		*threaded = 0;
	if (!notice_addr_ok(m->from)) {
		buf_puts(err, "the notices' From address is not a plain address");
		return -1;
	}
	if (!notice_addr_ok(m->to)) {
		buf_puts(err, "the recipient is not a plain address");
		return -1;
	}
	if (!notice_msgid_ok(m->message_id)) {
		buf_puts(err, "the notice's Message-ID is not safe");
		return -1;
	}
	if (m->subject == NULL || m->body == NULL) {
		buf_puts(err, "the notice has no subject or no body");
		return -1;
	}
	thread = m->in_reply_to != NULL && notice_msgid_ok(m->in_reply_to);
	buf_printf(out, "From: <%s>\r\nTo: <%s>\r\n", m->from, m->to);
	put_subject(out, m->subject);
	put_date(out, m->date);
	buf_printf(out, "Message-ID: <%s>\r\n", m->message_id);
	if (thread)
		buf_printf(out, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n",
		    m->in_reply_to, m->in_reply_to);
	buf_printf(out, "Auto-Submitted: %s\r\n"
	    "X-Auto-Response-Suppress: All\r\n", m->generated ?
	    "auto-generated" : "auto-replied");
	buf_puts(out, "X-BALP-Notice: 1\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n");
	put_qp(out, m->body);
	if (out->failed) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if (threaded != NULL)
		*threaded = thread;
	return 0;
}
