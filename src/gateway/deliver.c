/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deliver - balpd's mail at delivery time (include/balp/deliver.h,
 * docs/lmtp.md): the LMTP server's callback, the deliveries held for the
 * loop's batch, the filers, and the verdicts.
 */
#include "balp/deliver.h"
#include "balp/filer.h"
#include "balp/lmtp.h"
#include "balp/log.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A delivery held until the loop decides what came with it. */
struct pending {
	struct lmtp_message	 msg;	/* fd a duplicate; all of it ours */
	char			*sender;
	char			**rcpts;
};

struct deliver {
	struct pipeline		*pipe;
	struct source		*src;
	struct deliver_hooks	 hooks;
	struct lmtp_server	*lmtp;
	struct filer		*filer;		/* NULL: filed in the loop */
	struct filer_hooks	 filed;		/* on_filed, src, us */
	int			 filers_gone;	/* said so */
	struct pending		*pending;	/* max of them */
	size_t			 n_pending, max;
	size_t			 nl, nf;	/* the last pollfds */
};

/*
 * The tests' crash point (tests/e2e/lmtp.sh): decided, recorded and
 * filed, dead before the 250, deterministically.
 */
static void
die_filed_hook(void)
{
	if (getenv(DELIVER_TEST_DIE_FILED_ENV) != NULL)
		_exit(99);
}

static void
pending_free(struct pending *w)
{
	size_t i;

	for (i = 0; w->rcpts != NULL && i < w->msg.n_recipients; i++)
		free(w->rcpts[i]);
	free(w->rcpts);
	free(w->sender);
	if (w->msg.fd >= 0)
		(void)close(w->msg.fd);
	memset(w, 0, sizeof(*w));
}

/* msg held for the loop's next batch: 0, or -1 (no room, no memory). */
static int
pending_add(struct deliver *dl, const struct lmtp_message *msg)
{
	struct pending *w;
	size_t i;

	if (dl->pending == NULL &&
	    (dl->pending = calloc(dl->max, sizeof(*dl->pending))) == NULL)
		return -1;
	if (dl->n_pending >= dl->max)
		return -1;
	w = &dl->pending[dl->n_pending];
	memset(w, 0, sizeof(*w));
	w->msg = *msg;
	w->msg.fd = fcntl(msg->fd, F_DUPFD_CLOEXEC, 3);
	w->sender = strdup(msg->sender);
	w->rcpts = calloc(msg->n_recipients + 1, sizeof(*w->rcpts));
	w->msg.n_recipients = 0;
	if (w->msg.fd == -1 || w->sender == NULL || w->rcpts == NULL) {
		pending_free(w);
		return -1;
	}
	for (i = 0; i < msg->n_recipients; i++) {
		if ((w->rcpts[i] = strdup(msg->recipients[i])) == NULL) {
			pending_free(w);
			return -1;
		}
		w->msg.n_recipients = i + 1;
	}
	w->msg.sender = w->sender;
	w->msg.recipients = (const char *const *)w->rcpts;
	dl->n_pending++;
	return 0;
}

/* A filing decided: to the filers, or filed here.  1 held, 0, -1. */
static int
file_it(struct deliver *dl, const struct lmtp_message *msg,
    const struct pipeline_filing *todo, struct buf *err)
{
	struct buf why = BUF_INIT;
	struct log_field f[2] = {
		{ "queue", todo->queue },
		{ "file", todo->ref },
	};
	int r = 1, s = -1;

	if (dl->filer == NULL || (s = filer_submit(dl->filer, msg->ticket,
	    todo->queue, todo->ref, msg->fd, msg->size, todo->keywords,
	    msg->arrived, &why)) == -1) {
		if (dl->filer != NULL)
			log_warn("lmtp: %s: filed in the loop", buf_str(&why));
		r = dl->src->ops->append(dl->src->state, todo->queue,
		    todo->ref, msg->fd, msg->size, todo->keywords,
		    msg->arrived, err);
	}
	/* Handed over again while its filing waits or is in hand. */
	if (s == 1)
		log_fields(0, "follows", f, 2);
	buf_free(&why);
	return r;
}

/* A delivery decided (r as file_it()): logged; -1 and 0 answered. */
static void
delivered(struct deliver *dl, const struct lmtp_message *msg, int r,
    struct buf *err)
{
	if (r == -1 && pipeline_breaker_open(dl->pipe))
		dl->hooks.parser_failed(dl->hooks.arg, buf_str(err));
	else if (r == -1)
		log_warn("lmtp: a message from <%s> deferred: %s", msg->sender,
		    buf_str(err));
	else if (r == 0)
		die_filed_hook();
	if (r != 1)
		lmtp_server_verdict(dl->lmtp, msg->ticket, r, buf_str(err));
}

/* One batch of what waited: each decided, then filed or answered. */
static void
deliver_batch(struct deliver *dl, struct pending *batch, size_t n)
{
	struct pipeline_delivery *v;
	struct buf nomem = BUF_INIT;
	size_t i;
	int r;

	pipeline_set_time(dl->pipe, time(NULL), 0);
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		buf_puts(&nomem, "out of memory");
		for (i = 0; i < n; i++)
			delivered(dl, &batch[i].msg, -1, &nomem);
		buf_free(&nomem);
		return;
	}
	for (i = 0; i < n; i++)
		v[i].msg = &batch[i].msg;
	pipeline_deliver_batch(dl->pipe, dl->src, v, n, dl->hooks.report,
	    dl->hooks.arg);
	for (i = 0; i < n; i++) {
		if (v[i].rc == 1 && pending_add(dl, &batch[i].msg) == 0)
			;	/* the next batch finds the first's decision */
		else if (v[i].rc != 0) {
			if (v[i].err.len == 0)
				buf_puts(&v[i].err, "no room to wait");
			delivered(dl, &batch[i].msg, -1, &v[i].err);
		} else {
			r = v[i].todo.queue == NULL ? 0 : file_it(dl,
			    &batch[i].msg, &v[i].todo, &v[i].err);
			delivered(dl, &batch[i].msg, r, &v[i].err);
		}
		pipeline_filing_free(&v[i].todo);
		buf_free(&v[i].err);
	}
	free(v);
	dl->hooks.decided(dl->hooks.arg);
}

/*
 * What came over LMTP during this turn of the loop, decided together.
 * Taken out of the list first: an answer lets its session hand over
 * the next message (pending_add()) while these are done.  A message
 * that came twice in one batch is decided in a second round.
 */
static void
deliver_pending(struct deliver *dl)
{
	struct pending *batch;
	size_t i, n;
	int round;

	for (round = 0; round < 2 && dl->n_pending > 0; round++) {
		n = dl->n_pending;
		batch = dl->pending;
		dl->pending = NULL;
		dl->n_pending = 0;
		deliver_batch(dl, batch, n);
		for (i = 0; i < n; i++)
			pending_free(&batch[i]);
		free(batch);
	}
}

/* The server's callback: held for the batch, or done now. */
static int
on_deliver(const struct lmtp_message *msg, void *arg, struct buf *err)
{
	struct deliver *dl = arg;
	struct pipeline_filing todo;
	int r;

	if (!dl->hooks.parser_ready(dl->hooks.arg)) {
		buf_puts(err, "the parser is failing");
		return -1;
	}
	if (dl->filer != NULL && pending_add(dl, msg) == 0)
		return 1;
	pipeline_set_time(dl->pipe, time(NULL), 0);
	if ((r = pipeline_deliver_prepare(dl->pipe, dl->src, msg,
	    dl->hooks.report, dl->hooks.arg, &todo, err)) == 0) {
		r = todo.queue == NULL ? 0 : file_it(dl, msg, &todo, err);
		pipeline_filing_free(&todo);
	}
	if (r == -1 && pipeline_breaker_open(dl->pipe))
		dl->hooks.parser_failed(dl->hooks.arg, buf_str(err));
	else if (r == -1)
		log_warn("lmtp: a message from <%s> deferred: %s", msg->sender,
		    buf_str(err));
	else {
		if (r == 0)
			die_filed_hook();
		dl->hooks.decided(dl->hooks.arg);
	}
	return r;
}

/* A filer's verdict: the held session answered. */
static void
on_filed(uint64_t ticket, int rc, const char *why, void *arg)
{
	struct deliver *dl = arg;

	if (rc == -1)
		log_warn("lmtp: a message deferred: cannot file it: %s", why);
	else
		die_filed_hook();
	lmtp_server_verdict(dl->lmtp, ticket, rc, why);
}

/*
 * A job of two messages or more (one MULTIAPPEND, or one APPEND each
 * where the server refused it or has none): one line, with fields as
 * the decisions' (balpd(8), LOGGING).  One message alone is one APPEND,
 * as without filers: no line.
 */
static void
on_job(const struct filer_job *j, void *arg)
{
	char n[24], failed[24], ms[32];
	struct log_field f[5] = {
		{ "queue", j->folder },
		{ "messages", n },
		{ "failed", failed },
		{ "ms", ms },
		{ "by", j->here ? "loop" : "filer" },
	};

	(void)arg;
	if (j->n < 2)
		return;
	snprintf(n, sizeof(n), "%zu", j->n);
	snprintf(failed, sizeof(failed), "%zu", j->failed);
	snprintf(ms, sizeof(ms), "%" PRIu64 ".%" PRIu64, j->usec / 1000,
	    j->usec % 1000 / 100);
	log_fields(0, "filing", f, 5);
}

/* The last filer gone: said once (what comes is filed in the loop). */
static void
filers_check(struct deliver *dl)
{
	if (dl->filer == NULL || dl->filers_gone ||
	    filer_alive(dl->filer) > 0)
		return;
	dl->filers_gone = 1;
	log_warn("lmtp: no filer left: filed in the loop until balpd reloads");
}

int
deliver_open(const struct balp_conf *c, struct pipeline *pipe,
    struct source *src, const struct deliver_hooks *hooks,
    struct deliver **out, struct buf *err)
{
	struct deliver *dl;
	struct buf why = BUF_INIT;

	*out = NULL;
	if ((dl = calloc(1, sizeof(*dl))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	dl->pipe = pipe;
	dl->src = src;
	dl->hooks = *hooks;
	dl->max = c->lmtp.max_sessions;
	if (lmtp_server_open(&c->lmtp, on_deliver, dl, &dl->lmtp, err) ==
	    -1) {
		free(dl);
		return -1;
	}
	if (c->lmtp.filers > 0 && filer_open(&c->source, c->lmtp.filers,
	    c->lmtp.max_sessions, &dl->filer, &why) == -1) {
		/* Slower, not wrong: each message filed in the loop. */
		log_warn("lmtp: no filer processes: %s", buf_str(&why));
		dl->filer = NULL;
	}
	/* With no filer left, what waits is filed with balpd's own session. */
	dl->filed.done = on_filed;
	dl->filed.job = on_job;
	dl->filed.here = src;
	dl->filed.arg = dl;
	buf_free(&why);
	*out = dl;
	return 0;
}

void
deliver_close(struct deliver *dl)
{
	if (dl == NULL)
		return;
	while (dl->n_pending > 0)
		pending_free(&dl->pending[--dl->n_pending]);
	free(dl->pending);
	filer_close(dl->filer);
	lmtp_server_close(dl->lmtp);
	free(dl);
}

size_t
deliver_nfds(const struct deliver *dl)
{
	return dl != NULL ? lmtp_server_nfds(dl->lmtp) + FILER_MAX : 0;
}

size_t
deliver_pollfds(struct deliver *dl, struct pollfd *pfd, int *timeout_ms)
{
	if (dl == NULL)
		return 0;
	dl->nl = lmtp_server_pollfds(dl->lmtp, pfd, timeout_ms);
	dl->nf = filer_pollfds(dl->filer, pfd + dl->nl);
	/* Handed over while the last batch was answered: no waiting. */
	if (dl->n_pending > 0)
		*timeout_ms = 0;
	return dl->nl + dl->nf;
}

void
deliver_handle(struct deliver *dl, const struct pollfd *pfd, size_t n)
{
	if (dl == NULL || n != dl->nl + dl->nf)
		return;
	/* Filed: the held sessions answered. */
	if (dl->nf > 0)
		filer_reap(dl->filer, pfd + dl->nl, dl->nf, &dl->filed);
	filers_check(dl);
	/* What is ready, and the sessions' deadlines. */
	lmtp_server_handle(dl->lmtp, pfd, dl->nl);
	deliver_pending(dl);
	/*
	 * What was decided, to the free filers; with none left, filed
	 * here, now rather than before the next poll: the source's watch
	 * (its IDLE) is taken afresh after.
	 */
	filer_dispatch(dl->filer, &dl->filed);
	filers_check(dl);
}
