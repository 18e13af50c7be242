/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_zygote - the zygote and the workers it forks (see
 * include/balp/sandbox_zygote.h and docs/sandbox.md).
 *
 * Control protocol, on a SOCK_SEQPACKET socketpair (one request, one
 * answer, in order; host byte order):
 *   caller -> zygote:  struct zreq, then spec.arglen bytes of argument
 *   zygote -> caller:  'K', i64 pid, with 3 descriptors (SCM_RIGHTS: the
 *                      caller's end of the worker's socket, its stderr's
 *                      read end, its pidfd); or 'E' and a message
 * The caller's end closing is the zygote's end: it kills its workers and
 * exits.
 *
 * Ownership: the zygote's pool holds the descriptors of its ready
 * workers until they are handed over (then they are the caller's) or
 * dropped (killed, closed).  Every worker is reaped by the zygote.
 */
#include "balp/sandbox_zygote.h"
#include "balp/sandbox_image.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_UNDER_ASAN 1
#endif
#endif

#if defined(__x86_64__)
#define SANDBOX_SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#endif

#if defined(SANDBOX_SECCOMP_ARCH) && !defined(SANDBOX_UNDER_ASAN)
#define SANDBOX_FILTER 1
#endif

#define SANDBOX_AS_BYTES	(1024UL * 1024 * 1024)
/* The zygote's control socket, and a worker's job socket. */
#define ZYGOTE_CTL_FD		3
#define WORKER_SOCK_FD		3
/* Ready workers the zygote keeps at most, whatever a spec asks. */
#define ZYGOTE_POOL_MAX		16
/* Exit statuses, for whoever reads them (the zygote does not report). */
#define EXIT_SETUP		4	/* could not enter the sandbox */
#define EXIT_PROTO		5	/* broken stream or ENOMEM */
#define EXIT_HOOK		6

struct zreq {
	uint64_t	max_input;
	uint64_t	max_output;
	uint32_t	max_jobs;
	uint32_t	prefork;
	uint32_t	arglen;
	uint32_t	pad;
};

struct sandbox_zygote {
	pid_t	pid;
	int	ctl;
};

/* The zygote's own state (in the zygote process only). */
struct zpool_entry {
	struct sandbox_handle	h;
	int			crash;	/* forked while the hook held */
};

struct zstate {
	sandbox_fn		*fn;
	sandbox_warmup_fn	*warmup;
	void			*arg;
	int			 warm;		/* warm-up done */
	const char		*hook;		/* SANDBOX_CRASH_HOOK_ENV */
	int			 under_valgrind;
	struct zreq		 spec;		/* the pool's */
	char			*specarg;	/* its argument bytes */
	struct zpool_entry	 pool[ZYGOTE_POOL_MAX];
	unsigned		 npool;
	unsigned		 want;		/* ready workers to keep */
};

int
sandbox_filtered(void)
{
#ifdef SANDBOX_FILTER
	return 1;
#else
	return 0;
#endif
}

/* ------------------------------------------------------------------ */
/* Small helpers (both sides)                                          */

/* Lowers a limit; never tries to raise a hard limit (EPERM). */
static void
lower_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) == -1)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < hard)
		hard = rl.rlim_max;
	if (soft > hard)
		soft = hard;
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	(void)setrlimit(resource, &rl);
}

static int
write_all(int fd, const void *vp, size_t n)
{
	const char *p = vp;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 1 when all n bytes were read, 0 on EOF before the first, else -1. */
static int
read_all(int fd, void *vp, size_t n)
{
	char *p = vp;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 0;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 1;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

void
sandbox_handle_kill(const struct sandbox_handle *h)
{
	if (h->pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
	else if (h->pid > 0)
		/* No pidfd (valgrind does not know pidfd_open): by pid. */
		(void)kill((pid_t)h->pid, SIGKILL);
}

void
sandbox_handle_close(struct sandbox_handle *h)
{
	close_fd(&h->sock);
	close_fd(&h->err);
	close_fd(&h->pidfd);
}

/*
 * Every signal handler back to the default and the mask emptied: a
 * handler inherited from the caller (a test runner's longjmp, a daemon's)
 * could resume a process whose heap is corrupt, and a SIGTERM a daemon
 * blocks for its signalfd would otherwise stay blocked.
 */
static void
default_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);	/* SIGKILL...: EINVAL */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ------------------------------------------------------------------ */
/* The worker                                                          */

/*
 * A job's header, and the descriptor that may come with it.  1 when read,
 * 0 on EOF before the first byte, -1 otherwise.  *fd is -1 when no
 * descriptor came (one more than expected is closed: it is not ours).
 */
static int
read_header(int sock, uint64_t h[2], int *fd)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cm;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	char *p = (char *)h;
	size_t got = 0;
	ssize_t r;
	int passed;

	*fd = -1;
	while (got < SANDBOX_JOB_HDR) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = p + got;
		iov.iov_len = SANDBOX_JOB_HDR - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0 && got == 0)
			return 0;
		if (r <= 0 || (mh.msg_flags & MSG_CTRUNC))
			return -1;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len == CMSG_LEN(sizeof(int))) {
				memcpy(&passed, CMSG_DATA(c), sizeof(int));
				if (*fd == -1)
					*fd = passed;
				else
					(void)close(passed);
			}
		got += (size_t)r;
	}
	return 1;
}

/*
 * The input of a job sent as a descriptor, mapped read-only: 0 with *map
 * (len bytes; munmap it), or -1 when the file is shorter than len (it
 * changed since it was listed: reading past its end would kill us).  Its
 * size by lseek: the filter refuses the stat family.
 */
static int
map_input(int fd, size_t len, void **map)
{
	off_t end;

	*map = NULL;
	if ((end = lseek(fd, 0, SEEK_END)) == -1 || (uint64_t)end < len)
		return -1;
	if (len == 0)
		return 0;
	if ((*map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		*map = NULL;
		return -1;
	}
	return 0;
}

/*
 * What a worker may do once it holds untrusted bytes: compute, allocate,
 * read its job, write its answer (fd 3) and its complaints (fd 2), signal
 * itself (abort, raise), die.  Everything else fails with EPERM (libc then
 * falls back: stdio without fstat buffers as it would a pipe), so code run
 * through a parser bug can neither open, stat nor connect anything, nor
 * signal balpd or another worker.  The pid is this worker's own, known
 * after its fork: the filter is built for it.  A foreign architecture's
 * system call numbers mean something else: kill.
 */
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define ARG0_LO	(offsetof(struct seccomp_data, args[0]))
#define ARG0_HI	(offsetof(struct seccomp_data, args[0]) + 4)
/* nr allowed when its first argument is a or b (8 instructions; each
 * ends in a return, so the accumulator it loads never leaks out). */
#define ALLOW_ARG0(nr, a, b) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 7), \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3), \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (a), 2, 0), \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (b), 1, 0), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & 0xffff)), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int
worker_filter(pid_t self, int any_write)
{
#ifdef SANDBOX_FILTER
	uint32_t me = (uint32_t)self;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		/* valgrind's own scheduler writes to a pipe of its own. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, any_write ? __NR_write :
		    ~0U, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		ALLOW_ARG0(__NR_write, 2, WORKER_SOCK_FD),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW_ARG0(__NR_writev, 2, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW_ARG0(__NR_tgkill, me, me),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW_ARG0(__NR_kill, me, me),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_read), ALLOW(__NR_recvmsg), ALLOW(__NR_close),
		ALLOW(__NR_exit), ALLOW(__NR_exit_group), ALLOW(__NR_brk),
		ALLOW(__NR_mmap), ALLOW(__NR_munmap), ALLOW(__NR_mremap),
		ALLOW(__NR_mprotect), ALLOW(__NR_madvise), ALLOW(__NR_futex),
		ALLOW(__NR_rt_sigreturn), ALLOW(__NR_rt_sigprocmask),
		ALLOW(__NR_getpid), ALLOW(__NR_gettid), ALLOW(__NR_lseek),
		ALLOW(__NR_clock_gettime), ALLOW(__NR_getrandom),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & 0xffff)),
	};
	struct sock_fprog prog = {
		(unsigned short)(sizeof(filter) / sizeof(filter[0])), filter
	};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	(void)self;
	(void)any_write;
	return 0;
#endif
}

/* Only its socket (as fd 3) and its stderr pipe (as fd 2) stay open. */
static int
worker_fds(int sock, int errw)
{
	/* Out of the way first: either may sit on 2 or 3. */
	if ((sock = fcntl(sock, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (errw = fcntl(errw, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    dup2(errw, 2) == -1 || dup2(sock, WORKER_SOCK_FD) == -1)
		return -1;
	(void)close(0);
	(void)close(1);
	if (syscall(SYS_close_range, WORKER_SOCK_FD + 1U, ~0U, 0) == -1)
		return -1;
	return 0;
}

static void __attribute__((noreturn))
worker_main(const struct zstate *z, int sock, int errw, pid_t zygote,
    int crash)
{
	unsigned char hdr[SANDBOX_ANSWER_HDR];
	const struct zreq *s = &z->spec;
	void *arg = z->spec.arglen > 0 ? z->specarg : z->arg;
	struct buf out;
	char *in = NULL, *p;
	const char *input;
	void *map;
	size_t cap = 0, len, olen;
	uint64_t n, h[2];
	unsigned served;
	int r, status, infd;

	/* It dies with the zygote, which dies with its caller. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != zygote || worker_fds(sock, errw) == -1 ||
	    worker_filter(getpid(), z->under_valgrind) == -1)
		_exit(EXIT_SETUP);
	hdr[0] = SANDBOX_READY;
	if (write_all(WORKER_SOCK_FD, hdr, 1) == -1)
		_exit(EXIT_SETUP);
	for (served = 0; served < s->max_jobs; served++) {
		if ((r = read_header(WORKER_SOCK_FD, h, &infd)) == 0)
			_exit(0);	/* the caller is done with us */
		if (crash)
			abort();
		n = h[0];
		if (r == -1 || (infd >= 0) != ((n & SANDBOX_BY_FD) != 0) ||
		    (n & ~SANDBOX_BY_FD) > s->max_input)
			_exit(EXIT_PROTO);
		len = (size_t)(n & ~SANDBOX_BY_FD);
		map = NULL;
		if (infd >= 0) {
			/*
			 * A message in a file is mapped, not copied through
			 * the socket: a 2 MB attachment then costs neither
			 * process a copy (docs/sandbox.md).
			 */
			r = map_input(infd, len, &map);
			(void)close(infd);
			input = map != NULL ? map : "";
		} else {
			if (len >= cap) {
				if ((p = realloc(in, len + 1)) == NULL)
					_exit(EXIT_PROTO);
				in = p;
				cap = len + 1;
			}
			if (len > 0 && read_all(WORKER_SOCK_FD, in, len) != 1)
				_exit(EXIT_PROTO);
			input = in;
			r = 0;
		}
		buf_init(&out);
		if (r == 0)
			r = z->fn(input, len, h[1], &out, arg);
		if (map != NULL)
			(void)munmap(map, len);
		status = r == 0 && !out.failed && out.len <= s->max_output ?
		    SANDBOX_ANSWER_OK : SANDBOX_ANSWER_FAILED;
		olen = status == SANDBOX_ANSWER_OK ? out.len : 0;
		hdr[0] = (unsigned char)status;
		n = olen;
		memcpy(hdr + 1, &n, sizeof(n));
		if (write_all(WORKER_SOCK_FD, hdr, sizeof(hdr)) == -1 ||
		    write_all(WORKER_SOCK_FD, out.data, olen) == -1)
			_exit(EXIT_PROTO);
		buf_free(&out);
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The zygote                                                          */

static int
hook_holds(const struct zstate *z)
{
	return z->hook != NULL && access(z->hook, F_OK) == 0;
}

/* Forks a worker for z->spec into e; 0 or -1 (errno). */
static int
zygote_fork(struct zstate *z, struct zpool_entry *e)
{
	int sv[2], ep[2], crash = hook_holds(z), saved;
	pid_t pid, self = getpid();

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = saved;
		return -1;
	}
	/*
	 * _Fork: no pthread_atfork handler runs in the worker (the
	 * libraries that registered them may not be mapped there:
	 * sandbox_image.h).
	 */
	if ((pid = _Fork()) == -1) {
		saved = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		(void)close(ep[0]);
		(void)close(ep[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0)
		worker_main(z, sv[1], ep[1], self, crash);
	(void)close(sv[1]);
	(void)close(ep[1]);
	e->h.pid = pid;
	e->h.sock = sv[0];
	e->h.err = ep[0];
	e->crash = crash;
	if ((e->h.pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1 &&
	    errno != ENOSYS) {
		saved = errno;
		(void)kill(pid, SIGKILL);
		e->h.pidfd = -1;
		sandbox_handle_close(&e->h);
		errno = saved;
		return -1;
	}
	return 0;
}

static void
zygote_drop(struct zpool_entry *e)
{
	sandbox_handle_kill(&e->h);
	sandbox_handle_close(&e->h);
}

static void
zygote_reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Sends an answer; -1 when the caller is gone. */
static int
zygote_answer(char kind, int64_t pid, const int fds[3], int nfd,
    const char *msg)
{
	union {
		char		buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr	align;
	} cm;
	char frame[1 + sizeof(int64_t) + 512];
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	size_t n = 1 + sizeof(int64_t), m;

	frame[0] = kind;
	memcpy(frame + 1, &pid, sizeof(pid));
	if (msg != NULL) {
		m = strlen(msg);
		if (m > sizeof(frame) - n)
			m = sizeof(frame) - n;
		memcpy(frame + n, msg, m);
		n += m;
	}
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = frame;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fds != NULL) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfd * sizeof(int));
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
	}
	while (sendmsg(ZYGOTE_CTL_FD, &mh, MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* One request: a worker handed over, or why not.  -1: caller gone. */
static int
zygote_serve(struct zstate *z, const struct zreq *rq, const char *arg)
{
	struct zpool_entry e;
	struct buf err = BUF_INIT;
	int fds[3], crash, r;
	char *copy;

	if (!z->warm) {
		/* Again at each request: the cause may have been fixed. */
		if (z->warmup == NULL || z->warmup(z->arg, &err) == 0)
			z->warm = 1;
		else {
			r = zygote_answer('E', 0, NULL, 0, buf_str(&err));
			buf_free(&err);
			return r;
		}
	}
	/* Another spec: the ready workers were forked for the old one. */
	if (memcmp(rq, &z->spec, sizeof(*rq)) != 0 ||
	    (rq->arglen > 0 && memcmp(arg, z->specarg, rq->arglen) != 0)) {
		while (z->npool > 0)
			zygote_drop(&z->pool[--z->npool]);
		if ((copy = malloc(rq->arglen + 1)) == NULL)
			return zygote_answer('E', 0, NULL, 0, "out of memory");
		memcpy(copy, arg, rq->arglen);
		free(z->specarg);
		z->specarg = copy;
		z->spec = *rq;
	}
	crash = hook_holds(z);
	/* The oldest ready worker, unless the test hook changed since. */
	while (z->npool > 0 && z->pool[0].crash != crash) {
		zygote_drop(&z->pool[0]);
		memmove(&z->pool[0], &z->pool[1],
		    --z->npool * sizeof(z->pool[0]));
	}
	if (z->npool > 0) {
		e = z->pool[0];
		memmove(&z->pool[0], &z->pool[1],
		    --z->npool * sizeof(z->pool[0]));
	} else if (zygote_fork(z, &e) == -1) {
		buf_printf(&err, "cannot fork a parser worker: %s",
		    strerror(errno));
		r = zygote_answer('E', 0, NULL, 0, buf_str(&err));
		buf_free(&err);
		return r;
	}
	fds[0] = e.h.sock;
	fds[1] = e.h.err;
	fds[2] = e.h.pidfd;
	r = zygote_answer('K', e.h.pid, fds, fds[2] >= 0 ? 3 : 2, NULL);
	sandbox_handle_close(&e.h);	/* the caller's copies are theirs */
	if (r == -1)
		return -1;
	/* Ready ahead of need: refilled by the main loop between requests. */
	z->want = rq->prefork < ZYGOTE_POOL_MAX ? rq->prefork : ZYGOTE_POOL_MAX;
	return 0;
}

static void __attribute__((noreturn))
zygote_main(struct zstate *z, int ctl, pid_t parent)
{
	struct pollfd pfd;
	struct zreq rq;
	struct iovec iov[2];
	struct msghdr mh;
	char *arg;
	ssize_t r;

	default_signals();
	/* No core file (it would hold mail); a bomb cannot take the host. */
	lower_limit(RLIMIT_CORE, 0, 0);
#ifndef SANDBOX_UNDER_ASAN
	/* ASan reserves terabytes of shadow: an AS limit would kill it. */
	lower_limit(RLIMIT_AS, SANDBOX_AS_BYTES, SANDBOX_AS_BYTES);
#endif
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != parent)
		_exit(EXIT_SETUP);
	if ((ctl = fcntl(ctl, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    dup2(ctl, ZYGOTE_CTL_FD) == -1 ||
	    syscall(SYS_close_range, ZYGOTE_CTL_FD + 1U, ~0U, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    (arg = malloc(SANDBOX_ARG_MAX)) == NULL)
		_exit(EXIT_SETUP);
	(void)close(0);
	(void)close(1);
	z->hook = getenv(SANDBOX_CRASH_HOOK_ENV);
	/*
	 * Under valgrind (tests/e2e/valgrind.sh) a worker runs valgrind's
	 * scheduler too, which writes to a pipe of its own: writes are then
	 * not limited to fds 2 and 3 (the rest of the filter holds).
	 */
	z->under_valgrind = getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload") != NULL;
	if (z->warmup == NULL)
		z->warm = 1;
	else {
		struct buf err = BUF_INIT;

		z->warm = z->warmup(z->arg, &err) == 0;
		buf_free(&err);		/* said at each request */
	}
	for (;;) {
		pfd.fd = ZYGOTE_CTL_FD;
		pfd.events = POLLIN;
		/*
		 * A request first; else one more worker ready ahead of need,
		 * then look again (a request never waits for more than one
		 * fork); else wait, reaping at least once a second.
		 */
		if (poll(&pfd, 1, z->npool < z->want ? 0 : 1000) == -1 &&
		    errno != EINTR)
			break;
		zygote_reap();
		if (pfd.revents == 0) {
			if (z->npool < z->want) {
				if (zygote_fork(z, &z->pool[z->npool]) == 0)
					z->npool++;
				else
					z->want = z->npool;	/* ENOMEM... */
			}
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		iov[0].iov_base = &rq;
		iov[0].iov_len = sizeof(rq);
		iov[1].iov_base = arg;
		iov[1].iov_len = SANDBOX_ARG_MAX;
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		r = recvmsg(ZYGOTE_CTL_FD, &mh, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r < (ssize_t)sizeof(rq) || (mh.msg_flags & MSG_TRUNC) ||
		    (size_t)r != sizeof(rq) + rq.arglen)
			break;		/* EOF: the caller is done */
		if (zygote_serve(z, &rq, arg) == -1)
			break;
		zygote_reap();
	}
	while (z->npool > 0)
		zygote_drop(&z->pool[--z->npool]);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The caller's side                                                   */

/*
 * Forks the zygote's process with its control socket: the child gets its
 * end in *child_fd and returns 0 (to become the zygote); the caller gets
 * *out and the child's pid.  -1 with err.
 */
static pid_t
zygote_fork_proc(struct sandbox_zygote **out, int *child_fd,
    struct buf *err)
{
	struct sandbox_zygote *zy;
	pid_t pid;
	int sv[2];

	*out = NULL;
	if ((zy = calloc(1, sizeof(*zy))) == NULL) {
		if (err != NULL)
			buf_puts(err, "sandbox: out of memory");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		if (err != NULL)
			buf_printf(err, "socketpair: %s", strerror(errno));
		free(zy);
		return -1;
	}
	if ((pid = fork()) == -1) {
		if (err != NULL)
			buf_printf(err, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		free(zy);
		return -1;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		free(zy);
		*child_fd = sv[1];
		return 0;
	}
	(void)close(sv[1]);
	zy->pid = pid;
	zy->ctl = sv[0];
	*out = zy;
	return pid;
}

int
sandbox_zygote_start(sandbox_fn *fn, sandbox_warmup_fn *warmup, void *arg,
    struct sandbox_zygote **out, struct buf *err)
{
	struct zstate z;
	pid_t pid, parent = getpid();
	int ctl;

	*out = NULL;
	if (fn == NULL) {
		if (err != NULL)
			buf_puts(err, "sandbox: no function to run");
		return -1;
	}
	if ((pid = zygote_fork_proc(out, &ctl, err)) == -1)
		return -1;
	if (pid == 0) {
		memset(&z, 0, sizeof(z));
		z.fn = fn;
		z.warmup = warmup;
		z.arg = arg;
		zygote_main(&z, ctl, parent);
	}
	return 0;
}

void
sandbox_zygote_serve(sandbox_fn *fn, sandbox_warmup_fn *warmup, void *arg)
{
	struct zstate z;

	memset(&z, 0, sizeof(z));
	z.fn = fn;
	z.warmup = warmup;
	z.arg = arg;
	/* Best effort: on failure workers only carry more mappings. */
	(void)sandbox_image_trim(NULL);
	zygote_main(&z, ZYGOTE_CTL_FD, getppid());
}

int
sandbox_zygote_exec(const char *path, struct sandbox_zygote **out,
    struct buf *err)
{
	pid_t pid;
	int ctl;

	*out = NULL;
	if (access(path, X_OK) == -1) {
		if (err != NULL)
			buf_printf(err, "the parser program %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if ((pid = zygote_fork_proc(out, &ctl, err)) == -1)
		return -1;
	if (pid == 0) {
		/*
		 * Only the socket, as fd 3, and stdin/stdout/stderr go
		 * through the exec: no descriptor of the caller's, and a
		 * fresh image with none of its memory.
		 */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* dup2 onto itself would keep its close-on-exec flag. */
		if ((ctl == ZYGOTE_CTL_FD ? fcntl(ctl, F_SETFD, 0) :
		    dup2(ctl, ZYGOTE_CTL_FD)) == -1 ||
		    syscall(SYS_close_range, ZYGOTE_CTL_FD + 1U, ~0U, 0) == -1)
			_exit(127);
		execl(path, "balp-parser", (char *)NULL);
		_exit(127);
	}
	return 0;
}

long
sandbox_zygote_pid(const struct sandbox_zygote *zy)
{
	return zy != NULL ? (long)zy->pid : -1;
}

int
sandbox_zygote_worker(struct sandbox_zygote *zy,
    const struct sandbox_spec *spec, unsigned timeout_ms,
    struct sandbox_handle *out, struct buf *err)
{
	union {
		char		buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr	align;
	} cm;
	char frame[1 + sizeof(int64_t) + 513];
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov[2];
	struct pollfd pfd;
	struct zreq rq;
	int64_t pid;
	int fds[3] = { -1, -1, -1 }, nfd = 0, r;
	ssize_t n;

	out->pid = -1;
	out->sock = out->err = out->pidfd = -1;
	if (spec->arglen > SANDBOX_ARG_MAX || spec->max_jobs == 0) {
		if (err != NULL)
			buf_puts(err, "sandbox: bad worker specification");
		return -1;
	}
	memset(&rq, 0, sizeof(rq));
	rq.max_input = spec->max_input;
	rq.max_output = spec->max_output;
	rq.max_jobs = spec->max_jobs;
	rq.prefork = spec->prefork;
	rq.arglen = (uint32_t)spec->arglen;
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &rq;
	iov[0].iov_len = sizeof(rq);
	iov[1].iov_base = (void *)spec->arg;
	iov[1].iov_len = spec->arglen;
	mh.msg_iov = iov;
	mh.msg_iovlen = spec->arglen > 0 ? 2 : 1;
	while ((n = sendmsg(zy->ctl, &mh, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		goto dead;
	pfd.fd = zy->ctl;
	pfd.events = POLLIN;
	while ((r = poll(&pfd, 1, (int)timeout_ms)) == -1 && errno == EINTR)
		;
	if (r == 0) {
		if (err != NULL)
			buf_printf(err, "the parser's zygote did not answer "
			    "within %u ms", timeout_ms);
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = frame;
	iov[0].iov_len = sizeof(frame) - 1;
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(zy->ctl, &mh, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n < 1 + (ssize_t)sizeof(int64_t))
		goto dead;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (nfd > 3)
				nfd = 3;	/* cannot be: SEQPACKET, ours */
			memcpy(fds, CMSG_DATA(c), (size_t)nfd * sizeof(int));
		}
	memcpy(&pid, frame + 1, sizeof(pid));
	/* Two descriptors when the kernel (or valgrind) has no pidfd. */
	if (frame[0] == 'K' && nfd >= 2 && pid > 0 &&
	    !(mh.msg_flags & MSG_CTRUNC)) {
		out->pid = (long)pid;
		out->sock = fds[0];
		out->err = fds[1];
		out->pidfd = fds[2];
		return 0;
	}
	for (r = 0; r < nfd; r++)
		(void)close(fds[r]);
	if (frame[0] == 'E') {
		frame[n] = '\0';
		if (err != NULL)
			buf_puts(err, frame + 1 + sizeof(int64_t));
		return -1;
	}
dead:
	if (err != NULL)
		buf_puts(err, "the parser's zygote is gone");
	return -1;
}

void
sandbox_zygote_stop(struct sandbox_zygote *zy)
{
	int status;

	if (zy == NULL)
		return;
	(void)close(zy->ctl);
	(void)kill(zy->pid, SIGKILL);
	while (waitpid(zy->pid, &status, 0) == -1 && errno == EINTR)
		;
	free(zy);
}
