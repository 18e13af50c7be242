/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_file - filing (imap_priv.h): queue folders made and subscribed,
 * deferred moves sent as one UID STORE of keywords and one UID MOVE per
 * folder (or COPY, \\Deleted and EXPUNGE of exactly those UIDs), an
 * admin's move and look-up by Message-ID, the folders' counts, and a
 * message from elsewhere (LMTP) appended with its keywords and arrival
 * time, and found again by its header digest.
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

/* Moves held for one round of UID STORE + UID MOVE, at most. */
#define IMAP_MOVE_ROUND		1000

/* ---- folders ---------------------------------------------------------- */

static int
folder_exists(struct imap *im, const char *name, int *exists,
    struct buf *err)
{
	clist *list = NULL;
	int r;

	if ((r = mailimap_list(im->s, "", name, &list)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "LIST", r);
	*exists = list != NULL && clist_begin(list) != NULL;
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

/* Creates and subscribes name (server form) if missing.  0 or -1. */
int
imap_create_folder(struct imap *im, const char *name, struct buf *err)
{
	int exists = 0, r;

	if (folder_exists(im, name, &exists, err) == -1)
		return -1;
	if (!exists && (r = mailimap_create(im->s, name)) !=
	    MAILIMAP_NO_ERROR) {
		struct buf why = BUF_INIT;

		if (imap_fatal(r))
			return imap_fail(im, err, "CREATE", r);
		/* Another client may have created it meanwhile. */
		imap_fail(im, &why, "CREATE", r);
		if (folder_exists(im, name, &exists, err) == -1) {
			buf_free(&why);
			return -1;
		}
		if (!exists)
			buf_puts(err, buf_str(&why));
		buf_free(&why);
		if (!exists)
			return -1;
	}
	/* Subscribed, so that agents' mail clients show it at once. */
	if ((r = mailimap_subscribe(im->s, name)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "SUBSCRIBE", r);
	return 0;
}

int
imap_op_ensure_folder(void *arg, const char *folder, struct buf *err)
{
	struct imap *im = arg;
	char *name;
	int rc;

	if (imap_ready(im, err) == -1)
		return -1;
	if ((name = imap_server_name(im, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	rc = imap_create_folder(im, name, err);
	free(name);
	return rc;
}

/* ---- moves ------------------------------------------------------------ */

int
imap_op_move(void *arg, const struct source_msg *m, const char *folder,
    const char *keywords, struct buf *err)
{
	struct imap *im = arg;
	struct pending_move pm;
	uint32_t uid;

	if (imap_parse_ref(im, m->ref, &uid) == -1)
		return 1;
	pm.uid = uid;
	pm.folder = buf_strdup(folder);
	pm.keywords = buf_strdup(keywords != NULL ? keywords : "");
	if (pm.folder == NULL || pm.keywords == NULL ||
	    ARRAY_RESERVE(im->moves, im->cap_moves, im->n_moves + 1) == -1) {
		free(pm.folder);
		free(pm.keywords);
		buf_puts(err, "out of memory");
		return -1;
	}
	im->moves[im->n_moves++] = pm;
	return 0;
}

void
imap_moves_clear(struct imap *im)
{
	size_t i;

	for (i = 0; i < im->n_moves; i++) {
		free(im->moves[i].folder);
		free(im->moves[i].keywords);
	}
	im->n_moves = 0;
}

static int
cmp_moves(const void *a, const void *b)
{
	const struct pending_move *x = a, *y = b;
	int c;

	if ((c = strcmp(x->folder, y->folder)) != 0)
		return c;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static int
store_flags(struct imap *im, struct mailimap_set *set,
    struct mailimap_flag_list *fl, struct buf *err)
{
	struct mailimap_store_att_flags *sa;
	int r;

	if ((sa = mailimap_store_att_flags_new_add_flags_silent(fl)) == NULL) {
		mailimap_flag_list_free(fl);
		buf_puts(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_store(im->s, set, sa);
	mailimap_store_att_flags_free(sa);	/* frees fl */
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "UID STORE", r);
	return 0;
}

/* The keywords "a b c" as a flag list: *out, or NULL when none.  0 or -1. */
static int
keyword_list(const char *kw, struct mailimap_flag_list **out,
    struct buf *err)
{
	struct mailimap_flag_list *fl;
	struct mailimap_flag *f;
	const char *p = kw, *e;
	char *word;

	*out = NULL;
	if (*kw == '\0')
		return 0;
	if ((fl = mailimap_flag_list_new_empty()) == NULL)
		goto nomem;
	while (*p != '\0') {
		if ((e = strchr(p, ' ')) == NULL)
			e = p + strlen(p);
		if (e > p) {
			if ((word = strndup(p, (size_t)(e - p))) == NULL)
				goto nomem_fl;
			if ((f = mailimap_flag_new_flag_keyword(word)) == NULL) {
				free(word);
				goto nomem_fl;
			}
			if (mailimap_flag_list_add(fl, f) != 0) {
				mailimap_flag_free(f);
				goto nomem_fl;
			}
		}
		p = *e == ' ' ? e + 1 : e;
	}
	*out = fl;
	return 0;
nomem_fl:
	mailimap_flag_list_free(fl);
nomem:
	buf_puts(err, "out of memory");
	return -1;
}

/* +FLAGS.SILENT (keywords...) on set. */
static int
store_keywords(struct imap *im, struct mailimap_set *set, const char *kw,
    struct buf *err)
{
	struct mailimap_flag_list *fl;

	if (*kw == '\0' || !im->keywords_ok)
		return 0;
	if (keyword_list(kw, &fl, err) == -1)
		return -1;
	return fl != NULL ? store_flags(im, set, fl, err) : 0;
}

static int
store_deleted(struct imap *im, struct mailimap_set *set, struct buf *err)
{
	struct mailimap_flag_list *fl;
	struct mailimap_flag *f;

	if ((fl = mailimap_flag_list_new_empty()) == NULL ||
	    (f = mailimap_flag_new_deleted()) == NULL) {
		if (fl != NULL)
			mailimap_flag_list_free(fl);
		buf_puts(err, "out of memory");
		return -1;
	}
	if (mailimap_flag_list_add(fl, f) != 0) {
		mailimap_flag_free(f);
		mailimap_flag_list_free(fl);
		buf_puts(err, "out of memory");
		return -1;
	}
	return store_flags(im, set, fl, err);
}

/* 1 if a message of the inbox already carries \Deleted, 0, or -1. */
static int
others_deleted(struct imap *im, struct buf *err)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	int r, found;

	if ((key = mailimap_search_key_new(MAILIMAP_SEARCH_KEY_DELETED,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,
	    0, NULL, NULL, NULL)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_search(im->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "UID SEARCH", r);
	found = res != NULL && clist_begin(res) != NULL;
	if (res != NULL)
		mailimap_search_result_free(res);
	return found;
}

/*
 * Moves set into name: UID MOVE (RFC 6851); else UID COPY, \Deleted and
 * UID EXPUNGE of exactly these UIDs (UIDPLUS); else COPY and \Deleted,
 * and EXPUNGE only when no other message is flagged \Deleted (an EXPUNGE
 * would remove an agent's deletions too).  A copy left \Deleted is not
 * listed again, so it is never filed twice.
 */
static int
move_set(struct imap *im, struct mailimap_set *set, const char *name,
    struct buf *err)
{
	int r, others;

	if (im->has_move) {
		r = mailimap_uid_move(im->s, set, name);
		if (r == MAILIMAP_ERROR_UID_MOVE &&
		    im->s->imap_response_info != NULL &&
		    im->s->imap_response_info->rsp_trycreate) {
			if (imap_create_folder(im, name, err) == -1)
				return -1;
			r = mailimap_uid_move(im->s, set, name);
		}
		return r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, err, "UID MOVE", r);
	}
	r = mailimap_uid_copy(im->s, set, name);
	if (r == MAILIMAP_ERROR_UID_COPY && im->s->imap_response_info != NULL &&
	    im->s->imap_response_info->rsp_trycreate) {
		if (imap_create_folder(im, name, err) == -1)
			return -1;
		r = mailimap_uid_copy(im->s, set, name);
	}
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "UID COPY", r);
	if (im->has_uidplus) {
		if (store_deleted(im, set, err) == -1)
			return -1;
		if ((r = mailimap_uid_expunge(im->s, set)) != MAILIMAP_NO_ERROR)
			return imap_fail(im, err, "UID EXPUNGE", r);
		return 0;
	}
	if ((others = others_deleted(im, err)) == -1 ||
	    store_deleted(im, set, err) == -1)
		return -1;
	if (!others && (r = mailimap_expunge(im->s)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "EXPUNGE", r);
	return 0;
}

/*
 * The moves [from, to) all go to one folder: one UID STORE per distinct
 * keyword set (agents see the tags), then one UID MOVE of them all, in
 * UID order so that the folder keeps the order of arrival.
 */
static int
sync_folder(struct imap *im, size_t from, size_t to, struct buf *err)
{
	struct mailimap_set *all = NULL, *set = NULL;
	const char *kw;
	char *name = NULL;
	size_t i, j;
	int rc = -1;

	if ((all = mailimap_set_new_empty()) == NULL)
		goto nomem;
	for (i = from; i < to; i++)
		if (mailimap_set_add_single(all, im->moves[i].uid) != 0)
			goto nomem;
	for (i = from; i < to; i++) {
		kw = im->moves[i].keywords;
		if (*kw == '\0')
			continue;
		for (j = from; j < i && strcmp(im->moves[j].keywords, kw) != 0;
		    j++)
			;
		if (j < i)
			continue;	/* that set was stored already */
		if ((set = mailimap_set_new_empty()) == NULL)
			goto nomem;
		for (j = i; j < to; j++)
			if (strcmp(im->moves[j].keywords, kw) == 0 &&
			    mailimap_set_add_single(set, im->moves[j].uid) != 0)
				goto nomem;
		if (store_keywords(im, set, kw, err) == -1)
			goto out;
		mailimap_set_free(set);
		set = NULL;
	}
	if ((name = imap_server_name(im, im->moves[from].folder)) == NULL)
		goto nomem;
	rc = move_set(im, all, name, err);
	goto out;
nomem:
	buf_puts(err, "out of memory");
out:
	free(name);
	if (set != NULL)
		mailimap_set_free(set);
	if (all != NULL)
		mailimap_set_free(all);
	return rc;
}

int
imap_op_sync(void *arg, int last, struct buf *err)
{
	struct imap *im = arg;
	size_t i, j;
	int rc = 0;

	/* Each command costs the server per message of the inbox: few and
	 * large rounds (the decisions are committed already). */
	if (im->n_moves == 0 || (!last && im->n_moves < IMAP_MOVE_ROUND))
		return 0;
	if (imap_ready(im, err) == -1)
		rc = -1;
	qsort(im->moves, im->n_moves, sizeof(*im->moves), cmp_moves);
	for (i = 0; rc == 0 && i < im->n_moves; i = j) {
		for (j = i; j < im->n_moves &&
		    strcmp(im->moves[j].folder, im->moves[i].folder) == 0; j++)
			;
		rc = sync_folder(im, i, j, err);
	}
	/* Unsent moves are redone from the stored decisions next pass. */
	imap_moves_clear(im);
	return rc;
}

/*
 * The UID of the message whose Message-ID is message_id in the selected
 * folder: 0 and *uid; 1 if none; -1 on error or when several carry it
 * (an agent's copy: which one the record means cannot be told).
 */
static int
find_by_message_id(struct imap *im, const char *message_id, uint32_t *uid,
    struct buf *err)
{
	struct mailimap_search_key *key;
	struct buf v = BUF_INIT;
	clist *res = NULL;
	clistiter *c;
	char *name, *value;
	int r, n = 0;

	buf_printf(&v, "<%s>", message_id);
	name = buf_strdup("Message-ID");
	value = buf_detach(&v);
	if (name == NULL || value == NULL ||
	    (key = mailimap_search_key_new_header(name, value)) == NULL) {
		free(name);
		free(value);
		buf_puts(err, "out of memory");
		return -1;
	}
	r = mailimap_uid_search(im->s, NULL, key, &res);
	mailimap_search_key_free(key);	/* frees name and value */
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "UID SEARCH", r);
	for (c = res != NULL ? clist_begin(res) : NULL; c != NULL;
	    c = clist_next(c), n++)
		*uid = *(uint32_t *)clist_content(c);
	if (res != NULL)
		mailimap_search_result_free(res);
	if (n > 1) {
		buf_printf(err, "%d messages of that Message-ID are there: move"
		    " the right one with a mail client", n);
		return -1;
	}
	return n == 1 ? 0 : 1;
}

/*
 * Takes the $BALP_ keywords off uid (a message going back to the inbox
 * is decided afresh: its old tags would lie).  0 or -1.
 */
static int
untag(struct imap *im, uint32_t uid, struct buf *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_flag_list *fl = NULL;
	struct mailimap_store_att_flags *sa;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *c, *d, *e;
	int r, n = 0, rc = -1;

	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_flags()) != 0 ||
	    (fl = mailimap_flag_list_new_empty()) == NULL) {
		if (ft != NULL)
			mailimap_fetch_type_free(ft);
		buf_puts(err, "out of memory");
		return -1;
	}
	if (imap_fetch_one(im, uid, ft, &res, err) == -1)
		goto out;
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);

		for (d = clist_begin(ma->att_list); d != NULL;
		    d = clist_next(d)) {
			struct mailimap_msg_att_item *item = clist_content(d);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC ||
			    item->att_data.att_dyn->att_list == NULL)
				continue;
			for (e = clist_begin(item->att_data.att_dyn->att_list);
			    e != NULL; e = clist_next(e)) {
				struct mailimap_flag_fetch *ff = clist_content(e);
				struct mailimap_flag *f;
				char *kw;

				if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
				    ff->fl_flag == NULL || ff->fl_flag->fl_type !=
				    MAILIMAP_FLAG_KEYWORD || strncmp(ff->fl_flag->
				    fl_data.fl_keyword, "$BALP_", 6) != 0)
					continue;
				if ((kw = buf_strdup(ff->fl_flag->fl_data.
				    fl_keyword)) == NULL ||
				    (f = mailimap_flag_new_flag_keyword(kw)) ==
				    NULL) {
					free(kw);
					goto nomem;
				}
				if (mailimap_flag_list_add(fl, f) != 0) {
					mailimap_flag_free(f);
					goto nomem;
				}
				n++;
			}
		}
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if ((sa = mailimap_store_att_flags_new_remove_flags_silent(fl)) ==
	    NULL)
		goto nomem;
	fl = NULL;	/* sa's now */
	if ((set = mailimap_set_new_single(uid)) == NULL) {
		mailimap_store_att_flags_free(sa);
		goto nomem;
	}
	r = mailimap_uid_store(im->s, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	rc = r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, err, "UID STORE", r);
	goto out;
nomem:
	buf_puts(err, "out of memory");
out:
	if (fl != NULL)
		mailimap_flag_list_free(fl);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	mailimap_fetch_type_free(ft);
	return rc;
}

/*
 * An admin's move: found in from by its Message-ID (it has another UID
 * there than in the inbox), moved to to.  The store knows a retriaged
 * message again by its header key, not by a name (new_ref).
 */
int
imap_op_relocate(void *arg, const char *from, const char *ref,
    const char *message_id, const char *to, const char *new_ref,
    struct buf *err)
{
	struct imap *im = arg;
	struct mailimap_set *set;
	char *fname, *tname;
	uint32_t uid = 0;
	int r, rc = -1;

	(void)ref;
	(void)new_ref;
	if (message_id == NULL) {
		buf_puts(err, "the message has no Message-ID: move it with a"
		    " mail client");
		return -1;
	}
	if (imap_ready(im, err) == -1)
		return -1;
	fname = imap_server_name(im, from != NULL ? from : im->inbox);
	tname = imap_server_name(im, to != NULL ? to : im->inbox);
	if (fname == NULL || tname == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if (to != NULL && imap_create_folder(im, tname, err) == -1)
		goto out;
	if ((r = mailimap_select(im->s, fname)) != MAILIMAP_NO_ERROR) {
		/* The folder is gone: so is the message. */
		rc = imap_fatal(r) ? imap_fail(im, err, "SELECT", r) : 1;
		goto reselect;
	}
	if ((r = find_by_message_id(im, message_id, &uid, err)) != 0) {
		rc = r;
		goto reselect;
	}
	if (to == NULL && untag(im, uid, err) == -1)
		goto reselect;
	if ((set = mailimap_set_new_single(uid)) == NULL) {
		buf_puts(err, "out of memory");
		goto reselect;
	}
	rc = move_set(im, set, tname, err);
	mailimap_set_free(set);
reselect:
	/* Back to the inbox, which the other operations expect. */
	if (im->s != NULL && imap_select_inbox(im, err) == -1)
		rc = -1;
out:
	free(fname);
	free(tname);
	return rc;
}

/*
 * Where the message is now: looked up in folder by its Message-ID, as
 * im_relocate finds it (its UID there is not the one it had in the inbox).
 */
int
imap_op_locate(void *arg, const char *folder, const char *ref,
    const char *message_id, struct buf *err)
{
	struct imap *im = arg;
	char *fname;
	uint32_t uid = 0;
	int r, rc = -1;

	(void)ref;
	if (message_id == NULL) {
		buf_puts(err, "the message has no Message-ID: the server cannot"
		    " be asked for it");
		return -1;
	}
	if (imap_ready(im, err) == -1)
		return -1;
	if ((fname = imap_server_name(im, folder != NULL ? folder : im->inbox)) ==
	    NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if ((r = mailimap_examine(im->s, fname)) != MAILIMAP_NO_ERROR) {
		/* The folder is gone: so is the message. */
		rc = imap_fatal(r) ? imap_fail(im, err, "EXAMINE", r) : 1;
		goto reselect;
	}
	rc = find_by_message_id(im, message_id, &uid, err);
reselect:
	/* Back to the inbox, which the other operations expect. */
	if (im->s != NULL && imap_select_inbox(im, err) == -1)
		rc = -1;
	free(fname);
	return rc;
}

/*
 * The search for holds(): HEADER Message-ID <id>, or, for a message
 * without one, the messages of exactly its size (LARGER size-1 SMALLER
 * size+1: the server counts lines ending in CRLF, as LMTP hands them).
 */
static struct mailimap_search_key *
holds_key(const char *message_id, uint64_t size)
{
	struct mailimap_search_key *all, *k;
	struct buf v = BUF_INIT;
	char *name, *value;

	if (message_id != NULL) {
		buf_printf(&v, "<%s>", message_id);
		name = buf_strdup("Message-ID");
		value = buf_detach(&v);
		if (name == NULL || value == NULL ||
		    (k = mailimap_search_key_new_header(name, value)) == NULL) {
			free(name);
			free(value);
			return NULL;
		}
		return k;
	}
	if (size == 0 || size >= UINT32_MAX ||
	    (all = mailimap_search_key_new_multiple_empty()) == NULL)
		return NULL;
	if ((k = mailimap_search_key_new_larger((uint32_t)size - 1)) == NULL ||
	    mailimap_search_key_multiple_add(all, k) != MAILIMAP_NO_ERROR) {
		if (k != NULL)
			mailimap_search_key_free(k);
		mailimap_search_key_free(all);
		return NULL;
	}
	if ((k = mailimap_search_key_new_smaller((uint32_t)size + 1)) == NULL ||
	    mailimap_search_key_multiple_add(all, k) != MAILIMAP_NO_ERROR) {
		if (k != NULL)
			mailimap_search_key_free(k);
		mailimap_search_key_free(all);
		return NULL;
	}
	return all;
}

/*
 * Whether one of the fetched headers (BODY.PEEK[HEADER] of the
 * candidates) is the message's: its digest, as source_header_digest()
 * makes it with size, is digest.
 */
static int
holds_one_of(clist *res, uint64_t size,
    const unsigned char digest[SOURCE_DIGEST_LEN])
{
	unsigned char d[SOURCE_DIGEST_LEN];
	clistiter *c, *e;

	for (c = res != NULL ? clist_begin(res) : NULL; c != NULL;
	    c = clist_next(c)) {
		struct mailimap_msg_att *ma = clist_content(c);

		for (e = clist_begin(ma->att_list); e != NULL;
		    e = clist_next(e)) {
			struct mailimap_msg_att_item *item = clist_content(e);
			struct mailimap_msg_att_body_section *bs;

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    item->att_data.att_static->att_type !=
			    MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			bs = item->att_data.att_static->att_data.att_body_section;
			if (bs->sec_body_part == NULL)
				continue;
			source_header_digest(bs->sec_body_part,
			    bs->sec_length, size, d);
			if (sodium_memcmp(d, digest, sizeof(d)) == 0)
				return 1;
		}
	}
	return 0;
}

/*
 * In the selected folder, the candidates of holds_key() and, among
 * them, the message of that digest: 0 found, 1 not, -1 on error.
 */
static int
holds_search(struct imap *im, const char *message_id, uint64_t size,
    const unsigned char digest[SOURCE_DIGEST_LEN], struct buf *err)
{
	struct mailimap_search_key *key = NULL;
	struct mailimap_fetch_type *ft = NULL;
	struct mailimap_section *sec = NULL;
	struct mailimap_fetch_att *fa = NULL;
	struct mailimap_set *set = NULL;
	clist *uids = NULL, *res = NULL;
	clistiter *c;
	int r, rc = -1;

	if ((key = holds_key(message_id, size)) == NULL)
		goto nomem;
	r = mailimap_uid_search(im->s, NULL, key, &uids);
	if (r != MAILIMAP_NO_ERROR) {
		rc = imap_fail(im, err, "UID SEARCH", r);
		goto out;
	}
	if (uids == NULL || clist_begin(uids) == NULL) {
		rc = 1;
		goto out;
	}
	if ((set = mailimap_set_new_empty()) == NULL)
		goto nomem;
	for (c = clist_begin(uids); c != NULL; c = clist_next(c))
		if (mailimap_set_add_single(set,
		    *(uint32_t *)clist_content(c)) != MAILIMAP_NO_ERROR)
			goto nomem;
	if ((sec = mailimap_section_new_header()) == NULL ||
	    (fa = mailimap_fetch_att_new_body_peek_section(sec)) == NULL)
		goto nomem;
	sec = NULL;	/* fa's now */
	if ((ft = mailimap_fetch_type_new_fetch_att(fa)) == NULL)
		goto nomem;
	fa = NULL;	/* ft's now */
	r = mailimap_uid_fetch(im->s, set, ft, &res);
	if (r != MAILIMAP_NO_ERROR) {
		rc = imap_fail(im, err, "UID FETCH", r);
		goto out;
	}
	rc = holds_one_of(res, size, digest) ? 0 : 1;
	goto out;
nomem:
	buf_puts(err, "out of memory");
	rc = -1;
out:
	if (res != NULL)
		mailimap_fetch_list_free(res);
	if (ft != NULL)
		mailimap_fetch_type_free(ft);
	if (fa != NULL)
		mailimap_fetch_att_free(fa);
	if (sec != NULL)
		mailimap_section_free(sec);
	if (set != NULL)
		mailimap_set_free(set);
	if (uids != NULL)
		mailimap_search_result_free(uids);
	if (key != NULL)
		mailimap_search_key_free(key);
	return rc;
}

/*
 * This very message in folder?  The candidates (same Message-ID, or
 * same size without one) are few: their header sections are fetched in
 * one UID FETCH and digested as the message's was.  Two different
 * messages may share a Message-ID (a sender that reuses them, a
 * forward): only the digest tells which one was filed.  Not found by
 * its Message-ID (a server that matches the header's text otherwise than
 * the parser read it), it is looked for by its size too: a copy is
 * only filed when neither finds it.
 */
int
imap_op_holds(void *arg, const char *folder, const char *ref,
    const char *message_id, uint64_t size,
    const unsigned char digest[SOURCE_DIGEST_LEN], struct buf *err)
{
	struct imap *im = arg;
	char *fname;
	int r, rc = -1;

	(void)ref;	/* the server names it */
	if (imap_ready(im, err) == -1)
		return -1;
	if ((fname = imap_server_name(im, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if ((r = mailimap_examine(im->s, fname)) != MAILIMAP_NO_ERROR) {
		/* The folder is gone: so is the message. */
		rc = imap_fatal(r) ? imap_fail(im, err, "EXAMINE", r) : 1;
		goto reselect;
	}
	rc = holds_search(im, message_id, size, digest, err);
	if (rc == 1 && message_id != NULL)
		rc = holds_search(im, NULL, size, digest, err);
reselect:
	/* Back to the inbox, which the other operations expect. */
	if (im->s != NULL && imap_select_inbox(im, err) == -1)
		rc = -1;
	free(fname);
	return rc;
}

/* STATUS (MESSAGES): no SELECT, so the inbox's session is not disturbed. */
int
imap_op_count(void *arg, const char *folder, size_t *n, struct buf *err)
{
	struct imap *im = arg;
	struct mailimap_status_att_list *att;
	struct mailimap_mailbox_data_status *st = NULL;
	struct mailimap_status_info *si;
	clistiter *it;
	char *name;
	int r;

	*n = 0;
	if (imap_ready(im, err) == -1)
		return -1;
	if ((name = folder != NULL ? imap_server_name(im, folder) :
	    buf_strdup(im->inbox)) == NULL ||
	    (att = mailimap_status_att_list_new_empty()) == NULL) {
		free(name);
		buf_puts(err, "out of memory");
		return -1;
	}
	if (mailimap_status_att_list_add(att, MAILIMAP_STATUS_ATT_MESSAGES) !=
	    MAILIMAP_NO_ERROR)
		r = MAILIMAP_ERROR_MEMORY;
	else
		r = mailimap_status(im->s, name, att, &st);
	mailimap_status_att_list_free(att);
	free(name);
	/* A folder nobody made yet: NO [NONEXISTENT]. */
	if (r == MAILIMAP_ERROR_STATUS)
		return 0;
	if (r != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "STATUS", r);
	for (it = st->st_info_list != NULL ? clist_begin(st->st_info_list) :
	    NULL; it != NULL; it = clist_next(it)) {
		si = clist_content(it);
		if (si->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
			*n = si->st_value;
	}
	mailimap_mailbox_data_status_free(st);
	return 0;
}

/*
 * A message from LMTP: one APPEND of the spooled bytes (mapped, not
 * copied) with its keywords and its arrival as INTERNALDATE, over the
 * session's verified connection.  The server's tagged OK is the message
 * stored (Dovecot syncs before it answers).
 */
int
imap_op_append(void *arg, const char *folder, const char *ref, int fd,
    uint64_t size, const char *keywords, time_t arrived, struct buf *err)
{
	struct imap *im = arg;
	struct mailimap_flag_list *fl = NULL;
	struct mailimap_date_time *dt = NULL;
	struct tm tm;
	char *name = NULL;
	void *map = MAP_FAILED;
	int r, rc = -1;

	(void)ref;	/* the server names it */
	if (size == 0 || size > SIZE_MAX) {
		buf_puts(err, "an empty message is not filed");
		return -1;
	}
	if (imap_ready(im, err) == -1)
		return -1;
	if ((map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		buf_printf(err, "cannot map the message: %s", strerror(errno));
		return -1;
	}
	if (im->keywords_ok && keyword_list(keywords != NULL ? keywords : "",
	    &fl, err) == -1)
		goto out;
	if (gmtime_r(&arrived, &tm) == NULL ||
	    (dt = mailimap_date_time_new(tm.tm_mday, tm.tm_mon + 1,
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, 0)) == NULL ||
	    (name = imap_server_name(im, folder)) == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	r = mailimap_append(im->s, name, fl, dt, map, (size_t)size);
	if (r == MAILIMAP_ERROR_APPEND && im->s->imap_response_info != NULL &&
	    im->s->imap_response_info->rsp_trycreate) {
		if (imap_create_folder(im, name, err) == -1)
			goto out;
		r = mailimap_append(im->s, name, fl, dt, map, (size_t)size);
	}
	rc = r == MAILIMAP_NO_ERROR ? 0 : imap_fail(im, err, "APPEND", r);
out:
	free(name);
	if (dt != NULL)
		mailimap_date_time_free(dt);
	if (fl != NULL)
		mailimap_flag_list_free(fl);
	if (map != MAP_FAILED)
		(void)munmap(map, (size_t)size);
	return rc;
}
