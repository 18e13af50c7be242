/*
 * content_pdf - is a PDF active (see content.h)?
 *
 * A PDF runs JavaScript, launches programs, carries files or acts when
 * opened only through names in its object dictionaries: /JavaScript,
 * /JS, /Launch, /EmbeddedFile(s), /AA (additional actions), /RichMedia.
 * Names may hide behind '#'-escapes (/J#61vaScript is /JavaScript), and
 * since PDF 1.5 objects may sit compressed in object streams (/Type
 * /ObjStm, almost always /FlateDecode).  So:
 *
 *  - every name outside stream data is decoded and compared;
 *  - stream data is skipped (images and page contents hold no dictionary
 *    a reader acts on, and their bytes would match names by chance),
 *    except an object stream's, which is inflated and read for names;
 *  - inflating is bounded in streams (max_pdf_streams) and in output
 *    bytes (max_inflate, for all streams of the part together), through
 *    one fixed window: a bomb costs its bound, never memory.  Past a
 *    bound, or when an object stream cannot be inflated, the part is
 *    CONTENT_NOT_INSPECTED: what we could not read is not clean.
 *
 * Ownership: zlib's state and the window are allocated and freed here.
 */
#include "balp/content.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Longest decoded name compared; longer ones are none of ours. */
#define PDF_NAME_MAX	32
/* Inflate window, and the bytes kept from one window to the next so
 * that a name across the seam is read whole. */
#define PDF_WINDOW	((size_t)64 << 10)
#define PDF_CARRY	((size_t)256)

struct pdf_state {
	const struct content_limits *lim;
	unsigned	 found;
	int		 objstm;	/* /ObjStm seen since the last stream */
	size_t		 streams;	/* object streams inflated */
	size_t		 inflated;	/* bytes inflated, all streams */
	unsigned char	*window;	/* PDF_WINDOW + PDF_CARRY, lazily */
};

/* 1 for white space and delimiters (PDF 32000 7.2.2), which end a name. */
static const unsigned char pdf_delim_tab[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1,	/* ' ' % ( ) / */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,	/* < > */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0,	/* [ ] */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1,	/* { } DEL */
};

static int
pdf_delim(unsigned char c)
{
	return pdf_delim_tab[c];
}

static int
hexv(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static void
pdf_judge_name(struct pdf_state *st, const char *n, size_t len)
{
	static const struct {
		const char	*s;
		size_t		 n;
	} active[] = { { "JavaScript", 10 }, { "JS", 2 }, { "Launch", 6 },
	    { "EmbeddedFile", 12 }, { "EmbeddedFiles", 13 }, { "AA", 2 },
	    { "RichMedia", 9 } };
	size_t k;

	/* Most names are of none of these lengths: one test for them. */
	if (len != 2 && len != 6 && len != 9 && len != 10 && len != 12 &&
	    len != 13)
		return;
	if (len == 6 && memcmp(n, "ObjStm", 6) == 0) {
		st->objstm = 1;
		return;
	}
	for (k = 0; k < sizeof(active) / sizeof(active[0]); k++)
		if (active[k].n == len && memcmp(n, active[k].s, len) == 0) {
			st->found |= CONTENT_PDF_ACTIVE;
			return;
		}
}

/*
 * Reads the names that start in s[0..limit) (reading on up to n) and
 * judges each.  Returns nothing: findings go to st.
 */
static void
pdf_names(struct pdf_state *st, const unsigned char *s, size_t n,
    size_t limit)
{
	const unsigned char *p;
	char name[PDF_NAME_MAX];
	size_t i = 0, k;
	int h, l;

	while (i < limit) {
		if ((p = memchr(s + i, '/', limit - i)) == NULL)
			return;
		i = (size_t)(p - s) + 1;
		k = 0;
		while (i < n && !pdf_delim(s[i]) && k < PDF_NAME_MAX) {
			if (s[i] == '#' && i + 2 < n &&
			    (h = hexv(s[i + 1])) >= 0 &&
			    (l = hexv(s[i + 2])) >= 0) {
				name[k++] = (char)(h << 4 | l);
				i += 3;
			} else
				name[k++] = (char)s[i++];
		}
		if (k < PDF_NAME_MAX && k > 0)
			pdf_judge_name(st, name, k);
		/* a longer name: skip the rest of it */
		while (i < n && !pdf_delim(s[i]))
			i++;
	}
}

/*
 * Inflates the object stream whose data start at s[0..n) and reads the
 * names in it.  n runs to "endstream" (ended) or the end of the part,
 * whose bytes the caller then reads for names anyway.
 */
static void
pdf_objstm(struct pdf_state *st, const unsigned char *s, size_t n,
    int ended)
{
	z_stream z;
	size_t have, carry = 0, budget;
	int r;

	if (st->streams >= st->lim->max_pdf_streams) {
		st->found |= CONTENT_NOT_INSPECTED;
		return;
	}
	st->streams++;
	if (st->window == NULL &&
	    (st->window = malloc(PDF_WINDOW + PDF_CARRY)) == NULL) {
		st->found |= CONTENT_NOT_INSPECTED;
		return;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		st->found |= CONTENT_NOT_INSPECTED;
		return;
	}
	/* zlib counts in uInt: feed at most 1 GiB, more than any part */
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = n > (1U << 30) ? 1U << 30 : (uInt)n;
	for (;;) {
		if (st->inflated >= st->lim->max_inflate) {
			st->found |= CONTENT_NOT_INSPECTED;
			break;
		}
		budget = st->lim->max_inflate - st->inflated;
		z.next_out = st->window + carry;
		z.avail_out = (uInt)(budget < PDF_WINDOW ? budget : PDF_WINDOW);
		r = inflate(&z, Z_NO_FLUSH);
		have = (size_t)(z.next_out - st->window);
		st->inflated += have - carry;
		if (r == Z_STREAM_END || r != Z_OK) {
			pdf_names(st, st->window, have, have);
			/*
			 * An object stream that is no zlib data at all is read
			 * as it is (an unfiltered one); one that breaks
			 * midway hides its end.
			 */
			if (r != Z_STREAM_END && have == 0 && z.total_out == 0) {
				if (ended)
					pdf_names(st, s, n, n);
			}
			else if (r != Z_STREAM_END && r != Z_BUF_ERROR)
				st->found |= CONTENT_NOT_INSPECTED;
			else if (r == Z_BUF_ERROR && z.avail_in == 0)
				st->found |= CONTENT_NOT_INSPECTED;
			break;
		}
		if (have > PDF_CARRY) {
			pdf_names(st, st->window, have, have - PDF_CARRY);
			memmove(st->window, st->window + have - PDF_CARRY,
			    PDF_CARRY);
			carry = PDF_CARRY;
		} else
			carry = have;
		if (z.avail_in == 0 && have == carry && r == Z_OK &&
		    z.avail_out != 0) {
			/* input ended before the stream did */
			pdf_names(st, st->window, carry, carry);
			st->found |= CONTENT_NOT_INSPECTED;
			break;
		}
	}
	inflateEnd(&z);
}

/* Where a "stream" keyword at s[i] ends its line (the data start). */
static size_t
pdf_stream_data(const unsigned char *s, size_t n, size_t i)
{
	i += 6;
	if (i < n && s[i] == '\r')
		i++;
	if (i < n && s[i] == '\n')
		i++;
	return i;
}

unsigned
content_pdf(const unsigned char *b, size_t len, int whole,
    const struct content_limits *lim)
{
	static const char kw[] = "stream", endkw[] = "endstream";
	struct pdf_state st;
	const unsigned char *p, *e;
	size_t i = 0, head, sp, data, stop;
	int objstm, no_end = 0;

	/* A reader finds "%PDF-" in the first KiB, not only at 0. */
	head = len < 1024 ? len : 1024;
	if (len < 5 || (p = memmem(b, head, "%PDF-", 5)) == NULL)
		return 0;
	memset(&st, 0, sizeof(st));
	st.lim = lim;
	st.found = CONTENT_PDF;
	while (i < len) {
		p = memmem(b + i, len - i, kw, sizeof(kw) - 1);
		sp = p != NULL ? (size_t)(p - b) : len;
		pdf_names(&st, b + i, len - i, sp - i);
		if (p == NULL)
			break;
		/* "endstream" without a stream before it: go on after it */
		if (sp >= 3 && memcmp(b + sp - 3, "end", 3) == 0) {
			i = sp + 6;
			continue;
		}
		objstm = st.objstm;
		st.objstm = 0;
		data = pdf_stream_data(b, len, sp);
		/* Once none is left, looking again would make this n^2. */
		e = no_end ? NULL : memmem(b + data, len - data, endkw,
		    sizeof(endkw) - 1);
		no_end = e == NULL;
		stop = e != NULL ? (size_t)(e - b) : len;
		if (objstm)
			pdf_objstm(&st, b + data, stop - data, e != NULL);
		/*
		 * Without "endstream" the rest may be a dictionary after
		 * all: it is read for names rather than skipped.
		 */
		i = e != NULL ? stop + sizeof(endkw) - 1 : data;
	}
	free(st.window);
	if (!whole)
		st.found |= CONTENT_NOT_INSPECTED;
	return st.found;
}
