/* SPDX-License-Identifier: Apache-2.0 */
/*
 * zip - a zip file's central directory walked, and one entry inflated into
 * a bounded buffer.  Pure: reads the bytes it is given, never past them;
 * shared by content_zip.c (what an attachment's zip holds) and sheet.c
 * (the entries of an .xlsx or .ods annex).
 *
 * Usage:
 *	struct zip_dir d;
 *	struct zip_entry e;
 *	if (zip_dir_open(&d, b, len) == 0)
 *		while ((r = zip_dir_next(&d, &e)) == 1)
 *			... e.name, e.name_len, e.method ...
 *	zip_entry_read(b, len, &e, cap, &out, &n)   -> the entry's bytes
 *
 * Ownership: entries point into the caller's buffer; zip_entry_read's
 * output is the caller's to free().
 */
#ifndef BALP_ZIP_H
#define BALP_ZIP_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t
zip_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
zip_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

#define ZIP_SIG_LOCAL	0x04034b50u	/* "PK\3\4" */
#define ZIP_SIG_CENTRAL	0x02014b50u	/* "PK\1\2" */

/* The central directory being read. */
struct zip_dir {
	const unsigned char	*b;
	size_t			 len;
	size_t			 off;	/* the next central header */
	size_t			 end;	/* the end-of-directory record */
	size_t			 n;	/* entries the end record announces */
	size_t			 k;	/* entries read so far */
	int			 zip64;	/* 0xFFFF entries: Zip64, not read */
};

/* One central directory entry, pointing into the zip's bytes. */
struct zip_entry {
	const unsigned char	*name;
	size_t			 name_len;
	unsigned		 flags;		/* general purpose bits */
	unsigned		 method;	/* 0 stored, 8 deflate */
	size_t			 csize;		/* compressed size */
	size_t			 usize;		/* size it says inflated */
	size_t			 local;		/* its local header's offset */
};

/*
 * Finds the end-of-central-directory record (within the last 64 KiB and
 * 22 bytes, after which only a comment may come) and positions d on the
 * first central header.  An offset that points outside the file (data
 * prepended, a self-extractor) is replaced by the one the directory's
 * size gives.  0, or -1 if there is no end record.
 */
int	 zip_dir_open(struct zip_dir *d, const unsigned char *b, size_t len);

/* 1 if d's first central header is where the end record says. */
int	 zip_dir_plausible(const struct zip_dir *d);

/*
 * The next entry into e: 1; 0 once the announced entries are read; -1 if
 * the directory ends or breaks before (d->k says how many were read).
 */
int	 zip_dir_next(struct zip_dir *d, struct zip_entry *e);

/* 1 if e's name is s exactly (case matters, as in a zip). */
int	 zip_entry_is(const struct zip_entry *e, const char *s);

enum zip_read {
	ZIP_READ_OK = 0,
	ZIP_READ_CUT,		/* its data is not inside the file */
	ZIP_READ_METHOD,	/* neither stored nor deflate, or encrypted */
	ZIP_READ_CORRUPT,	/* the deflate stream is broken */
	ZIP_READ_TOO_BIG,	/* more than cap bytes */
	ZIP_READ_NOMEM,
};

/*
 * e's data (stored or deflated) into *out (malloc'ed, NUL-terminated,
 * caller frees; NULL only on ZIP_READ_NOMEM, ZIP_READ_CUT and
 * ZIP_READ_METHOD), *n its length.  At most cap bytes are ever inflated:
 * beyond, ZIP_READ_TOO_BIG with the first cap bytes in *out (what was
 * read is still there to look at).  The sizes the zip announces are not
 * trusted.
 */
enum zip_read zip_entry_read(const unsigned char *b, size_t len,
	    const struct zip_entry *e, size_t cap, unsigned char **out,
	    size_t *n);

#endif
