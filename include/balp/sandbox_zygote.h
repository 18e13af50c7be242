/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_zygote - the process the parser workers are forked from, and the
 * workers themselves (docs/sandbox.md, "One message, one process").
 *
 * sandbox_zygote_start() forks the zygote from the caller as it is at that
 * moment: call it before any key, password, store or message is in memory,
 * so that no secret and no other partner's mail is ever in a worker's
 * lineage (a worker starts with a copy of the zygote's memory).  The
 * zygote keeps only its control socket and stderr, resets its signals,
 * lowers its limits, sets no_new_privs and dies with its parent; it runs
 * the warm-up once (iconv's modules, libmagic's database: what needs
 * open()), then forks workers on request, keeping a few ready ahead of
 * need so that no fork is on a message's path.
 *
 * A worker keeps its socket (fd 3) and a pipe as stderr (fd 2) whose
 * other end is handed to the caller, installs a seccomp filter built for
 * its own pid (it may write only to fds 2 and 3, signal only itself, and
 * neither open, stat nor connect anything), says 'R', and serves up to
 * max_jobs jobs (sandbox.h has the protocol), then exits.
 *
 * A worker is handed over as a sandbox_handle: its pid, the caller's end
 * of its socket, the read end of its stderr and a pidfd to kill it with
 * (the caller is not its parent: the zygote reaps it).
 *
 * Ownership: the zygote is the caller's (sandbox_zygote_stop kills and
 * reaps it, and its workers die with it); a handle's descriptors are the
 * caller's (sandbox_handle_close).  Failures: -1 with a message in err
 * (err may be NULL); nothing is printed.  Not for threaded callers.
 */
#ifndef BALP_SANDBOX_ZYGOTE_H
#define BALP_SANDBOX_ZYGOTE_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"

struct sandbox_zygote;

/* Runs in a worker: reads in[0..len), appends its answer to out; opt is
 * the job's option, as submitted.  0, or -1: the job fails
 * (SANDBOX_FAILED). */
typedef int sandbox_fn(const char *in, size_t len, uint64_t opt,
    struct buf *out, void *arg);
/*
 * Runs once in the zygote, before any worker is forked (e.g. iconv loads
 * its gconv modules and libmagic its database with open(), which workers
 * may not do).  0, or -1 with err: the zygote hands out no worker, and
 * every request says why (and tries the warm-up again).  May be NULL.
 */
typedef int sandbox_warmup_fn(void *arg, struct buf *err);

/*
 * The worker's side of the job protocol (sandbox.c has the caller's):
 *   worker -> caller, once:  'R' when it is inside its sandbox
 *   caller -> worker:        u64 length, u64 option, then the input; or,
 *                            for an input in a file, u64 length |
 *                            SANDBOX_BY_FD with the file's descriptor
 *                            (SCM_RIGHTS), which the worker maps
 *   worker -> caller:        u8 status (0 ok, 1 failed), u64 length, answer
 * Host byte order: both ends are this program.
 */
#define SANDBOX_READY		'R'
#define SANDBOX_ANSWER_OK	0
#define SANDBOX_ANSWER_FAILED	1
#define SANDBOX_JOB_HDR		16
#define SANDBOX_BY_FD		((uint64_t)1 << 63)
#define SANDBOX_ANSWER_HDR	9

/* Bytes of a worker's argument (sandbox_spec.arg) at most. */
#define SANDBOX_ARG_MAX		4096

/* What a worker is forked for. */
struct sandbox_spec {
	size_t		 max_input;	/* bytes of one job; more: it exits */
	size_t		 max_output;	/* bytes of one answer */
	unsigned	 max_jobs;	/* jobs it serves, then exits */
	unsigned	 prefork;	/* workers the zygote keeps ready */
	/*
	 * The function's argument, copied into the worker (values only: a
	 * pointer in it would be the caller's address); NULL: the arg given
	 * to sandbox_zygote_start.
	 */
	const void	*arg;
	size_t		 arglen;	/* <= SANDBOX_ARG_MAX */
};

struct sandbox_handle {
	long	 pid;
	int	 sock;		/* the caller's end of its socket; blocking */
	int	 err;		/* the read end of its stderr */
	int	 pidfd;		/* to kill it (sandbox_handle_kill) */
};

/*
 * Forks the zygote now.  fn, warmup and arg are used in the zygote and
 * its workers only, through their copy of the caller's memory.
 */
int	 sandbox_zygote_start(sandbox_fn *fn, sandbox_warmup_fn *warmup,
	    void *arg, struct sandbox_zygote **out, struct buf *err);
/*
 * A worker forked for spec, ready or about to be (it says 'R' on its
 * socket when it is inside its sandbox).  Waits at most timeout_ms for the
 * zygote's answer.  -1 with err when the zygote cannot give one: its
 * warm-up failed (err says why), it died, it did not answer in time.
 */
int	 sandbox_zygote_worker(struct sandbox_zygote *,
	    const struct sandbox_spec *spec, unsigned timeout_ms,
	    struct sandbox_handle *out, struct buf *err);
long	 sandbox_zygote_pid(const struct sandbox_zygote *);
/*
 * The zygote as a program of its own (balp-parser, src/cli/balp_parser.c):
 * sandbox_zygote_exec() forks and executes path with the control socket
 * as its fd 3, and that program calls sandbox_zygote_serve() with its
 * function.  The zygote then starts from a fresh image: not even a copy
 * of the caller's memory, and only the libraries a parser needs mapped,
 * which makes each worker's fork and exit cheaper (docs/sandbox.md).
 * -1 with err when path is no executable.
 */
int	 sandbox_zygote_exec(const char *path, struct sandbox_zygote **,
	    struct buf *err);
void	 sandbox_zygote_serve(sandbox_fn *, sandbox_warmup_fn *, void *arg)
	    __attribute__((noreturn));
/* Kills the zygote (and so its workers) and reaps it; NULL is fine. */
void	 sandbox_zygote_stop(struct sandbox_zygote *);

/* SIGKILL to the worker; harmless when it is gone already. */
void	 sandbox_handle_kill(const struct sandbox_handle *);
/* Closes what is still open of the handle's descriptors (sets them -1). */
void	 sandbox_handle_close(struct sandbox_handle *);

/*
 * Test hook (docs/sandbox.md, "The breaker"): when the environment of the
 * process that starts the zygote names a file in this variable, every
 * worker handed out while that file exists aborts on its first job, as a
 * parser broken by an upgrade would.
 */
#define SANDBOX_CRASH_HOOK_ENV	"BALP_TEST_PARSER_CRASH"

/*
 * 1 when workers run under the seccomp filter; 0 in builds with
 * AddressSanitizer (its runtime needs more system calls to report, and is
 * its own net) and on architectures the filter does not know.
 */
int	 sandbox_filtered(void);

#endif
