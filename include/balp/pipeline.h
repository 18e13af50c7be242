/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline - source -> parse -> decide -> record -> act, for balpd and for
 * `balpctl test` (docs/pipeline.md).
 *
 * Every message is parsed by the same long-lived sandboxed workers
 * (sandbox.h), for the daemon and for `balpctl test` alike: the same
 * parser gives the same answers.  pipeline_decide_blob() is the
 * side-effect-free half (parse, annex lookup, decide) that `balpctl test`
 * calls alone.  pipeline_pass() triages everything waiting in a source in
 * batches: the batch's decisions, their audit rows and notices are one
 * transaction, committed (one fdatasync) before any of its messages moves;
 * then the moves, then one sync per folder touched.  A message whose
 * decision is already stored (a crash between commit and move) is only
 * moved, never decided again.
 *
 * Ownership: struct pipeline is opaque, released by pipeline_close(); it
 * borrows the conf and the store, which must outlive it.  A
 * pipeline_result owns its facts and habilitations
 * (pipeline_result_free()).
 */
#ifndef BALP_PIPELINE_H
#define BALP_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/decide.h"
#include "balp/facts.h"
#include "balp/lmtp.h"
#include "balp/sandbox.h"
#include "balp/source.h"
#include "balp/store.h"
#include "balp/store_partner.h"
#include "balp/store_referent.h"

/*
 * Bytes of a message examined to decide it, by the daemon and `balpctl
 * test` alike.  A larger message is not examined whole: it is quarantined
 * as malformed.  conf refuses a max_message_size that would come near it.
 */
#define PIPELINE_READ_MAX	((size_t)256 << 20)

struct pipeline;
struct pipeline_annex;

struct pipeline_result {
	struct msg_facts		facts;
	struct store_habilitations	habs;
	/* The partners the sender is a referent of (decide.h). */
	struct store_referent_list	referent_of;
	struct decision			decision;
	/* An accepted annex mail's file, read and planned (pipeline_annex). */
	struct pipeline_annex		*annex;
};

/* What happened to one message of a pass, for the caller to show. */
struct pipeline_report {
	const char		*label;		/* file name */
	const struct decision	*decision;	/* NULL if not decided now */
	const char		*sender;	/* NULL if none */
	const char		*queue;		/* where it went */
	const char		*stored_reasons; /* when moved from an old decision */
	const char		*stored_outcome;
	const char		*stored_type;
	const char		*warning;	/* decided, but worth a log line */
	const char		*error;		/* NULL, or why it stays in the inbox */
	const char		*message_id;	/* without <>, NULL if none */
	const char		*partner_id;	/* NULL if unknown */
	/* From handing it to a parser worker to now (0: not parsed now). */
	uint64_t		 ms;
};

typedef void pipeline_report_fn(const struct pipeline_report *, void *arg);

/*
 * Where the time goes, summed over the pipeline's life (nanoseconds), for
 * `balpd --once --stats` and tests/bench.  Stages overlap with the
 * workers' parsing: parse_wait is the time spent waiting for a worker's
 * answer, parse_rtt the sum over messages of submit-to-answer latency.
 */
struct pipeline_stats {
	uint64_t	messages;	/* handled: decided or moved */
	uint64_t	decided;
	uint64_t	batches;
	uint64_t	ns_list;
	uint64_t	ns_lookup;	/* "already decided?", per batch */
	uint64_t	ns_read;	/* opening the messages */
	uint64_t	ns_parse_wait;
	uint64_t	ns_parse_rtt;
	uint64_t	ns_annex;	/* habilitation lookup */
	uint64_t	ns_decide;
	uint64_t	ns_record;	/* rows of the batch */
	uint64_t	ns_commit;
	uint64_t	ns_move;
	uint64_t	ns_sync;
};

/*
 * The zygote the parser workers come from (sandbox_zygote.h): the program
 * balp-parser, executed now, found beside the running program or in
 * ../libexec/balp from it.  Start it before any key, password, store or
 * message is in memory (balpd and balpctl do it first thing).  0, or -1
 * with err (naming where balp-parser was looked for).
 */
int	 pipeline_zygote(struct sandbox_zygote **, struct buf *err);
/*
 * A pipeline whose parser workers come from zygote (which must outlive
 * it); NULL: one is forked now from the caller as it is (for callers
 * that hold no secret, and tests).  key_file: the pseudonym key's file, NULL for no
 * pseudonyms (balpctl test); it is read once per batch and wiped at once.
 * actor names the audit rows.  No worker is asked for yet.  0, or -1 with
 * err set.
 */
int	 pipeline_open(const struct balp_conf *, struct store *,
	    struct sandbox_zygote *zygote, const char *key_file,
	    const char *actor, struct pipeline **, struct buf *err);
/*
 * The same with another parser than mime_worker, for tests (a parser that
 * crashes or hangs on a marker): parse runs in the workers of a zygote of
 * its own with parse_arg and must answer facts_serialize()'s bytes (and
 * the annex reader's, for an option with MIME_OPT_ANNEX).  The zygote
 * warms up as the daemon's (mime_warm_up: libmagic's database, iconv), so
 * that a parse handed on to mime_worker types attachments as it does.
 */
int	 pipeline_open_with(const struct balp_conf *, struct store *,
	    const char *key_file, const char *actor, sandbox_fn *parse,
	    void *parse_arg, struct pipeline **, struct buf *err);
void	 pipeline_close(struct pipeline *);

/* Sets the time of processing: every date rule uses its local day. */
void	 pipeline_set_time(struct pipeline *, time_t now, int32_t today);
/* The local civil day of t (date.h day number), 0 if unknown. */
int32_t	 pipeline_today(time_t t);

/*
 * Parses the message of blob, looks the sender up in the annex and
 * decides, with no side effect; an accepted annex mail's file is read and
 * planned too (pipeline_annex_read: res->annex), not staged.  Fills *res (free it with
 * pipeline_result_free, whatever the return).  0; -1 with err set when the
 * store fails; -2 with err set when the parser could not run (no worker,
 * the breaker open, or the canary failing where the message failed):
 * never because of the message itself.
 */
int	 pipeline_decide_blob(struct pipeline *, const struct source_blob *,
	    struct pipeline_result *res, struct buf *err);
/*
 * pipeline_decide_blob() for n blobs at once, parsed side by side by the
 * workers: res[i] (each freed with pipeline_result_free), rc[i] and
 * errs[i] as its return and err.
 */
void	 pipeline_decide_blobs(struct pipeline *,
	    const struct source_blob *blobs, size_t n,
	    struct pipeline_result *res, int *rc, struct buf *errs);
void	 pipeline_result_free(struct pipeline_result *);

/*
 * One pass over the source.  report (may be NULL) is called for every
 * message handled, once its move is durable.  When wake_fd (>= 0, e.g. a
 * signalfd) becomes readable, the pass finishes the batch in hand and
 * returns early: pipeline_interrupted() then says so.  Returns the number
 * of messages handled, or -1 with err set when the store or the parser
 * fails (messages not yet handled stay in the inbox for the next pass;
 * pipeline_breaker_open() tells the parser's failure).  A message whose
 * parse failed is left in the inbox (reported with an error); the pass
 * then checks the parser (the canary) and goes over the inbox once more,
 * where such a message is quarantined if it fails again.
 */
int	 pipeline_pass(struct pipeline *, struct source *, int wake_fd,
	    pipeline_report_fn *report, void *arg, struct buf *err);
int	 pipeline_interrupted(const struct pipeline *);

/*
 * The parser's breaker (breaker.h, docs/sandbox.md).  A parse that fails
 * leaves its message in the inbox; when parses keep failing and a
 * known-good message (the canary) fails too, or no worker can be had at
 * all (the warm-up failed: libmagic's database), the breaker opens:
 * pipeline_pass() and pipeline_decide_blob() then decide nothing and say
 * why, until pipeline_breaker_retry() finds the parser working.
 */
int	 pipeline_breaker_open(const struct pipeline *);
/* Seconds until the next retry is due (0: due, or closed). */
unsigned pipeline_breaker_wait(const struct pipeline *, time_t now);
/*
 * When open and due, tries the canary: 0 when the breaker is closed (now
 * or already), -1 when it stays open (err says why; the next retry waits
 * longer, up to 5 minutes).
 */
int	 pipeline_breaker_retry(struct pipeline *, time_t now, struct buf *err);

/*
 * A message taken over LMTP (lmtp.h, docs/lmtp.md): parsed, decided,
 * recorded with its envelope (source "lmtp") and committed, then filed
 * into its queue in src (src->ops->append: durable when it returns), and
 * only then 0, for the caller to answer 250.  A message handed over again
 * (the same header key: a crash before its 250) is not decided again: it
 * is filed only if its folder does not hold it.  report (may be NULL) is
 * called once it is filed.  -1 with err on any failure (the caller
 * answers 451, Postfix retries): the store, the parser's processes, the
 * mailbox.  Set the time first (pipeline_set_time).
 */
int	 pipeline_deliver(struct pipeline *, struct source *src,
	    const struct lmtp_message *msg, pipeline_report_fn *report,
	    void *arg, struct buf *err);

/*
 * What is left of a delivery once it is decided and recorded: filing
 * the message into queue, named ref, tagged with keywords.  Owns its
 * strings (pipeline_filing_free()).
 */
struct pipeline_filing {
	char	*queue;		/* NULL: nothing left, it is in its folder */
	char	*ref;
	char	*keywords;
};

/*
 * pipeline_deliver() but the filing, for a caller that files the message
 * elsewhere (a filer process, filer.h) and answers once it is filed: 0
 * with *todo set (todo->queue NULL: the folder holds it already, answer
 * now); -1 with err.  report is called once the decision is recorded (or
 * found).
 */
int	 pipeline_deliver_prepare(struct pipeline *, struct source *src,
	    const struct lmtp_message *msg, pipeline_report_fn *report,
	    void *arg, struct pipeline_filing *todo, struct buf *err);
void	 pipeline_filing_free(struct pipeline_filing *);

/* One delivery of pipeline_deliver_batch(). */
struct pipeline_delivery {
	const struct lmtp_message *msg;	/* in */
	/*
	 * out: 0 decided and recorded (or found) with todo set, as
	 * pipeline_deliver_prepare(); -1 with err; 1 the same message as an
	 * earlier one of the batch: hand it in again after this batch.
	 */
	int			 rc;
	struct pipeline_filing	 todo;
	struct buf		 err;	/* the caller's, appended to */
};

/*
 * pipeline_deliver_prepare() for the n deliveries that came together
 * (several LMTP sessions): parsed side by side by the workers, decided,
 * and recorded in ONE transaction (one sync to disk for all).  A failure
 * of the store fails all that were to be recorded; a message's own
 * failure (its parse) only its own.
 */
void	 pipeline_deliver_batch(struct pipeline *, struct source *src,
	    struct pipeline_delivery *v, size_t n,
	    pipeline_report_fn *report, void *arg);

const struct pipeline_stats *pipeline_stats(const struct pipeline *);

/*
 * Creates every queue folder of the rules that is missing (at start and
 * after a reload, so that moves need no mkdir).  0, or -1 with err set.
 */
int	 pipeline_ensure_queues(const struct rules *, struct source *,
	    struct buf *err);

#endif
