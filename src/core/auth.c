/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth - sender authentication from Authentication-Results (RFC 8601), pure
 * (see auth.h).
 *
 * A small recursive-descent reader over each header value with a cursor
 * bounded by the value's length.  Comments (nested, with quoted-pairs) and
 * folding white space are skipped wherever RFC 8601 allows CFWS; comments
 * are counted iteratively, never by recursion, so a value of 100 KB of '('
 * costs no stack.
 *
 * A header counts only if it reads completely: one we cannot read to the
 * end is one whose meaning we cannot be sure of (an unquoted value echoed
 * by the MTA could fake a second result), and the cost of ignoring it is a
 * quarantine, not a delivery.  Two real-world liberties are accepted
 * because common filters emit them: property values are read up to the
 * next white space, ';' or '(' (DKIM "header.b=Ab/+=" is not a token), and
 * "key=value" without a ptype (Microsoft's "action=none") is skipped.
 *
 * The trust comes from the authserv-id alone: the receiving MTA must strip
 * incoming Authentication-Results bearing its own id (RFC 8601 section 5),
 * or a sender could forge one.
 *
 * Ownership: nothing returned is allocated; values are decoded into a
 * scratch buffer freed before return.  On allocation failure the answer is
 * 0, "not verified", which quarantines rather than accepts.
 */
#include "balp/auth.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <string.h>

struct cursor {
	const char	*s;
	size_t		 len;
	size_t		 i;
};

/* What the method/result of the resinfo being read let a property prove. */
enum want {
	WANT_NOTHING,
	WANT_DMARC,	/* dmarc=pass: header.from must equal the domain */
	WANT_DKIM,	/* dkim=pass: header.d or header.i aligned */
	WANT_SPF,	/* spf=pass: smtp.mailfrom aligned */
};

struct check {
	const char		*from_domain;
	const struct wordlist	*public_suffixes;
	struct buf		 val;	/* scratch for decoded values */
	int			 hit;	/* a resinfo of this header proved it */
};

static int
at_end(const struct cursor *c)
{
	return c->i >= c->len;
}

static char
peek(const struct cursor *c)
{
	return at_end(c) ? '\0' : c->s[c->i];
}

static int
is_fws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Skips white space and comments; -1 on an unterminated comment. */
static int
skip_cfws(struct cursor *c)
{
	size_t depth;

	for (;;) {
		while (!at_end(c) && is_fws(c->s[c->i]))
			c->i++;
		if (peek(c) != '(')
			return 0;
		depth = 0;
		do {
			if (at_end(c))
				return -1;
			switch (c->s[c->i]) {
			case '\\':
				if (c->i + 1 >= c->len)
					return -1;
				c->i++;
				break;
			case '(':
				depth++;
				break;
			case ')':
				depth--;
				break;
			}
			c->i++;
		} while (depth > 0);
	}
}

static int
is_keyword_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* RFC 2045 token characters, plus UTF-8 bytes (RFC 8616). */
static int
is_token_char(char ch)
{
	unsigned char u = (unsigned char)ch;

	if (u >= 0x80)
		return 1;
	if (u <= 0x20 || u == 0x7F)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* A keyword at the cursor: its start in *k and length in *n; -1 if none. */
static int
read_keyword(struct cursor *c, const char **k, size_t *n)
{
	size_t start = c->i;

	while (!at_end(c) && is_keyword_char(c->s[c->i]))
		c->i++;
	if (c->i == start)
		return -1;
	*k = c->s + start;
	*n = c->i - start;
	return 0;
}

/* A quoted-string at the cursor (on its '"'), unescaped into b; 0 or -1. */
static int
read_quoted(struct cursor *c, struct buf *b)
{
	char ch;

	c->i++;
	while (!at_end(c)) {
		ch = c->s[c->i++];
		if (ch == '"')
			return 0;
		if (ch == '\\') {
			if (at_end(c))
				return -1;
			ch = c->s[c->i++];
		}
		buf_putc(b, ch);
	}
	return -1;
}

/* value = token / quoted-string, decoded into b (appended). */
static int
read_value(struct cursor *c, struct buf *b)
{
	size_t start = c->i;

	if (peek(c) == '"')
		return read_quoted(c, b);
	while (!at_end(c) && is_token_char(c->s[c->i]))
		c->i++;
	if (c->i == start)
		return -1;
	return buf_add(b, c->s + start, c->i - start);
}

/*
 * pvalue: a quoted-string (maybe the local-part of local@domain), or a
 * run of anything but white space, ';', '(', ')' and '"'.
 */
static int
read_pvalue(struct cursor *c, struct buf *b)
{
	size_t start;
	int quoted = 0;
	char ch;

	if (peek(c) == '"') {
		if (read_quoted(c, b) == -1)
			return -1;
		quoted = 1;
	}
	start = c->i;
	while (!at_end(c)) {
		ch = c->s[c->i];
		if (is_fws(ch) || ch == ';' || ch == '(' || ch == ')' ||
		    ch == '"' || (unsigned char)ch < 0x20 || ch == 0x7F)
			break;
		c->i++;
	}
	if (c->i == start && !quoted)
		return -1;
	return buf_add(b, c->s + start, c->i - start);
}

static int
keyword_is(const char *k, size_t n, const char *word)
{
	return strlen(word) == n && text_ascii_ncasecmp(k, word, n) == 0;
}

/* Length of d without one trailing dot. */
static size_t
domain_len(const char *d, size_t n)
{
	return n > 0 && d[n - 1] == '.' ? n - 1 : n;
}

/* 1 if d[0..n) looks like a domain name: LDH or UTF-8 labels, none empty. */
static int
domain_ok(const char *d, size_t n)
{
	size_t i, label = 0;
	unsigned char u;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		u = (unsigned char)d[i];
		if (u == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!(is_keyword_char((char)u) || u >= 0x80))
			return 0;
		label++;
	}
	return label > 0;
}

/* Start of the last nlabels labels of d[0..len), or 0 if it has fewer. */
static size_t
labels_start(const char *d, size_t len, size_t nlabels)
{
	size_t i = len;

	while (i > 0) {
		if (d[i - 1] == '.' && --nlabels == 0)
			return i;
		i--;
	}
	return 0;
}

static int
suffix_listed(const struct wordlist *ps, const char *s, size_t n)
{
	size_t k;

	if (ps == NULL)
		return 0;
	for (k = 0; k < ps->n; k++)
		if (domain_len(ps->v[k], ps->ent[k].len) == n &&
		    text_ascii_ncasecmp(ps->v[k], s, n) == 0)
			return 1;
	return 0;
}

/*
 * The organisational domain of d[0..len) (no trailing dot): one label
 * under the longest listed public suffix, the top-level label counting as
 * one when nothing longer is listed.  Returns the offset where it starts.
 * One walk from the right, so a hostile 100 KB "a.a.a..." stays linear.
 */
static size_t
org_start(const char *d, size_t len, const struct wordlist *ps)
{
	size_t i = len, labels = 0, longest = 1;

	while (i > 0) {
		i--;
		if (i > 0 && d[i - 1] != '.')
			continue;
		labels++;	/* d[i..len) holds the last `labels` labels */
		if (suffix_listed(ps, d + i, len - i))
			longest = labels;
	}
	return labels_start(d, len, longest + 1);
}

const char *
auth_org_domain(const char *domain, const struct wordlist *public_suffixes)
{
	size_t len = domain_len(domain, strlen(domain));

	return domain + org_start(domain, len, public_suffixes);
}

/* auth_aligned() on bounded strings. */
static int
aligned_n(const char *a, size_t an, const char *b, size_t bn,
    const struct wordlist *ps)
{
	size_t ao, bo;

	an = domain_len(a, an);
	bn = domain_len(b, bn);
	if (an == 0 || bn == 0)
		return 0;
	if (an == bn && text_ascii_ncasecmp(a, b, an) == 0)
		return 1;
	ao = org_start(a, an, ps);
	bo = org_start(b, bn, ps);
	return an - ao == bn - bo && text_ascii_ncasecmp(a + ao, b + bo,
	    an - ao) == 0;
}

int
auth_aligned(const char *a, const char *b, const struct wordlist *ps)
{
	if (a == NULL || b == NULL)
		return 0;
	return aligned_n(a, strlen(a), b, strlen(b), ps);
}

/* The domain part of an address or a bare domain in v[0..n). */
static const char *
domain_part(const char *v, size_t *n)
{
	const char *at = NULL;
	size_t i;

	for (i = 0; i < *n; i++)
		if (v[i] == '@')
			at = v + i;
	if (at == NULL)
		return v;
	*n -= (size_t)(at + 1 - v);
	return at + 1;
}

/* A property of a pass result: does it prove the From domain? */
static int
property_proves(const struct check *ck, enum want want, const char *pt,
    size_t ptn, const char *pr, size_t prn)
{
	const char *v = buf_str(&ck->val), *d, *fd = ck->from_domain;
	size_t n = ck->val.len, dn, fn = strlen(fd);
	int is_addr = memchr(v, '@', n) != NULL;

	switch (want) {
	case WANT_DMARC:
		if (!keyword_is(pt, ptn, "header") ||
		    !keyword_is(pr, prn, "from") || is_addr)
			return 0;
		dn = domain_len(v, n);
		return domain_ok(v, dn) && dn == domain_len(fd, fn) &&
		    text_ascii_ncasecmp(v, fd, dn) == 0;
	case WANT_DKIM:
		if (!keyword_is(pt, ptn, "header"))
			return 0;
		if (keyword_is(pr, prn, "d") && !is_addr) {
			d = v;
			dn = n;
		} else if (keyword_is(pr, prn, "i") && is_addr) {
			dn = n;
			d = domain_part(v, &dn);
		} else
			return 0;
		return domain_ok(d, domain_len(d, dn)) &&
		    aligned_n(d, dn, fd, fn, ck->public_suffixes);
	case WANT_SPF:
		if (!keyword_is(pt, ptn, "smtp") ||
		    !keyword_is(pr, prn, "mailfrom"))
			return 0;
		dn = n;
		d = domain_part(v, &dn);
		return domain_ok(d, domain_len(d, dn)) &&
		    aligned_n(d, dn, fd, fn, ck->public_suffixes);
	default:
		return 0;
	}
}

static enum want
want_of(const char *m, size_t mn, const char *r, size_t rn)
{
	if (!keyword_is(r, rn, "pass"))
		return WANT_NOTHING;
	if (keyword_is(m, mn, "dmarc"))
		return WANT_DMARC;
	if (keyword_is(m, mn, "dkim"))
		return WANT_DKIM;
	if (keyword_is(m, mn, "spf"))
		return WANT_SPF;
	return WANT_NOTHING;
}

/*
 * One resinfo after its ';': methodspec [reasonspec] *propspec.  The
 * cursor stops on the next ';' or at the end.  An empty resinfo (";;", a
 * trailing ';') is accepted.  0 or -1.
 */
static int
read_resinfo(struct cursor *c, struct check *ck)
{
	const char *m, *r, *pt, *pr;
	size_t mn, rn, ptn, prn;
	enum want want;

	if (skip_cfws(c) == -1)
		return -1;
	if (at_end(c) || peek(c) == ';')
		return 0;
	if (read_keyword(c, &m, &mn) == -1 || skip_cfws(c) == -1)
		return -1;
	if (peek(c) == '/') {		/* method-version */
		c->i++;
		if (skip_cfws(c) == -1 || read_keyword(c, &pr, &prn) == -1 ||
		    skip_cfws(c) == -1)
			return -1;
	}
	if (peek(c) != '=')
		return -1;
	c->i++;
	if (skip_cfws(c) == -1 || read_keyword(c, &r, &rn) == -1)
		return -1;
	want = want_of(m, mn, r, rn);
	for (;;) {
		if (skip_cfws(c) == -1)
			return -1;
		if (at_end(c) || peek(c) == ';')
			return 0;
		if (read_keyword(c, &pt, &ptn) == -1 || skip_cfws(c) == -1)
			return -1;
		pr = NULL;
		prn = 0;
		if (peek(c) == '.') {
			c->i++;
			if (skip_cfws(c) == -1 ||
			    read_keyword(c, &pr, &prn) == -1 ||
			    skip_cfws(c) == -1)
				return -1;
		}
		if (peek(c) != '=')
			return -1;
		c->i++;
		if (skip_cfws(c) == -1)
			return -1;
		buf_reset(&ck->val);
		if (read_pvalue(c, &ck->val) == -1 || ck->val.failed)
			return -1;
		if (pr != NULL && want != WANT_NOTHING &&
		    property_proves(ck, want, pt, ptn, pr, prn))
			ck->hit = 1;
	}
}

static int
trusted_id(const char *id, size_t n, const char *const *trusted,
    size_t n_trusted)
{
	size_t k;

	for (k = 0; k < n_trusted; k++)
		if (trusted[k] != NULL && strlen(trusted[k]) == n &&
		    text_ascii_ncasecmp(trusted[k], id, n) == 0)
			return 1;
	return 0;
}

/*
 * 1 if the header value h is from a trusted authserv-id, reads completely
 * and one of its results proves the From domain.
 */
static int
header_proves(const char *h, struct check *ck, const char *const *trusted,
    size_t n_trusted)
{
	struct cursor c = { h, strlen(h), 0 };
	const char *k;
	size_t n, save;

	ck->hit = 0;
	buf_reset(&ck->val);
	if (skip_cfws(&c) == -1 || read_value(&c, &ck->val) == -1 ||
	    ck->val.failed)
		return 0;
	if (!trusted_id(buf_str(&ck->val), ck->val.len, trusted, n_trusted))
		return 0;
	if (skip_cfws(&c) == -1)
		return 0;
	/* authres-version */
	save = c.i;
	while (!at_end(&c) && c.s[c.i] >= '0' && c.s[c.i] <= '9')
		c.i++;
	if (c.i > save && skip_cfws(&c) == -1)
		return 0;
	if (peek(&c) != ';')
		return 0;
	c.i++;
	/* no-result: "; none" */
	save = c.i;
	if (skip_cfws(&c) == 0 && read_keyword(&c, &k, &n) == 0 &&
	    keyword_is(k, n, "none") && skip_cfws(&c) == 0 && at_end(&c))
		return 0;
	c.i = save;
	for (;;) {
		if (read_resinfo(&c, ck) == -1)
			return 0;
		if (at_end(&c))
			return ck->hit;
		c.i++;		/* the ';' */
	}
}

int
auth_sender_verified(char *const *headers, size_t n_headers,
    const char *from_domain, const char *const *trusted, size_t n_trusted,
    const struct wordlist *public_suffixes)
{
	struct check ck;
	size_t h, fn;
	int ok = 0;

	if (from_domain == NULL || headers == NULL)
		return 0;
	fn = domain_len(from_domain, strlen(from_domain));
	if (!domain_ok(from_domain, fn))
		return 0;
	ck.from_domain = from_domain;
	ck.public_suffixes = public_suffixes;
	buf_init(&ck.val);
	for (h = 0; h < n_headers && !ok; h++)
		if (headers[h] != NULL &&
		    header_proves(headers[h], &ck, trusted, n_trusted))
			ok = 1;
	buf_free(&ck.val);
	return ok;
}
