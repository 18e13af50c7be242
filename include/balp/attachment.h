/* SPDX-License-Identifier: Apache-2.0 */
/*
 * attachment - the attachment policy, pure.
 *
 * Forbidden: a part whose MIME type is in the forbidden list, or whose
 * file name's last extension is (double extensions like "rib.pdf.exe" are
 * judged by the last one); archives too when the rules say so; and a part
 * whose bytes the parser found to be an executable, an archive, a macro
 * document, an active PDF, markup, a hidden file, or other than its type
 * or name says (content.h, DESIGN.md "Decision").  Needed: a request type
 * may require an attachment of given types/extensions (a RIB needs a PDF
 * or an image), that is one by content (its sniffed type is in the same
 * list), and only a part with a file name counts: a nameless inline image
 * is a logo of the HTML body, not the RIB.
 *
 * Names are judged as Windows would open them: trailing dots and spaces
 * are ignored ("virus.exe." and "virus.exe  " are .exe), only the last
 * path component counts, and extensions and types compare ASCII
 * case-insensitively ("RIB.EXE").  List entries are whole strings; a type
 * entry ending in "/" "*" matches any subtype.  A part without a file name
 * is judged by its type alone.
 */
#ifndef BALP_ATTACHMENT_H
#define BALP_ATTACHMENT_H

#include <stddef.h>

#include "balp/facts.h"
#include "balp/rules.h"

/*
 * 1 if this part may not enter the BALP: by its declared type or name as
 * above, or by its content (attachment_content_faults() not 0).
 */
int	 attachment_forbidden(const struct rules *, const struct part_facts *);

/*
 * Content found by the parser's inspection (the part's findings, see
 * content.h) that forbids this part: the CONTENT_FORBIDDEN bits that
 * apply (for the message's own text, only a hidden file or a part that
 * could not be read; archives only when the rules forbid them), plus
 * ATTACHMENT_MISMATCH when the content contradicts the declared type or
 * the name's extension (content_mismatch()).  0 if none.
 */
#define ATTACHMENT_MISMATCH	0x10000U
unsigned attachment_content_faults(const struct rules *,
	    const struct part_facts *);

/*
 * 1 if this part satisfies the type's attachment requirement: its MIME
 * type is in needs_types or its extension in needs_extensions.  Also 1
 * when the type needs nothing (both lists empty); 0 for a NULL type.
 * Whether the part is an attachment at all is the caller's to check.
 */
int	 attachment_fulfils(const struct request_type *,
	    const struct part_facts *);

/*
 * Appends to out what made parts of f forbidden, too large or encrypted,
 * one line per such part: "part 3 application/pdf .pdf in a forwarded
 * mail: executable, content contradicts its type or name"; first, when
 * the message is malformed, why ("message malformed: header field too
 * long": facts.h's fixed texts).  For the
 * record (decision_findings, `balpctl message show`), so never a file
 * name (partners name files after the beneficiary), and a declared type
 * or an extension only when a list (the rules', content.h's) knows it.
 * 0, or -1 when out failed.
 */
struct buf;
int	 attachment_findings(const struct rules *, const struct msg_facts *,
	    struct buf *out);

/*
 * The extension after the last '.' of the name's last path component,
 * trailing dots and spaces ignored: a pointer into filename (case kept)
 * and its length in *len.  The extension is NOT terminated there ("exe."
 * for "virus.exe."): compare *len bytes.  "" and 0 when there is none or
 * filename is NULL.
 */
const char *attachment_extension_span(const char *filename, size_t *len);

/*
 * Where the extension starts in filename (see above), or "".  Case is
 * kept and trailing dots or spaces may follow it: to compare, use
 * attachment_extension_span() and its length.
 */
const char *attachment_extension(const char *filename);

#endif
