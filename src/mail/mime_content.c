/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_content - a leaf's body as received (elided bytes put back,
 * transfer encoding undone), typed by libmagic and inspected
 * (include/balp/content.h, docs/content.md), and a forwarded message found
 * in it opened and walked as the rest of the message.
 */
#include "mime_priv.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/text.h"

#include <magic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Bodies as received                                                  */

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
char *
mime_decode_body(const struct mailmime_data *d, size_t enc_cap, size_t *outlen,
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
 * *out: d as in the message received, when mime_elide() cut into it
 * (the text is decoded from all of its bytes, as if nothing had been
 * cut).
 */
void
mime_unelide(const struct walk *w, const struct mailmime_data *d,
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

/* ------------------------------------------------------------------ */
/* Content inspection (content.h)                                      */

/*
 * libmagic's cookie for the process: loaded once, by the worker's warm-up
 * before its seccomp filter (magic_load opens the database), or on first
 * use where nothing filters open().  Process state like the iconv
 * descriptors mime_worker.c holds: the mail layer's, never the core's.
 * NULL when the database could not be loaded: every attachment is then
 * recorded CONTENT_NOT_INSPECTED, which quarantines it, rather than let
 * mail pass unexamined.
 */
magic_t	mime_magic;
int	mime_magic_tried;

magic_t
mime_magic_cookie(void)
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
 * printable through libetpan on a padded copy (mime_decode_body).  -1 on
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
	mime_unelide(w, d, &full);
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
		if ((qp = mime_decode_body(&full, k, len, &nomem)) == NULL)
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
	magic_t m = mime_magic_cookie();
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
	mime_unelide(w, d, &full);
	return (size_t)(full.dt_data.dt_text.dt_data - w->orig);
}

/* ------------------------------------------------------------------ */
/* Forwarded messages                                                  */

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
		mime_set_malformed(w, FACTS_MALFORMED_DEPTH);
		return;
	}
	if ((why = mime_scan_header(s, len, w->lim->max_header, &hdr_end,
	    &body)) != NULL) {
		mime_set_malformed(w, why);
		return;
	}
	if (body >= len)
		return;		/* a header and no body: nothing inside */
	if (mime_scan_containers(s, len, &containers)) {
		mime_set_malformed(w, FACTS_MALFORMED_BOUNDARY);
		return;
	}
	if (containers > MIME_MAX_CONTAINERS) {
		mime_set_malformed(w, FACTS_MALFORMED_CONTAINERS);
		return;
	}
	if (mime_scan_comment_depth(s, len) > MIME_MAX_COMMENT_DEPTH) {
		mime_set_malformed(w, FACTS_MALFORMED_BAD_HEADER);
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
		mime_set_malformed(w, FACTS_MALFORMED_MIME);
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
	sub.grab = w->grab;
	sub.grab_index = w->grab_index;
	sub.grabbed = w->grabbed;
	mime_walk_node(&sub, root->mm_data.mm_message.mm_msg_mime, depth + 1,
	    1, 0);
	w->malformed = sub.malformed;
	w->nomem |= sub.nomem;
	w->scan_left = sub.scan_left;
	w->reparse_left = sub.reparse_left;
	w->grabbed = sub.grabbed;
	mailmime_free(root);
}

/*
 * Reads the leaf's bytes and records what they are in p: an attachment
 * is typed and inspected whole (within the message's scan budget); the
 * message's own text only looked at for hidden files.
 */
void
mime_inspect_leaf(struct walk *w, struct mailmime *m, struct part_facts *p,
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
	/* The bytes asked for (mime_part_bytes), as decoded, whole only. */
	if (w->grab != NULL && !w->grabbed && whole &&
	    (size_t)(p - w->out->parts) == w->grab_index) {
		if (buf_add(w->grab, b, len) == -1)
			w->nomem = 1;
		w->grabbed = 1;
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
