/*
 * balpd - the gateway daemon.
 *
 *   balpd [-c CONF] [--once]
 *
 * Triages every message waiting in the configured source: decide, record,
 * move to its queue, queue a notice.  With --once it makes one pass, prints
 * a table of what it did and exits; otherwise it watches the inbox
 * (inotify, plus a rescan every daemon.rescan_seconds) until SIGTERM or
 * SIGINT.  A message never stops the daemon: a bad one is quarantined; a
 * store failure is logged and the pass is retried later.
 *
 * Exit status: 0 done, 1 runtime failure, 2 usage or configuration error.
 */
#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/keyfile.h"
#include "balp/log.h"
#include "balp/maildir.h"
#include "balp/reason.h"
#include "balp/store.h"
#include "balp/table.h"
#include "balp/triage.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CONF	"conf/balp.conf"

struct pass_stats {
	struct table	 table;
	int		 once;
	unsigned	 n[3];
	unsigned	 errors;
};

static void
usage(void)
{
	fprintf(stderr, "usage: balpd [-c CONF] [--once]\n");
	exit(2);
}

static void
on_report(const struct triage_report *rep, void *arg)
{
	struct pass_stats *st = arg;
	struct buf reasons = BUF_INIT;
	const char *outcome, *type, *row[5];

	if (rep->decision != NULL) {
		outcome = outcome_name(rep->decision->outcome);
		type = rep->decision->type ? rep->decision->type->id : NULL;
		reason_join(&reasons, rep->decision->reasons, ",");
		st->n[rep->decision->outcome]++;
	} else {
		outcome = rep->stored_outcome;
		type = rep->stored_type;
		buf_puts(&reasons, rep->stored_reasons ? rep->stored_reasons : "");
	}
	if (rep->error != NULL) {
		st->errors++;
		log_warn("%s: left in the inbox: %s", rep->label, rep->error);
	} else if (!st->once)
		log_info("%s: %s%s%s -> %s%s%s%s", rep->label,
		    outcome ? outcome : "?", type ? " " : "", type ? type : "",
		    rep->queue, reasons.len ? " (" : "", buf_str(&reasons),
		    reasons.len ? ")" : "");
	if (st->once && outcome != NULL) {
		row[0] = rep->label;
		row[1] = rep->error ? "error" : outcome;
		row[2] = type;
		row[3] = rep->error ? "(inbox)" : rep->queue;
		row[4] = reasons.len ? buf_str(&reasons) : NULL;
		table_add(&st->table, row);
	}
	buf_free(&reasons);
}

static int
one_pass(struct triage *t, struct source *src, struct pass_stats *st)
{
	struct buf err = BUF_INIT;
	int n;

	t->now = time(NULL);
	t->today = triage_today(t->now);
	if ((n = triage_pass(t, src, on_report, st, &err)) == -1)
		log_warn("triage pass stopped: %s", buf_str(&err));
	buf_free(&err);
	return n;
}

static int
watch(struct triage *t, struct source *src, int rescan_seconds)
{
	struct pass_stats st;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t set;
	int sfd, wfd, r;

	memset(&st, 0, sizeof(st));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		log_warn("signalfd: %s", strerror(errno));
		return 1;
	}
	wfd = src->ops->watch_fd(src->state);
	for (;;) {
		one_pass(t, src, &st);
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wfd;
		pfd[1].events = POLLIN;
		r = poll(pfd, wfd >= 0 ? 2 : 1, rescan_seconds * 1000);
		if (r == -1 && errno != EINTR) {
			log_warn("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
			    si.ssi_signo == SIGHUP) {
				log_info("SIGHUP: rescanning (restart to reload"
				    " the configuration)");
				continue;
			}
			log_info("stopping on signal");
			break;
		}
		if (r > 0 && wfd >= 0 && (pfd[1].revents & POLLIN))
			src->ops->watch_drain(src->state);
	}
	close(sfd);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "FILE", "OUTCOME", "TYPE", "QUEUE",
	    "REASONS" };
	const char *conf_path = DEFAULT_CONF;
	struct balp_conf conf;
	struct store *store = NULL;
	struct source src = { NULL, NULL };
	struct triage t;
	struct pass_stats st;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];
	struct stat sb;
	int ch, once = 0, rc = 0, n;

	log_init("balpd");
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'o':
			once = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* libetpan writes with send(..., 0): a closed peer must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	if (conf_load(conf_path, &conf, &err) == -1) {
		fputs(buf_str(&err), stderr);
		buf_free(&err);
		return 2;
	}
	if (stat(conf.store_path, &sb) == -1) {
		fprintf(stderr, "balpd: no store at %s: run `balpctl -c %s init`"
		    " first\n", conf.store_path, conf_path);
		rc = 2;
		goto out;
	}
	if (store_open(conf.store_path, &store, &err) != STORE_OK ||
	    keyfile_load(conf.key_file, key, &err) == -1 ||	/* fail fast */
	    source_open(&conf.source, !once, &src, &err) == -1) {
		fprintf(stderr, "balpd: %s\n", buf_str(&err));
		rc = 2;
		goto out;
	}
	sodium_memzero(key, sizeof(key));
	memset(&t, 0, sizeof(t));
	t.conf = &conf;
	t.store = store;
	t.key_file = conf.key_file;
	t.actor = "balpd";

	if (once) {
		memset(&st, 0, sizeof(st));
		st.once = 1;
		table_init(&st.table, 5, head);
		n = one_pass(&t, &src, &st);
		if (st.table.nrows > 1)
			table_print(&st.table, stdout);
		printf("%s%d message(s): %u accepted, %u rejected, %u quarantined"
		    "%s\n", st.table.nrows > 1 ? "\n" : "", n < 0 ? 0 : n,
		    st.n[OUTCOME_ACCEPTED], st.n[OUTCOME_REJECTED],
		    st.n[OUTCOME_QUARANTINED], st.errors ? ", some left in the"
		    " inbox (see the warnings)" : "");
		table_free(&st.table);
		rc = n < 0 ? 1 : 0;
	} else {
		log_info("watching %s (%s), %zu request types, store %s",
		    conf.source.maildir_path, src.ops->name, conf.rules.n_types,
		    conf.store_path);
		rc = watch(&t, &src, conf.rescan_seconds);
	}
out:
	sodium_memzero(key, sizeof(key));
	if (src.ops != NULL)
		src.ops->close(src.state);
	if (store != NULL)
		store_close(store);
	buf_free(&err);
	conf_free(&conf);
	return rc;
}
