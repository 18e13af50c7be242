/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trace - the traces for the Caf's security officer (see ctl_trace.h):
 * log (trace queries, themselves traced) and audit verify | anchor.
 *
 * Options are parsed with getopt_long, re-initialised per command
 * (optind = 0).  No NIR, no pseudonym, no key in any output.
 */
#include "balp/ctl_trace.h"
#include "balp/csv.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/keyfile.h"
#include "balp/log.h"
#include "balp/nir.h"
#include "balp/reason.h"
#include "balp/rules.h"
#include "balp/store_audit.h"
#include "balp/store_partner.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

/* ---- log ---------------------------------------------------------------- */

/*
 * A refused --outcome or --reason is named in its message only when it
 * reads as a code ([a-z_]): an admin who typed a NIR in the wrong option
 * must not find it echoed (a terminal log, a ticket).
 */
static int
log_shown(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && *s != '_')
			return 0;
	return 1;
}

static int
log_outcome_check(const char *s)
{
	int show = log_shown(s);

	if (strcmp(s, outcome_name(OUTCOME_ACCEPTED)) == 0 ||
	    strcmp(s, outcome_name(OUTCOME_REJECTED)) == 0 ||
	    strcmp(s, outcome_name(OUTCOME_QUARANTINED)) == 0)
		return 0;
	ctl_error("--outcome: %s%s%sexpected accepted, rejected or "
	    "quarantined", show ? "'" : "", show ? s : "", show ? "': " : "");
	return -1;
}

static int
log_reason_check(const char *s)
{
	struct buf codes = BUF_INIT;
	int r, show = log_shown(s);

	if (reason_from_code(s) != -1)
		return 0;
	for (r = 0; r < REASON_COUNT; r++)
		buf_printf(&codes, "%s%s", r > 0 ? ", " : "",
		    reason_code((enum reason)r));
	ctl_error("--reason: %s%s%sexpected one of %s", show ? "'" : "",
	    show ? s : "", show ? "' is no reason code; " : "",
	    buf_str(&codes));
	buf_free(&codes);
	return -1;
}

/*
 * A value of --partner, --sender, --type or --queue is named in its
 * refusal unless it might be a NIR typed in the wrong option (ten digits
 * or more) or holds what a terminal would act on.
 */
static int
log_value_shown(const char *s)
{
	size_t digits = 0, n = 0;

	for (; *s != '\0'; s++, n++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
		digits += isdigit((unsigned char)*s) != 0;
	}
	return digits < 10 && n > 0 && n <= 128;
}

/* "--OPTION: 'VALUE' WHY" or, for a value not shown, "--OPTION: WHY". */
static int
log_unknown(const char *option, const char *value, const char *why)
{
	if (log_value_shown(value))
		ctl_error("%s: '%s' %s", option, value, why);
	else
		ctl_error("%s: the value given %s", option, why);
	return CTL_USAGE;
}

static int
log_rules_type(const struct rules *r, const char *s)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].id, s) == 0)
			return 1;
	return 0;
}

static int
log_rules_queue(const struct rules *r, const char *s)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].queue, s) == 0)
			return 1;
	return strcmp(r->queue_rejects, s) == 0 ||
	    strcmp(r->queue_quarantine, s) == 0;
}

/*
 * A query that found nothing: a filter value that names nothing there is
 * (no such partner, a type or a queue the rules do not have) is a typo,
 * not "no traces" (a GDPR export, contract 5.3.4, must not read empty
 * for it).  A value of older rules still has its traces, so it is
 * accepted when rows match it.  CTL_OK, or CTL_USAGE after the message.
 */
static int
log_unknown_filters(struct ctl *c, const struct store_decision_filter *f)
{
	struct store_partner p;
	struct buf list = BUF_INIT;
	const struct rules *r = &c->conf.rules;
	size_t i;
	int rc = CTL_OK;

	if (f->partner_id != NULL) {
		memset(&p, 0, sizeof(p));
		if (store_partner_get(c->store, f->partner_id, &p) ==
		    STORE_NOTFOUND)
			rc = log_unknown("--partner", f->partner_id, "is no "
			    "partner (balpctl partner list)");
		store_partner_free(&p);
		if (rc != CTL_OK)
			return rc;
	}
	if (f->type != NULL && !log_rules_type(r, f->type)) {
		buf_puts(&list, "is no type of the rules (");
		for (i = 0; i < r->n_types; i++)
			buf_printf(&list, "%s%s", i > 0 ? ", " : "",
			    r->types[i].id);
		buf_puts(&list, ") and has no traces");
		rc = log_unknown("--type", f->type, list.failed ?
		    "is unknown" : buf_str(&list));
		buf_free(&list);
		return rc;
	}
	if (f->queue != NULL && !log_rules_queue(r, f->queue))
		return log_unknown("--queue", f->queue, "is no queue of the "
		    "rules and has no traces");
	return CTL_OK;
}

/*
 * The NIR typed by an admin as the one NIR of a Subject: nir_scan reads
 * every writing partners use ("1 85 05 78 006 084 91", "185057800608491",
 * "2a"), so scan->nir is what the pipeline hashed.  Only the characters
 * of those writings are allowed: a label or a second number is refused.
 * -1 after a message that never repeats the argument.
 */
static int
log_nir_read(const char *arg, struct nir_scan *scan)
{
	const char *p;

	memset(scan, 0, sizeof(*scan));
	for (p = arg; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr("AaBb .-/", *p) ==
		    NULL)
			break;
	if (*p == '\0')
		nir_scan(arg, strlen(arg), scan);
	if (scan->found != 1 || scan->nir[0] == '\0' || scan->invalid ||
	    scan->key_missing || scan->ambiguous) {
		sodium_memzero(scan, sizeof(*scan));
		ctl_error("--nir: not a valid NIR (15 characters with its key; "
		    "spaces, dots or dashes allowed)");
		return -1;
	}
	return 0;
}

/*
 * `--nir -`: the NIR on the first line of standard input, so that it is
 * in no shell history nor process list.  Read with read(2) into a buffer
 * of its own, wiped after: stdio would keep a copy in its own buffer
 * (freed, never wiped) until the process ends.
 */
static int
log_nir_stdin(struct nir_scan *scan)
{
	char line[128];
	size_t len = 0;
	ssize_t n;
	char *nl = NULL;
	int r = -1;

	while (len < sizeof(line) - 1 && nl == NULL) {
		n = read(STDIN_FILENO, line + len, sizeof(line) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		nl = memchr(line + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	line[len] = '\0';
	if (nl != NULL)
		*nl = '\0';
	len = strcspn(line, "\r\n");
	if (nl == NULL && len == 0)
		ctl_error("--nir -: no NIR on standard input");
	else if (nl == NULL && len == sizeof(line) - 1)
		ctl_error("--nir -: the line is too long for a NIR");
	else {
		line[len] = '\0';
		r = log_nir_read(line, scan);
	}
	sodium_memzero(line, sizeof(line));
	return r;
}

/*
 * The keyed pseudonym of scan->nir with the configuration's key_file,
 * into out; the key is wiped.  CTL_OK or the exit status after a message.
 */
static int
log_pseudonym(struct ctl *c, const struct nir_scan *scan,
    char out[KEYFILE_PSEUDONYM_LEN + 1])
{
	unsigned char key[KEYFILE_KEY_LEN];
	struct buf err = BUF_INIT;

	if (c->conf.key_file == NULL) {
		ctl_error("--nir needs the pseudonym key: no key_file in %s",
		    c->conf_path);
		return CTL_USAGE;
	}
	if (keyfile_load_shared(c->conf.key_file, c->conf.admin_gid, key,
	    &err) == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return CTL_USAGE;
	}
	keyfile_pseudonym(key, scan->nir, out);
	sodium_memzero(key, sizeof(key));
	buf_free(&err);
	return CTL_OK;
}

static void
log_table(const struct store_decision_list *l)
{
	size_t i;

	/* The id is what `balpctl message` takes; the message, what an
	 * agent sees (file name, or Message-ID). */
	printf("%-6s %-20s %-11s %-10s %-22s %-32s %-30s %s\n", "ID",
	    "DECIDED (UTC)", "OUTCOME", "TYPE", "PARTNER", "SENDER", "REASONS",
	    "MESSAGE");
	for (i = 0; i < l->n; i++) {
		const struct store_decision *d = &l->v[i];

		printf("%-6" PRId64 " %-20s %-11s %-10s ", d->id, d->decided_at,
		    d->outcome, d->type ? d->type : "-");
		ctl_pad(stdout, d->partner_id ? d->partner_id : "-", 22);
		putchar(' ');
		ctl_pad(stdout, d->sender ? d->sender : "-", 32);
		putchar(' ');
		ctl_pad(stdout, d->reasons[0] ? d->reasons : "-", 30);
		putchar(' ');
		/* an IMAP key (UIDVALIDITY.UID) means nothing to an agent:
		 * the Message-ID is what finds the mail in a client */
		if (d->source != NULL && strcmp(d->source, "imap") == 0 &&
		    d->message_id != NULL) {
			putchar('<');
			ctl_put_escaped(stdout, d->message_id);
			putchar('>');
		} else
			ctl_put_escaped(stdout, d->source_ref);
		putchar('\n');
	}
}

/* One decision as a JSON object; never its pseudonym. */
void
ctl_trace_decision_json(struct buf *b, const struct store_decision *d)
{
	const char *p, *comma;
	struct buf code = BUF_INIT;

	buf_printf(b, "{\"id\":%" PRId64 ",\"decided_at\":", d->id);
	json_string(b, d->decided_at);
	buf_puts(b, ",\"outcome\":");
	json_string(b, d->outcome);
	buf_puts(b, ",\"type\":");
	json_string(b, d->type);
	buf_puts(b, ",\"partner\":");
	json_string(b, d->partner_id);
	buf_puts(b, ",\"sender\":");
	json_string(b, d->sender);
	buf_puts(b, ",\"reasons\":[");
	for (p = d->reasons; *p != '\0'; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",");
		buf_reset(&code);
		buf_add(&code, p, (size_t)(comma - p));
		if (p != d->reasons)
			buf_putc(b, ',');
		json_string(b, buf_str(&code));
	}
	buf_puts(b, "],\"queue\":");
	json_string(b, d->queue);
	buf_puts(b, ",\"message_id\":");
	json_string(b, d->message_id);
	buf_puts(b, ",\"source\":");
	json_string(b, d->source);
	buf_puts(b, ",\"source_ref\":");
	json_string(b, d->source_ref);
	if (d->supersedes != 0)
		buf_printf(b, ",\"supersedes\":%" PRId64 "}", d->supersedes);
	else
		buf_puts(b, ",\"supersedes\":null}");
	if (code.failed)
		b->failed = 1;
	buf_free(&code);
}

/* A cell of the export and its separator (csv.h: mail's values guarded). */
static void
log_csv_cell(struct buf *b, const char *s, int last)
{
	csv_cell_text(b, s);
	buf_puts(b, last ? "\r\n" : ";");
}

static void
log_csv_row(struct buf *b, const struct store_decision *d)
{
	char id[24], sup[24];

	snprintf(id, sizeof(id), "%" PRId64, d->id);
	snprintf(sup, sizeof(sup), "%" PRId64, d->supersedes);
	log_csv_cell(b, id, 0);
	log_csv_cell(b, d->decided_at, 0);
	log_csv_cell(b, d->outcome, 0);
	log_csv_cell(b, d->type, 0);
	log_csv_cell(b, d->partner_id, 0);
	log_csv_cell(b, d->sender, 0);
	log_csv_cell(b, d->reasons, 0);
	log_csv_cell(b, d->queue, 0);
	log_csv_cell(b, d->message_id, 0);
	log_csv_cell(b, d->source, 0);
	log_csv_cell(b, d->source_ref, 0);
	log_csv_cell(b, d->supersedes != 0 ? sup : NULL, 1);
}

/*
 * The export, written row by row (an export may be long).  CTL_OK, or
 * CTL_FAILED after a message when stdout could not take it (a full disk
 * under a redirection must not leave a short file that looks whole).
 */
static int
log_export(const struct store_decision_list *l, int json)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc = CTL_OK;

	if (json)
		fputs("[", stdout);
	else
		fputs("id;decided_at;outcome;type;partner;sender;reasons;queue;"
		    "message_id;source;source_ref;supersedes\r\n", stdout);
	for (i = 0; i < l->n; i++) {
		buf_reset(&b);
		if (json) {
			buf_puts(&b, i > 0 ? ",\n" : "\n");
			ctl_trace_decision_json(&b, &l->v[i]);
		} else
			log_csv_row(&b, &l->v[i]);
		if (b.failed) {
			ctl_error("out of memory");
			rc = CTL_FAILED;
			break;
		}
		fwrite(buf_str(&b), 1, b.len, stdout);
	}
	if (json && rc == CTL_OK)
		fputs("\n]\n", stdout);
	buf_free(&b);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_error("writing the export: %s", strerror(errno));
		rc = CTL_FAILED;
	}
	return rc;
}

/*
 * getopt's own message would print "--nri=<the NIR>" whole: the option
 * is named without what follows '='.
 */
static void
log_bad_option(const char *arg)
{
	if (arg != NULL && strncmp(arg, "--", 2) == 0)
		ctl_error("log: unknown option, or one without its value: "
		    "%.*s", (int)strcspn(arg, "="), arg);
	else
		ctl_error("log: unknown option, or one without its value");
}

/*
 * log: the trace query.  Every filter narrows (AND); the store does the
 * filtering.  The NIR of --nir is read, hashed with the pseudonym key and
 * wiped (argv included, so it is gone from /proc/PID/cmdline): it is
 * never printed, stored nor sent to the store, whose filter takes the
 * pseudonym.
 */
/* The audit row of a trace query (store_decision_traced); -1 on failure. */
static int
log_traced(struct ctl *c, const struct store_decision_filter *f,
    int32_t since, int32_t until, size_t rows)
{
	return store_decision_traced(c->store, c->actor, f, since, until,
	    rows, c->now) == STORE_OK ? 0 : -1;
}

int
ctl_trace_log(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "sender", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "outcome", required_argument, NULL, 'o' },
		{ "reason", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "queue", required_argument, NULL, 'q' },
		{ "nir", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "log [--since DATE] [--until DATE] [--partner ID] "
	    "[--sender EMAIL] [--outcome O] [--reason CODE] [--type TYPE] "
	    "[--queue QUEUE] [--nir NIR|-] [--limit N] [--json|--csv]";
	struct store_decision_filter f;
	struct store_decision_list l = { NULL, 0 };
	struct nir_scan scan;
	char pseudonym[KEYFILE_PSEUDONYM_LEN + 1];
	int32_t since = DATE_NONE, until = DATE_NONE;
	int ch, n, json = 0, csv = 0, limit_set = 0, rc = CTL_OK;

	/* Before --nir - reads a NIR the user may not look up. */
	if ((rc = ctl_require_admin(c, "log")) != CTL_OK)
		return rc;
	memset(&f, 0, sizeof(f));
	memset(&scan, 0, sizeof(scan));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			f.partner_id = optarg;
			break;
		case 'n':
			if (ctl_count("--limit", optarg, &n) == -1)
				rc = CTL_USAGE;
			/* 0 would read as "no limit" in the store: refused. */
			else if (n == 0) {
				ctl_error("--limit: give at least 1");
				rc = CTL_USAGE;
			}
			f.limit = (size_t)n;
			limit_set = 1;
			break;
		case 'S':
			if (ctl_date("--since", optarg, &since) == -1)
				rc = CTL_USAGE;
			break;
		case 'U':
			if (ctl_date("--until", optarg, &until) == -1)
				rc = CTL_USAGE;
			break;
		case 'o':
			f.outcome = optarg;
			if (log_outcome_check(optarg) == -1)
				rc = CTL_USAGE;
			break;
		case 'r':
			f.reason = optarg;
			if (log_reason_check(optarg) == -1)
				rc = CTL_USAGE;
			break;
		case 't':
			f.type = optarg;
			break;
		case 'q':
			f.queue = optarg;
			break;
		case 's':
			f.sender = optarg;
			break;
		case 'N':
			if ((strcmp(optarg, "-") == 0 ?
			    log_nir_stdin(&scan) : log_nir_read(optarg,
			    &scan)) == -1)
				rc = CTL_USAGE;
			sodium_memzero(optarg, strlen(optarg));
			break;
		case 'j':
			json = 1;
			break;
		case 'c':
			csv = 1;
			break;
		default:
			log_bad_option(optind > 0 ? argv[optind - 1] : NULL);
			rc = ctl_usage(u);
		}
		if (rc != CTL_OK)
			goto out;
	}
	if (optind != argc || (json && csv)) {
		rc = ctl_usage(u);
		goto out;
	}
	if (f.sender != NULL) {
		char *canon = NULL;

		if (store_email_canon(f.sender, &canon) != STORE_OK) {
			rc = log_unknown("--sender", f.sender, "is not an "
			    "email address (local@domain.tld)");
			goto out;
		}
		free(canon);
	}
	if (since != DATE_NONE && until != DATE_NONE && since > until) {
		ctl_error("--since is after --until");
		rc = CTL_USAGE;
		goto out;
	}
	/* Days are UTC days, as decided_at is; --until takes its whole day. */
	if (since != DATE_NONE)
		f.from = (time_t)since * 86400;
	if (until != DATE_NONE)
		f.before = (time_t)until * 86400 + 86400;
	/* The day before 1970-01-01 would end at 0, which reads "open". */
	if (until != DATE_NONE && f.before == 0)
		f.before = -1;
	/* The table is for reading; an export is whole unless told. */
	if (!limit_set && !json && !csv)
		f.limit = 50;
	if (ctl_open_store(c, 0) == -1) {
		rc = CTL_USAGE;
		goto out;
	}
	if (scan.nir[0] != '\0') {
		if ((rc = log_pseudonym(c, &scan, pseudonym)) != CTL_OK)
			goto out;
		f.nir_pseudonym = pseudonym;
	}
	if (store_decision_list(c->store, &f, &l) != STORE_OK) {
		rc = ctl_store_fail(c);
		goto out;
	}
	if (l.n == 0 && (rc = log_unknown_filters(c, &f)) != CTL_OK)
		goto out;
	/* Who looked at whose traces is itself traced, before it is shown. */
	if (log_traced(c, &f, since, until, l.n) == -1) {
		store_decision_list_free(&l);
		rc = ctl_store_fail(c);
		goto out;
	}
	if (json || csv)
		rc = log_export(&l, json);
	else
		log_table(&l);
	store_decision_list_free(&l);
out:
	opterr = 1;
	sodium_memzero(&scan, sizeof(scan));
	return rc;
}

/* 64 lower-case hex digits: what `audit anchor` prints. */
static int
valid_hash(const char *h)
{
	size_t i;

	for (i = 0; h[i] != '\0'; i++)
		if (!isdigit((unsigned char)h[i]) && !(h[i] >= 'a' && h[i] <= 'f'))
			return 0;
	return i == STORE_HASH_HEX_LEN;
}

/* A stable code for a break, for scripts (--json's "why"). */
static const char *
audit_break_code(enum store_audit_break why)
{
	switch (why) {
	case STORE_AUDIT_INTACT:
		return "intact";
	case STORE_AUDIT_EDITED:
		return "edited";
	case STORE_AUDIT_LINK:
		return "link";
	case STORE_AUDIT_GAP:
		return "gap";
	case STORE_AUDIT_UNKEYED:
		return "unkeyed";
	case STORE_AUDIT_LEGACY:
		return "legacy";
	case STORE_AUDIT_PURGE:
		return "purge";
	case STORE_AUDIT_ANCHOR:
		return "anchor";
	case STORE_AUDIT_RECORD:
		return "record";
	}
	return "broken";
}

/*
 * audit verify --json: one object, broken or not.  A broken chain has no
 * head to trust: head_hash is null, head_id the last row read intact.
 */
static int
audit_json(const struct store_audit_report *rep, int broken,
    const char *anchor)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_printf(&b, "{\"intact\":%s,\"rows\":%lld,\"legacy_rows\":%lld,"
	    "\"purged_rows\":%lld,\"head_id\":%lld,\"head_hash\":",
	    broken ? "false" : "true", (long long)rep->rows,
	    (long long)rep->legacy_rows, (long long)rep->purged_rows,
	    (long long)rep->head_id);
	json_string(&b, broken ? NULL : rep->head_hash);
	buf_puts(&b, ",\"anchor\":");
	json_string(&b, anchor);
	if (rep->bad_id != 0)
		buf_printf(&b, ",\"bad_id\":%lld", (long long)rep->bad_id);
	else
		buf_puts(&b, ",\"bad_id\":null");
	buf_puts(&b, ",\"why\":");
	json_string(&b, broken ? audit_break_code(rep->why) : NULL);
	buf_puts(&b, ",\"why_text\":");
	json_string(&b, broken ? store_audit_break_str(rep->why) : NULL);
	buf_puts(&b, ",\"record\":");
	json_string(&b, broken && rep->why == STORE_AUDIT_RECORD ?
	    rep->record : NULL);
	buf_puts(&b, "}\n");
	rc = ctl_print(&b);
	buf_free(&b);
	return rc;
}

/*
 * audit verify [--anchor HASH] [--json] | audit anchor.  The anchor is the
 * head's hash: printed alone, for a script to send away (syslog, a mail
 * to the security officer); a broken chain has none.
 */
int
ctl_trace_audit(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "anchor", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const u = "audit verify [--anchor HASH] [--json] |"
	    " audit anchor";
	struct store_audit_report rep;
	const char *anchor = NULL;
	int r, ch, verify, json = 0;

	if ((r = ctl_require_admin(c, "audit")) != CTL_OK)
		return r;
	verify = argc >= 2 && strcmp(argv[1], "verify") == 0;
	if (verify) {
		/* getopt names argv[0] in its errors: the whole command. */
		argv[1] = (char *)"audit verify";
		optind = 0;
		while ((ch = getopt_long(argc - 1, argv + 1, "", opts,
		    NULL)) != -1) {
			if (ch == 'a')
				anchor = optarg;
			else if (ch == 'j')
				json = 1;
			else
				return ctl_usage(u);
		}
		if (optind != argc - 1)
			return ctl_usage(u);
	} else if (argc != 2 || strcmp(argv[1], "anchor") != 0)
		return ctl_usage(u);
	if (anchor != NULL && !valid_hash(anchor)) {
		ctl_error("--anchor: expected the 64 hex digits `balpctl audit "
		    "anchor` printed");
		return CTL_USAGE;
	}
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if ((r = store_audit_check(c->store, anchor, &rep)) == -1)
		return ctl_store_fail(c);
	if (r == 1) {
		/*
		 * An incident the Caf's security contact must hear of: to
		 * syslog (authpriv), and on stderr as balpd says it
		 * ("security: ..."), so that a cron job's mail or a wrapper
		 * that watches for the prefix sees it beside the report.
		 */
		log_init("balpctl");
		log_syslog();
		if (json)
			(void)audit_json(&rep, 1, anchor);
		else if (rep.why == STORE_AUDIT_RECORD)
			printf("audit chain BROKEN: %s\n", rep.record);
		else if (rep.bad_id != 0)
			printf("audit chain BROKEN at row %lld: %s\n",
			    (long long)rep.bad_id, store_audit_break_str(rep.why));
		else
			printf("audit chain BROKEN: %s (it ends at row %lld)\n",
			    store_audit_break_str(rep.why),
			    (long long)rep.head_id);
		if (rep.why == STORE_AUDIT_RECORD)
			log_security("audit chain of %s broken: %s (found by "
			    "%s)", c->conf.store_path, rep.record, c->actor);
		else if (rep.bad_id != 0)
			log_security("audit chain of %s broken at row %lld: %s"
			    " (found by %s)", c->conf.store_path,
			    (long long)rep.bad_id,
			    store_audit_break_str(rep.why), c->actor);
		else
			log_security("audit chain of %s broken: %s (it ends at"
			    " row %lld; found by %s)", c->conf.store_path,
			    store_audit_break_str(rep.why),
			    (long long)rep.head_id, c->actor);
		return CTL_FAILED;
	}
	if (!verify) {
		printf("%s\n", rep.head_hash);
		return CTL_OK;
	}
	if (json)
		return audit_json(&rep, 0, anchor);
	printf("audit chain intact: %lld rows", (long long)rep.rows);
	if (rep.legacy_rows > 0)
		printf(", the first %lld written before the audit key",
		    (long long)rep.legacy_rows);
	if (rep.purged_rows > 0)
		printf(", %lld emptied by purges", (long long)rep.purged_rows);
	if (anchor != NULL)
		printf(", the anchor found");
	printf("\nhead %s (row %lld)\n", rep.head_hash, (long long)rep.head_id);
	return CTL_OK;
}
