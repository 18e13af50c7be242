/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textenc - the encoding of a text file as spreadsheets save it (UTF-8
 * with or without BOM, UTF-16 with or without BOM, Windows-1252), told
 * from its bytes, and the text decoded to UTF-8.  Pure.
 *
 * Ownership: the encoding names are static strings; the decoded text is
 * the caller's struct buf.
 */
#ifndef BALP_TEXTENC_H
#define BALP_TEXTENC_H

#include <stddef.h>

#include "balp/buf.h"

/*
 * Names the encoding of d[0..len) in *enc ("UTF-8", "UTF-8 with BOM",
 * "UTF-16LE", "UTF-16BE", "UTF-16LE (no BOM)", "UTF-16BE (no BOM)",
 * "windows-1252") and, unless it is UTF-8, decodes it into dec (left
 * untouched for UTF-8: read d itself).  *skip is the BOM to step over in
 * UTF-8 text.  What cannot be decoded becomes the byte 0xFF, which is
 * never valid UTF-8, so that the caller finds the line.  -1 on ENOMEM.
 */
int	 textenc_decode(const char *d, size_t len, struct buf *dec,
	    const char **enc, size_t *skip);

/* 1 if enc (from textenc_decode) is one of the two UTF-8 names. */
int	 textenc_is_utf8(const char *enc);

#endif
