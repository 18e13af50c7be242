/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_content - attachments judged by their bytes (content.h).
 *
 * The corpus tests/data/content (written by tests/tools/gen_content.py,
 * committed) holds one small file of each kind the policy forbids and
 * clean look-alikes that must pass.  Each is typed by libmagic as the
 * parser does, then inspected.  Hostile shapes (a zip bomb in a PDF
 * object stream, a zip of 10,000 entries, a PDF of a million objects,
 * deep nesting) are built here in C and must end within their bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <magic.h>
#include <zlib.h>

#include "balp/attachment.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/facts.h"
#include "balp/mime.h"
#include "balp/rules.h"

static const struct content_limits lim = CONTENT_LIMITS_DEFAULT;
static magic_t cookie;

static unsigned char *
slurp(const char *name, size_t *len)
{
	char path[512];
	unsigned char *b;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/content/%s", BALP_SRCDIR,
	    name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	b = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

/* libmagic's answer as mime_content.c keeps it: lower case, no parameters. */
static char *
sniff(const unsigned char *b, size_t len)
{
	const char *t;
	size_t n;

	if ((t = magic_buffer(cookie, b, len)) == NULL)
		return NULL;
	for (n = 0; t[n] != '\0' && t[n] != ';'; n++)
		;
	return buf_strndup(t, n);
}

static int
setup(void **state)
{
	(void)state;
	cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
	if (cookie == NULL || magic_load(cookie, NULL) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	magic_close(cookie);
	return 0;
}

static const struct {
	const char	*file;
	unsigned	 must;		/* bits that must be set */
	int		 forbidden;	/* any CONTENT_FORBIDDEN bit */
} corpus[] = {
	/* forbidden */
	{ "program.exe",	CONTENT_EXECUTABLE,	1 },
	{ "program.elf",	CONTENT_EXECUTABLE,	1 },
	{ "program.macho",	CONTENT_EXECUTABLE,	1 },
	{ "script.sh",		CONTENT_EXECUTABLE,	1 },
	{ "archive.zip",	CONTENT_ARCHIVE,	1 },
	{ "archive.gz",		CONTENT_ARCHIVE,	1 },
	{ "archive.7z",		CONTENT_ARCHIVE,	1 },
	{ "archive.rar",	CONTENT_ARCHIVE,	1 },
	{ "macro.docm",		CONTENT_OFFICE | CONTENT_MACRO,	1 },
	{ "macro.odt",		CONTENT_OFFICE | CONTENT_MACRO,	1 },
	{ "macro.doc",		CONTENT_OFFICE | CONTENT_MACRO,	1 },
	{ "js.pdf",		CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "js-hex.pdf",		CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "js-objstm.pdf",	CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "launch.pdf",		CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "embedded.pdf",	CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "aa.pdf",		CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "script.svg",		CONTENT_MARKUP,		1 },
	{ "login.html",		CONTENT_MARKUP,		1 },
	{ "uuencoded.txt",	CONTENT_HIDDEN_FILE,	1 },
	{ "yenc.txt",		CONTENT_HIDDEN_FILE,	1 },
	{ "binhex.txt",		CONTENT_HIDDEN_FILE,	1 },
	/* clean look-alikes */
	{ "clean.pdf",		CONTENT_PDF,		0 },
	{ "clean-objstm.pdf",	CONTENT_PDF,		0 },
	{ "clean.png",		CONTENT_IMAGE,		0 },
	{ "clean.jpg",		CONTENT_IMAGE,		0 },
	{ "clean.docx",		CONTENT_OFFICE,		0 },
	{ "clean.odt",		CONTENT_OFFICE,		0 },
	{ "clean.doc",		CONTENT_OFFICE,		0 },
	{ "clean.txt",		0,			0 },
	/*
	 * Encrypted (gen_content_wrapped.py, qpdf): attachment_encrypted,
	 * not forbidden; an encrypted zip is an archive; a PDF with an
	 * owner password only is decrypted (its object streams: AES-128,
	 * AES-256, RC4) or read in the clear, and judged as usual.
	 */
	{ "encrypted-package.docx", CONTENT_OFFICE | CONTENT_ENCRYPTED, 0 },
	{ "encrypted.odt",	CONTENT_OFFICE | CONTENT_ENCRYPTED, 0 },
	{ "encrypted-objstm.pdf", CONTENT_PDF | CONTENT_ENCRYPTED, 0 },
	{ "encrypted-rc4.pdf",	CONTENT_PDF | CONTENT_ENCRYPTED, 0 },
	{ "owner-only.pdf",	CONTENT_PDF,		0 },
	{ "owner-only-js.pdf",	CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "owner-only-rc4-js.pdf", CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "owner-only-clear-js.pdf", CONTENT_PDF | CONTENT_PDF_ACTIVE, 1 },
	{ "encrypted.zip",	CONTENT_ARCHIVE,	1 },
	/* a winmail.dat, alone: not opened without the caller's function */
	{ "winmail-clean.dat",	CONTENT_NOT_INSPECTED,	1 },
	{ "clean.csv",		0,			0 },
};

static void
test_corpus(void **state)
{
	unsigned char *b;
	char *t;
	size_t i, len;
	unsigned f;

	(void)state;
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		b = slurp(corpus[i].file, &len);
		t = sniff(b, len);
		f = content_inspect(b, len, t, 1, &lim);
		if ((f & corpus[i].must) != corpus[i].must ||
		    ((f & CONTENT_FORBIDDEN) != 0) != corpus[i].forbidden ||
		    (f & CONTENT_ENCRYPTED) != (corpus[i].must &
		    CONTENT_ENCRYPTED))
			fail_msg("%s (%s): findings 0x%x, want 0x%x%s",
			    corpus[i].file, t != NULL ? t : "-", f,
			    corpus[i].must, corpus[i].forbidden ?
			    " and forbidden" : ", nothing forbidden");
		free(t);
		free(b);
	}
}

/* A zip of entries (name, data, compressed?) with its directory. */
static void
zip_build(struct buf *z, const char *const *names,
    const char *const *datas, const int *deflated, size_t n, int flags)
{
	unsigned char cbuf[4096];
	struct buf cd = BUF_INIT;
	size_t i, off[8], nl, dl, cl;
	uLongf clen;
	const unsigned char *data;

	assert_true(n <= 8);
	for (i = 0; i < n; i++) {
		nl = strlen(names[i]);
		dl = strlen(datas[i]);
		data = (const unsigned char *)datas[i];
		cl = dl;
		if (deflated[i]) {
			z_stream zs;

			memset(&zs, 0, sizeof(zs));
			assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8,
			    Z_DEFAULT_STRATEGY), Z_OK);
			zs.next_in = (Bytef *)(uintptr_t)data;
			zs.avail_in = (uInt)dl;
			zs.next_out = cbuf;
			zs.avail_out = sizeof(cbuf);
			assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
			clen = zs.total_out;
			deflateEnd(&zs);
			data = cbuf;
			cl = clen;
		}
		off[i] = z->len;
		buf_add(z, "PK\3\4\24\0", 6);
		buf_add(z, (char[]){ (char)flags, 0, deflated[i] ? 8 : 0, 0 },
		    4);
		buf_add(z, "\0\0\0\0\0\0\0\0", 8);	/* time, date, crc */
		buf_add(z, (char[]){ (char)cl, (char)(cl >> 8), 0, 0,
		    (char)dl, (char)(dl >> 8), 0, 0, (char)nl, 0, 0, 0 }, 12);
		buf_puts(z, names[i]);
		buf_add(z, data, cl);
		buf_add(&cd, "PK\1\2\24\0\24\0", 8);
		buf_add(&cd, (char[]){ (char)flags, 0, deflated[i] ? 8 : 0, 0 },
		    4);
		buf_add(&cd, "\0\0\0\0\0\0\0\0", 8);
		buf_add(&cd, (char[]){ (char)cl, (char)(cl >> 8), 0, 0,
		    (char)dl, (char)(dl >> 8), 0, 0, (char)nl, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0, 0, (char)off[i], (char)(off[i] >> 8),
		    0, 0 }, 26);
		buf_puts(&cd, names[i]);
	}
	i = z->len;
	buf_add(z, cd.data, cd.len);
	buf_add(z, "PK\5\6\0\0\0\0", 8);
	buf_add(z, (char[]){ (char)n, 0, (char)n, 0, (char)cd.len,
	    (char)(cd.len >> 8), 0, 0, (char)i, (char)(i >> 8), 0, 0, 0, 0 },
	    14);
	assert_false(z->failed || cd.failed);
	buf_free(&cd);
}

/*
 * Encryption, table-driven: what makes a document unreadable, and what
 * only looks like it.
 */
static void
test_encrypted(void **state)
{
	static const char manifest_enc[] = "<manifest:manifest><manifest:"
	    "file-entry manifest:full-path=\"content.xml\"><manifest:"
	    "encryption-data manifest:checksum=\"x\"/></manifest:file-entry>"
	    "</manifest:manifest>";
	static const char manifest_clear[] = "<manifest:manifest><manifest:"
	    "file-entry manifest:full-path=\"content.xml\"/>"
	    "</manifest:manifest>";
	static const struct {
		const char	*what;
		const char	*names[3];
		const char	*datas[3];
		int		 deflated[3];
		int		 flags;		/* general purpose bits */
		unsigned	 want;		/* among the bits below */
	} zips[] = {
		{ "ODF, manifest deflated, encrypted",
		  { "mimetype", "content.xml", "META-INF/manifest.xml" },
		  { "application/vnd.oasis.opendocument.text", "x",
		    manifest_enc }, { 0, 1, 1 }, 0,
		  CONTENT_OFFICE | CONTENT_ENCRYPTED },
		{ "ODF, manifest stored, encrypted",
		  { "mimetype", "content.xml", "META-INF/manifest.xml" },
		  { "application/vnd.oasis.opendocument.text", "x",
		    manifest_enc }, { 0, 1, 0 }, 0,
		  CONTENT_OFFICE | CONTENT_ENCRYPTED },
		{ "ODF in the clear",
		  { "mimetype", "content.xml", "META-INF/manifest.xml" },
		  { "application/vnd.oasis.opendocument.text", "x",
		    manifest_clear }, { 0, 1, 1 }, 0, CONTENT_OFFICE },
		/* zip encryption: an archive, whatever its names say */
		{ "OOXML names, zip-encrypted",
		  { "[Content_Types].xml", "word/document.xml", NULL },
		  { "<Types/>", "<w:document/>", NULL }, { 1, 1, 0 }, 1,
		  CONTENT_ARCHIVE },
		/* a manifest is only read in an OpenDocument file */
		{ "plain zip with a manifest",
		  { "META-INF/manifest.xml", "a.txt", NULL },
		  { manifest_enc, "x", NULL }, { 1, 0, 0 }, 0, CONTENT_ARCHIVE },
	};
	static const struct {
		const char	*what;
		const char	*pdf;
		unsigned	 want;
	} pdfs[] = {
		{ "/Encrypt, objects in the clear: read as usual",
		  "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"
		  "2 0 obj << /Filter /Standard /V 4 /R 4 >> endobj\n"
		  "trailer << /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n",
		  CONTENT_PDF },
		{ "/Encrypt, objects in the clear, JavaScript named",
		  "%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S "
		  "/JavaScript /JS (xyz) >> >> endobj\n"
		  "2 0 obj << /Filter /Standard /V 4 /R 4 >> endobj\n"
		  "trailer << /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n",
		  CONTENT_PDF | CONTENT_PDF_ACTIVE },
		{ "/Encrypt and an object stream: unreadable",
		  "%PDF-1.7\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Length 8 "
		  "/Filter /FlateDecode >>\nstream\n\x9c\x13\xee\x01\xfa"
		  "\x77\x10\x42\nendstream\nendobj\n"
		  "2 0 obj << /Filter /Standard /V 5 /R 6 >> endobj\n"
		  "trailer << /Root 3 0 R /Encrypt 2 0 R >>\n%%EOF\n",
		  CONTENT_PDF | CONTENT_ENCRYPTED },
		{ "an object stream, no /Encrypt: not called encrypted",
		  "%PDF-1.7\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Length 8 "
		  ">>\nstream\n1 0 << >>\nendstream\nendobj\n"
		  "trailer << /Root 3 0 R >>\n%%EOF\n", CONTENT_PDF },
	};
	const unsigned mask = CONTENT_OFFICE | CONTENT_ARCHIVE | CONTENT_PDF |
	    CONTENT_PDF_ACTIVE | CONTENT_ENCRYPTED | CONTENT_NOT_INSPECTED;
	struct buf z;
	size_t i, n;
	unsigned f;

	(void)state;
	for (i = 0; i < sizeof(zips) / sizeof(zips[0]); i++) {
		buf_init(&z);
		n = zips[i].names[2] != NULL ? 3 : 2;
		zip_build(&z, zips[i].names, zips[i].datas, zips[i].deflated,
		    n, zips[i].flags);
		f = content_zip((const unsigned char *)z.data, z.len, &lim);
		if ((f & mask) != zips[i].want)
			fail_msg("%s: 0x%x, want 0x%x", zips[i].what, f & mask,
			    zips[i].want);
		buf_free(&z);
	}
	for (i = 0; i < sizeof(pdfs) / sizeof(pdfs[0]); i++) {
		f = content_pdf((const unsigned char *)pdfs[i].pdf,
		    strlen(pdfs[i].pdf), 1, &lim);
		if ((f & mask) != pdfs[i].want)
			fail_msg("%s: 0x%x, want 0x%x", pdfs[i].what, f & mask,
			    pdfs[i].want);
	}
}

/* A head only (the rest beyond the scan budget) is never clean. */
static void
test_head_only_not_inspected(void **state)
{
	unsigned char *b;
	size_t len;

	(void)state;
	b = slurp("clean.pdf", &len);
	assert_true(content_inspect(b, len / 2, "application/pdf", 0, &lim) &
	    CONTENT_NOT_INSPECTED);
	free(b);
}

/* The contradiction rule: content against declared type and name. */
static void
test_mismatch(void **state)
{
	static const struct {
		const char	*sniffed;
		unsigned	 f;
		const char	*type;
		const char	*ext;
		int		 want;
	} t[] = {
		{ "application/x-dosexec", CONTENT_EXECUTABLE,
		    "application/pdf", "pdf", 1 },
		{ "application/x-dosexec", CONTENT_EXECUTABLE,
		    "application/octet-stream", "pdf", 1 },
		{ "application/zip", CONTENT_ARCHIVE, "image/jpeg", "jpg", 1 },
		{ "application/pdf", CONTENT_PDF, "image/jpeg", "jpg", 1 },
		{ "image/jpeg", CONTENT_IMAGE, "application/pdf", "pdf", 1 },
		/* look-alikes */
		{ "application/pdf", CONTENT_PDF, "application/octet-stream",
		    "PDF", 0 },
		{ "image/jpeg", CONTENT_IMAGE, "image/png", "png", 0 },
		{ "application/zip", CONTENT_OFFICE,
		    "application/octet-stream", "docx", 0 },
		{ "application/octet-stream", 0, "application/pdf", "pdf", 0 },
		{ "text/plain", 0, "text/csv", "csv", 0 },
		{ "application/pdf", CONTENT_PDF, "application/pdf", "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (content_mismatch(t[i].sniffed, t[i].f, t[i].type, t[i].ext,
		    strlen(t[i].ext)) != t[i].want)
			fail_msg("case %zu (%s as %s .%s): want %d", i,
			    t[i].sniffed, t[i].type, t[i].ext, t[i].want);
}

/* The decoder against known vectors, lines and cuts included. */
static void
test_b64(void **state)
{
	unsigned char out[256], big[4096], enc[8192];
	size_t n, i, k, used;
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	n = content_b64_decode("TWFu", 4, out, sizeof(out), NULL);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "Man", 3);
	n = content_b64_decode("TWE=", 4, out, sizeof(out), NULL);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "Ma", 2);
	n = content_b64_decode("TQ==", 4, out, sizeof(out), NULL);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "M", 1);
	n = content_b64_decode("TW\r\nFu", 6, out, sizeof(out), &used);
	assert_int_equal(n, 3);
	assert_int_equal(used, 6);
	/* room for 2 bytes only: cut there */
	n = content_b64_decode("TWFuTWFu", 8, out, 2, NULL);
	assert_int_equal(n, 2);
	/* random bytes, encoded in 76-column lines, both paths */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7919 + (i >> 3));
	for (i = 0, k = 0; i + 3 <= sizeof(big) - sizeof(big) % 3; i += 3) {
		enc[k++] = alpha[big[i] >> 2];
		enc[k++] = alpha[(big[i] & 3) << 4 | big[i + 1] >> 4];
		enc[k++] = alpha[(big[i + 1] & 15) << 2 | big[i + 2] >> 6];
		enc[k++] = alpha[big[i + 2] & 63];
		if ((i / 3 + 1) % 19 == 0) {
			enc[k++] = '\r';
			enc[k++] = '\n';
		}
	}
	{
		unsigned char *dec = malloc(sizeof(big));

		assert_non_null(dec);
		n = content_b64_decode((const char *)enc, k, dec, sizeof(big),
		    NULL);
		assert_int_equal(n, sizeof(big) - sizeof(big) % 3);
		assert_memory_equal(dec, big, n);
		/* every output bound decodes a prefix */
		for (i = 0; i < 64; i++) {
			memset(dec, 0, sizeof(big));
			n = content_b64_decode((const char *)enc, k, dec, i,
			    NULL);
			assert_int_equal(n, i);
			assert_memory_equal(dec, big, n);
		}
		free(dec);
	}
}

/* The decoder's contract, one byte at a time: the reference. */
static size_t
ref_b64(const char *in, size_t n, unsigned char *out, size_t cap)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;
	uint32_t acc = 0;
	size_t i, o = 0;
	unsigned q = 0;

	for (i = 0; i < n && o < cap; i++) {
		if (in[i] == '=')
			break;
		if (in[i] == '\0' || (p = strchr(alpha, in[i])) == NULL)
			continue;
		acc = acc << 6 | (uint32_t)(p - alpha);
		if (++q == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			if (o < cap)
				out[o++] = (unsigned char)(acc >> 8);
			if (o < cap)
				out[o++] = (unsigned char)acc;
			q = 0;
			acc = 0;
		}
	}
	if (q >= 2 && o < cap)
		out[o++] = (unsigned char)(acc >> (6 * q - 8));
	if (q == 3 && o < cap)
		out[o++] = (unsigned char)(acc >> 2);
	return o;
}

/*
 * Against the reference on mixes of digits, line ends, stray bytes and
 * '=': the vector paths (16 digits at once, lines whole) must agree.
 */
static void
test_b64_differential(void **state)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char in[2048];
	unsigned char a[2048], b[2048];
	size_t round, i, n, na, nb, cap;
	uint32_t x = 12345;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = (round * 37) % sizeof(in);
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			switch ((x >> 16) % 64) {
			case 0:
				in[i] = '\n';
				break;
			case 1:
				in[i] = '\r';
				break;
			case 2:
				in[i] = (round % 5 == 0) ? '=' : ' ';
				break;
			case 3:
				in[i] = (char)(x >> 8);
				break;
			default:
				in[i] = alpha[(x >> 20) % 64];
				break;
			}
			/* mostly well-formed 76-column lines */
			if (round % 2 == 0 && i % 78 == 76)
				in[i] = '\r';
			if (round % 2 == 0 && i % 78 == 77)
				in[i] = '\n';
		}
		cap = round % 3 == 0 ? (round % 97) : sizeof(a);
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		na = content_b64_decode(in, n, a, cap, NULL);
		nb = ref_b64(in, n, b, cap);
		if (na != nb || memcmp(a, b, na) != 0)
			fail_msg("round %zu: %zu bytes, reference %zu", round, na,
			    nb);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An object stream that inflates to 64 MiB: stopped at max_inflate. */
static void
test_pdf_inflate_bomb(void **state)
{
	struct buf b = BUF_INIT;
	unsigned char *zero, *z;
	z_stream zs;
	size_t chunk = (size_t)1 << 20, i;
	unsigned f;
	double t0;

	(void)state;
	zero = calloc(1, chunk);
	z = malloc((size_t)4 << 20);
	assert_non_null(zero);
	assert_non_null(z);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit(&zs, 9), Z_OK);
	zs.next_out = z;
	zs.avail_out = (uInt)4 << 20;
	for (i = 0; i < 64; i++) {
		zs.next_in = zero;
		zs.avail_in = (uInt)chunk;
		assert_int_equal(deflate(&zs, i == 63 ? Z_FINISH : Z_NO_FLUSH),
		    i == 63 ? Z_STREAM_END : Z_OK);
	}
	buf_puts(&b, "%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 "
	    "/Filter /FlateDecode >>\nstream\n");
	buf_add(&b, z, zs.total_out);
	buf_puts(&b, "\nendstream\nendobj\n%%EOF\n");
	deflateEnd(&zs);
	t0 = now();
	f = content_pdf((unsigned char *)b.data, b.len, 1, &lim);
	assert_true(f & CONTENT_NOT_INSPECTED);
	assert_true(now() - t0 < 5.0);
	buf_free(&b);
	free(zero);
	free(z);
}

/* A million objects, and a million nested dictionaries: linear. */
static void
test_pdf_million_objects(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;
	unsigned f;
	double t0;

	(void)state;
	buf_puts(&b, "%PDF-1.7\n");
	for (i = 0; i < 1000000; i++)
		buf_printf(&b, "%zu 0 obj << /Type /X >> endobj\n", i + 1);
	for (i = 0; i < 1000000; i++)
		buf_puts(&b, "<<");
	/* many "stream" keywords without "endstream": no n^2 search */
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "/ObjStm stream\n");
	buf_puts(&b, "/JavaScript\n");
	assert_false(b.failed);
	t0 = now();
	f = content_pdf((unsigned char *)b.data, b.len, 1, &lim);
	assert_true(f & CONTENT_PDF_ACTIVE);
	assert_true(now() - t0 < 5.0);
	buf_free(&b);
}

/*
 * Stream data is skipped by its /Length: bytes that spell /JS inside an
 * image are no action; a /Length that lies is caught by "endstream".
 */
static void
test_pdf_stream_skipped(void **state)
{
	static const char ok[] = "%PDF-1.4\n1 0 obj\n<< /Length 12 >>\n"
	    "stream\nxx/JS yy/AAz\nendstream\nendobj\n";
	static const char lie[] = "%PDF-1.4\n1 0 obj\n<< /Length 2 >>\n"
	    "stream\nxx/JS yy/AAz\nendstream\nendobj\n2 0 obj << /JS (x) >>\n";
	static const char tnef[] = "\x78\x9f\x3e\x22";

	(void)state;
	assert_int_equal(content_pdf((const unsigned char *)ok,
	    sizeof(ok) - 1, 1, &lim) & CONTENT_PDF_ACTIVE, 0);
	assert_true(content_pdf((const unsigned char *)lie, sizeof(lie) - 1,
	    1, &lim) & CONTENT_PDF_ACTIVE);
	/* winmail.dat: not opened yet, so not clean */
	assert_true(content_inspect((const unsigned char *)tnef, 4,
	    "application/vnd.ms-tnef", 1, &lim) & CONTENT_NOT_INSPECTED);
}

static void
put16(struct buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	buf_add(b, c, 2);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

/* A central directory entry for name, local header at 0. */
static void
cd_entry(struct buf *b, const char *name)
{
	put32(b, 0x02014b50);
	put16(b, 20);
	put16(b, 20);
	put16(b, 0);
	put16(b, 0);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	put32(b, 0);
	put16(b, (unsigned)strlen(name));
	put16(b, 0);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0);
	put32(b, 0);
	put32(b, 0);
	buf_puts(b, name);
}

/* 10,000 entries, the macro last: found, in bounded time. */
static void
test_zip_many_entries(void **state)
{
	struct buf b = BUF_INIT;
	size_t i, cd;
	unsigned f;
	char name[64];
	double t0;

	(void)state;
	buf_add(&b, "PK\3\4", 4);
	buf_add(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	    26);
	cd = b.len;
	cd_entry(&b, "[Content_Types].xml");
	for (i = 0; i < 9998; i++) {
		snprintf(name, sizeof(name), "word/media/image%zu.png", i);
		cd_entry(&b, name);
	}
	cd_entry(&b, "word/vbaProject.bin");
	put32(&b, 0x06054b50);
	put16(&b, 0);
	put16(&b, 0);
	put16(&b, 10000);
	put16(&b, 10000);
	put32(&b, (uint32_t)(b.len - cd - 12));
	put32(&b, (uint32_t)cd);
	put16(&b, 0);
	assert_false(b.failed);
	t0 = now();
	f = content_zip((unsigned char *)b.data, b.len, &lim);
	assert_true(f & CONTENT_OFFICE);
	assert_true(f & CONTENT_MACRO);
	assert_true(now() - t0 < 1.0);
	/* the same past a limit of 100 entries: not inspected, not clean */
	{
		struct content_limits small = lim;

		small.max_zip_entries = 100;
		f = content_zip((unsigned char *)b.data, b.len, &small);
		assert_true(f & CONTENT_NOT_INSPECTED);
	}
	buf_free(&b);
}

/* Truncated and garbage inputs of every kind: no crash, no hang. */
static void
test_truncations(void **state)
{
	static const char *const files[] = { "js-objstm.pdf", "macro.docm",
	    "macro.doc", "program.exe", "clean.odt" };
	unsigned char *b;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		b = slurp(files[i], &len);
		for (n = 0; n <= len; n++)
			(void)content_inspect(b, n, "application/octet-stream",
			    1, &lim);
		free(b);
	}
}

/* The policy: findings become attachment_forbidden; RIB by content. */
static void
test_policy(void **state)
{
	struct rules r;
	struct request_type t;
	struct part_facts p;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	r.archives_forbidden = 1;
	assert_int_equal(wordlist_add(&t.needs_types, "application/pdf"), 0);
	assert_int_equal(wordlist_add(&t.needs_types, "image/*"), 0);
	assert_int_equal(wordlist_add(&t.needs_extensions, "pdf"), 0);

	memset(&p, 0, sizeof(p));
	p.content_type = "application/pdf";
	p.filename = "rib.pdf";
	p.is_attachment = 1;
	p.sniffed_type = "application/pdf";
	p.findings = CONTENT_PDF;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	assert_int_equal(attachment_fulfils(&t, &p), 1);
	/* an executable named rib.pdf */
	p.sniffed_type = "application/x-dosexec";
	p.findings = CONTENT_EXECUTABLE;
	assert_int_equal(attachment_forbidden(&r, &p), 1);
	assert_int_equal(attachment_fulfils(&t, &p), 0);
	/* a "PDF" that is plain data: not forbidden, not the RIB */
	p.sniffed_type = "application/octet-stream";
	p.findings = 0;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	assert_int_equal(attachment_fulfils(&t, &p), 0);
	/* a PDF sent as octet-stream named RIB.PDF: the RIB */
	p.content_type = "application/octet-stream";
	p.filename = "RIB.PDF";
	p.sniffed_type = "application/pdf";
	p.findings = CONTENT_PDF;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	assert_int_equal(attachment_fulfils(&t, &p), 1);
	/* an SVG is no image for the RIB, and forbidden */
	p.content_type = "image/svg+xml";
	p.filename = "rib.svg";
	p.sniffed_type = "image/svg+xml";
	p.findings = CONTENT_MARKUP;
	assert_int_equal(attachment_forbidden(&r, &p), 1);
	assert_int_equal(attachment_fulfils(&t, &p), 0);
	/* the message's own HTML is not judged as markup... */
	p.is_attachment = 0;
	p.content_type = "text/html";
	p.filename = NULL;
	p.sniffed_type = NULL;
	p.findings = 0;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	/* ...but a file hidden in it is */
	p.findings = CONTENT_HIDDEN_FILE;
	assert_int_equal(attachment_forbidden(&r, &p), 1);
	/* archives by content follow archives_forbidden */
	p.is_attachment = 1;
	p.content_type = "application/octet-stream";
	p.filename = "data.bin";
	p.sniffed_type = "application/gzip";
	p.findings = CONTENT_ARCHIVE;
	assert_int_equal(attachment_forbidden(&r, &p), 1);
	r.archives_forbidden = 0;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	wordlist_free(&t.needs_types);
	wordlist_free(&t.needs_extensions);
}

/* content_nested_fn: as mime_content.c does, with the test's libmagic. */
static unsigned
nested(const unsigned char *b, size_t len, void *arg)
{
	unsigned f;
	char *t;

	(void)arg;
	t = sniff(b, len);
	f = content_inspect(b, len, t, 1, &lim);
	free(t);
	return f;
}

/* winmail.dat: the files inside judged; cut short, not inspected. */
static void
test_tnef(void **state)
{
	unsigned char *b;
	size_t len, n;
	unsigned f;

	(void)state;
	b = slurp("winmail-exe.dat", &len);
	f = content_tnef(b, len, &lim, nested, NULL);
	assert_true(f & CONTENT_EXECUTABLE);
	/*
	 * Every cut after the attachment began (level 2, attAttachRendData;
	 * a cut between whole attributes before it is a shorter, clean file).
	 */
	{
		static const unsigned char rend[] = { 0x02, 0x02, 0x90, 0x06,
		    0x00 };
		const unsigned char *at = memmem(b, len, rend, sizeof(rend));

		assert_non_null(at);
		n = (size_t)(at - b) + 1;
	}
	for (; n < len; n++)
		if ((content_tnef(b, n, &lim, nested, NULL) &
		    CONTENT_FORBIDDEN) == 0)
			fail_msg("winmail-exe.dat cut at %zu: clean", n);
	free(b);
	b = slurp("winmail-clean.dat", &len);
	assert_int_equal(content_tnef(b, len, &lim, nested, NULL) &
	    CONTENT_FORBIDDEN, 0);
	assert_int_equal(content_tnef(b, len - 1, &lim, nested, NULL) &
	    CONTENT_NOT_INSPECTED, CONTENT_NOT_INSPECTED);
	/* not a TNEF at all */
	assert_int_equal(content_tnef(b + 1, len - 1, &lim, nested, NULL), 0);
	free(b);
}

/* Base64 in 76-column lines, as mail clients write it. */
static void
b64_lines(struct buf *out, const unsigned char *b, size_t n)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	uint32_t v;
	char q[4];

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 :
		    0) | (i + 2 < n ? b[i + 2] : 0);
		q[0] = alpha[v >> 18];
		q[1] = alpha[(v >> 12) & 63];
		q[2] = i + 1 < n ? alpha[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? alpha[v & 63] : '=';
		buf_add(out, q, 4);
		if ((col += 4) == 76) {
			buf_puts(out, "\r\n");
			col = 0;
		}
	}
	buf_puts(out, "\r\n");
}

/*
 * Through the parser: a 400 KB PDF whose action sits in the middle of
 * its base64, the part elide() cuts before libetpan sees the message
 * (docs/libetpan.md 4b).  The inspection reads the message as received:
 * the action is found, and its clean twin stays clean.
 */
static void
test_parse_reads_elided_middle(void **state)
{
	static const struct mime_limits ml = MIME_LIMITS_DEFAULT;
	struct buf pdf, msg;
	struct msg_facts f;
	size_t i;
	int active;

	(void)state;
	for (active = 0; active < 2; active++) {
		buf_init(&pdf);
		buf_init(&msg);
		buf_puts(&pdf, "%PDF-1.4\n");
		for (i = 0; i < 5000; i++) {
			buf_printf(&pdf, "%zu 0 obj << /Type /X >> endobj %% "
			    "filler filler filler\n", i + 1);
			if (i == 2500)
				buf_puts(&pdf, active ? "9999 0 obj << /S "
				    "/JavaScript /JS (x) >> endobj\n" :
				    "9999 0 obj << /S /URI >> endobj\n");
		}
		buf_puts(&pdf, "%%EOF\n");
		buf_puts(&msg, "From: a@b.test\r\nSubject: RIB\r\n"
		    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
		    "boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain"
		    "\r\n\r\nci-joint\r\n--b\r\nContent-Type: application/"
		    "pdf; name=\"rib.pdf\"\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\n");
		b64_lines(&msg, (unsigned char *)pdf.data, pdf.len);
		buf_puts(&msg, "--b--\r\n");
		assert_false(msg.failed || pdf.failed);
		facts_init(&f);
		assert_int_equal(mime_parse(msg.data, msg.len, &ml, &f), 0);
		assert_null(f.malformed);
		assert_int_equal(f.n_parts, 2);
		assert_string_equal(f.parts[1].sniffed_type, "application/pdf");
		assert_true(f.parts[1].size == pdf.len);
		assert_int_equal((f.parts[1].findings & CONTENT_PDF_ACTIVE) != 0,
		    active);
		assert_int_equal(f.parts[1].findings & CONTENT_NOT_INSPECTED, 0);
		facts_free(&f);
		buf_free(&pdf);
		buf_free(&msg);
	}
}

/*
 * A message a source fetched by its parts (docs/imap.md): bodies from
 * heads_from on are heads.  Those are typed and not inspected, those
 * before are inspected as in the whole message; heads_from past the end
 * is the whole message.
 */
static void
test_parse_heads(void **state)
{
	static const struct mime_limits ml = MIME_LIMITS_DEFAULT;
	static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Catalog >> "
	    "endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
	struct buf msg;
	struct msg_facts f;
	const char *second;
	size_t at, cut;

	(void)state;
	buf_init(&msg);
	buf_puts(&msg, "From: a@b.test\r\nSubject: RIB\r\nMIME-Version: 1.0"
	    "\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
	    "Content-Type: text/plain\r\n\r\nci-joint\r\n");
	for (at = 0; at < 2; at++) {
		buf_printf(&msg, "--b\r\nContent-Type: application/pdf; name="
		    "\"r%zu.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		    at);
		b64_lines(&msg, (const unsigned char *)pdf, sizeof(pdf) - 1);
	}
	buf_puts(&msg, "--b--\r\n");
	assert_false(msg.failed);
	second = strstr(msg.data, "name=\"r1.pdf\"");
	assert_non_null(second);
	cut = (size_t)(strstr(second, "\r\n\r\n") + 4 - msg.data);

	facts_init(&f);
	assert_int_equal(mime_parse_heads(msg.data, msg.len, &ml, cut, &f), 0);
	assert_null(f.malformed);
	assert_int_equal(f.n_parts, 3);
	assert_string_equal(f.parts[1].sniffed_type, "application/pdf");
	assert_int_equal(f.parts[1].findings & CONTENT_NOT_INSPECTED, 0);
	/* The head is typed, and not called inspected: too large, for its
	 * size alone, never forbidden (CONTENT_NOT_INSPECTED). */
	assert_string_equal(f.parts[2].sniffed_type, "application/pdf");
	assert_true(f.parts[2].findings & CONTENT_TOO_LARGE);
	assert_int_equal(f.parts[2].findings & CONTENT_NOT_INSPECTED, 0);
	assert_int_equal(f.parts[1].findings & CONTENT_TOO_LARGE, 0);
	facts_free(&f);

	facts_init(&f);
	assert_int_equal(mime_parse_heads(msg.data, msg.len, &ml, msg.len, &f),
	    0);
	assert_int_equal(f.parts[2].findings & CONTENT_NOT_INSPECTED, 0);
	facts_free(&f);

	/* From the first body on: the own text too is a head. */
	facts_init(&f);
	assert_int_equal(mime_parse_heads(msg.data, msg.len, &ml, 0, &f), 0);
	assert_true(f.parts[0].findings & CONTENT_TOO_LARGE);
	assert_true(f.parts[1].findings & CONTENT_TOO_LARGE);
	assert_int_equal((f.parts[0].findings | f.parts[1].findings) &
	    CONTENT_NOT_INSPECTED, 0);
	facts_free(&f);
	buf_free(&msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_head_only_not_inspected),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_b64_differential),
		cmocka_unit_test(test_pdf_inflate_bomb),
		cmocka_unit_test(test_pdf_million_objects),
		cmocka_unit_test(test_pdf_stream_skipped),
		cmocka_unit_test(test_zip_many_entries),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_tnef),
		cmocka_unit_test(test_parse_reads_elided_middle),
		cmocka_unit_test(test_parse_heads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
