/* SPDX-License-Identifier: Apache-2.0 */
/*
 * facts - the parser's findings as plain values, and their wire form
 * (see include/balp/facts.h).
 *
 * The wire form carries facts from a parse child to the daemon.  The child
 * parses hostile mail with a library known to corrupt memory, so its output
 * is treated as hostile too: facts_deserialize() checks every length
 * against the bytes that remain before reading or allocating, requires
 * valid UTF-8 without NUL in every string, and accepts nothing after the
 * last field.  Integers are little-endian whatever the host.
 *
 * Layout (version 3):
 *	"BFCT" u8 version
 *	str malformed, u64 raw_size, i32 from_count,
 *	str from_addr, from_name, subject, message_id,
 *	u32 n_auth, n_auth x str,
 *	str auto_submitted, precedence, return_path,
 *	u8 has_return_path, has_list_id, has_autoreply_header,
 *	   has_notice_marker,
 *	str top_content_type,
 *	u32 n_parts, n_parts x (str content_type, str filename, u64 size,
 *	   u8 is_attachment, u8 embedded, i32 depth, str sniffed_type,
 *	   u32 findings),
 *	u8 truncated_parts,
 *	str first_text
 * where str is u32 length then the bytes, length 0xffffffff for NULL.
 *
 * Ownership: struct msg_facts owns its strings; facts_free() frees them.
 * Failures: -1 / NULL on ENOMEM; deserialize also on any inconsistency.
 */
#include "balp/facts.h"
#include "balp/content.h"
#include "balp/array.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

#define FACTS_MAGIC	"BFCT"
#define FACTS_VERSION	3
#define STR_NULL	0xffffffffU

/* Smallest wire size of one part: three str headers, u64, two u8, i32,
 * u32. */
#define PART_MIN_BYTES	(4 + 4 + 8 + 1 + 1 + 4 + 4 + 4)

static const char *const malformed_table[] = {
	FACTS_MALFORMED_GENERIC,
	FACTS_MALFORMED_EMPTY,
	FACTS_MALFORMED_NO_HEADER,
	FACTS_MALFORMED_BAD_HEADER,
	FACTS_MALFORMED_NUL_HEADER,
	FACTS_MALFORMED_LONG_HEADER,
	FACTS_MALFORMED_NO_FROM,
	FACTS_MALFORMED_MANY_FROM,
	FACTS_MALFORMED_MANY_AUTHORS,
	FACTS_MALFORMED_FROM_ADDR,
	FACTS_MALFORMED_DEPTH,
	FACTS_MALFORMED_CONTAINERS,
	FACTS_MALFORMED_BOUNDARY,
	FACTS_MALFORMED_MIME,
	FACTS_MALFORMED_PARSER,
	FACTS_MALFORMED_TIMEOUT,
	FACTS_MALFORMED_CRASHED,
	FACTS_MALFORMED_UNREADABLE,
	FACTS_MALFORMED_TOO_LARGE,
};

const char *
facts_malformed_static(const char *s)
{
	size_t i;

	if (s == NULL)
		return FACTS_MALFORMED_GENERIC;
	for (i = 0; i < sizeof(malformed_table) / sizeof(malformed_table[0]);
	    i++)
		if (strcmp(s, malformed_table[i]) == 0)
			return malformed_table[i];
	return FACTS_MALFORMED_GENERIC;
}

const char *
facts_malformed_at(size_t i)
{
	if (i >= sizeof(malformed_table) / sizeof(malformed_table[0]))
		return NULL;
	return malformed_table[i];
}

void
facts_init(struct msg_facts *f)
{
	memset(f, 0, sizeof(*f));
}

void
facts_free(struct msg_facts *f)
{
	size_t i;

	free(f->from_addr);
	free(f->from_name);
	free(f->subject);
	free(f->message_id);
	for (i = 0; i < f->n_auth_results; i++)
		free(f->auth_results[i]);
	free(f->auth_results);
	free(f->auto_submitted);
	free(f->precedence);
	free(f->return_path);
	free(f->top_content_type);
	for (i = 0; i < f->n_parts; i++) {
		free(f->parts[i].content_type);
		free(f->parts[i].filename);
		free(f->parts[i].sniffed_type);
	}
	free(f->parts);
	free(f->first_text);
	facts_init(f);
}

int
facts_add_part(struct msg_facts *f, const char *content_type,
    const char *filename, uint64_t size, int is_attachment, int depth)
{
	struct part_facts *p;
	char *ct, *fn = NULL;

	if ((ct = buf_strdup(content_type != NULL ? content_type :
	    "application/octet-stream")) == NULL)
		return -1;
	if (filename != NULL && (fn = buf_strdup(filename)) == NULL) {
		free(ct);
		return -1;
	}
	if (ARRAY_RESERVE(f->parts, f->cap_parts, f->n_parts) == -1) {
		free(ct);
		free(fn);
		return -1;
	}
	p = &f->parts[f->n_parts++];
	p->content_type = ct;
	p->filename = fn;
	p->size = size;
	p->is_attachment = is_attachment != 0;
	p->depth = depth;
	return 0;
}

int
facts_add_auth_result(struct msg_facts *f, const char *value)
{
	char *v;

	if ((v = buf_strdup(value != NULL ? value : "")) == NULL)
		return -1;
	if (ARRAY_RESERVE(f->auth_results, f->cap_auth_results,
	    f->n_auth_results) == -1) {
		free(v);
		return -1;
	}
	f->auth_results[f->n_auth_results++] = v;
	return 0;
}

/* Writing: every helper appends to a buf, which remembers a failure. */

static void
put_u8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	buf_add(b, &c, 1);
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char c[4];
	int i;

	for (i = 0; i < 4; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	buf_add(b, c, sizeof(c));
}

static void
put_u64(struct buf *b, uint64_t v)
{
	unsigned char c[8];
	int i;

	for (i = 0; i < 8; i++)
		c[i] = (unsigned char)(v >> (8 * i));
	buf_add(b, c, sizeof(c));
}

static void
put_str(struct buf *b, const char *s)
{
	size_t n;

	if (s == NULL) {
		put_u32(b, STR_NULL);
		return;
	}
	n = strlen(s);
	if (n >= STR_NULL) {
		b->failed = 1;
		return;
	}
	put_u32(b, (uint32_t)n);
	buf_add(b, s, n);
}

char *
facts_serialize(const struct msg_facts *f, size_t *len)
{
	struct buf b = BUF_INIT;
	size_t i, n;
	char *out;

	*len = 0;
	buf_add(&b, FACTS_MAGIC, 4);
	put_u8(&b, FACTS_VERSION);
	put_str(&b, f->malformed);
	put_u64(&b, f->raw_size);
	put_u32(&b, (uint32_t)(int32_t)f->from_count);
	put_str(&b, f->from_addr);
	put_str(&b, f->from_name);
	put_str(&b, f->subject);
	put_str(&b, f->message_id);
	if (f->n_auth_results > 0xfffffffeU || f->n_parts > 0xfffffffeU)
		b.failed = 1;
	put_u32(&b, (uint32_t)f->n_auth_results);
	for (i = 0; i < f->n_auth_results; i++)
		put_str(&b, f->auth_results[i]);
	put_str(&b, f->auto_submitted);
	put_str(&b, f->precedence);
	put_str(&b, f->return_path);
	put_u8(&b, f->has_return_path != 0);
	put_u8(&b, f->has_list_id != 0);
	put_u8(&b, f->has_autoreply_header != 0);
	put_u8(&b, f->has_notice_marker != 0);
	put_str(&b, f->top_content_type);
	put_u32(&b, (uint32_t)f->n_parts);
	for (i = 0; i < f->n_parts; i++) {
		put_str(&b, f->parts[i].content_type != NULL ?
		    f->parts[i].content_type : "application/octet-stream");
		put_str(&b, f->parts[i].filename);
		put_u64(&b, f->parts[i].size);
		put_u8(&b, f->parts[i].is_attachment != 0);
		put_u8(&b, f->parts[i].embedded != 0);
		put_u32(&b, (uint32_t)(int32_t)f->parts[i].depth);
		put_str(&b, f->parts[i].sniffed_type);
		put_u32(&b, f->parts[i].findings);
	}
	put_u8(&b, f->truncated_parts != 0);
	put_str(&b, f->first_text);
	n = b.len;
	if ((out = buf_detach(&b)) == NULL)
		return NULL;
	*len = n;
	return out;
}

/* Reading: a cursor that refuses to move past the end. */

struct rd {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
	int			 bad;	/* inconsistent input */
};

static int
get_bytes(struct rd *r, size_t n, const unsigned char **out)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return -1;
	}
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

static unsigned
get_u8(struct rd *r)
{
	const unsigned char *c;

	return get_bytes(r, 1, &c) == 0 ? c[0] : 0;
}

/* A flag byte: anything but 0 or 1 is a writer we do not know. */
static int
get_flag(struct rd *r)
{
	unsigned v = get_u8(r);

	if (v > 1)
		r->bad = 1;
	return (int)(v & 1);
}

static uint32_t
get_u32(struct rd *r)
{
	const unsigned char *c;
	uint32_t v = 0;
	int i;

	if (get_bytes(r, 4, &c) == -1)
		return 0;
	for (i = 3; i >= 0; i--)
		v = (v << 8) | c[i];
	return v;
}

static uint64_t
get_u64(struct rd *r)
{
	const unsigned char *c;
	uint64_t v = 0;
	int i;

	if (get_bytes(r, 8, &c) == -1)
		return 0;
	for (i = 7; i >= 0; i--)
		v = (v << 8) | c[i];
	return v;
}

/*
 * Reads a str into *out (NULL for the NULL marker).  Returns 0, or -1 when
 * the input is bad (r->bad set) or memory ran out.
 */
static int
get_str(struct rd *r, char **out)
{
	const unsigned char *c;
	uint32_t n;

	*out = NULL;
	n = get_u32(r);
	if (r->bad)
		return -1;
	if (n == STR_NULL)
		return 0;
	if (get_bytes(r, n, &c) == -1)
		return -1;
	if (memchr(c, '\0', n) != NULL ||
	    !text_utf8_valid((const char *)c, n)) {
		r->bad = 1;
		return -1;
	}
	if ((*out = buf_strndup((const char *)c, n)) == NULL)
		return -1;
	return 0;
}

static int32_t
get_i32(struct rd *r)
{
	uint32_t v = get_u32(r);

	return v <= 0x7fffffffU ? (int32_t)v :
	    (int32_t)(-(int64_t)(0xffffffffU - v) - 1);
}

int
facts_deserialize(const char *data, size_t len, struct msg_facts *f)
{
	struct rd r = { (const unsigned char *)data, len, 0, 0 };
	const unsigned char *magic;
	char *s = NULL;
	uint32_t n, i;
	int32_t v;

	facts_free(f);
	if (data == NULL || get_bytes(&r, 4, &magic) == -1 ||
	    memcmp(magic, FACTS_MAGIC, 4) != 0 ||
	    get_u8(&r) != FACTS_VERSION)
		goto bad;

	if (get_str(&r, &s) == -1)
		goto bad;
	if (s != NULL)
		f->malformed = facts_malformed_static(s);
	free(s);
	s = NULL;
	f->raw_size = get_u64(&r);
	f->from_count = get_i32(&r);
	if (f->from_count < 0)
		goto bad;
	if (get_str(&r, &f->from_addr) == -1 ||
	    get_str(&r, &f->from_name) == -1 ||
	    get_str(&r, &f->subject) == -1 ||
	    get_str(&r, &f->message_id) == -1)
		goto bad;

	n = get_u32(&r);
	/* Each str needs at least its 4-byte length: no huge allocation. */
	if (r.bad || n > (r.len - r.off) / 4)
		goto bad;
	for (i = 0; i < n; i++) {
		if (get_str(&r, &s) == -1 || s == NULL)
			goto bad;
		if (facts_add_auth_result(f, s) == -1)
			goto bad;
		free(s);
		s = NULL;
	}

	if (get_str(&r, &f->auto_submitted) == -1 ||
	    get_str(&r, &f->precedence) == -1 ||
	    get_str(&r, &f->return_path) == -1)
		goto bad;
	f->has_return_path = get_flag(&r);
	f->has_list_id = get_flag(&r);
	f->has_autoreply_header = get_flag(&r);
	f->has_notice_marker = get_flag(&r);
	if (get_str(&r, &f->top_content_type) == -1)
		goto bad;

	n = get_u32(&r);
	if (r.bad || n > (r.len - r.off) / PART_MIN_BYTES)
		goto bad;
	for (i = 0; i < n; i++) {
		char *ct = NULL, *fn = NULL, *st = NULL;
		uint64_t size;
		uint32_t fi;
		int att, emb;

		if (get_str(&r, &ct) == -1 || ct == NULL ||
		    get_str(&r, &fn) == -1) {
			free(ct);
			goto bad;
		}
		size = get_u64(&r);
		att = get_flag(&r);
		emb = get_flag(&r);
		v = get_i32(&r);
		if (get_str(&r, &st) == -1) {
			free(ct);
			free(fn);
			goto bad;
		}
		fi = get_u32(&r);
		/* a finding no writer of ours sets: a confused worker */
		if (r.bad || v < 0 || (fi & ~(uint32_t)CONTENT_ALL) != 0 ||
		    facts_add_part(f, ct, fn, size, att, v) == -1) {
			free(ct);
			free(fn);
			free(st);
			goto bad;
		}
		f->parts[f->n_parts - 1].embedded = emb;
		f->parts[f->n_parts - 1].sniffed_type = st;
		f->parts[f->n_parts - 1].findings = fi;
		free(ct);
		free(fn);
	}
	f->truncated_parts = get_flag(&r);
	if (get_str(&r, &f->first_text) == -1)
		goto bad;
	if (r.bad || r.off != r.len)
		goto bad;
	return 0;
bad:
	free(s);
	facts_free(f);
	return -1;
}
