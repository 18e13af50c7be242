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

/* Reconnection backoff, doubling between these (seconds). */
#define IMAP_BACKOFF_MIN	1
#define IMAP_BACKOFF_MAX	60

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
		return imap_fail(im, err, "UID SEARCH", r);
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
			imap_fail(im, &err, "IDLE", r);
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
	(void)imap_leave_idle(im, &err);
	buf_free(&err);
}

static void
im_close(void *arg)
{
	struct imap *im = arg;
	struct buf err = BUF_INIT;

	if (im == NULL)
		return;
	if (im->s != NULL && imap_leave_idle(im, &err) == 0 && im->s != NULL)
		(void)mailimap_logout(im->s);
	buf_free(&err);
	imap_drop(im);
	imap_cache_clear(im);
	free(im->cache);
	imap_moves_clear(im);
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

static const struct source_ops imap_ops = {
	"imap", imap_op_list, imap_op_fetch, imap_op_move, imap_op_sync,
	imap_op_relocate, imap_op_locate, imap_op_append, imap_op_append_many,
	imap_op_holds,
	imap_op_ensure_folder, imap_op_count, im_watch_fd, im_watch_drain, im_close,
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
	if (imap_connect(im, err) == -1)
		goto fail;
	src->ops = &imap_ops;
	src->state = im;
	return 0;
fail:
	im_close(im);
	return -1;
}
