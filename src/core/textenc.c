/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textenc - which encoding a text file was saved in, and its text as
 * UTF-8 (see include/balp/textenc.h).  Out of annex_file.c, whose CSV
 * reading it serves, to keep that file about the annex.
 */
#include "balp/textenc.h"

#include <stdint.h>
#include <string.h>

#include "balp/text.h"

/*
 * What spreadsheets write (DESIGN.md): UTF-8 with or without BOM; UTF-16
 * with BOM (Excel's "Unicode text", LibreOffice's UTF-16 export); and
 * Windows-1252, what Excel saves as "CSV (separator: semicolon)" on a
 * French Windows.  The file is decoded to UTF-8 once, before the CSV is
 * read, so lines keep their numbers.  A byte or code unit that cannot be
 * decoded becomes 0xFF, never UTF-8, and the annex's reader reports its
 * line naming the encoding: nothing is guessed silently.
 */
#define BAD_BYTE	'\xFF'

static const char ENC_UTF8[] = "UTF-8";
static const char ENC_UTF8_BOM[] = "UTF-8 with BOM";
static const char ENC_UTF16LE[] = "UTF-16LE";
static const char ENC_UTF16BE[] = "UTF-16BE";
static const char ENC_UTF16LE_NOBOM[] = "UTF-16LE (no BOM)";
static const char ENC_UTF16BE_NOBOM[] = "UTF-16BE (no BOM)";
static const char ENC_CP1252[] = "windows-1252";

/* UTF-16 from byte i (2: after its BOM) into out. */
static void
utf16_decode(const unsigned char *d, size_t len, size_t i, int be,
    struct buf *out)
{
	char tmp[4];
	uint32_t u, lo;

	buf_add(out, "", 0);
	while (i + 1 < len) {
		u = be ? (uint32_t)d[i] << 8 | d[i + 1] :
		    (uint32_t)d[i + 1] << 8 | d[i];
		i += 2;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len) {
			lo = be ? (uint32_t)d[i] << 8 | d[i + 1] :
			    (uint32_t)d[i + 1] << 8 | d[i];
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				i += 2;
				u = 0x10000 + ((u - 0xD800) << 10) +
				    (lo - 0xDC00);
				buf_add(out, tmp, text_utf8_put(u, tmp));
				continue;
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			buf_putc(out, BAD_BYTE);	/* lone surrogate */
		else
			buf_add(out, tmp, text_utf8_put(u, tmp));
	}
	if (i < len)
		buf_putc(out, BAD_BYTE);		/* half a code unit */
}

/* Windows-1252 into out; its five undefined bytes are no text. */
static void
cp1252_decode(const unsigned char *d, size_t len, struct buf *out)
{
	char tmp[4];
	size_t i;

	buf_add(out, "", 0);
	for (i = 0; i < len; i++) {
		if (d[i] == 0x81 || d[i] == 0x8D || d[i] == 0x8F ||
		    d[i] == 0x90 || d[i] == 0x9D)
			buf_putc(out, BAD_BYTE);
		else
			buf_add(out, tmp, text_utf8_put(text_cp1252_cp(d[i]),
			    tmp));
	}
}

/*
 * 1 if d holds at least one well-formed multi-byte UTF-8 sequence: a file
 * that is not valid UTF-8 but has some is UTF-8 with bad lines (pasted
 * from elsewhere), reported as such; read as Windows-1252, its good lines
 * would turn into "HÃ©lÃ¨ne" without a word.
 */
static int
has_utf8_sequence(const char *d, size_t len)
{
	const unsigned char *u = (const unsigned char *)d;
	size_t i, n;

	for (i = 0; i < len; i++) {
		if (u[i] < 0xC2 || u[i] > 0xF4)
			continue;
		n = u[i] < 0xE0 ? 2 : u[i] < 0xF0 ? 3 : 4;
		if (i + n <= len && text_utf8_valid(d + i, n))
			return 1;
	}
	return 0;
}

/*
 * UTF-16 saved without its BOM (some exports do): an annex is mostly
 * Latin text, so one byte of each pair is NUL, always the same one, and
 * the other almost never.  1 big endian, 0 little endian, -1 neither (a
 * UTF-8 or Windows-1252 file has no NUL at all).  Reads the first 4 KiB.
 */
static int
utf16_without_bom(const unsigned char *d, size_t len)
{
	size_t i, n = len > 4096 ? 4096 : len, pairs, nul[2] = { 0, 0 };

	n &= ~(size_t)1;
	if ((pairs = n / 2) < 4)
		return -1;
	for (i = 0; i < n; i++)
		if (d[i] == 0)
			nul[i & 1]++;
	if (nul[1] * 2 >= pairs && nul[0] * 16 <= pairs)
		return 0;	/* "n\0o\0m\0": the high byte second */
	if (nul[0] * 2 >= pairs && nul[1] * 16 <= pairs)
		return 1;
	return -1;
}

int
textenc_decode(const char *d, size_t len, struct buf *dec, const char **enc,
    size_t *skip)
{
	const unsigned char *u = (const unsigned char *)d;
	int be;

	*skip = 0;
	if (len >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0) {
		*enc = ENC_UTF8_BOM;
		*skip = 3;
		return 0;
	}
	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		*enc = ENC_UTF16LE;
		utf16_decode(u, len, 2, 0, dec);
	} else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		*enc = ENC_UTF16BE;
		utf16_decode(u, len, 2, 1, dec);
	} else if ((be = utf16_without_bom(u, len)) >= 0) {
		*enc = be ? ENC_UTF16BE_NOBOM : ENC_UTF16LE_NOBOM;
		utf16_decode(u, len, 0, be, dec);
	} else if (text_utf8_valid(d, len) || has_utf8_sequence(d, len)) {
		*enc = ENC_UTF8;
		return 0;
	} else {
		*enc = ENC_CP1252;
		cp1252_decode(u, len, dec);
	}
	return dec->failed ? -1 : 0;
}

int
textenc_is_utf8(const char *enc)
{
	return enc == ENC_UTF8 || enc == ENC_UTF8_BOM;
}
