/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_scan - the parser's own scans of the raw bytes, before libetpan
 * sees them (step 1 in mime.c: what libetpan must never be given), and the
 * elision of long base64 runs that spares it most of a large attachment.
 * Everything here only reads bytes, but for mime_elide()'s copy and its
 * list of cuts.
 */
#include "mime_priv.h"
#include "balp/array.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* 1. Raw scans                                                        */

/*
 * Skips white space, line ends and (nested) comments, as libetpan's CFWS
 * does (and a little more).  Returns -1 past MIME_MAX_CFWS bytes: no
 * real header has that much between a parameter name and its value, and
 * the bound keeps mime_scan_containers() linear.
 */
static int
skip_cfws(const char *s, size_t len, size_t *i)
{
	size_t k = *i, depth = 0;

	while (k < len) {
		if (k - *i > MIME_MAX_CFWS)
			return -1;
		if (depth == 0 && (mime_is_wsp(s[k]) || s[k] == '\r' ||
		    s[k] == '\n')) {
			k++;
		} else if (s[k] == '(') {
			depth++;
			k++;
		} else if (depth > 0 && s[k] == ')') {
			depth--;
			k++;
		} else if (depth > 0 && s[k] == '\\') {
			k += (k + 1 < len) ? 2 : 1;
		} else if (depth > 0) {
			k++;
		} else
			break;
	}
	*i = k;
	return 0;
}

/*
 * Index of the first i >= from where s[i], s[i + 1] may start "rfc822" or
 * "boundary" (case-insensitive "rf" or "bo"), or a later index from which
 * the caller goes on byte by byte; never past last.
 */
static size_t
skip_to_candidate(const char *s, size_t from, size_t last)
{
	mime_v16 a, b;

	while (from + 17 <= last) {
		a = mime_v16_load(s + from) | 0x20;
		b = mime_v16_load(s + from + 1) | 0x20;
		if (mime_v16_any((mime_v16)(((a == 'r') & (b == 'f')) |
		    ((a == 'b') & (b == 'o')))))
			return from;
		from += 16;
	}
	return from;
}

/*
 * libetpan 1.9.4's mailmime_extract_boundary() copies len - 2 bytes of a
 * boundary whose first byte is '"'; a boundary that unquotes to a lone
 * '"' wraps that to SIZE_MAX and overflows the heap.  A '"' can only
 * enter a quoted value as the quoted-pair \" and never belongs in a
 * boundary (RFC 2046 bchars), so a boundary parameter with \" in its
 * quoted value is refused, wherever the word "boundary" appears in the
 * bytes: a superset of what libetpan would reach.  So is one whose value
 * hides behind more CFWS than any sender writes.  Also counts containers
 * (boundary parameters, message/rfc822 types).  Returns 1 if hostile.
 */
int
mime_scan_containers(const char *s, size_t len, size_t *containers)
{
	size_t i, k, end;

	*containers = 0;
	for (i = 0; i + 6 <= len; i++) {
		if ((i & 15) == 0)
			i = skip_to_candidate(s, i, len);
		if (i + 6 > len)
			break;
		if ((s[i] | 0x20) == 'r' &&
		    text_ascii_ncasecmp(s + i, "rfc822", 6) == 0) {
			(*containers)++;
			continue;
		}
		if ((s[i] | 0x20) != 'b' || len - i < 8 ||
		    text_ascii_ncasecmp(s + i, "boundary", 8) != 0)
			continue;
		k = i + 8;
		if (skip_cfws(s, len, &k) == -1)
			return 1;
		if (k >= len || s[k] != '=')
			continue;
		(*containers)++;
		k++;
		if (skip_cfws(s, len, &k) == -1)
			return 1;
		if (k >= len || s[k] != '"')
			continue;
		/* Only a short value can unquote to one '"'. */
		end = len - k > MIME_MAX_CFWS ? k + MIME_MAX_CFWS : len;
		for (k++; k < end && s[k] != '"'; k++) {
			if (s[k] == '\\') {
				if (k + 1 < len && s[k + 1] == '"')
					return 1;
				k++;
			}
		}
	}
	return 0;
}

/*
 * Deepest '(' nesting within one (folded) line group: libetpan parses
 * comments recursively, so a header of a million '(' would exhaust the
 * stack.  A line that starts without white space begins a new field.
 */
size_t
mime_scan_comment_depth(const char *s, size_t len)
{
	const char *p;
	size_t i = 0, depth = 0, max = 0;

	while (i < len) {
		if (depth == 0) {
			/* Outside a comment only '(' matters: jump to it. */
			if ((p = memchr(s + i, '(', len - i)) == NULL)
				break;
			i = (size_t)(p - s);
		}
		if (s[i] == '\n') {
			if (i + 1 < len && !mime_is_wsp(s[i + 1]))
				depth = 0;
		} else if (s[i] == '(') {
			if (++depth > max)
				max = depth;
		} else if (s[i] == ')' && depth > 0)
			depth--;
		i++;
	}
	return max;
}

/*
 * Finds the header section: *hdr_end is where the blank line starts,
 * *body is just after it (both len if there is none).  Checks NUL bytes
 * and the length of each field (folded lines included).
 */
const char *
mime_scan_header(const char *s, size_t len, size_t max_field, size_t *hdr_end,
    size_t *body)
{
	size_t i = 0, eol, field_start = 0, content;
	const char *nl;

	*hdr_end = *body = len;
	while (i < len) {
		nl = memchr(s + i, '\n', len - i);
		eol = nl != NULL ? (size_t)(nl - s) + 1 : len;
		content = eol - i;
		if (nl != NULL)
			content--;
		if (content > 0 && s[i + content - 1] == '\r')
			content--;
		if (content == 0 && nl != NULL) {
			*hdr_end = i;
			*body = eol;
			return NULL;
		}
		if (memchr(s + i, '\0', eol - i) != NULL)
			return FACTS_MALFORMED_NUL_HEADER;
		if (!mime_is_wsp(s[i]))
			field_start = i;
		if (eol - field_start > max_field)
			return FACTS_MALFORMED_LONG_HEADER;
		i = eol;
	}
	return NULL;
}

/* Bytes of s[0..n) that are base64 digits. */
uint64_t
mime_count_b64(const char *s, size_t n)
{
	mime_v16 c, acc = { 0 };
	uint64_t count = 0;
	size_t i = 0, k, rounds = 0;
	unsigned char u;

	for (; i + 16 <= n; i += 16) {
		c = mime_v16_load(s + i);
		acc += (mime_v16)((((c | 0x20) - 'a') < 26) | ((c - '0') < 10) |
		    (c == '+') | (c == '/')) & 1;
		if (++rounds == 255) {	/* before a byte lane overflows */
			for (k = 0; k < 16; k++)
				count += acc[k];
			acc = (mime_v16){ 0 };
			rounds = 0;
		}
	}
	for (k = 0; k < 16; k++)
		count += acc[k];
	for (; i < n; i++) {
		u = (unsigned char)s[i];
		count += ((unsigned char)((u | 0x20) - 'a') < 26) ||
		    ((unsigned char)(u - '0') < 10) || u == '+' || u == '/';
	}
	return count;
}

/* ------------------------------------------------------------------ */
/* Elision                                                             */

/*
 * The run of lines of base64 digits, '=' and CR/LF that starts at i: its
 * end (the first other byte, or the first byte of an empty line's line
 * end, or len) and the base64 digits in it.  One pass, 16 bytes at once.
 */
static size_t
b64_run(const char *s, size_t i, size_t len, uint64_t *digits)
{
	mime_v16 c, n1, n2, lo, dig, acc = { 0 };
	size_t k, rounds = 0;
	unsigned char u;

	*digits = 0;
	for (; i + 18 <= len; i += 16) {
		c = mime_v16_load(s + i);
		n1 = mime_v16_load(s + i + 1);
		n2 = mime_v16_load(s + i + 2);
		lo = c | 0x20;
		dig = (mime_v16)(((lo - 'a') < 26) | ((c - '0') < 10) |
		    (c == '+') | (c == '/'));
		if (mime_v16_any(~(dig | (mime_v16)((c == '=') | (c == '\n') |
		    (c == '\r'))) | (mime_v16)((c == '\n') & ((n1 == '\n') |
		    ((n1 == '\r') & (n2 == '\n'))))))
			break;
		acc += dig & 1;
		if (++rounds == 255) {	/* before a byte lane overflows */
			for (k = 0; k < 16; k++)
				*digits += acc[k];
			acc = (mime_v16){ 0 };
			rounds = 0;
		}
	}
	for (k = 0; k < 16; k++)
		*digits += acc[k];
	for (; i < len; i++) {
		u = (unsigned char)s[i];
		if (u == '\n' && i + 1 < len && (s[i + 1] == '\n' ||
		    (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
			return i;
		if ((unsigned char)((u | 0x20) - 'a') < 26 ||
		    (unsigned char)(u - '0') < 10 || u == '+' || u == '/')
			(*digits)++;
		else if (u != '=' && u != '\n' && u != '\r')
			return i;
	}
	return len;
}

/*
 * libetpan looks for boundaries byte by byte: a 2 MB attachment cost it
 * 2.6 ms, most of the parse (docs/libetpan.md).  Lines made only of
 * base64 digits can hold neither a boundary (it starts with "--") nor a
 * header field (it has a ':'), so the middle of a long run of them is cut
 * before libetpan sees the message: whole lines only, keeping the first
 * keep_head bytes of the run (the first text part is decoded from the
 * message as received anyway: mime_unelide(), mime_content.c) and its
 * last MIME_ELIDE_TAIL; a run ends at an empty line, so no cut spans one.
 * Structure, headers, names and types are what they were; sizes count
 * the cut bytes (mime_decoded_size(), mime_param.c).
 *
 * Returns 0 with *out NULL when nothing is worth cutting; 0 with *out
 * (caller frees) and *cuts (caller frees) set; -1 on ENOMEM.
 */
int
mime_elide(const char *msg, size_t len, size_t body, size_t keep_head,
    char **out, size_t *outlen, struct elision **cuts, size_t *n_cuts)
{
	struct buf b = BUF_INIT;
	struct elision *v = NULL;
	const char *p, *q;
	size_t i = body, e, from, to, copied = 0, n = 0, cap = 0;
	uint64_t digits;

	*out = NULL;
	*cuts = NULL;
	*n_cuts = 0;
	while (i < len) {
		e = b64_run(msg, i, len, &digits);
		if (e - i > keep_head + MIME_ELIDE_TAIL + MIME_ELIDE_MIN_GAIN &&
		    (p = memchr(msg + i + keep_head, '\n',
		    e - i - keep_head)) != NULL &&
		    (size_t)(p + 1 - msg) < e - MIME_ELIDE_TAIL &&
		    (q = memrchr(p + 1, '\n',
		    e - MIME_ELIDE_TAIL - (size_t)(p + 1 - msg))) != NULL) {
			from = (size_t)(p + 1 - msg);
			to = (size_t)(q + 1 - msg);
			if (to - from >= MIME_ELIDE_MIN_GAIN) {
				if (ARRAY_RESERVE(v, cap, n) == -1)
					goto nomem;
				buf_add(&b, msg + copied, from - copied);
				v[n].at = b.len;
				v[n].raw = to - from;
				v[n].b64 = digits -
				    mime_count_b64(msg + i, from - i) -
				    mime_count_b64(msg + to, e - to);
				n++;
				copied = to;
			}
		}
		i = e + 1;
	}
	if (n == 0) {
		buf_free(&b);
		return 0;
	}
	if (buf_add(&b, msg + copied, len - copied) == -1)
		goto nomem;
	*outlen = b.len;
	*out = buf_detach(&b);
	*cuts = v;
	*n_cuts = n;
	return 0;
nomem:
	buf_free(&b);
	free(v);
	return -1;
}
