/* SPDX-License-Identifier: Apache-2.0 */
/*
 * deliver - balpd's mail at delivery time (docs/lmtp.md): the LMTP
 * server, the deliveries that came together decided together, the
 * filer processes, and each session answered once its mail is filed.
 *
 * What came over LMTP during one turn of balpd's loop (several of
 * Postfix's sessions at once, under load) is parsed side by side and
 * recorded in one transaction (pipeline_deliver_batch()), then each
 * message goes to the filers (filer.h: one filer per folder at a time,
 * what came for a folder meanwhile in one MULTIAPPEND), and its session
 * is held until the filing is durable: 250, or 451 for Postfix to retry.
 * With lmtp.filers = 0, each message is decided and filed in the loop;
 * with no filer left (they died), in the loop too, by the filers' rules.
 *
 * Ownership: the pipeline and the source stay balpd's and must outlive
 * the deliver (balpd closes it before a reload replaces them).
 * Errors: -1 with one line in err.
 */
#ifndef BALP_DELIVER_H
#define BALP_DELIVER_H

#include <poll.h>
#include <stddef.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/pipeline.h"
#include "balp/source.h"

/* The test hook of tests/e2e/lmtp.sh: exit 99 after a filing, before 250. */
#define DELIVER_TEST_DIE_FILED_ENV	"BALP_TEST_LMTP_DIE_FILED"

struct deliver_hooks {
	/* As pipeline_pass()'s: each delivery decided (or found again). */
	pipeline_report_fn	*report;
	/*
	 * 1 when the parser may be asked: its breaker closed (or closed by
	 * a retry now); 0 and the message waits in Postfix's queue.
	 */
	int	(*parser_ready)(void *arg);
	/* The parser failed and its breaker is open: why. */
	void	(*parser_failed)(void *arg, const char *why);
	/* Deliveries decided: notices may wait in the outbox. */
	void	(*decided)(void *arg);
	void	*arg;
};

struct deliver;

/*
 * Listens as c->lmtp says and forks c->lmtp.filers filers on c->source
 * (none: filed in the loop, logged).  0, or -1 with err.
 */
int	 deliver_open(const struct balp_conf *c, struct pipeline *,
	    struct source *, const struct deliver_hooks *,
	    struct deliver **out, struct buf *err);
/* Sessions told 421, filings in hand lost (Postfix hands them again). */
void	 deliver_close(struct deliver *);
/* At most this many pollfds are asked for. */
size_t	 deliver_nfds(const struct deliver *);
/*
 * Fills pfd with what the server and the filers wait for; *timeout_ms is
 * lowered to the sessions' next deadline (0 while deliveries wait for the
 * next batch).  The count.
 */
size_t	 deliver_pollfds(struct deliver *, struct pollfd *pfd,
	    int *timeout_ms);
/*
 * What poll found ready in pfd (as deliver_pollfds() filled it); then
 * what was decided goes to the free filers (with none left, it is filed
 * here, with the source).
 */
void	 deliver_handle(struct deliver *, const struct pollfd *pfd, size_t n);

#endif
