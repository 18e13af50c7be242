/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime - raw message bytes -> struct msg_facts, with libetpan.
 *
 * Headers are unfolded; RFC 2047 encoded words decoded (UTF-8, ISO-8859-1,
 * windows-1252, adjacent words joined); raw 8-bit UTF-8 headers accepted
 * (invalid UTF-8 read as windows-1252); the multipart tree walked to
 * max_depth; attachments' types, names (RFC 2047 and RFC 2231) and decoded
 * sizes recorded; the first text part decoded to UTF-8, up to max_text
 * bytes; each attachment's bytes decoded from the message as received
 * (up to max_scan_bytes per message), typed by libmagic and inspected
 * (content.h: part_facts.sniffed_type and findings); text parts looked
 * at for hidden files.  A message that cannot be parsed well enough to
 * decide gets
 * facts.malformed set; nothing here ever aborts on input.
 *
 * libetpan 1.9.4 overflows the heap on a boundary that unquotes to a lone
 * '"' (docs/libetpan.md): such messages are refused as malformed before
 * libetpan sees them.  The daemon still parses in a sandboxed worker
 * (mime_worker run by the sandbox module, see sandbox.h) in case of the
 * next such bug.
 *
 * Malformed (facts.malformed, one of FACTS_MALFORMED_*): empty input; no
 * header; a header line libetpan cannot parse; a NUL byte in the header;
 * a header field (folded lines included) over max_header bytes; no From,
 * several From fields or mailboxes, a From without addr-spec; nesting
 * over max_depth; a multipart without its boundary line; the hostile
 * boundary; more containers or nested comments than libetpan's stack
 * takes.  Headers, parts and text are still filled as far as they could
 * be read, for the record.
 *
 * is_attachment is 0 for a message's own text only: the first
 * text/plain or text/html leaf without a name and not disposition
 * "attachment", and the other text parts of a multipart/alternative or
 * related beside it.  A forwarded message (message/rfc822 in any transfer
 * encoding, or any attachment whose decoded bytes start with a mail's
 * header block: an .eml sent as application/octet-stream) is opened and
 * walked on from its part's depth, max_depth counting through every
 * wrapping: its own text is a text (is_attachment 0), its attachments are
 * attachments, and every part inside carries CONTENT_FORWARDED.
 * first_text is the first own text/plain of the message itself, else its
 * first own text/html with tags stripped; never a forwarded one's.
 *
 * A part past the scan budget, or fetched by its head only, is
 * CONTENT_TOO_LARGE (typed by its head, what the head shows kept), never
 * CONTENT_NOT_INSPECTED for that alone.  A message refused before its
 * header was parsed (a field too long, a NUL, a hostile boundary, too
 * many containers or comments) keeps its From and Message-ID when those
 * fields are sound.
 */
#ifndef BALP_MIME_H
#define BALP_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"
#include "balp/facts.h"

struct mime_limits {
	size_t	max_depth;	/* multipart nesting; deeper = malformed */
	size_t	max_parts;	/* leaf parts recorded */
	size_t	max_text;	/* bytes of first text kept */
	size_t	max_header;	/* bytes of one header field's value */
	/*
	 * Decoded bytes of attachments inspected per message (content.h);
	 * a part beyond it is sniffed by its head only and recorded
	 * CONTENT_TOO_LARGE.  More than the largest message the rules
	 * accept (15M), so that every acceptable message is read whole.
	 */
	size_t	max_scan_bytes;
};

/*
 * Decoded bytes of a part libmagic is shown: its formats are recognised
 * by their first bytes, and its text checks read all it is given.  A part
 * past the scan budget is still decoded this far, to be typed (and a
 * source that fetches parts fetches that much of it: docs/imap.md).
 */
#define MIME_SNIFF_HEAD		((size_t)64 << 10)

#define MIME_LIMITS_DEFAULT { 32, 256, 65536, 65536, (size_t)16 << 20 }

/*
 * Fills out (which must be facts_init'ed).  Returns 0, or -1 only on
 * allocation failure.  A malformed message is a 0 return with
 * out->malformed set.
 */
int	 mime_parse(const char *msg, size_t len, const struct mime_limits *,
	    struct msg_facts *out);

/*
 * mime_parse of a message whose source fetched, from byte heads_from on,
 * only the head of each body (docs/imap.md: an IMAP message larger than
 * the scan budget): those bodies are judged as bodies past the budget
 * are, typed by their head and CONTENT_TOO_LARGE.  SIZE_MAX: a whole
 * message (mime_parse).
 */
int	 mime_parse_heads(const char *msg, size_t len,
	    const struct mime_limits *, size_t heads_from,
	    struct msg_facts *out);

/*
 * The decoded bytes of the part of that index in the facts mime_parse_heads
 * gives for the same message and limits (the same walk), appended to out:
 * 0; 1 when there is no such part, the message is malformed, or the part
 * was not read whole (past the scan budget); -1 on ENOMEM.  For the annex
 * file of a referent's mail, read in a sandboxed worker (mime_annex.c).
 */
int	 mime_part_bytes(const char *msg, size_t len,
	    const struct mime_limits *, size_t heads_from, size_t index,
	    struct buf *out);

/*
 * The parse as a sandbox job (sandbox_fn): arg is a const struct
 * mime_limits *.  Parses in[0..len) with mime_parse_heads (opt: 0 for a
 * whole message, else 1 + heads_from) and appends facts_serialize's bytes
 * to out, for facts_deserialize in the parent.  0, or -1 on allocation
 * failure (the job then fails).  With MIME_OPT_ANNEX in opt, the job is
 * mime_annex_worker's instead.
 */
#define MIME_OPT_ANNEX		((uint64_t)1 << 63)
#define MIME_OPT_INDEX_SHIFT	40
#define MIME_OPT_INDEX_MASK	((uint64_t)0x7fffff)
#define MIME_OPT_HEADS_MASK	(((uint64_t)1 << MIME_OPT_INDEX_SHIFT) - 1)

/* The option of an annex job: the part's index, and 0 or 1 + heads_from. */
#define MIME_OPT_ANNEX_JOB(index, heads) (MIME_OPT_ANNEX | \
	((uint64_t)(index) & MIME_OPT_INDEX_MASK) << MIME_OPT_INDEX_SHIFT | \
	((uint64_t)(heads) & MIME_OPT_HEADS_MASK))

/*
 * The annex file of a referent's mail as a sandbox job (docs/annex-mail.md):
 * the part of index (opt's MIME_OPT_INDEX bits) of in[0..len), decoded as
 * mime_part_bytes gives it, read by annex_file_parse; appends
 * annex_wire_put's answer (the rows, or every error, and the file).  A part
 * that cannot be had whole is an answer with that error.  0, or -1 on
 * allocation failure.
 */
int	 mime_annex_worker(const char *in, size_t len, uint64_t opt,
	    struct buf *out, void *arg);

int	 mime_worker(const char *in, size_t len, uint64_t opt, struct buf *out,
	    void *arg);

/*
 * The sandbox's warm-up (sandbox_warmup_fn): parses a fixed message that
 * makes iconv load the converters mail uses, which it could not open()
 * once the seccomp filter is on, and keeps one iconv descriptor of each
 * open for the life of the process (glibc would unload them otherwise);
 * loads libmagic's database (it opens a file too) for the process:
 * meant for the zygote workers are forked from, not for the daemon
 * itself.  arg is ignored.  -1 with err naming the database when
 * libmagic cannot load it: a worker that could not type attachments
 * would judge mail with weaker checks, silently (docs/sandbox.md).
 */
int	 mime_warm_up(void *arg, struct buf *err);

#endif
