/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_message - balpctl message show | retriage | release (see
 * ctl_message.h and store_message.h).
 *
 * The store keeps the record, the source moves the file.  A retriage is
 * recorded first, so that a running balpd that finds the message back in
 * the inbox already knows which decision the new one supersedes; if the
 * move then fails, the record is undone.  A release is recorded once its
 * move is done (balpd never reads the queue folders).  Both are
 * message_act.h's, which the console calls too; this file parses the
 * arguments and says what was done.
 */
#include "balp/ctl_message.h"
#include "balp/conf.h"
#include "balp/ctl_trace.h"
#include "balp/json.h"
#include "balp/message_act.h"
#include "balp/source.h"
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
	if (source_open(&c->conf.source, 0, &src, err) == -1)
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

static int
message_retriage(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "retriage ID|MESSAGE-ID [--reason TEXT]";
	const char *reason = "";
	struct message_act done;
	struct buf err = BUF_INIT;
	int64_t id;
	int ch, rc = CTL_FAILED;

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
	if (message_act_retriage(c->store, &c->conf, id, reason, c->actor,
	    c->now, &done, &err) == -1)
		ctl_error("%s", buf_str(&err));
	else {
		printf("decision %" PRId64 ": %s is back in the inbox as %s; "
		    "the next pass decides it afresh\n", id, done.source_ref,
		    done.new_ref);
		rc = CTL_OK;
	}
	message_act_free(&done);
	buf_free(&err);
	return rc;
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
	const char *to = NULL, *reason = NULL;
	struct message_act done;
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
	if (!message_act_known_queue(&c->conf.rules, to)) {
		ctl_error("release: %s is none of the rules' queues", to);
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
	if (message_act_release(c->store, &c->conf, id, to, reason, notify,
	    c->today, c->actor, c->now, &done, &err) == -1)
		ctl_error("%s", buf_str(&err));
	else {
		printf("decision %" PRId64 ": %s moved from %s to %s%s\n", id,
		    done.source_ref, done.from, done.to, notify ?
		    ", notice queued" : "");
		rc = CTL_OK;
	}
	message_act_free(&done);
	buf_free(&err);
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
