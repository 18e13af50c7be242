/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content - what an attachment's bytes are, whatever its name says.
 *
 * Pure functions on byte buffers: no I/O, no global state, every loop
 * bounded by the buffer and by struct content_limits, so that a zip bomb,
 * a zip of 10,000 entries, a PDF of a million objects or an object stream
 * that inflates without end costs a bounded time and memory.  The type
 * identification itself (libmagic) is the mail layer's
 * (src/mail/mime_content.c):
 * it opens a database file, which the core does not do; these functions
 * take libmagic's answer, the "sniffed" MIME type, as a string, and look
 * inside the structures libmagic only names:
 *
 *  - a zip's central directory (OOXML / OpenDocument or a plain archive;
 *    a vbaProject.bin, macro sheets or OpenDocument Basic: macros);
 *  - an OLE (Compound File) directory: VBA storage or streams = macros,
 *    an EncryptedPackage stream = an encrypted Office file;
 *  - an OpenDocument manifest (inflated, bounded): encryption-data =
 *    encrypted entries;
 *  - a PDF's names, '#'-escapes decoded (/J#61vaScript), in the file and
 *    in its Flate-compressed object streams (inflated, bounded); /Encrypt
 *    with object streams = its dictionaries encrypted;
 *  - markup (HTML, SVG, XHTML) and scripts ("#!");
 *  - files hidden in text (uuencode, yEnc, BinHex);
 *  - the files inside Outlook's winmail.dat (TNEF), through a function
 *    of the caller that types and inspects each.
 *
 * The findings are bits (CONTENT_*), recorded per part in the facts
 * (facts.h) and turned into attachment_forbidden by attachment.c.
 *
 * Ownership: nothing returned is allocated; inflating allocates zlib's
 * state and one window, freed before return.  On allocation failure the
 * part is reported CONTENT_NOT_INSPECTED (never "clean").
 */
#ifndef BALP_CONTENT_H
#define BALP_CONTENT_H

#include <stddef.h>

/* What the bytes were found to be or hold. */
#define CONTENT_EXECUTABLE	0x0001U	/* PE, ELF, Mach-O, "#!" script... */
#define CONTENT_ARCHIVE		0x0002U	/* zip, rar, 7z, gzip, cab... not Office */
#define CONTENT_MACRO		0x0004U	/* Office document with macros */
#define CONTENT_PDF_ACTIVE	0x0008U	/* PDF with JavaScript, actions, files */
#define CONTENT_MARKUP		0x0010U	/* HTML, XHTML, SVG */
#define CONTENT_HIDDEN_FILE	0x0020U	/* uuencode, yEnc, BinHex in text */
#define CONTENT_NOT_INSPECTED	0x0040U	/* not all of it could be read */
/*
 * Not inspected because of its size alone: past the message's scan
 * budget, or only its head fetched (mime.h).  Not a fault: too_large,
 * never attachment_forbidden (what its head shows still counts).
 */
#define CONTENT_TOO_LARGE	0x0080U
/*
 * Encrypted, so unreadable: an Office encrypted package (OLE
 * "EncryptedPackage"), an OpenDocument file whose manifest lists
 * encryption-data, a PDF with /Encrypt whose object streams hold its
 * dictionaries.  attachment_encrypted (rejected), not forbidden; an
 * encrypted zip is an archive (CONTENT_ARCHIVE) and stays forbidden.
 */
#define CONTENT_ENCRYPTED	0x0800U
/* Not a fault: the part was inside a forwarded (attached) message. */
#define CONTENT_FORWARDED	0x1000U
/* Not faults: what the content is, for the RIB and the mismatch rule. */
#define CONTENT_OFFICE		0x0100U	/* OOXML, OpenDocument, OLE document */
#define CONTENT_PDF		0x0200U	/* a PDF by content */
#define CONTENT_IMAGE		0x0400U	/* a raster image by content */

/* The bits that make an attachment forbidden by themselves. */
#define CONTENT_FORBIDDEN	(CONTENT_EXECUTABLE | CONTENT_ARCHIVE | \
	CONTENT_MACRO | CONTENT_PDF_ACTIVE | CONTENT_MARKUP | \
	CONTENT_HIDDEN_FILE | CONTENT_NOT_INSPECTED)
/* Every bit a findings word may carry (a deserializer checks). */
#define CONTENT_ALL		(CONTENT_FORBIDDEN | CONTENT_OFFICE | \
	CONTENT_PDF | CONTENT_IMAGE | CONTENT_TOO_LARGE | CONTENT_ENCRYPTED | \
	CONTENT_FORWARDED)

struct content_limits {
	size_t	max_zip_entries;	/* central directory entries read */
	size_t	max_pdf_streams;	/* object streams inflated per part */
	size_t	max_inflate;		/* bytes inflated per part, in all */
	size_t	max_tnef_attributes;	/* attributes of a winmail.dat read */
};

#define CONTENT_LIMITS_DEFAULT	{ 65536, 4096, (size_t)16 << 20, 65536 }

/*
 * Kinds of content, for comparing what a part is with what its type and
 * name say (content_mismatch).
 */
enum content_kind {
	CONTENT_KIND_UNKNOWN = 0,	/* unknown or plain data, text */
	CONTENT_KIND_EXECUTABLE,
	CONTENT_KIND_ARCHIVE,
	CONTENT_KIND_OFFICE,
	CONTENT_KIND_PDF,
	CONTENT_KIND_IMAGE,
	CONTENT_KIND_MARKUP,
};

/*
 * Everything about an attachment's bytes b[0..len), given the MIME type
 * libmagic gave for them (NULL if none): CONTENT_* bits.  whole is 0 when
 * b is only the head of the part (the rest was not decoded): the checks
 * that need all of it then add CONTENT_NOT_INSPECTED.
 */
unsigned content_inspect(const unsigned char *b, size_t len,
	    const char *sniffed, int whole, const struct content_limits *);

/* CONTENT_HIDDEN_FILE if text b[0..len) carries a uuencoded, yEnc or
 * BinHex file (a line "begin 644 name", "=ybegin ... name=", BinHex's
 * banner), else 0. */
unsigned content_text_hidden(const unsigned char *b, size_t len);

/* The zip checks alone (CONTENT_ARCHIVE or CONTENT_OFFICE, CONTENT_MACRO,
 * CONTENT_ENCRYPTED for an OpenDocument file with encrypted entries,
 * CONTENT_NOT_INSPECTED past the limits); 0 if b is no zip. */
unsigned content_zip(const unsigned char *b, size_t len,
	    const struct content_limits *);

/* The OLE checks alone (CONTENT_OFFICE, CONTENT_MACRO, CONTENT_ENCRYPTED);
 * 0 if no OLE. */
unsigned content_ole(const unsigned char *b, size_t len);

/* The PDF checks alone (CONTENT_PDF, CONTENT_PDF_ACTIVE,
 * CONTENT_NOT_INSPECTED, CONTENT_ENCRYPTED: /Encrypt and object streams,
 * which then cannot be read; an encrypted PDF whose objects are all in
 * the clear has readable dictionaries and is judged on them); 0 if b is
 * no PDF. */
unsigned content_pdf(const unsigned char *b, size_t len, int whole,
	    const struct content_limits *);

/*
 * Inspects a file found inside another (a winmail.dat's attachment): its
 * CONTENT_* findings.  The mail layer's, so that the core needs no
 * libmagic: it types the bytes and calls content_inspect().
 */
typedef unsigned (*content_nested_fn)(const unsigned char *, size_t,
    void *arg);

/*
 * Outlook's winmail.dat (TNEF): each attachment's bytes handed to fn
 * (with arg) and its findings kept (the forbidding ones); a title with an
 * executable or markup extension, an attachment whose bytes are not in
 * the file, a title its content contradicts, or a walk cut short by the
 * buffer or max_tnef_attributes: CONTENT_NOT_INSPECTED or the finding.
 * 0 if b is no TNEF.
 */
unsigned content_tnef(const unsigned char *b, size_t len,
	    const struct content_limits *, content_nested_fn fn, void *arg);

/* CONTENT_MARKUP if text b[0..len) reads as HTML or SVG, else 0. */
unsigned content_markup(const unsigned char *b, size_t len);

/* The kind of content a part is, from its findings and sniffed type. */
enum content_kind content_kind_found(const char *sniffed, unsigned findings);

/* The kind a declared MIME type or a file name's extension announces. */
enum content_kind content_kind_of_type(const char *type);
enum content_kind content_kind_of_extension(const char *ext, size_t len);
/*
 * 1 if type is, word for word, one of the types above (not a prefix: an
 * "image/" or Office prefix followed by the sender's own words is not).
 */
int	 content_type_standard(const char *type);

/*
 * 1 if what the content is contradicts its declared type or its name's
 * extension (ext[0..extlen), attachment_extension_span()):
 * both kinds known and different (an executable named .pdf, a zip named
 * .jpg, a PDF sent as image/jpeg).  Unknown on either side is no
 * contradiction: plain data, text, or a type nobody here lists.
 */
int	 content_mismatch(const char *sniffed, unsigned findings,
	    const char *declared_type, const char *ext, size_t extlen);

/*
 * Decodes base64 in[0..inlen) into out (room for outcap bytes): non-
 * alphabet bytes (line ends) are skipped, decoding stops at '=' or when
 * out is full.  Returns the bytes written.  Pure and table-driven: the
 * parser decodes every attachment with it, megabytes per message.
 */
size_t	 content_b64_decode(const char *in, size_t inlen, unsigned char *out,
	    size_t outcap, size_t *consumed);

#endif
