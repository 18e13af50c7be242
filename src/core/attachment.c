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
