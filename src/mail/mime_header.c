/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_header - strings as a reader sees them (charsets to UTF-8, RFC 2047
 * words, unfolding, cleaning) and the header facts taken from the root's
 * mailimf fields (step 3 in mime.c).
 */
#include "mime_priv.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Strings                                                             */

static int
is_utf8_name(const char *cs)
{
	return cs == NULL || *cs == '\0' ||
	    text_ascii_casecmp(cs, "utf-8") == 0 ||
	    text_ascii_casecmp(cs, "utf8") == 0 ||
	    text_ascii_casecmp(cs, "us-ascii") == 0 ||
	    text_ascii_casecmp(cs, "ascii") == 0;
}

static int
is_latin1_name(const char *cs)
{
	return text_ascii_casecmp(cs, "iso-8859-1") == 0 ||
	    text_ascii_casecmp(cs, "iso8859-1") == 0 ||
	    text_ascii_casecmp(cs, "iso_8859-1") == 0 ||
	    text_ascii_casecmp(cs, "latin1") == 0 ||
	    text_ascii_casecmp(cs, "windows-1252") == 0 ||
	    text_ascii_casecmp(cs, "cp1252") == 0;
}

/*
 * Bytes in a byte-oriented charset -> malloc'd UTF-8: kept if valid UTF-8
 * (unless cp1252 is forced), else read as windows-1252.  NUL bytes become
 * spaces so that the result is one C string.  NULL on ENOMEM.
 */
static char *
bytes_to_utf8(const char *s, size_t len, int cp1252)
{
	char *c, *u;
	size_t i;

	if ((c = buf_strndup(s, len)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (c[i] == '\0')
			c[i] = ' ';
	if (!cp1252 && text_utf8_valid(c, len))
		return c;
	u = text_cp1252_to_utf8(c, len);
	free(c);
	return u;
}

/* Bytes that claim no charset: UTF-8 if they are, else windows-1252. */
static char *
guess_to_utf8(const char *s, size_t len)
{
	return bytes_to_utf8(s, len, 0);
}

/*
 * s[0..len) in charset cs -> malloc'd valid UTF-8 without NUL, NULL on
 * ENOMEM.  ISO-8859-1 labels are read as windows-1252 (its superset that
 * senders actually use, € and ’ included).  An unknown charset or a
 * conversion failure falls back to guess_to_utf8().  A multibyte sequence
 * cut at the end (bounded input) makes iconv fail: retry a few bytes
 * shorter.
 */
char *
mime_to_utf8(const char *s, size_t len, const char *cs)
{
	char *res, *u;
	size_t n, rlen, i;
	int r, tries;

	if (is_utf8_name(cs))
		return guess_to_utf8(s, len);
	if (is_latin1_name(cs))
		return bytes_to_utf8(s, len, 1);
	for (tries = 0, n = len; tries < 4 && n > 0; tries++, n--) {
		res = NULL;
		rlen = 0;
		r = charconv_buffer("utf-8", cs, s, n, &res, &rlen);
		if (r == MAIL_CHARCONV_ERROR_MEMORY)
			return NULL;
		if (r == MAIL_CHARCONV_NO_ERROR && res != NULL) {
			u = NULL;
			if (text_utf8_valid(res, rlen)) {
				if ((u = buf_strndup(res, rlen)) == NULL) {
					charconv_buffer_free(res);
					return NULL;
				}
				for (i = 0; i < rlen; i++)
					if (u[i] == '\0')
						u[i] = ' ';
			}
			charconv_buffer_free(res);
			if (u != NULL)
				return u;
			break;
		}
		if (r == MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET)
			break;
	}
	return guess_to_utf8(s, len);
}

/* Copy without CR and LF: RFC 5322 unfolding keeps the white space. */
char *
mime_unfold(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i, start = 0;

	buf_add(&b, "", 0);
	for (i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			buf_add(&b, s + start, i - start);
			start = i + 1;
		}
	}
	buf_add(&b, s + start, len - start);
	return buf_detach(&b);
}

/*
 * A header value (or parameter) as a reader sees it: unfolded, RFC 2047
 * words decoded, raw 8-bit read as UTF-8 or else windows-1252, controls
 * gone, white space collapsed.  NULL only on ENOMEM.
 */
char *
mime_decode_header(const char *raw)
{
	char *u, *dec = NULL, *conv, *out;
	size_t ulen, idx = 0;
	int r;

	if ((u = mime_unfold(raw, strlen(raw))) == NULL)
		return NULL;
	ulen = strlen(u);
	r = mailmime_encoded_phrase_parse(text_utf8_valid(u, ulen) ?
	    "utf-8" : "windows-1252", u, ulen, &idx, "utf-8", &dec);
	if (r == MAILIMF_ERROR_MEMORY) {
		free(u);
		return NULL;
	}
	if (r != MAILIMF_NO_ERROR || dec == NULL) {
		free(dec);
		if ((conv = guess_to_utf8(u, ulen)) == NULL) {
			free(u);
			return NULL;
		}
	} else
		conv = dec;
	free(u);
	out = text_clean(conv, strlen(conv));
	free(conv);
	return out;
}

/* A raw value unfolded and cleaned, not decoded (Authentication-Results). */
static char *
clean_raw(const char *raw)
{
	char *u, *conv, *out;

	if ((u = mime_unfold(raw, strlen(raw))) == NULL)
		return NULL;
	conv = guess_to_utf8(u, strlen(u));
	free(u);
	if (conv == NULL)
		return NULL;
	out = text_clean(conv, strlen(conv));
	free(conv);
	return out;
}

/* Cuts s at most at max bytes, on a UTF-8 sequence boundary. */
void
mime_utf8_truncate(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	s[max] = '\0';
}

/* Stores s (taking it) into *dst unless *dst is set; s NULL = ENOMEM. */
static void
store_first(struct walk *w, char **dst, char *s)
{
	if (s == NULL) {
		w->nomem = 1;
		return;
	}
	if (*dst != NULL) {
		free(s);
		return;
	}
	*dst = s;
}

/* ------------------------------------------------------------------ */
/* 3. Header facts                                                     */

/* A usable addr-spec: local@domain, no space or control, valid UTF-8. */
static int
addr_usable(const char *a)
{
	const char *at = strrchr(a, '@');
	const unsigned char *p;

	if (at == NULL || at == a || at[1] == '\0')
		return 0;
	for (p = (const unsigned char *)a; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7F || *p == '<' || *p == '>')
			return 0;
	return text_utf8_valid(a, strlen(a));
}

static void
take_from(struct walk *w, struct mailimf_from *from)
{
	struct msg_facts *f = w->out;
	struct mailimf_mailbox *mb;
	clistiter *it;
	int n = 0;
	char *a;

	if (from->frm_mb_list != NULL && from->frm_mb_list->mb_list != NULL)
		n = clist_count(from->frm_mb_list->mb_list);
	/* Several authors in one field count as two From: never decidable. */
	f->from_count += n > 1 ? 2 : 1;
	if (n > 1)
		w->many_authors = 1;
	if (f->from_count > 1 || n < 1)
		return;
	it = clist_begin(from->frm_mb_list->mb_list);
	mb = clist_content(it);
	if (mb->mb_addr_spec != NULL && addr_usable(mb->mb_addr_spec)) {
		if ((a = buf_strdup(mb->mb_addr_spec)) == NULL) {
			w->nomem = 1;
			return;
		}
		f->from_addr = text_ascii_lower_inplace(a);
	}
	if (mb->mb_display_name != NULL) {
		store_first(w, &f->from_name,
		    mime_decode_header(mb->mb_display_name));
		if (f->from_name != NULL && f->from_name[0] == '\0') {
			free(f->from_name);
			f->from_name = NULL;
		}
	}
}

/* Message-ID from a field libetpan could not type: strip CFWS and <>. */
static char *
bare_message_id(const char *raw)
{
	char *c, *p, *e;

	if ((c = clean_raw(raw)) == NULL)
		return NULL;
	p = c;
	if (*p == '<')
		p++;
	if ((e = strchr(p, '>')) != NULL)
		*e = '\0';
	memmove(c, p, strlen(p) + 1);
	return c;
}

static void
take_optional(struct walk *w, struct mailimf_optional_field *of)
{
	struct msg_facts *f = w->out;
	const char *n = of->fld_name, *v = of->fld_value;
	char *s;

	if (n == NULL || v == NULL)
		return;
	if (text_ascii_casecmp(n, "From") == 0) {
		/* libetpan could not parse it: a From, but no address. */
		f->from_count++;
	} else if (text_ascii_casecmp(n, "Subject") == 0) {
		store_first(w, &f->subject, mime_decode_header(v));
	} else if (text_ascii_casecmp(n, "Message-ID") == 0) {
		store_first(w, &f->message_id, bare_message_id(v));
	} else if (text_ascii_casecmp(n, "Authentication-Results") == 0) {
		if ((s = clean_raw(v)) == NULL ||
		    facts_add_auth_result(f, s) == -1)
			w->nomem = 1;
		free(s);
	} else if (text_ascii_casecmp(n, "Auto-Submitted") == 0) {
		store_first(w, &f->auto_submitted, clean_raw(v));
	} else if (text_ascii_casecmp(n, "Precedence") == 0) {
		store_first(w, &f->precedence, clean_raw(v));
	} else if (text_ascii_casecmp(n, "Return-Path") == 0) {
		f->has_return_path = 1;
		store_first(w, &f->return_path, clean_raw(v));
	} else if (text_ascii_casecmp(n, "List-Id") == 0) {
		f->has_list_id = 1;
	} else if (text_ascii_casecmp(n, "X-Autoreply") == 0 ||
	    text_ascii_casecmp(n, "X-Autorespond") == 0) {
		f->has_autoreply_header = 1;
	} else if (text_ascii_casecmp(n, "X-BALP-Notice") == 0) {
		f->has_notice_marker = 1;
	}
}

void
mime_take_headers(struct walk *w, struct mailimf_fields *fields)
{
	struct msg_facts *f = w->out;
	struct mailimf_field *fld;
	clistiter *it;
	int unusable_from = 0;

	for (it = clist_begin(fields->fld_list); it != NULL;
	    it = clist_next(it)) {
		fld = clist_content(it);
		switch (fld->fld_type) {
		case MAILIMF_FIELD_FROM:
			take_from(w, fld->fld_data.fld_from);
			break;
		case MAILIMF_FIELD_SUBJECT:
			store_first(w, &f->subject, mime_decode_header(
			    fld->fld_data.fld_subject->sbj_value));
			break;
		case MAILIMF_FIELD_MESSAGE_ID:
			store_first(w, &f->message_id, clean_raw(
			    fld->fld_data.fld_message_id->mid_value));
			break;
		case MAILIMF_FIELD_OPTIONAL_FIELD:
			if (text_ascii_casecmp(
			    fld->fld_data.fld_optional_field->fld_name,
			    "From") == 0)
				unusable_from = 1;
			take_optional(w, fld->fld_data.fld_optional_field);
			break;
		default:
			break;
		}
	}
	if (f->from_count == 0)
		mime_set_malformed(w, FACTS_MALFORMED_NO_FROM);
	else if (w->many_authors)
		mime_set_malformed(w, FACTS_MALFORMED_MANY_AUTHORS);
	else if (f->from_count > 1)
		mime_set_malformed(w, FACTS_MALFORMED_MANY_FROM);
	else if (f->from_addr == NULL || unusable_from)
		mime_set_malformed(w, FACTS_MALFORMED_FROM_ADDR);
}
