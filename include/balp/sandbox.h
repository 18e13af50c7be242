/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox - runs one function on untrusted bytes in sandboxed worker
 * processes, one job each by default, and hands back the bytes it
 * answers (docs/sandbox.md).
 *
 * Workers come from a zygote (sandbox_zygote.h) forked before any secret
 * or message was in memory; each keeps only its socket and a stderr
 * pipe, and runs under a seccomp allow-list built for it: it may compute,
 * allocate, read its job, write its answer and its stderr, signal itself,
 * die; opening, stat'ing or connecting anything fails with EPERM.  Jobs go
 * over a socketpair, spread over `workers` slots; answers come back in
 * submission order.  A worker serves max_jobs jobs (1: it never sees a
 * second message) and is killed then.  A job past its deadline has its
 * worker killed (SANDBOX_TIMEOUT); a job whose worker dies is run once
 * more in a fresh worker and is SANDBOX_CRASHED only if that one dies
 * too.  A worker's stderr is read here, escaped and passed on as the
 * worker's (conf.on_stderr, else our stderr with a prefix).
 *
 * Ownership: the sandbox owns its jobs and the workers it was handed;
 * answers returned by sandbox_collect() are the caller's (free()).
 * Inputs stay the caller's and must outlive their job.  The zygote given
 * to sandbox_open() stays the caller's.  Failures: -1 with a message in
 * err (err may be NULL).  Not for threaded callers.
 */
#ifndef BALP_SANDBOX_H
#define BALP_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"
#include "balp/sandbox_zygote.h"

struct sandbox;

struct sandbox_conf {
	unsigned	 workers;	/* >= 1 */
	unsigned	 deadline_ms;	/* per job, from when its worker starts it */
	unsigned	 max_jobs;	/* jobs a worker serves; 1: one message each */
	size_t		 max_input;	/* bytes of one job; more = refused at submit */
	size_t		 max_output;	/* bytes of one answer; more = SANDBOX_FAILED */
	/*
	 * A line a worker wrote on stderr, escaped (printable ASCII only);
	 * NULL: to our stderr as "sandbox worker PID: line".
	 */
	void		(*on_stderr)(void *ctx, long pid, const char *line);
	void		*stderr_ctx;
};

enum sandbox_status {
	SANDBOX_OK,		/* answer delivered */
	SANDBOX_FAILED,		/* fn returned -1, or the answer was too big or garbled */
	SANDBOX_TIMEOUT,	/* past the deadline: worker killed and replaced */
	SANDBOX_CRASHED,	/* its worker died, and again in a fresh worker */
};

/*
 * Makes a sandbox whose workers come from zygote (which must outlive it);
 * arg: arglen bytes (at most SANDBOX_ARG_MAX, values only) copied into
 * each worker as the function's argument (0: the zygote's own arg).  No
 * worker is asked for yet.  -1 with err on a bad conf (a zero count or
 * deadline) or ENOMEM.
 */
int	 sandbox_open(const struct sandbox_conf *, struct sandbox_zygote *zygote,
	    const void *arg, size_t arglen, struct sandbox **out,
	    struct buf *err);
/*
 * The same with a zygote of its own, forked now from the caller as it is
 * (fn, warmup and arg are used there), stopped by sandbox_close(): for
 * callers that hold no secret, and tests.
 */
int	 sandbox_open_own(const struct sandbox_conf *, sandbox_fn *,
	    sandbox_warmup_fn *, void *arg, struct sandbox **out,
	    struct buf *err);
/*
 * Queues a job: its input is len bytes, read from fd (from offset 0: the
 * descriptor itself is passed to the worker, which maps the file
 * read-only, so neither process copies the message) when fd >= 0, else
 * from data.  fd/data must stay valid until the job is collected (a
 * job is re-sent to a fresh worker when its worker dies).  tag is the
 * caller's; opt goes to the function with the input.  Never blocks
 * waiting for a job to end (a ready worker is asked of the zygote).  -1
 * with err when no worker can be had (the zygote's warm-up failed, it
 * could not fork) or len > max_input.
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
 * (no worker can be had: err says why, e.g. the warm-up's failure); the
 * jobs in flight are then lost to the caller, who retries them later.
 *
 * An answer is followed by a NUL byte not counted in *outlen, so a text
 * answer is a C string; an empty answer is a non-NULL "".  A worker that
 * dies or misbehaves before it could enter its sandbox (warm-up, seccomp)
 * is a failure of the sandbox too.  wake_fd is polled, never read.
 */
int	 sandbox_collect(struct sandbox *, int wake_fd, uint64_t *tag,
	    enum sandbox_status *, char **out, size_t *outlen, struct buf *err);
size_t	 sandbox_in_flight(const struct sandbox *);
/* Kills every worker (and its own zygote); NULL is fine. */
void	 sandbox_close(struct sandbox *);

#endif
