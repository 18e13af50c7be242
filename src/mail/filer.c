/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filer - LMTP's filings, several at once, in filer processes (see
 * include/balp/filer.h).
 *
 * Each filer is a child of balpd on a SOCK_SEQPACKET pair:
 *   balpd -> filer:  struct job + folder, then per message struct item +
 *                    ref, keywords (NUL-ended); the messages' descriptors
 *                    (SCM_RIGHTS, in order)
 *   filer -> balpd:  struct done (each message's rc) + why (one line)
 * One job at a time per filer, into one folder; a filer that dies takes
 * only its job with it (balpd answers 451, Postfix hands the mail again).
 *
 * balpd's side keeps the filings that wait, in arrival order, and hands
 * a free filer the oldest one whose folder no filer has in hand, with
 * every later one for that folder (FILER_BATCH_MAX, FILER_BATCH_BYTES).
 * With no filer left, it files them so itself, with the source balpd
 * lends (its own session): what waits is not failed, and what comes
 * later still finds the filing it follows.
 *
 * The child keeps only its socket (as descriptor 3) and the standard
 * ones: not the LMTP sockets, the store, nor balpd's own IMAP session.
 * It dies with balpd (PR_SET_PDEATHSIG).
 */
#include "balp/filer.h"
#include "balp/source_registry.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILER_SOCK_FD	3
#define FILER_WHY_MAX	512

struct job {
	uint32_t	n;
	uint32_t	folder_len;	/* with its NUL */
};

struct item {
	uint64_t	size;
	int64_t		arrived;
	uint32_t	ref_len;	/* each with its NUL */
	uint32_t	keywords_len;
};

#define FILER_MSG_MAX	(sizeof(struct job) + FILER_FIELD_MAX + \
			 FILER_BATCH_MAX * (sizeof(struct item) + \
			 2 * FILER_FIELD_MAX))

struct done {
	int32_t		n;
	int32_t		rc[FILER_BATCH_MAX];
};

/*
 * A filing waiting for a filer (balpd's side); its strings and fd own.
 * A follower is the same message (folder and ref: one decision) handed
 * over again while it is still being filed (two sessions of Postfix, a
 * mail to two of the BALP's addresses): it is not filed twice, it is
 * answered with the filing it follows.
 */
struct filing {
	uint64_t	 cookie;
	char		*folder;
	char		*ref;
	char		*keywords;
	int		 fd;
	uint64_t	 size;
	time_t		 arrived;
	int		 follows;
};

/*
 * A job handed over (to a filer, or filed here): whom its answer goes
 * to.  Its folder and refs own.
 */
struct hand {
	size_t		 n;		/* filings; 0: none */
	uint64_t	 cookies[FILER_BATCH_MAX];
	char		*refs[FILER_BATCH_MAX];
	char		*folder;
	struct timespec	 since;		/* handed over */
	int		 here;		/* filed by the caller */
};

struct filer_proc {
	pid_t		pid;		/* 0: gone */
	int		sock;
	struct hand	job;		/* n 0: free */
};

struct filer {
	struct filer_proc	 v[FILER_MAX];
	size_t			 n;
	struct filing		*queue;		/* arrival order */
	size_t			 n_queue, queue_max;
};

/* ---- the child --------------------------------------------------------- */

static int
recv_job(int sock, char *msg, size_t cap, int *fds, size_t *nfd)
{
	char cbuf[CMSG_SPACE(FILER_BATCH_MAX * sizeof(int))];
	struct iovec iov = { msg, cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	size_t k;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	*nfd = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS) {
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (*nfd + k > FILER_BATCH_MAX)
				k = FILER_BATCH_MAX - *nfd;
			memcpy(fds + *nfd, CMSG_DATA(c), k * sizeof(int));
			*nfd += k;
		}
	return (int)n;
}

static void
send_done(int sock, const struct done *d, const char *why)
{
	char msg[sizeof(struct done) + FILER_WHY_MAX];
	size_t len = strlen(why);

	if (len >= FILER_WHY_MAX)
		len = FILER_WHY_MAX - 1;
	memcpy(msg, d, sizeof(*d));
	memcpy(msg + sizeof(*d), why, len);
	msg[sizeof(*d) + len] = '\0';
	(void)send(sock, msg, sizeof(*d) + len + 1, MSG_NOSIGNAL);
}

/* A field of the job at *off, NUL-ended within len bytes; NULL if not. */
static const char *
field(const char *msg, size_t n, size_t *off, uint32_t len)
{
	const char *f = msg + *off;

	if (len == 0 || len > FILER_FIELD_MAX || *off + len > n ||
	    f[len - 1] != '\0')
		return NULL;
	*off += len;
	return f;
}

/* The job's messages into v (fds in order).  The folder, or NULL. */
static const char *
parse_job(const char *msg, size_t n, const int *fds, size_t nfd,
    struct source_filing *v, size_t *nv)
{
	const char *folder;
	struct job j;
	struct item it;
	size_t off = sizeof(j), i;

	if (n < sizeof(j))
		return NULL;
	memcpy(&j, msg, sizeof(j));
	if (j.n == 0 || j.n > FILER_BATCH_MAX || j.n != nfd ||
	    (folder = field(msg, n, &off, j.folder_len)) == NULL)
		return NULL;
	for (i = 0; i < j.n; i++) {
		if (off + sizeof(it) > n)
			return NULL;
		memcpy(&it, msg + off, sizeof(it));
		off += sizeof(it);
		memset(&v[i], 0, sizeof(v[i]));
		if ((v[i].ref = field(msg, n, &off, it.ref_len)) == NULL ||
		    (v[i].keywords = field(msg, n, &off, it.keywords_len)) ==
		    NULL)
			return NULL;
		v[i].fd = fds[i];
		v[i].size = it.size;
		v[i].arrived = (time_t)it.arrived;
		v[i].rc = -1;
	}
	*nv = j.n;
	return folder;
}

static void __attribute__((noreturn))
child(const struct source_conf *sc)
{
	static char msg[FILER_MSG_MAX];
	struct source_filing v[FILER_BATCH_MAX];
	struct source src = { NULL, NULL };
	struct buf why = BUF_INIT;
	struct done d;
	const char *folder;
	int fds[FILER_BATCH_MAX];
	size_t nfd, nv, i;
	int n;

	/* What ps and an operator's pkill name it. */
	(void)prctl(PR_SET_NAME, "balp-filer", 0, 0, 0);
	for (;;) {
		if ((n = recv_job(FILER_SOCK_FD, msg, sizeof(msg), fds,
		    &nfd)) == -1)
			_exit(0);	/* balpd closed it: done */
		buf_reset(&why);
		memset(&d, 0, sizeof(d));
		nv = 0;
		if ((folder = parse_job(msg, (size_t)n, fds, nfd, v, &nv)) ==
		    NULL)
			buf_puts(&why, "a malformed filing");
		else if (src.ops == NULL &&
		    source_registry_open(sc, 0, &src, &why) == -1)
			src.ops = NULL;
		else if (source_append_many(&src, folder, v, nv, &why) ==
		    -1) {
			/* A session that failed is opened afresh next time. */
			src.ops->close(src.state);
			src.ops = NULL;
		}
		d.n = (int32_t)nv;
		for (i = 0; i < nv; i++)
			d.rc[i] = v[i].rc == 0 ? 0 : -1;
		for (i = 0; i < nfd; i++)
			(void)close(fds[i]);
		send_done(FILER_SOCK_FD, &d, buf_str(&why));
	}
}

static pid_t
spawn(const struct source_conf *sc, int *sock, struct buf *err)
{
	sigset_t none;
	pid_t pid, parent = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		buf_printf(err, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		buf_printf(err, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
		    getppid() != parent)
			_exit(1);
		/* balpd's signals come through its signalfd: blocked. */
		(void)sigemptyset(&none);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGHUP, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], FILER_SOCK_FD) == -1 ||
		    syscall(SYS_close_range, FILER_SOCK_FD + 1U, ~0U, 0) == -1)
			_exit(1);
		child(sc);
	}
	(void)close(sv[1]);
	*sock = sv[0];
	return pid;
}

/* ---- balpd's side ------------------------------------------------------ */

static void
filing_free(struct filing *q)
{
	free(q->folder);
	free(q->ref);
	free(q->keywords);
	if (q->fd >= 0)
		(void)close(q->fd);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

int
filer_open(const struct source_conf *sc, unsigned n, size_t queue_max,
    struct filer **out, struct buf *err)
{
	struct filer *f;
	unsigned i;

	*out = NULL;
	if (n == 0 || n > FILER_MAX) {
		buf_printf(err, "filers: 1..%d", FILER_MAX);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->queue = calloc(queue_max > 0 ? queue_max : 1,
	    sizeof(*f->queue))) == NULL) {
		free(f);
		buf_puts(err, "out of memory");
		return -1;
	}
	f->queue_max = queue_max;
	for (i = 0; i < n; i++) {
		if ((f->v[i].pid = spawn(sc, &f->v[i].sock, err)) == -1) {
			f->v[i].pid = 0;
			filer_close(f);
			return -1;
		}
		f->n++;
	}
	*out = f;
	return 0;
}

/* Ends a filer; its job in hand is the caller's to fail. */
static void
proc_end(struct filer_proc *p)
{
	int status;

	if (p->pid <= 0)
		return;
	(void)close(p->sock);
	p->sock = -1;
	/* A filing in hand ends here: Postfix hands its mail again. */
	(void)kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) == -1 && errno == EINTR)
		;
	p->pid = 0;
}

static void
hand_free(struct hand *h)
{
	while (h->n > 0)
		free(h->refs[--h->n]);
	free(h->folder);
	h->folder = NULL;
}

/* The queue without the filings at pick[0..n) (ascending), in order. */
static void
queue_remove(struct filer *f, const size_t *pick, size_t n)
{
	size_t i, k = 0, w = 0;

	for (i = 0; i < f->n_queue; i++) {
		if (k < n && pick[k] == i) {
			filing_free(&f->queue[i]);
			k++;
			continue;
		}
		f->queue[w++] = f->queue[i];
	}
	f->n_queue = w;
}

/* The filings at pick[0..n) (one folder) out of the queue, into h. */
static void
hand_take(struct filer *f, const size_t *pick, size_t n, struct hand *h)
{
	size_t i;

	(void)clock_gettime(CLOCK_MONOTONIC, &h->since);
	h->here = 0;
	/* The folder, the refs and the cookies move to h. */
	h->folder = f->queue[pick[0]].folder;
	f->queue[pick[0]].folder = NULL;
	for (i = 0; i < n; i++) {
		h->cookies[i] = f->queue[pick[i]].cookie;
		h->refs[i] = f->queue[pick[i]].ref;
		f->queue[pick[i]].ref = NULL;
	}
	h->n = n;
	queue_remove(f, pick, n);
}

/* The followers of folder's ref answered as it was. */
static void
followers_done(struct filer *f, const char *folder, const char *ref, int rc,
    const char *why, const struct filer_hooks *hk)
{
	uint64_t cookie;
	size_t i = 0;

	/* done() may queue more (at the end): indexes before stay. */
	while (i < f->n_queue) {
		if (!f->queue[i].follows || strcmp(f->queue[i].folder,
		    folder) != 0 || strcmp(f->queue[i].ref, ref) != 0) {
			i++;
			continue;
		}
		cookie = f->queue[i].cookie;
		queue_remove(f, &i, 1);
		hk->done(cookie, rc, why, hk->arg);
	}
}

/*
 * The job in h answered, h emptied first (its filer is free before
 * done() runs: done may queue again): rc[i] each (NULL: all failed), why
 * for the failed ones; with their followers.
 */
static void
hand_done(struct filer *f, struct hand *h, const int32_t *rc,
    const char *why, const struct filer_hooks *hk)
{
	struct hand job = *h;
	struct filer_job rep;
	struct timespec now;
	size_t i;
	int ok;

	h->n = 0;
	h->folder = NULL;
	memset(&rep, 0, sizeof(rep));
	for (i = 0; i < job.n; i++) {
		ok = rc != NULL && rc[i] == 0;
		rep.failed += !ok;
		hk->done(job.cookies[i], ok ? 0 : -1, ok ? "" : why, hk->arg);
		if (job.folder != NULL && job.refs[i] != NULL)
			followers_done(f, job.folder, job.refs[i], ok ? 0 : -1,
			    ok ? "" : why, hk);
	}
	if (hk->job != NULL && job.folder != NULL) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		rep.folder = job.folder;
		rep.n = job.n;
		rep.here = job.here;
		rep.usec = (uint64_t)((now.tv_sec - job.since.tv_sec) *
		    1000000 + (now.tv_nsec - job.since.tv_nsec) / 1000);
		hk->job(&rep, hk->arg);
	}
	hand_free(&job);
}

void
filer_close(struct filer *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		proc_end(&f->v[i]);
		hand_free(&f->v[i].job);
	}
	for (i = 0; i < f->n_queue; i++)
		filing_free(&f->queue[i]);
	free(f->queue);
	free(f);
}

size_t
filer_alive(const struct filer *f)
{
	size_t i, k = 0;

	for (i = 0; f != NULL && i < f->n; i++)
		if (f->v[i].pid > 0)
			k++;
	return k;
}

size_t
filer_nfds(const struct filer *f)
{
	return f != NULL ? f->n : 0;
}

/* The filer that has folder in hand, or NULL. */
static const struct hand *
in_hand(const struct filer *f, const char *folder)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].pid > 0 && f->v[i].job.n > 0 &&
		    f->v[i].job.folder != NULL &&
		    strcmp(f->v[i].job.folder, folder) == 0)
			return &f->v[i].job;
	return NULL;
}

/* Whether this message is queued or in hand already. */
static int
filing_known(const struct filer *f, const char *folder, const char *ref)
{
	const struct hand *h;
	size_t i;

	for (i = 0; i < f->n_queue; i++)
		if (!f->queue[i].follows && strcmp(f->queue[i].folder,
		    folder) == 0 && strcmp(f->queue[i].ref, ref) == 0)
			return 1;
	/* One filer at a time has a folder in hand. */
	if ((h = in_hand(f, folder)) != NULL)
		for (i = 0; i < h->n; i++)
			if (h->refs[i] != NULL && strcmp(h->refs[i], ref) == 0)
				return 1;
	return 0;
}

int
filer_submit(struct filer *f, uint64_t cookie, const char *folder,
    const char *ref, int fd, uint64_t size, const char *keywords,
    time_t arrived, struct buf *err)
{
	struct filing *q;

	if (keywords == NULL)
		keywords = "";
	if (strlen(folder) >= FILER_FIELD_MAX || strlen(ref) >=
	    FILER_FIELD_MAX || strlen(keywords) >= FILER_FIELD_MAX) {
		buf_puts(err, "a filing too long for a filer");
		return -1;
	}
	/* With no filer left, it waits all the same: filer_dispatch()
	 * files it here, after what it may follow. */
	if (f->n_queue >= f->queue_max) {
		buf_puts(err, "too many filings waiting");
		return -1;
	}
	q = &f->queue[f->n_queue];
	memset(q, 0, sizeof(*q));
	q->cookie = cookie;
	q->size = size;
	q->arrived = arrived;
	q->folder = strdup(folder);
	q->ref = strdup(ref);
	q->keywords = strdup(keywords);
	q->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (q->folder == NULL || q->ref == NULL || q->keywords == NULL ||
	    q->fd == -1) {
		buf_printf(err, "cannot queue a filing: %s",
		    q->fd == -1 ? strerror(errno) : "out of memory");
		filing_free(q);
		return -1;
	}
	q->follows = filing_known(f, folder, ref);
	f->n_queue++;
	return q->follows ? 1 : 0;
}

/* Appends s with its NUL at *off. */
static void
put_field(char *msg, size_t *off, const char *s, size_t len)
{
	memcpy(msg + *off, s, len);
	*off += len;
}

/*
 * Tells p to file the filings at pick[0..n) of the queue (one folder).
 * 0; -1 (p ended).
 */
static int
send_job(struct filer *f, struct filer_proc *p, const size_t *pick,
    size_t n)
{
	static char msg[FILER_MSG_MAX];
	char cbuf[CMSG_SPACE(FILER_BATCH_MAX * sizeof(int))];
	int fds[FILER_BATCH_MAX];
	const struct filing *q = &f->queue[pick[0]];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	struct job j;
	struct item it;
	size_t i, off = 0;
	ssize_t w;

	memset(&j, 0, sizeof(j));
	j.n = (uint32_t)n;
	j.folder_len = (uint32_t)strlen(q->folder) + 1;
	memcpy(msg, &j, sizeof(j));
	off = sizeof(j);
	put_field(msg, &off, q->folder, j.folder_len);
	for (i = 0; i < n; i++) {
		q = &f->queue[pick[i]];
		memset(&it, 0, sizeof(it));
		it.size = q->size;
		it.arrived = (int64_t)q->arrived;
		it.ref_len = (uint32_t)strlen(q->ref) + 1;
		it.keywords_len = (uint32_t)strlen(q->keywords) + 1;
		memcpy(msg + off, &it, sizeof(it));
		off += sizeof(it);
		put_field(msg, &off, q->ref, it.ref_len);
		put_field(msg, &off, q->keywords, it.keywords_len);
		fds[i] = q->fd;
	}
	iov.iov_base = msg;
	iov.iov_len = off;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	do
		w = sendmsg(p->sock, &mh, MSG_NOSIGNAL);
	while (w == -1 && errno == EINTR);
	if (w != (ssize_t)off) {
		proc_end(p);
		return -1;
	}
	return 0;
}

/*
 * The next job into pick: the oldest filing whose folder no filer has in
 * hand, with every later one for that folder (FILER_BATCH_MAX,
 * FILER_BATCH_BYTES).  Its count; 0: none.
 */
static size_t
next_job(const struct filer *f, size_t *pick)
{
	size_t first, i, n = 0;
	uint64_t bytes = 0;

	for (first = 0; first < f->n_queue && (f->queue[first].follows ||
	    in_hand(f, f->queue[first].folder) != NULL); first++)
		;
	for (i = first; i < f->n_queue && n < FILER_BATCH_MAX; i++) {
		if (f->queue[i].follows || strcmp(f->queue[i].folder,
		    f->queue[first].folder) != 0)
			continue;
		if (n > 0 && bytes + f->queue[i].size > FILER_BATCH_BYTES)
			break;
		bytes += f->queue[i].size;
		pick[n++] = i;
	}
	return n;
}

/*
 * No filer left: the job at pick[0..n) filed here, with hk->here, as a
 * filer would (source_append_many), and answered.
 */
static void
file_here(struct filer *f, const size_t *pick, size_t n,
    const struct filer_hooks *hk)
{
	struct source_filing v[FILER_BATCH_MAX];
	int32_t rc[FILER_BATCH_MAX];
	struct buf why = BUF_INIT;
	struct timespec since;
	struct hand job;
	const struct filing *q;
	size_t i;

	(void)clock_gettime(CLOCK_MONOTONIC, &since);
	for (i = 0; i < n; i++) {
		q = &f->queue[pick[i]];
		memset(&v[i], 0, sizeof(v[i]));
		v[i].ref = q->ref;
		v[i].fd = q->fd;
		v[i].size = q->size;
		v[i].keywords = q->keywords;
		v[i].arrived = q->arrived;
		v[i].rc = -1;
	}
	if (hk->here == NULL)
		buf_puts(&why, "no filer left");
	else
		(void)source_append_many(hk->here, f->queue[pick[0]].folder,
		    v, n, &why);
	for (i = 0; i < n; i++)
		rc[i] = v[i].rc == 0 ? 0 : -1;
	memset(&job, 0, sizeof(job));
	hand_take(f, pick, n, &job);
	job.since = since;
	job.here = 1;
	hand_done(f, &job, rc, buf_str(&why), hk);
	buf_free(&why);
}

void
filer_dispatch(struct filer *f, const struct filer_hooks *hk)
{
	size_t pick[FILER_BATCH_MAX], n, k;
	struct filer_proc *p;

	if (f == NULL)
		return;
	for (k = 0; k < f->n && f->n_queue > 0; k++) {
		p = &f->v[k];
		if (p->pid <= 0 || p->job.n > 0)
			continue;
		if ((n = next_job(f, pick)) == 0)
			break;
		/* Not told (it died): the job waits for the next one. */
		if (send_job(f, p, pick, n) == 0)
			hand_take(f, pick, n, &p->job);
	}
	/*
	 * No filer left: what waits is filed here, one job at a time (a
	 * follower with what it follows; what followed a dead filer's
	 * filings was answered with them).
	 */
	while (filer_alive(f) == 0 && (n = next_job(f, pick)) > 0)
		file_here(f, pick, n, hk);
}

size_t
filer_pollfds(struct filer *f, struct pollfd *pfd)
{
	size_t i, n = 0;

	/* The free ones too: one that dies between jobs is seen gone. */
	for (i = 0; f != NULL && i < f->n; i++) {
		if (f->v[i].pid <= 0)
			continue;
		pfd[n].fd = f->v[i].sock;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

void
filer_reap(struct filer *f, const struct pollfd *pfd, size_t n,
    const struct filer_hooks *hk)
{
	char msg[sizeof(struct done) + FILER_WHY_MAX];
	struct filer_proc *p;
	struct done d;
	size_t i, k;
	ssize_t r;

	for (k = 0; f != NULL && k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		for (i = 0, p = NULL; i < f->n && p == NULL; i++)
			if (f->v[i].pid > 0 && f->v[i].sock == pfd[k].fd)
				p = &f->v[i];
		if (p == NULL)
			continue;
		do
			r = recv(p->sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		while (r == -1 && errno == EINTR);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (p->job.n == 0) {
			/* A free filer says nothing: it is gone. */
			proc_end(p);
			continue;
		}
		memcpy(&d, msg, r >= (ssize_t)sizeof(d) ? sizeof(d) : 0);
		if (r < (ssize_t)sizeof(d) || d.n < 0 ||
		    (size_t)d.n != p->job.n) {
			proc_end(p);
			hand_done(f, &p->job, NULL, r < (ssize_t)sizeof(d) ?
			    "the filer process died" :
			    "the filer answered another filing", hk);
			continue;
		}
		msg[r] = '\0';
		hand_done(f, &p->job, d.rc, msg + sizeof(d), hk);
	}
}
