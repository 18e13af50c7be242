/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filer - LMTP's filings, several at once, in filer processes (see
 * include/balp/filer.h).
 *
 * Each filer is a child of balpd on a SOCK_SEQPACKET pair:
 *   balpd -> filer:  struct job + folder, ref, keywords (NUL-ended), and
 *                    the message's descriptor (SCM_RIGHTS)
 *   filer -> balpd:  struct done + why (one line, NUL-ended)
 * One filing at a time per filer; a filer that dies takes only its
 * filing with it (balpd answers 451, Postfix hands the mail again).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILER_SOCK_FD	3
#define FILER_MSG_MAX	(sizeof(struct job) + 3 * FILER_FIELD_MAX)
#define FILER_WHY_MAX	512

struct job {
	uint64_t	size;
	int64_t		arrived;
	uint32_t	folder_len;	/* each with its NUL */
	uint32_t	ref_len;
	uint32_t	keywords_len;
};

struct done {
	int32_t		rc;
};

struct filer_proc {
	pid_t		pid;		/* 0: gone */
	int		sock;
	int		busy;
	uint64_t	cookie;
};

struct filer {
	struct filer_proc	v[FILER_MAX];
	size_t			n;
};

/* ---- the child --------------------------------------------------------- */

static int
recv_job(int sock, char *msg, size_t cap, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { msg, cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	*fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (int)n;
}

static void
send_done(int sock, int rc, const char *why)
{
	char msg[sizeof(struct done) + FILER_WHY_MAX];
	struct done d;
	size_t len = strlen(why);

	if (len >= FILER_WHY_MAX)
		len = FILER_WHY_MAX - 1;
	d.rc = rc;
	memcpy(msg, &d, sizeof(d));
	memcpy(msg + sizeof(d), why, len);
	msg[sizeof(d) + len] = '\0';
	(void)send(sock, msg, sizeof(d) + len + 1, MSG_NOSIGNAL);
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

static void __attribute__((noreturn))
child(const struct source_conf *sc)
{
	static char msg[FILER_MSG_MAX];
	struct source src = { NULL, NULL };
	struct buf why = BUF_INIT;
	const char *folder, *ref, *kw;
	struct job j;
	size_t off;
	int n, fd, rc;

	for (;;) {
		if ((n = recv_job(FILER_SOCK_FD, msg, sizeof(msg), &fd)) == -1)
			_exit(0);	/* balpd closed it: done */
		buf_reset(&why);
		off = sizeof(j);
		if ((size_t)n < sizeof(j) || fd < 0) {
			send_done(FILER_SOCK_FD, -1, "a filing without its message");
			if (fd >= 0)
				(void)close(fd);
			continue;
		}
		memcpy(&j, msg, sizeof(j));
		if ((folder = field(msg, (size_t)n, &off, j.folder_len)) ==
		    NULL || (ref = field(msg, (size_t)n, &off, j.ref_len)) ==
		    NULL || (kw = field(msg, (size_t)n, &off, j.keywords_len)) ==
		    NULL) {
			send_done(FILER_SOCK_FD, -1, "a malformed filing");
			(void)close(fd);
			continue;
		}
		rc = -1;
		if (src.ops == NULL &&
		    source_registry_open(sc, 0, &src, &why) == -1)
			src.ops = NULL;
		else if (src.ops->append(src.state, folder, ref, fd, j.size,
		    kw, (time_t)j.arrived, &why) == 0)
			rc = 0;
		else {
			/* A session that failed is opened afresh next time. */
			src.ops->close(src.state);
			src.ops = NULL;
		}
		(void)close(fd);
		send_done(FILER_SOCK_FD, rc, buf_str(&why));
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

int
filer_open(const struct source_conf *sc, unsigned n, struct filer **out,
    struct buf *err)
{
	struct filer *f;
	unsigned i;

	*out = NULL;
	if (n == 0 || n > FILER_MAX) {
		buf_printf(err, "filers: 1..%d", FILER_MAX);
		return -1;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
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
	p->busy = 0;
}

void
filer_close(struct filer *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		proc_end(&f->v[i]);
	free(f);
}

size_t
filer_idle(const struct filer *f)
{
	size_t i, k = 0;

	for (i = 0; f != NULL && i < f->n; i++)
		if (f->v[i].pid > 0 && !f->v[i].busy)
			k++;
	return k;
}

size_t
filer_nfds(const struct filer *f)
{
	return f != NULL ? f->n : 0;
}

int
filer_submit(struct filer *f, uint64_t cookie, const char *folder,
    const char *ref, int fd, uint64_t size, const char *keywords,
    time_t arrived, struct buf *err)
{
	static char msg[FILER_MSG_MAX];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct filer_proc *p = NULL;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	struct job j;
	size_t i, off, fl, rl, kl;
	ssize_t w;

	if (keywords == NULL)
		keywords = "";
	fl = strlen(folder) + 1;
	rl = strlen(ref) + 1;
	kl = strlen(keywords) + 1;
	if (fl > FILER_FIELD_MAX || rl > FILER_FIELD_MAX ||
	    kl > FILER_FIELD_MAX) {
		buf_puts(err, "a filing too long for a filer");
		return -1;
	}
	for (i = 0; i < f->n && p == NULL; i++)
		if (f->v[i].pid > 0 && !f->v[i].busy)
			p = &f->v[i];
	if (p == NULL) {
		buf_puts(err, "no filer free");
		return -1;
	}
	memset(&j, 0, sizeof(j));
	j.size = size;
	j.arrived = (int64_t)arrived;
	j.folder_len = (uint32_t)fl;
	j.ref_len = (uint32_t)rl;
	j.keywords_len = (uint32_t)kl;
	memcpy(msg, &j, sizeof(j));
	off = sizeof(j);
	memcpy(msg + off, folder, fl);
	off += fl;
	memcpy(msg + off, ref, rl);
	off += rl;
	memcpy(msg + off, keywords, kl);
	off += kl;
	iov.iov_base = msg;
	iov.iov_len = off;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		w = sendmsg(p->sock, &mh, MSG_NOSIGNAL);
	while (w == -1 && errno == EINTR);
	if (w != (ssize_t)off) {
		buf_printf(err, "a filer cannot be told: %s",
		    w == -1 ? strerror(errno) : "short write");
		proc_end(p);
		return -1;
	}
	p->busy = 1;
	p->cookie = cookie;
	return 0;
}

size_t
filer_pollfds(struct filer *f, struct pollfd *pfd)
{
	size_t i, n = 0;

	for (i = 0; f != NULL && i < f->n; i++) {
		if (f->v[i].pid <= 0 || !f->v[i].busy)
			continue;
		pfd[n].fd = f->v[i].sock;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

void
filer_reap(struct filer *f, const struct pollfd *pfd, size_t n,
    filer_done_fn *done, void *arg)
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
			if (f->v[i].pid > 0 && f->v[i].busy &&
			    f->v[i].sock == pfd[k].fd)
				p = &f->v[i];
		if (p == NULL)
			continue;
		do
			r = recv(p->sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		while (r == -1 && errno == EINTR);
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		p->busy = 0;
		if (r < (ssize_t)sizeof(d)) {
			uint64_t cookie = p->cookie;

			proc_end(p);
			done(cookie, -1, "the filer process died", arg);
			continue;
		}
		msg[r] = '\0';
		memcpy(&d, msg, sizeof(d));
		done(p->cookie, d.rc == 0 ? 0 : -1, msg + sizeof(d), arg);
	}
}
