/* SPDX-License-Identifier: Apache-2.0 */
/*
 * balpd - the gateway daemon.
 *
 *   balpd [-c CONF] [--once] [--stats] [--syslog]
 *
 * Triages every message waiting in the configured source: decide, record,
 * move to its queue, queue a notice.  With --once it makes one pass, prints
 * a table of what it did and exits; otherwise it watches the inbox
 * (inotify, plus a rescan every daemon.rescan_seconds) until SIGTERM or
 * SIGINT, which finish the batch in hand and exit.  SIGHUP reloads the
 * configuration and the rules; a bad new configuration is refused with its
 * errors and the old one kept.  One balpd per store: a second one refuses
 * to start.  A message never stops the daemon: a bad one is quarantined; a
 * store failure is logged and the pass is retried later.  --stats prints
 * where the time went (tests/bench).  Logs go to stderr, and with
 * --syslog to syslog too (facility mail).  An IMAP source keeps its
 * connection across a SIGHUP that leaves the source's settings alone.
 *
 * Notices (with an smtp group) are sent by a child process, the notifier
 * (notifier.h), so that a slow or dead relay never holds up triage; with
 * --once, by one round in-process after the pass, counted on the last
 * line.  Without smtp they wait in the outbox.
 *
 * Exit status: 0 done, 1 runtime failure (or another balpd holds the
 * store), 2 usage or configuration error.
 */
#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/deliver.h"
#include "balp/keyfile.h"
#include "balp/log.h"
#include "balp/notifier.h"
#include "balp/pidlock.h"
#include "balp/pipeline.h"
#include "balp/reason.h"
#include "balp/smtp.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/store_purge.h"
#include "balp/table.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONF	"conf/balp.conf"
/* The longest wait between two passes, whatever rescan_seconds says. */
#define WATCH_MAX_SECONDS	(25 * 60)
/*
 * The decisions logged with log_security: a forged sender and a
 * dangerous attachment are attacks the Caf's security contact hears of
 * (BALP convention art. 5); the rest are a partner's mistakes.
 */
#define SECURITY_REASONS	(REASON_BIT(REASON_AUTH_FAILED) | \
				 REASON_BIT(REASON_ATTACHMENT_FORBIDDEN))

struct daemon {
	const char		*conf_path;
	struct balp_conf	*conf;
	struct store		*store;
	struct source		 src;
	struct pipeline		*pipe;
	/* Forked first thing: no secret, no mail in its lineage. */
	struct sandbox_zygote	*zygote;
	int			 breaker_said;	/* its opening is logged */
	struct notifier		*notifier;	/* NULL: no smtp, or --once */
	struct deliver		*deliver;	/* NULL: no lmtp group, or --once */
	int			 sfd;		/* signalfd: TERM, INT, HUP */
	/* --once: the table printed at the end, and the counts. */
	int			 once;
	struct table		 table;
	unsigned		 n[3];
	unsigned		 errors;
	/* Found back in the inbox with a decision: moved again by it. */
	unsigned		 again;
	char			*again_queue;	/* the one queue, or NULL */
	int			 again_queues;	/* more than one */
	time_t			 next_purge;	/* watching: the daily purge */
	/* systemd's watchdog (WATCHDOG_USEC): 0 when off. */
	uint64_t		 wd_usec;
	uint64_t		 wd_next;	/* CLOCK_MONOTONIC, in us */
};

static void
usage(void)
{
	fprintf(stderr, "usage: balpd [-c CONF] [--once] [--stats]"
	    " [--syslog]\n       balpd --version\n");
	exit(2);
}

/*
 * A message put back in the inbox (by hand, or a crash between commit and
 * move) is filed by its stored decision: said, and counted apart.
 */
static void
count_again(struct daemon *d, const struct pipeline_report *rep)
{
	d->again++;
	if (d->again_queues)
		return;
	if (d->again_queue == NULL)
		d->again_queue = buf_strdup(rep->queue);
	else if (strcmp(d->again_queue, rep->queue) != 0)
		d->again_queues = 1;
}

/*
 * One line per message with stable fields (balpd(8), LOGGING):
 * "decision msgid=... partner=... type=... outcome=... reasons=a,b
 * queue=... ms=... file=...", "refile" for a message moved again by its
 * stored decision.  No NIR, no name, no Subject: ids, codes, folders.
 */
static void
log_event(const struct pipeline_report *rep, const char *event, int security,
    const char *outcome, const char *type, const struct buf *reasons)
{
	char ms[24];
	struct log_field f[8] = {
		{ "msgid", rep->message_id },
		{ "partner", rep->partner_id },
		{ "type", type },
		{ "outcome", outcome },
		{ "reasons", reasons->len > 0 ? buf_str(reasons) : NULL },
		{ "queue", rep->queue },
		{ "ms", ms },
		{ "file", rep->label },
	};

	snprintf(ms, sizeof(ms), "%" PRIu64, rep->ms);
	log_fields(security, event, f, 8);
}

/*
 * systemd's watchdog (Type=notify, WatchdogSec=): fed at half its period,
 * from the watch loop, whose poll wakes that often, and after each message
 * a pass handles: a long backlog keeps it fed, a pass stuck on one message
 * (a server that stopped answering) for WatchdogSec does not, and systemd
 * restarts balpd.  sd_notify does nothing without NOTIFY_SOCKET.
 */
static void
watchdog_feed(struct daemon *d)
{
	struct timespec ts;
	uint64_t now;

	if (d->wd_usec == 0 || clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return;
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	if (now < d->wd_next)
		return;
	sd_notify(0, "WATCHDOG=1");
	d->wd_next = now + d->wd_usec / 2;
}

static void
on_report(const struct pipeline_report *rep, void *arg)
{
	struct daemon *d = arg;
	struct buf reasons = BUF_INIT;
	const char *outcome, *type, *row[5];

	watchdog_feed(d);
	if (rep->decision != NULL) {
		outcome = outcome_name(rep->decision->outcome);
		type = rep->decision->type ? rep->decision->type->id : NULL;
		reason_join(&reasons, rep->decision->reasons, ",");
		if (rep->error == NULL)
			d->n[rep->decision->outcome]++;
	} else {
		outcome = rep->stored_outcome;
		type = rep->stored_type;
		buf_puts(&reasons, rep->stored_reasons ? rep->stored_reasons : "");
		if (rep->error == NULL)
			count_again(d, rep);
	}
	if (rep->warning != NULL)
		log_warn("%s: %s", rep->label, rep->warning);
	if (rep->error != NULL) {
		d->errors++;
		log_warn("%s: left in the inbox: %s", rep->label, rep->error);
	} else if (rep->decision == NULL)
		log_event(rep, "refile", 0, outcome, type, &reasons);
	else if ((rep->decision->reasons & SECURITY_REASONS) != 0)
		/* Even with --once: the table is no alert. */
		log_event(rep, "decision", 1, outcome, type, &reasons);
	else if (!d->once)
		log_event(rep, "decision", 0, outcome, type, &reasons);
	if (d->once && (outcome != NULL || rep->error != NULL)) {
		row[0] = rep->label;
		row[1] = rep->error ? "error" : outcome;
		row[2] = type;
		row[3] = rep->error ? "(inbox)" : rep->queue;
		row[4] = reasons.len ? buf_str(&reasons) : NULL;
		table_add(&d->table, row);
	}
	buf_free(&reasons);
}

/*
 * The parser is failing for every message (breaker.h): one critical line
 * when it opens, systemd's status says it, the messages stay in the inbox.
 */
static void
breaker_opened(struct daemon *d, const char *why)
{
	if (!d->breaker_said)
		log_security("critical: %s; no message is decided, they stay "
		    "in the inbox%s", why, d->once ? "" :
		    " (tried again with backoff)");
	d->breaker_said = 1;
	sd_notifyf(0, "STATUS=Triage paused: %s", why);
}

/* Watching with the breaker open: the canary when due; 1 when closed. */
static int
breaker_retry(struct daemon *d)
{
	struct buf err = BUF_INIT;
	int r;

	if (!pipeline_breaker_open(d->pipe))
		return 1;
	r = pipeline_breaker_retry(d->pipe, time(NULL), &err) == 0;
	if (r) {
		log_info("the parser works again: triage resumes");
		sd_notify(0, "STATUS=Triaging");
		d->breaker_said = 0;
	} else if (err.len > 0)
		sd_notifyf(0, "STATUS=Triage paused: %s", buf_str(&err));
	buf_free(&err);
	return r;
}

static int
one_pass(struct daemon *d)
{
	struct buf err = BUF_INIT;
	time_t now = time(NULL);
	int n;

	pipeline_set_time(d->pipe, now, 0);
	if ((n = pipeline_pass(d->pipe, &d->src, d->sfd, on_report, d,
	    &err)) == -1 && pipeline_breaker_open(d->pipe))
		breaker_opened(d, buf_str(&err));
	else if (n == -1)
		log_warn("triage pass stopped: %s", buf_str(&err));
	else if (n > 0)
		notifier_kick(d->notifier);	/* its notices, if any */
	else
		notifier_check(d->notifier);	/* alive, or started again */
	buf_free(&err);
	return n;
}

/* Logs each line of a multi-line error. */
static void
log_lines(const char *prefix, const char *text)
{
	const char *nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		log_warn("%s%.*s", prefix, nl ? (int)(nl - text) :
		    (int)strlen(text), text);
		if (nl == NULL)
			break;
		text = nl + 1;
	}
}

static void
conf_destroy(struct balp_conf *c)
{
	if (c == NULL)
		return;
	conf_free(c);
	free(c);
}

/*
 * Opens what a configuration needs around the store: the source (with its
 * queues) and the pipeline.  0, or -1 with err set and nothing left open.
 */
static int
open_around(struct daemon *d, struct balp_conf *c, const struct source *keep,
    struct source *src, struct pipeline **pipe, struct buf *err)
{
	if (keep != NULL)
		*src = *keep;
	else if (source_registry_open(&c->source, !d->once, src, err) == -1)
		return -1;
	if (pipeline_ensure_queues(&c->rules, src, err) == -1 ||
	    pipeline_open(c, d->store, d->zygote, c->key_file, "balpd", pipe,
	    err) ==
	    -1) {
		if (keep == NULL)
			src->ops->close(src->state);
		src->ops = NULL;
		return -1;
	}
	return 0;
}

/* The notifier child, when notices have somewhere to go. */
static void
start_notifier(struct daemon *d)
{
	struct buf err = BUF_INIT;

	if (!d->conf->has_smtp)
		log_info("no smtp section: notices are not sent, they wait in"
		    " the outbox");
	else if (notifier_spawn(d->conf_path, d->conf, &d->notifier, &err) ==
	    -1)
		log_warn("notices are not sent: %s", buf_str(&err));
	buf_free(&err);
}

/* --once: the notices of this pass (and any due), sent before exiting. */
static void
notify_once(struct daemon *d)
{
	struct notifier_counts c = { 0, 0, 0, 0 };
	struct buf err = BUF_INIT;

	if (!d->conf->has_smtp) {
		log_info("no smtp section: notices are not sent, they wait in"
		    " the outbox");
		return;
	}
	if (notifier_round(d->store, d->conf, time(NULL), &c, &err) == -1)
		log_warn("notices: %s", buf_str(&err));
	printf("notices: %u sent, %u to retry, %u failed", c.sent, c.retry,
	    c.failed);
	if (c.deferred > 0)
		printf(", %u waiting for the hourly cap", c.deferred);
	putchar('\n');
	buf_free(&err);
}

static int start_lmtp(struct daemon *);

/* SIGHUP: the new configuration, or the old one kept. */
static void
reload(struct daemon *d)
{
	struct balp_conf *nc;
	struct source nsrc = { NULL, NULL };
	struct pipeline *npipe = NULL;
	struct buf err = BUF_INIT;
	int keep;

	if ((nc = calloc(1, sizeof(*nc))) == NULL) {
		log_warn("reload refused: out of memory");
		return;
	}
	if (conf_load(d->conf_path, nc, &err) == -1) {
		log_lines("reload refused: ", buf_str(&err));
		free(nc);
		buf_free(&err);
		return;
	}
	if (nc->has_smtp && smtp_check_password(&nc->smtp, &err) == -1) {
		log_warn("reload refused: smtp: %s", buf_str(&err));
		conf_destroy(nc);
		buf_free(&err);
		return;
	}
	if (strcmp(nc->store_path, d->conf->store_path) != 0 ||
	    strcmp(nc->audit_key_file, d->conf->audit_key_file) != 0) {
		log_warn("reload refused: store.path or store.audit_key_file "
		    "changed (restart balpd to change stores)");
		conf_destroy(nc);
		return;
	}
	/* The same inbox: the connection (an IMAP session) is kept. */
	keep = source_conf_equal(&nc->source, &d->conf->source);
	if (open_around(d, nc, keep ? &d->src : NULL, &nsrc, &npipe, &err) ==
	    -1) {
		log_warn("reload refused: %s", buf_str(&err));
		conf_destroy(nc);
		buf_free(&err);
		return;
	}
	pipeline_close(d->pipe);
	if (!keep)
		d->src.ops->close(d->src.state);
	notifier_stop(d->notifier);
	d->notifier = NULL;
	conf_destroy(d->conf);
	d->conf = nc;
	d->src = nsrc;
	d->pipe = npipe;
	start_notifier(d);
	/* Sessions in hand are told 421: Postfix hands their mail again. */
	deliver_close(d->deliver);
	d->deliver = NULL;
	(void)start_lmtp(d);
	log_info("configuration reloaded: %zu request types",
	    nc->rules.n_types);
}

/*
 * Consumes pending signals.  Returns 1 on SIGTERM or SIGINT (stop), 0
 * otherwise (a SIGHUP reloads here).
 */
static int
on_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	int stop = 0, hup = 0;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			hup = 1;
		else
			stop = 1;
	}
	if (stop) {
		log_info("stopping on signal");
		return 1;
	}
	if (hup) {
		/* systemctl reload waits for the READY=1 after it. */
		sd_notify(0, "RELOADING=1");
		reload(d);
		sd_notify(0, "READY=1");
	}
	return 0;
}

/*
 * Retention, daily while watching (store_purge.h): what the conventions
 * say must go is destroyed without an admin's cron.  One log line with
 * the counts and the audit row that proves it; nothing when nothing went.
 */
static void
daily_purge(struct daemon *d)
{
	struct store_purge_spec spec;
	struct store_purge_report r;
	time_t now = time(NULL);

	if (now < d->next_purge)
		return;
	d->next_purge = now + 86400;
	memset(&spec, 0, sizeof(spec));
	spec.today = pipeline_today(now);
	spec.traces_months = (int)d->conf->retention_traces_months;
	spec.habilitation_years = (int)d->conf->retention_habilitation_years;
	if (store_purge(d->store, &spec, "balpd", now, &r) != STORE_OK) {
		log_warn("purge: %s", store_errmsg(d->store));
		return;
	}
	if (r.checkpoint_id != 0)
		log_info("purge: %" PRId64 " decisions before %s, %" PRId64
		    " persons ended before %s, %" PRId64 " staged annexes, %"
		    PRId64 " audit rows emptied (audit row %" PRId64 ")",
		    r.decisions, r.traces_before, r.persons,
		    r.habilitations_before, r.staged, r.audit_rows,
		    r.checkpoint_id);
}

/* deliver.h's hooks: the parser's state, and what was decided. */
static int
lmtp_parser_ready(void *arg)
{
	struct daemon *d = arg;

	watchdog_feed(d);
	return !pipeline_breaker_open(d->pipe) || breaker_retry(d);
}

static void
lmtp_parser_failed(void *arg, const char *why)
{
	breaker_opened(arg, why);
}

static void
lmtp_decided(void *arg)
{
	struct daemon *d = arg;

	watchdog_feed(d);
	notifier_kick(d->notifier);
}

/* Mail at delivery time, when the configuration asks.  0 or -1 (logged). */
static int
start_lmtp(struct daemon *d)
{
	struct deliver_hooks h = { on_report, lmtp_parser_ready,
	    lmtp_parser_failed, lmtp_decided, NULL };
	struct buf err = BUF_INIT;

	if (!d->conf->has_lmtp)
		return 0;
	h.arg = d;
	if (deliver_open(d->conf, d->pipe, &d->src, &h, &d->deliver, &err) ==
	    -1) {
		log_warn("lmtp: %s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	log_info("taking mail over LMTP on %s for %zu recipient(s)",
	    d->conf->lmtp.listen, d->conf->lmtp.n_recipients);
	return 0;
}

static int
watch(struct daemon *d)
{
	struct pollfd *pfd = NULL;
	size_t nl = 0, cap = 0;
	uint64_t usec;
	int r, wfd, again = 1, timeout_ms, lmtp_due;

	log_info("watching %s, %zu request types, store %s",
	    d->src.ops->name, d->conf->rules.n_types, d->conf->store_path);
	/*
	 * Ready before the first pass: the store and the source are open,
	 * and a backlog to triage must not run into the start timeout.
	 */
	if (sd_watchdog_enabled(0, &usec) > 0)
		d->wd_usec = usec;
	cap = 2 + deliver_nfds(d->deliver);
	if ((pfd = calloc(cap, sizeof(*pfd))) == NULL) {
		log_warn("out of memory");
		return 1;
	}
	sd_notify(0, "READY=1");
	for (;;) {
		watchdog_feed(d);
		daily_purge(d);
		if (again && breaker_retry(d))
			one_pass(d);
		/* Stopped early: a signal is waiting, or messages are. */
		again = pipeline_interrupted(d->pipe);
		wfd = d->src.ops->watch_fd(d->src.state);
		pfd[0].fd = d->sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wfd;	/* -1: ignored by poll */
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		/* A rescan ends an IMAP IDLE too: well within the 29
		 * minutes a server may wait (RFC 2177). */
		timeout_ms = (d->conf->rescan_seconds < WATCH_MAX_SECONDS ?
		    (int)d->conf->rescan_seconds : WATCH_MAX_SECONDS) * 1000;
		if (d->wd_usec > 0 && d->wd_usec / 2000 < (uint64_t)timeout_ms)
			timeout_ms = d->wd_usec >= 2000 ?
			    (int)(d->wd_usec / 2000) : 1;
		/* The breaker's next try, mail or not. */
		if (pipeline_breaker_open(d->pipe) &&
		    (int)pipeline_breaker_wait(d->pipe, time(NULL)) * 1000 + 100
		    < timeout_ms) {
			timeout_ms = (int)pipeline_breaker_wait(d->pipe,
			    time(NULL)) * 1000 + 100;
		}
		nl = 0;
		lmtp_due = 0;
		if (d->deliver != NULL) {
			int lt = -1;

			nl = deliver_pollfds(d->deliver, pfd + 2, &lt);
			if (lt >= 0 && lt < timeout_ms)
				timeout_ms = lt;
			/* LMTP's own work due now: no pass for it. */
			lmtp_due = lt == 0;
		}
		watchdog_feed(d);
		r = poll(pfd, 2 + nl, again ? 0 : timeout_ms);
		if (r == -1 && errno != EINTR) {
			log_warn("poll: %s", strerror(errno));
			free(pfd);
			return 1;
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			if (on_signals(d)) {
				free(pfd);
				return 0;
			}
			/* A reload may have a server of another size. */
			if (2 + deliver_nfds(d->deliver) > cap) {
				cap = 2 + deliver_nfds(d->deliver);
				free(pfd);
				if ((pfd = calloc(cap, sizeof(*pfd))) == NULL) {
					log_warn("out of memory");
					return 1;
				}
			}
			again = 1;
			continue;
		}
		if (nl > 0) {
			/* Filed, taken over LMTP, and the sessions' deadlines. */
			deliver_handle(d->deliver, pfd + 2, nl);
			/* Mail that came over LMTP needs no pass. */
			if ((r > 0 || (r == 0 && lmtp_due)) &&
			    !(wfd >= 0 && (pfd[1].revents & POLLIN)))
				continue;
		}
		if (r > 0 && wfd >= 0 && (pfd[1].revents & POLLIN))
			d->src.ops->watch_drain(d->src.state);
		again = 1;
	}
}

static void
print_stats(const struct pipeline_stats *s)
{
	static const char *const names[] = { "list", "lookup", "read",
	    "parse_wait", "parse_rtt", "annex", "decide", "record", "commit",
	    "move", "sync" };
	const uint64_t ns[] = { s->ns_list, s->ns_lookup, s->ns_read,
	    s->ns_parse_wait, s->ns_parse_rtt, s->ns_annex, s->ns_decide,
	    s->ns_record, s->ns_commit, s->ns_move, s->ns_sync };
	double m = s->messages > 0 ? (double)s->messages : 1.0;
	size_t i;

	struct rusage self, children;

	fprintf(stderr, "stats: %llu messages, %llu decided, %llu batches\n",
	    (unsigned long long)s->messages, (unsigned long long)s->decided,
	    (unsigned long long)s->batches);
	if (getrusage(RUSAGE_SELF, &self) == 0 &&
	    getrusage(RUSAGE_CHILDREN, &children) == 0)
		fprintf(stderr, "rss balpd %ld KiB\nrss workers %ld KiB"
		    " (the largest)\n", self.ru_maxrss, children.ru_maxrss);
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		fprintf(stderr, "stage %-10s %9.1f us/msg\n", names[i],
		    (double)ns[i] / 1000.0 / m);
}

static int
run_once(struct daemon *d)
{
	static const char *const head[] = { "FILE", "OUTCOME", "TYPE", "QUEUE",
	    "REASONS" };
	struct buf again = BUF_INIT;
	int n;

	table_init(&d->table, 5, head);
	n = one_pass(d);
	if (d->table.nrows > 1)
		table_print(&d->table, stdout);
	if (d->again > 0)
		buf_printf(&again, ", %u already decided, moved again to %s",
		    d->again, d->again_queues || d->again_queue == NULL ?
		    "their queues" : d->again_queue);
	printf("%s%d message(s): %u accepted, %u rejected, %u quarantined%s%s%s\n",
	    d->table.nrows > 1 ? "\n" : "", n < 0 ? 0 : n,
	    d->n[OUTCOME_ACCEPTED], d->n[OUTCOME_REJECTED],
	    d->n[OUTCOME_QUARANTINED], buf_str(&again), d->errors ?
	    ", some left in the inbox (see the warnings)" : "",
	    pipeline_interrupted(d->pipe) ?
	    ", stopped by a signal (the rest waits for the next run)" : "");
	table_free(&d->table);
	buf_free(&again);
	free(d->again_queue);
	d->again_queue = NULL;
	return n < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, 's' },
		{ "syslog", no_argument, NULL, 'l' },
		/* balpd's own notifier child (notifier.h), not for users. */
		{ NOTIFIER_CHILD_ARG + 2, no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon d;
	struct pipeline_stats ps;
	struct buf err = BUF_INIT, lock = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];
	sigset_t set;
	struct stat sb;
	long holder;
	int ch, rc = 2, stats = 0, lock_fd = -1, notifier_child_mode = 0;

	/*
	 * Keys and passwords pass through this process (and the notifier,
	 * this program exec'd again): no core file of it, and no reading its
	 * memory (/proc/PID/mem, ptrace) by other processes of its user.
	 * Root still can (docs/sandbox.md, "Secrets").
	 */
	if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) == -1) {
		fprintf(stderr, "balpd: prctl(PR_SET_DUMPABLE): %s\n",
		    strerror(errno));
		return 1;
	}
	memset(&d, 0, sizeof(d));
	memset(&ps, 0, sizeof(ps));
	d.conf_path = DEFAULT_CONF;
	d.sfd = -1;
	log_init("balpd");
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.conf_path = optarg;
			break;
		case 'o':
			d.once = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'l':
			log_syslog();
			break;
		case 'N':
			notifier_child_mode = 1;
			break;
		case 'V':
			puts("balpd " BALP_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* A closed peer (a worker, later a server) must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* One pass has no configuration to reload: a HUP must not stop it. */
	if (d.once)
		signal(SIGHUP, SIG_IGN);
	else
		sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (d.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		fprintf(stderr, "balpd: signalfd: %s\n", strerror(errno));
		return 1;
	}

	if ((d.conf = calloc(1, sizeof(*d.conf))) == NULL ||
	    conf_load(d.conf_path, d.conf, &err) == -1) {
		fputs(d.conf ? buf_str(&err) : "balpd: out of memory\n", stderr);
		free(d.conf);
		d.conf = NULL;
		goto out;
	}
	if (notifier_child_mode) {
		log_init("balpd-notifier");
		rc = d.conf->has_smtp ?
		    notifier_child(d.conf, NOTIFIER_WAKE_FD) : 2;
		goto out;
	}
	/*
	 * The parser's zygote, before the store, any key or password, or
	 * any mail is opened: workers forked from it can hold none of them
	 * (docs/sandbox.md).
	 */
	if (pipeline_zygote(&d.zygote, &err) == -1) {
		fprintf(stderr, "balpd: %s\n", buf_str(&err));
		goto out;
	}
	/* Checked now, not at the first notice (read again per session). */
	if (d.conf->has_smtp &&
	    smtp_check_password(&d.conf->smtp, &err) == -1) {
		fprintf(stderr, "balpd: smtp: %s\n", buf_str(&err));
		goto out;
	}
	if (stat(d.conf->store_path, &sb) == -1 ||
	    access(d.conf->store_path, R_OK | W_OK) == -1) {
		/* Closed to balpd's user is not missing (issue 18). */
		if (store_access_explain(d.conf->store_path, errno,
		    d.conf->admin_group, &err))
			fprintf(stderr, "balpd: %s\n", buf_str(&err));
		else
			fprintf(stderr, "balpd: no store at %s: run `balpctl "
			    "-c %s init` first\n", d.conf->store_path,
			    d.conf_path);
		goto out;
	}
	buf_printf(&lock, "%s.lock", d.conf->store_path);
	switch (pidlock_acquire(buf_str(&lock), &lock_fd, &holder, &err)) {
	case 0:
		break;
	case 1:
		fprintf(stderr, "balpd: another balpd (pid %ld) is running on"
		    " %s\n", holder, d.conf->store_path);
		rc = 1;
		goto out;
	default:
		fprintf(stderr, "balpd: %s\n", buf_str(&err));
		rc = 1;
		goto out;
	}
	if (store_open(d.conf->store_path, &d.store, &err) != STORE_OK ||
	    store_audit_key_load(d.store, d.conf->audit_key_file,
	    d.conf->admin_gid, &err) == -1 ||
	    keyfile_load_shared(d.conf->key_file, d.conf->admin_gid, key,
	    &err) == -1) {	/* fail fast */
		fprintf(stderr, "balpd: %s\n", buf_str(&err));
		goto out;
	}
	sodium_memzero(key, sizeof(key));
	if (open_around(&d, d.conf, NULL, &d.src, &d.pipe, &err) == -1) {
		fprintf(stderr, "balpd: %s\n", buf_str(&err));
		goto out;
	}
	if (d.once) {
		rc = run_once(&d);
		notify_once(&d);
	} else {
		start_notifier(&d);
		if (start_lmtp(&d) == -1) {
			rc = 1;
			goto out;
		}
		rc = watch(&d);
		sd_notify(0, "STOPPING=1");
	}
	if (stats)
		ps = *pipeline_stats(d.pipe);
out:
	sodium_memzero(key, sizeof(key));
	deliver_close(d.deliver);
	notifier_stop(d.notifier);
	pipeline_close(d.pipe);
	sandbox_zygote_stop(d.zygote);
	if (stats && d.pipe != NULL)
		print_stats(&ps);	/* the workers reaped: their RSS too */
	if (d.src.ops != NULL)
		d.src.ops->close(d.src.state);
	if (d.store != NULL)
		store_close(d.store);
	if (lock_fd >= 0)
		close(lock_fd);
	if (d.sfd >= 0)
		close(d.sfd);
	conf_destroy(d.conf);
	buf_free(&err);
	buf_free(&lock);
	return rc;
}
