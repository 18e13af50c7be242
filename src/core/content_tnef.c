/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content_tnef - Outlook's winmail.dat (see content.h).
 *
 * Outlook wraps a message's attachments in one application/ms-tnef part
 * (Transport Neutral Encapsulation Format, [MS-OXTNEF]) when it sends
 * "rich text": a mail client that reads TNEF shows the files inside, so
 * they are judged like any attachment.  The format is a flat list of
 * attributes (level, id, length, data, checksum); each attachment opens
 * with attAttachRendData, then carries its title (attAttachTitle) and its
 * bytes (attAttachData).  The walk reads the list once, bounded by the
 * buffer and by max_tnef_attributes, and hands each attachment's bytes to
 * the caller's function, which types them (libmagic is the mail layer's)
 * and inspects them.  An attachment whose bytes are elsewhere (in MAPI
 * properties: an embedded message, an OLE object) could not be looked at:
 * CONTENT_NOT_INSPECTED.
 *
 * Ownership: nothing allocated here.
 */
#include "balp/content.h"

#include <stdint.h>
#include <string.h>

#define TNEF_SIGNATURE		0x223E9F78U
#define TNEF_LVL_ATTACHMENT	0x02
#define ATT_ATTACH_REND_DATA	0x00069002U
#define ATT_ATTACH_TITLE	0x00018010U
#define ATT_ATTACH_DATA		0x0006800FU

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The extension of a NUL-padded title, as attachment.c reads names. */
static enum content_kind
title_kind(const unsigned char *t, size_t n)
{
	size_t i, dot = n;

	while (n > 0 && (t[n - 1] == '\0' || t[n - 1] == ' ' ||
	    t[n - 1] == '.'))
		n--;
	for (i = 0; i < n; i++) {
		if (t[i] == '/' || t[i] == '\\')
			dot = n;
		else if (t[i] == '.')
			dot = i;
	}
	if (dot >= n)
		return CONTENT_KIND_UNKNOWN;
	return content_kind_of_extension((const char *)t + dot + 1,
	    n - dot - 1);
}

unsigned
content_tnef(const unsigned char *b, size_t len,
    const struct content_limits *lim, content_nested_fn fn, void *arg)
{
	const unsigned char *data;
	size_t off = 6, n = 0;
	uint32_t id, alen;
	unsigned f = 0, g;
	int open_att = 0, has_data = 0;
	enum content_kind named = CONTENT_KIND_UNKNOWN, is;

	if (len < 6 || le32(b) != TNEF_SIGNATURE)
		return 0;
	while (off < len) {
		/* level, id, length; then data and a 2-byte checksum */
		if (len - off < 9 || ++n > lim->max_tnef_attributes) {
			f |= CONTENT_NOT_INSPECTED;
			break;
		}
		id = le32(b + off + 1);
		alen = le32(b + off + 5);
		if (alen > len - off - 9 || len - off - 9 - alen < 2) {
			f |= CONTENT_NOT_INSPECTED;
			break;
		}
		data = b + off + 9;
		if (b[off] == TNEF_LVL_ATTACHMENT) {
			switch (id) {
			case ATT_ATTACH_REND_DATA:
				if (open_att && !has_data)
					f |= CONTENT_NOT_INSPECTED;
				open_att = 1;
				has_data = 0;
				named = CONTENT_KIND_UNKNOWN;
				break;
			case ATT_ATTACH_TITLE:
				named = title_kind(data, alen);
				if (named == CONTENT_KIND_EXECUTABLE ||
				    named == CONTENT_KIND_MARKUP)
					f |= named == CONTENT_KIND_MARKUP ?
					    CONTENT_MARKUP : CONTENT_EXECUTABLE;
				break;
			case ATT_ATTACH_DATA:
				has_data = 1;
				g = fn(data, alen, arg);
				f |= g & CONTENT_FORBIDDEN;
				/*
				 * A title its content contradicts (a PDF
				 * named .jpg inside): the findings have no bit
				 * for it, and it forbids as well.
				 */
				is = content_kind_found(NULL, g);
				if (named != CONTENT_KIND_UNKNOWN &&
				    is != CONTENT_KIND_UNKNOWN && is != named &&
				    !(named == CONTENT_KIND_ARCHIVE &&
				    is == CONTENT_KIND_OFFICE))
					f |= CONTENT_NOT_INSPECTED;
				break;
			default:
				break;
			}
		}
		off += 9 + (size_t)alen + 2;
	}
	if (open_att && !has_data)
		f |= CONTENT_NOT_INSPECTED;
	return f;
}
