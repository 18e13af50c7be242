/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content_zip - the containers of Office documents (see content.h): a
 * zip's directory (OOXML, OpenDocument, or a plain archive) and an OLE
 * Compound File's directory (Word 97, Excel 97...).
 *
 * Why walk them rather than trust libmagic: libmagic names a .docx by its
 * first entries, and says nothing of the macros inside; a macro is an
 * entry (vbaProject.bin) or a storage (VBA) deep in the directory.  Both
 * walks read names only and stop at the buffer's end and at the entry
 * limit: a 10,000-entry zip costs 10,000 short comparisons, a zip bomb
 * nothing more than its directory.  One entry only is ever inflated: an
 * OpenDocument file's META-INF/manifest.xml, which alone says whether its
 * entries are encrypted (ODF encryption sets no zip flag), bounded by
 * ZIP_MANIFEST_MAX and max_inflate.
 *
 * Encryption: an Office file with a password is an OLE file holding an
 * "EncryptedPackage" stream (OOXML) or an OpenDocument zip whose manifest
 * has <manifest:encryption-data>: CONTENT_ENCRYPTED (attachment_encrypted,
 * the partner is asked for it without a password).  A zip whose entries
 * carry the zip encryption flag is an archive whatever its names say.
 */
#include "balp/content.h"
#include "balp/text.h"
#include "balp/zip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of an OpenDocument manifest read; real ones are a few KiB. */
#define ZIP_MANIFEST_MAX	((size_t)256 << 10)

/* What one entry name says. */
struct zip_seen {
	int	content_types;	/* [Content_Types].xml: OOXML */
	int	manifest;	/* META-INF/manifest.xml: OpenDocument */
	int	odf_content;	/* content.xml */
	int	macro;
	int	encrypted;	/* an entry with the zip encryption flag */
	size_t	names;		/* entries read */
	/* The manifest's entry, from the central directory. */
	int	has_manifest_entry;
	struct zip_entry manifest_entry;
};

/* 1 if name[0..n) ends with the path component or suffix s. */
static int
ends_ci(const unsigned char *name, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && text_ascii_ncasecmp((const char *)name + n - k, s,
	    k) == 0 && (n == k || name[n - k - 1] == '/' ||
	    name[n - k - 1] == '\\');
}

static int
starts_ci(const unsigned char *name, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && text_ascii_ncasecmp((const char *)name, s, k) == 0;
}

static void
zip_name(const unsigned char *name, size_t n, struct zip_seen *z)
{
	z->names++;
	if (n == 19 && memcmp(name, "[Content_Types].xml", 19) == 0)
		z->content_types = 1;
	else if (n == 21 && text_ascii_ncasecmp((const char *)name,
	    "META-INF/manifest.xml", 21) == 0)
		z->manifest = 1;
	else if (n == 11 && memcmp(name, "content.xml", 11) == 0)
		z->odf_content = 1;
	/*
	 * VBA (Word, Excel, PowerPoint), Excel 4 macro sheets, and
	 * OpenDocument Basic or scripts.
	 */
	if (ends_ci(name, n, "vbaProject.bin") ||
	    ends_ci(name, n, "vbaProjectSignature.bin") ||
	    starts_ci(name, n, "xl/macrosheets/") ||
	    starts_ci(name, n, "Basic/") || starts_ci(name, n, "Scripts/"))
		z->macro = 1;
}

/* 1 if needle[0..n) is in b[0..len). */
static int
has_bytes(const unsigned char *b, size_t len, const char *needle)
{
	return memmem(b, len, needle, strlen(needle)) != NULL;
}

/*
 * CONTENT_ENCRYPTED if the OpenDocument manifest the central directory
 * pointed to lists encryption-data, CONTENT_NOT_INSPECTED if it cannot
 * be read (cut, an unknown method, broken deflate data, larger than
 * ZIP_MANIFEST_MAX), else 0.  Inflates into one bounded buffer.
 */
static unsigned
zip_manifest_encrypted(const unsigned char *b, size_t len,
    const struct zip_seen *z, const struct content_limits *lim)
{
	static const char mark[] = "encryption-data";
	unsigned char *out;
	size_t cap, n;
	enum zip_read r;
	unsigned f;

	if (!z->has_manifest_entry)
		return 0;	/* names read from local headers only */
	cap = ZIP_MANIFEST_MAX < lim->max_inflate ? ZIP_MANIFEST_MAX :
	    lim->max_inflate;
	r = zip_entry_read(b, len, &z->manifest_entry, cap, &out, &n);
	if (out == NULL)
		return CONTENT_NOT_INSPECTED;
	if (has_bytes(out, n, mark))
		f = CONTENT_ENCRYPTED;
	else if (r != ZIP_READ_OK)
		f = CONTENT_NOT_INSPECTED;
	else
		f = 0;
	free(out);
	return f;
}

unsigned
content_zip(const unsigned char *b, size_t len,
    const struct content_limits *lim)
{
	struct zip_seen z;
	struct zip_dir d;
	struct zip_entry e;
	unsigned f = 0;
	size_t off, k, nl, xl, csize;
	int local, has_dir;

	memset(&z, 0, sizeof(z));
	local = len >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 &&
	    b[3] == 4;
	has_dir = zip_dir_open(&d, b, len) == 0;
	if (!local && !has_dir)
		return 0;
	if (has_dir) {
		/* A stray "PK\5\6" in some other format is no zip. */
		if (!local && !zip_dir_plausible(&d))
			return 0;
		while (d.k < lim->max_zip_entries &&
		    zip_dir_next(&d, &e) == 1) {
			zip_name(e.name, e.name_len, &z);
			if (e.flags & 0x01)
				z.encrypted = 1;
			if (e.name_len == 21 && text_ascii_ncasecmp((const char *)
			    e.name, "META-INF/manifest.xml", 21) == 0) {
				z.has_manifest_entry = 1;
				z.manifest_entry = e;
			}
		}
		/* Over the limit, Zip64 (0xFFFF entries) or a directory cut
		 * short. */
		if (d.k < d.n || d.zip64)
			f |= CONTENT_NOT_INSPECTED;
	} else {
		/*
		 * No directory (cut, or forged): the local headers still
		 * carry the names a tool that repairs zips would find.
		 */
		for (off = 0, k = 0; off + 30 <= len; k++) {
			if (k >= lim->max_zip_entries ||
			    zip_le32(b + off) != ZIP_SIG_LOCAL)
				break;
			nl = zip_le16(b + off + 26);
			xl = zip_le16(b + off + 28);
			csize = zip_le32(b + off + 18);
			if (nl > len - off - 30)
				break;
			zip_name(b + off + 30, nl, &z);
			if (zip_le16(b + off + 6) & 0x01)
				z.encrypted = 1;
			if ((zip_le16(b + off + 6) & 0x08) && csize == 0)
				break;	/* size after the data: unknown */
			if (csize > len - off - 30 - nl ||
			    xl > len - off - 30 - nl - csize)
				break;
			off += 30 + nl + xl + csize;
		}
	}
	/*
	 * Not one entry readable: nothing a tool could extract either;
	 * plain data as far as this check goes.
	 */
	if (z.names == 0)
		return f;
	/* Zip encryption: no Office program opens it, an archive tool does. */
	if (!z.encrypted && (z.content_types || (z.manifest && z.odf_content)))
		f |= CONTENT_OFFICE;
	else
		f |= CONTENT_ARCHIVE;
	if (z.macro)
		f |= CONTENT_MACRO;
	if ((f & CONTENT_OFFICE) && z.manifest && z.odf_content)
		f |= zip_manifest_encrypted(b, len, &z, lim);
	return f;
}

/* ------------------------------------------------------------------ */
/* OLE Compound File                                                   */

static const unsigned char ole_magic[8] = {
	0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1
};

/* 1 if the UTF-16LE name of a directory entry equals ascii, any case. */
static int
ole_name_is(const unsigned char *ent, const char *ascii)
{
	size_t n = strlen(ascii), nbytes = zip_le16(ent + 64), i;

	/* the length counts the terminating NUL */
	if (nbytes != (n + 1) * 2 || nbytes > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (ent[2 * i + 1] != 0 || text_ascii_lower((char)ent[2 * i]) !=
		    text_ascii_lower(ascii[i]))
			return 0;
	return 1;
}

unsigned
content_ole(const unsigned char *b, size_t len)
{
	static const char *const vba[] = { "VBA", "_VBA_PROJECT",
	    "_VBA_PROJECT_CUR", "Macros", "PROJECT", "PROJECTwm", NULL };
	size_t off, k;
	unsigned enc = 0;
	unsigned f;

	if (len < 512 || memcmp(b, ole_magic, sizeof(ole_magic)) != 0)
		return 0;
	f = CONTENT_OFFICE;
	/*
	 * Directory entries are 128 bytes, 128-aligned within sectors of
	 * 512 or 4096 bytes that follow the 512-byte header: looking at
	 * every 128-byte slot finds every entry without following the FAT
	 * chains a hostile file could loop.  A slot of stream data that
	 * looks like a VBA entry costs a false alarm, never a miss.
	 */
	for (off = 512; off + 128 <= len; off += 128) {
		/* object type: 1 storage, 2 stream */
		if (b[off + 66] != 1 && b[off + 66] != 2)
			continue;
		for (k = 0; vba[k] != NULL; k++)
			if (ole_name_is(b + off, vba[k]))
				return f | enc | CONTENT_MACRO;
		/* an OOXML file with a password, wrapped in OLE */
		if (b[off + 66] == 2 && ole_name_is(b + off, "EncryptedPackage"))
			enc = CONTENT_ENCRYPTED;
	}
	return f | enc;
}
