/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime - raw message bytes -> struct msg_facts, with libetpan (see
 * include/balp/mime.h, and docs/libetpan.md for the library's traps).
 *
 * Order of work, and why:
 *  1. Our own scans of the raw bytes come first, because libetpan 1.9.4
 *     must never see some inputs: a boundary that unquotes to a lone '"'
 *     overflows its heap; thousands of nested multiparts or comments
 *     recurse without bound.  The same pass finds the end of the header
 *     section, NUL bytes in it and over-long fields.
 *  2. mailmime_parse() on the whole message.  It does not copy: the tree
 *     points into the buffer, which therefore outlives the tree.
 *  3. Header facts from the root's mailimf fields.  libetpan silently
 *     turns a From it cannot parse into an optional field named "From",
 *     and silently stops at a header line it cannot parse (the rest
 *     becomes body): both are caught here, as "several From" / "From
 *     without usable address" and "unparseable header".
 *  4. A walk of the MIME tree, bounded by max_depth, recording leaves.
 *     A multipart whose boundary line never appears is malformed: libetpan
 *     then invents a part and hides the others in the preamble.  A file
 *     name libetpan drops or cuts (missing ';', open quote, spaces) is
 *     read again from the raw part header, because a mail client shows it
 *     and the attachment policy must judge it.
 *  5. The first text part decoded and converted to UTF-8 (an HTML one
 *     made plain text by html_to_text(), include/balp/html.h).
 *
 * libetpan is lenient (bad encoded words become '?', unknown charsets are
 * read as ISO-8859-1), so every decoded string is checked for UTF-8 and
 * cleaned of controls here.  RFC 2231 parameters are decoded here too:
 * libetpan leaves them raw.
 *
 * Ownership: everything put in the facts is a fresh copy; every libetpan
 * object is freed with its own *_free before return.
 * Failures: -1 only on allocation failure; a message we cannot read well
 * enough gets out->malformed (a FACTS_MALFORMED_* string) and 0.
 */
#include "balp/mime.h"
#include "balp/array.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/html.h"
#include "balp/sandbox.h"
#include "balp/text.h"

#include <libetpan/libetpan.h>

#include <iconv.h>
#include <magic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * More multipart boundaries or message/rfc822 types than this in one
 * message, and libetpan is not even asked: it recurses once per level and
 * the stack is the limit.  Real mail has a handful.
 */
#define MIME_MAX_CONTAINERS	2048
/* Bytes of white space and comments tolerated around "boundary=". */
#define MIME_MAX_CFWS		1024
/* Nested '(' in one header field; libetpan recurses once per level. */
#define MIME_MAX_COMMENT_DEPTH	128
/* RFC 2231 continuations followed (filename*0 .. filename*N). */
#define MIME_MAX_SEGMENTS	64
/*
 * Elision (see elide()): the bytes kept at the end of a long base64-like
 * run, and the least a cut must save to be worth a copy.
 */
#define MIME_ELIDE_HEAD		((size_t)64 << 10)
#define MIME_ELIDE_TAIL		((size_t)4096)
#define MIME_ELIDE_MIN_GAIN	((size_t)64 << 10)

/* Bytes elide() removed at one place of the buffer it returns. */
struct elision {
	size_t		at;	/* offset in that buffer where the bytes were */
	size_t		raw;	/* bytes removed */
	uint64_t	b64;	/* of which base64 digits */
};

struct walk {
	const struct mime_limits *lim;
	struct msg_facts	*out;
	const char		*malformed;	/* first reason found */
	int			 nomem;
	/* Of the message being walked (the outer one, or a forwarded
	 * one): a text part of it seen, an HTML one seen. */
	int			 seen_text;
	int			 seen_html;
	int			 many_authors;	/* From with >1 mailbox */
	struct mailmime		*plain;		/* first_text candidates */
	struct mailmime		*html;
	int			 parent_related; /* leaf's parent: related */
	/* What elide() cut from the buffer libetpan parses. */
	const char		*buf;		/* that buffer */
	const char		*orig;		/* the message as received */
	const struct elision	*cuts;
	size_t			 n_cuts;
	size_t			 scan_left;	/* of lim->max_scan_bytes */
	/* Bytes of forwarded messages still to parse again (open_forwarded:
	 * at most max_scan_bytes in all, whatever their nesting). */
	size_t			 reparse_left;
	/* Bodies from this offset of orig on are heads only (the source
	 * fetched no more: docs/imap.md); SIZE_MAX: none. */
	size_t			 heads_from;
};

static void
set_malformed(struct walk *w, const char *why)
{
	if (w->malformed == NULL)
		w->malformed = why;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ------------------------------------------------------------------ */
/* 1. Raw scans                                                        */

/*
 * Skips white space, line ends and (nested) comments, as libetpan's CFWS
 * does (and a little more).  Returns -1 past MIME_MAX_CFWS bytes: no
 * real header has that much between a parameter name and its value, and
 * the bound keeps scan_containers() linear.
 */
static int
skip_cfws(const char *s, size_t len, size_t *i)
{
	size_t k = *i, depth = 0;

	while (k < len) {
		if (k - *i > MIME_MAX_CFWS)
			return -1;
		if (depth == 0 && (is_wsp(s[k]) || s[k] == '\r' ||
		    s[k] == '\n')) {
			k++;
		} else if (s[k] == '(') {
			depth++;
			k++;
		} else if (depth > 0 && s[k] == ')') {
			depth--;
			k++;
		} else if (depth > 0 && s[k] == '\\') {
			k += (k + 1 < len) ? 2 : 1;
		} else if (depth > 0) {
			k++;
		} else
			break;
	}
	*i = k;
	return 0;
}

/*
 * libetpan 1.9.4's mailmime_extract_boundary() copies len - 2 bytes of a
 * boundary whose first byte is '"'; a boundary that unquotes to a lone
 * '"' wraps that to SIZE_MAX and overflows the heap.  A '"' can only
 * enter a quoted value as the quoted-pair \" and never belongs in a
 * boundary (RFC 2046 bchars), so a boundary parameter with \" in its
 * quoted value is refused, wherever the word "boundary" appears in the
 * bytes: a superset of what libetpan would reach.  So is one whose value
 * hides behind more CFWS than any sender writes.  Also counts containers
 * (boundary parameters, message/rfc822 types).  Returns 1 if hostile.
 */
/*
 * The raw scans read every byte of a message, 2 MB attachments included,
 * so their inner loops work on 16 bytes at once (GCC/clang vector
 * extensions: SSE2 on x86-64, NEON on arm64, plain code elsewhere).
 */
typedef unsigned char mime_v16 __attribute__((vector_size(16)));

static mime_v16
v16_load(const char *s)
{
	mime_v16 v;

	memcpy(&v, s, sizeof(v));
	return v;
}

static int
v16_any(mime_v16 m)
{
	uint64_t w[2];

	memcpy(w, &m, sizeof(w));
	return (w[0] | w[1]) != 0;
}

/*
 * Index of the first i >= from where s[i], s[i + 1] may start "rfc822" or
 * "boundary" (case-insensitive "rf" or "bo"), or a later index from which
 * the caller goes on byte by byte; never past last.
 */
static size_t
skip_to_candidate(const char *s, size_t from, size_t last)
{
	mime_v16 a, b;

	while (from + 17 <= last) {
		a = v16_load(s + from) | 0x20;
		b = v16_load(s + from + 1) | 0x20;
		if (v16_any((mime_v16)(((a == 'r') & (b == 'f')) |
		    ((a == 'b') & (b == 'o')))))
			return from;
		from += 16;
	}
	return from;
}

static int
scan_containers(const char *s, size_t len, size_t *containers)
{
	size_t i, k, end;

	*containers = 0;
	for (i = 0; i + 6 <= len; i++) {
		if ((i & 15) == 0)
			i = skip_to_candidate(s, i, len);
		if (i + 6 > len)
			break;
		if ((s[i] | 0x20) == 'r' &&
		    text_ascii_ncasecmp(s + i, "rfc822", 6) == 0) {
			(*containers)++;
			continue;
		}
		if ((s[i] | 0x20) != 'b' || len - i < 8 ||
		    text_ascii_ncasecmp(s + i, "boundary", 8) != 0)
			continue;
		k = i + 8;
		if (skip_cfws(s, len, &k) == -1)
			return 1;
		if (k >= len || s[k] != '=')
			continue;
		(*containers)++;
		k++;
		if (skip_cfws(s, len, &k) == -1)
			return 1;
		if (k >= len || s[k] != '"')
			continue;
		/* Only a short value can unquote to one '"'. */
		end = len - k > MIME_MAX_CFWS ? k + MIME_MAX_CFWS : len;
		for (k++; k < end && s[k] != '"'; k++) {
			if (s[k] == '\\') {
				if (k + 1 < len && s[k + 1] == '"')
					return 1;
				k++;
			}
		}
	}
	return 0;
}

/*
 * Deepest '(' nesting within one (folded) line group: libetpan parses
 * comments recursively, so a header of a million '(' would exhaust the
 * stack.  A line that starts without white space begins a new field.
 */
static size_t
scan_comment_depth(const char *s, size_t len)
{
	const char *p;
	size_t i = 0, depth = 0, max = 0;

	while (i < len) {
		if (depth == 0) {
			/* Outside a comment only '(' matters: jump to it. */
			if ((p = memchr(s + i, '(', len - i)) == NULL)
				break;
			i = (size_t)(p - s);
		}
		if (s[i] == '\n') {
			if (i + 1 < len && !is_wsp(s[i + 1]))
				depth = 0;
		} else if (s[i] == '(') {
			if (++depth > max)
				max = depth;
		} else if (s[i] == ')' && depth > 0)
			depth--;
		i++;
	}
	return max;
}

/*
 * Finds the header section: *hdr_end is where the blank line starts,
 * *body is just after it (both len if there is none).  Checks NUL bytes
 * and the length of each field (folded lines included).
 */
static const char *
scan_header(const char *s, size_t len, size_t max_field, size_t *hdr_end,
    size_t *body)
{
	size_t i = 0, eol, field_start = 0, content;
	const char *nl;

	*hdr_end = *body = len;
	while (i < len) {
		nl = memchr(s + i, '\n', len - i);
		eol = nl != NULL ? (size_t)(nl - s) + 1 : len;
		content = eol - i;
		if (nl != NULL)
			content--;
		if (content > 0 && s[i + content - 1] == '\r')
			content--;
		if (content == 0 && nl != NULL) {
			*hdr_end = i;
			*body = eol;
			return NULL;
		}
		if (memchr(s + i, '\0', eol - i) != NULL)
			return FACTS_MALFORMED_NUL_HEADER;
		if (!is_wsp(s[i]))
			field_start = i;
		if (eol - field_start > max_field)
			return FACTS_MALFORMED_LONG_HEADER;
		i = eol;
	}
	return NULL;
}

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
static char *
to_utf8(const char *s, size_t len, const char *cs)
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
static char *
unfold(const char *s, size_t len)
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
static char *
decode_header(const char *raw)
{
	char *u, *dec = NULL, *conv, *out;
	size_t ulen, idx = 0;
	int r;

	if ((u = unfold(raw, strlen(raw))) == NULL)
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

	if ((u = unfold(raw, strlen(raw))) == NULL)
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
static void
utf8_truncate(char *s, size_t max)
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
		    decode_header(mb->mb_display_name));
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
		store_first(w, &f->subject, decode_header(v));
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

static void
take_headers(struct walk *w, struct mailimf_fields *fields)
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
			store_first(w, &f->subject, decode_header(
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
		set_malformed(w, FACTS_MALFORMED_NO_FROM);
	else if (w->many_authors)
		set_malformed(w, FACTS_MALFORMED_MANY_AUTHORS);
	else if (f->from_count > 1)
		set_malformed(w, FACTS_MALFORMED_MANY_FROM);
	else if (f->from_addr == NULL || unusable_from)
		set_malformed(w, FACTS_MALFORMED_FROM_ADDR);
}

/* ------------------------------------------------------------------ */
/* 4. The MIME tree                                                    */

/* "type/subtype", lower case, for a content type (NULL = text/plain). */
static char *
type_string(struct mailmime_content *ct)
{
	struct buf b = BUF_INIT;
	const char *t = "application";
	char *s, *c;

	if (ct == NULL || ct->ct_type == NULL)
		return buf_strdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ct->ct_type->tp_data.tp_discrete_type != NULL) {
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:	t = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE:	t = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO:	t = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO:	t = "video"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application";
			break;
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			if (ct->ct_type->tp_data.tp_discrete_type->
			    dt_extension != NULL)
				t = ct->ct_type->tp_data.tp_discrete_type->
				    dt_extension;
			break;
		}
	} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	    ct->ct_type->tp_data.tp_composite_type != NULL) {
		switch (ct->ct_type->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:	t = "message";
			break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:	t = "multipart";
			break;
		case MAILMIME_COMPOSITE_TYPE_EXTENSION:
			if (ct->ct_type->tp_data.tp_composite_type->
			    ct_token != NULL)
				t = ct->ct_type->tp_data.tp_composite_type->
				    ct_token;
			break;
		}
	}
	buf_printf(&b, "%s/%s", t, ct->ct_subtype != NULL ?
	    ct->ct_subtype : "octet-stream");
	if ((s = buf_detach(&b)) == NULL)
		return NULL;
	c = text_clean(s, strlen(s));
	free(s);
	return c != NULL ? text_ascii_lower_inplace(c) : NULL;
}

static int
has_subtype(struct mailmime_content *ct, const char *sub)
{
	return ct != NULL && ct->ct_subtype != NULL &&
	    text_ascii_casecmp(ct->ct_subtype, sub) == 0;
}

/* Parameters of a Content-Type or Content-Disposition, as one list. */
struct params {
	struct mailmime_parameter	**v;
	size_t				  n;
};

static int
params_collect(struct params *p, clist *ct_params, clist *dsp_params)
{
	struct mailmime_disposition_parm *dp;
	struct mailmime_parameter **nv;
	clistiter *it;
	size_t cap;

	p->v = NULL;
	p->n = 0;
	cap = (ct_params != NULL ? (size_t)clist_count(ct_params) : 0) +
	    (dsp_params != NULL ? (size_t)clist_count(dsp_params) : 0);
	if (cap == 0)
		return 0;
	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -1;
	p->v = nv;
	if (ct_params != NULL)
		for (it = clist_begin(ct_params); it != NULL;
		    it = clist_next(it))
			p->v[p->n++] = clist_content(it);
	if (dsp_params != NULL)
		for (it = clist_begin(dsp_params); it != NULL;
		    it = clist_next(it)) {
			dp = clist_content(it);
			if (dp->pa_type ==
			    MAILMIME_DISPOSITION_PARM_PARAMETER &&
			    dp->pa_data.pa_parameter != NULL)
				p->v[p->n++] = dp->pa_data.pa_parameter;
		}
	return 0;
}

/*
 * Which RFC 2231 piece a parameter name is, for a base name: -2 not one
 * of ours, -1 "base*" (whole extended value), else the segment number;
 * *ext says whether that segment is percent-encoded (trailing '*').
 */
static int
rfc2231_piece(const char *name, const char *base, int *ext)
{
	size_t bl = strlen(base);
	const char *p;
	int n = 0;

	*ext = 0;
	if (name == NULL || text_ascii_ncasecmp(name, base, bl) != 0 ||
	    name[bl] != '*')
		return -2;
	p = name + bl + 1;
	if (*p == '\0') {
		*ext = 1;
		return -1;
	}
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -2;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > MIME_MAX_SEGMENTS)
			return -2;
	}
	if (*p == '*') {
		*ext = 1;
		p++;
	}
	return *p == '\0' ? n : -2;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = text_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Appends value v, percent-decoded if ext. */
static void
pct_append(struct buf *b, const char *v, int ext)
{
	int h, l;

	if (!ext) {
		buf_puts(b, v);
		return;
	}
	for (; *v != '\0'; v++) {
		if (*v == '%' && (h = hexval(v[1])) >= 0 &&
		    (l = hexval(v[2])) >= 0) {
			buf_putc(b, (char)(h * 16 + l));
			v += 2;
		} else
			buf_putc(b, *v);
	}
}

/*
 * An extended value "charset'language'text": copies the charset into
 * cs (bounded) and returns the text.  Without two quotes, all is text.
 */
static const char *
rfc2231_split(const char *v, char *cs, size_t cssz)
{
	const char *q1, *q2;
	size_t n;

	cs[0] = '\0';
	if ((q1 = strchr(v, '\'')) == NULL ||
	    (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	n = (size_t)(q1 - v);
	if (n < cssz) {
		memcpy(cs, v, n);
		cs[n] = '\0';
	}
	return q2 + 1;
}

/*
 * The RFC 2231 value of parameter base ("filename", "name"), decoded to
 * UTF-8 and cleaned; NULL if absent (*nomem set on ENOMEM).
 */
static char *
rfc2231_value(const struct params *p, const char *base, int *nomem)
{
	struct buf b = BUF_INIT;
	const char *v;
	char cs[64], *raw, *u, *out;
	size_t i, len;
	int seg, ext, want, found;

	cs[0] = '\0';
	buf_add(&b, "", 0);
	found = 0;
	for (i = 0; i < p->n; i++) {
		if (rfc2231_piece(p->v[i]->pa_name, base, &ext) == -1 &&
		    p->v[i]->pa_value != NULL) {
			v = rfc2231_split(p->v[i]->pa_value, cs, sizeof(cs));
			pct_append(&b, v, 1);
			found = 1;
			break;
		}
	}
	for (want = 0; !found && want <= MIME_MAX_SEGMENTS; want++) {
		for (i = 0; i < p->n; i++) {
			seg = rfc2231_piece(p->v[i]->pa_name, base, &ext);
			if (seg == want && p->v[i]->pa_value != NULL)
				break;
		}
		if (i == p->n)
			break;
		v = p->v[i]->pa_value;
		if (want == 0 && ext)
			v = rfc2231_split(v, cs, sizeof(cs));
		pct_append(&b, v, ext);
	}
	if (!found && want == 0) {
		buf_free(&b);
		return NULL;
	}
	len = b.len;
	if ((raw = buf_detach(&b)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	u = to_utf8(raw, len, cs[0] != '\0' ? cs : NULL);
	free(raw);
	if (u == NULL) {
		*nomem = 1;
		return NULL;
	}
	out = text_clean(u, strlen(u));
	free(u);
	if (out == NULL)
		*nomem = 1;
	return out;
}

/*
 * Lenient fallback on the raw part header: the value of parameter name
 * in field field ("Content-Disposition"), quoted or not, up to ';' or the
 * end of the field.  libetpan drops a filename it cannot parse (an
 * unterminated quote, a missing ';', spaces in a token) or keeps its
 * first word only; a mail client may still show the whole name, and the
 * attachment policy must judge that one.
 *
 * Returns 1 with the decoded value in *out (caller frees), 0 when the
 * field or the parameter is absent, -1 on allocation failure.  The two
 * must differ: a name we failed to read is not a name that is not there,
 * and treating it so would let an attachment through the policy unjudged
 * whenever memory runs short (the parse must fail instead).
 */
static int
raw_param(const char *h, size_t hlen, const char *field, const char *name,
    char **out)
{
	size_t i = 0, eol, fl = strlen(field), nl = strlen(name), k, end;
	struct buf val = BUF_INIT;
	char *v, *u;

	*out = NULL;

	while (i < hlen) {
		for (eol = i; eol < hlen && h[eol] != '\n'; eol++)
			;
		/* extend over folded lines */
		while (eol + 1 < hlen && is_wsp(h[eol + 1]))
			for (eol++; eol < hlen && h[eol] != '\n'; eol++)
				;
		if (eol - i > fl && h[i + fl] == ':' &&
		    text_ascii_ncasecmp(h + i, field, fl) == 0)
			break;
		i = eol + 1;
	}
	if (i >= hlen)
		return 0;
	if ((v = unfold(h + i + fl + 1, eol - i - fl - 1)) == NULL)
		return -1;
	end = strlen(v);
	for (k = 0; k + nl < end; k++) {
		if ((k > 0 && v[k - 1] != ';' && !is_wsp(v[k - 1])) ||
		    text_ascii_ncasecmp(v + k, name, nl) != 0)
			continue;
		i = k + nl;
		while (i < end && is_wsp(v[i]))
			i++;
		if (i >= end || v[i] != '=')
			continue;
		for (i++; i < end && is_wsp(v[i]); i++)
			;
		buf_add(&val, "", 0);
		if (i < end && v[i] == '"') {
			for (i++; i < end && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < end)
					i++;
				buf_putc(&val, v[i]);
			}
		} else {
			for (; i < end && v[i] != ';'; i++)
				buf_putc(&val, v[i]);
		}
		break;
	}
	free(v);
	if (val.data == NULL && !val.failed)
		return 0;
	if ((u = buf_detach(&val)) == NULL)
		return -1;
	*out = decode_header(u);
	free(u);
	return *out != NULL ? 1 : -1;
}

/* Returns a decoded, cleaned filename or NULL (w->nomem on ENOMEM). */
static char *
part_filename(struct walk *w, struct mailmime *m,
    struct mailmime_single_fields *sf)
{
	struct params p;
	const char *hstart = m->mm_mime_start, *hend;
	char *name = NULL, *raw;
	size_t hlen = 0;
	int nomem = 0, i;

	if (m->mm_body != NULL && m->mm_body->dt_type == MAILMIME_DATA_TEXT &&
	    hstart != NULL) {
		hend = m->mm_body->dt_data.dt_text.dt_data;
		if (hend != NULL && hend >= hstart)
			hlen = (size_t)(hend - hstart);
	}

	/* Disposition first, then the Content-Type name; 2231 before 2047. */
	for (i = 0; i < 2 && name == NULL && !nomem; i++) {
		const char *base = i == 0 ? "filename" : "name";
		const char *plain = i == 0 ? sf->fld_disposition_filename :
		    sf->fld_content_name;
		const char *field = i == 0 ? "Content-Disposition" :
		    "Content-Type";

		if (params_collect(&p, i == 0 ? NULL :
		    (m->mm_content_type != NULL ?
		    m->mm_content_type->ct_parameters : NULL),
		    i == 0 && sf->fld_disposition != NULL ?
		    sf->fld_disposition->dsp_parms : NULL) == -1) {
			nomem = 1;
			break;
		}
		name = rfc2231_value(&p, base, &nomem);
		free(p.v);
		if (name != NULL || nomem)
			break;
		if (plain != NULL && (name = decode_header(plain)) == NULL) {
			nomem = 1;
			break;
		}
		if (hlen == 0)
			continue;
		if (raw_param(hstart, hlen, field, base, &raw) == -1) {
			nomem = 1;
			break;
		}
		if (raw != NULL && (name == NULL ||
		    (strlen(raw) > strlen(name) &&
		    strncmp(raw, name, strlen(name)) == 0))) {
			free(name);
			name = raw;
		} else
			free(raw);
	}
	if (nomem) {
		w->nomem = 1;
		free(name);
		return NULL;
	}
	if (name != NULL && name[0] == '\0') {
		free(name);
		return NULL;
	}
	if (name != NULL)
		utf8_truncate(name, w->lim->max_header);
	return name;
}

/* Decoded size without decoding: base64 counted, QP walked. */
/* Bytes of s[0..n) that are base64 digits. */
static uint64_t
count_b64(const char *s, size_t n)
{
	mime_v16 c, acc = { 0 };
	uint64_t count = 0;
	size_t i = 0, k, rounds = 0;
	unsigned char u;

	for (; i + 16 <= n; i += 16) {
		c = v16_load(s + i);
		acc += (mime_v16)((((c | 0x20) - 'a') < 26) | ((c - '0') < 10) |
		    (c == '+') | (c == '/')) & 1;
		if (++rounds == 255) {	/* before a byte lane overflows */
			for (k = 0; k < 16; k++)
				count += acc[k];
			acc = (mime_v16){ 0 };
			rounds = 0;
		}
	}
	for (k = 0; k < 16; k++)
		count += acc[k];
	for (; i < n; i++) {
		u = (unsigned char)s[i];
		count += ((unsigned char)((u | 0x20) - 'a') < 26) ||
		    ((unsigned char)(u - '0') < 10) || u == '+' || u == '/';
	}
	return count;
}

/*
 * The decoded size of a leaf's body, counting what elide() removed from
 * it, so that sizes are those of the message as received.
 */
static uint64_t
decoded_size(const struct walk *w, const struct mailmime_data *d)
{
	const char *s;
	size_t n, i, k, off;
	uint64_t count = 0, cut_b64 = 0, cut_raw = 0;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return 0;
	s = d->dt_data.dt_text.dt_data;
	n = d->dt_data.dt_text.dt_length;
	if (s == NULL)
		return 0;
	off = w->n_cuts > 0 ? (size_t)(s - w->buf) : 0;
	for (k = 0; k < w->n_cuts; k++)
		if (w->cuts[k].at > off && w->cuts[k].at < off + n) {
			cut_b64 += w->cuts[k].b64;
			cut_raw += w->cuts[k].raw;
		}
	if (!d->dt_encoded)
		return n + cut_raw;
	switch (d->dt_encoding) {
	case MAILMIME_MECHANISM_BASE64:
		return (count_b64(s, n) + cut_b64) * 3 / 4;
	case MAILMIME_MECHANISM_QUOTED_PRINTABLE:
		for (i = 0; i < n; i++) {
			if (s[i] != '=') {
				count++;
			} else if (i + 1 < n && s[i + 1] == '\n') {
				i++;
			} else if (i + 2 < n && s[i + 1] == '\r' &&
			    s[i + 2] == '\n') {
				i += 2;
			} else if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0) {
				count++;
				i += 2;
			} else
				count++;
		}
		/* Cut lines held no soft break: near enough. */
		return count + cut_raw;
	default:
		return n + cut_raw;
	}
}

/* ------------------------------------------------------------------ */
/* Content inspection (content.h)                                      */

static char	*decode_body(const struct mailmime_data *, size_t, size_t *,
		    int *);
static void	 unelide(const struct walk *, const struct mailmime_data *,
		    struct mailmime_data *);

/*
 * libmagic's cookie for the process: loaded once, by the worker's warm-up
 * before its seccomp filter (magic_load opens the database), or on first
 * use where nothing filters open().  A static like the iconv descriptors
 * held below: the mail layer's state, never the core's.  NULL when the
 * database could not be loaded: every attachment is then recorded
 * CONTENT_NOT_INSPECTED, which quarantines it, rather than let mail pass
 * unexamined.
 */
static magic_t	mime_magic;
static int	mime_magic_tried;

static magic_t
magic_cookie(void)
{
	size_t bytes = MIME_SNIFF_HEAD;

	if (mime_magic_tried)
		return mime_magic;
	mime_magic_tried = 1;
	/*
	 * No decompression: libmagic would fork a decompressor (and the
	 * filter refuses fork); an archive is forbidden whatever it holds.
	 * No JSON or CSV parsing: costs, and decides nothing here.
	 */
	if ((mime_magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_CSV | MAGIC_ERROR)) == NULL)
		return NULL;
	if (magic_load(mime_magic, NULL) == -1) {
		magic_close(mime_magic);
		mime_magic = NULL;
		return NULL;
	}
	(void)magic_setparam(mime_magic, MAGIC_PARAM_BYTES_MAX, &bytes);
	(void)magic_setparam(mime_magic, MAGIC_PARAM_ENCODING_MAX, &bytes);
	return mime_magic;
}

/*
 * The decoded bytes of a part's body as received (elided middles put
 * back), at most cap of them: *out points into the message (*owned 0)
 * for an identity encoding, else to a malloc'd buffer (*owned 1, caller
 * frees).  *whole says whether that is all of the body.  Base64 goes
 * through content_b64_decode (fast: megabytes per message); quoted-
 * printable through libetpan on a padded copy (decode_body).  -1 on
 * ENOMEM, 1 when there is no body (nothing to inspect), 2 when the body
 * could not be decoded, else 0.
 */
static int
part_bytes(const struct walk *w, const struct mailmime_data *d, size_t cap,
    const unsigned char **out, size_t *len, int *owned, int *whole)
{
	struct mailmime_data full;
	const char *src;
	unsigned char *dec;
	size_t n, alloc, k;
	int nomem = 0, limited = 0;
	char *qp;

	*out = NULL;
	*len = 0;
	*owned = 0;
	*whole = 1;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return 1;
	unelide(w, d, &full);
	src = full.dt_data.dt_text.dt_data;
	n = full.dt_data.dt_text.dt_length;
	if (!full.dt_encoded || (full.dt_encoding != MAILMIME_MECHANISM_BASE64 &&
	    full.dt_encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE)) {
		*out = (const unsigned char *)src;
		*len = n < cap ? n : cap;
		*whole = n <= cap;
		return 0;
	}
	if (full.dt_encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
		k = cap > (SIZE_MAX - 1024) / 3 ? SIZE_MAX : cap * 3 + 1024;
		if ((qp = decode_body(&full, k, len, &nomem)) == NULL)
			return nomem ? -1 : 2;
		*whole = n <= k && *len <= cap;
		if (*len > cap)
			*len = cap;
		*out = (const unsigned char *)qp;
		*owned = 1;
		return 0;
	}
	alloc = n / 4 * 3 + 3;
	if (alloc > cap) {
		alloc = cap;
		limited = 1;
	}
	if ((dec = malloc(alloc > 0 ? alloc : 1)) == NULL)
		return -1;
	*len = content_b64_decode(src, n, dec, alloc, NULL);
	*whole = !limited || *len < alloc;
	*out = dec;
	*owned = 1;
	return 0;
}

/* libmagic's type, lower case, parameters cut; NULL if it has none. */
static char *
sniff(const unsigned char *b, size_t len, int *nomem)
{
	magic_t m = magic_cookie();
	const char *t;
	char *c;
	size_t n;

	/*
	 * A PDF is what a BALP mostly carries, and libmagic takes 25 us to
	 * say so (its rules are tried by strength, PDF's late): a part that
	 * starts with the signature the PDF scan requires anyway is one for
	 * libmagic too ("%PDF-" at 0 is its rule), so it is not asked.
	 */
	if (len >= 5 && memcmp(b, "%PDF-", 5) == 0)
		t = "application/pdf";
	else if (m == NULL)
		return NULL;
	else if ((t = magic_buffer(m, b, len < MIME_SNIFF_HEAD ? len :
	    MIME_SNIFF_HEAD)) == NULL)
		return NULL;
	for (n = 0; t[n] != '\0' && t[n] != ';' && t[n] != ' ' && n < 255; n++)
		;
	if ((c = buf_strndup(t, n)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	if (!text_utf8_valid(c, n) || memchr(c, '\0', n) != NULL) {
		free(c);
		return NULL;
	}
	return text_ascii_lower_inplace(c);
}

/* Files inside files (winmail.dat in winmail.dat) looked into this deep. */
#define MIME_MAX_NESTED		2

static const struct content_limits mime_clim = CONTENT_LIMITS_DEFAULT;

struct nested {
	struct walk	*w;
	int		 depth;
};

static int
is_tnef(const char *sniffed)
{
	return sniffed != NULL &&
	    (strcmp(sniffed, "application/vnd.ms-tnef") == 0 ||
	    strcmp(sniffed, "application/ms-tnef") == 0);
}

/*
 * content_nested_fn for content_tnef(): a file inside a winmail.dat,
 * typed and inspected like an attachment (and opened in turn if it is
 * one, MIME_MAX_NESTED deep).
 */
static unsigned
nested_part(const unsigned char *b, size_t len, void *arg)
{
	struct nested *nc = arg, deeper;
	unsigned f;
	char *t;

	if (nc->depth >= MIME_MAX_NESTED)
		return CONTENT_NOT_INSPECTED;
	if ((t = sniff(b, len, &nc->w->nomem)) == NULL)
		return CONTENT_NOT_INSPECTED;
	f = content_inspect(b, len, t, 1, &mime_clim);
	if (is_tnef(t)) {
		deeper.w = nc->w;
		deeper.depth = nc->depth + 1;
		f = (f & ~CONTENT_NOT_INSPECTED) |
		    content_tnef(b, len, &mime_clim, nested_part, &deeper);
	}
	free(t);
	return f;
}

/* Where a body starts in the message as received; SIZE_MAX if none. */
static size_t
body_offset(const struct walk *w, const struct mailmime_data *d)
{
	struct mailmime_data full;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return SIZE_MAX;
	unelide(w, d, &full);
	return (size_t)(full.dt_data.dt_text.dt_data - w->orig);
}

/* ------------------------------------------------------------------ */
/* Forwarded messages                                                  */

static void	walk_node(struct walk *, struct mailmime *, size_t, int, int);

/*
 * Where the mail starts if b[0..len) is one: lines "Name: value" (RFC
 * 5322 field names) or their folded continuations, up to an empty line,
 * no NUL, within MIME_SNIFF_HEAD, one of them a field every mail has
 * (From, Date, Subject, Message-ID, Received, MIME-Version); after a
 * UTF-8 BOM or an mbox "From " line, which some tools write before a
 * saved .eml.  SIZE_MAX if it is none.  That is a forwarded message,
 * however it is wrapped (message/rfc822 in base64 or quoted-printable,
 * an .eml sent as application/octet-stream, or even as text/plain): what
 * a mail client would open, opened here too.
 */
static size_t
mail_start(const unsigned char *b, size_t len)
{
	static const char *const known[] = { "from", "date", "subject",
	    "message-id", "received", "mime-version", NULL };
	size_t i = 0, n, k, start, end = len < MIME_SNIFF_HEAD ? len :
	    MIME_SNIFF_HEAD;
	int fields = 0, mail = 0;

	if (end >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		i = 3;
	if (end - i >= 5 && memcmp(b + i, "From ", 5) == 0) {
		while (i < end && b[i] != '\n')
			i++;
		i++;
	}
	start = i;

	while (i < end) {
		if (b[i] == '\n' || (b[i] == '\r' && i + 1 < end &&
		    b[i + 1] == '\n'))
			return fields > 0 && mail ? start : SIZE_MAX;
		if (b[i] == ' ' || b[i] == '\t') {
			if (fields == 0)
				return SIZE_MAX;
		} else {
			for (n = 0; i + n < end && b[i + n] > 32 &&
			    b[i + n] < 127 && b[i + n] != ':'; n++)
				;
			if (n == 0 || i + n >= end || b[i + n] != ':')
				return SIZE_MAX;
			fields++;
			for (k = 0; known[k] != NULL; k++)
				if (strlen(known[k]) == n && text_ascii_ncasecmp(
				    (const char *)b + i, known[k], n) == 0)
					mail = 1;
		}
		for (; i < end && b[i] != '\n'; i++)
			if (b[i] == '\0')
				return SIZE_MAX;
		i++;
	}
	/* headers only, to the end (a bounce's returned header) */
	if (end == len && fields > 0 && mail)
		return start;
	return SIZE_MAX;	/* no end of header in sight: not a mail */
}

/* 1 if the part says it is a mail: its type, or its name's extension. */
static int
says_mail(const struct part_facts *p)
{
	const char *ext;
	size_t n;

	if (strcmp(p->content_type, "message/rfc822") == 0 ||
	    strcmp(p->content_type, "message/global") == 0)
		return 1;
	ext = p->filename != NULL ? strrchr(p->filename, '.') : NULL;
	if (ext == NULL)
		return 0;
	for (n = strlen(++ext); n > 0 && (ext[n - 1] == ' ' ||
	    ext[n - 1] == '.'); n--)
		;
	return n == 3 && text_ascii_ncasecmp(ext, "eml", 3) == 0;
}

/*
 * Parses the forwarded message b[0..len) (decoded from a part at depth)
 * and walks its tree as the rest of the message, at depth + 1 on: its
 * parts join the facts, judged as the outer ones, and nesting counts
 * through every wrapping towards max_depth.  The same guards as for the
 * message itself come first (libetpan must never see a hostile boundary
 * or unbounded nesting); what they find makes the whole message
 * malformed.  b outlives the tree (freed here).
 */
static void
open_forwarded(struct walk *w, const unsigned char *b, size_t len,
    size_t depth)
{
	const char *s = (const char *)b, *why;
	struct mailmime *root = NULL;
	struct walk sub;
	size_t hdr_end, body, containers, idx = 0;
	int r;

	if (depth + 1 > w->lim->max_depth) {
		set_malformed(w, FACTS_MALFORMED_DEPTH);
		return;
	}
	if ((why = scan_header(s, len, w->lim->max_header, &hdr_end,
	    &body)) != NULL) {
		set_malformed(w, why);
		return;
	}
	if (body >= len)
		return;		/* a header and no body: nothing inside */
	if (scan_containers(s, len, &containers)) {
		set_malformed(w, FACTS_MALFORMED_BOUNDARY);
		return;
	}
	if (containers > MIME_MAX_CONTAINERS) {
		set_malformed(w, FACTS_MALFORMED_CONTAINERS);
		return;
	}
	if (scan_comment_depth(s, len) > MIME_MAX_COMMENT_DEPTH) {
		set_malformed(w, FACTS_MALFORMED_BAD_HEADER);
		return;
	}
	r = mailmime_parse(s, len, &idx, &root);
	if (r == MAILIMF_ERROR_MEMORY) {
		w->nomem = 1;
		return;
	}
	if (r != MAILIMF_NO_ERROR || root == NULL ||
	    root->mm_type != MAILMIME_MESSAGE ||
	    root->mm_data.mm_message.mm_msg_mime == NULL) {
		set_malformed(w, FACTS_MALFORMED_MIME);
		if (root != NULL)
			mailmime_free(root);
		return;
	}
	/* Its own buffer, whole (no cut, no head-only body), same budgets. */
	memset(&sub, 0, sizeof(sub));
	sub.lim = w->lim;
	sub.out = w->out;
	sub.malformed = w->malformed;
	sub.buf = sub.orig = s;
	sub.scan_left = w->scan_left;
	sub.reparse_left = w->reparse_left;
	sub.heads_from = SIZE_MAX;
	walk_node(&sub, root->mm_data.mm_message.mm_msg_mime, depth + 1, 1, 0);
	w->malformed = sub.malformed;
	w->nomem |= sub.nomem;
	w->scan_left = sub.scan_left;
	w->reparse_left = sub.reparse_left;
	mailmime_free(root);
}

/*
 * Reads the leaf's bytes and records what they are in p: an attachment
 * is typed and inspected whole (within the message's scan budget); the
 * message's own text only looked at for hidden files.
 */
static void
inspect_leaf(struct walk *w, struct mailmime *m, struct part_facts *p,
    int own_text, size_t depth)
{
	struct nested nc;
	const unsigned char *b;
	size_t len, cap, charged, at = 0;
	unsigned g;
	int owned, whole, r, fwd;

	if (m->mm_type != MAILMIME_SINGLE)
		return;
	/* The source's budget ended before this body: so does ours. */
	if (w->heads_from != SIZE_MAX && body_offset(w, m->mm_body) >=
	    w->heads_from)
		w->scan_left = 0;
	/* Past the budget, the head only: typed, not inspected whole. */
	cap = w->scan_left > MIME_SNIFF_HEAD ? w->scan_left : MIME_SNIFF_HEAD;
	r = part_bytes(w, m->mm_body, cap, &b, &len, &owned, &whole);
	if (w->scan_left == 0)
		whole = 0;	/* a head, whatever its length */
	if (r == -1) {
		w->nomem = 1;
		return;
	}
	/* An empty part holds nothing, and is no RIB either. */
	if (r == 1) {
		if (!own_text && (p->sniffed_type =
		    buf_strdup("application/x-empty")) == NULL)
			w->nomem = 1;
		return;
	}
	if (r == 2) {
		p->findings |= CONTENT_NOT_INSPECTED;
		return;
	}
	charged = len < w->scan_left ? len : w->scan_left;
	w->scan_left -= charged;
	fwd = 0;
	if (own_text) {
		p->findings |= content_text_hidden(b, len);
		if (!whole)
			p->findings |= CONTENT_TOO_LARGE;
	} else {
		p->sniffed_type = sniff(b, len, &w->nomem);
		if (p->sniffed_type == NULL)
			p->findings |= CONTENT_NOT_INSPECTED;
		g = content_inspect(b, len, p->sniffed_type, whole,
		    &mime_clim);
		/* winmail.dat: the files inside judged instead */
		if (is_tnef(p->sniffed_type)) {
			nc.w = w;
			nc.depth = 0;
			g = (g & ~CONTENT_NOT_INSPECTED) | content_tnef(b, len,
			    &mime_clim, nested_part, &nc);
		}
		/*
		 * Only its head was read, for its size alone: what the head
		 * could not show makes it too large, not forbidden; what it
		 * did show (an executable, macros) still counts.
		 */
		if (!whole)
			g = (g & ~CONTENT_NOT_INSPECTED) | CONTENT_TOO_LARGE;
		p->findings |= g;
		at = mail_start(b, len);
		fwd = at != SIZE_MAX;
		if (fwd && !whole)
			fwd = 0;	/* too large to open: said above */
		else if (fwd && len > w->reparse_left) {
			p->findings |= CONTENT_TOO_LARGE;
			fwd = 0;
		} else if (fwd) {
			/* its leaves are charged as they are read */
			w->reparse_left -= len;
			w->scan_left += charged;
		} else if (whole && says_mail(p)) {
			/* a mail client would open it as a mail; we cannot */
			p->findings |= CONTENT_NOT_INSPECTED;
		}
	}
	/* Last: the forwarded message's parts move w->out->parts (p). */
	if (fwd)
		open_forwarded(w, b + at, len - at, depth);
	if (owned)
		free((void *)(uintptr_t)b);
}

static void
leaf(struct walk *w, struct mailmime *m, size_t depth, int in_message,
    int in_alternative)
{
	struct mailmime_single_fields sf;
	char *ct, *fn;
	int disp_att, plain, html, own_text, msg_text;

	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	if ((ct = type_string(m->mm_content_type)) == NULL) {
		w->nomem = 1;
		return;
	}
	utf8_truncate(ct, w->lim->max_header);
	fn = part_filename(w, m, &sf);
	if (w->nomem) {
		free(ct);
		return;
	}
	disp_att = sf.fld_disposition != NULL &&
	    sf.fld_disposition->dsp_type != NULL &&
	    sf.fld_disposition->dsp_type->dsp_type ==
	    MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
	plain = strcmp(ct, "text/plain") == 0;
	html = strcmp(ct, "text/html") == 0;

	/*
	 * The message's own text: the first text/plain or text/html without
	 * a name, and its alternatives; and the first nameless inline
	 * text/html even after a text/plain in a multipart/mixed (some
	 * clients send the HTML body so, beside an empty plain part: it is
	 * the body a mail client shows, and the text read when the plain
	 * part is empty).  A forwarded message (inside message/rfc822, or
	 * opened by open_forwarded) has its own text, judged as a text
	 * (hidden files), and its attachments, judged as attachments; none
	 * of it is the first text.
	 */
	msg_text = fn == NULL && !disp_att && strncmp(ct, "text/", 5) == 0 &&
	    (((plain || html) && !w->seen_text) || in_alternative ||
	    (html && !w->seen_html));
	/* a forwarded message's text is its own, never the first text */
	own_text = msg_text && !in_message;
	if (msg_text && (plain || html))
		w->seen_text = 1;
	if (msg_text && html)
		w->seen_html = 1;
	if (own_text && plain && w->plain == NULL)
		w->plain = m;
	if (own_text && html && w->html == NULL)
		w->html = m;

	if (w->out->n_parts >= w->lim->max_parts)
		w->out->truncated_parts = 1;
	else if (facts_add_part(w->out, ct, fn, decoded_size(w, m->mm_body),
	    !msg_text, (int)depth) == -1)
		w->nomem = 1;
	else {
		w->out->parts[w->out->n_parts - 1].embedded =
		    w->parent_related && sf.fld_id != NULL && !disp_att;
		if (in_message)
			w->out->parts[w->out->n_parts - 1].findings |=
			    CONTENT_FORWARDED;
		inspect_leaf(w, m, &w->out->parts[w->out->n_parts - 1],
		    msg_text, depth);
	}
	free(ct);
	free(fn);
}

/*
 * Does the multipart's body hold a delimiter line "--boundary"?  Without
 * one, libetpan 1.9.4 does not fail: it takes whatever follows the last
 * "--" at a line start for a part and drops the rest in the preamble, so
 * parts a mail client would show (an .exe) vanish.  Matching is a prefix
 * match at a line start, as libetpan's.
 */
static int
has_delimiter(struct mailmime *m)
{
	const char *b, *s, *nl;
	size_t blen, len, i;

	if ((b = mailmime_content_param_get(m->mm_content_type,
	    "boundary")) == NULL || (blen = strlen(b)) == 0)
		return 0;
	if (m->mm_body == NULL || m->mm_body->dt_type != MAILMIME_DATA_TEXT ||
	    (s = m->mm_body->dt_data.dt_text.dt_data) == NULL)
		return 0;
	len = m->mm_body->dt_data.dt_text.dt_length;
	for (i = 0; i < len;) {
		if (len - i >= blen + 2 && s[i] == '-' && s[i + 1] == '-' &&
		    memcmp(s + i + 2, b, blen) == 0)
			return 1;
		if ((nl = memchr(s + i, '\n', len - i)) == NULL)
			break;
		i = (size_t)(nl - s) + 1;
	}
	return 0;
}

static void
walk_node(struct walk *w, struct mailmime *m, size_t depth, int in_message,
    int in_alternative)
{
	clistiter *it;
	int alt, related, saved, seen_text, seen_html;

	if (w->nomem || m == NULL)
		return;
	if (depth > w->lim->max_depth) {
		set_malformed(w, FACTS_MALFORMED_DEPTH);
		return;
	}
	switch (m->mm_type) {
	case MAILMIME_MULTIPLE:
		/*
		 * No part, or no delimiter line: what libetpan returns is
		 * not what a mail client would show.
		 */
		if (m->mm_data.mm_multipart.mm_mp_list == NULL ||
		    clist_isempty(m->mm_data.mm_multipart.mm_mp_list) ||
		    !has_delimiter(m)) {
			set_malformed(w, FACTS_MALFORMED_MIME);
			return;
		}
		related = has_subtype(m->mm_content_type, "related");
		alt = has_subtype(m->mm_content_type, "alternative") || related;
		saved = w->parent_related;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list);
		    it != NULL && !w->nomem; it = clist_next(it)) {
			w->parent_related = related;
			walk_node(w, clist_content(it), depth + 1, in_message,
			    alt);
		}
		w->parent_related = saved;
		break;
	case MAILMIME_MESSAGE:
		saved = w->parent_related;
		seen_text = w->seen_text;
		seen_html = w->seen_html;
		w->parent_related = 0;
		if (m->mm_data.mm_message.mm_msg_mime != NULL) {
			/* the forwarded message's text, from its start */
			w->seen_text = w->seen_html = 0;
			walk_node(w, m->mm_data.mm_message.mm_msg_mime,
			    depth + 1, 1, 0);
		} else
			leaf(w, m, depth, in_message, in_alternative);
		w->parent_related = saved;
		w->seen_text = seen_text;
		w->seen_html = seen_html;
		break;
	default:
		leaf(w, m, depth, in_message, in_alternative);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* 5. First text                                                       */

/*
 * Body text cleaned for matching: line ends made LF, other controls
 * (NUL included) turned into spaces, invalid UTF-8 into U+FFFD.
 */
static char *
clean_body(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t i = 0;
	uint32_t cp;
	char tmp[4];

	buf_add(&b, "", 0);
	while (i < len) {
		if (s[i] == '\r') {
			buf_putc(&b, '\n');
			i += (i + 1 < len && s[i + 1] == '\n') ? 2 : 1;
			continue;
		}
		cp = text_utf8_next(s, len, &i);
		if (cp == '\n' || cp == '\t')
			buf_putc(&b, (char)cp);
		else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
			buf_putc(&b, ' ');
		else
			buf_add(&b, tmp, text_utf8_put(cp, tmp));
	}
	return buf_detach(&b);
}

/* Bytes of NUL padding after the copy handed to libetpan's decoders. */
#define DECODE_PAD	8

/*
 * Decodes the transfer encoding of a part's body, at most about enc_cap
 * encoded bytes (cut after a line end).  libetpan 1.9.4 reads past the
 * end of a quoted-printable body that ends in "=X" (ASan: heap overflow
 * in mmap_string_insert_len, found by fuzzing; docs/libetpan.md), so it
 * gets a copy with NUL padding rather than a pointer into the message.
 * Returns a malloc'd buffer and its length in *outlen, NULL on failure
 * (*nomem on ENOMEM).
 */
static char *
decode_body(const struct mailmime_data *d, size_t enc_cap, size_t *outlen,
    int *nomem)
{
	const char *src = d->dt_data.dt_text.dt_data;
	size_t n = d->dt_data.dt_text.dt_length, idx = 0, declen = 0, k;
	char *copy, *dec = NULL, *out;
	int r;

	if (n > enc_cap) {
		for (k = enc_cap; k > 0 && src[k - 1] != '\n'; k--)
			;
		n = k > 0 ? k : enc_cap;
	}
	if (n > SIZE_MAX - DECODE_PAD || (copy = calloc(1, n + DECODE_PAD)) ==
	    NULL) {
		*nomem = 1;
		return NULL;
	}
	memcpy(copy, src, n);
	r = mailmime_part_parse(copy, n, &idx,
	    d->dt_encoded ? d->dt_encoding : MAILMIME_MECHANISM_8BIT,
	    &dec, &declen);
	free(copy);
	if (r == MAILIMF_ERROR_MEMORY) {
		*nomem = 1;
		return NULL;
	}
	if (r != MAILIMF_NO_ERROR || dec == NULL)
		return NULL;
	if ((out = buf_strndup(dec, declen)) == NULL)
		*nomem = 1;
	mailmime_decoded_part_free(dec);
	*outlen = declen;
	return out;
}

/*
 * *out: d as in the message received, when elide() cut into it (the text
 * is decoded from all of its bytes, as if nothing had been cut).
 */
static void
unelide(const struct walk *w, const struct mailmime_data *d,
    struct mailmime_data *out)
{
	size_t k, off, n, before = 0, inside = 0;

	*out = *d;
	if (w->n_cuts == 0)
		return;
	off = (size_t)(d->dt_data.dt_text.dt_data - w->buf);
	n = d->dt_data.dt_text.dt_length;
	for (k = 0; k < w->n_cuts; k++) {
		if (w->cuts[k].at <= off)
			before += w->cuts[k].raw;
		else if (w->cuts[k].at < off + n)
			inside += w->cuts[k].raw;
	}
	out->dt_data.dt_text.dt_data = w->orig + off + before;
	out->dt_data.dt_text.dt_length = n + inside;
}

/*
 * The text of one own text part, decoded, in UTF-8, HTML read as text,
 * cleaned and cut at max_text: a malloc'd string the caller owns, or NULL
 * (the part has no text body, or memory ran out: then w->nomem is set).
 */
static char *
part_text(struct walk *w, struct mailmime *m, int is_html)
{
	struct mailmime_data *d, whole;
	const char *cs;
	char *dec, *u, *t, *c;
	size_t declen = 0, cap, max = w->lim->max_text;

	if (m == NULL || m->mm_content_type == NULL ||
	    (d = m->mm_body) == NULL ||
	    d->dt_type != MAILMIME_DATA_TEXT ||
	    d->dt_data.dt_text.dt_data == NULL)
		return NULL;
	/*
	 * Decode and convert no more than can yield max bytes: 4 input
	 * bytes give at least one output byte in any charset; HTML markup
	 * shrinks more; QP takes 3 encoded bytes per decoded one.
	 */
	cap = max > SIZE_MAX / 256 ? SIZE_MAX / 4 :
	    (is_html ? max * 64 : max * 4);
	unelide(w, d, &whole);
	if ((dec = decode_body(&whole, cap > SIZE_MAX / 4 ? SIZE_MAX : cap * 3 +
	    1024, &declen, &w->nomem)) == NULL)
		return NULL;
	cs = mailmime_content_param_get(m->mm_content_type, "charset");
	u = to_utf8(dec, declen < cap ? declen : cap, cs);
	free(dec);
	if (u == NULL) {
		w->nomem = 1;
		return NULL;
	}
	if (is_html) {
		t = html_to_text(u, strlen(u));
		free(u);
		if ((u = t) == NULL) {
			w->nomem = 1;
			return NULL;
		}
	}
	c = clean_body(u, strlen(u));
	free(u);
	if (c == NULL) {
		w->nomem = 1;
		return NULL;
	}
	utf8_truncate(c, max);
	return c;
}

/*
 * 1 if the cleaned text holds nothing but white space: blanks, line
 * ends, and the no-break, thin, zero-width spaces and BOM that editors
 * leave in an "empty" part.
 */
static int
text_blank(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u != '\0') {
		if (*u == ' ' || *u == '\t' || *u == '\n')
			u++;
		else if (u[0] == 0xC2 && u[1] == 0xA0)
			u += 2;
		else if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x89 ||
		    u[2] == 0x8B || u[2] == 0xAF))
			u += 3;
		else if (u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
			u += 3;
		else
			return 0;
	}
	return 1;
}

/*
 * The message's own text for the type and the dates: its first own
 * text/plain part; when that is missing, empty or only white space, its
 * first own text/html part read as text (DESIGN "Decision": webmails and
 * mobile clients send an empty text part beside the HTML that says it
 * all).  Ownership: w->out->first_text, freed with the facts.
 */
static void
take_first_text(struct walk *w)
{
	char *t = NULL, *h;

	if (w->plain != NULL && (t = part_text(w, w->plain, 0)) == NULL &&
	    w->nomem)
		return;
	if ((t == NULL || text_blank(t)) && w->html != NULL) {
		if ((h = part_text(w, w->html, 1)) != NULL) {
			free(t);
			t = h;
		} else if (w->nomem) {
			free(t);
			return;
		}
	}
	w->out->first_text = t;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

/* The parse proper, on a buffer ending with a line end if needed. */
/*
 * The run of lines of base64 digits, '=' and CR/LF that starts at i: its
 * end (the first other byte, or the first byte of an empty line's line
 * end, or len) and the base64 digits in it.  One pass, 16 bytes at once.
 */
static size_t
b64_run(const char *s, size_t i, size_t len, uint64_t *digits)
{
	mime_v16 c, n1, n2, lo, dig, acc = { 0 };
	size_t k, rounds = 0;
	unsigned char u;

	*digits = 0;
	for (; i + 18 <= len; i += 16) {
		c = v16_load(s + i);
		n1 = v16_load(s + i + 1);
		n2 = v16_load(s + i + 2);
		lo = c | 0x20;
		dig = (mime_v16)(((lo - 'a') < 26) | ((c - '0') < 10) |
		    (c == '+') | (c == '/'));
		if (v16_any(~(dig | (mime_v16)((c == '=') | (c == '\n') |
		    (c == '\r'))) | (mime_v16)((c == '\n') & ((n1 == '\n') |
		    ((n1 == '\r') & (n2 == '\n'))))))
			break;
		acc += dig & 1;
		if (++rounds == 255) {	/* before a byte lane overflows */
			for (k = 0; k < 16; k++)
				*digits += acc[k];
			acc = (mime_v16){ 0 };
			rounds = 0;
		}
	}
	for (k = 0; k < 16; k++)
		*digits += acc[k];
	for (; i < len; i++) {
		u = (unsigned char)s[i];
		if (u == '\n' && i + 1 < len && (s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
			return i;
		if ((unsigned char)((u | 0x20) - 'a') < 26 ||
		    (unsigned char)(u - '0') < 10 || u == '+' || u == '/')
			(*digits)++;
		else if (u != '=' && u != '\n' && u != '\r')
			return i;
	}
	return len;
}

/*
 * libetpan looks for boundaries byte by byte: a 2 MB attachment cost it
 * 2.6 ms, most of the parse (docs/libetpan.md).  Lines made only of
 * base64 digits can hold neither a boundary (it starts with "--") nor a
 * header field (it has a ':'), so the middle of a long run of them is cut
 * before libetpan sees the message: whole lines only, keeping the first
 * keep_head bytes of the run (the first text part is decoded from the
 * message as received anyway: unelide()) and its last MIME_ELIDE_TAIL;
 * a run ends at an empty line, so no cut spans one.  Structure, headers, names and types
 * are what they were; sizes count the cut bytes (decoded_size()).
 *
 * Returns 0 with *out NULL when nothing is worth cutting; 0 with *out
 * (caller frees) and *cuts (caller frees) set; -1 on ENOMEM.
 */
static int
elide(const char *msg, size_t len, size_t body, size_t keep_head,
    char **out, size_t *outlen, struct elision **cuts, size_t *n_cuts)
{
	struct buf b = BUF_INIT;
	struct elision *v = NULL;
	const char *p, *q;
	size_t i = body, e, from, to, copied = 0, n = 0, cap = 0;
	uint64_t digits;

	*out = NULL;
	*cuts = NULL;
	*n_cuts = 0;
	while (i < len) {
		e = b64_run(msg, i, len, &digits);
		if (e - i > keep_head + MIME_ELIDE_TAIL + MIME_ELIDE_MIN_GAIN &&
		    (p = memchr(msg + i + keep_head, '\n',
		    e - i - keep_head)) != NULL &&
		    (size_t)(p + 1 - msg) < e - MIME_ELIDE_TAIL &&
		    (q = memrchr(p + 1, '\n',
		    e - MIME_ELIDE_TAIL - (size_t)(p + 1 - msg))) != NULL) {
			from = (size_t)(p + 1 - msg);
			to = (size_t)(q + 1 - msg);
			if (to - from >= MIME_ELIDE_MIN_GAIN) {
				if (ARRAY_RESERVE(v, cap, n) == -1)
					goto nomem;
				buf_add(&b, msg + copied, from - copied);
				v[n].at = b.len;
				v[n].raw = to - from;
				v[n].b64 = digits - count_b64(msg + i, from - i) -
				    count_b64(msg + to, e - to);
				n++;
				copied = to;
			}
		}
		i = e + 1;
	}
	if (n == 0) {
		buf_free(&b);
		return 0;
	}
	if (buf_add(&b, msg + copied, len - copied) == -1)
		goto nomem;
	*outlen = b.len;
	*out = buf_detach(&b);
	*cuts = v;
	*n_cuts = n;
	return 0;
nomem:
	buf_free(&b);
	free(v);
	return -1;
}

static int
parse_buffer(struct walk *w, const char *msg, size_t len, size_t body_start)
{
	struct msg_facts *f = w->out;
	struct mailmime *root = NULL, *top;
	struct mailimf_fields *fields;
	size_t idx = 0;
	const char *bstart;
	int r;

	r = mailmime_parse(msg, len, &idx, &root);
	if (r == MAILIMF_ERROR_MEMORY)
		return -1;
	if (r != MAILIMF_NO_ERROR || root == NULL) {
		set_malformed(w, FACTS_MALFORMED_MIME);
		return 0;
	}
	if (root->mm_type != MAILMIME_MESSAGE ||
	    (fields = root->mm_data.mm_message.mm_fields) == NULL ||
	    fields->fld_list == NULL || clist_isempty(fields->fld_list)) {
		set_malformed(w, FACTS_MALFORMED_NO_HEADER);
		goto done;
	}
	top = root->mm_data.mm_message.mm_msg_mime;
	if (top == NULL || top->mm_body == NULL ||
	    top->mm_body->dt_type != MAILMIME_DATA_TEXT) {
		set_malformed(w, FACTS_MALFORMED_MIME);
		goto done;
	}
	/* libetpan stops silently at a header line it cannot parse. */
	bstart = top->mm_body->dt_data.dt_text.dt_data;
	if (bstart < msg || (size_t)(bstart - msg) != body_start)
		set_malformed(w, FACTS_MALFORMED_BAD_HEADER);

	take_headers(w, fields);
	if (!w->nomem && (f->top_content_type =
	    type_string(top->mm_content_type)) == NULL)
		w->nomem = 1;
	walk_node(w, top, 0, 0, 0);
	if (!w->nomem)
		take_first_text(w);
done:
	mailmime_free(root);
	return w->nomem ? -1 : 0;
}

/* parse_message() once elide() has cut msg: 0, or -1 on ENOMEM. */
static int
parse_cut(struct walk *w, const char *msg, size_t len, size_t body)
{
	size_t containers;
	char *copy;
	int r;

	if (scan_containers(msg, len, &containers)) {
		set_malformed(w, FACTS_MALFORMED_BOUNDARY);
		return 0;
	}
	if (containers > MIME_MAX_CONTAINERS) {
		set_malformed(w, FACTS_MALFORMED_CONTAINERS);
		return 0;
	}
	if (scan_comment_depth(msg, len) > MIME_MAX_COMMENT_DEPTH) {
		set_malformed(w, FACTS_MALFORMED_BAD_HEADER);
		return 0;
	}
	/*
	 * libetpan cannot parse a last header line without its line end;
	 * a message of headers only may lack it.  Parse a copy that has it.
	 */
	if (body == len && msg[len - 1] != '\n') {
		if ((copy = malloc(len + 1)) == NULL)
			return -1;
		memcpy(copy, msg, len);
		copy[len] = '\n';
		w->buf = copy;
		r = parse_buffer(w, copy, len + 1, len + 1);
		free(copy);
		return r;
	}
	w->buf = msg;
	return parse_buffer(w, msg, len, body);
}

/*
 * A message refused before libetpan read its header (a field too long, a
 * NUL byte, a hostile boundary, too many multiparts or comments) is still
 * malformed; its From and Message-ID are read anyway, when those fields
 * themselves are sound, so that the record names them (`balpctl message
 * show`, `log --partner`).  Each such field is copied alone (within
 * max_header, no NUL, few comments) into a small header of its own that
 * libetpan parses: it never sees the rest.  Only these two fields: the
 * Subject may carry a NIR, and a malformed message is decided on nothing.
 * 0, or -1 on ENOMEM.
 */
static int
salvage_headers(struct walk *w, const char *msg, size_t len)
{
	struct mailimf_fields *fields = NULL;
	struct buf from = BUF_INIT, mid = BUF_INIT, *to;
	const char *nl;
	size_t i = 0, start, n, idx = 0, froms = 0;
	int is_from, r = MAILIMF_NO_ERROR;

	while (i < len && msg[i] != '\n' && !(msg[i] == '\r' &&
	    i + 1 < len && msg[i + 1] == '\n')) {
		/* one field: its first line and its folded continuations */
		start = i;
		do {
			nl = memchr(msg + i, '\n', len - i);
			i = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		} while (i < len && is_wsp(msg[i]));
		n = i - start;
		is_from = n >= 5 && text_ascii_ncasecmp(msg + start, "From:",
		    5) == 0;
		froms += is_from;
		if (!is_from && (n < 11 || text_ascii_ncasecmp(msg + start,
		    "Message-ID:", 11) != 0))
			continue;
		to = is_from ? &from : &mid;
		if (to->len > 0 || n > w->lim->max_header ||
		    memchr(msg + start, '\0', n) != NULL ||
		    scan_comment_depth(msg + start, n) > MIME_MAX_COMMENT_DEPTH)
			continue;
		buf_add(to, msg + start, n);
		if (msg[i - 1] != '\n')
			buf_puts(to, "\n");
	}
	/* Several From: no sender to name. */
	if (froms > 1)
		buf_reset(&from);
	if (from.len + mid.len > 0) {
		buf_add(&from, mid.data, mid.len);
		buf_puts(&from, "\n");
		if (!from.failed && !mid.failed) {
			r = mailimf_fields_parse(from.data, from.len, &idx,
			    &fields);
			if (r == MAILIMF_NO_ERROR && fields != NULL) {
				take_headers(w, fields);
				mailimf_fields_free(fields);
			}
		}
	}
	r = from.failed || mid.failed || r == MAILIMF_ERROR_MEMORY ||
	    w->nomem ? -1 : 0;
	buf_free(&from);
	buf_free(&mid);
	return r;
}

static int
parse_message(const char *msg, size_t len, const struct mime_limits *lim,
    size_t heads_from, struct msg_facts *out)
{
	struct walk w;
	struct elision *cuts = NULL;
	const char *why;
	size_t hdr_end, body, cutlen = 0;
	char *cut = NULL;
	int r;

	memset(&w, 0, sizeof(w));
	w.lim = lim;
	w.out = out;
	w.scan_left = lim->max_scan_bytes;
	w.reparse_left = lim->max_scan_bytes;
	w.heads_from = heads_from;
	out->raw_size = len;
	if (msg == NULL || len == 0) {
		out->malformed = FACTS_MALFORMED_EMPTY;
		return 0;
	}
	if ((why = scan_header(msg, len, lim->max_header, &hdr_end,
	    &body)) != NULL) {
		w.malformed = why;
		if (salvage_headers(&w, msg, len) == -1) {
			facts_free(out);
			out->raw_size = len;
			return -1;
		}
		out->malformed = w.malformed;
		return 0;
	}
	if (hdr_end == 0) {
		out->malformed = FACTS_MALFORMED_NO_HEADER;
		return 0;
	}
	/* From here on, libetpan and the scans that guard it see the cut
	 * message; the first text is decoded from msg. */
	if (elide(msg, len, body, MIME_ELIDE_HEAD, &cut, &cutlen, &cuts,
	    &w.n_cuts) == -1)
		return -1;
	w.orig = msg;
	w.cuts = cuts;
	r = parse_cut(&w, cut != NULL ? cut : msg, cut != NULL ? cutlen : len,
	    body);
	free(cut);
	free(cuts);
	/* Refused before its header was read: what can be, for the record. */
	if (r == 0 && w.malformed != NULL && out->from_count == 0 &&
	    out->message_id == NULL)
		r = salvage_headers(&w, msg, hdr_end);
	if (r == -1) {
		facts_free(out);
		out->raw_size = len;
		return -1;
	}
	out->malformed = w.malformed;
	return 0;
}


int
mime_parse(const char *msg, size_t len, const struct mime_limits *lim,
    struct msg_facts *out)
{
	return mime_parse_heads(msg, len, lim, SIZE_MAX, out);
}

int
mime_parse_heads(const char *msg, size_t len, const struct mime_limits *lim,
    size_t heads_from, struct msg_facts *out)
{
	int r;

	r = parse_message(msg, len, lim, heads_from, out);
	/* The table's pointer: one address per reason in the process. */
	if (out->malformed != NULL)
		out->malformed = facts_malformed_static(out->malformed);
	return r;
}

/* ------------------------------------------------------------------ */
/* The isolated parse (docs/sandbox.md)                                */

int
mime_worker(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	struct msg_facts f;
	char *data;
	size_t n;
	int r;

	facts_init(&f);
	r = mime_parse_heads(in, len, arg, opt == 0 || opt - 1 > SIZE_MAX ?
	    SIZE_MAX : (size_t)(opt - 1), &f);
	data = r == 0 ? facts_serialize(&f, &n) : NULL;
	facts_free(&f);
	if (data == NULL)
		return -1;
	r = buf_add(out, data, n);
	free(data);
	return r;
}

/*
 * iconv loads its converters (gconv) on first use, per process, with
 * open(): in a worker under seccomp it cannot, and every charset would be
 * read as windows-1252.  Parsing this fixed, harmless message loads the
 * ones mail uses; done before the filter, or in a parent before it forks
 * (a worker forked from it inherits them: loading them in each fresh
 * child made isolation cost x9, tests/bench/triage.sh).
 */
static const char warm_up_msg[] =
    "From: =?ISO-8859-1?Q?Andr=E9?= <a@b.test>\n"
    "Subject: =?windows-1252?Q?=80?= =?UTF-8?B?w6k=?= =?ISO-8859-15?Q?=A4?=\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\n"
    "caf=E9\n";

static void
warm_up_parse(void)
{
	static const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct msg_facts f;

	facts_init(&f);
	(void)mime_parse(warm_up_msg, sizeof(warm_up_msg) - 1, &lim, &f);
	facts_free(&f);
}

/*
 * Loaded is not enough in a long-lived worker: glibc unloads a converter
 * module a few releases after its last descriptor is closed (gconv_dl.c,
 * TRIES_BEFORE_UNLOAD), and the worker could not load it again.  One
 * descriptor per module the warm-up loads stays open for the life of the
 * worker, which ends with _exit (nothing to free: a daemon's own exit
 * stays leak-free under valgrind).
 */
static const char *const warm_charsets[] = {
	"ISO-8859-1", "ISO-8859-15", "WINDOWS-1252",
};
static iconv_t warm_held[sizeof(warm_charsets) / sizeof(warm_charsets[0])];

int
mime_warm_up(void *arg, struct buf *err)
{
	static int held;
	size_t i;

	(void)arg;	/* the sandbox's argument is the parser's, not ours */
	if (!held) {
		for (i = 0; i < sizeof(warm_held) / sizeof(warm_held[0]); i++)
			warm_held[i] = iconv_open("UTF-8", warm_charsets[i]);
		held = 1;
	}
	/*
	 * Without its database libmagic types nothing, and content checks
	 * would be silently weaker: no worker rather than a degraded one.
	 * Tried again at the next warm-up (the zygote's next request).
	 */
	if (mime_magic == NULL)
		mime_magic_tried = 0;	/* the cause may have been fixed */
	if (magic_cookie() == NULL) {
		buf_printf(err, "libmagic's database (%s) cannot be loaded: "
		    "attachments could not be typed", getenv("MAGIC") != NULL ?
		    getenv("MAGIC") : "the system's magic.mgc, package "
		    "libmagic-mgc");
		return -1;
	}
	warm_up_parse();
	return 0;
}
