/* SPDX-License-Identifier: Apache-2.0 */
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
 * Encryption (/Encrypt in the trailer) encrypts strings and streams, never
 * the dictionaries of objects written in the clear: those are read as
 * usual, whatever the password.  Objects inside object streams are
 * encrypted with their stream: when the empty user password opens the
 * file (an owner password only, restricting printing or copying: every
 * reader opens it without asking), the scan runs again with the object
 * streams decrypted (content_pdf_crypt.c) and judges them as usual;
 * otherwise (a real user password, another security handler) it cannot
 * read them and the PDF is CONTENT_ENCRYPTED (the partner is asked for
 * it without a password).
 *
 * Ownership: zlib's state and the window are allocated and freed here.
 */
#include "balp/content.h"
#include "content_priv.h"

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
	int		 encrypt;	/* an /Encrypt name seen */
	/* The second scan of an encrypted PDF opened without a password. */
	const struct pdf_crypt *crypt;
	long long	 length;	/* last direct /Length, -1 if none */
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
	if (len != 2 && len != 6 && len != 7 && len != 9 && len != 10 &&
	    len != 12 && len != 13)
		return;
	if (len == 7) {
		if (memcmp(n, "Encrypt", 7) == 0)
			st->encrypt = 1;
		return;
	}
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
 * The direct integer at s[i] (after blanks), -1 if there is none or it
 * is a reference ("12 0 R": the length lives elsewhere).
 */
static long long
pdf_direct_int(const unsigned char *s, size_t n, size_t i)
{
	long long v = 0;
	size_t d = 0, k;

	while (i < n && (s[i] == ' ' || s[i] == '\r' || s[i] == '\n' ||
	    s[i] == '\t'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9' && d < 15; i++, d++)
		v = v * 10 + (s[i] - '0');
	if (d == 0 || d == 15)
		return -1;
	/* "N G R": an indirect reference */
	for (k = i; k < n && k < i + 16 && s[k] != '/' && s[k] != '>'; k++)
		if (s[k] == 'R')
			return -1;
	return v;
}

/*
 * Reads the name whose '/' is at s[i] (reading on up to n) and judges
 * it; returns the index just after it.
 */
static size_t
pdf_name_at(struct pdf_state *st, const unsigned char *s, size_t n, size_t i)
{
	char name[PDF_NAME_MAX];
	size_t k = 0;
	int h, l;

	for (i++; i < n && !pdf_delim(s[i]) && k < PDF_NAME_MAX;) {
		if (s[i] == '#' && i + 2 < n && (h = hexv(s[i + 1])) >= 0 &&
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
	if (k == 6 && memcmp(name, "Length", 6) == 0)
		st->length = pdf_direct_int(s, n, i);
	return i;
}

/* Reads the names that start in s[0..limit), reading on up to n. */
static void
pdf_names(struct pdf_state *st, const unsigned char *s, size_t n,
    size_t limit)
{
	const unsigned char *p;
	size_t i = 0;

	while (i < limit) {
		if ((p = memchr(s + i, '/', limit - i)) == NULL)
			return;
		i = pdf_name_at(st, s, n, (size_t)(p - s));
	}
}

/*
 * The scan reads every byte of a PDF that is not stream data (all of a
 * damaged or hostile one), so it skips 16 bytes at once to the next '/'
 * or "st" (GCC/clang vector extensions, as mime_scan.c's raw scans).  Returns
 * the index of the next mark at or after i, n if none.
 */
typedef unsigned char pdf_v16 __attribute__((vector_size(16)));

static pdf_v16
pdf_marks(const unsigned char *s)
{
	pdf_v16 a, b;

	memcpy(&a, s, sizeof(a));
	memcpy(&b, s + 1, sizeof(b));
	return (pdf_v16)((a == '/') | ((a == 's') & (b == 't')));
}

static size_t
pdf_next_mark(const unsigned char *s, size_t i, size_t n)
{
	pdf_v16 m;
	uint64_t w[2];
	int k;

	/* four blocks a test: most of the time none holds a mark */
	while (i + 65 <= n) {
		m = pdf_marks(s + i) | pdf_marks(s + i + 16) |
		    pdf_marks(s + i + 32) | pdf_marks(s + i + 48);
		memcpy(w, &m, sizeof(w));
		if ((w[0] | w[1]) != 0)
			break;
		i += 64;
	}
	while (i + 17 <= n) {
		m = pdf_marks(s + i);
		memcpy(w, &m, sizeof(w));
		/* the first marked byte, from the words' byte order */
		for (k = 0; k < 2; k++)
			if (w[k] != 0)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				return i + 8 * (size_t)k +
				    (size_t)__builtin_ctzll(w[k]) / 8;
#else
				return i + 8 * (size_t)k +
				    (size_t)__builtin_clzll(w[k]) / 8;
#endif
		i += 16;
	}
	for (; i < n; i++)
		if (s[i] == '/' || (s[i] == 's' && i + 1 < n && s[i + 1] == 't'))
			return i;
	return n;
}

/*
 * Inflates the object stream whose data start at s[0..n) and reads the
 * names in it.  n runs to "endstream" (ended) or the end of the part,
 * whose bytes the caller then reads for names anyway.
 */
static void
pdf_objstm(struct pdf_state *st, const unsigned char *s, size_t n,
    int ended, unsigned long num, unsigned long gen)
{
	z_stream z;
	size_t have, carry = 0, budget;
	unsigned char *plain = NULL;
	int r;

	if (st->streams >= st->lim->max_pdf_streams) {
		st->found |= CONTENT_NOT_INSPECTED;
		return;
	}
	st->streams++;
	if (st->crypt != NULL) {
		if ((plain = pdf_crypt_stream(st->crypt, num, gen, s, n,
		    &n)) == NULL) {
			st->found |= CONTENT_NOT_INSPECTED;
			return;
		}
		s = plain;
		ended = 1;
	}
	if (st->window == NULL &&
	    (st->window = malloc(PDF_WINDOW + PDF_CARRY)) == NULL) {
		st->found |= CONTENT_NOT_INSPECTED;
		return;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		st->found |= CONTENT_NOT_INSPECTED;
		free(plain);
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
	free(plain);
}

/*
 * The object number and generation of the object whose "stream" keyword
 * is at b[i]: the "num gen obj" nearest before it (an object stream's
 * dictionary is short; its names hold no lower-case "obj").  0 if none
 * within 4 KiB.
 */
static int
pdf_obj_number(const unsigned char *b, size_t i, unsigned long *num,
    unsigned long *gen)
{
	size_t lo = i > 4096 ? i - 4096 : 0, k;
	unsigned long v[2], m;
	int f;

	for (k = i; k >= lo + 3; k--) {
		if (memcmp(b + k - 3, "obj", 3) != 0)
			continue;
		k -= 3;
		for (f = 1; f >= 0; f--) {
			while (k > lo && pdf_delim(b[k - 1]) && b[k - 1] != '/')
				k--;
			for (v[f] = 0, m = 1; k > lo && b[k - 1] >= '0' &&
			    b[k - 1] <= '9' && m < 10000000000UL; k--, m *= 10)
				v[f] += (unsigned long)(b[k - 1] - '0') * m;
			if (m == 1)
				return 0;
		}
		*num = v[0];
		*gen = v[1];
		return 1;
	}
	return 0;
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

/*
 * Where the data of the stream starting at data end: data + /Length when
 * "endstream" follows there (after an optional line end), which skips an
 * image of megabytes without reading it; else the first "endstream"
 * (memmem reads every byte; *no_end remembers that there is none left,
 * or looking again at each "stream" would make the scan n^2).  Sets
 * *ended when an "endstream" was found.
 */
static size_t
pdf_stream_end(const unsigned char *b, size_t len, size_t data,
    long long length, int *no_end, int *ended)
{
	static const char endkw[] = "endstream";
	const unsigned char *e;
	size_t k;

	*ended = 0;
	if (length >= 0 && (unsigned long long)length <= len - data) {
		k = data + (size_t)length;
		while (k < len && k < data + (size_t)length + 2 &&
		    (b[k] == '\r' || b[k] == '\n' || b[k] == ' '))
			k++;
		if (len - k >= sizeof(endkw) - 1 &&
		    memcmp(b + k, endkw, sizeof(endkw) - 1) == 0) {
			*ended = 1;
			return k;
		}
	}
	e = *no_end ? NULL : memmem(b + data, len - data, endkw,
	    sizeof(endkw) - 1);
	*no_end = e == NULL;
	*ended = e != NULL;
	return e != NULL ? (size_t)(e - b) : len;
}

static unsigned
pdf_scan(const unsigned char *b, size_t len, int whole,
    const struct content_limits *lim, const struct pdf_crypt *crypt)
{
	struct pdf_state st;
	struct pdf_crypt opened;
	unsigned long num, gen;
	size_t i, data, stop, dlen;
	int no_end = 0, ended;

	memset(&st, 0, sizeof(st));
	st.crypt = crypt;
	st.lim = lim;
	st.found = CONTENT_PDF;
	st.length = -1;
	for (i = 0; (i = pdf_next_mark(b, i, len)) < len;) {
		if (b[i] == '/') {
			i = pdf_name_at(&st, b, len, i);
			continue;
		}
		/* "stream", not the end of "endstream" */
		if (len - i < 6 || memcmp(b + i, "stream", 6) != 0 ||
		    (i >= 3 && memcmp(b + i - 3, "end", 3) == 0)) {
			i++;
			continue;
		}
		data = pdf_stream_data(b, len, i);
		stop = pdf_stream_end(b, len, data, st.length, &no_end, &ended);
		if (st.objstm && crypt != NULL) {
			/* decrypted: its exact bytes, not the line end after */
			dlen = st.length >= 0 && (unsigned long long)st.length <=
			    stop - data ? (size_t)st.length : stop - data;
			if (pdf_obj_number(b, i, &num, &gen))
				pdf_objstm(&st, b + data, dlen, ended, num,
				    gen);
			else
				st.found |= CONTENT_NOT_INSPECTED;
		} else if (st.objstm)
			pdf_objstm(&st, b + data, stop - data, ended, 0, 0);
		st.objstm = 0;
		st.length = -1;
		/*
		 * Stream data is skipped; without "endstream" the rest may be
		 * a dictionary after all, and is read for names.
		 */
		i = ended ? stop + 9 : data;
	}
	free(st.window);
	/*
	 * Encrypted object streams: what inflating them said is noise (no
	 * zlib data, read as unfiltered; or a broken stream).  Read again,
	 * decrypted, if the empty user password opens the file.
	 */
	if (st.encrypt && st.streams > 0 && crypt == NULL) {
		if (pdf_crypt_open(b, len, &opened))
			return pdf_scan(b, len, whole, lim, &opened);
		st.found = (st.found & ~CONTENT_NOT_INSPECTED) |
		    CONTENT_ENCRYPTED;
	}
	if (!whole)
		st.found |= CONTENT_NOT_INSPECTED;
	return st.found;
}

unsigned
content_pdf(const unsigned char *b, size_t len, int whole,
    const struct content_limits *lim)
{
	size_t head;

	/* A reader finds "%PDF-" in the first KiB, not only at 0. */
	head = len < 1024 ? len : 1024;
	if (len < 5 || memmem(b, head, "%PDF-", 5) == NULL)
		return 0;
	return pdf_scan(b, len, whole, lim, NULL);
}
