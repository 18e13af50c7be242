/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_facts - struct msg_facts helpers and the wire form a parse child
 * sends back.  The wire form is read from a process that parsed hostile
 * mail, so most tests feed facts_deserialize() broken bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/content.h"
#include "balp/facts.h"
#include "balp/buf.h"

/* A struct with every field set, two parts, two auth results. */
static void
fill(struct msg_facts *f)
{
	facts_init(f);
	f->malformed = NULL;
	f->raw_size = 123456789012ULL;
	f->from_count = 1;
	f->from_addr = buf_strdup("a.martin@apeai34.fr");
	f->from_name = buf_strdup("Anne Martin");
	f->subject = buf_strdup("RIB – Élodie Dupont");
	f->message_id = buf_strdup("20250312093015.4411@apeai34.fr");
	assert_int_equal(facts_add_auth_result(f,
	    "mx.caf.test; dkim=pass header.d=apeai34.fr"), 0);
	assert_int_equal(facts_add_auth_result(f,
	    "relais.apeai34.fr; dmarc=pass header.from=apeai34.fr"), 0);
	f->auto_submitted = buf_strdup("no");
	f->precedence = buf_strdup("bulk");
	f->return_path = buf_strdup("<a.martin@apeai34.fr>");
	f->has_return_path = 1;
	f->has_list_id = 0;
	f->has_autoreply_header = 1;
	f->has_notice_marker = 0;
	f->top_content_type = buf_strdup("multipart/mixed");
	assert_int_equal(facts_add_part(f, "text/plain", NULL, 145, 0, 1), 0);
	assert_int_equal(facts_add_part(f, "application/pdf", "relevé.pdf",
	    113, 1, 1), 0);
	f->parts[1].sniffed_type = buf_strdup("application/pdf");
	f->parts[1].findings = CONTENT_PDF | CONTENT_PDF_ACTIVE;
	f->truncated_parts = 1;
	f->first_text = buf_strdup("Bonjour,\n\nCi-joint le RIB.\n");
}

static void
assert_str_eq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void
assert_facts_equal(const struct msg_facts *a, const struct msg_facts *b)
{
	size_t i;

	assert_str_eq_null(a->malformed, b->malformed);
	assert_true(a->raw_size == b->raw_size);
	assert_int_equal(a->from_count, b->from_count);
	assert_str_eq_null(a->from_addr, b->from_addr);
	assert_str_eq_null(a->from_name, b->from_name);
	assert_str_eq_null(a->subject, b->subject);
	assert_str_eq_null(a->message_id, b->message_id);
	assert_int_equal(a->n_auth_results, b->n_auth_results);
	for (i = 0; i < a->n_auth_results; i++)
		assert_string_equal(a->auth_results[i], b->auth_results[i]);
	assert_str_eq_null(a->auto_submitted, b->auto_submitted);
	assert_str_eq_null(a->precedence, b->precedence);
	assert_str_eq_null(a->return_path, b->return_path);
	assert_int_equal(a->has_return_path, b->has_return_path);
	assert_int_equal(a->has_list_id, b->has_list_id);
	assert_int_equal(a->has_autoreply_header, b->has_autoreply_header);
	assert_int_equal(a->has_notice_marker, b->has_notice_marker);
	assert_str_eq_null(a->top_content_type, b->top_content_type);
	assert_int_equal(a->n_parts, b->n_parts);
	for (i = 0; i < a->n_parts; i++) {
		assert_string_equal(a->parts[i].content_type,
		    b->parts[i].content_type);
		assert_str_eq_null(a->parts[i].filename, b->parts[i].filename);
		assert_true(a->parts[i].size == b->parts[i].size);
		assert_int_equal(a->parts[i].is_attachment,
		    b->parts[i].is_attachment);
		assert_int_equal(a->parts[i].depth, b->parts[i].depth);
		assert_str_eq_null(a->parts[i].sniffed_type,
		    b->parts[i].sniffed_type);
		assert_int_equal(a->parts[i].findings, b->parts[i].findings);
	}
	assert_int_equal(a->truncated_parts, b->truncated_parts);
	assert_str_eq_null(a->first_text, b->first_text);
}

static void
assert_zeroed(const struct msg_facts *f)
{
	struct msg_facts z;

	memset(&z, 0, sizeof(z));
	assert_memory_equal(f, &z, sizeof(z));
}

static void
test_init_zeroes(void **state)
{
	struct msg_facts f;

	(void)state;
	memset(&f, 0xA5, sizeof(f));
	facts_init(&f);
	assert_zeroed(&f);
}

static void
test_add_part_copies_strings(void **state)
{
	struct msg_facts f;
	char ct[] = "application/pdf", fn[] = "rib.pdf";

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_add_part(&f, ct, fn, 54, 1, 2), 0);
	assert_int_equal(facts_add_part(&f, "text/plain", NULL, 10, 0, 0), 0);
	ct[0] = 'X';
	fn[0] = 'X';
	assert_int_equal(f.n_parts, 2);
	assert_string_equal(f.parts[0].content_type, "application/pdf");
	assert_string_equal(f.parts[0].filename, "rib.pdf");
	assert_true(f.parts[0].size == 54);
	assert_int_equal(f.parts[0].is_attachment, 1);
	assert_int_equal(f.parts[0].depth, 2);
	assert_null(f.parts[1].filename);
	assert_int_equal(f.parts[1].is_attachment, 0);
	facts_free(&f);
}

static void
test_add_auth_result_copies(void **state)
{
	struct msg_facts f;
	char v[] = "mx.caf.test; spf=pass smtp.mailfrom=apeai34.fr";

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_add_auth_result(&f, v), 0);
	assert_int_equal(facts_add_auth_result(&f, "b; dkim=fail"), 0);
	v[0] = 'X';
	assert_int_equal(f.n_auth_results, 2);
	assert_string_equal(f.auth_results[0],
	    "mx.caf.test; spf=pass smtp.mailfrom=apeai34.fr");
	assert_string_equal(f.auth_results[1], "b; dkim=fail");
	facts_free(&f);
}

static void
test_free_zeroes(void **state)
{
	struct msg_facts f;

	(void)state;
	fill(&f);
	f.malformed = FACTS_MALFORMED_NO_FROM;
	facts_free(&f);
	assert_zeroed(&f);
	facts_free(&f);		/* twice is harmless */
	assert_zeroed(&f);
}

static void
test_roundtrip_full(void **state)
{
	struct msg_facts a, b;
	char *data;
	size_t len;

	(void)state;
	fill(&a);
	data = facts_serialize(&a, &len);
	assert_non_null(data);
	assert_true(len > 5);
	assert_memory_equal(data, "BFCT\003", 5);
	facts_init(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	assert_facts_equal(&a, &b);
	free(data);
	facts_free(&a);
	facts_free(&b);
}

static void
test_roundtrip_empty_keeps_nulls(void **state)
{
	struct msg_facts a, b;
	char *data;
	size_t len;

	(void)state;
	facts_init(&a);
	data = facts_serialize(&a, &len);
	assert_non_null(data);
	facts_init(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	assert_zeroed(&b);
	free(data);
}

static void
test_roundtrip_empty_strings_stay_empty(void **state)
{
	struct msg_facts a, b;
	char *data;
	size_t len;

	(void)state;
	facts_init(&a);
	a.subject = buf_strdup("");
	a.return_path = buf_strdup("<>");
	data = facts_serialize(&a, &len);
	facts_init(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	assert_non_null(b.subject);
	assert_string_equal(b.subject, "");
	assert_string_equal(b.return_path, "<>");
	assert_null(b.from_addr);
	free(data);
	facts_free(&a);
	facts_free(&b);
}

/* Every reason survives the trip, as the very same static string. */
static void
test_malformed_maps_to_static(void **state)
{
	static const char *const reasons[] = {
		FACTS_MALFORMED_GENERIC, FACTS_MALFORMED_EMPTY,
		FACTS_MALFORMED_NO_HEADER, FACTS_MALFORMED_BAD_HEADER,
		FACTS_MALFORMED_NUL_HEADER, FACTS_MALFORMED_LONG_HEADER,
		FACTS_MALFORMED_NO_FROM, FACTS_MALFORMED_MANY_FROM,
		FACTS_MALFORMED_MANY_AUTHORS, FACTS_MALFORMED_FROM_ADDR,
		FACTS_MALFORMED_DEPTH, FACTS_MALFORMED_CONTAINERS,
		FACTS_MALFORMED_BOUNDARY, FACTS_MALFORMED_MIME,
		FACTS_MALFORMED_PARSER, FACTS_MALFORMED_TIMEOUT,
		FACTS_MALFORMED_CRASHED, FACTS_MALFORMED_UNREADABLE,
		FACTS_MALFORMED_TOO_LARGE,
	};
	struct msg_facts a, b;
	char copy[64], *data;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		/* a heap copy: the result must not point into the input */
		strcpy(copy, reasons[i]);
		facts_init(&a);
		a.malformed = copy;
		data = facts_serialize(&a, &len);
		assert_non_null(data);
		facts_init(&b);
		assert_int_equal(facts_deserialize(data, len, &b), 0);
		assert_ptr_equal(b.malformed, facts_malformed_static(reasons[i]));
		assert_string_equal(b.malformed, reasons[i]);
		assert_ptr_not_equal(b.malformed, copy);
		free(data);
		facts_free(&b);
	}
}

static void
test_malformed_unknown_text_is_generic(void **state)
{
	struct msg_facts a, b;
	char *data;
	size_t len;

	(void)state;
	facts_init(&a);
	a.malformed = "Jean Dupont 1 85 05 78 006 084";	/* never echoed */
	data = facts_serialize(&a, &len);
	facts_init(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	assert_string_equal(b.malformed, FACTS_MALFORMED_GENERIC);
	assert_ptr_equal(facts_malformed_static(NULL), b.malformed);
	free(data);
	facts_free(&b);
}

/*
 * The table facts.h promises, walked: every entry short, printable,
 * distinct, its own static string; and every FACTS_MALFORMED_* the header
 * defines is in it (read from the header itself, so that a constant
 * added there and forgotten in facts.c fails here).
 */
static void
test_malformed_table_walk(void **state)
{
	const char *e, *f;
	char line[256], *q1, *q2;
	size_t i, k, n_defines = 0;
	FILE *fp;

	(void)state;
	for (i = 0; (e = facts_malformed_at(i)) != NULL; i++) {
		assert_true(*e != '\0' && strlen(e) <= 40);
		for (k = 0; e[k] != '\0'; k++)
			assert_true(e[k] >= 0x20 && e[k] < 0x7f);
		assert_ptr_equal(facts_malformed_static(e), e);
		for (k = 0; k < i; k++) {
			f = facts_malformed_at(k);
			assert_true(strcmp(e, f) != 0);
		}
	}
	assert_true(i >= 19);
	assert_string_equal(facts_malformed_at(0), FACTS_MALFORMED_GENERIC);
	assert_null(facts_malformed_at(i + 1));

	fp = fopen(BALP_SRCDIR "/include/balp/facts.h", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "#define FACTS_MALFORMED_", 24) != 0)
			continue;
		q1 = strchr(line, '"');
		assert_non_null(q1);
		q2 = strchr(q1 + 1, '"');
		assert_non_null(q2);
		*q2 = '\0';
		n_defines++;
		e = facts_malformed_static(q1 + 1);
		if (strcmp(e, q1 + 1) != 0)
			fail_msg("\"%s\" is defined in facts.h but not in the"
			    " table of facts.c", q1 + 1);
	}
	fclose(fp);
	assert_int_equal(n_defines, i);
}

/*
 * Whoever sets facts.malformed sets a FACTS_MALFORMED_* constant: a
 * string literal there is outside the table (and turns into "malformed"
 * the moment it crosses the parse child's pipe).  Scans src/.
 */
static regex_t	literal_re;
static char	literal_report[2048];

static int
scan_malformed_literals(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	char line[1024];
	size_t len = strlen(path), n;
	FILE *fp;
	int ln;

	(void)sb;
	(void)ftw;
	if (flag != FTW_F || len < 2 || strcmp(path + len - 2, ".c") != 0)
		return 0;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	for (ln = 1; fgets(line, sizeof(line), fp) != NULL; ln++) {
		if (regexec(&literal_re, line, 0, NULL, 0) != 0)
			continue;
		n = strlen(literal_report);
		snprintf(literal_report + n, sizeof(literal_report) - n,
		    "%s:%d: %s", path + strlen(BALP_SRCDIR) + 1, ln, line);
	}
	fclose(fp);
	return 0;
}

static void
test_malformed_set_from_constants_only(void **state)
{
	(void)state;
	/* "malformed = \"...\"", "set_malformed(w, \"...\")" */
	assert_int_equal(regcomp(&literal_re, "malformed[ \t]*(=[ \t]*|"
	    "\\([^,]*,[ \t]*)\"", REG_EXTENDED), 0);
	literal_report[0] = '\0';
	assert_int_equal(nftw(BALP_SRCDIR "/src", scan_malformed_literals, 8,
	    FTW_PHYS), 0);
	regfree(&literal_re);
	if (literal_report[0] != '\0')
		fail_msg("malformed set from a literal, not a FACTS_MALFORMED_*"
		    " constant:\n%s", literal_report);
}

/* Every strict prefix of a valid serialization is refused. */
static void
test_rejects_every_truncation(void **state)
{
	struct msg_facts a, b;
	char *data, *cut;
	size_t len, n;

	(void)state;
	fill(&a);
	data = facts_serialize(&a, &len);
	assert_non_null(data);
	for (n = 0; n < len; n++) {
		/* exact-size copy: ASan sees any read past n */
		cut = malloc(n > 0 ? n : 1);
		memcpy(cut, data, n);
		facts_init(&b);
		assert_int_equal(facts_deserialize(cut, n, &b), -1);
		assert_zeroed(&b);
		free(cut);
	}
	free(data);
	facts_free(&a);
}

static void
test_rejects_trailing_bytes(void **state)
{
	struct msg_facts a, b;
	char *data, *more;
	size_t len;

	(void)state;
	fill(&a);
	data = facts_serialize(&a, &len);
	more = malloc(len + 1);
	memcpy(more, data, len);
	more[len] = 0;
	facts_init(&b);
	assert_int_equal(facts_deserialize(more, len + 1, &b), -1);
	assert_zeroed(&b);
	free(more);
	free(data);
	facts_free(&a);
}

static void
test_rejects_null_input(void **state)
{
	struct msg_facts b;

	(void)state;
	facts_init(&b);
	assert_int_equal(facts_deserialize(NULL, 0, &b), -1);
	assert_int_equal(facts_deserialize("", 0, &b), -1);
}

/*
 * A hand-written minimal message, to build broken variants byte by byte.
 * It also pins the documented layout.
 */
struct wire {
	unsigned char	b[256];
	size_t		n;
};

static void
w_bytes(struct wire *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
w_u32(struct wire *w, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	w_bytes(w, c, 4);
}

static void
w_u8(struct wire *w, unsigned v)
{
	unsigned char c = (unsigned char)v;

	w_bytes(w, &c, 1);
}

static void
w_u64(struct wire *w, uint64_t v)
{
	w_u32(w, (uint32_t)v);
	w_u32(w, (uint32_t)(v >> 32));
}

static void
w_null(struct wire *w)
{
	w_u32(w, 0xffffffffU);
}

static void
w_str(struct wire *w, const char *s, size_t n)
{
	w_u32(w, (uint32_t)n);
	w_bytes(w, s, n);
}

/* What can vary in the hand-written message. */
struct variant {
	const char	*subject;	/* NULL = NULL */
	size_t		 subject_len;
	uint32_t	 n_auth;	/* declared */
	uint32_t	 n_parts;	/* declared; one part is written if 1 */
	int		 part_ct_null;
	unsigned	 flag;		/* has_list_id byte */
	uint32_t	 from_count;
	uint32_t	 depth;
	unsigned	 version;
	uint32_t	 findings;
};

static const struct variant ok_variant = {
	"RIB", 3, 0, 1, 0, 1, 1, 2, 3, CONTENT_PDF
};

static void
build(struct wire *w, const struct variant *v)
{
	w->n = 0;
	w_bytes(w, "BFCT", 4);
	w_u8(w, v->version);
	w_null(w);			/* malformed */
	w_u64(w, 42);			/* raw_size */
	w_u32(w, v->from_count);
	w_str(w, "a@b.fr", 6);		/* from_addr */
	w_null(w);			/* from_name */
	if (v->subject != NULL)
		w_str(w, v->subject, v->subject_len);
	else
		w_null(w);
	w_null(w);			/* message_id */
	w_u32(w, v->n_auth);
	w_null(w);			/* auto_submitted */
	w_null(w);			/* precedence */
	w_str(w, "<>", 2);		/* return_path */
	w_u8(w, 1);			/* has_return_path */
	w_u8(w, v->flag);		/* has_list_id */
	w_u8(w, 0);
	w_u8(w, 0);
	w_str(w, "text/plain", 10);	/* top_content_type */
	w_u32(w, v->n_parts);
	if (v->n_parts >= 1) {
		if (v->part_ct_null)
			w_null(w);
		else
			w_str(w, "application/pdf", 15);
		w_str(w, "rib.pdf", 7);
		w_u64(w, 54);
		w_u8(w, 1);		/* is_attachment */
		w_u8(w, 1);		/* embedded */
		w_u32(w, v->depth);
		w_str(w, "application/pdf", 15);	/* sniffed_type */
		w_u32(w, v->findings);
	}
	w_u8(w, 0);			/* truncated_parts */
	w_null(w);			/* first_text */
}

static int
try_variant(const struct variant *v, struct msg_facts *out)
{
	struct wire w;
	char *copy;
	int r;

	build(&w, v);
	copy = malloc(w.n);
	memcpy(copy, w.b, w.n);
	facts_init(out);
	r = facts_deserialize(copy, w.n, out);
	free(copy);
	return r;
}

static void
test_handwritten_layout_accepted(void **state)
{
	struct msg_facts f;

	(void)state;
	assert_int_equal(try_variant(&ok_variant, &f), 0);
	assert_null(f.malformed);
	assert_int_equal(f.n_parts, 1);
	assert_int_equal(f.parts[0].embedded, 1);
	assert_true(f.raw_size == 42);
	assert_int_equal(f.from_count, 1);
	assert_string_equal(f.from_addr, "a@b.fr");
	assert_string_equal(f.subject, "RIB");
	assert_string_equal(f.return_path, "<>");
	assert_int_equal(f.has_return_path, 1);
	assert_int_equal(f.has_list_id, 1);
	assert_string_equal(f.top_content_type, "text/plain");
	assert_int_equal(f.n_parts, 1);
	assert_string_equal(f.parts[0].content_type, "application/pdf");
	assert_string_equal(f.parts[0].filename, "rib.pdf");
	assert_true(f.parts[0].size == 54);
	assert_int_equal(f.parts[0].depth, 2);
	assert_string_equal(f.parts[0].sniffed_type, "application/pdf");
	assert_int_equal(f.parts[0].findings, CONTENT_PDF);
	facts_free(&f);
}

/* One change from a valid message each; all must be refused. */
static const struct {
	const char	*what;
	struct variant	 v;
} bad_variants[] = {
	{ "unknown version",	{ "RIB", 3, 0, 1, 0, 1, 1, 2, 2, CONTENT_PDF } },
	{ "auth count beyond input", { "RIB", 3, 0x7fffffff, 1, 0, 1, 1, 2, 3, CONTENT_PDF } },
	{ "part count beyond input", { "RIB", 3, 0, 0xfffffffe, 0, 1, 1, 2, 3, CONTENT_PDF } },
	{ "2 parts declared, 1 sent", { "RIB", 3, 0, 2, 0, 1, 1, 2, 3, CONTENT_PDF } },
	{ "NUL inside a string", { "R\0B", 3, 0, 1, 0, 1, 1, 2, 3, CONTENT_PDF } },
	{ "invalid UTF-8",	{ "R\xe9sum\xe9", 6, 0, 1, 0, 1, 1, 2, 3, CONTENT_PDF } },
	{ "flag byte 2",	{ "RIB", 3, 0, 1, 0, 2, 1, 2, 3, CONTENT_PDF } },
	{ "part without type",	{ "RIB", 3, 0, 1, 1, 1, 1, 2, 3, CONTENT_PDF } },
	{ "negative from_count", { "RIB", 3, 0, 1, 0, 1, 0xffffffffU, 2, 3, CONTENT_PDF } },
	{ "negative depth",	{ "RIB", 3, 0, 1, 0, 1, 1, 0x80000000U, 3, CONTENT_PDF } },
	{ "unknown finding bit", { "RIB", 3, 0, 1, 0, 1, 1, 2, 3, 0x80000000U } },
};

static void
test_rejects_inconsistent_variants(void **state)
{
	struct msg_facts f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_variants) / sizeof(bad_variants[0]); i++) {
		if (try_variant(&bad_variants[i].v, &f) != -1)
			fail_msg("accepted: %s", bad_variants[i].what);
		assert_zeroed(&f);
	}
}

/* A string length near 4 GiB in a short input: refused, no allocation. */
static void
test_rejects_huge_string_length(void **state)
{
	/* offset of the subject's length: magic, version, malformed,
	 * raw_size, from_count, from_addr (4 + 6), from_name */
	const size_t off = 4 + 1 + 4 + 8 + 4 + (4 + 6) + 4;
	struct msg_facts f;
	struct wire w;
	char *copy;

	(void)state;
	build(&w, &ok_variant);
	assert_memory_equal(w.b + off, "\003\0\0\0RIB", 7);
	w.b[off] = 0xf0;
	w.b[off + 1] = 0xff;
	w.b[off + 2] = 0xff;
	w.b[off + 3] = 0xff;
	copy = malloc(w.n);
	memcpy(copy, w.b, w.n);
	facts_init(&f);
	assert_int_equal(facts_deserialize(copy, w.n, &f), -1);
	assert_zeroed(&f);
	free(copy);
}

/* Single-byte corruption anywhere: accepted or refused, never a crash. */
static void
test_byte_flips_never_crash(void **state)
{
	struct msg_facts a, b;
	char *data, *copy;
	size_t len, i;
	int bit, r;

	(void)state;
	fill(&a);
	data = facts_serialize(&a, &len);
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, data, len);
			copy[i] ^= (char)(1 << bit);
			facts_init(&b);
			r = facts_deserialize(copy, len, &b);
			assert_true(r == 0 || r == -1);
			if (r == -1)
				assert_zeroed(&b);
			facts_free(&b);
		}
	}
	free(copy);
	free(data);
	facts_free(&a);
}

/* Deserializing into a struct that holds data frees the old data. */
static void
test_deserialize_replaces_previous(void **state)
{
	struct msg_facts a, b;
	char *data;
	size_t len;

	(void)state;
	facts_init(&a);
	a.subject = buf_strdup("nouveau");
	data = facts_serialize(&a, &len);
	fill(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	assert_string_equal(b.subject, "nouveau");
	assert_int_equal(b.n_parts, 0);
	assert_null(b.from_addr);
	free(data);
	facts_free(&a);
	facts_free(&b);
}

/* Many appends, then more after a round trip: storage keeps up. */
static void
test_many_appends_and_after_roundtrip(void **state)
{
	struct msg_facts a, b;
	char name[32], *data;
	size_t i, len;

	(void)state;
	facts_init(&a);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%zu.pdf", i);
		assert_int_equal(facts_add_part(&a, "application/pdf", name,
		    i, 1, 1), 0);
		assert_int_equal(facts_add_auth_result(&a, name), 0);
	}
	data = facts_serialize(&a, &len);
	assert_non_null(data);
	facts_init(&b);
	assert_int_equal(facts_deserialize(data, len, &b), 0);
	for (i = 0; i < 37; i++) {
		assert_int_equal(facts_add_part(&b, "text/plain", NULL, 1, 0,
		    0), 0);
		assert_int_equal(facts_add_auth_result(&b, "x"), 0);
	}
	assert_int_equal(b.n_parts, 1037);
	assert_int_equal(b.n_auth_results, 1037);
	assert_string_equal(b.parts[999].filename, "f999.pdf");
	assert_true(b.parts[999].size == 999);
	assert_string_equal(b.auth_results[500], "f500.pdf");
	assert_string_equal(b.parts[1036].content_type, "text/plain");
	free(data);
	facts_free(&a);
	facts_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_zeroes),
		cmocka_unit_test(test_add_part_copies_strings),
		cmocka_unit_test(test_add_auth_result_copies),
		cmocka_unit_test(test_free_zeroes),
		cmocka_unit_test(test_roundtrip_full),
		cmocka_unit_test(test_roundtrip_empty_keeps_nulls),
		cmocka_unit_test(test_roundtrip_empty_strings_stay_empty),
		cmocka_unit_test(test_malformed_maps_to_static),
		cmocka_unit_test(test_malformed_unknown_text_is_generic),
		cmocka_unit_test(test_malformed_table_walk),
		cmocka_unit_test(test_malformed_set_from_constants_only),
		cmocka_unit_test(test_rejects_every_truncation),
		cmocka_unit_test(test_rejects_trailing_bytes),
		cmocka_unit_test(test_rejects_null_input),
		cmocka_unit_test(test_handwritten_layout_accepted),
		cmocka_unit_test(test_rejects_inconsistent_variants),
		cmocka_unit_test(test_rejects_huge_string_length),
		cmocka_unit_test(test_byte_flips_never_crash),
		cmocka_unit_test(test_deserialize_replaces_previous),
		cmocka_unit_test(test_many_appends_and_after_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
