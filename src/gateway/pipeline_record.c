/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_record - what the pass (pipeline.c) and a delivery over LMTP
 * (pipeline_deliver.c) both do with a decision: its rows in the open
 * batch, with the notice or acknowledgment it calls for, and the IMAP
 * keywords the filed message carries (pipeline_priv.h).
 */
#include "balp/attachment.h"
#include "balp/notice.h"
#include "balp/pipeline_annex.h"
#include "pipeline_priv.h"

#include <ctype.h>
#include <stdlib.h>

int
pipeline_record(struct pipeline *p, struct store_decision_spec *spec,
    const struct pipeline_result *res, struct buf *err)
{
	const struct decision *d = &res->decision;
	struct store_notice notice = { NULL, NULL, NULL };
	struct buf findings = BUF_INIT;
	char *subject = NULL, *body = NULL;
	int64_t id = 0;
	int r;

	spec->message_id = res->facts.message_id;
	spec->sender = res->facts.from_addr;
	spec->partner_id = d->partner_id;
	spec->type = d->type != NULL ? d->type->id : NULL;
	spec->outcome = d->outcome;
	spec->reasons = d->reasons;
	spec->queue = d->queue;
	/* what the reasons found, part by part (no file name: attachment.h) */
	if (attachment_findings(&p->conf->rules, &res->facts,
	    &findings) == -1) {
		buf_free(&findings);
		buf_puts(err, "out of memory");
		return -1;
	}
	/* what the annex file's reader found, when it quarantined it */
	if (res->annex != NULL && res->annex->findings.len > 0)
		buf_puts(&findings, buf_str(&res->annex->findings));
	spec->findings = findings.len > 0 ? buf_str(&findings) : NULL;
	if (d->notify && res->facts.from_addr != NULL) {
		if (notice_render(&p->conf->rules, d, p->today, &subject,
		    &body) == -1) {
			buf_free(&findings);
			buf_puts(err, "out of memory");
			return -1;
		}
		notice.recipient = res->facts.from_addr;
		notice.subject = subject;
		notice.body = body;
	} else if (p->conf->notices_acknowledge &&
	    d->outcome == OUTCOME_ACCEPTED && res->facts.from_addr != NULL) {
		/* notices.acknowledge: the outbox takes it like a notice. */
		if (notice_render_ack(&p->conf->rules, d, p->today, &subject,
		    &body) == -1) {
			buf_free(&findings);
			buf_puts(err, "out of memory");
			return -1;
		}
		notice.recipient = res->facts.from_addr;
		notice.subject = subject;
		notice.body = body;
	}
	r = store_batch_add(p->store, spec,
	    notice.recipient != NULL ? &notice : NULL, p->actor, p->now, &id);
	free(subject);
	free(body);
	buf_free(&findings);
	if (r == STORE_EXISTS)
		return 1;
	if (r != STORE_OK) {
		buf_printf(err, "cannot record the decision: %s",
		    store_errmsg(p->store));
		return -1;
	}
	/* An accepted annex is staged with its decision, or neither is. */
	if (pipeline_annex_stage(p, res, id, err) == -1)
		return -1;
	return 0;
}

/*
 * The IMAP keywords a filed message carries, so that agents see its type
 * and reasons as tags: "$BALP_RIB $BALP_nir_missing".  type is the rules'
 * id (upper-cased), reasons the stored comma-separated codes; anything an
 * IMAP atom cannot hold becomes '_'.
 */
void
pipeline_keywords(const char *type, const char *reasons, struct buf *kw)
{
	const char *p;
	int start = 1;

	buf_reset(kw);
	if (type != NULL) {
		buf_puts(kw, "$BALP_");
		for (p = type; *p != '\0'; p++)
			buf_putc(kw, isalnum((unsigned char)*p) ?
			    (char)toupper((unsigned char)*p) : '_');
	}
	for (p = reasons; *p != '\0'; p++) {
		if (*p == ',') {
			start = 1;
			continue;
		}
		if (start) {
			if (kw->len > 0)
				buf_putc(kw, ' ');
			buf_puts(kw, "$BALP_");
			start = 0;
		}
		buf_putc(kw, isalnum((unsigned char)*p) || *p == '_' ? *p :
		    '_');
	}
}
