/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_param - what a part's header says of it (step 4 in mime.c): its
 * content type, its file name (RFC 2231 parameters, which libetpan leaves
 * raw, and the raw header when libetpan drops or cuts the name), and the
 * decoded size of its body, counted without decoding.
 */
#include "mime_priv.h"
#include "balp/buf.h"
#include "balp/text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* 4. The MIME tree: types, file names, sizes                          */

/* "type/subtype", lower case, for a content type (NULL = text/plain). */
char *
mime_type_string(struct mailmime_content *ct)
{
	struct buf b = BUF_INIT;
	const char *t = "application";
	char *s, *c;

	if (ct == NULL || ct->ct_type == NULL)
		return buf_strdup("text/plain");
	if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
	    ct->ct_type->tp_data.tp_discrete_type != NULL) {
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT:	t = "text"; break;
		case MAILMIME_DISCRETE_TYPE_IMAGE:	t = "image"; break;
		case MAILMIME_DISCRETE_TYPE_AUDIO:	t = "audio"; break;
		case MAILMIME_DISCRETE_TYPE_VIDEO:	t = "video"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application";
			break;
		case MAILMIME_DISCRETE_TYPE_EXTENSION:
			if (ct->ct_type->tp_data.tp_discrete_type->
			    dt_extension != NULL)
				t = ct->ct_type->tp_data.tp_discrete_type->
				    dt_extension;
			break;
		}
	} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
	    ct->ct_type->tp_data.tp_composite_type != NULL) {
		switch (ct->ct_type->tp_data.tp_composite_type->ct_type) {
		case MAILMIME_COMPOSITE_TYPE_MESSAGE:	t = "message";
			break;
		case MAILMIME_COMPOSITE_TYPE_MULTIPART:	t = "multipart";
			break;
		case MAILMIME_COMPOSITE_TYPE_EXTENSION:
			if (ct->ct_type->tp_data.tp_composite_type->
			    ct_token != NULL)
				t = ct->ct_type->tp_data.tp_composite_type->
				    ct_token;
			break;
		}
	}
	buf_printf(&b, "%s/%s", t, ct->ct_subtype != NULL ?
	    ct->ct_subtype : "octet-stream");
	if ((s = buf_detach(&b)) == NULL)
		return NULL;
	c = text_clean(s, strlen(s));
	free(s);
	return c != NULL ? text_ascii_lower_inplace(c) : NULL;
}

int
mime_has_subtype(struct mailmime_content *ct, const char *sub)
{
	return ct != NULL && ct->ct_subtype != NULL &&
	    text_ascii_casecmp(ct->ct_subtype, sub) == 0;
}

/* Parameters of a Content-Type or Content-Disposition, as one list. */
struct params {
	struct mailmime_parameter	**v;
	size_t				  n;
};

static int
params_collect(struct params *p, clist *ct_params, clist *dsp_params)
{
	struct mailmime_disposition_parm *dp;
	struct mailmime_parameter **nv;
	clistiter *it;
	size_t cap;

	p->v = NULL;
	p->n = 0;
	cap = (ct_params != NULL ? (size_t)clist_count(ct_params) : 0) +
	    (dsp_params != NULL ? (size_t)clist_count(dsp_params) : 0);
	if (cap == 0)
		return 0;
	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -1;
	p->v = nv;
	if (ct_params != NULL)
		for (it = clist_begin(ct_params); it != NULL;
		    it = clist_next(it))
			p->v[p->n++] = clist_content(it);
	if (dsp_params != NULL)
		for (it = clist_begin(dsp_params); it != NULL;
		    it = clist_next(it)) {
			dp = clist_content(it);
			if (dp->pa_type ==
			    MAILMIME_DISPOSITION_PARM_PARAMETER &&
			    dp->pa_data.pa_parameter != NULL)
				p->v[p->n++] = dp->pa_data.pa_parameter;
		}
	return 0;
}

/*
 * Which RFC 2231 piece a parameter name is, for a base name: -2 not one
 * of ours, -1 "base*" (whole extended value), else the segment number;
 * *ext says whether that segment is percent-encoded (trailing '*').
 */
static int
rfc2231_piece(const char *name, const char *base, int *ext)
{
	size_t bl = strlen(base);
	const char *p;
	int n = 0;

	*ext = 0;
	if (name == NULL || text_ascii_ncasecmp(name, base, bl) != 0 ||
	    name[bl] != '*')
		return -2;
	p = name + bl + 1;
	if (*p == '\0') {
		*ext = 1;
		return -1;
	}
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -2;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > MIME_MAX_SEGMENTS)
			return -2;
	}
	if (*p == '*') {
		*ext = 1;
		p++;
	}
	return *p == '\0' ? n : -2;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = text_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Appends value v, percent-decoded if ext. */
static void
pct_append(struct buf *b, const char *v, int ext)
{
	int h, l;

	if (!ext) {
		buf_puts(b, v);
		return;
	}
	for (; *v != '\0'; v++) {
		if (*v == '%' && (h = hexval(v[1])) >= 0 &&
		    (l = hexval(v[2])) >= 0) {
			buf_putc(b, (char)(h * 16 + l));
			v += 2;
		} else
			buf_putc(b, *v);
	}
}

/*
 * An extended value "charset'language'text": copies the charset into
 * cs (bounded) and returns the text.  Without two quotes, all is text.
 */
static const char *
rfc2231_split(const char *v, char *cs, size_t cssz)
{
	const char *q1, *q2;
	size_t n;

	cs[0] = '\0';
	if ((q1 = strchr(v, '\'')) == NULL ||
	    (q2 = strchr(q1 + 1, '\'')) == NULL)
		return v;
	n = (size_t)(q1 - v);
	if (n < cssz) {
		memcpy(cs, v, n);
		cs[n] = '\0';
	}
	return q2 + 1;
}

/*
 * The RFC 2231 value of parameter base ("filename", "name"), decoded to
 * UTF-8 and cleaned; NULL if absent (*nomem set on ENOMEM).
 */
static char *
rfc2231_value(const struct params *p, const char *base, int *nomem)
{
	struct buf b = BUF_INIT;
	const char *v;
	char cs[64], *raw, *u, *out;
	size_t i, len;
	int seg, ext, want, found;

	cs[0] = '\0';
	buf_add(&b, "", 0);
	found = 0;
	for (i = 0; i < p->n; i++) {
		if (rfc2231_piece(p->v[i]->pa_name, base, &ext) == -1 &&
		    p->v[i]->pa_value != NULL) {
			v = rfc2231_split(p->v[i]->pa_value, cs, sizeof(cs));
			pct_append(&b, v, 1);
			found = 1;
			break;
		}
	}
	for (want = 0; !found && want <= MIME_MAX_SEGMENTS; want++) {
		for (i = 0; i < p->n; i++) {
			seg = rfc2231_piece(p->v[i]->pa_name, base, &ext);
			if (seg == want && p->v[i]->pa_value != NULL)
				break;
		}
		if (i == p->n)
			break;
		v = p->v[i]->pa_value;
		if (want == 0 && ext)
			v = rfc2231_split(v, cs, sizeof(cs));
		pct_append(&b, v, ext);
	}
	if (!found && want == 0) {
		buf_free(&b);
		return NULL;
	}
	len = b.len;
	if ((raw = buf_detach(&b)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	u = mime_to_utf8(raw, len, cs[0] != '\0' ? cs : NULL);
	free(raw);
	if (u == NULL) {
		*nomem = 1;
		return NULL;
	}
	out = text_clean(u, strlen(u));
	free(u);
	if (out == NULL)
		*nomem = 1;
	return out;
}

/*
 * Lenient fallback on the raw part header: the value of parameter name
 * in field field ("Content-Disposition"), quoted or not, up to ';' or the
 * end of the field.  libetpan drops a filename it cannot parse (an
 * unterminated quote, a missing ';', spaces in a token) or keeps its
 * first word only; a mail client may still show the whole name, and the
 * attachment policy must judge that one.
 *
 * Returns 1 with the decoded value in *out (caller frees), 0 when the
 * field or the parameter is absent, -1 on allocation failure.  The two
 * must differ: a name we failed to read is not a name that is not there,
 * and treating it so would let an attachment through the policy unjudged
 * whenever memory runs short (the parse must fail instead).
 */
static int
raw_param(const char *h, size_t hlen, const char *field, const char *name,
    char **out)
{
	size_t i = 0, eol, fl = strlen(field), nl = strlen(name), k, end;
	struct buf val = BUF_INIT;
	char *v, *u;

	*out = NULL;

	while (i < hlen) {
		for (eol = i; eol < hlen && h[eol] != '\n'; eol++)
			;
		/* extend over folded lines */
		while (eol + 1 < hlen && mime_is_wsp(h[eol + 1]))
			for (eol++; eol < hlen && h[eol] != '\n'; eol++)
				;
		if (eol - i > fl && h[i + fl] == ':' &&
		    text_ascii_ncasecmp(h + i, field, fl) == 0)
			break;
		i = eol + 1;
	}
	if (i >= hlen)
		return 0;
	if ((v = mime_unfold(h + i + fl + 1, eol - i - fl - 1)) == NULL)
		return -1;
	end = strlen(v);
	for (k = 0; k + nl < end; k++) {
		if ((k > 0 && v[k - 1] != ';' && !mime_is_wsp(v[k - 1])) ||
		    text_ascii_ncasecmp(v + k, name, nl) != 0)
			continue;
		i = k + nl;
		while (i < end && mime_is_wsp(v[i]))
			i++;
		if (i >= end || v[i] != '=')
			continue;
		for (i++; i < end && mime_is_wsp(v[i]); i++)
			;
		buf_add(&val, "", 0);
		if (i < end && v[i] == '"') {
			for (i++; i < end && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < end)
					i++;
				buf_putc(&val, v[i]);
			}
		} else {
			for (; i < end && v[i] != ';'; i++)
				buf_putc(&val, v[i]);
		}
		break;
	}
	free(v);
	if (val.data == NULL && !val.failed)
		return 0;
	if ((u = buf_detach(&val)) == NULL)
		return -1;
	*out = mime_decode_header(u);
	free(u);
	return *out != NULL ? 1 : -1;
}

/* Returns a decoded, cleaned filename or NULL (w->nomem on ENOMEM). */
char *
mime_part_filename(struct walk *w, struct mailmime *m,
    struct mailmime_single_fields *sf)
{
	struct params p;
	const char *hstart = m->mm_mime_start, *hend;
	char *name = NULL, *raw;
	size_t hlen = 0;
	int nomem = 0, i;

	if (m->mm_body != NULL && m->mm_body->dt_type == MAILMIME_DATA_TEXT &&
	    hstart != NULL) {
		hend = m->mm_body->dt_data.dt_text.dt_data;
		if (hend != NULL && hend >= hstart)
			hlen = (size_t)(hend - hstart);
	}

	/* Disposition first, then the Content-Type name; 2231 before 2047. */
	for (i = 0; i < 2 && name == NULL && !nomem; i++) {
		const char *base = i == 0 ? "filename" : "name";
		const char *plain = i == 0 ? sf->fld_disposition_filename :
		    sf->fld_content_name;
		const char *field = i == 0 ? "Content-Disposition" :
		    "Content-Type";

		if (params_collect(&p, i == 0 ? NULL :
		    (m->mm_content_type != NULL ?
		    m->mm_content_type->ct_parameters : NULL),
		    i == 0 && sf->fld_disposition != NULL ?
		    sf->fld_disposition->dsp_parms : NULL) == -1) {
			nomem = 1;
			break;
		}
		name = rfc2231_value(&p, base, &nomem);
		free(p.v);
		if (name != NULL || nomem)
			break;
		if (plain != NULL &&
		    (name = mime_decode_header(plain)) == NULL) {
			nomem = 1;
			break;
		}
		if (hlen == 0)
			continue;
		if (raw_param(hstart, hlen, field, base, &raw) == -1) {
			nomem = 1;
			break;
		}
		if (raw != NULL && (name == NULL ||
		    (strlen(raw) > strlen(name) &&
		    strncmp(raw, name, strlen(name)) == 0))) {
			free(name);
			name = raw;
		} else
			free(raw);
	}
	if (nomem) {
		w->nomem = 1;
		free(name);
		return NULL;
	}
	if (name != NULL && name[0] == '\0') {
		free(name);
		return NULL;
	}
	if (name != NULL)
		mime_utf8_truncate(name, w->lim->max_header);
	return name;
}

/* Decoded size without decoding: base64 counted, QP walked. */
/*
 * The decoded size of a leaf's body, counting what mime_elide() removed
 * from it, so that sizes are those of the message as received.
 */
uint64_t
mime_decoded_size(const struct walk *w, const struct mailmime_data *d)
{
	const char *s;
	size_t n, i, k, off;
	uint64_t count = 0, cut_b64 = 0, cut_raw = 0;

	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return 0;
	s = d->dt_data.dt_text.dt_data;
	n = d->dt_data.dt_text.dt_length;
	if (s == NULL)
		return 0;
	off = w->n_cuts > 0 ? (size_t)(s - w->buf) : 0;
	for (k = 0; k < w->n_cuts; k++)
		if (w->cuts[k].at > off && w->cuts[k].at < off + n) {
			cut_b64 += w->cuts[k].b64;
			cut_raw += w->cuts[k].raw;
		}
	if (!d->dt_encoded)
		return n + cut_raw;
	switch (d->dt_encoding) {
	case MAILMIME_MECHANISM_BASE64:
		return (mime_count_b64(s, n) + cut_b64) * 3 / 4;
	case MAILMIME_MECHANISM_QUOTED_PRINTABLE:
		for (i = 0; i < n; i++) {
			if (s[i] != '=') {
				count++;
			} else if (i + 1 < n && s[i + 1] == '\n') {
				i++;
			} else if (i + 2 < n && s[i + 1] == '\r' &&
			    s[i + 2] == '\n') {
				i += 2;
			} else if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
			    hexval(s[i + 2]) >= 0) {
				count++;
				i += 2;
			} else
				count++;
		}
		/* Cut lines held no soft break: near enough. */
		return count + cut_raw;
	default:
		return n + cut_raw;
	}
}
