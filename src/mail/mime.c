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
 *     section, NUL bytes in it and over-long fields (mime_scan.c).
 *  2. mailmime_parse() on the whole message.  It does not copy: the tree
 *     points into the buffer, which therefore outlives the tree.
 *  3. Header facts from the root's mailimf fields.  libetpan silently
 *     turns a From it cannot parse into an optional field named "From",
 *     and silently stops at a header line it cannot parse (the rest
 *     becomes body): both are caught, as "several From" / "From
 *     without usable address" (mime_header.c) and "unparseable header"
 *     (parse_buffer() here).
 *  4. A walk of the MIME tree, bounded by max_depth, recording leaves.
 *     A multipart whose boundary line never appears is malformed: libetpan
 *     then invents a part and hides the others in the preamble.  A file
 *     name libetpan drops or cuts (missing ';', open quote, spaces) is
 *     read again from the raw part header, because a mail client shows it
 *     and the attachment policy must judge it (mime_param.c).  Each leaf's
 *     body is typed and inspected, a forwarded message in it opened and
 *     walked too (mime_content.c).
 *  5. The first text part decoded and converted to UTF-8 (an HTML one
 *     made plain text by html_to_text(), include/balp/html.h).
 *
 * libetpan is lenient (bad encoded words become '?', unknown charsets are
 * read as ISO-8859-1), so every decoded string is checked for UTF-8 and
 * cleaned of controls by the parser (mime_header.c).  RFC 2231 parameters
 * are decoded by it too (mime_param.c): libetpan leaves them raw.
 *
 * The parser's files share src/mail/mime_priv.h (the walk's state); this
 * one holds the entry points, the walk and the first text; the isolated
 * parse is mime_worker.c.
 *
 * Ownership: everything put in the facts is a fresh copy; every libetpan
 * object is freed with its own *_free before return.
 * Failures: -1 only on allocation failure; a message we cannot read well
 * enough gets out->malformed (a FACTS_MALFORMED_* string) and 0.
 */
#include "mime_priv.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/html.h"
#include "balp/text.h"

#include <libetpan/libetpan.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* 4. The MIME tree: the walk                                          */

static void
leaf(struct walk *w, struct mailmime *m, size_t depth, int in_message,
    int in_alternative)
{
	struct mailmime_single_fields sf;
	char *ct, *fn;
	int disp_att, plain, html, own_text, msg_text;

	mailmime_single_fields_init(&sf, m->mm_mime_fields, m->mm_content_type);
	if ((ct = mime_type_string(m->mm_content_type)) == NULL) {
		w->nomem = 1;
		return;
	}
	mime_utf8_truncate(ct, w->lim->max_header);
	fn = mime_part_filename(w, m, &sf);
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
	 * opened by open_forwarded(), mime_content.c) has its own text,
	 * judged as a text (hidden files), and its attachments, judged as
	 * attachments; none of it is the first text.
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
	else if (facts_add_part(w->out, ct, fn,
	    mime_decoded_size(w, m->mm_body), !msg_text, (int)depth) == -1)
		w->nomem = 1;
	else {
		w->out->parts[w->out->n_parts - 1].embedded =
		    w->parent_related && sf.fld_id != NULL && !disp_att;
		if (in_message)
			w->out->parts[w->out->n_parts - 1].findings |=
			    CONTENT_FORWARDED;
		mime_inspect_leaf(w, m, &w->out->parts[w->out->n_parts - 1],
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

void
mime_walk_node(struct walk *w, struct mailmime *m, size_t depth, int in_message,
    int in_alternative)
{
	clistiter *it;
	int alt, related, saved, seen_text, seen_html;

	if (w->nomem || m == NULL)
		return;
	if (depth > w->lim->max_depth) {
		mime_set_malformed(w, FACTS_MALFORMED_DEPTH);
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
			mime_set_malformed(w, FACTS_MALFORMED_MIME);
			return;
		}
		related = mime_has_subtype(m->mm_content_type, "related");
		alt = mime_has_subtype(m->mm_content_type, "alternative") ||
		    related;
		saved = w->parent_related;
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list);
		    it != NULL && !w->nomem; it = clist_next(it)) {
			w->parent_related = related;
			mime_walk_node(w, clist_content(it), depth + 1,
			    in_message, alt);
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
			mime_walk_node(w, m->mm_data.mm_message.mm_msg_mime,
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
	mime_unelide(w, d, &whole);
	if ((dec = mime_decode_body(&whole, cap > SIZE_MAX / 4 ? SIZE_MAX :
	    cap * 3 + 1024, &declen, &w->nomem)) == NULL)
		return NULL;
	cs = mailmime_content_param_get(m->mm_content_type, "charset");
	u = mime_to_utf8(dec, declen < cap ? declen : cap, cs);
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
	mime_utf8_truncate(c, max);
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
		mime_set_malformed(w, FACTS_MALFORMED_MIME);
		return 0;
	}
	if (root->mm_type != MAILMIME_MESSAGE ||
	    (fields = root->mm_data.mm_message.mm_fields) == NULL ||
	    fields->fld_list == NULL || clist_isempty(fields->fld_list)) {
		mime_set_malformed(w, FACTS_MALFORMED_NO_HEADER);
		goto done;
	}
	top = root->mm_data.mm_message.mm_msg_mime;
	if (top == NULL || top->mm_body == NULL ||
	    top->mm_body->dt_type != MAILMIME_DATA_TEXT) {
		mime_set_malformed(w, FACTS_MALFORMED_MIME);
		goto done;
	}
	/* libetpan stops silently at a header line it cannot parse. */
	bstart = top->mm_body->dt_data.dt_text.dt_data;
	if (bstart < msg || (size_t)(bstart - msg) != body_start)
		mime_set_malformed(w, FACTS_MALFORMED_BAD_HEADER);

	mime_take_headers(w, fields);
	if (!w->nomem && (f->top_content_type =
	    mime_type_string(top->mm_content_type)) == NULL)
		w->nomem = 1;
	mime_walk_node(w, top, 0, 0, 0);
	if (!w->nomem)
		take_first_text(w);
done:
	mailmime_free(root);
	return w->nomem ? -1 : 0;
}

/* parse_message() once mime_elide() has cut msg: 0, or -1 on ENOMEM. */
static int
parse_cut(struct walk *w, const char *msg, size_t len, size_t body)
{
	size_t containers;
	char *copy;
	int r;

	if (mime_scan_containers(msg, len, &containers)) {
		mime_set_malformed(w, FACTS_MALFORMED_BOUNDARY);
		return 0;
	}
	if (containers > MIME_MAX_CONTAINERS) {
		mime_set_malformed(w, FACTS_MALFORMED_CONTAINERS);
		return 0;
	}
	if (mime_scan_comment_depth(msg, len) > MIME_MAX_COMMENT_DEPTH) {
		mime_set_malformed(w, FACTS_MALFORMED_BAD_HEADER);
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
		} while (i < len && mime_is_wsp(msg[i]));
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
		    mime_scan_comment_depth(msg + start, n) >
		    MIME_MAX_COMMENT_DEPTH)
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
				mime_take_headers(w, fields);
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
    size_t heads_from, struct msg_facts *out, struct buf *grab,
    size_t grab_index, int *grabbed)
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
	w.grab = grab;
	w.grab_index = grab_index;
	out->raw_size = len;
	if (msg == NULL || len == 0) {
		out->malformed = FACTS_MALFORMED_EMPTY;
		return 0;
	}
	if ((why = mime_scan_header(msg, len, lim->max_header, &hdr_end,
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
	if (mime_elide(msg, len, body, MIME_ELIDE_HEAD, &cut, &cutlen, &cuts,
	    &w.n_cuts) == -1)
		return -1;
	w.orig = msg;
	w.cuts = cuts;
	r = parse_cut(&w, cut != NULL ? cut : msg, cut != NULL ? cutlen : len,
	    body);
	free(cut);
	free(cuts);
	if (grabbed != NULL)
		*grabbed = w.grabbed && !w.nomem;
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

	r = parse_message(msg, len, lim, heads_from, out, NULL, 0, NULL);
	/* The table's pointer: one address per reason in the process. */
	if (out->malformed != NULL)
		out->malformed = facts_malformed_static(out->malformed);
	return r;
}

int
mime_part_bytes(const char *msg, size_t len, const struct mime_limits *lim,
    size_t heads_from, size_t index, struct buf *out)
{
	struct msg_facts f;
	int r, grabbed = 0;

	facts_init(&f);
	r = parse_message(msg, len, lim, heads_from, &f, out, index, &grabbed);
	/* The same walk as mime_parse's, so the same index is the same part. */
	if (r == 0 && (f.malformed != NULL || index >= f.n_parts))
		grabbed = 0;
	facts_free(&f);
	if (r == -1 || out->failed)
		return -1;
	return grabbed ? 0 : 1;
}
