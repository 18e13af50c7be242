/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_wire - the annex worker's answer as bytes (see annex_wire.h).
 *
 *	"BALPANX1"
 *	u32 encoding index (enc_names; ~0 none)
 *	u32 unreadable (0 or 1)
 *	u32 length, the errors' text
 *	u32 rows; each: u32 line, u32 start, u32 end (int32 as u32),
 *	    four strings (u32 length, bytes): nom, prenom, email, fonction
 *	u32 length, the file's bytes
 *
 * Integers little-endian whatever the host: the two ends are one machine,
 * but a format that says so needs no thought.
 */
#include "balp/annex_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = { 'B', 'A', 'L', 'P', 'A', 'N', 'X', '1' };

/*
 * The encodings annex_file_parse names (static strings there): sent by
 * index, mapped back to ours, so that rows->encoding is static storage.
 */
static const char *const enc_names[] = {
	"UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE",
	"UTF-16LE (no BOM)", "UTF-16BE (no BOM)", "windows-1252",
	"Office Open XML spreadsheet (.xlsx)",
	"OpenDocument spreadsheet (.ods)",
};
#define N_ENC	(sizeof(enc_names) / sizeof(enc_names[0]))
#define ENC_NONE	0xffffffffu

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char c[4];

	c[0] = (unsigned char)v;
	c[1] = (unsigned char)(v >> 8);
	c[2] = (unsigned char)(v >> 16);
	c[3] = (unsigned char)(v >> 24);
	buf_add(b, c, 4);
}

static int
put_bytes(struct buf *b, const char *s, size_t n, size_t max)
{
	if (n > max)
		return -1;
	put_u32(b, (uint32_t)n);
	buf_add(b, s, n);
	return 0;
}

static int
put_string(struct buf *b, const char *s)
{
	s = s != NULL ? s : "";
	return put_bytes(b, s, strlen(s), ANNEX_WIRE_MAX_STRING);
}

int
annex_wire_put(const struct annex_rows *rows, const char *errors,
    int unreadable, const char *file, size_t file_len, struct buf *out)
{
	const struct annex_row *r;
	uint32_t enc = ENC_NONE;
	size_t i, n = rows != NULL ? rows->n : 0;

	errors = errors != NULL ? errors : "";
	if (n > ANNEX_WIRE_MAX_ROWS)
		return -1;
	for (i = 0; rows != NULL && rows->encoding != NULL && i < N_ENC; i++)
		if (strcmp(rows->encoding, enc_names[i]) == 0)
			enc = (uint32_t)i;
	buf_add(out, magic, sizeof(magic));
	put_u32(out, enc);
	put_u32(out, unreadable != 0);
	if (put_bytes(out, errors, strlen(errors), ANNEX_WIRE_MAX_ERRORS) == -1)
		return -1;
	put_u32(out, (uint32_t)n);
	for (i = 0; i < n; i++) {
		r = &rows->v[i];
		put_u32(out, r->line);
		put_u32(out, (uint32_t)r->start);
		put_u32(out, (uint32_t)r->end);
		if (put_string(out, r->last_name) == -1 ||
		    put_string(out, r->first_name) == -1 ||
		    put_string(out, r->email) == -1 ||
		    put_string(out, r->job_title) == -1)
			return -1;
	}
	if (put_bytes(out, file, file_len, ANNEX_WIRE_MAX_FILE) == -1)
		return -1;
	return out->failed ? -1 : 0;
}

struct reader {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint32_t
get_u32(struct reader *rd)
{
	uint32_t v;

	if (rd->bad || rd->left < 4) {
		rd->bad = 1;
		return 0;
	}
	v = (uint32_t)rd->p[0] | (uint32_t)rd->p[1] << 8 |
	    (uint32_t)rd->p[2] << 16 | (uint32_t)rd->p[3] << 24;
	rd->p += 4;
	rd->left -= 4;
	return v;
}

/* n bytes of the answer; NULL (and bad) past its end or the bound. */
static const char *
get_bytes(struct reader *rd, size_t max, size_t *n)
{
	const char *s;

	*n = get_u32(rd);
	if (rd->bad || *n > max || *n > rd->left) {
		rd->bad = 1;
		return NULL;
	}
	s = (const char *)rd->p;
	rd->p += *n;
	rd->left -= *n;
	return s;
}

/*
 * 1 if s[0..n) holds a control character (DEL included; a newline only
 * when lines is 0): the reader cleans every value and error of them, so
 * one here is a worker gone wrong, which would write into logs and tables.
 */
static int
has_control(const char *s, size_t n, int lines)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && !(lines && s[i] == '\n')) ||
		    s[i] == 0x7f)
			return 1;
	return 0;
}

/* A string of the answer, copied (caller frees); NULL and bad if wrong. */
static char *
get_string(struct reader *rd)
{
	const char *s;
	char *c;
	size_t n;

	if ((s = get_bytes(rd, ANNEX_WIRE_MAX_STRING, &n)) == NULL)
		return NULL;
	if (has_control(s, n, 0) || (c = malloc(n + 1)) == NULL) {
		rd->bad = 1;
		return NULL;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

int
annex_wire_get(const char *data, size_t len, struct annex_rows *rows,
    struct buf *errors, int *unreadable, struct buf *file)
{
	struct reader rd = { (const unsigned char *)data, len, 0 };
	struct annex_row *r;
	const char *s;
	uint32_t enc, n, i, u;
	size_t k;

	memset(rows, 0, sizeof(*rows));
	*unreadable = 0;
	if (len < sizeof(magic) || memcmp(data, magic, sizeof(magic)) != 0)
		return -1;
	rd.p += sizeof(magic);
	rd.left -= sizeof(magic);
	enc = get_u32(&rd);
	rows->encoding = enc < N_ENC ? enc_names[enc] : "unknown";
	if ((u = get_u32(&rd)) > 1)
		rd.bad = 1;
	*unreadable = u == 1;
	if ((s = get_bytes(&rd, ANNEX_WIRE_MAX_ERRORS, &k)) != NULL) {
		if (has_control(s, k, 1))
			rd.bad = 1;
		else
			buf_add(errors, s, k);
	}
	n = get_u32(&rd);
	/* Each row takes 28 bytes at least: a count past that is a lie. */
	if (rd.bad || n > ANNEX_WIRE_MAX_ROWS || n > rd.left / 28)
		rd.bad = 1;
	else if (n > 0 && (rows->v = calloc(n, sizeof(*rows->v))) == NULL)
		rd.bad = 1;
	for (i = 0; !rd.bad && i < n; i++) {
		r = &rows->v[rows->n++];
		r->line = get_u32(&rd);
		r->start = (int32_t)get_u32(&rd);
		r->end = (int32_t)get_u32(&rd);
		r->last_name = get_string(&rd);
		r->first_name = get_string(&rd);
		r->email = get_string(&rd);
		r->job_title = get_string(&rd);
	}
	if ((s = get_bytes(&rd, ANNEX_WIRE_MAX_FILE, &k)) != NULL)
		buf_add(file, s, k);
	/* Rows and errors together are no answer the worker gives. */
	if (rd.bad || rd.left != 0 || errors->failed || file->failed ||
	    (rows->n > 0 && (errors->len > 0 || *unreadable))) {
		*unreadable = 0;
		annex_rows_free(rows);
		buf_free(errors);
		buf_free(file);
		return -1;
	}
	return 0;
}
