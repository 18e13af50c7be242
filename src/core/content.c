/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content - what an attachment's bytes are (see include/balp/content.h):
 * the dispatch, the kinds of content, markup, files hidden in text, and
 * the base64 decoder.  The zip and OLE walks are in content_zip.c, the
 * PDF scan in content_pdf.c.
 *
 * libmagic names the type (src/mail/mime_content.c asks it); the lists
 * below map its answers (its MIME output, as Debian's libmagic-mgc writes
 * it) to the kinds the policy speaks of.  They are lists of libmagic's
 * names, not of magic numbers: the database knows the formats.
 */
#include "balp/content.h"
#include "balp/text.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <tmmintrin.h>
#endif

/* Bytes of a text part's head looked at for markup. */
#define CONTENT_MARKUP_HEAD	((size_t)64 << 10)

/* 1 if s starts with prefix p (ASCII, case-insensitive). */
static int
has_prefix(const char *s, const char *p)
{
	return text_ascii_ncasecmp(s, p, strlen(p)) == 0;
}

/* 1 if type (up to ';' or blanks) equals one entry of v. */
static int
type_in(const char *type, const char *const *v)
{
	size_t n = 0, k;

	if (type == NULL)
		return 0;
	while (*type == ' ' || *type == '\t')
		type++;
	while (type[n] != '\0' && type[n] != ';' && type[n] != ' ' &&
	    type[n] != '\t')
		n++;
	for (k = 0; v[k] != NULL; k++)
		if (strlen(v[k]) == n && text_ascii_ncasecmp(type, v[k], n) == 0)
			return 1;
	return 0;
}

/* libmagic's names for programs and scripts a click runs. */
static const char *const exec_types[] = {
	"application/x-dosexec", "application/x-msdownload",
	"application/vnd.microsoft.portable-executable",
	"application/x-executable", "application/x-sharedlib",
	"application/x-pie-executable", "application/x-mach-binary",
	"application/x-elf", "application/x-object", "application/x-coff",
	"application/x-msi", "application/x-ms-installer",
	"application/x-java-applet", "application/x-ms-shortcut",
	"application/javascript", "application/x-javascript",
	"text/javascript", "text/x-shellscript", "application/x-shellscript",
	"text/x-msdos-batch", "application/x-bat", "text/x-python",
	"text/x-script.python", "text/x-perl", "text/x-ruby", "text/x-php",
	"text/x-tcl", "text/x-lua", "text/x-awk", "application/x-powershell",
	"application/vnd.ms-htmlhelp", "application/x-chm",
	"application/hta", "text/vbscript", "application/x-vbscript",
	NULL
};

/* Archives and disk images: they can carry any of the above unseen. */
static const char *const archive_types[] = {
	"application/zip", "application/x-zip-compressed",
	"application/java-archive", "application/x-rar",
	"application/x-rar-compressed", "application/vnd.rar",
	"application/x-7z-compressed", "application/gzip",
	"application/x-gzip", "application/x-bzip2", "application/x-xz",
	"application/x-lzma", "application/x-lzip", "application/x-lz4",
	"application/zstd", "application/x-zstd", "application/x-compress",
	"application/x-tar", "application/x-gtar", "application/x-ustar",
	"application/vnd.ms-cab-compressed", "application/x-cab",
	"application/x-arj", "application/x-lzh-compressed", "application/x-lha",
	"application/x-ace-compressed", "application/x-archive",
	"application/x-cpio", "application/x-iso9660-image",
	"application/x-apple-diskimage", "application/x-xar",
	"application/x-rpm", "application/vnd.debian.binary-package",
	"application/x-stuffit", "application/x-bzip", "application/x-qemu-disk",
	"application/x-virtualbox-vhd", "application/x-vhd",
	NULL
};

/* Markup a mail client or a browser renders, scripts and forms included. */
static const char *const markup_types[] = {
	"text/html", "application/xhtml+xml", "image/svg+xml", "image/svg",
	"application/svg+xml", "text/x-server-parsed-html", "message/html",
	NULL
};

/* Declared types announcing an Office or OpenDocument file. */
static const char *const office_types[] = {
	"application/msword", "application/vnd.ms-excel",
	"application/vnd.ms-powerpoint", "application/vnd.ms-office",
	"application/x-ole-storage", "application/CDFV2",
	"application/rtf", "text/rtf",
	NULL
};

static const char *const office_exts[] = {
	"doc", "docx", "dot", "dotx", "xls", "xlsx", "xlt", "xltx", "ppt",
	"pptx", "pps", "ppsx", "pot", "potx", "odt", "ods", "odp", "odg",
	"ott", "ots", "otp", "docm", "dotm", "xlsm", "xltm", "xlsb", "xlam",
	"pptm", "potm", "ppsm", "ppam", "rtf",
	NULL
};

static const char *const image_exts[] = {
	"jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "tif", "tiff",
	"heic", "heif", "webp", "avif",
	NULL
};

static const char *const archive_exts[] = {
	"zip", "rar", "7z", "gz", "tgz", "tar", "bz2", "xz", "cab", "ace",
	"arj", "lzh", "z", "iso", "img", "vhd", "vhdx", "dmg", "zst",
	NULL
};

static const char *const exec_exts[] = {
	"exe", "com", "scr", "pif", "dll", "sys", "cpl", "msi", "msp", "elf",
	"bin", "so", "dylib", "app", "sh", "bash", "bat", "cmd", "ps1", "js",
	"jse", "vbs", "vbe", "wsf", "hta", "jar", "lnk",
	NULL
};

static const char *const markup_exts[] = {
	"html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "mht", "mhtml",
	NULL
};

/* 1 if ext[0..len) is an entry of v (ASCII, case-insensitive). */
static int
ext_in(const char *ext, size_t len, const char *const *v)
{
	size_t k;

	if (len == 0)
		return 0;
	for (k = 0; v[k] != NULL; k++)
		if (strlen(v[k]) == len && text_ascii_ncasecmp(ext, v[k], len) == 0)
			return 1;
	return 0;
}

enum content_kind
content_kind_found(const char *sniffed, unsigned f)
{
	if (f & CONTENT_EXECUTABLE)
		return CONTENT_KIND_EXECUTABLE;
	if (f & CONTENT_MARKUP)
		return CONTENT_KIND_MARKUP;
	if (f & CONTENT_ARCHIVE)
		return CONTENT_KIND_ARCHIVE;
	if (f & CONTENT_OFFICE)
		return CONTENT_KIND_OFFICE;
	if (f & CONTENT_PDF)
		return CONTENT_KIND_PDF;
	if (f & CONTENT_IMAGE)
		return CONTENT_KIND_IMAGE;
	(void)sniffed;
	return CONTENT_KIND_UNKNOWN;
}

enum content_kind
content_kind_of_type(const char *type)
{
	if (type == NULL)
		return CONTENT_KIND_UNKNOWN;
	while (*type == ' ' || *type == '\t')
		type++;
	if (type_in(type, exec_types))
		return CONTENT_KIND_EXECUTABLE;
	if (type_in(type, markup_types))
		return CONTENT_KIND_MARKUP;
	if (type_in(type, archive_types))
		return CONTENT_KIND_ARCHIVE;
	if (type_in(type, office_types) ||
	    has_prefix(type, "application/vnd.openxmlformats-officedocument.") ||
	    has_prefix(type, "application/vnd.oasis.opendocument.") ||
	    has_prefix(type, "application/vnd.ms-word.") ||
	    has_prefix(type, "application/vnd.ms-excel.") ||
	    has_prefix(type, "application/vnd.ms-powerpoint."))
		return CONTENT_KIND_OFFICE;
	if (type_in(type, (const char *const[]){ "application/pdf",
	    "application/x-pdf", NULL }))
		return CONTENT_KIND_PDF;
	if (has_prefix(type, "image/"))
		return CONTENT_KIND_IMAGE;
	return CONTENT_KIND_UNKNOWN;
}

int
content_type_standard(const char *type)
{
	static const char *const images[] = { "image/jpeg", "image/png",
	    "image/gif", "image/tiff", "image/bmp", "image/webp",
	    "image/heic", "image/heif", "image/svg+xml", NULL };
	static const char *const pdf[] = { "application/pdf",
	    "application/x-pdf", NULL };
	/* The Office and OpenDocument types mail clients write. */
	static const char *const office[] = {
	    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
	    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
	    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
	    "application/vnd.ms-word.document.macroenabled.12",
	    "application/vnd.ms-word.template.macroenabled.12",
	    "application/vnd.ms-excel.sheet.macroenabled.12",
	    "application/vnd.ms-excel.template.macroenabled.12",
	    "application/vnd.ms-excel.addin.macroenabled.12",
	    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
	    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
	    "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
	    "application/vnd.oasis.opendocument.text",
	    "application/vnd.oasis.opendocument.spreadsheet",
	    "application/vnd.oasis.opendocument.presentation",
	    "application/vnd.oasis.opendocument.graphics",
	    NULL };

	return type_in(type, exec_types) || type_in(type, markup_types) ||
	    type_in(type, archive_types) || type_in(type, office_types) ||
	    type_in(type, office) || type_in(type, pdf) ||
	    type_in(type, images);
}

enum content_kind
content_kind_of_extension(const char *ext, size_t len)
{
	if (ext_in(ext, len, exec_exts))
		return CONTENT_KIND_EXECUTABLE;
	if (ext_in(ext, len, markup_exts))
		return CONTENT_KIND_MARKUP;
	if (ext_in(ext, len, archive_exts))
		return CONTENT_KIND_ARCHIVE;
	if (ext_in(ext, len, office_exts))
		return CONTENT_KIND_OFFICE;
	if (len == 3 && text_ascii_ncasecmp(ext, "pdf", 3) == 0)
		return CONTENT_KIND_PDF;
	if (ext_in(ext, len, image_exts))
		return CONTENT_KIND_IMAGE;
	return CONTENT_KIND_UNKNOWN;
}

/* 1 if a part announced as `said` may hold content of kind `is`. */
static int
kinds_agree(enum content_kind said, enum content_kind is)
{
	if (said == CONTENT_KIND_UNKNOWN || is == CONTENT_KIND_UNKNOWN ||
	    said == is)
		return 1;
	/* A jar is a zip; an Office file named .zip is no lie either. */
	if (said == CONTENT_KIND_EXECUTABLE && is == CONTENT_KIND_ARCHIVE)
		return 1;
	if (said == CONTENT_KIND_ARCHIVE && is == CONTENT_KIND_OFFICE)
		return 1;
	return 0;
}

int
content_mismatch(const char *sniffed, unsigned findings,
    const char *declared_type, const char *ext, size_t extlen)
{
	enum content_kind is = content_kind_found(sniffed, findings);

	if (is == CONTENT_KIND_UNKNOWN)
		return 0;
	/* "application/octet-stream" says nothing: only the name speaks. */
	return !kinds_agree(content_kind_of_type(declared_type), is) ||
	    !kinds_agree(content_kind_of_extension(ext, extlen), is);
}

/* Finds needle (lower-case ASCII) in b[0..len), case-insensitively. */
static int
has_word_ci(const unsigned char *b, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;
	const unsigned char *p;

	if (n == 0 || len < n)
		return 0;
	for (i = 0; i + n <= len;) {
		if ((p = memchr(b + i, '<', len - i - n + 1)) == NULL)
			return 0;
		i = (size_t)(p - b);
		if (text_ascii_ncasecmp((const char *)p, needle, n) == 0)
			return 1;
		i++;
	}
	return 0;
}

unsigned
content_markup(const unsigned char *b, size_t len)
{
	static const char *const tags[] = { "<html", "<svg", "<!doctype html",
	    "<script", "<body", "<iframe", "<form", "<xhtml", "<meta http-equiv",
	    NULL };
	size_t k;

	if (len > CONTENT_MARKUP_HEAD)
		len = CONTENT_MARKUP_HEAD;
	for (k = 0; tags[k] != NULL; k++)
		if (has_word_ci(b, len, tags[k]))
			return CONTENT_MARKUP;
	return 0;
}

/* 1 if the line at b[0..n) starts a uuencoded file: "begin 644 name". */
static int
uu_begin(const unsigned char *b, size_t n)
{
	size_t i = 6, d = 0;

	if (n < 8 || memcmp(b, "begin", 5) != 0 || b[5] != ' ')
		return 0;
	/* "begin-base64 644 name" is the base64 variant */
	while (i < n && b[i] >= '0' && b[i] <= '7' && d < 5) {
		i++;
		d++;
	}
	return d >= 3 && i + 1 < n && b[i] == ' ' && b[i + 1] > ' ';
}

unsigned
content_text_hidden(const unsigned char *b, size_t len)
{
	static const char binhex[] = "(This file must be converted with BinHex";
	const unsigned char *nl;
	size_t i = 0, e, n;

	while (i < len) {
		nl = memchr(b + i, '\n', len - i);
		e = nl != NULL ? (size_t)(nl - b) : len;
		n = e - i;
		if (n >= 5 && (uu_begin(b + i, n) ||
		    (n > 13 && memcmp(b + i, "begin-base64 ", 13) == 0) ||
		    (n > 8 && memcmp(b + i, "=ybegin ", 8) == 0) ||
		    (n >= sizeof(binhex) - 1 &&
		    memcmp(b + i, binhex, sizeof(binhex) - 1) == 0)))
			return CONTENT_HIDDEN_FILE;
		i = e + 1;
	}
	return 0;
}

/* A script the system runs by its first line ("#!/bin/sh"). */
static int
is_shebang(const unsigned char *b, size_t len)
{
	size_t i = 0;

	/* a UTF-8 BOM before it does not stop a shell from reading it */
	if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		i = 3;
	return len - i >= 3 && b[i] == '#' && b[i + 1] == '!' &&
	    (b[i + 2] == '/' || b[i + 2] == ' ');
}

unsigned
content_inspect(const unsigned char *b, size_t len, const char *sniffed,
    int whole, const struct content_limits *lim)
{
	unsigned f = 0;
	int textual;

	if (type_in(sniffed, exec_types) || is_shebang(b, len))
		f |= CONTENT_EXECUTABLE;
	if (type_in(sniffed, markup_types))
		f |= CONTENT_MARKUP;
	/* Office files are zips or OLE files: their walks tell which. */
	if ((len >= 2 && b[0] == 'P' && b[1] == 'K') ||
	    type_in(sniffed, archive_types) ||
	    content_kind_of_type(sniffed) == CONTENT_KIND_OFFICE)
		f |= content_zip(b, len, lim);
	f |= content_ole(b, len);
	/*
	 * A PDF by libmagic, or data it could not name (a reader takes a
	 * header anywhere in the first KiB, libmagic only at 0); not a file
	 * that merely holds one (a zip, a winmail.dat: their own walks).
	 */
	if (sniffed == NULL || type_in(sniffed, (const char *const[]){
	    "application/pdf", "application/octet-stream", "text/plain",
	    NULL }))
		f |= content_pdf(b, len, whole, lim);
	if (!(f & (CONTENT_OFFICE | CONTENT_ARCHIVE)) &&
	    type_in(sniffed, archive_types)) {
		/* libmagic saw an archive the walks do not read */
		f |= CONTENT_ARCHIVE;
	}
	if (sniffed != NULL && has_prefix(sniffed, "image/") &&
	    !(f & CONTENT_MARKUP))
		f |= CONTENT_IMAGE;
	/*
	 * Outlook's winmail.dat (TNEF) carries files, which only the caller
	 * can type (content_tnef() with its function): until it does, what
	 * could not be read is not clean.
	 */
	if (type_in(sniffed, (const char *const[]){ "application/vnd.ms-tnef",
	    "application/ms-tnef", NULL }))
		f |= CONTENT_NOT_INSPECTED;
	/* libmagic's names for files encoded as text (BinHex, uuencode) */
	if (type_in(sniffed, (const char *const[]){ "application/mac-binhex40",
	    "application/mac-binhex", "application/x-uuencode",
	    "text/x-uuencode", "application/x-yenc", NULL }))
		f |= CONTENT_HIDDEN_FILE;
	textual = sniffed == NULL || has_prefix(sniffed, "text/") ||
	    type_in(sniffed, (const char *const[]){ "application/xml",
	    "application/octet-stream", "application/x-empty", NULL });
	if (textual && !(f & (CONTENT_PDF | CONTENT_OFFICE | CONTENT_ARCHIVE)))
		f |= content_markup(b, len);
	if (!(f & (CONTENT_PDF | CONTENT_OFFICE | CONTENT_ARCHIVE |
	    CONTENT_IMAGE)))
		f |= content_text_hidden(b, len);
	if (f & (CONTENT_MARKUP | CONTENT_EXECUTABLE))
		f &= ~CONTENT_IMAGE;
	return f;
}

/* ------------------------------------------------------------------ */
/* base64                                                              */

/*
 * A digit's value (0..63); 0xFE for '=', 0xFF for anything else.  One
 * test of the four values OR'ed tells whether a group is all digits: the
 * decoder reads megabytes per message, one branch per group.
 */
static const unsigned char b64_val[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff,
	0xff, 0xfe, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
	0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
	0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
};

/*
 * Sixteen digits at once (GCC/clang vector extensions, as mime_scan.c's
 * raw scans: SSE2 on x86-64, NEON on arm64, plain code elsewhere): 12
 * bytes to out, which must have room for 14 (the last store is 8 bytes
 * wide), or 0 when one of the 16 is no digit (a line end: the caller goes
 * on group by group).  Little-endian hosts only: the packing reads the
 * lanes as little-endian words (big-endian ones take the group path).
 */
typedef unsigned char content_v16 __attribute__((vector_size(16)));
#define B64_BLOCKS	(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static int
b64_block16(const unsigned char *s, unsigned char *out)
{
	content_v16 v, up, lo, dg, pl, sl, val;
	uint64_t w[2], t;
	int k;

	memcpy(&v, s, sizeof(v));
	up = (content_v16)((content_v16)(v - 'A') < 26);
	lo = (content_v16)((content_v16)(v - 'a') < 26);
	dg = (content_v16)((content_v16)(v - '0') < 10);
	pl = (content_v16)(v == '+');
	sl = (content_v16)(v == '/');
	val = up | lo | dg | pl | sl;
	memcpy(w, &val, sizeof(w));
	if ((w[0] & w[1]) != UINT64_MAX)
		return 0;
	val = (up & (content_v16)(v - 'A')) | (lo & (content_v16)(v - 'a' + 26)) |
	    (dg & (content_v16)(v - '0' + 52)) | (pl & 62) | (sl & 63);
	memcpy(w, &val, sizeof(w));
	/*
	 * Packing in general registers: eight 6-bit values, first in the
	 * low byte, give 48 bits; a vector's lanes read back through memory
	 * stall on the store.
	 */
	for (k = 0; k < 2; k++) {
		t = (w[k] & 0x00ff00ff00ff00ffULL) << 6 |
		    (w[k] >> 8 & 0x00ff00ff00ff00ffULL);
		t = (t & 0x0000ffff0000ffffULL) << 12 |
		    (t >> 16 & 0x0000ffff0000ffffULL);
		/* six bytes, first the low lane's, written as eight */
		t = (t & 0xffffffULL) << 24 | (t >> 32 & 0xffffffULL);
		t = __builtin_bswap64(t << 16);
		memcpy(out + 6 * k, &t, sizeof(t));
	}
	return 1;
}

#if defined(__x86_64__)
/*
 * The same with SSSE3's byte shuffle (W. Mula's and D. Lemire's base64
 * decoding, as in aklomp/base64): nibble tables validate and translate
 * sixteen digits in a few instructions, two multiply-adds pack them.  It
 * runs through a whole body, line ends included (a 76-column line is four
 * blocks and one of 12 digits and its line end), so that the parser's
 * main cost, decoding every attachment whole, stays a fraction of the
 * parse.  Each store writes 16 bytes (12 or fewer of them the result):
 * it runs while out has room for 16.  Stops at anything else ('=', a
 * stray byte, a line cut mid-group) and leaves it to the generic code;
 * *ip and *op say how far it went.  x86-64 with SSSE3 only
 * (b64_has_ssse3()).
 */
__attribute__((target("ssse3"))) static void
b64_run_ssse3(const unsigned char *s, size_t inlen, unsigned char *out,
    size_t outcap, size_t *ip, size_t *op)
{
	const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
	const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04,
	    0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71,
	    -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i mask_2f = _mm_set1_epi8(0x2F);
	const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13,
	    12, -1, -1, -1, -1);
	__m128i str, hi_n, lo_n, hi, lo, roll;
	size_t i = *ip, o = *op;
	unsigned bad, k;

	while (inlen - i >= 16 && outcap - o >= 16) {
		str = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		hi_n = _mm_and_si128(_mm_srli_epi32(str, 4), mask_2f);
		lo_n = _mm_and_si128(str, mask_2f);
		hi = _mm_shuffle_epi8(lut_hi, hi_n);
		lo = _mm_shuffle_epi8(lut_lo, lo_n);
		/* a byte that is no digit has a bit in both tables */
		bad = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(
		    _mm_and_si128(lo, hi), _mm_setzero_si128()));
		k = bad == 0 ? 16 : (unsigned)__builtin_ctz(bad);
		/* only whole groups, and only before a line end */
		if (k < 16 && (k % 4 != 0 || (s[i + k] != '\n' &&
		    s[i + k] != '\r')))
			break;
		roll = _mm_shuffle_epi8(lut_roll,
		    _mm_add_epi8(_mm_cmpeq_epi8(str, mask_2f), hi_n));
		str = _mm_add_epi8(str, roll);
		str = _mm_maddubs_epi16(str, _mm_set1_epi32(0x01400140));
		str = _mm_madd_epi16(str, _mm_set1_epi32(0x00011000));
		str = _mm_shuffle_epi8(str, pack);
		/* lanes past k wrote garbage the next store overwrites */
		_mm_storeu_si128((__m128i *)(void *)(out + o), str);
		i += k;
		o += k / 4 * 3;
		while (i < inlen && (s[i] == '\n' || s[i] == '\r'))
			i++;
	}
	*ip = i;
	*op = o;
}

static int
b64_has_ssse3(void)
{
	return __builtin_cpu_supports("ssse3");
}
#else
static void
b64_run_ssse3(const unsigned char *s, size_t inlen, unsigned char *out,
    size_t outcap, size_t *ip, size_t *op)
{
	(void)s;
	(void)inlen;
	(void)out;
	(void)outcap;
	(void)ip;
	(void)op;
}

static int
b64_has_ssse3(void)
{
	return 0;
}
#endif

size_t
content_b64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outcap, size_t *consumed)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t acc = 0, a, b, c, d;
	unsigned q = 0, v;
	int ssse3 = b64_has_ssse3();

	while (i < inlen && o < outcap) {
		/* Fastest path: sixteen digits in a row. */
		if (ssse3 && q == 0)
			b64_run_ssse3(s, inlen, out, outcap, &i, &o);
		while (q == 0 && B64_BLOCKS && inlen - i >= 16 &&
		    outcap - o >= 14 && b64_block16(s + i, out + o)) {
			i += 16;
			o += 12;
		}
		/* Fast path: whole groups of four digits, while room lasts. */
		while (q == 0 && inlen - i >= 4 && outcap - o >= 3) {
			a = b64_val[s[i]];
			b = b64_val[s[i + 1]];
			c = b64_val[s[i + 2]];
			d = b64_val[s[i + 3]];
			if ((a | b | c | d) & 0x80)
				break;
			acc = a << 18 | b << 12 | c << 6 | d;
			out[o] = (unsigned char)(acc >> 16);
			out[o + 1] = (unsigned char)(acc >> 8);
			out[o + 2] = (unsigned char)acc;
			o += 3;
			i += 4;
		}
		if (i >= inlen || o >= outcap)
			break;
		v = b64_val[s[i++]];
		if (v == 0xFE)
			break;
		if (v == 0xFF)
			continue;
		acc = acc << 6 | v;
		if (++q == 4) {
			if (outcap - o < 3) {
				/* room for part of the group only */
				out[o++] = (unsigned char)(acc >> 16);
				if (o < outcap)
					out[o++] = (unsigned char)(acc >> 8);
				q = 0;
				break;
			}
			out[o] = (unsigned char)(acc >> 16);
			out[o + 1] = (unsigned char)(acc >> 8);
			out[o + 2] = (unsigned char)acc;
			o += 3;
			q = 0;
			acc = 0;
		}
	}
	/* A group cut by '=' or by the end: its whole bytes. */
	if (q >= 2 && o < outcap)
		out[o++] = (unsigned char)(acc >> (6 * q - 8));
	if (q == 3 && o < outcap)
		out[o++] = (unsigned char)(acc >> 2);
	if (consumed != NULL)
		*consumed = i;
	return o;
}
