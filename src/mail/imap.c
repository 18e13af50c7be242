/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap - the BALP on an IMAP server (include/balp/imap.h, docs/imap.md).
 *
 * libetpan speaks the protocol; what it leaves to us (docs/libetpan.md):
 * the certificate check before LOGIN, capabilities re-read after STARTTLS,
 * PEEK fetches so that nothing is marked \Seen, the IDLE read buffer that
 * poll(2) cannot see, and a teardown that does not wait on a dead peer.
 *
 * Round trips are what a remote inbox costs, so they are batched: list()
 * is one UID FETCH of (UID RFC822.SIZE FLAGS) over 1:*, fetch() of one
 * message fetches the next messages of the listing with it, and move()
 * only queues: sync() sends one UID STORE of keywords and one UID MOVE per
 * (folder, keywords) group.  The pipeline calls sync() after the batch's
 * decisions are committed, which is what makes a move safe to lose: a
 * message still in the inbox with a stored decision is moved again by the
 * next pass, never decided again.
 */
#include "balp/imap.h"
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
/* Moves held for one round of UID STORE + UID MOVE, at most. */
#define IMAP_MOVE_ROUND		1000
/* Pieces of a message rebuilt from its parts, at most. */
#define IMAP_SKELETON_PIECES	1024
/* Reconnection backoff, doubling between these (seconds). */
#define IMAP_BACKOFF_MIN	1
#define IMAP_BACKOFF_MAX	60

struct listed {
	uint32_t	 uid;
	uint32_t	 size;
};

struct cached {
	uint32_t	 uid;
	char		*data;		/* malloc'd; handed to a blob */
	size_t		 len;
};

struct pending_move {
	uint32_t	 uid;
	char		*folder;	/* queue name, "BALP/RIB" */
	char		*keywords;	/* space-separated, or "" */
};

struct imap {
	/* Configuration (copies). */
	char		*host;
	char		*user;
	char		*ca_file;
	char		*inbox;
	unsigned	 port;
	enum tls_mode	 tls;
	unsigned	 timeout;
	size_t		 scan_budget;	/* decoded bytes, as the parser's */
	size_t		 text_max;
	int		 watch;
	char		*password_file;	/* read at each login, wiped after */

	mailimap	*s;		/* NULL while disconnected */
	char		 delim;		/* hierarchy separator announced */
	int		 has_move;
	int		 has_uidplus;
	int		 has_idle;
	int		 keywords_ok;	/* PERMANENTFLAGS holds \* */
	uint32_t	 uidvalidity;
	uint32_t	 max_uid;	/* the highest UID listed */
	int		 idling;

	int		 wake_fd;	/* eventfd: IDLE data already read */
	int		 timer_fd;	/* reconnection backoff */
	unsigned	 backoff;

	struct listed	*listed;	/* the last list(), by UID */
	size_t		 n_listed;
	struct cached	*cache;
	size_t		 n_cache, cap_cache;
	struct pending_move *moves;
	size_t		 n_moves, cap_moves;
};

/* ---- session ------------------------------------------------------- */

/* Drops the session without waiting on the peer (docs/libetpan.md §2.7). */
static void
drop(struct imap *im)
{
	if (im->s == NULL)
		return;
	if (im->s->imap_stream != NULL) {
		mailstream_close(im->s->imap_stream);
		im->s->imap_stream = NULL;
	}
	mailimap_free(im->s);
	im->s = NULL;
	im->idling = 0;
}

/* Codes after which the session is desynchronised: reconnect. */
static int
fatal(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_PROTOCOL ||
	    r == MAILIMAP_ERROR_SSL || r == MAILIMAP_ERROR_STARTTLS ||
	    r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	    r == MAILIMAP_ERROR_MEMORY;
}

/*
 * One error line: what failed and why, with the server's text when it
 * gave one (its reply to our own command: no message content).
 */
static int
fail(struct imap *im, struct buf *err, const char *what, int r)
{
	const char *why;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		why = "connection lost or timed out";
		break;
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		why = "connection refused";
		break;
	case MAILIMAP_ERROR_SSL:
		why = "TLS handshake failed";
		break;
	case MAILIMAP_ERROR_STARTTLS:
		why = "STARTTLS refused";
		break;
	case MAILIMAP_ERROR_MEMORY:
		why = "out of memory";
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
		why = "unexpected reply";
		break;
	default:
		why = im->s != NULL && im->s->imap_response != NULL ?
		    im->s->imap_response : "refused";
		break;
	}
	buf_printf(err, "%s:%u: %s: %s", im->host, im->port, what, why);
	if (fatal(r))
		drop(im);
	return -1;
}

static int
refresh_capabilities(struct imap *im, struct buf *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	if ((r = mailimap_capability(im->s, &cap)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "CAPABILITY", r);
	mailimap_capability_data_free(cap);
	im->has_move = mailimap_has_extension(im->s, "MOVE");
	im->has_uidplus = mailimap_has_uidplus(im->s);
	im->has_idle = mailimap_has_idle(im->s);
	return 0;
}

/* The hierarchy separator the server announces ('/' if it names none). */
static int
read_delimiter(struct imap *im, struct buf *err)
{
	clist *list = NULL;
	struct mailimap_mailbox_list *mb;
	int r;

	if ((r = mailimap_list(im->s, "", "", &list)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "LIST", r);
	im->delim = '/';
	if (list != NULL && clist_begin(list) != NULL) {
		mb = clist_content(clist_begin(list));
		if (mb->mb_delimiter != '\0')
			im->delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

static int
select_inbox(struct imap *im, struct buf *err)
{
	struct mailimap_selection_info *si;
	clistiter *c;
	int r;

	if ((r = mailimap_select(im->s, im->inbox)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "SELECT", r);
	si = im->s->imap_selection_info;
	if (si == NULL || si->sel_uidvalidity != im->uidvalidity)
		im->max_uid = 0;	/* UIDs of another life */
	im->uidvalidity = si != NULL ? si->sel_uidvalidity : 0;
	im->keywords_ok = 0;
	if (si != NULL && si->sel_perm_flags != NULL)
		for (c = clist_begin(si->sel_perm_flags); c != NULL;
		    c = clist_next(c)) {
			struct mailimap_flag_perm *fp = clist_content(c);

			if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
				im->keywords_ok = 1;
		}
	if (im->uidvalidity == 0) {
		buf_printf(err, "%s:%u: the server gave no UIDVALIDITY for %s",
		    im->host, im->port, im->inbox);
		drop(im);
		return -1;
	}
	return 0;
}

/*
 * LOGIN with the password read from its file now and wiped right after,
 * with the stream's write buffer that held the command: a worker forked
 * later, or a look at this process's memory between reconnections, finds
 * neither (docs/sandbox.md, "Secrets").  0 or -1 (session dropped).
 */
static int
login(struct imap *im, struct buf *err)
{
	mailstream *st = im->s->imap_stream;
	char *password = NULL;
	int r;

	if (secret_read(im->password_file, &password, err) == -1) {
		drop(im);
		return -1;
	}
	r = mailimap_login(im->s, im->user, password);
	secret_free(password);
	if (st != NULL && st->write_buffer != NULL)
		sodium_memzero(st->write_buffer, st->buffer_max_size);
	if (r != MAILIMAP_NO_ERROR) {
		fail(im, err, "login refused", r);
		drop(im);
		return -1;
	}
	return 0;
}

/*
 * Connects, checks the certificate before anything else is sent, logs in
 * and selects the inbox.  0 or -1 (session dropped).
 */
static int
connect_session(struct imap *im, struct buf *err)
{
	struct tls_quiet quiet;
	struct buf said = BUF_INIT;	/* GnuTLS's own words, if any */
	int r, preauth;

	if ((im->s = mailimap_new(0, NULL)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	/* Bounds the TCP connect, the handshake and every read. */
	mailimap_set_timeout(im->s, im->timeout);
	tls_quiet_begin(&quiet);
	if (im->tls == TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(im->s, im->host,
		    (uint16_t)im->port, tls_sni, im->host);
	else
		r = mailimap_socket_connect(im->s, im->host,
		    (uint16_t)im->port);
	tls_quiet_end(&quiet, &said);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		r = fail(im, err, "cannot connect", r == MAILIMAP_NO_ERROR ?
		    MAILIMAP_ERROR_PROTOCOL : r);
		buf_puts(err, buf_str(&said));
		buf_free(&said);
		return r;
	}
	buf_free(&said);
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (im->tls == TLS_IMPLICIT &&
	    tls_verify(im->s->imap_stream, im->host, im->ca_file, err) == -1) {
		drop(im);
		return -1;
	}
	if (im->tls == TLS_STARTTLS) {
		/* The plaintext capability list is only used to ask. */
		if (refresh_capabilities(im, err) == -1)
			return -1;
		if (!mailimap_has_extension(im->s, "STARTTLS")) {
			buf_printf(err, "%s:%u: the server does not offer "
			    "STARTTLS", im->host, im->port);
			drop(im);
			return -1;
		}
		tls_quiet_begin(&quiet);
		r = mailimap_socket_starttls_with_callback(im->s, tls_sni,
		    im->host);
		tls_quiet_end(&quiet, &said);
		if (r != MAILIMAP_NO_ERROR) {
			r = fail(im, err, "STARTTLS", r == MAILIMAP_ERROR_STREAM
			    ? MAILIMAP_ERROR_SSL : r);
			buf_puts(err, buf_str(&said));
			buf_free(&said);
			return r;
		}
		buf_free(&said);
		if (tls_verify(im->s->imap_stream, im->host, im->ca_file,
		    err) == -1) {
			drop(im);
			return -1;
		}
	}
	if (!preauth && login(im, err) == -1)
		return -1;
	if (refresh_capabilities(im, err) == -1 ||
	    read_delimiter(im, err) == -1 || select_inbox(im, err) == -1) {
		drop(im);
		return -1;
	}
	im->backoff = 0;
	return 0;
}

/* Leaves IDLE if in it.  0, or -1 (session dropped). */
static int
leave_idle(struct imap *im, struct buf *err)
{
	int r;

	if (im->s == NULL || !im->idling)
		return 0;
	im->idling = 0;
	if ((r = mailimap_idle_done(im->s)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "IDLE", r);
	return 0;
}

/* A live session, out of IDLE: reconnects when needed.  0 or -1. */
static int
ready(struct imap *im, struct buf *err)
{
	if (im->s != NULL)
		return leave_idle(im, err);
	return connect_session(im, err);
}

/* ---- names ------------------------------------------------------------ */

/* "BALP/RIB" with the server's separator.  Caller frees; NULL on ENOMEM. */
static char *
server_name(const struct imap *im, const char *folder)
{
	char *n, *p;

	if ((n = buf_strdup(folder)) == NULL)
		return NULL;
	for (p = n; *p != '\0'; p++)
		if (*p == '/')
			*p = im->delim;
	return n;
}

static int
parse_ref(const struct imap *im, const char *ref, uint32_t *uid)
{
	unsigned long long v, u;
	char *end;

	errno = 0;
	v = strtoull(ref, &end, 10);
	if (errno != 0 || *end != '.' || v != im->uidvalidity)
		return -1;
	u = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || u == 0 || u > UINT32_MAX)
		return -1;
	*uid = (uint32_t)u;
	return 0;
}

/* ---- list ------------------------------------------------------------- */

static int
cmp_listed(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void
cache_clear(struct imap *im)
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
		fail(im, err, "UID FETCH", r);
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

static int
im_list(void *arg, struct source_msg **out, size_t *n, struct buf *err)
{
	struct imap *im = arg;
	struct source_msg *v = NULL;
	struct buf b = BUF_INIT;
	size_t i;

	*out = NULL;
	*n = 0;
	cache_clear(im);
	if (ready(im, err) == -1 || fetch_listing(im, err) == -1)
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

	cache_clear(im);
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
		fail(im, err, "UID FETCH", r);
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
static int
fetch_one(struct imap *im, uint32_t uid, struct mailimap_fetch_type *ft,
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
		return fail(im, err, "UID FETCH", r);
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
	if (ready(im, err) == -1)
		return -2;
	if ((ft = mailimap_fetch_type_new_fetch_att_list_empty()) == NULL ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft,
	    mailimap_fetch_att_new_bodystructure()) != 0)
		goto nomem;
	if (fetch_one(im, uid, ft, &res, err) == -1)
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
	if (fetch_one(im, uid, ft, &res2, err) == -1)
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

static int
im_fetch(void *arg, const struct source_msg *m, size_t max,
    struct source_blob *blob, struct buf *err)
{
	struct imap *im = arg;
	struct cached *ce;
	uint32_t uid;

	if (parse_ref(im, m->ref, &uid) == -1)
		return 1;	/* named under another UIDVALIDITY: re-listed */
	if (m->size > im->scan_budget)
		return fetch_parts(im, uid, m->size, max, blob, err);
	if ((ce = cache_find(im, uid)) == NULL) {
		if (ready(im, err) == -1 || prefetch(im, uid, max, err) == -1)
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

/* ---- folders ---------------------------------------------------------- */

static int
folder_exists(struct imap *im, const char *name, int *exists,
    struct buf *err)
{
	clist *list = NULL;
	int r;

	if ((r = mailimap_list(im->s, "", name, &list)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "LIST", r);
	*exists = list != NULL && clist_begin(list) != NULL;
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

/* Creates and subscribes name (server form) if missing.  0 or -1. */
static int
create_folder(struct imap *im, const char *name, struct buf *err)
{
	int exists = 0, r;

	if (folder_exists(im, name, &exists, err) == -1)
		return -1;
	if (!exists && (r = mailimap_create(im->s, name)) !=
	    MAILIMAP_NO_ERROR) {
		struct buf why = BUF_INIT;

		if (fatal(r))
			return fail(im, err, "CREATE", r);
		/* Another client may have created it meanwhile. */
		fail(im, &why, "CREATE", r);
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
		return fail(im, err, "SUBSCRIBE", r);
	return 0;
}

static int
im_ensure_folder(void *arg, const char *folder, struct buf *err)
{
	struct imap *im = arg;
	char *name;
	int rc;

	if (ready(im, err) == -1)
		return -1;
	if ((name = server_name(im, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	rc = create_folder(im, name, err);
	free(name);
	return rc;
}

/* ---- moves ------------------------------------------------------------ */

static int
im_move(void *arg, const struct source_msg *m, const char *folder,
    const char *keywords, struct buf *err)
{
	struct imap *im = arg;
	struct pending_move pm;
	uint32_t uid;

	if (parse_ref(im, m->ref, &uid) == -1)
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

static void
moves_clear(struct imap *im)
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
		return fail(im, err, "UID STORE", r);
	return 0;
}

/* +FLAGS.SILENT (keywords...) on set. */
static int
store_keywords(struct imap *im, struct mailimap_set *set, const char *kw,
    struct buf *err)
{
	struct mailimap_flag_list *fl;
	struct mailimap_flag *f;
	const char *p = kw, *e;
	char *word;

	if (*kw == '\0' || !im->keywords_ok)
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
	return store_flags(im, set, fl, err);
nomem_fl:
	mailimap_flag_list_free(fl);
nomem:
	buf_puts(err, "out of memory");
	return -1;
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
		return fail(im, err, "UID SEARCH", r);
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
			if (create_folder(im, name, err) == -1)
				return -1;
			r = mailimap_uid_move(im->s, set, name);
		}
		return r == MAILIMAP_NO_ERROR ? 0 : fail(im, err, "UID MOVE", r);
	}
	r = mailimap_uid_copy(im->s, set, name);
	if (r == MAILIMAP_ERROR_UID_COPY && im->s->imap_response_info != NULL &&
	    im->s->imap_response_info->rsp_trycreate) {
		if (create_folder(im, name, err) == -1)
			return -1;
		r = mailimap_uid_copy(im->s, set, name);
	}
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, err, "UID COPY", r);
	if (im->has_uidplus) {
		if (store_deleted(im, set, err) == -1)
			return -1;
		if ((r = mailimap_uid_expunge(im->s, set)) != MAILIMAP_NO_ERROR)
			return fail(im, err, "UID EXPUNGE", r);
		return 0;
	}
	if ((others = others_deleted(im, err)) == -1 ||
	    store_deleted(im, set, err) == -1)
		return -1;
	if (!others && (r = mailimap_expunge(im->s)) != MAILIMAP_NO_ERROR)
		return fail(im, err, "EXPUNGE", r);
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
	if ((name = server_name(im, im->moves[from].folder)) == NULL)
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

static int
im_sync(void *arg, int last, struct buf *err)
{
	struct imap *im = arg;
	size_t i, j;
	int rc = 0;

	/* Each command costs the server per message of the inbox: few and
	 * large rounds (the decisions are committed already). */
	if (im->n_moves == 0 || (!last && im->n_moves < IMAP_MOVE_ROUND))
		return 0;
	if (ready(im, err) == -1)
		rc = -1;
	qsort(im->moves, im->n_moves, sizeof(*im->moves), cmp_moves);
	for (i = 0; rc == 0 && i < im->n_moves; i = j) {
		for (j = i; j < im->n_moves &&
		    strcmp(im->moves[j].folder, im->moves[i].folder) == 0; j++)
			;
		rc = sync_folder(im, i, j, err);
	}
	/* Unsent moves are redone from the stored decisions next pass. */
	moves_clear(im);
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
		return fail(im, err, "UID SEARCH", r);
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
	if (fetch_one(im, uid, ft, &res, err) == -1)
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
	rc = r == MAILIMAP_NO_ERROR ? 0 : fail(im, err, "UID STORE", r);
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
static int
im_relocate(void *arg, const char *from, const char *ref,
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
	if (ready(im, err) == -1)
		return -1;
	fname = server_name(im, from != NULL ? from : im->inbox);
	tname = server_name(im, to != NULL ? to : im->inbox);
	if (fname == NULL || tname == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if (to != NULL && create_folder(im, tname, err) == -1)
		goto out;
	if ((r = mailimap_select(im->s, fname)) != MAILIMAP_NO_ERROR) {
		/* The folder is gone: so is the message. */
		rc = fatal(r) ? fail(im, err, "SELECT", r) : 1;
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
	if (im->s != NULL && select_inbox(im, err) == -1)
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
static int
im_locate(void *arg, const char *folder, const char *ref,
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
	if (ready(im, err) == -1)
		return -1;
	if ((fname = server_name(im, folder != NULL ? folder : im->inbox)) ==
	    NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if ((r = mailimap_examine(im->s, fname)) != MAILIMAP_NO_ERROR) {
		/* The folder is gone: so is the message. */
		rc = fatal(r) ? fail(im, err, "EXAMINE", r) : 1;
		goto reselect;
	}
	rc = find_by_message_id(im, message_id, &uid, err);
reselect:
	/* Back to the inbox, which the other operations expect. */
	if (im->s != NULL && select_inbox(im, err) == -1)
		rc = -1;
	free(fname);
	return rc;
}

/* ---- watching --------------------------------------------------------- */

static void
arm_backoff(struct imap *im)
{
	struct itimerspec its;

	im->backoff = im->backoff == 0 ? IMAP_BACKOFF_MIN :
	    im->backoff * 2 > IMAP_BACKOFF_MAX ? IMAP_BACKOFF_MAX :
	    im->backoff * 2;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = im->backoff;
	(void)timerfd_settime(im->timer_fd, 0, &its, NULL);
}

/*
 * 1 if a message came in after the last listing: its EXISTS may have come
 * during the pass's own commands, and IDLE would not announce it again.
 * 0, or -1 (session dropped).
 */
static int
arrived_since_list(struct imap *im, struct buf *err)
{
	struct mailimap_set *set;
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *c;
	int r, found = 0;

	if ((set = mailimap_set_new_interval(im->max_uid + 1, 0)) == NULL)
		return 0;
	if ((key = mailimap_search_key_new_uid(set)) == NULL) {
		mailimap_set_free(set);
		return 0;
	}
	r = mailimap_uid_search(im->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, err, "UID SEARCH", r);
	/* "n:*" names the last message even when its UID is below n. */
	for (c = res != NULL ? clist_begin(res) : NULL; c != NULL;
	    c = clist_next(c))
		if (*(uint32_t *)clist_content(c) > im->max_uid)
			found = 1;
	if (res != NULL)
		mailimap_search_result_free(res);
	return found;
}

/* Makes the wake descriptor readable and hands it out. */
static int
wake(struct imap *im)
{
	uint64_t one = 1;

	if (write(im->wake_fd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		return -1;	/* cannot signal it: polled instead */
	return im->wake_fd;
}

/*
 * Disconnected: a timer that fires when it is time to try again.  IDLE
 * offered: the session's socket, in IDLE (or, when mail came in during
 * the pass, a descriptor already readable).  Else -1 (the daemon polls).
 */
static int
im_watch_fd(void *arg)
{
	struct imap *im = arg;
	struct buf err = BUF_INIT;
	int r;

	if (!im->watch)
		return -1;
	if (im->s == NULL) {
		arm_backoff(im);
		return im->timer_fd;
	}
	if (!im->has_idle)
		return -1;
	if (!im->idling) {
		if ((r = arrived_since_list(im, &err)) != 0) {
			buf_free(&err);
			if (r == 1)
				return wake(im);
			arm_backoff(im);
			return im->timer_fd;
		}
		if ((r = mailimap_idle(im->s)) != MAILIMAP_NO_ERROR) {
			fail(im, &err, "IDLE", r);
			buf_free(&err);
			return im->s == NULL ? (arm_backoff(im), im->timer_fd)
			    : -1;
		}
		im->idling = 1;
	}
	/* What came with "+ idling" is already read: poll cannot see it. */
	if (im->s->imap_stream != NULL &&
	    im->s->imap_stream->read_buffer_len > 0)
		return wake(im);
	return mailimap_idle_get_fd(im->s);
}

static void
im_watch_drain(void *arg)
{
	struct imap *im = arg;
	struct buf err = BUF_INIT;
	uint64_t v;

	/* Non-blocking: EAGAIN when that one did not fire. */
	if (read(im->wake_fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		v = 0;
	if (read(im->timer_fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		v = 0;
	/* The next list() leaves IDLE and reconnects if needed. */
	(void)leave_idle(im, &err);
	buf_free(&err);
}

static void
im_close(void *arg)
{
	struct imap *im = arg;
	struct buf err = BUF_INIT;

	if (im == NULL)
		return;
	if (im->s != NULL && leave_idle(im, &err) == 0 && im->s != NULL)
		(void)mailimap_logout(im->s);
	buf_free(&err);
	drop(im);
	cache_clear(im);
	free(im->cache);
	moves_clear(im);
	free(im->moves);
	free(im->listed);
	free(im->password_file);
	free(im->host);
	free(im->user);
	free(im->ca_file);
	free(im->inbox);
	if (im->wake_fd >= 0)
		close(im->wake_fd);
	if (im->timer_fd >= 0)
		close(im->timer_fd);
	free(im);
}

/* STATUS (MESSAGES): no SELECT, so the inbox's session is not disturbed. */
static int
im_count(void *arg, const char *folder, size_t *n, struct buf *err)
{
	struct imap *im = arg;
	struct mailimap_status_att_list *att;
	struct mailimap_mailbox_data_status *st = NULL;
	struct mailimap_status_info *si;
	clistiter *it;
	char *name;
	int r;

	*n = 0;
	if (ready(im, err) == -1)
		return -1;
	if ((name = folder != NULL ? server_name(im, folder) :
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
		return fail(im, err, "STATUS", r);
	for (it = st->st_info_list != NULL ? clist_begin(st->st_info_list) :
	    NULL; it != NULL; it = clist_next(it)) {
		si = clist_content(it);
		if (si->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
			*n = si->st_value;
	}
	mailimap_mailbox_data_status_free(st);
	return 0;
}

static const struct source_ops imap_ops = {
	"imap", im_list, im_fetch, im_move, im_sync, im_relocate, im_locate,
	im_ensure_folder, im_count, im_watch_fd, im_watch_drain, im_close,
};

static char *
dup_or_null(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = buf_strdup(s)) == NULL)
		*bad = 1;
	return d;
}

int
imap_source_open(const struct source_conf *sc, int watch, struct source *src,
    struct buf *err)
{
	struct imap *im;
	char *password = NULL;
	int bad = 0;

	if (sc->host == NULL || sc->user == NULL || sc->password_file == NULL
	    || sc->inbox == NULL) {
		buf_puts(err, "the IMAP source needs host, user, password_file"
		    " and inbox");
		return -1;
	}
	if (sc->tls == TLS_NONE && !tls_host_is_loopback(sc->host)) {
		buf_printf(err, "%s: tls = \"none\" is refused for a host that"
		    " is not loopback", sc->host);
		return -1;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	im->wake_fd = im->timer_fd = -1;
	im->host = dup_or_null(sc->host, &bad);
	im->user = dup_or_null(sc->user, &bad);
	im->ca_file = dup_or_null(sc->ca_file, &bad);
	im->inbox = dup_or_null(sc->inbox, &bad);
	im->password_file = dup_or_null(sc->password_file, &bad);
	im->port = sc->port;
	im->tls = sc->tls;
	im->timeout = sc->timeout_seconds > 0 ? sc->timeout_seconds : 60;
	im->scan_budget = sc->scan_budget > 0 ? sc->scan_budget :
	    (size_t)16 << 20;
	im->text_max = sc->text_max > 0 ? sc->text_max : 65536;
	im->watch = watch;
	if (bad) {
		buf_puts(err, "out of memory");
		goto fail;
	}
	/* Checked now (fail early), read again at each login. */
	if (secret_read(sc->password_file, &password, err) == -1)
		goto fail;
	secret_free(password);
	if ((im->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (im->timer_fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		buf_printf(err, "cannot create the IMAP watcher: %s",
		    strerror(errno));
		goto fail;
	}
	if (connect_session(im, err) == -1)
		goto fail;
	src->ops = &imap_ops;
	src->state = im;
	return 0;
fail:
	im_close(im);
	return -1;
}
