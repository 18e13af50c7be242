/*
 * sandbox - persistent sandboxed workers (see include/balp/sandbox.h and
 * docs/sandbox.md).
 *
 * The parent keeps `workers` slots.  A job is given to one slot at submit
 * time and stays in that slot's queue until answered: the slot's process
 * gets the jobs in that order, so the first job of the queue is the one
 * it works on.  When the process goes (deadline, death, retirement) its
 * unanswered jobs stay queued and go, from their first byte, to the next
 * process of the same slot: that is the "fresh worker" of the retry rule.
 *
 * Protocol on the socketpair (host byte order, both ends are this
 * program):
 *   worker -> parent, once:  'R' when it is inside its sandbox
 *   parent -> worker:        u64 length, then the input; or, for an
 *                            input in a file, u64 length | SANDBOX_BY_FD
 *                            with the file's descriptor (SCM_RIGHTS),
 *                            which the worker maps read-only
 *   worker -> parent:        u8 status (0 ok, 1 failed), u64 length, answer
 *   parent closes its write side: the worker exits 0
 * Anything else from a worker is a broken worker: it is killed.
 *
 * The parent's end is non-blocking and every wait is one poll() over all
 * sockets in both directions, so a worker writing answer n while the
 * parent writes job n+1 never deadlocks them.
 *
 * Ownership: jobs are calloc'ed at submit and freed at collect or close;
 * an answer is handed over to the caller.  Every fork is reaped here,
 * with a blocking waitpid only after SIGKILL or once the worker has shown
 * it is exiting (EOF), so no worker can stall the parent.
 * Failures: -1 with err; the worker itself only _exit()s.
 */
#include "balp/sandbox.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
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
#define SANDBOX_READY		'R'
#define SANDBOX_ANSWER_OK	0
#define SANDBOX_ANSWER_FAILED	1
#define SANDBOX_JOB_HDR		16	/* u64 length, u64 option */
/* In the length: the input is the descriptor sent with the header. */
#define SANDBOX_BY_FD		((uint64_t)1 << 63)
#define SANDBOX_ANSWER_HDR	9	/* u8 status, u64 length */
/* The worker's socket: the one descriptor it keeps besides stderr. */
#define SANDBOX_WORKER_FD	3
/* Worker exit statuses, for the parent's error message. */
#define SANDBOX_EXIT_SETUP	4	/* could not enter the sandbox */
#define SANDBOX_EXIT_PROTO	5	/* broken stream or ENOMEM */

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
	pid_t		 pid;		/* -1: no process in the slot */
	int		 fd;		/* parent's end, non-blocking */
	int		 ready;		/* its 'R' was received */
	int		 retiring;	/* max_jobs answered, shut */
	int		 wr_closed;	/* EPIPE: only EOF to read */
	/* ms: fork, ready, last answer, EPIPE or retirement */
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
};

struct sandbox {
	struct sandbox_conf	 conf;
	sandbox_fn		*fn;
	sandbox_warmup_fn	*warmup;
	void			*arg;
	struct sandbox_jobs	 jobs;	/* not collected, in order */
	size_t			 in_flight;
	struct sandbox_worker	*w;	/* conf.workers slots */
	struct pollfd		*pfd;	/* conf.workers + wake_fd */
	unsigned		*map;	/* pfd index -> slot */
	char			 rbuf[65536];
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

static uint64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* The worker process                                                  */

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
 * changed since it was listed: reading past its end would kill us).
 */
static int
map_input(int fd, size_t len, void **map)
{
	struct stat st;

	*map = NULL;
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size < len)
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
 * A crash must kill the worker: handlers inherited from the parent (a
 * test runner's longjmp, a daemon's) could resume it with a corrupt heap.
 * Nothing stays blocked either (a daemon blocks SIGTERM for its signalfd).
 */
static void
worker_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);	/* SIGKILL...: EINVAL */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Only the socket (as fd 3) and stderr stay open; returns 3, or -1. */
static int
worker_fds(int fd)
{
	if (fd != SANDBOX_WORKER_FD) {
		if (dup2(fd, SANDBOX_WORKER_FD) == -1)
			return -1;
		(void)close(fd);	/* stderr when the parent had none */
	}
	(void)close(0);
	(void)close(1);
	if (syscall(SYS_close_range, SANDBOX_WORKER_FD + 1U, ~0U, 0) == -1)
		return -1;
	return SANDBOX_WORKER_FD;
}

/*
 * What a worker may do once it holds untrusted bytes: compute, allocate,
 * read its jobs, write its answers, die.  Everything else fails with EPERM
 * (libc then falls back: iconv without a module reads windows-1252), so
 * code run through a parser bug can neither open a file or a socket nor
 * touch the store, whose descriptors are closed anyway.  A foreign
 * architecture's system call numbers mean something else: kill.
 */
#define ALLOW(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int
worker_filter(void)
{
#ifdef SANDBOX_FILTER
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_read), ALLOW(__NR_write), ALLOW(__NR_close),
		ALLOW(__NR_exit), ALLOW(__NR_exit_group), ALLOW(__NR_brk),
		ALLOW(__NR_mmap), ALLOW(__NR_munmap), ALLOW(__NR_mremap),
		ALLOW(__NR_mprotect), ALLOW(__NR_madvise), ALLOW(__NR_futex),
		ALLOW(__NR_rt_sigreturn), ALLOW(__NR_rt_sigprocmask),
		ALLOW(__NR_getpid), ALLOW(__NR_gettid), ALLOW(__NR_tgkill),
		ALLOW(__NR_fstat), ALLOW(__NR_newfstatat), ALLOW(__NR_lseek),
		ALLOW(__NR_clock_gettime), ALLOW(__NR_getrandom),
		ALLOW(__NR_recvmsg),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & 0xffff)),
	};
	struct sock_fprog prog = {
		(unsigned short)(sizeof(filter) / sizeof(filter[0])), filter
	};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	return 0;
#endif
}

static void __attribute__((noreturn))
worker_main(const struct sandbox *sb, int fd, pid_t parent)
{
	unsigned char hdr[SANDBOX_ANSWER_HDR];
	struct buf out;
	char *in = NULL, *p;
	const char *input;
	void *map;
	size_t cap = 0, len, olen;
	uint64_t n, h[2];
	int r, status, infd;

	worker_signals();
	lower_limit(RLIMIT_CORE, 0, 0);
#ifndef SANDBOX_UNDER_ASAN
	/* ASan reserves terabytes of shadow: an AS limit would kill it. */
	lower_limit(RLIMIT_AS, SANDBOX_AS_BYTES, SANDBOX_AS_BYTES);
#endif
	/*
	 * A worker must not outlive its parent: one spinning on a hostile
	 * input would spin on.  The parent may have died before the prctl.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != parent)
		_exit(SANDBOX_EXIT_SETUP);
	if ((fd = worker_fds(fd)) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		_exit(SANDBOX_EXIT_SETUP);
	if (sb->warmup != NULL)
		sb->warmup(sb->arg);
	if (worker_filter() == -1)
		_exit(SANDBOX_EXIT_SETUP);
	hdr[0] = SANDBOX_READY;
	if (write_all(fd, hdr, 1) == -1)
		_exit(SANDBOX_EXIT_SETUP);
	for (;;) {
		if ((r = read_header(fd, h, &infd)) == 0)
			_exit(0);	/* the parent is done with us */
		n = h[0];
		if (r == -1 || (infd >= 0) != ((n & SANDBOX_BY_FD) != 0) ||
		    (n & ~SANDBOX_BY_FD) > sb->conf.max_input)
			_exit(SANDBOX_EXIT_PROTO);
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
			/* Kept across jobs: the next input is likely as big. */
			if (len >= cap) {
				if ((p = realloc(in, len + 1)) == NULL)
					_exit(SANDBOX_EXIT_PROTO);
				in = p;
				cap = len + 1;
			}
			if (len > 0 && read_all(fd, in, len) != 1)
				_exit(SANDBOX_EXIT_PROTO);
			input = in;
			r = 0;
		}
		buf_init(&out);
		if (r == 0)
			r = sb->fn(input, len, h[1], &out, sb->arg);
		if (map != NULL)
			(void)munmap(map, len);
		status = r == 0 && !out.failed &&
		    out.len <= sb->conf.max_output ? SANDBOX_ANSWER_OK :
		    SANDBOX_ANSWER_FAILED;
		olen = status == SANDBOX_ANSWER_OK ? out.len : 0;
		hdr[0] = (unsigned char)status;
		n = olen;
		memcpy(hdr + 1, &n, sizeof(n));
		if (write_all(fd, hdr, sizeof(hdr)) == -1 ||
		    write_all(fd, out.data, olen) == -1)
			_exit(SANDBOX_EXIT_PROTO);
		buf_free(&out);
	}
}

/* ------------------------------------------------------------------ */
/* Processes, seen from the parent                                     */

static void
reap(pid_t pid, int *status)
{
	*status = 0;
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
}

static void
describe_exit(struct buf *err, int status)
{
	if (err == NULL)
		return;
	if (WIFSIGNALED(status))
		buf_printf(err, "killed by signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		buf_printf(err, "exit status %d", WEXITSTATUS(status));
}

/*
 * Ends w's process (SIGKILL, harmless when it is already gone), reaps it
 * and resets the slot so that its unanswered jobs go again, from their
 * first byte, to the next process.  Returns the wait status.
 */
static int
worker_end(struct sandbox_worker *w)
{
	struct sandbox_job *j;
	int status = 0;

	if (w->pid > 0) {
		(void)kill(w->pid, SIGKILL);
		reap(w->pid, &status);
	}
	if (w->fd != -1)
		(void)close(w->fd);
	w->pid = -1;
	w->fd = -1;
	w->ready = w->retiring = w->wr_closed = 0;
	w->started = w->answered = 0;
	w->tx = TAILQ_FIRST(&w->jobs);
	w->tx_off = 0;
	TAILQ_FOREACH(j, &w->jobs, slot)
		j->sent_at = 0;
	free(w->rx);
	w->rx = NULL;
	w->rx_hdr_got = w->rx_len = w->rx_got = 0;
	return status;
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
	(void)worker_end(w);
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
	int ready = w->ready, retiring = w->retiring, status;

	/* Was it working on j?  Only if j's bytes had started going out. */
	if (j != NULL && j->sent_at == 0)
		j = NULL;
	status = worker_end(w);
	if (retiring)
		return 0;
	if (!ready) {
		if (err != NULL) {
			buf_puts(err, "a sandbox worker could not start: ");
			describe_exit(err, status);
		}
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
	pid_t pid, parent = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		if (err != NULL)
			buf_printf(err, "socketpair: %s", strerror(errno));
		return -1;
	}
	/* Freed pages given back now are pages fork need not copy. */
	malloc_trim(0);
	if ((pid = fork()) == -1) {
		if (err != NULL)
			buf_printf(err, "fork: %s", strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		worker_main(sb, sv[1], parent);
	}
	(void)close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->since = now_ms();
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		if (err != NULL)
			buf_printf(err, "fcntl: %s", strerror(errno));
		(void)worker_end(w);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sending jobs                                                        */

static int
worker_wants_out(const struct sandbox *sb, const struct sandbox_worker *w)
{
	return w->fd != -1 && !w->wr_closed && !w->retiring &&
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
			r = sendmsg(w->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else
			r = send(w->fd, j->data + (w->tx_off - SANDBOX_JOB_HDR),
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

static void
worker_retire(struct sandbox_worker *w)
{
	/* It reads EOF after its last answer and exits 0; see worker_recv. */
	(void)shutdown(w->fd, SHUT_WR);
	w->retiring = 1;
	w->since = now_ms();
}

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
				(void)worker_end(w);
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
			if (head == NULL || w->retiring || head == w->tx) {
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
		if (w->answered >= sb->conf.max_jobs)
			worker_retire(w);
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
		r = read(w->fd, sb->rbuf, sizeof(sb->rbuf));
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

	if (w->pid == -1)
		return 0;
	if (!w->ready || w->retiring || w->wr_closed)
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
	if (w->retiring) {
		(void)worker_end(w);
		return 0;
	}
	if (w->wr_closed)	/* it stopped reading but not writing */
		return worker_died(w, err);
	if (!w->ready) {
		(void)worker_end(w);
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
sandbox_open(const struct sandbox_conf *conf, sandbox_fn *fn,
    sandbox_warmup_fn *warmup, void *arg, struct sandbox **out,
    struct buf *err)
{
	struct sandbox *sb;
	unsigned i;

	*out = NULL;
	if (fn == NULL || conf->workers == 0 || conf->deadline_ms == 0 ||
	    conf->max_jobs == 0 || conf->max_output >= SIZE_MAX ||
	    conf->max_input >= SIZE_MAX) {
		if (err != NULL)
			buf_puts(err, "sandbox: bad configuration (workers, "
			    "deadline_ms and max_jobs must be at least 1)");
		return -1;
	}
	if ((sb = calloc(1, sizeof(*sb))) == NULL ||
	    (sb->w = calloc(conf->workers, sizeof(*sb->w))) == NULL ||
	    (sb->pfd = calloc((size_t)conf->workers + 1,
	    sizeof(*sb->pfd))) == NULL ||
	    (sb->map = calloc(conf->workers, sizeof(*sb->map))) == NULL) {
		if (sb != NULL) {
			free(sb->w);
			free(sb->pfd);
		}
		free(sb);
		if (err != NULL)
			buf_puts(err, "sandbox: out of memory");
		return -1;
	}
	sb->conf = *conf;
	sb->fn = fn;
	sb->warmup = warmup;
	sb->arg = arg;
	TAILQ_INIT(&sb->jobs);
	for (i = 0; i < conf->workers; i++) {
		sb->w[i].pid = -1;
		sb->w[i].fd = -1;
		TAILQ_INIT(&sb->w[i].jobs);
	}
	*out = sb;
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
		open = w->pid == -1 || (!w->retiring &&
		    w->answered + w->njobs < sb->conf.max_jobs);
		if (best == NULL || open > best_open ||
		    (open == best_open && (w->njobs < best->njobs ||
		    (w->njobs == best->njobs && w->pid != -1 &&
		    best->pid == -1)))) {
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
	if (w->pid == -1 && worker_spawn(sb, w, err) == -1)
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
		(void)worker_end(&sb->w[i]);
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
		if (w->pid == -1 && w->njobs > 0 &&
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
	unsigned i, n = 0;
	int timeout;

	now = now_ms();
	for (i = 0; i < sb->conf.workers; i++) {
		w = &sb->w[i];
		if (w->fd == -1)
			continue;
		sb->pfd[n].fd = w->fd;
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
	for (i = 0; i < n; i++) {
		w = &sb->w[sb->map[i]];
		if (sb->pfd[i].revents & POLLOUT)
			worker_send(sb, w);
		/* The send may have ended the process (bad input). */
		if (w->fd != -1 && (sb->pfd[i].revents &
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
	free(sb->map);
	free(sb->pfd);
	free(sb->w);
	free(sb);
}
