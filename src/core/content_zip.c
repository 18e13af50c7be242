/*
 * content_zip - the containers of Office documents (see content.h): a
 * zip's directory (OOXML, OpenDocument, or a plain archive) and an OLE
 * Compound File's directory (Word 97, Excel 97...).
 *
 * Why walk them rather than trust libmagic: libmagic names a .docx by its
 * first entries, and says nothing of the macros inside; a macro is an
 * entry (vbaProject.bin) or a storage (VBA) deep in the directory.  Both
 * walks read names only, never inflate anything, and stop at the buffer's
 * end and at the entry limit: a 10,000-entry zip costs 10,000 short
 * comparisons, a zip bomb nothing more than its directory.
 */
#include "balp/content.h"
#include "balp/text.h"

#include <stdint.h>
#include <string.h>

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* What one entry name says. */
struct zip_seen {
	int	content_types;	/* [Content_Types].xml: OOXML */
	int	manifest;	/* META-INF/manifest.xml: OpenDocument */
	int	odf_content;	/* content.xml */
	int	macro;
	size_t	names;		/* entries read */
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

/* Where the end-of-central-directory record is, or -1. */
static long
zip_eocd(const unsigned char *b, size_t len)
{
	size_t i, lo;

	if (len < 22)
		return -1;
	/* after it only a comment of at most 65535 bytes */
	lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
	for (i = len - 22 + 1; i-- > lo;)
		if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 &&
		    b[i + 3] == 6)
			return (long)i;
	return -1;
}

unsigned
content_zip(const unsigned char *b, size_t len,
    const struct content_limits *lim)
{
	struct zip_seen z;
	unsigned f = 0;
	long e;
	size_t off, end, cd_size, n, k, nl, xl, cl, csize;
	int local;

	memset(&z, 0, sizeof(z));
	local = len >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 &&
	    b[3] == 4;
	e = zip_eocd(b, len);
	if (!local && e < 0)
		return 0;
	if (e >= 0) {
		n = le16(b + e + 10);
		cd_size = le32(b + e + 12);
		off = le32(b + e + 16);
		/* Data prepended (a self-extractor): trust the size. */
		if (off > (size_t)e || cd_size > (size_t)e - off)
			off = cd_size <= (size_t)e ? (size_t)e - cd_size :
			    (size_t)e;
		end = (size_t)e;
		/* A stray "PK\5\6" in some other format is no zip. */
		if (!local && (off + 46 > end || le32(b + off) != 0x02014b50))
			return 0;
		for (k = 0; k < n && off + 46 <= end; k++) {
			if (k >= lim->max_zip_entries) {
				f |= CONTENT_NOT_INSPECTED;
				break;
			}
			if (le32(b + off) != 0x02014b50)
				break;
			nl = le16(b + off + 28);
			xl = le16(b + off + 30);
			cl = le16(b + off + 32);
			if (nl > end - off - 46)
				break;
			zip_name(b + off + 46, nl, &z);
			off += 46 + nl + xl + cl;
		}
		/* Zip64 (0xFFFF entries) or a directory cut short. */
		if (n == 0xFFFF || k < n)
			f |= CONTENT_NOT_INSPECTED;
	} else {
		/*
		 * No directory (cut, or forged): the local headers still
		 * carry the names a tool that repairs zips would find.
		 */
		for (off = 0, k = 0; off + 30 <= len; k++) {
			if (k >= lim->max_zip_entries ||
			    le32(b + off) != 0x04034b50)
				break;
			nl = le16(b + off + 26);
			xl = le16(b + off + 28);
			csize = le32(b + off + 18);
			if (nl > len - off - 30)
				break;
			zip_name(b + off + 30, nl, &z);
			if ((le16(b + off + 6) & 0x08) && csize == 0)
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
	if (z.content_types || (z.manifest && z.odf_content))
		f |= CONTENT_OFFICE;
	else
		f |= CONTENT_ARCHIVE;
	if (z.macro)
		f |= CONTENT_MACRO;
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
	size_t n = strlen(ascii), nbytes = le16(ent + 64), i;

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
				return f | CONTENT_MACRO;
	}
	return f;
}
