/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_annex - the annex mailed by a referent, after decide (see
 * include/balp/pipeline_annex.h, docs/annex-mail.md).
 *
 * Its file is read by a worker of its own, fresh from the zygote and
 * killed after this one job, whatever parser.max_jobs says: the pass's
 * workers answer in submission order and hold other messages, and an
 * annex is rare.  The worker parses the message again (the same walk
 * finds the same part), decodes the part and reads it with
 * annex_file_parse; the daemon only checks the answer's lengths and
 * hashes the file's bytes it sends back.
 */
#include "balp/pipeline_annex.h"
#include "balp/annex_wire.h"
#include "balp/log.h"
#include "balp/mime.h"
#include "balp/pipeline.h"
#include "balp/sandbox.h"
#include "balp/store_staged.h"
#include "pipeline_priv.h"

#include <stdlib.h>
#include <string.h>

void
pipeline_annex_free(struct pipeline_annex *a)
{
	if (a == NULL)
		return;
	annex_rows_free(&a->rows);
	annex_plan_free(&a->plan);
	buf_free(&a->errors);
	buf_free(&a->findings);
	free(a);
}

int
pipeline_annex_redecide(struct pipeline *p, struct pipeline_result *res,
    struct annex_view *annex, const struct decide_ctx *ctx, struct buf *err)
{
	if (res->decision.type == NULL || !res->decision.type->annex_update ||
	    res->facts.from_addr == NULL)
		return 0;
	if (store_referent_partners(p->store, res->facts.from_addr,
	    &res->referent_of) != STORE_OK) {
		buf_printf(err, "referent lookup: %s", store_errmsg(p->store));
		return -1;
	}
	annex->referent_of = (const char *const *)res->referent_of.v;
	annex->n_referent_of = res->referent_of.n;
	decide(&res->facts, annex, ctx, &res->decision);
	return 0;
}

/* One job in a sandbox of one worker: 0 with its status and answer. */
static int
run_job(struct pipeline *p, const struct source_blob *blob, uint64_t opt,
    enum sandbox_status *st, char **answer, size_t *alen, struct buf *err)
{
	const struct balp_conf *c = p->conf;
	struct sandbox_conf sc;
	struct sandbox *sb = NULL;
	uint64_t tag;
	int r;

	memset(&sc, 0, sizeof(sc));
	sc.workers = 1;
	sc.deadline_ms = c->parser_deadline_ms;
	sc.max_jobs = 1;
	sc.max_input = PIPELINE_READ_MAX;
	sc.max_output = ANNEX_WIRE_MAX_ANSWER;
	if (sandbox_open(&sc, p->zygote, p->worker_arg, p->worker_arglen, &sb,
	    err) == -1)
		return -1;
	if (sandbox_submit(sb, 0, blob->fd, blob->data, blob->len, opt,
	    err) == -1) {
		sandbox_close(sb);
		return -1;
	}
	r = sandbox_collect(sb, -1, &tag, st, answer, alen, err);
	sandbox_close(sb);
	if (r != 1) {
		if (r == 0)
			buf_puts(err, "the annex reader gave no answer");
		return -1;
	}
	return 0;
}

int
pipeline_annex_read(struct pipeline *p, const struct source_blob *blob,
    struct pipeline_result *res, struct buf *err)
{
	struct decision *d = &res->decision;
	const struct rules *r = &p->conf->rules;
	struct pipeline_annex *a;
	struct buf file = BUF_INIT;
	enum sandbox_status st;
	char *answer = NULL;
	size_t alen = 0;
	const char *why;
	int rc, unreadable = 0;

	if (d->type == NULL || !d->type->annex_update ||
	    d->outcome != OUTCOME_ACCEPTED || d->annex_part < 0 ||
	    d->partner_id == NULL)
		return 0;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	res->annex = a;
	if (run_job(p, blob, MIME_OPT_ANNEX_JOB((uint64_t)d->annex_part,
	    blob->partial ? (uint64_t)blob->heads_from + 1 : 0), &st, &answer,
	    &alen, err) == -1)
		return -1;
	/*
	 * A worker that died or hung on the file, or answered nonsense:
	 * the file is dangerous or broken beyond reading, as a message
	 * that does so is.  Quarantined; an admin looks.
	 */
	if (st != SANDBOX_OK || annex_wire_get(answer, alen, &a->rows,
	    &a->errors, &unreadable, &file) == -1) {
		free(answer);
		log_warn("annex file of a mail from %s: the reader %s; "
		    "quarantined", res->facts.from_addr, st ==
		    SANDBOX_CRASHED ? "crashed" : st == SANDBOX_TIMEOUT ?
		    "timed out" : "failed");
		buf_reset(&a->errors);
		buf_printf(&a->findings, "part %ld: the annex file's reader "
		    "%s\n", d->annex_part + 1, st == SANDBOX_CRASHED ?
		    "crashed" : st == SANDBOX_TIMEOUT ? "timed out" :
		    "failed or answered nonsense");
		decide_annex_refused(d, r, REASON_MALFORMED, NULL);
		return 0;
	}
	free(answer);
	/*
	 * A spreadsheet the reader refused whole (cut, corrupt, a zip
	 * bomb): a dangerous attachment, quarantined as the content checks
	 * quarantine one; nothing staged, nobody answered.
	 */
	if (unreadable) {
		log_warn("annex file of a mail from %s refused by the reader: "
		    "%.*s; quarantined", res->facts.from_addr,
		    (int)strcspn(buf_str(&a->errors), "\n"),
		    buf_str(&a->errors));
		/* the worker's words: its "file: " only if it is there */
		why = buf_str(&a->errors);
		if (strncmp(why, "file: ", 6) == 0)
			why += 6;
		buf_printf(&a->findings, "part %ld: annex file refused whole "
		    "by its reader: %.*s\n", d->annex_part + 1,
		    (int)strcspn(why, "\n"), why);
		buf_reset(&a->errors);
		buf_free(&file);
		decide_annex_refused(d, r, REASON_ATTACHMENT_FORBIDDEN, NULL);
		return 0;
	}
	if (a->errors.len == 0) {
		if (annex_digest(file.data != NULL ? file.data : "",
		    file.len, &a->rows) == -1) {
			buf_puts(err, "annex file digest: libsodium cannot "
			    "start");
			buf_free(&file);
			return -1;
		}
		/*
		 * What `annex import --dry-run` says of it, the quota too:
		 * reads only, so no write lock (`balpctl test` reads a
		 * store it may not write).
		 */
		rc = annex_import_locked(p->store, d->partner_id, &a->rows,
		    p->today, 1, 0, p->actor, p->now, &a->plan);
		if (rc == STORE_OK)
			a->planned = 1;
		else if (rc == STORE_REFUSED || rc == STORE_NOTFOUND)
			buf_printf(&a->errors, "file: %s\n",
			    store_errmsg(p->store));
		else {
			buf_printf(err, "annex dry run: %s",
			    store_errmsg(p->store));
			buf_free(&file);
			return -1;
		}
	}
	buf_free(&file);
	if (a->errors.failed) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if (a->errors.len > 0) {
		annex_rows_free(&a->rows);
		decide_annex_refused(d, r, REASON_ANNEX_INVALID,
		    buf_str(&a->errors));
	}
	return 0;
}

int
pipeline_annex_stage(struct pipeline *p, const struct pipeline_result *res,
    int64_t decision_id, struct buf *err)
{
	const struct pipeline_annex *a = res->annex;
	struct store_staged_spec spec;
	int64_t id;

	if (a == NULL || !a->planned ||
	    res->decision.outcome != OUTCOME_ACCEPTED)
		return 0;
	memset(&spec, 0, sizeof(spec));
	spec.partner_id = res->decision.partner_id;
	spec.sender = res->facts.from_addr;
	spec.decision_id = decision_id;
	spec.received_at = p->now;
	spec.rows = &a->rows;
	spec.plan = &a->plan;
	if (store_staged_add(p->store, &spec, p->actor, p->now, &id) !=
	    STORE_OK) {
		buf_printf(err, "cannot stage the annex: %s",
		    store_errmsg(p->store));
		return -1;
	}
	log_info("annex of %s from %s staged as %lld (%zu added, %zu updated, "
	    "%zu ended): `balpctl annex show %lld`", spec.partner_id,
	    spec.sender, (long long)id, a->plan.n_added, a->plan.n_updated,
	    a->plan.n_ended, (long long)id);
	return 0;
}
