/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zip - the central directory of a zip, and one entry read (see
 * include/balp/zip.h).
 *
 * Why by hand beside zlib: only the directory's layout is needed (a few
 * fixed offsets), and a hostile zip must cost no more than its bytes:
 * every offset and length is checked against the buffer before it is
 * read, the sizes the zip announces are never trusted for an allocation,
 * and inflating stops at the caller's cap.
 */
#include "balp/zip.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int
zip_dir_open(struct zip_dir *d, const unsigned char *b, size_t len)
{
	size_t i, lo, e = 0, cd_size, off;
	int found = 0;

	memset(d, 0, sizeof(*d));
	if (len < 22)
		return -1;
	/* after it only a comment of at most 65535 bytes */
	lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
	for (i = len - 22 + 1; i-- > lo;)
		if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 &&
		    b[i + 3] == 6) {
			e = i;
			found = 1;
			break;
		}
	if (!found)
		return -1;
	d->b = b;
	d->len = len;
	d->end = e;
	d->n = zip_le16(b + e + 10);
	d->zip64 = d->n == 0xFFFF;
	cd_size = zip_le32(b + e + 12);
	off = zip_le32(b + e + 16);
	/* Data prepended (a self-extractor): trust the size. */
	if (off > e || cd_size > e - off)
		off = cd_size <= e ? e - cd_size : e;
	d->off = off;
	return 0;
}

int
zip_dir_plausible(const struct zip_dir *d)
{
	return d->off + 46 <= d->end &&
	    zip_le32(d->b + d->off) == ZIP_SIG_CENTRAL;
}

int
zip_dir_next(struct zip_dir *d, struct zip_entry *e)
{
	const unsigned char *p;
	size_t nl, xl, cl;

	if (d->k >= d->n)
		return 0;
	if (d->off + 46 > d->end || zip_le32(d->b + d->off) != ZIP_SIG_CENTRAL)
		return -1;
	p = d->b + d->off;
	nl = zip_le16(p + 28);
	xl = zip_le16(p + 30);
	cl = zip_le16(p + 32);
	if (nl > d->end - d->off - 46)
		return -1;
	memset(e, 0, sizeof(*e));
	e->name = p + 46;
	e->name_len = nl;
	e->flags = zip_le16(p + 8);
	e->method = zip_le16(p + 10);
	e->csize = zip_le32(p + 20);
	e->usize = zip_le32(p + 24);
	e->local = zip_le32(p + 42);
	d->off += 46 + nl + xl + cl;
	d->k++;
	return 1;
}

int
zip_entry_is(const struct zip_entry *e, const char *s)
{
	size_t n = strlen(s);

	return e->name_len == n && memcmp(e->name, s, n) == 0;
}

enum zip_read
zip_entry_read(const unsigned char *b, size_t len, const struct zip_entry *e,
    size_t cap, unsigned char **out, size_t *n)
{
	unsigned char *o;
	size_t lh = e->local, data;
	z_stream zs;
	int r;

	*out = NULL;
	*n = 0;
	if (lh > len || len - lh < 30 || zip_le32(b + lh) != ZIP_SIG_LOCAL)
		return ZIP_READ_CUT;
	data = lh + 30 + (size_t)zip_le16(b + lh + 26) + zip_le16(b + lh + 28);
	if (data > len || e->csize > len - data)
		return ZIP_READ_CUT;
	if ((e->flags & 0x01) || (e->method != 0 && e->method != 8))
		return ZIP_READ_METHOD;
	if ((o = malloc(cap + 1)) == NULL)
		return ZIP_READ_NOMEM;
	if (e->method == 0) {
		*n = e->csize < cap ? e->csize : cap;
		memcpy(o, b + data, *n);
		o[*n] = '\0';
		*out = o;
		return e->csize > cap ? ZIP_READ_TOO_BIG : ZIP_READ_OK;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		free(o);
		return ZIP_READ_NOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)(b + data);
	zs.avail_in = e->csize > (1U << 30) ? 1U << 30 : (uInt)e->csize;
	zs.next_out = o;
	zs.avail_out = cap > (1U << 30) ? 1U << 30 : (uInt)cap;
	r = inflate(&zs, Z_FINISH);
	*n = (size_t)(zs.next_out - o);
	inflateEnd(&zs);
	o[*n] = '\0';
	*out = o;
	if (r == Z_STREAM_END)
		return ZIP_READ_OK;
	if (r == Z_MEM_ERROR)
		return ZIP_READ_NOMEM;
	return zs.avail_out == 0 ? ZIP_READ_TOO_BIG : ZIP_READ_CORRUPT;
}
