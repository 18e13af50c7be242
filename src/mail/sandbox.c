/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox - sandboxed workers, one message each by default (see
 * include/balp/sandbox.h and docs/sandbox.md).
 *
 * The caller keeps `workers` slots.  A job is given to one slot at submit
 * time and stays in that slot's queue until answered: the slot's process
 * gets the jobs in that order, so the first job of the queue is the one
 * it works on.  When the process goes (deadline, death, retirement) its
 * unanswered jobs stay queued and go, from their first byte, to the next
 * process of the same slot: that is the "fresh worker" of the retry rule.
 * Processes come ready from the zygote (sandbox_zygote.h), which also
 * has the job protocol; after max_jobs answers (1 by default) a process
 * is killed and the slot's next jobs go to a fresh one.  Anything else
 * than the protocol from a worker is a broken worker: it is killed.
 *
 * The caller's end is non-blocking and every wait is one poll() over all
 * sockets in both directions and the workers' stderr pipes, so a worker
 * writing answer n while the caller writes job n+1 never deadlocks them.
 *
 * Ownership: jobs are calloc'ed at submit and freed at collect or close;
 * an answer is handed over to the caller.  The zygote reaps every worker;
 * the caller kills them through their pidfd.  Failures: -1 with err.
 */
#include "balp/sandbox.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A worker's stderr: bytes of one line, and lines, passed on at most. */
#define SANDBOX_ERR_LINE	256
#define SANDBOX_ERR_LINES	32

struct sandbox_job {
	TAILQ_ENTRY(sandbox_job) all;	/* submission order */
	TAILQ_ENTRY(sandbox_job) slot;	/* its slot's queue, unanswered */
	uint64_t	 tag;
	int		 fd;
	const char	*data;
	size_t		 len;
	uint64_t	 opt;		/* handed to the function as it is */
	uint64_t	 sent_at;	/* ms, 1st byte to this process; 0 */
	int		 retried;	/* run again after a death */
	int		 done;
	enum sandbox_status status;
	char		*out;
	size_t		 outlen;
};

TAILQ_HEAD(sandbox_jobs, sandbox_job);

struct sandbox_worker {
	const struct sandbox *sb;
	struct sandbox_handle h;	/* pid -1: no process in the slot */
	int		 ready;		/* its 'R' was received */
	int		 wr_closed;	/* EPIPE: only EOF to read */
	/* ms: handed over, ready, last answer or EPIPE */
	uint64_t	 since;
	unsigned	 started;	/* jobs begun to be sent */
	unsigned	 answered;
	struct sandbox_jobs jobs;	/* unanswered, in order */
	size_t		 njobs;
	struct sandbox_job *tx;		/* next to send; NULL: none */
	size_t		 tx_off;	/* of its header + input */
	unsigned char	 rx_hdr[SANDBOX_ANSWER_HDR];
	size_t		 rx_hdr_got;
	char		*rx;		/* answer, rx_len + 1 bytes */
	size_t		 rx_len;
	size_t		 rx_got;
	int		 rx_status;
	char		 eline[SANDBOX_ERR_LINE];	/* stderr, a line */
	size_t		 elen;
	unsigned	 elines;	/* lines passed on */
	int		 ecut;		/* the line is too long: cut */
};

struct sandbox {
	struct sandbox_conf	 conf;
	struct sandbox_zygote	*zygote;
	int			 own_zygote;	/* stopped with the sandbox */
	struct sandbox_spec	 spec;
	char			*arg;		/* spec.arg's bytes, owned */
	struct sandbox_jobs	 jobs;	/* not collected, in order */
	size_t			 in_flight;
	struct sandbox_worker	*w;	/* conf.workers slots */
	struct pollfd		*pfd;	/* 2 per slot + wake_fd */
	unsigned		*map;	/* pfd index -> slot */
	char			 rbuf[65536];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* A worker's stderr                                                   */

/*
 * A line of a worker's stderr, escaped (only printable ASCII stays;
 * anything else, a backslash included, is \xHH), to the caller's
 * on_stderr or to our stderr prefixed as the worker's: a worker taken
 * over cannot write a line that looks like balpd's own.
 */
static void
stderr_emit(const struct sandbox *sb, struct sandbox_worker *w)
{
	char line[SANDBOX_ERR_LINE * 4 + 16], *q = line;
	unsigned char ch;
	size_t i;

	if (w->elines >= SANDBOX_ERR_LINES)
		goto out;
	for (i = 0; i < w->elen; i++) {
		ch = (unsigned char)w->eline[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			*q++ = (char)ch;
		else
			q += snprintf(q, 5, "\\x%02x", ch);
	}
	if (w->ecut)
		q += snprintf(q, 5, "...");
	*q = '\0';
	if (++w->elines == SANDBOX_ERR_LINES)
		(void)snprintf(line, sizeof(line), "(more output dropped)");
	if (sb->conf.on_stderr != NULL)
		sb->conf.on_stderr(sb->conf.stderr_ctx, w->h.pid, line);
	else
		(void)dprintf(2, "sandbox worker %ld: %s\n", w->h.pid, line);
out:
	w->elen = 0;
	w->ecut = 0;
}

/* Reads what w wrote on stderr; at EOF, the pipe is closed. */
static void
stderr_read(const struct sandbox *sb, struct sandbox_worker *w, int final)
{
	char chunk[4096];
	ssize_t r, i;

	while (w->h.err != -1) {
		r = read(w->h.err, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    !final)
			return;
		if (r <= 0) {
			(void)close(w->h.err);
			w->h.err = -1;
			break;
		}
		for (i = 0; i < r; i++) {
			if (chunk[i] == '\n') {
				stderr_emit(sb, w);
				continue;
			}
			if (w->elen < sizeof(w->eline))
				w->eline[w->elen++] = chunk[i];
			else
				w->ecut = 1;
		}
		if (final && r < (ssize_t)sizeof(chunk))
			break;
	}
	if (w->elen > 0 || w->ecut)
		stderr_emit(sb, w);
}

/* ------------------------------------------------------------------ */
/* Processes, seen from the parent                                     */

/*
 * Ends w's process (SIGKILL through its pidfd, harmless when it is gone
 * already; the zygote reaps it), passes on what it wrote on stderr, and
 * resets the slot so that its unanswered jobs go again, from their first
 * byte, to the next process.
 */
static void
worker_end(struct sandbox_worker *w)
{
	struct sandbox_job *j;

	if (w->h.pid > 0) {
		sandbox_handle_kill(&w->h);
		if (w->h.err != -1)
			stderr_read(w->sb, w, 1);
	}
	sandbox_handle_close(&w->h);
	w->h.pid = -1;
	w->ready = w->wr_closed = 0;
	w->started = w->answered = 0;
	w->elines = 0;
	w->tx = TAILQ_FIRST(&w->jobs);
	w->tx_off = 0;
	TAILQ_FOREACH(j, &w->jobs, slot)
		j->sent_at = 0;
	free(w->rx);
	w->rx = NULL;
	w->rx_hdr_got = w->rx_len = w->rx_got = 0;
}

/* Takes j out of its slot's queue with its result. */
static void
job_done(struct sandbox_worker *w, struct sandbox_job *j,
    enum sandbox_status st, char *out, size_t outlen)
{
	if (w->tx == j) {
		w->tx = TAILQ_NEXT(j, slot);
		w->tx_off = 0;
	}
	TAILQ_REMOVE(&w->jobs, j, slot);
	w->njobs--;
	j->done = 1;
	j->status = st;
	j->out = out;
	j->outlen = outlen;
}

/*
 * The process misbehaved or ran out of time: killed, and victim (if any)
 * gets st.  The other jobs are not at fault and go to the next process.
 */
static void
worker_fail(struct sandbox_worker *w, struct sandbox_job *victim,
    enum sandbox_status st)
{
	worker_end(w);
	if (victim != NULL)
		job_done(w, victim, st, NULL, 0);
}

/*
 * The process died (EOF or error on its socket).  Before its 'R' that is
 * the sandbox failing: -1 with err.  Otherwise the job it was working on,
 * if its bytes had started going out, is run once more in a fresh
 * process, and is SANDBOX_CRASHED the second time.
 */
static int
worker_died(struct sandbox_worker *w, struct buf *err)
{
	struct sandbox_job *j = TAILQ_FIRST(&w->jobs);
	int ready = w->ready;

	/* Was it working on j?  Only if j's bytes had started going out. */
	if (j != NULL && j->sent_at == 0)
		j = NULL;
	worker_end(w);
	if (!ready) {
		if (err != NULL)
			buf_puts(err, "a sandbox worker died before it was "
			    "ready (its stderr, if any, is in the log)");
		return -1;
	}
	if (j != NULL) {
		if (j->retried)
			job_done(w, j, SANDBOX_CRASHED, NULL, 0);
		else
			j->retried = 1;
	}
	return 0;
}

static int
worker_spawn(struct sandbox *sb, struct sandbox_worker *w, struct buf *err)
{
	if (sandbox_zygote_worker(sb->zygote, &sb->spec, sb->conf.deadline_ms,
	    &w->h, err) == -1) {
		w->h.pid = -1;
		return -1;
	}
	w->since = now_ms();
	if (fcntl(w->h.sock, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(w->h.err, F_SETFL, O_NONBLOCK) == -1) {
		if (err != NULL)
			buf_printf(err, "fcntl: %s", strerror(errno));
		worker_end(w);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sending jobs                                                        */

static int
worker_wants_out(const struct sandbox *sb, const struct sandbox_worker *w)
{
	return w->h.sock != -1 && !w->wr_closed &&
	    w->tx != NULL && (w->tx_off > 0 || w->started < sb->conf.max_jobs);
}

/* Bytes of a job's frame: the header, and the input unless by fd. */
static size_t
frame_len(const struct sandbox_job *j)
{
	return SANDBOX_JOB_HDR + (j->fd >= 0 ? 0 : j->len);
}

/* Sends what the socket takes now; never blocks. */
static void
worker_send(struct sandbox *sb, struct sandbox_worker *w)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm;
	struct sandbox_job *j;
	struct cmsghdr *c;
	struct iovec iov[2];
	struct msghdr mh;
	uint64_t h[2];
	ssize_t r;

	while (worker_wants_out(sb, w)) {
		j = w->tx;
		h[0] = j->len | (j->fd >= 0 ? SANDBOX_BY_FD : 0);
		h[1] = j->opt;
		if (w->tx_off < SANDBOX_JOB_HDR) {
			/* Header and data in one call when we have the data;
			 * the descriptor rides with the header's first byte. */
			memset(&mh, 0, sizeof(mh));
			iov[0].iov_base = (char *)h + w->tx_off;
			iov[0].iov_len = SANDBOX_JOB_HDR - w->tx_off;
			iov[1].iov_base = (void *)j->data;
			iov[1].iov_len = j->fd < 0 ? j->len : 0;
			mh.msg_iov = iov;
			mh.msg_iovlen = iov[1].iov_len > 0 ? 2 : 1;
			if (j->fd >= 0 && w->tx_off == 0) {
				memset(&cm, 0, sizeof(cm));
				mh.msg_control = cm.buf;
				mh.msg_controllen = sizeof(cm.buf);
				c = CMSG_FIRSTHDR(&mh);
				c->cmsg_level = SOL_SOCKET;
				c->cmsg_type = SCM_RIGHTS;
				c->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(c), &j->fd, sizeof(int));
			}
			r = sendmsg(w->h.sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else
			r = send(w->h.sock, j->data + (w->tx_off - SANDBOX_JOB_HDR),
			    frame_len(j) - w->tx_off, MSG_NOSIGNAL |
			    MSG_DONTWAIT);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EPIPE || errno == ECONNRESET) {
				/* Its answers may still wait to be read; its
				 * EOF follows, or the deadline does. */
				w->wr_closed = 1;
				w->since = now_ms();
				return;
			}
			if (j->fd >= 0 && w->tx_off == 0) {
				/* Not a descriptor we can pass (EBADF...). */
				worker_fail(w, j, SANDBOX_FAILED);
				return;
			}
			/* The stream is broken mid-frame: start afresh. */
			worker_fail(w, NULL, SANDBOX_FAILED);
			return;
		}
		if (w->tx_off == 0) {
			w->started++;
			j->sent_at = now_ms();
		}
		w->tx_off += (size_t)r;
		if (w->tx_off == frame_len(j)) {
			w->tx = TAILQ_NEXT(j, slot);
			w->tx_off = 0;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Receiving answers                                                   */

/*
 * Feeds bytes read from w into its answer state machine.  0 while the
 * process is fine, 1 when it broke the protocol and was killed (the rest
 * of p is then dropped), -1 when it broke it before being ready.
 */
static int
worker_feed(struct sandbox *sb, struct sandbox_worker *w, const char *p,
    size_t n, struct buf *err)
{
	struct sandbox_job *head;
	uint64_t len;
	size_t k;

	while (n > 0) {
		head = TAILQ_FIRST(&w->jobs);
		if (!w->ready) {
			if (*p != SANDBOX_READY) {
				worker_end(w);
				if (err != NULL)
					buf_puts(err, "a sandbox worker wrote "
					    "before its sandbox was ready");
				return -1;
			}
			w->ready = 1;
			w->since = now_ms();
			p++;
			n--;
			continue;
		}
		if (w->rx == NULL) {
			k = SANDBOX_ANSWER_HDR - w->rx_hdr_got;
			if (k > n)
				k = n;
			memcpy(w->rx_hdr + w->rx_hdr_got, p, k);
			w->rx_hdr_got += k;
			p += k;
			n -= k;
			if (w->rx_hdr_got < SANDBOX_ANSWER_HDR)
				return 0;
			/*
			 * An answer with no job, or to a job whose input
			 * is not all sent, cannot be; neither can a status
			 * or size we did not allow.
			 */
			memcpy(&len, w->rx_hdr + 1, sizeof(len));
			w->rx_status = w->rx_hdr[0];
			if (head == NULL || head == w->tx) {
				/* Not the head's fault: it goes again. */
				worker_fail(w, NULL, SANDBOX_FAILED);
				return 1;
			}
			if (len > sb->conf.max_output ||
			    (w->rx_status != SANDBOX_ANSWER_OK &&
			    w->rx_status != SANDBOX_ANSWER_FAILED) ||
			    (w->rx_status == SANDBOX_ANSWER_FAILED &&
			    len != 0)) {
				worker_fail(w, head, SANDBOX_FAILED);
				return 1;
			}
			if ((w->rx = malloc((size_t)len + 1)) == NULL) {
				/* Cannot take it: the stream must restart. */
				worker_fail(w, head, SANDBOX_FAILED);
				return 1;
			}
			w->rx_len = (size_t)len;
			w->rx_got = 0;
		}
		k = w->rx_len - w->rx_got;
		if (k > n)
			k = n;
		memcpy(w->rx + w->rx_got, p, k);
		w->rx_got += k;
		p += k;
		n -= k;
		if (w->rx_got < w->rx_len)
			return 0;
		w->rx[w->rx_len] = '\0';
		if (w->rx_status == SANDBOX_ANSWER_OK)
			job_done(w, head, SANDBOX_OK, w->rx, w->rx_len);
		else {
			job_done(w, head, SANDBOX_FAILED, NULL, 0);
			free(w->rx);
		}
		w->rx = NULL;
		w->rx_hdr_got = 0;
		w->answered++;
		w->since = now_ms();
		if (w->answered >= sb->conf.max_jobs) {
			/*
			 * Its jobs are done: it goes now, whatever it would
			 * do next (it exits by itself; one taken over would
			 * not).  The slot's next jobs get a fresh process.
			 */
			worker_end(w);
			return 1;
		}
	}
	return 0;
}

/* Reads what w has written; 0, or -1 when the sandbox failed. */
static int
worker_recv(struct sandbox *sb, struct sandbox_worker *w, struct buf *err)
{
	ssize_t r;
	int f;

	for (;;) {
		r = read(w->h.sock, sb->rbuf, sizeof(sb->rbuf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0)
			return worker_died(w, err);
		if ((f = worker_feed(sb, w, sb->rbuf, (size_t)r, err)) != 0)
			return f == -1 ? -1 : 0;
	}
}

/* When w's current wait ends, in ms; 0 when nothing is waited for. */
static uint64_t
worker_deadline(const struct sandbox *sb, const struct sandbox_worker *w)
{
	const struct sandbox_job *head;
	uint64_t start;

	if (w->h.pid == -1)
		return 0;
	if (!w->ready || w->wr_closed)
		return w->since + sb->conf.deadline_ms;
	if ((head = TAILQ_FIRST(&w->jobs)) == NULL || head->sent_at == 0)
		return 0;
	/* It starts a job when it has it and is done with the one before. */
	start = head->sent_at > w->since ? head->sent_at : w->since;
	return start + sb->conf.deadline_ms;
}

/* Acts on a passed deadline; 0, or -1 when the sandbox failed. */
static int
worker_expire(struct sandbox *sb, struct sandbox_worker *w, uint64_t now,
    struct buf *err)
{
	uint64_t dl = worker_deadline(sb, w);

	if (dl == 0 || now < dl)
		return 0;
	if (w->wr_closed)	/* it stopped reading but not writing */
		return worker_died(w, err);
	if (!w->ready) {
		worker_end(w);
		if (err != NULL)
			buf_puts(err, "a sandbox worker did not get ready "
			    "within the deadline");
		return -1;
	}
	worker_fail(w, TAILQ_FIRST(&w->jobs), SANDBOX_TIMEOUT);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The API                                                             */

int
sandbox_open(const struct sandbox_conf *conf, struct sandbox_zygote *zygote,
    const void *arg, size_t arglen, struct sandbox **out, struct buf *err)
{
	struct sandbox *sb;
	unsigned i;

	*out = NULL;
	if (zygote == NULL || conf->workers == 0 || conf->deadline_ms == 0 ||
	    conf->max_jobs == 0 || conf->max_output >= SIZE_MAX ||
	    conf->max_input >= SIZE_MAX || arglen > SANDBOX_ARG_MAX) {
		if (err != NULL)
			buf_puts(err, "sandbox: bad configuration (workers, "
			    "deadline_ms and max_jobs must be at least 1)");
		return -1;
	}
	if ((sb = calloc(1, sizeof(*sb))) == NULL ||
	    (sb->w = calloc(conf->workers, sizeof(*sb->w))) == NULL ||
	    (sb->pfd = calloc(2 * (size_t)conf->workers + 1,
	    sizeof(*sb->pfd))) == NULL ||
	    (sb->map = calloc(2 * (size_t)conf->workers,
	    sizeof(*sb->map))) == NULL ||
	    (sb->arg = malloc(arglen + 1)) == NULL) {
		if (sb != NULL) {
			free(sb->w);
			free(sb->pfd);
			free(sb->map);
		}
		free(sb);
		if (err != NULL)
			buf_puts(err, "sandbox: out of memory");
		return -1;
	}
	sb->conf = *conf;
	sb->zygote = zygote;
	if (arglen > 0)
		memcpy(sb->arg, arg, arglen);
	sb->spec.max_input = conf->max_input;
	sb->spec.max_output = conf->max_output;
	sb->spec.max_jobs = conf->max_jobs;
	/*
	 * One message per process: a fresh one for every job, so one ready
	 * per slot and one more.  Long-lived workers are rarely replaced.
	 */
	sb->spec.prefork = conf->max_jobs == 1 ? conf->workers + 1 : 1;
	sb->spec.arg = arglen > 0 ? sb->arg : NULL;
	sb->spec.arglen = arglen;
	TAILQ_INIT(&sb->jobs);
	for (i = 0; i < conf->workers; i++) {
		sb->w[i].sb = sb;
		sb->w[i].h.pid = -1;
		sb->w[i].h.sock = sb->w[i].h.err = sb->w[i].h.pidfd = -1;
		TAILQ_INIT(&sb->w[i].jobs);
	}
	*out = sb;
	return 0;
}

int
sandbox_open_own(const struct sandbox_conf *conf, sandbox_fn *fn,
    sandbox_warmup_fn *warmup, void *arg, struct sandbox **out,
    struct buf *err)
{
	struct sandbox_zygote *z;

	*out = NULL;
	if (sandbox_zygote_start(fn, warmup, arg, &z, err) == -1)
		return -1;
	if (sandbox_open(conf, z, NULL, 0, out, err) == -1) {
		sandbox_zygote_stop(z);
		return -1;
	}
	(*out)->own_zygote = 1;
	return 0;
}

/*
 * The slot for a new job: the shortest queue among slots whose process
 * can take it now (or that have none yet), a running process before an
 * idle slot so that workers start only when there is work for them.
 */
static struct sandbox_worker *
pick_slot(struct sandbox *sb)
{
	struct sandbox_worker *w, *best = NULL;
	int open, best_open = 0;
	unsigned i;

	for (i = 0; i < sb->conf.workers; i++) {
		w = &sb->w[i];
		/* Jobs it will still take: max_jobs - answered - queued. */
		open = w->h.pid == -1 ||
		    w->answered + w->njobs < sb->conf.max_jobs;
		if (best == NULL || open > best_open ||
		    (open == best_open && (w->njobs < best->njobs ||
		    (w->njobs == best->njobs && w->h.pid != -1 &&
		    best->h.pid == -1)))) {
			best = w;
			best_open = open;
		}
	}
	return best;
}

int
sandbox_submit(struct sandbox *sb, uint64_t tag, int fd, const char *data,
    size_t len, uint64_t opt, struct buf *err)
{
	struct sandbox_worker *w;
	struct sandbox_job *j;

	if (len > sb->conf.max_input) {
		if (err != NULL)
			buf_printf(err, "sandbox: input of %zu bytes over the "
			    "limit of %zu", len, sb->conf.max_input);
		return -1;
	}
	if (fd < 0 && data == NULL && len > 0) {
		if (err != NULL)
			buf_puts(err, "sandbox: a job without input");
		return -1;
	}
	w = pick_slot(sb);
	if (w->h.pid == -1 && worker_spawn(sb, w, err) == -1)
		return -1;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		if (err != NULL)
			buf_puts(err, "sandbox: out of memory");
		return -1;
	}
	j->tag = tag;
	j->fd = fd;
	j->data = data;
	j->len = len;
	j->opt = opt;
	TAILQ_INSERT_TAIL(&sb->jobs, j, all);
	TAILQ_INSERT_TAIL(&w->jobs, j, slot);
	w->njobs++;
	sb->in_flight++;
	if (w->tx == NULL) {
		w->tx = j;
		w->tx_off = 0;
	}
	/* Its bytes start going out now: the worker may start at once. */
	worker_send(sb, w);
	return 0;
}

/* Drops every job and every process, after a failure of the sandbox. */
static void
sandbox_drop(struct sandbox *sb)
{
	struct sandbox_job *j;
	unsigned i;

	for (i = 0; i < sb->conf.workers; i++) {
		worker_end(&sb->w[i]);
		TAILQ_INIT(&sb->w[i].jobs);
		sb->w[i].njobs = 0;
		sb->w[i].tx = NULL;
	}
	while ((j = TAILQ_FIRST(&sb->jobs)) != NULL) {
		TAILQ_REMOVE(&sb->jobs, j, all);
		free(j->out);
		free(j);
	}
	sb->in_flight = 0;
}

/* Starts a process for every slot that has jobs and none; 0 or -1. */
static int
sandbox_staff(struct sandbox *sb, struct buf *err)
{
	struct sandbox_worker *w;
	unsigned i;

	for (i = 0; i < sb->conf.workers; i++) {
		w = &sb->w[i];
		if (w->h.pid == -1 && w->njobs > 0 &&
		    worker_spawn(sb, w, err) == -1)
			return -1;
		if (worker_wants_out(sb, w))
			worker_send(sb, w);
	}
	return 0;
}

/*
 * One poll() over every worker (both directions) and wake_fd, bounded by
 * the nearest deadline, then the work it shows.  0, 1 when wake_fd is
 * readable, -1 when the sandbox failed.
 */
static int
sandbox_step(struct sandbox *sb, int wake_fd, struct buf *err)
{
	struct sandbox_worker *w;
	uint64_t now, dl, wait = UINT64_MAX;
	unsigned i, n = 0, nsock;
	int timeout;

	now = now_ms();
	for (i = 0; i < sb->conf.workers; i++) {
		w = &sb->w[i];
		if (w->h.sock == -1)
			continue;
		sb->pfd[n].fd = w->h.sock;
		sb->pfd[n].events = POLLIN;
		if (worker_wants_out(sb, w))
			sb->pfd[n].events |= POLLOUT;
		sb->pfd[n].revents = 0;
		sb->map[n++] = i;
		if ((dl = worker_deadline(sb, w)) == 0)
			continue;
		dl = dl > now ? dl - now : 0;
		if (dl < wait)
			wait = dl;
	}
	nsock = n;
	for (i = 0; i < sb->conf.workers; i++) {
		if (sb->w[i].h.err == -1)
			continue;
		sb->pfd[n].fd = sb->w[i].h.err;
		sb->pfd[n].events = POLLIN;
		sb->pfd[n].revents = 0;
		sb->map[n++] = i;
	}
	if (wake_fd >= 0) {
		sb->pfd[n].fd = wake_fd;
		sb->pfd[n].events = POLLIN;
		sb->pfd[n].revents = 0;
	}
	timeout = wait == UINT64_MAX ? -1 : wait > INT32_MAX ? INT32_MAX :
	    (int)wait;
	if (poll(sb->pfd, n + (wake_fd >= 0), timeout) == -1) {
		if (errno == EINTR)
			return 0;
		if (err != NULL)
			buf_printf(err, "poll: %s", strerror(errno));
		return -1;
	}
	/* Complaints first: a worker's last words come before its EOF. */
	for (i = nsock; i < n; i++) {
		w = &sb->w[sb->map[i]];
		if (sb->pfd[i].revents != 0 && w->h.err == sb->pfd[i].fd)
			stderr_read(sb, w, 0);
	}
	for (i = 0; i < nsock; i++) {
		w = &sb->w[sb->map[i]];
		if (sb->pfd[i].revents & POLLOUT)
			worker_send(sb, w);
		/* The send may have ended the process (bad input). */
		if (w->h.sock != -1 && (sb->pfd[i].revents &
		    (POLLIN | POLLHUP | POLLERR)) &&
		    worker_recv(sb, w, err) == -1)
			return -1;
	}
	now = now_ms();
	for (i = 0; i < sb->conf.workers; i++)
		if (worker_expire(sb, &sb->w[i], now, err) == -1)
			return -1;
	return wake_fd >= 0 && sb->pfd[n].revents != 0;
}

int
sandbox_collect(struct sandbox *sb, int wake_fd, uint64_t *tag,
    enum sandbox_status *st, char **out, size_t *outlen, struct buf *err)
{
	struct sandbox_job *j;
	int r;

	*out = NULL;
	*outlen = 0;
	for (;;) {
		if ((j = TAILQ_FIRST(&sb->jobs)) == NULL)
			return 0;
		if (j->done) {
			TAILQ_REMOVE(&sb->jobs, j, all);
			sb->in_flight--;
			*tag = j->tag;
			*st = j->status;
			*out = j->out;
			*outlen = j->outlen;
			free(j);
			return 1;
		}
		if (sandbox_staff(sb, err) == -1)
			break;
		if (j->done)
			continue;	/* its input failed on sending */
		if ((r = sandbox_step(sb, wake_fd, err)) == -1)
			break;
		/* The oldest job may be done in the same step: take it. */
		if (r == 1 && !j->done)
			return 0;
	}
	sandbox_drop(sb);
	return -1;
}

size_t
sandbox_in_flight(const struct sandbox *sb)
{
	return sb->in_flight;
}

void
sandbox_close(struct sandbox *sb)
{
	if (sb == NULL)
		return;
	sandbox_drop(sb);
	if (sb->own_zygote)
		sandbox_zygote_stop(sb->zygote);
	free(sb->arg);
	free(sb->map);
	free(sb->pfd);
	free(sb->w);
	free(sb);
}
