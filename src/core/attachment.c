/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attachment - the attachment policy (see attachment.h).
 *
 * Names come from the sender: they are read, never changed (the part is
 * const), so the extension is a span into the name with a length, and
 * every comparison is bounded by that length and ASCII case-insensitive.
 * Trailing dots and spaces are dropped before looking for the extension
 * because Windows drops them when it saves the file: "virus.exe." would
 * otherwise pass as having no extension and then run as an .exe.
 *
 * Ownership: nothing is allocated.  There is no failure mode: a missing
 * name or type simply matches nothing.
 */
#include "balp/attachment.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/text.h"

#include <string.h>

const char *
attachment_extension_span(const char *filename, size_t *len)
{
	const char *dot = NULL;
	size_t n, i;

	*len = 0;
	if (filename == NULL)
		return "";
	n = strlen(filename);
	while (n > 0 && (filename[n - 1] == '.' || filename[n - 1] == ' '))
		n--;
	/* a '.' before the last '/' or '\\' belongs to a folder name */
	for (i = 0; i < n; i++) {
		if (filename[i] == '/' || filename[i] == '\\')
			dot = NULL;
		else if (filename[i] == '.')
			dot = filename + i;
	}
	if (dot == NULL)
		return "";
	*len = (size_t)(filename + n - (dot + 1));
	return dot + 1;
}

const char *
attachment_extension(const char *filename)
{
	size_t len;

	return attachment_extension_span(filename, &len);
}

/* 1 if s[0..n) equals an entry of w as a whole string. */
static int
listed(const struct wordlist *w, const char *s, size_t n)
{
	size_t k;

	if (n == 0)
		return 0;
	for (k = 0; k < w->n; k++)
		if (w->ent[k].len == n && text_ascii_ncasecmp(w->v[k], s, n) == 0)
			return 1;
	return 0;
}

/* The bare type of a content type: parameters and blanks cut off. */
static size_t
bare_type_len(const char *ct)
{
	size_t n = 0;

	while (ct[n] != '\0' && ct[n] != ';')
		n++;
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n;
}

/* 1 if the content type matches an entry: exact, or "image/" + "*". */
static int
type_listed(const struct wordlist *w, const char *ct)
{
	size_t k, n, en;
	const char *e;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if ((n = bare_type_len(ct)) == 0)
		return 0;
	for (k = 0; k < w->n; k++) {
		e = w->v[k];
		en = w->ent[k].len;
		if (en >= 2 && e[en - 1] == '*' && e[en - 2] == '/') {
			/* any subtype, but there must be one */
			if (n > en - 1 && text_ascii_ncasecmp(e, ct, en - 1) == 0)
				return 1;
		} else if (en == n && text_ascii_ncasecmp(e, ct, n) == 0)
			return 1;
	}
	return 0;
}

/* 1 if the content type is an entry word for word (no wildcard). */
static int
type_listed_exactly(const struct wordlist *w, const char *ct)
{
	size_t k, n;

	if (ct == NULL || (n = bare_type_len(ct)) == 0)
		return 0;
	for (k = 0; k < w->n; k++)
		if (w->ent[k].len == n &&
		    text_ascii_ncasecmp(w->v[k], ct, n) == 0)
			return 1;
	return 0;
}

unsigned
attachment_content_faults(const struct rules *r, const struct part_facts *p)
{
	const char *ext;
	unsigned f = p->findings & CONTENT_FORBIDDEN, mask;
	size_t n;

	/*
	 * The message's own text is inspected for hidden files only: its
	 * HTML is the message, not an attachment.
	 */
	mask = p->is_attachment ? CONTENT_FORBIDDEN : CONTENT_HIDDEN_FILE |
	    CONTENT_NOT_INSPECTED;
	if (!r->archives_forbidden)
		mask &= ~CONTENT_ARCHIVE;
	f &= mask;
	if (p->is_attachment && p->sniffed_type != NULL) {
		ext = attachment_extension_span(p->filename, &n);
		if (content_mismatch(p->sniffed_type, p->findings,
		    p->content_type, ext, n))
			f |= ATTACHMENT_MISMATCH;
	}
	return f;
}

int
attachment_forbidden(const struct rules *r, const struct part_facts *p)
{
	const char *ext;
	size_t n;

	ext = attachment_extension_span(p->filename, &n);
	if (type_listed(&r->forbidden_types, p->content_type) ||
	    listed(&r->forbidden_extensions, ext, n))
		return 1;
	if (r->archives_forbidden &&
	    (type_listed(&r->archive_types, p->content_type) ||
	    listed(&r->archive_extensions, ext, n)))
		return 1;
	return attachment_content_faults(r, p) != 0;
}

int
attachment_fulfils(const struct request_type *t, const struct part_facts *p)
{
	const char *ext;
	size_t n;

	if (t == NULL)
		return 0;
	if (t->needs_types.n == 0 && t->needs_extensions.n == 0)
		return 1;
	/*
	 * The document a partner attaches has a name and is no picture of
	 * the HTML body: Outlook names its signature logo image001.png, but
	 * it sits in multipart/related behind a Content-ID (embedded).
	 */
	if (p->filename == NULL || p->filename[0] == '\0' || p->embedded)
		return 0;
	ext = attachment_extension_span(p->filename, &n);
	if (!type_listed(&t->needs_types, p->content_type) &&
	    !listed(&t->needs_extensions, ext, n))
		return 0;
	/*
	 * And it must be one by content: a RIB's "PDF" that libmagic does
	 * not read as a PDF (or image) is not the RIB.  Facts without a
	 * sniffed type come from no inspection (older facts, tests) and
	 * are judged by type and name as before.
	 */
	if (p->sniffed_type == NULL)
		return !(p->findings & CONTENT_NOT_INSPECTED);
	if (p->findings & (CONTENT_MARKUP | CONTENT_EXECUTABLE))
		return 0;
	return t->needs_types.n == 0 ||
	    type_listed(&t->needs_types, p->sniffed_type);
}

/* ------------------------------------------------------------------ */
/* What was found, for the record                                      */

/*
 * 1 if t is a word everyone's lists know (a type of the rules, or one
 * whose kind content.c knows), so that writing it discloses nothing the
 * sender chose freely.
 */
static int
type_known(const struct rules *r, const char *t)
{
	static const char *const plain[] = { "application/octet-stream",
	    "message/rfc822", "message/global", "text/plain", "text/html",
	    "text/calendar", "application/ms-tnef", "application/vnd.ms-tnef",
	    NULL };
	size_t k;

	if (t == NULL || t[0] == '\0' || strlen(t) > 100)
		return 0;
	for (k = 0; plain[k] != NULL; k++)
		if (strcmp(t, plain[k]) == 0)
			return 1;
	/*
	 * Word for word only: a prefix or a wildcard (image/ and any
	 * subtype) would let the sender's own words through
	 * ("image/jpeg2870634172058...", found by fuzz_decide).
	 */
	if (content_type_standard(t) ||
	    type_listed_exactly(&r->forbidden_types, t) ||
	    type_listed_exactly(&r->archive_types, t))
		return 1;
	for (k = 0; k < r->n_types; k++)
		if (type_listed_exactly(&r->types[k].needs_types, t))
			return 1;
	return 0;
}
/* Same for an extension ext[0..n): known to the rules or to content.c. */
static int
extension_known(const struct rules *r, const char *ext, size_t n)
{
	size_t k;

	if (n == 0 || n > 10)
		return 0;
	for (k = 0; k < n; k++)
		if (!((ext[k] >= 'a' && ext[k] <= 'z') ||
		    (ext[k] >= 'A' && ext[k] <= 'Z') ||
		    (ext[k] >= '0' && ext[k] <= '9')))
			return 0;
	if (content_kind_of_extension(ext, n) != CONTENT_KIND_UNKNOWN ||
	    listed(&r->forbidden_extensions, ext, n) ||
	    listed(&r->archive_extensions, ext, n))
		return 1;
	for (k = 0; k < r->n_types; k++)
		if (listed(&r->types[k].needs_extensions, ext, n))
			return 1;
	return 0;
}

/* ", word" (or "word" first) after the part's description. */
static void
finding(struct buf *b, int *first, const char *word)
{
	buf_puts(b, *first ? ": " : ", ");
	buf_puts(b, word);
	*first = 0;
}

int
attachment_findings(const struct rules *r, const struct msg_facts *f,
    struct buf *out)
{
	const struct part_facts *p;
	const char *ext;
	unsigned faults;
	size_t i, k, n;
	int first, by_type, by_ext;

	/* What made the message itself unreadable: a static, fixed text. */
	if (f->malformed != NULL)
		buf_printf(out, "message malformed: %s\n", f->malformed);
	else if (f->truncated_parts)
		buf_puts(out, "message malformed: more parts than "
		    "limits.max_parts, the rest not inspected\n");
	for (i = 0; i < f->n_parts; i++) {
		p = &f->parts[i];
		faults = attachment_content_faults(r, p);
		ext = attachment_extension_span(p->filename, &n);
		by_type = type_listed(&r->forbidden_types, p->content_type) ||
		    (r->archives_forbidden &&
		    type_listed(&r->archive_types, p->content_type));
		by_ext = listed(&r->forbidden_extensions, ext, n) ||
		    (r->archives_forbidden &&
		    listed(&r->archive_extensions, ext, n));
		if (faults == 0 && !by_type && !by_ext &&
		    !(p->findings & (CONTENT_TOO_LARGE | CONTENT_ENCRYPTED)))
			continue;
		/*
		 * Which part: its number, the types, the extension; never its
		 * name, which a partner often makes of the beneficiary's
		 * ("RIB_Mercier.pdf"), nor a type or extension nobody lists
		 * (free text too).  The message itself, in quarantine, has
		 * the rest.
		 */
		buf_printf(out, "part %zu %s", i + 1,
		    type_known(r, p->content_type) ? p->content_type :
		    "(other type)");
		if (p->sniffed_type != NULL && type_known(r, p->sniffed_type) &&
		    strcmp(p->sniffed_type, p->content_type) != 0)
			buf_printf(out, " (content %s)", p->sniffed_type);
		if (extension_known(r, ext, n)) {
			buf_puts(out, " .");
			for (k = 0; k < n; k++)
				buf_printf(out, "%c", text_ascii_lower(ext[k]));
		} else if (n > 0)
			buf_puts(out, " (other extension)");
		if (p->findings & CONTENT_FORWARDED)
			buf_puts(out, " in a forwarded mail");
		first = 1;
		if (by_type)
			finding(out, &first, "type forbidden");
		if (by_ext)
			finding(out, &first, "extension forbidden");
		if (faults & CONTENT_EXECUTABLE)
			finding(out, &first, "executable");
		if (faults & CONTENT_ARCHIVE)
			finding(out, &first, "archive");
		if (faults & CONTENT_MACRO)
			finding(out, &first, "macro");
		if (faults & CONTENT_PDF_ACTIVE)
			finding(out, &first,
			    "JavaScript, actions or embedded files (PDF)");
		if (faults & CONTENT_MARKUP)
			finding(out, &first, "markup (HTML, SVG)");
		if (faults & CONTENT_HIDDEN_FILE)
			finding(out, &first, "file hidden in the text");
		if (faults & ATTACHMENT_MISMATCH)
			finding(out, &first,
			    "content contradicts its type or name");
		if (faults & CONTENT_NOT_INSPECTED)
			finding(out, &first, "not inspected: unreadable");
		if (p->findings & CONTENT_ENCRYPTED)
			finding(out, &first, "encrypted");
		if (p->findings & CONTENT_TOO_LARGE)
			buf_printf(out, "%snot inspected: too large "
			    "(%llu bytes)", first ? ": " : ", ",
			    (unsigned long long)p->size);
		buf_puts(out, "\n");
	}
	return out->failed ? -1 : 0;
}
