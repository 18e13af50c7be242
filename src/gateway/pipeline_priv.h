/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_priv - what pipeline.c (the pass) and pipeline_parser.c (the
 * parser's processes and the breaker) share: the pipeline itself.  Not a
 * public header: the rest of balp goes through include/balp/pipeline.h.
 */
#ifndef BALP_PIPELINE_PRIV_H
#define BALP_PIPELINE_PRIV_H

#include "balp/breaker.h"
#include "balp/pipeline.h"
#include "balp/sandbox.h"
#include "balp/store_decision.h"

/* A worker's answer: the serialized facts (first text is capped). */
#define PIPELINE_ANSWER_MAX	((size_t)16 << 20)

struct pipeline {
	const struct balp_conf	*conf;
	struct store		*store;
	struct sandbox		*sandbox;	/* NULL: reopened on demand */
	struct sandbox_zygote	*zygote;
	int			 own_zygote;	/* started here, stopped here */
	/* mime_worker's argument, sent to each worker: the conf's limits */
	const void		*worker_arg;
	size_t			 worker_arglen;
	struct breaker		 brk;
	const char		*key_file;
	const char		*actor;
	time_t			 now;
	int32_t			 today;
	int			 interrupted;
	struct pipeline_stats	 stats;
};

/* The sandbox of the parser's workers, opened if it is not: 0, or -1. */
int	 pipeline_sandbox_start(struct pipeline *, struct buf *err);
/* The canary decides: the parser proven (0), or the breaker open (-1). */
int	 pipeline_probe(struct pipeline *, struct buf *err);
/* 1 if a job's status is a failed parse (crash, timeout, bad answer). */
int	 pipeline_parse_failed(enum sandbox_status);
/* The malformed reason a failed parse stands for. */
const char *pipeline_failure_name(enum sandbox_status);

/*
 * The decision of res in the open batch, with its notice if it has one:
 * spec comes with source, source_ref, the keyed hashes and the envelope
 * set; the rest is filled from res.  0, 1 if already decided, -1.
 */
int	 pipeline_record(struct pipeline *, struct store_decision_spec *spec,
	    const struct pipeline_result *res, struct buf *err);
/*
 * The IMAP keywords a filed message carries ("$BALP_RIB
 * $BALP_nir_missing"), from the type's id and the comma-separated reasons.
 */
void	 pipeline_keywords(const char *type, const char *reasons,
	    struct buf *kw);

#endif
