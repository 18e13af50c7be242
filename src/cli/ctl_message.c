/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_message - balpctl message show | retriage | release (see
 * ctl_message.h and store_message.h).
 *
 * The store keeps the record, the source moves the file.  A retriage is
 * recorded first, so that a running balpd that finds the message back in
 * the inbox already knows which decision the new one supersedes; if the
 * move then fails, the record is undone.  A release is recorded once its
 * move is done (balpd never reads the queue folders).
 */
#include "balp/ctl_message.h"
#include "balp/conf.h"
#include "balp/ctl_trace.h"
#include "balp/store_staged.h"
#include "balp/json.h"
#include "balp/notice.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void	show_findings_json(struct buf *, const char *);

static int
usage(const char *u)
{
	fprintf(stderr, "usage: balpctl [-c CONF] message %s\n", u);
	return CTL_USAGE;
}

/*
 * The decision named by arg: a decision id, or a Message-ID (with or
 * without <>: its most recent decision).
 */
static int
resolve(struct ctl *c, const char *arg, int64_t *id)
{
	char *end;
	long long v;

	if (arg[0] >= '0' && arg[0] <= '9') {
		v = strtoll(arg, &end, 10);
		if (*end == '\0' && v > 0) {
			*id = (int64_t)v;
			return 0;
		}
	}
	if (store_message_find(c->store, arg, id) != STORE_OK) {
		ctl_store_fail(c);
		return -1;
	}
	return 0;
}

/* Opens the configured source (no watch): 0, or -1 with the error said. */
static int
open_source(struct ctl *c, struct source *src)
{
	struct buf err = BUF_INIT;

	if (source_registry_open(&c->conf.source, 0, src, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

/* 1 if q is one of the rules' queues. */
static int
known_queue(const struct rules *r, const char *q)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].queue, q) == 0)
			return 1;
	return strcmp(r->queue_rejects, q) == 0 ||
	    strcmp(r->queue_quarantine, q) == 0;
}

/*
 * Where the message is now, as the mailbox says: looked up by its name
 * (Maildir) or its Message-ID (IMAP) in the folder the store says, as
 * retriage and release find it.  Not asked for a superseded decision
 * (its message is the new decision's).
 */
enum whereabouts {
	MAILBOX_NOT_ASKED,
	MAILBOX_THERE,		/* in the folder the store says */
	MAILBOX_GONE,		/* an agent moved or deleted it */
	MAILBOX_UNREACHABLE,	/* the mailbox cannot tell: why in err */
};

static enum whereabouts
whereabouts(struct ctl *c, const struct store_message *m, struct buf *err)
{
	struct source src = { NULL, NULL };
	const char *folder, *ref;
	int r;

	if (m->superseded_by != 0)
		return MAILBOX_NOT_ASKED;
	/* A pending retriage has it in the inbox under its new name. */
	folder = store_message_queue(m);
	ref = folder != NULL ? m->decision.source_ref : m->retriage_ref;
	if (source_registry_open(&c->conf.source, 0, &src, err) == -1)
		return MAILBOX_UNREACHABLE;
	r = src.ops->locate(src.state, folder, ref, m->decision.message_id,
	    err);
	src.ops->close(src.state);
	return r == 0 ? MAILBOX_THERE : r == 1 ? MAILBOX_GONE :
	    MAILBOX_UNREACHABLE;
}

/*
 * message show --json: the decision as `log --json` gives it, then what
 * happened to its message since.  "queue_now" is null while a retriage
 * has it back in the inbox (as "retriage_ref").  The audit rows are
 * named as in the table: no detail, no hash.  0, or -1 on ENOMEM
 * (nothing printed).
 */
static int
show_json(const struct store_message *m, const char *findings,
    enum whereabouts w, const struct buf *why)
{
	struct buf b = BUF_INIT;
	const struct store_release *r;
	size_t i;
	int rc;

	buf_puts(&b, "{\"decision\":");
	ctl_trace_decision_json(&b, &m->decision);
	if (m->superseded_by != 0)
		buf_printf(&b, ",\n\"superseded_by\":%" PRId64,
		    m->superseded_by);
	else
		buf_puts(&b, ",\n\"superseded_by\":null");
	buf_puts(&b, ",\"queue_now\":");
	json_string(&b, m->superseded_by != 0 ? NULL :
	    store_message_queue(m));
	buf_puts(&b, ",\"retriage_ref\":");
	json_string(&b, m->retriage_ref);
	/* queue_now is the store's word; in_mailbox, the mailbox's */
	buf_printf(&b, ",\"in_mailbox\":%s,\"mailbox_error\":",
	    w == MAILBOX_THERE ? "true" : w == MAILBOX_GONE ? "false" :
	    "null");
	json_string(&b, w == MAILBOX_UNREACHABLE ? buf_str(why) : NULL);
	buf_puts(&b, ",\n\"releases\":[");
	for (i = 0; i < m->n_releases; i++) {
		r = &m->releases[i];
		buf_printf(&b, "%s{\"id\":%" PRId64 ",\"at\":", i > 0 ?
		    ",\n" : "\n", r->id);
		json_string(&b, r->at);
		buf_puts(&b, ",\"actor\":");
		json_string(&b, r->actor);
		buf_puts(&b, ",\"from_queue\":");
		json_string(&b, r->from_queue);
		buf_puts(&b, ",\"to_queue\":");
		json_string(&b, r->to_queue);
		buf_puts(&b, ",\"reason\":");
		json_string(&b, r->reason);
		buf_putc(&b, '}');
	}
	buf_puts(&b, "],\n\"audit\":[");
	for (i = 0; i < m->audit.n; i++) {
		buf_printf(&b, "%s{\"id\":%" PRId64 ",\"at\":", i > 0 ?
		    ",\n" : "\n", m->audit.v[i].id);
		json_string(&b, m->audit.v[i].at);
		buf_puts(&b, ",\"actor\":");
		json_string(&b, m->audit.v[i].actor);
		buf_puts(&b, ",\"action\":");
		json_string(&b, m->audit.v[i].action);
		buf_putc(&b, '}');
	}
	buf_putc(&b, ']');
	show_findings_json(&b, findings);
	buf_puts(&b, "}\n");
	rc = b.failed ? -1 : 0;
	if (rc == 0)
		fputs(buf_str(&b), stdout);
	buf_free(&b);
	return rc;
}

/*
 * What the decision's reasons found (store_decision_findings): one line
 * per part, "findings    part 3 application/pdf .pdf: macro" in the
 * text, or the lines as a JSON array after ",\n\"findings\":" in b.
 * Parts that were not inspected say why; the file name is never kept
 * (attachment.h): the part's number finds it in the message.
 */
static void
show_findings(const char *findings)
{
	const char *s = findings, *nl;
	char *line;
	int first = 1;

	while (s != NULL && *s != '\0') {
		nl = strchr(s, '\n');
		if ((line = buf_strndup(s, nl != NULL ? (size_t)(nl - s) :
		    strlen(s))) == NULL)
			return;
		fputs(first ? "findings    " : "            ", stdout);
		ctl_put_escaped(stdout, line);
		putchar('\n');
		free(line);
		first = 0;
		s = nl != NULL ? nl + 1 : NULL;
	}
}

static void
show_findings_json(struct buf *b, const char *findings)
{
	const char *s = findings, *nl;
	char *line;
	int first = 1;

	buf_puts(b, ",\n\"findings\":[");
	while (s != NULL && *s != '\0') {
		nl = strchr(s, '\n');
		if ((line = buf_strndup(s, nl != NULL ? (size_t)(nl - s) :
		    strlen(s))) == NULL) {
			b->failed = 1;
			return;
		}
		if (!first)
			buf_putc(b, ',');
		json_string(b, line);
		free(line);
		first = 0;
		s = nl != NULL ? nl + 1 : NULL;
	}
	buf_putc(b, ']');
}

static int
message_show(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "show ID|MESSAGE-ID [--json]";
	struct store_message m;
	const struct store_decision *d;
	const char *where;
	char *findings = NULL;
	struct buf why = BUF_INIT;
	enum whereabouts w;
	int64_t id;
	size_t i;
	int ch, json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return usage(u);
	}
	if (optind != argc - 1)
		return usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (resolve(c, argv[optind], &id) == -1)
		return CTL_FAILED;
	if (store_decision_findings(c->store, id, &findings) != STORE_OK)
		return ctl_store_fail(c);
	if (store_message_get(c->store, id, &m) != STORE_OK) {
		free(findings);
		return ctl_store_fail(c);
	}
	w = whereabouts(c, &m, &why);
	if (json) {
		ch = show_json(&m, findings, w, &why);
		free(findings);
		buf_free(&why);
		store_message_free(&m);
		if (ch == -1) {
			ctl_error("out of memory");
			return CTL_FAILED;
		}
		return CTL_OK;
	}
	d = &m.decision;
	where = store_message_queue(&m);
	printf("decision    %" PRId64 " (%s)\n", d->id, d->decided_at);
	printf("message     ");
	ctl_put_escaped(stdout, d->source_ref);
	printf(" (%s)", d->source);
	if (d->message_id != NULL) {
		printf(", Message-ID <");
		ctl_put_escaped(stdout, d->message_id);
		putchar('>');
	}
	printf("\nsender      ");
	ctl_put_escaped(stdout, d->sender ? d->sender : "-");
	if (d->partner_id != NULL) {
		printf(" (partner ");
		ctl_put_escaped(stdout, d->partner_id);
		putchar(')');
	}
	printf("\noutcome     %s, type %s, reasons %s\n", d->outcome,
	    d->type ? d->type : "-", d->reasons[0] ? d->reasons : "-");
	show_findings(findings);
	free(findings);
	printf("queue       %s\n", d->queue);
	if (m.superseded_by != 0)
		printf("now         superseded by decision %" PRId64 "\n",
		    m.superseded_by);
	else if (w == MAILBOX_UNREACHABLE) {
		printf("now         the mailbox cannot tell (");
		ctl_put_escaped(stdout, buf_str(&why));
		if (where == NULL)
			printf("); the store says: back in the inbox as %s, "
			    "for the next pass\n", m.retriage_ref);
		else
			printf("); the store says: in %s\n", where);
	} else if (w == MAILBOX_GONE)
		printf("now         not in %s any more (moved or deleted)\n",
		    where != NULL ? where : "the inbox");
	else if (where == NULL)
		printf("now         back in the inbox as %s, for the next "
		    "pass\n", m.retriage_ref);
	else
		printf("now         in %s\n", where);
	if (d->supersedes != 0)
		printf("supersedes  decision %" PRId64 "\n", d->supersedes);
	for (i = 0; i < m.n_releases; i++)
		printf("released    %s by %s: %s -> %s: %s\n", m.releases[i].at,
		    m.releases[i].actor, m.releases[i].from_queue,
		    m.releases[i].to_queue, m.releases[i].reason);
	for (i = 0; i < m.audit.n; i++)
		printf("%s #%" PRId64 " %s %s %s\n", i == 0 ? "audit      " :
		    "           ", m.audit.v[i].id, m.audit.v[i].at,
		    m.audit.v[i].actor, m.audit.v[i].action);
	buf_free(&why);
	store_message_free(&m);
	return CTL_OK;
}

/*
 * Whether queue is that of a type of the annex (rules' annex_update):
 * only a triage files a mail there, staging its file.
 */
static int
annex_queue(const struct rules *r, const char *queue)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (r->types[i].annex_update &&
		    strcmp(r->types[i].queue, queue) == 0)
			return 1;
	return 0;
}

/*
 * -1, said, when the mail of decision id has its annex staged and
 * pending: checked before any move (the store refuses it again in its
 * transaction, store_message.h).
 */
static int
staged_pending(struct ctl *c, int64_t id)
{
	int64_t staged;

	if (store_staged_pending_of(c->store, id, &staged) != STORE_OK) {
		ctl_store_fail(c);
		return -1;
	}
	if (staged == 0)
		return 0;
	ctl_error("decision %" PRId64 ": its annex is staged for approval "
	    "(staged annex %" PRId64 ", pending): approve or reject it first "
	    "(balpctl annex approve|reject %" PRId64 ")", id, staged, staged);
	return -1;
}

/* "ref.rID": the name a retriaged message takes back in the inbox. */
static char *
retriage_name(const char *ref, int64_t id)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s.r%" PRId64, ref, id);
	return buf_detach(&b);
}

static int
message_retriage(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "retriage ID|MESSAGE-ID [--reason TEXT]";
	const char *reason = "";
	struct store_message m;
	struct source src = { NULL, NULL };
	struct buf err = BUF_INIT;
	const char *from;
	char *name = NULL;
	int64_t id;
	int ch, r, rc = CTL_FAILED;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else
			return usage(u);
	}
	if (optind != argc - 1)
		return usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (resolve(c, argv[optind], &id) == -1)
		return CTL_FAILED;
	if (store_message_get(c->store, id, &m) != STORE_OK)
		return ctl_store_fail(c);
	if (staged_pending(c, id) != 0)
		goto out;
	/* Where the record says it is, a pending retriage aside. */
	from = m.n_releases > 0 ? m.releases[m.n_releases - 1].to_queue :
	    m.decision.queue;
	if ((name = retriage_name(m.decision.source_ref, id)) == NULL) {
		ctl_error("out of memory");
		goto out;
	}
	if (open_source(c, &src) == -1)
		goto out;
	r = store_message_retriage(c->store, id, name, reason, c->actor,
	    c->now);
	if (r != STORE_OK && r != STORE_EXISTS) {
		ctl_store_fail(c);
		goto out;
	}
	switch (src.ops->relocate(src.state, from, m.decision.source_ref,
	    m.decision.message_id, NULL, name, &err)) {
	case 0:
		printf("decision %" PRId64 ": %s is back in the inbox as %s; "
		    "the next pass decides it afresh\n", id,
		    m.decision.source_ref, name);
		rc = CTL_OK;
		break;
	case 1:
		if (r == STORE_EXISTS) {
			ctl_error("decision %" PRId64 ": retriage pending, and "
			    "its message is no longer in %s (in the inbox as "
			    "%s already?)", id, from, name);
			break;
		}
		ctl_error("decision %" PRId64 ": %s is not in %s (moved or "
		    "deleted in a mail client?): nothing done", id,
		    m.decision.source_ref, from);
		(void)store_message_retriage_undo(c->store, id, "message not "
		    "found in its queue", c->actor, c->now);
		break;
	default:
		ctl_error("%s", buf_str(&err));
		if (r == STORE_OK)
			(void)store_message_retriage_undo(c->store, id,
			    "the move failed", c->actor, c->now);
	}
out:
	if (src.ops != NULL)
		src.ops->close(src.state);
	store_message_free(&m);
	buf_free(&err);
	free(name);
	return rc;
}

/*
 * The rejection notice of a stored decision, as decide() would have
 * written it: its reasons and type, rendered from the rules' templates
 * (the NIR is not kept, so its key is not echoed).  0, or -1 on ENOMEM.
 */
static int
stored_notice(struct ctl *c, const struct store_decision *d,
    char **subject, char **body)
{
	const struct rules *r = &c->conf.rules;
	struct decision dec;
	char *codes, *code, *save = NULL;
	size_t i;
	int rv;

	memset(&dec, 0, sizeof(dec));
	if ((codes = buf_strdup(d->reasons)) == NULL)
		return -1;
	for (code = strtok_r(codes, ",", &save); code != NULL;
	    code = strtok_r(NULL, ",", &save))
		if ((rv = reason_from_code(code)) >= 0)
			dec.reasons |= REASON_BIT(rv);
	free(codes);
	for (i = 0; d->type != NULL && i < r->n_types; i++)
		if (strcmp(r->types[i].id, d->type) == 0)
			dec.type = &r->types[i];
	dec.outcome = OUTCOME_REJECTED;
	dec.queue = r->queue_rejects;
	dec.partner_id = d->partner_id;
	dec.notify = 1;
	return notice_render(r, &dec, c->today, subject, body);
}

static int
message_release(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'r' },
		{ "notify", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "release ID|MESSAGE-ID --to QUEUE --reason TEXT"
	    " [--notify]";
	const char *to = NULL, *reason = NULL, *from;
	struct store_notice notice = { NULL, NULL, NULL };
	char *subject = NULL, *body = NULL;
	struct store_message m;
	struct source src = { NULL, NULL };
	struct buf err = BUF_INIT;
	int64_t id;
	int ch, notify = 0, rc = CTL_FAILED;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 't')
			to = optarg;
		else if (ch == 'r')
			reason = optarg;
		else if (ch == 'n')
			notify = 1;
		else
			return usage(u);
	}
	if (optind != argc - 1 || to == NULL || reason == NULL)
		return usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (!known_queue(&c->conf.rules, to)) {
		ctl_error("release: %s is none of the rules' queues", to);
		return CTL_FAILED;
	}
	if (annex_queue(&c->conf.rules, to)) {
		ctl_error("release: %s holds the annexes staged for approval, "
		    "and a release stages nothing: send the message back to "
		    "triage (balpctl message retriage %s), which reads its file "
		    "and stages it if the mail is accepted then (from a "
		    "referent, authenticated, with one valid file); a file the "
		    "gateway will not accept can be imported by hand (balpctl "
		    "annex import)", to, argv[optind]);
		return CTL_FAILED;
	}
	/* A notice says what to fix: only a rejection has one. */
	if (notify && strcmp(to, c->conf.rules.queue_rejects) != 0) {
		ctl_error("release: --notify goes with --to %s (a notice says"
		    " what to fix)", c->conf.rules.queue_rejects);
		return CTL_FAILED;
	}
	if (resolve(c, argv[optind], &id) == -1)
		return CTL_FAILED;
	if (store_message_get(c->store, id, &m) != STORE_OK)
		return ctl_store_fail(c);
	if ((from = store_message_queue(&m)) == NULL || m.superseded_by) {
		ctl_error("decision %" PRId64 ": %s", id, m.superseded_by ?
		    "superseded: release its current decision" :
		    "its message is back in the inbox for a retriage");
		goto out;
	}
	if (staged_pending(c, id) != 0)
		goto out;
	if (strcmp(from, to) == 0) {
		ctl_error("decision %" PRId64 ": the message is in %s already",
		    id, to);
		goto out;
	}
	if (notify && m.decision.sender == NULL) {
		ctl_error("decision %" PRId64 ": no sender to notify", id);
		goto out;
	}
	if (notify) {
		if (stored_notice(c, &m.decision, &subject, &body) == -1) {
			ctl_error("out of memory");
			goto out;
		}
		notice.recipient = m.decision.sender;
		notice.subject = subject;
		notice.body = body;
	}
	if (open_source(c, &src) == -1)
		goto out;
	switch (src.ops->relocate(src.state, from, m.decision.source_ref,
	    m.decision.message_id, to, NULL, &err)) {
	case 0:
		break;
	case 1:
		ctl_error("decision %" PRId64 ": %s is not in %s (moved or "
		    "deleted in a mail client?): nothing done", id,
		    m.decision.source_ref, from);
		goto out;
	default:
		ctl_error("%s", buf_str(&err));
		goto out;
	}
	if (store_message_release(c->store, id, from, to, reason,
	    notify ? &notice : NULL, c->actor, c->now) != STORE_OK) {
		ctl_store_fail(c);
		/* Put it back: no move without its record. */
		buf_reset(&err);
		if (src.ops->relocate(src.state, to, m.decision.source_ref,
		    m.decision.message_id, from, NULL, &err) != 0)
			ctl_error("and it could not be put back in %s: %s",
			    from, buf_str(&err));
		goto out;
	}
	printf("decision %" PRId64 ": %s moved from %s to %s%s\n", id,
	    m.decision.source_ref, from, to, notify ? ", notice queued" : "");
	rc = CTL_OK;
out:
	if (src.ops != NULL)
		src.ops->close(src.state);
	store_message_free(&m);
	buf_free(&err);
	free(subject);
	free(body);
	return rc;
}

int
ctl_message(struct ctl *c, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_require_admin(c, "message")) != CTL_OK)
		return rc;
	/* getopt names argv[0] in its errors: the whole command. */
	if (argc >= 2 && strcmp(argv[1], "show") == 0) {
		argv[1] = (char *)"message show";
		return message_show(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "retriage") == 0) {
		argv[1] = (char *)"message retriage";
		return message_retriage(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "release") == 0) {
		argv[1] = (char *)"message release";
		return message_release(c, argc - 1, argv + 1);
	}
	return usage("show|retriage|release ID|MESSAGE-ID ...");
}
