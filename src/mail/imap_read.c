/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_read - reading the inbox (imap_priv.h): the listing, batched
 * prefetches of BODY.PEEK[] (PEEK: agents still see the mail unread), and
 * a message over the scan budget rebuilt from its parts, each body whole
 * while the budget lasts and its head after (docs/imap.md, "Fetching").
 */
#include "imap_priv.h"
#include "balp/array.h"
#include "balp/mime.h"
#include "balp/secret.h"
#include "balp/tls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <libetpan/libetpan.h>
#include <sodium.h>

/* Fetched together: bounded in count and in bytes held at once. */
#define IMAP_PREFETCH_MSGS	64
#define IMAP_PREFETCH_BYTES	((uint64_t)8 << 20)
/* Pieces of a message rebuilt from its parts, at most. */
#define IMAP_SKELETON_PIECES	1024

/* ---- list ------------------------------------------------------------- */

static int
cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

void
imap_cache_clear(struct imap *im)
{
	size_t i;

	for (i = 0; i < im->n_cache; i++)
		free(im->cache[i].data);
	im->n_cache = 0;
}

static int
has_deleted_flag(struct mailimap_msg_att_item *item)
{
	struct mailimap_msg_att_dynamic *dyn = item->att_data.att_dyn;
	clistiter *c;

	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (c = clist_begin(dyn->att_list); c != NULL; c = clist_next(c)) {
		struct mailimap_flag_fetch *ff = clist_content(c);

		if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER &&
		    ff->fl_flag != NULL &&
		    ff->fl_flag->fl_type == MAILIMAP_FLAG_DELETED)
			return 1;
	}
	return 0;
}

/* UID, size and \Deleted of every message of the inbox.  0 or -1. */
static int
fetch_listing(struct imap *im, struct buf *err)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	clist *res = NULL;
	clistiter *c, *d;
	size_t cap = 0;
	int r, rc = -1;

	im->n_listed = 0;
	if (im->s->imap_selection_info != NULL &&
	    im->s->imap_selection_info->sel_has_exists &&
	    im->s->imap_selection_info->sel_exists == 0)
		return 0;
	if ((set = mailimap_set_new_interval(1, 0)) == NULL ||
	    (ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != 0 ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_rfc822_size()) != 0 ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags()) != 0) {
		buf_puts(err, "out of memory");
		goto out;
	}
	r = mailimap_uid_fetch(im->s, set, ft, &res);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(im, err, "UID FETCH", r);
		goto out;
	}
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);
		struct listed l = { 0, 0 };
		int deleted = 0;

		for (d = clist_begin(ma->att_list); d != NULL;
		    d = clist_next(d)) {
			struct mailimap_msg_att_item *item = clist_content(d);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
				deleted |= has_deleted_flag(item);
				continue;
			}
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			if (item->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_UID)
				l.uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_RFC822_SIZE)
				l.size = item->att_data.att_static->att_data.
				    att_rfc822_size;
		}
		/* \Deleted: on its way out (a COPY fallback left it). */
		if (l.uid == 0 || deleted)
			continue;
		if (ARRAY_RESERVE(im->listed, cap, im->n_listed + 1) == -1) {
			buf_puts(err, "out of memory");
			goto out;
		}
		im->listed[im->n_listed++] = l;
	}
	qsort(im->listed, im->n_listed, sizeof(*im->listed), cmp_listed);
	if (im->n_listed > 0 && im->listed[im->n_listed - 1].uid > im->max_uid)
		im->max_uid = im->listed[im->n_listed - 1].uid;
	rc = 0;
out:
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (set != NULL)
		mailimap_set_free(set);
	return rc;
}

int
imap_op_list(void *arg, struct source_msg **out, size_t *n, struct buf *err)
{
	struct imap *im = arg;
	struct source_msg *v = NULL;
	struct buf b = BUF_INIT;
	size_t i;

	*out = NULL;
	*n = 0;
	imap_cache_clear(im);
	if (imap_ready(im, err) == -1 || fetch_listing(im, err) == -1)
		return -1;
	if (im->n_listed > 0 &&
	    (v = calloc(im->n_listed, sizeof(*v))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	for (i = 0; i < im->n_listed; i++) {
		buf_reset(&b);
		buf_printf(&b, "%" PRIu32 ".%" PRIu32, im->uidvalidity,
		    im->listed[i].uid);
		v[i].ref = buf_strdup(buf_str(&b));
		buf_reset(&b);
		/* What an admin can look up: the folder and the UID, in one
		 * word, so that a log field shows it as is ("INBOX/uid:15") */
		buf_printf(&b, "%s/uid:%" PRIu32, im->inbox, im->listed[i].uid);
		v[i].label = buf_strdup(buf_str(&b));
		v[i].size = im->listed[i].size;
		if (v[i].ref == NULL || v[i].label == NULL) {
			buf_free(&b);
			source_msgs_free(v, i + 1);
			buf_puts(err, "out of memory");
			return -1;
		}
	}
	buf_free(&b);
	*out = v;
	*n = im->n_listed;
	return 0;
}

/* ---- fetch ------------------------------------------------------------ */

static struct cached *
cache_find(struct imap *im, uint32_t uid)
{
	size_t i;

	for (i = 0; i < im->n_cache; i++)
		if (im->cache[i].uid == uid)
			return &im->cache[i];
	return NULL;
}

static struct listed *
listed_find(struct imap *im, uint32_t uid)
{
	struct listed key = { uid, 0 };

	if (im->n_listed == 0)
		return NULL;
	return bsearch(&key, im->listed, im->n_listed, sizeof(key),
	    cmp_listed);
}

/*
 * Fetches uid and the messages listed after it, up to IMAP_PREFETCH_MSGS
 * and IMAP_PREFETCH_BYTES, in one UID FETCH of BODY.PEEK[]<0.max> (PEEK:
 * an agent must still see them unread).  0, or -1.
 */
static int
prefetch(struct imap *im, uint32_t uid, size_t max, struct buf *err)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_section *sec = NULL;
	struct mailimap_fetch_att *fa = NULL;
	struct listed *l;
	clist *res = NULL;
	clistiter *c, *d;
	uint64_t bytes = 0;
	size_t k = 0;
	int r, rc = -1;

	imap_cache_clear(im);
	if ((set = mailimap_set_new_empty()) == NULL)
		goto nomem;
	if (mailimap_set_add_single(set, uid) != 0)
		goto nomem;
	if ((l = listed_find(im, uid)) != NULL) {
		bytes = l->size < max ? l->size : max;
		for (l++, k = 1; l < im->listed + im->n_listed &&
		    k < IMAP_PREFETCH_MSGS; l++) {
			if (l->size > im->scan_budget)
				continue;	/* fetched by its parts */
			bytes += l->size < max ? l->size : max;
			if (bytes > IMAP_PREFETCH_BYTES)
				break;
			if (mailimap_set_add_single(set, l->uid) != 0)
				goto nomem;
			k++;
		}
	}
	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_uid()) != 0)
		goto nomem;
	if ((sec = mailimap_section_new(NULL)) == NULL)
		goto nomem;
	if ((fa = mailimap_fetch_att_new_body_peek_section_partial(sec, 0,
	    max > UINT32_MAX ? UINT32_MAX : (uint32_t)max)) == NULL)
		goto nomem;
	sec = NULL;
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0)
		goto nomem;
	fa = NULL;
	if ((r = mailimap_uid_fetch(im->s, set, ft, &res)) !=
	    MAILIMAP_NO_ERROR) {
		imap_fail(im, err, "UID FETCH", r);
		goto out;
	}
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);
		struct cached ce = { 0, NULL, 0 };
		const char *body = NULL;
		size_t len = 0;

		for (d = clist_begin(ma->att_list); d != NULL;
		    d = clist_next(d)) {
			struct mailimap_msg_att_item *item = clist_content(d);
			struct mailimap_msg_att_static *st;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID)
				ce.uid = st->att_data.att_uid;
			else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			    st->att_data.att_body_section != NULL) {
				body = st->att_data.att_body_section->
				    sec_body_part;
				len = st->att_data.att_body_section->sec_length;
			}
		}
		if (ce.uid == 0 || cache_find(im, ce.uid) != NULL)
			continue;
		/* Copied: the fetch list is freed below (libetpan owns it). */
		if ((ce.data = malloc(len > 0 ? len : 1)) == NULL)
			goto nomem;
		if (len > 0)
			memcpy(ce.data, body, len);
		ce.len = len;
		if (ARRAY_RESERVE(im->cache, im->cap_cache, im->n_cache + 1)
		    == -1) {
			free(ce.data);
			goto nomem;
		}
		im->cache[im->n_cache++] = ce;
	}
	rc = 0;
	goto out;
nomem:
	buf_puts(err, "out of memory");
out:
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (fa != NULL)
		mailimap_fetch_att_free(fa);
	if (sec != NULL)
		mailimap_section_free(sec);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (set != NULL)
		mailimap_set_free(set);
	return rc;
}

/* ---- a message larger than the scan budget, part by part ------------- */

/*
 * What the parser would read of a message over its budget is the bodies
 * that fit in the budget, whole, and the head of every body after them
 * (mime_content.c: mime_inspect_leaf).  So that is what is fetched: the
 * message is rebuilt from BODY[HEADER], each part's BODY[n.MIME] and its
 * body, whole or BODY[n]<0.head>, with the boundaries BODYSTRUCTURE
 * names, and the parser told where the heads start
 * (source_blob.heads_from).  Bytes fetched: at most the headers, 4/3 of
 * the budget and one head per part, whatever the attachments weigh.
 */
struct piece {
	char		*text;		/* literal bytes, or NULL */
	char		*section;	/* "HEADER", "1.2.MIME", "1.2" */
	uint32_t	 head;		/* 0: whole; else bytes from 0 */
	const char	*got;		/* into the fetch result */
	size_t		 got_len;
};

struct plan {
	struct piece	*v;
	size_t		 n, cap;
	size_t		 budget;	/* decoded bytes left */
	size_t		 text_head;	/* bytes fetched of a text part */
	int		 cut;		/* heads from here on */
	size_t		 first_head;	/* index of the first head piece */
	int		 failed;
};

static void
plan_free(struct plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		free(pl->v[i].text);
		free(pl->v[i].section);
	}
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

static struct piece *
plan_add(struct plan *pl)
{
	struct piece *p;

	if (pl->failed || pl->n >= IMAP_SKELETON_PIECES ||
	    ARRAY_RESERVE(pl->v, pl->cap, pl->n + 1) == -1) {
		pl->failed = 1;
		return NULL;
	}
	p = &pl->v[pl->n++];
	memset(p, 0, sizeof(*p));
	return p;
}

static void
plan_text(struct plan *pl, const char *a, const char *b, const char *c)
{
	struct piece *p;
	struct buf t = BUF_INIT;

	if ((p = plan_add(pl)) == NULL)
		return;
	buf_puts(&t, a);
	buf_puts(&t, b);
	buf_puts(&t, c);
	if ((p->text = buf_detach(&t)) == NULL)
		pl->failed = 1;
}

static void
plan_section(struct plan *pl, const char *path, const char *suffix,
    uint32_t head)
{
	struct piece *p;
	struct buf t = BUF_INIT;

	if ((p = plan_add(pl)) == NULL)
		return;
	buf_puts(&t, path);
	if (*path != '\0' && *suffix != '\0')
		buf_putc(&t, '.');
	buf_puts(&t, suffix);
	if ((p->section = buf_detach(&t)) == NULL)
		pl->failed = 1;
	p->head = head;
}

static const char *
param(struct mailimap_body_fld_param *pa, const char *name)
{
	clistiter *c;

	if (pa == NULL || pa->pa_list == NULL)
		return NULL;
	for (c = clist_begin(pa->pa_list); c != NULL; c = clist_next(c)) {
		struct mailimap_single_body_fld_param *p = clist_content(c);

		if (strcasecmp(p->pa_name, name) == 0)
			return p->pa_value;
	}
	return NULL;
}

/* A leaf: its body whole while the budget lasts, its head after. */
static void
plan_leaf(struct plan *pl, struct mailimap_body_type_1part *one,
    const char *path)
{
	struct mailimap_body_fields *f;
	uint64_t size, decoded;
	uint32_t head;
	int text = 0;

	switch (one->bd_type) {
	case MAILIMAP_BODY_TYPE_1PART_BASIC:
		f = one->bd_data.bd_type_basic->bd_fields;
		break;
	case MAILIMAP_BODY_TYPE_1PART_MSG:
		f = one->bd_data.bd_type_msg->bd_fields;
		break;
	default:
		f = one->bd_data.bd_type_text->bd_fields;
		text = 1;
		break;
	}
	size = f->bd_size;
	/* base64: 3 bytes per 4, lines of 76 and their CRLF. */
	decoded = f->bd_encoding != NULL && f->bd_encoding->enc_type ==
	    MAILIMAP_BODY_FLD_ENC_BASE64 ? size / 78 * 57 + size % 78 : size;
	if (!pl->cut && decoded <= pl->budget) {
		pl->budget -= (size_t)decoded;
		plan_section(pl, path, "", 0);
		return;
	}
	if (!pl->cut) {
		pl->cut = 1;
		pl->first_head = pl->n;
	}
	/* The text is read up to max_text; any other part is typed by its
	 * first MIME_SNIFF_HEAD bytes, base64 taking 4 for 3. */
	head = text ? (uint32_t)pl->text_head :
	    (uint32_t)(MIME_SNIFF_HEAD / 57 * 78 + 78);
	plan_section(pl, path, "", size <= head ? 0 : head);
}

static void
plan_body(struct plan *pl, struct mailimap_body *b, const char *path,
    size_t depth)
{
	struct mailimap_body_type_mpart *mp;
	const char *boundary;
	struct buf child = BUF_INIT;
	clistiter *c;
	unsigned i = 1;

	if (pl->failed)
		return;
	if (b->bd_type == MAILIMAP_BODY_1PART) {
		plan_leaf(pl, b->bd_data.bd_body_1part, *path ? path : "1");
		return;
	}
	mp = b->bd_data.bd_body_mpart;
	boundary = mp->bd_ext_mpart != NULL ?
	    param(mp->bd_ext_mpart->bd_parameter, "boundary") : NULL;
	if (boundary == NULL || depth > 64) {
		pl->failed = 1;	/* cannot be rebuilt: fetched cut */
		return;
	}
	for (c = clist_begin(mp->bd_list); c != NULL; c = clist_next(c), i++) {
		buf_reset(&child);
		buf_printf(&child, "%s%s%u", path, *path ? "." : "", i);
		plan_text(pl, "--", boundary, "\r\n");
		plan_section(pl, buf_str(&child), "MIME", 0);
		plan_body(pl, clist_content(c), buf_str(&child), depth + 1);
		plan_text(pl, "\r\n", "", "");
	}
	plan_text(pl, "--", boundary, "--\r\n");
	buf_free(&child);
}

/* libetpan's section for "HEADER", "1.2.MIME" or "1.2". */
static struct mailimap_section *
section_of(const char *spec)
{
	struct mailimap_section_part *part;
	clist *ids;
	uint32_t *id;
	const char *p = spec;
	char *end;
	unsigned long v;

	if (strcmp(spec, "HEADER") == 0)
		return mailimap_section_new_header();
	if ((ids = clist_new()) == NULL)
		return NULL;
	while (*p >= '0' && *p <= '9') {
		v = strtoul(p, &end, 10);
		if ((id = malloc(sizeof(*id))) == NULL ||
		    clist_append(ids, id) != 0) {
			free(id);
			goto fail;
		}
		*id = (uint32_t)v;
		p = *end == '.' ? end + 1 : end;
		if (*end != '.')
			break;
		if (strcmp(p, "MIME") == 0)
			break;
	}
	if ((part = mailimap_section_part_new(ids)) == NULL)
		goto fail;
	return strcmp(p, "MIME") == 0 ? mailimap_section_new_part_mime(part) :
	    mailimap_section_new_part(part);
fail:
	for (clistiter *c = clist_begin(ids); c != NULL; c = clist_next(c))
		free(clist_content(c));
	clist_free(ids);
	return NULL;
}

/* The spec of an answered section, as section_of() reads it. */
static void
section_spec(struct mailimap_section *s, struct buf *out)
{
	struct mailimap_section_spec *sp;
	struct mailimap_section_part *part = NULL;
	clistiter *c;

	buf_reset(out);
	if (s == NULL || (sp = s->sec_spec) == NULL)
		return;
	if (sp->sec_type == MAILIMAP_SECTION_SPEC_SECTION_MSGTEXT) {
		if (sp->sec_data.sec_msgtext != NULL &&
		    sp->sec_data.sec_msgtext->sec_type ==
		    MAILIMAP_SECTION_MSGTEXT_HEADER)
			buf_puts(out, "HEADER");
		return;
	}
	part = sp->sec_data.sec_part;
	for (c = part != NULL ? clist_begin(part->sec_id) : NULL; c != NULL;
	    c = clist_next(c))
		buf_printf(out, "%s%u", out->len ? "." : "",
		    *(uint32_t *)clist_content(c));
	if (sp->sec_text != NULL &&
	    sp->sec_text->sec_type == MAILIMAP_SECTION_TEXT_MIME)
		buf_puts(out, ".MIME");
}

/* One UID FETCH of att for uid; *res is the caller's (fetch_list_free). */
int
imap_fetch_one(struct imap *im, uint32_t uid, struct mailimap_fetch_type *ft,
    clist **res, struct buf *err)
{
	struct mailimap_set *set;
	int r;

	*res = NULL;
	if ((set = mailimap_set_new_single(uid)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_fetch(im->s, set, ft, res);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "UID FETCH", r);
	return 0;
}

static struct mailimap_body *
structure_of(clist *res)
{
	clistiter *c, *d;

	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);

		for (d = clist_begin(ma->att_list); d != NULL;
		    d = clist_next(d)) {
			struct mailimap_msg_att_item *item = clist_content(d);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type ==
			    MAILIMAP_MSG_ATT_BODYSTRUCTURE)
				return item->att_data.att_static->att_data.
				    att_body;
		}
	}
	return NULL;
}

/* Points each section piece at its bytes in res.  0, or -1: one missing. */
static int
match_pieces(struct plan *pl, clist *res)
{
	struct buf spec = BUF_INIT;
	clistiter *c, *d;
	size_t i;

	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);

		for (d = clist_begin(ma->att_list); d != NULL;
		    d = clist_next(d)) {
			struct mailimap_msg_att_item *item = clist_content(d);
			struct mailimap_msg_att_body_section *bs;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    item->att_data.att_static->att_type !=
			    MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			bs = item->att_data.att_static->att_data.
			    att_body_section;
			section_spec(bs->sec_section, &spec);
			for (i = 0; i < pl->n; i++)
				if (pl->v[i].section != NULL &&
				    pl->v[i].got == NULL &&
				    strcmp(pl->v[i].section, buf_str(&spec)) ==
				    0) {
					pl->v[i].got = bs->sec_body_part != NULL
					    ? bs->sec_body_part : "";
					pl->v[i].got_len = bs->sec_length;
					break;
				}
		}
	}
	buf_free(&spec);
	for (i = 0; i < pl->n; i++)
		if (pl->v[i].section != NULL && pl->v[i].got == NULL)
			return -1;
	return 0;
}

/*
 * The message over the budget, rebuilt (see above) into blob.  When its
 * structure cannot be rebuilt (no boundary named, too many parts), its
 * first max bytes, which the pipeline calls too large to read.  Returns
 * as fetch() does.
 */
static int
fetch_parts(struct imap *im, uint32_t uid, uint64_t size, size_t max,
    struct source_blob *blob, struct buf *err)
{
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_fetch_att *fa;
	struct mailimap_section *sec;
	struct mailimap_body *body;
	struct plan pl;
	struct buf out = BUF_INIT;
	clist *res = NULL, *res2 = NULL;
	size_t i, heads_from = 0;
	int rc = -2;

	memset(&pl, 0, sizeof(pl));
	pl.budget = im->scan_budget;
	pl.text_head = im->text_max * 4 + 4096;
	if (imap_ready(im, err) == -1)
		return -2;
	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_bodystructure()) != 0)
		goto nomem;
	if (imap_fetch_one(im, uid, ft, &res, err) == -1)
		goto out;
	mailimap_fetch_type_free(ft);
	ft = NULL;
	if ((body = structure_of(res)) == NULL) {
		rc = 1;		/* expunged meanwhile */
		goto out;
	}
	plan_section(&pl, "HEADER", "", 0);
	if (body->bd_type == MAILIMAP_BODY_MPART)
		plan_body(&pl, body, "", 0);
	else
		plan_leaf(&pl, body->bd_data.bd_body_1part, "1");
	if (pl.failed) {
		/* Not rebuildable: what a capped read gives, too large. */
		plan_free(&pl);
		rc = prefetch(im, uid, im->scan_budget < max ? im->scan_budget :
		    max, err) == -1 ? -2 : 0;
		goto out;
	}
	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL)
		goto nomem;
	for (i = 0; i < pl.n; i++) {
		if (pl.v[i].section == NULL)
			continue;
		if ((sec = section_of(pl.v[i].section)) == NULL)
			goto nomem;
		fa = pl.v[i].head > 0 ?
		    mailimap_fetch_att_new_body_peek_section_partial(sec, 0,
		    pl.v[i].head) : mailimap_fetch_att_new_body_peek_section(sec);
		if (fa == NULL) {
			mailimap_section_free(sec);
			goto nomem;
		}
		if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) != 0) {
			mailimap_fetch_att_free(fa);
			goto nomem;
		}
	}
	if (imap_fetch_one(im, uid, ft, &res2, err) == -1)
		goto out;
	if (match_pieces(&pl, res2) == -1) {
		rc = 1;		/* expunged between the two fetches */
		goto out;
	}
	for (i = 0; i < pl.n; i++) {
		if (pl.cut && i == pl.first_head)
			heads_from = out.len;
		if (pl.v[i].text != NULL)
			buf_puts(&out, pl.v[i].text);
		else
			buf_add(&out, pl.v[i].got, pl.v[i].got_len);
	}
	if (out.failed)
		goto nomem;
	blob->fd = -1;
	blob->size = size;
	blob->len = out.len;
	blob->partial = 1;
	/* Nothing cut (the estimate was high): the heads start at the end. */
	blob->heads_from = pl.cut ? heads_from : out.len;
	source_header_digest(buf_str(&out), out.len, size,
	    blob->header_digest);
	blob->has_digest = 1;
	blob->data = buf_detach(&out);
	blob->held = blob->len;
	rc = blob->data != NULL ? 0 : -2;
	goto out;
nomem:
	buf_puts(err, "out of memory");
	rc = -2;
out:
	if (rc == 0 && blob->data == NULL) {
		/* The capped read: from the cache, as a whole-message fetch. */
		struct cached *ce = cache_find(im, uid);

		if (ce == NULL)
			rc = 1;
		else {
			blob->fd = -1;
			blob->data = ce->data;
			blob->len = ce->len;
			blob->held = ce->len;
			blob->size = size;
			*ce = im->cache[--im->n_cache];
		}
	}
	buf_free(&out);
	plan_free(&pl);
	if (res2 != NULL)
		mailimap_fetch_list_free(res2);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	return rc;
}

/*
 * A big message goes to its parser worker as a sealed memory file, which
 * the worker maps, rather than through the socket: streamed, its bytes
 * would wait for this process to pump them between two fetches, and be
 * copied twice more (docs/imap.md, "Fetching").  Without a memory file
 * (no descriptor left) it goes through the socket as before.
 */
#define IMAP_MEMFD_MIN	((size_t)256 << 10)

static void
to_memfd(struct source_blob *blob)
{
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((fd = memfd_create("balp-message", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return;
	while (off < blob->len) {
		w = write(fd, blob->data + off, blob->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			(void)close(fd);
			return;
		}
		off += (size_t)w;
	}
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL);
	free(blob->data);
	blob->data = NULL;
	blob->fd = fd;
}

int
imap_op_fetch(void *arg, const struct source_msg *m, size_t max,
    struct source_blob *blob, struct buf *err)
{
	struct imap *im = arg;
	struct cached *ce;
	uint32_t uid;

	if (imap_parse_ref(im, m->ref, &uid) == -1)
		return 1;	/* named under another UIDVALIDITY: re-listed */
	if (m->size > im->scan_budget)
		return fetch_parts(im, uid, m->size, max, blob, err);
	if ((ce = cache_find(im, uid)) == NULL) {
		if (imap_ready(im, err) == -1 || prefetch(im, uid, max, err) == -1)
			return -2;
		if ((ce = cache_find(im, uid)) == NULL)
			return 1;	/* expunged by another client */
	}
	blob->fd = -1;
	blob->data = ce->data;
	blob->len = ce->len;
	blob->held = ce->len;
	blob->size = m->size > ce->len ? m->size : ce->len;
	source_header_digest(blob->data, blob->len, blob->size,
	    blob->header_digest);
	blob->has_digest = 1;
	*ce = im->cache[--im->n_cache];	/* handed over: out of the cache */
	if (blob->len >= IMAP_MEMFD_MIN)
		to_memfd(blob);
	return 0;
}
