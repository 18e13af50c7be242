/*
 * sandbox - runs one function on untrusted bytes in long-lived, sandboxed
 * worker processes, and hands back the bytes it answers (docs/sandbox.md).
 *
 * A worker is forked from the caller (no exec), keeps only its socket and
 * stderr, gets rlimits, no_new_privs, an optional warm-up, then a seccomp
 * allow-list that lets it compute, allocate, read its jobs and write its
 * answers: opening a file or a socket fails with EPERM.  Jobs are
 * pipelined over a socketpair and spread over the workers; answers come
 * back in submission order.  A job past its deadline has its worker killed
 * (SANDBOX_TIMEOUT); a job whose worker dies is run once more in a fresh
 * worker and is SANDBOX_CRASHED only if that one dies too; a worker is
 * replaced after max_jobs answers.  Every process forked here is reaped
 * here (SIGCHLD must not be SIG_IGN); none outlives sandbox_close().
 *
 * The parent must hold no secret when a worker is forked: the worker gets
 * a copy of its memory (docs/sandbox.md).  Not for threaded callers: fork
 * copies only the calling thread.
 *
 * Ownership: the sandbox owns its workers and jobs; answers returned by
 * sandbox_collect() are the caller's (free()).  Inputs stay the caller's
 * and must outlive their job.  Failures: -1 with a message in err (err may
 * be NULL); nothing is printed.
 */
#ifndef BALP_SANDBOX_H
#define BALP_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"

struct sandbox;

/* Runs in the worker: reads in[0..len), appends its answer to out; opt is
 * the job's option, as submitted.  0, or -1: the job fails
 * (SANDBOX_FAILED). */
typedef int sandbox_fn(const char *in, size_t len, uint64_t opt,
    struct buf *out, void *arg);
/* Runs once in each new worker BEFORE the seccomp filter (e.g. iconv loads
 * its gconv modules with open()); may be NULL. */
typedef void sandbox_warmup_fn(void *arg);

struct sandbox_conf {
	unsigned	 workers;	/* >= 1 */
	unsigned	 deadline_ms;	/* per job, from when its worker starts it */
	unsigned	 max_jobs;	/* a worker is replaced after this many jobs */
	size_t		 max_input;	/* bytes of one job; more = refused at submit */
	size_t		 max_output;	/* bytes of one answer; more = SANDBOX_FAILED */
};

enum sandbox_status {
	SANDBOX_OK,		/* answer delivered */
	SANDBOX_FAILED,		/* fn returned -1, or the answer was too big or garbled */
	SANDBOX_TIMEOUT,	/* past the deadline: worker killed and replaced */
	SANDBOX_CRASHED,	/* its worker died, and again in a fresh worker */
};

/*
 * Makes a sandbox; no worker is forked yet (each starts with the first job
 * it is given).  fn, warmup and arg are used in the workers only, through
 * the copy of the caller's memory each one gets.  -1 with err on a bad
 * conf (a zero count or deadline) or ENOMEM.
 */
int	 sandbox_open(const struct sandbox_conf *, sandbox_fn *, sandbox_warmup_fn *,
	    void *arg, struct sandbox **out, struct buf *err);
/*
 * Queues a job: its input is len bytes, read from fd (from offset 0: the
 * descriptor itself is passed to the worker, which maps the file
 * read-only, so neither process copies the message) when fd >= 0, else
 * from data.  fd/data must stay valid until the job is collected (a
 * job is re-sent to a fresh worker when its worker dies).  tag is the
 * caller's; opt goes to the function with the input.  Never blocks
 * waiting for a worker.  -1 with err when a worker
 * cannot be started (fork, socketpair) or len > max_input.
 *
 * A file shorter than len, or a descriptor that cannot be mapped or
 * passed, fails the job (SANDBOX_FAILED).  The deadline of a job counts
 * from its first byte sent when its worker is idle: keep collecting while
 * jobs are in flight, or a big input sent only in part may time out.
 */
int	 sandbox_submit(struct sandbox *, uint64_t tag, int fd, const char *data,
	    size_t len, uint64_t opt, struct buf *err);
/*
 * Waits for the oldest job not yet collected (results come back in
 * submission order, whatever the number of workers) and returns 1 with its
 * tag, status and, for SANDBOX_OK, its answer in *out / *outlen (caller
 * frees with free(); NULL otherwise).  0 when no job is in flight, or when
 * wake_fd (>= 0) became readable first (the caller's signalfd: SIGTERM must
 * not wait for a slow parse).  -1 with err when the sandbox itself fails
 * (cannot fork a replacement); the jobs in flight are then lost to the
 * caller, who retries them later.
 *
 * An answer is followed by a NUL byte not counted in *outlen, so a text
 * answer is a C string; an empty answer is a non-NULL "".  A worker that
 * dies or misbehaves before it could enter its sandbox (warm-up, seccomp)
 * is a failure of the sandbox too.  wake_fd is polled, never read.
 */
int	 sandbox_collect(struct sandbox *, int wake_fd, uint64_t *tag,
	    enum sandbox_status *, char **out, size_t *outlen, struct buf *err);
size_t	 sandbox_in_flight(const struct sandbox *);
/* Kills and reaps every worker; NULL is fine. */
void	 sandbox_close(struct sandbox *);

/*
 * 1 when workers run under the seccomp filter; 0 in builds with
 * AddressSanitizer (its runtime needs more system calls to report, and is
 * its own net) and on architectures the filter does not know.
 */
int	 sandbox_filtered(void);

#endif
