/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notifier - the outbox to the SMTP relay, in a child of balpd (see
 * include/balp/notifier.h).
 *
 * Why a child process and not a thread or a poll loop in balpd: libetpan
 * blocks in every call (up to the SMTP timeout per reply), and a relay
 * that hangs must stall nothing but the notices.  The child shares nothing
 * with balpd but the store file (sqlite WAL, busy timeout) and a pipe
 * whose bytes mean "look at the outbox now" and whose EOF means "balpd is
 * gone".  It is balpd itself, exec'd again (NOTIFIER_CHILD_ARG) and
 * loading the configuration itself: sqlite's per-process lock bookkeeping
 * must not cross a fork from a process with the store open (a forked
 * child's own connection then fails with SQLITE_PROTOCOL).
 *
 * Exactly once: a notice is marked sent right after the relay accepted
 * it.  Only a crash (or SIGKILL at stop) between the two sends it again;
 * its Message-ID is the same every time (notice.<outbox id>.<created>@...)
 * so the duplicate is at least recognisable.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "balp/date.h"
#include "balp/log.h"
#include "balp/notice.h"
#include "balp/notifier.h"
#include "balp/pipeline.h"
#include "balp/sla.h"
#include "balp/store_audit.h"
#include "balp/smtp.h"
#include "balp/store_decision.h"
#include "balp/store_outbox.h"

int64_t
notifier_backoff(int attempt, int64_t age)
{
	int64_t delay = NOTIFIER_FIRST_DELAY;
	int i;

	for (i = 1; i < attempt && delay < NOTIFIER_MAX_DELAY; i++)
		delay *= 2;
	if (delay > NOTIFIER_MAX_DELAY)
		delay = NOTIFIER_MAX_DELAY;
	if (age < 0)
		age = 0;
	if (age + delay > NOTIFIER_GIVE_UP)
		return -1;
	return delay;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (store_timestamp) to seconds; -1 if not that. */
static time_t
parse_ts(const char *s)
{
	int y, mo, d, h, mi, se, n = 0;
	int32_t day;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d,
	    &h, &mi, &se, &n) != 6 || s[n] != '\0' ||
	    date_from_ymd(y, mo, d, &day) == -1 || h > 23 || mi > 59 ||
	    se > 60 || h < 0 || mi < 0 || se < 0)
		return (time_t)-1;
	return (time_t)day * 86400 + h * 3600 + mi * 60 + se;
}

/* The notice's own Message-ID: the same at every attempt. */
static void
message_id(struct buf *b, const struct store_outbox_item *it,
    const char *from)
{
	const char *p;

	buf_printf(b, "notice.%" PRId64 ".", it->id);
	for (p = it->created_at; p != NULL && *p != '\0'; p++)
		if (*p >= '0' && *p <= '9')
			buf_putc(b, *p);
	buf_printf(b, "@%s", strchr(from, '@') + 1);
}

struct round {
	struct store			*st;
	const struct balp_conf		*c;
	time_t				 now;
	struct smtp			*smtp;
	/* Set once the relay could not be reached this round. */
	struct buf			 down;
	struct notifier_counts		*counts;
};

/* A recipient as a log line may show it: no CR, LF or control. */
static const char *
shown(const char *recipient)
{
	return notice_addr_ok(recipient) ? recipient : "(not a plain address)";
}

/* A failed attempt, recorded: retried later, or for good if retry is 0. */
static int
failed(struct round *r, const struct store_outbox_item *it, int retry,
    const char *why, struct buf *err)
{
	time_t created = parse_ts(it->created_at), at = (time_t)-1;
	int64_t delay = -1;

	if (retry)
		delay = notifier_backoff(it->attempts + 1, created ==
		    (time_t)-1 ? 0 : (int64_t)(r->now - created));
	if (delay >= 0)
		at = r->now + (time_t)delay;
	if (store_outbox_failed(r->st, it->id, why, at, r->now) != STORE_OK) {
		buf_printf(err, "notice %" PRId64 ": cannot record the failed "
		    "attempt: %s", it->id, store_errmsg(r->st));
		return -1;
	}
	if (at == (time_t)-1) {
		r->counts->failed++;
		log_warn("notice %" PRId64 " (decision %" PRId64 ") to %s not "
		    "sent, given up: %s", it->id, it->decision_id,
		    shown(it->recipient), why);
	} else {
		r->counts->retry++;
		log_warn("notice %" PRId64 " (decision %" PRId64 ") to %s not "
		    "sent, retry in %" PRId64 " s: %s", it->id,
		    it->decision_id, shown(it->recipient), delay, why);
	}
	return 0;
}

/*
 * Whether this notice may go at all, and to whom: 1 go, 0 refused for
 * good, 2 not now (over the hourly cap: *wait_until says when).
 */
static int
vet(struct round *r, const struct store_outbox_item *it,
    struct store_decision *d, struct buf *why, time_t *wait_until,
    struct buf *err)
{
	int rc;

	rc = store_decision_get(r->st, it->decision_id, d);
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		buf_printf(err, "notice %" PRId64 ": %s", it->id,
		    store_errmsg(r->st));
		return -1;
	}
	/* RFC 3834: never answer an automatic message. */
	if (rc == STORE_OK && d->reasons != NULL &&
	    strstr(d->reasons, "auto_reply") != NULL) {
		buf_puts(why, "the message was an automatic reply (RFC 3834)");
		return 0;
	}
	if (!notice_addr_ok(it->recipient)) {
		buf_puts(why, "the recipient is not a plain address");
		return 0;
	}
	/* Over the cap the notice waits its turn: a partner must learn
	 * that their 11th mail was refused too, only later. */
	if (store_outbox_cap_free_at(r->st, it->recipient,
	    r->c->notices_per_hour, r->now, wait_until) != STORE_OK) {
		buf_printf(err, "notice %" PRId64 ": %s", it->id,
		    store_errmsg(r->st));
		return -1;
	}
	if (*wait_until > r->now) {
		buf_printf(why, "%u notices sent to this address in the last"
		    " hour (notices.max_per_sender_hour): waits its turn",
		    r->c->notices_per_hour);
		return 2;
	}
	return 1;
}

/* Over the cap: the notice waits, untried, until a place frees. */
static int
deferred(struct round *r, const struct store_outbox_item *it, time_t at,
    const char *why, struct buf *err)
{
	char ts[21];

	if (store_outbox_defer(r->st, it->id, why, at, r->now) != STORE_OK) {
		buf_printf(err, "notice %" PRId64 ": cannot defer it: %s",
		    it->id, store_errmsg(r->st));
		return -1;
	}
	r->counts->deferred++;
	/* said once: a notice may wait several hours behind others */
	if (it->last_error != NULL && strcmp(it->last_error, why) == 0)
		return 0;
	store_timestamp(at, ts);
	log_info("notice %" PRId64 " (decision %" PRId64 ") to %s waits until"
	    " %s: %s", it->id, it->decision_id, shown(it->recipient), ts, why);
	return 0;
}

static int
one(struct round *r, const struct store_outbox_item *it, struct buf *err)
{
	struct store_decision d;
	struct notice_mail m;
	struct buf why = BUF_INIT, msg = BUF_INIT, mid = BUF_INIT;
	time_t wait_until = 0;
	int rc = 0, v, threaded = 0;

	memset(&d, 0, sizeof(d));
	if ((v = vet(r, it, &d, &why, &wait_until, err)) == -1) {
		rc = -1;
		goto out;
	}
	if (v == 0) {
		rc = failed(r, it, 0, buf_str(&why), err);
		goto out;
	}
	if (v == 2) {
		rc = deferred(r, it, wait_until, buf_str(&why), err);
		goto out;
	}
	message_id(&mid, it, r->c->notice_from);
	memset(&m, 0, sizeof(m));
	m.from = r->c->notice_from;
	m.to = it->recipient;
	m.subject = it->subject;
	m.body = it->body;
	m.date = (int64_t)r->now;
	m.message_id = buf_str(&mid);
	m.in_reply_to = d.message_id;
	if (mid.failed || notice_compose(&m, &msg, &threaded, &why) == -1) {
		rc = failed(r, it, 0, mid.failed ? "out of memory" :
		    buf_str(&why), err);
		goto out;
	}
	if (d.message_id != NULL && !threaded)
		log_warn("notice %" PRId64 ": the partner's Message-ID is not "
		    "safe to echo, sent without In-Reply-To", it->id);
	if (r->down.len > 0) {
		rc = failed(r, it, 1, buf_str(&r->down), err);
		goto out;
	}
	if (r->smtp == NULL && smtp_open(&r->c->smtp, &r->smtp,
	    &r->down) != SMTP_OK) {
		log_warn("cannot send through relay %s:%u: %s", r->c->smtp.host,
		    r->c->smtp.port, buf_str(&r->down));
		rc = failed(r, it, 1, buf_str(&r->down), err);
		goto out;
	}
	switch (smtp_send(r->smtp, r->c->notice_from, it->recipient,
	    msg.data, msg.len, &why)) {
	case SMTP_OK:
		if (store_outbox_sent(r->st, it->id, r->now) != STORE_OK) {
			buf_printf(err, "notice %" PRId64 " was sent but cannot"
			    " be marked sent: %s", it->id, store_errmsg(r->st));
			rc = -1;
			break;
		}
		r->counts->sent++;
		log_info("notice %" PRId64 " (decision %" PRId64 ") sent to %s",
		    it->id, it->decision_id, it->recipient);
		break;
	case SMTP_PERMANENT:
		rc = failed(r, it, 0, buf_str(&why), err);
		break;
	default:
		rc = failed(r, it, 1, buf_str(&why), err);
		if (!smtp_alive(r->smtp)) {
			/* The rest of the round waits for the next session. */
			smtp_close(r->smtp);
			r->smtp = NULL;
			buf_puts(&r->down, buf_str(&why));
		}
	}
out:
	store_decision_free(&d);
	buf_free(&why);
	buf_free(&msg);
	buf_free(&mid);
	return rc;
}

/* The digest's audit row: its action, and its object, which finds it. */
#define DIGEST_ACTION	"digest.sent"
#define DIGEST_OBJECT	"sla"

/*
 * The supervisors' digest (sla.h), once a day from sla.digest_hour: the
 * day's check is an audit row digest.sent ("day=YYYY-MM-DD; ..."), so
 * that neither a restart nor the next round sends it again; a day with
 * nothing overdue is recorded too, and mails nothing.  A relay that is
 * down or says 4xx: tried again next round.  -1 only on a store failure.
 */
static int
digest(struct round *r, struct buf *err)
{
	const struct balp_conf *c = r->c;
	struct sla_report rep;
	struct notice_mail m;
	struct buf d = BUF_INIT, msg = BUF_INIT, mid = BUF_INIT, why = BUF_INIT;
	char day[11], *last = NULL, *subject = NULL, *body = NULL;
	int32_t today = pipeline_today(r->now);
	const char *sent = NULL;
	struct tm tm;
	int rc = 0;

	if (c->sla.digest_to == NULL || localtime_r(&r->now, &tm) == NULL ||
	    (unsigned)tm.tm_hour < c->sla.digest_hour || r->down.len > 0)
		return 0;
	date_format_iso(today, day);
	if (store_audit_last_detail(r->st, DIGEST_OBJECT, DIGEST_ACTION,
	    &last) != STORE_OK) {
		buf_printf(err, "digest: %s", store_errmsg(r->st));
		return -1;
	}
	if (last != NULL && strncmp(last, "day=", 4) == 0 &&
	    strncmp(last + 4, day, 10) == 0) {
		free(last);
		return 0;
	}
	free(last);
	if (sla_report(r->st, c, today, SLA_DIGEST_IDS, &rep, &why) == -1) {
		buf_printf(err, "digest: %s", buf_str(&why));
		buf_free(&why);
		return -1;
	}
	if (rep.overdue == 0)
		sent = "no";
	else if (sla_digest(&rep, &subject, &body) == -1)
		buf_puts(&why, "out of memory");
	else {
		buf_printf(&mid, "digest.%s.%lld@%s", day, (long long)r->now,
		    strchr(c->notice_from, '@') + 1);
		memset(&m, 0, sizeof(m));
		m.from = c->notice_from;
		m.to = c->sla.digest_to;
		m.subject = subject;
		m.body = body;
		m.date = (int64_t)r->now;
		m.message_id = buf_str(&mid);
		m.generated = 1;
		if (mid.failed || notice_compose(&m, &msg, NULL, &why) == -1)
			;
		else if (r->smtp == NULL && smtp_open(&c->smtp, &r->smtp,
		    &r->down) != SMTP_OK)
			buf_puts(&why, buf_str(&r->down));
		else
			switch (smtp_send(r->smtp, c->notice_from,
			    c->sla.digest_to, msg.data, msg.len, &why)) {
			case SMTP_OK:
				sent = "yes";
				break;
			case SMTP_PERMANENT:
				sent = "refused";
				break;
			default:
				break;
			}
	}
	if (sent != NULL) {
		buf_printf(&d, "day=%s; to=%s; overdue=%zu; waiting=%zu; "
		    "sent=%s", day, c->sla.digest_to, rep.overdue, rep.waiting,
		    sent);
		if (d.failed || store_audit_note(r->st, "notifier",
		    DIGEST_ACTION, DIGEST_OBJECT, buf_str(&d), r->now) !=
		    STORE_OK) {
			buf_printf(err, "digest: %s", d.failed ?
			    "out of memory" : store_errmsg(r->st));
			rc = -1;
		}
	}
	if (sent != NULL && strcmp(sent, "yes") == 0)
		log_info("digest: %zu overdue messages, sent to %s",
		    rep.overdue, c->sla.digest_to);
	else if (sent == NULL || strcmp(sent, "no") != 0)
		log_warn("digest to %s not sent%s: %s", c->sla.digest_to,
		    sent != NULL ? " (for good today)" : "", buf_str(&why));
	sla_report_free(&rep);
	free(subject);
	free(body);
	buf_free(&d);
	buf_free(&msg);
	buf_free(&mid);
	buf_free(&why);
	return rc;
}

int
notifier_round(struct store *st, const struct balp_conf *c, time_t now,
    struct notifier_counts *counts, struct buf *err)
{
	struct store_outbox_list l = { NULL, 0 };
	struct round r;
	size_t i, n, batches;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.st = st;
	r.c = c;
	r.now = now;
	r.counts = counts;
	/*
	 * Batch after batch over the same session while a full one was due:
	 * every notice handled leaves the due set (sent, failed, or retried
	 * later), so a backlog drains in one round; the bound is a guard.
	 */
	for (batches = 0; rc == 0 && batches < NOTIFIER_MAX_BATCHES;
	    batches++) {
		if (store_outbox_pending(st, now, NOTIFIER_BATCH, &l) !=
		    STORE_OK) {
			buf_printf(err, "cannot read the outbox: %s",
			    store_errmsg(st));
			rc = -1;
			break;
		}
		for (i = 0; i < l.n && rc == 0; i++)
			rc = one(&r, &l.v[i], err);
		n = l.n;
		store_outbox_list_free(&l);
		if (n < NOTIFIER_BATCH)
			break;
	}
	if (rc == 0)
		rc = digest(&r, err);
	smtp_close(r.smtp);
	buf_free(&r.down);
	return rc;
}

/* ---- the child process ------------------------------------------------- */

struct notifier {
	pid_t			 pid;
	int			 wake;		/* write end, non-blocking */
	char			*conf_path;
	time_t			 started;
};

static void
child_rounds(const struct balp_conf *c, struct store *st)
{
	struct notifier_counts counts;
	struct buf err = BUF_INIT;

	memset(&counts, 0, sizeof(counts));
	if (notifier_round(st, c, time(NULL), &counts, &err) == -1)
		log_warn("notifier: %s", buf_str(&err));
	buf_free(&err);
}

int
notifier_child(const struct balp_conf *c, int wake)
{
	struct store *st = NULL;
	struct buf err = BUF_INIT;
	struct pollfd pfd;
	struct timespec period = { NOTIFIER_PERIOD, 0 };
	sigset_t none, term;
	char junk[64];
	ssize_t n;
	int r;

	log_init("balpd-notifier");
	/* TERM stays blocked but for the wait: a send is never cut. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGHUP);
	sigprocmask(SIG_BLOCK, &term, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	if (store_open(c->store_path, &st, &err) != STORE_OK ||
	    store_audit_key_load(st, c->audit_key_file, c->admin_gid, &err) ==
	    -1) {
		log_warn("notifier: %s", buf_str(&err));
		buf_free(&err);
		store_close(st);
		return 1;
	}
	for (;;) {
		child_rounds(c, st);
		pfd.fd = wake;
		pfd.events = POLLIN;
		r = ppoll(&pfd, 1, &period, &none);
		if (r == -1 && errno != EINTR)
			break;
		if (r > 0) {
			n = read(wake, junk, sizeof(junk));
			if (n == 0 || (n == -1 && errno != EINTR &&
			    errno != EAGAIN))
				break;	/* balpd is gone */
		}
	}
	store_close(st);
	return 0;
}

static int
start(struct notifier *nt, struct buf *err)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		buf_printf(err, "notifier: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		buf_printf(err, "notifier: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* Nothing of balpd's: not its lock, store, workers or inbox. */
		/* dup2 onto itself would keep O_CLOEXEC: clear it anyway. */
		if (dup2(p[0], NOTIFIER_WAKE_FD) == -1 ||
		    fcntl(NOTIFIER_WAKE_FD, F_SETFD, 0) == -1)
			_exit(127);
		syscall(SYS_close_range, NOTIFIER_WAKE_FD + 1U, ~0U, 0U);
		/* Logs where balpd's go (log_to_syslog: --syslog). */
		execl("/proc/self/exe", "balpd", NOTIFIER_CHILD_ARG, "-c",
		    nt->conf_path, log_to_syslog() ? "--syslog" : (char *)NULL,
		    (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	nt->pid = pid;
	nt->wake = p[1];
	nt->started = time(NULL);
	return 0;
}

int
notifier_spawn(const char *conf_path, const struct balp_conf *c,
    struct notifier **out, struct buf *err)
{
	struct notifier *nt;

	*out = NULL;
	if ((nt = calloc(1, sizeof(*nt))) == NULL ||
	    (nt->conf_path = buf_strdup(conf_path)) == NULL) {
		free(nt);
		buf_puts(err, "notifier: out of memory");
		return -1;
	}
	if (start(nt, err) == -1) {
		free(nt->conf_path);
		free(nt);
		return -1;
	}
	log_info("notifier started (pid %ld): relay %s:%u", (long)nt->pid,
	    c->smtp.host, c->smtp.port);
	*out = nt;
	return 0;
}

/* 1 if the child runs (perhaps started again just now). */
static int
alive(struct notifier *nt)
{
	struct buf err = BUF_INIT;
	int status;

	if (nt->pid > 0 && waitpid(nt->pid, &status, WNOHANG) == nt->pid) {
		log_warn("notifier (pid %ld) ended (%s %d)", (long)nt->pid,
		    WIFSIGNALED(status) ? "signal" : "status",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status));
		nt->pid = -1;
		close(nt->wake);
		nt->wake = -1;
	}
	if (nt->pid <= 0) {
		if (time(NULL) - nt->started < 60)
			return 0;
		if (start(nt, &err) == -1)
			log_warn("%s", buf_str(&err));
		else
			log_info("notifier started again (pid %ld)",
			    (long)nt->pid);
		buf_free(&err);
	}
	return nt->pid > 0;
}

void
notifier_check(struct notifier *nt)
{
	if (nt != NULL)
		(void)alive(nt);
}

void
notifier_kick(struct notifier *nt)
{
	/* A full pipe already says "wake up". */
	if (nt != NULL && alive(nt))
		(void)!write(nt->wake, "", 1);
}

void
notifier_stop(struct notifier *nt)
{
	int status, i;

	if (nt == NULL)
		return;
	if (nt->pid > 0) {
		kill(nt->pid, SIGTERM);
		close(nt->wake);
		nt->wake = -1;
		for (i = 0; i < NOTIFIER_STOP_MS / 50; i++) {
			if (waitpid(nt->pid, &status, WNOHANG) == nt->pid)
				break;
			usleep(50 * 1000);
		}
		if (i == NOTIFIER_STOP_MS / 50) {
			/* A hung relay: the notice in hand may go twice. */
			log_warn("notifier (pid %ld) did not stop, killed",
			    (long)nt->pid);
			kill(nt->pid, SIGKILL);
			while (waitpid(nt->pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
		}
	}
	if (nt->wake >= 0)
		close(nt->wake);
	free(nt->conf_path);
	free(nt);
}
