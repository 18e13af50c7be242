/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_parser - the pipeline's parser processes and their health: the
 * zygote balp-parser (found and executed), the sandbox of its workers,
 * what they write on stderr, and the breaker's canary (pipeline.h,
 * docs/sandbox.md).  The pass itself is pipeline.c's.
 */
#include "balp/pipeline.h"
#include "balp/breaker.h"
#include "balp/log.h"
#include "balp/mime.h"
#include "balp/sandbox.h"
#include "pipeline_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A worker's complaint, escaped by the sandbox: logged as the worker's. */
static void
worker_stderr(void *ctx, long pid, const char *line)
{
	(void)ctx;
	log_warn("parser worker %ld: %s", pid, line);
}

int
pipeline_sandbox_start(struct pipeline *p, struct buf *err)
{
	const struct balp_conf *c = p->conf;
	struct sandbox_conf sc;

	if (p->sandbox != NULL)
		return 0;
	memset(&sc, 0, sizeof(sc));
	sc.workers = c->parser_workers;
	sc.deadline_ms = c->parser_deadline_ms;
	sc.max_jobs = c->parser_max_jobs;
	sc.max_input = PIPELINE_READ_MAX;
	sc.max_output = PIPELINE_ANSWER_MAX;
	sc.on_stderr = worker_stderr;
	if (sandbox_open(&sc, p->zygote, p->worker_arg, p->worker_arglen,
	    &p->sandbox, err) == -1) {
		p->sandbox = NULL;
		return -1;
	}
	return 0;
}

/*
 * balp-parser beside the running program (the build tree: build/balpd,
 * build/balp-parser), else in ../libexec/balp from it (an install:
 * /usr/sbin/balpd, /usr/libexec/balp/balp-parser; also when the tree is
 * unpacked elsewhere, as tests/e2e/package.sh does).
 */
static int
parser_path(struct buf *path, struct buf *err)
{
	char exe[4096], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0 ||
	    (size_t)n >= sizeof(exe) - 1) {
		buf_puts(err, "cannot tell where this program is "
		    "(/proc/self/exe), so where balp-parser is");
		return -1;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	buf_printf(path, "%s/balp-parser", exe);
	if (access(buf_str(path), X_OK) == 0)
		return 0;
	buf_reset(path);
	buf_printf(path, "%s/../libexec/balp/balp-parser", exe);
	if (access(buf_str(path), X_OK) == 0)
		return 0;
	buf_printf(err, "the parser program balp-parser is neither in %s nor "
	    "in %s/../libexec/balp: is balp installed whole?", exe, exe);
	return -1;
}

int
pipeline_zygote(struct sandbox_zygote **out, struct buf *err)
{
	struct buf path = BUF_INIT;
	int r;

	*out = NULL;
	if ((r = parser_path(&path, err)) == 0)
		r = sandbox_zygote_exec(buf_str(&path), out, err);
	buf_free(&path);
	return r;
}

/* ------------------------------------------------------------------ */
/* The breaker (breaker.h)                                              */

/*
 * A message every working parser parses: run when parses keep failing,
 * to tell a broken parser from hostile messages.
 */
static const char canary_msg[] =
    "From: Canari <canari@balp.invalid>\n"
    "To: balp@balp.invalid\n"
    "Subject: canari\n"
    "Message-ID: <canari@balp.invalid>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=b\n\n"
    "--b\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Le parseur fonctionne.\n"
    "--b\n"
    "Content-Type: application/pdf; name=c.pdf\n"
    "Content-Transfer-Encoding: base64\n\n"
    "JVBERi0xLjQKJSVFT0YK\n"
    "--b--\n";

/*
 * The canary through a fresh sandbox (the pipeline's own may hold other
 * jobs): 0 when the parser answers it, else -1 with err saying why.
 */
static int
canary(struct pipeline *p, struct buf *err)
{
	struct sandbox *keep = p->sandbox;
	struct msg_facts f;
	enum sandbox_status st;
	uint64_t tag;
	char *answer = NULL;
	size_t alen = 0;
	int r, ok = 0;

	p->sandbox = NULL;
	if (pipeline_sandbox_start(p, err) == 0 &&
	    sandbox_submit(p->sandbox, 0, -1, canary_msg,
	    sizeof(canary_msg) - 1, 0, err) == 0) {
		r = sandbox_collect(p->sandbox, -1, &tag, &st, &answer, &alen,
		    err);
		facts_init(&f);
		if (r == 1 && st == SANDBOX_OK &&
		    facts_deserialize(answer, alen, &f) == 0 &&
		    f.malformed == NULL)
			ok = 1;
		else if (r == 1)
			buf_printf(err, "the parser fails on a known-good "
			    "message too (%s)", st == SANDBOX_CRASHED ?
			    "it crashed" : st == SANDBOX_TIMEOUT ?
			    "it timed out" : "a wrong answer");
		facts_free(&f);
		free(answer);
	}
	sandbox_close(p->sandbox);
	p->sandbox = keep;
	return ok ? 0 : -1;
}

/* The canary decides: proven (0), or the breaker opens (-1, err). */
int
pipeline_probe(struct pipeline *p, struct buf *err)
{
	if (canary(p, err) == 0) {
		breaker_success(&p->brk);
		return 0;
	}
	breaker_trip(&p->brk, buf_str(err), p->now);
	return -1;
}

int
pipeline_breaker_open(const struct pipeline *p)
{
	return p->brk.open;
}

int
pipeline_breaker_retry(struct pipeline *p, time_t now, struct buf *err)
{
	if (!p->brk.open)
		return 0;
	if (!breaker_retry_due(&p->brk, now))
		return -1;
	if (canary(p, err) == 0) {
		breaker_success(&p->brk);
		return 0;
	}
	(void)snprintf(p->brk.cause, sizeof(p->brk.cause), "%s", buf_str(err));
	breaker_retry_failed(&p->brk, now);
	return -1;
}

unsigned
pipeline_breaker_wait(const struct pipeline *p, time_t now)
{
	if (!p->brk.open || p->brk.retry_at <= now)
		return 0;
	return (unsigned)(p->brk.retry_at - now);
}

int
pipeline_parse_failed(enum sandbox_status st)
{
	return st == SANDBOX_CRASHED || st == SANDBOX_TIMEOUT ||
	    st == SANDBOX_FAILED;
}

const char *
pipeline_failure_name(enum sandbox_status st)
{
	return st == SANDBOX_CRASHED ? FACTS_MALFORMED_CRASHED :
	    st == SANDBOX_TIMEOUT ? FACTS_MALFORMED_TIMEOUT :
	    FACTS_MALFORMED_PARSER;
}

