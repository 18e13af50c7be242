/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log - timestamped log lines on stderr, and to syslog when asked (see
 * log.h).  The globals of the program live here: the name logs are
 * signed with, and whether syslog gets them too.
 */
#include "balp/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "balp/buf.h"

static const char *log_prog = "balp";
static int log_syslog_on;
static int log_stderr_off;
/* --syslog under systemd: stderr is the journal, which takes fields. */
static int log_journal_on;

/* Longest value of a field, in bytes: a Message-ID can be anything. */
#define LOG_VALUE_MAX	200
#define LOG_FIELDS_MAX	16

void
log_init(const char *prog)
{
	log_prog = prog;
}

/*
 * 1 when stderr is the journal: systemd says so in JOURNAL_STREAM
 * ("device:inode" of the stream it gave us), and stderr is still it.
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_syslog(void)
{
	openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_syslog_on = 1;
	log_journal_on = stderr_is_journal();
}

void
log_syslog_only(void)
{
	log_syslog();
	log_stderr_off = 1;
}

int
log_to_syslog(void)
{
	return log_syslog_on;
}

static void log_line(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

/*
 * To the journal, natively: MESSAGE, PRIORITY, SYSLOG_FACILITY,
 * SYSLOG_IDENTIFIER and the fields given ("BALP_MSGID=..."), which
 * `journalctl BALP_OUTCOME=quarantined` selects.  -1 if the journal did
 * not take it (the caller writes the line the usual way).
 */
static int
journal_send(int priority, const char *message, const char *const *fields,
    size_t n)
{
	struct iovec iov[4 + LOG_FIELDS_MAX];
	struct buf head[4];
	size_t i, k = 0;
	int r;

	for (i = 0; i < 4; i++)
		buf_init(&head[i]);
	buf_printf(&head[0], "MESSAGE=%s", message);
	buf_printf(&head[1], "PRIORITY=%d", LOG_PRI(priority));
	buf_printf(&head[2], "SYSLOG_FACILITY=%d", (priority & LOG_FACMASK) ?
	    LOG_FAC(priority) : LOG_FAC(LOG_MAIL));
	buf_printf(&head[3], "SYSLOG_IDENTIFIER=%s", log_prog);
	for (i = 0; i < 4; i++) {
		iov[k].iov_base = (void *)(uintptr_t)buf_str(&head[i]);
		iov[k++].iov_len = head[i].len;
	}
	for (i = 0; i < n && i < LOG_FIELDS_MAX; i++) {
		iov[k].iov_base = (void *)(uintptr_t)fields[i];
		iov[k++].iov_len = strlen(fields[i]);
	}
	r = head[0].failed || head[3].failed ? -1 : sd_journal_sendv(iov,
	    (int)k);
	for (i = 0; i < 4; i++)
		buf_free(&head[i]);
	return r < 0 ? -1 : 0;
}

/* priority: syslog's, facility included when not the default one. */
static void
log_line(int priority, const char *level, const char *fmt, va_list ap)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	struct buf msg = BUF_INIT;
	va_list again;

	if (log_journal_on) {
		va_copy(again, ap);
		buf_vprintf(&msg, fmt, again);
		va_end(again);
		if (!msg.failed && journal_send(priority, buf_str(&msg), NULL,
		    0) == 0) {
			buf_free(&msg);
			return;
		}
		buf_free(&msg);
	}
	if (log_syslog_on) {
		va_copy(again, ap);
		vsyslog(priority, fmt, again);
		va_end(again);
	}
	if (log_stderr_off)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(ts, sizeof(ts),
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		ts[0] = '\0';
	fprintf(stderr, "%s %s[%ld]: %s", ts, log_prog, (long)getpid(), level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_security(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_AUTHPRIV | LOG_WARNING, "security: ", fmt, ap);
	va_end(ap);
}

/* A value as a field may carry it: printable, no space, '=' or quote. */
static void
put_value(struct buf *b, const char *v)
{
	size_t i;

	if (v == NULL || *v == '\0') {
		buf_putc(b, '-');
		return;
	}
	for (i = 0; v[i] != '\0' && i < LOG_VALUE_MAX; i++)
		buf_putc(b, (unsigned char)v[i] > 0x20 &&
		    (unsigned char)v[i] < 0x7f && v[i] != '=' && v[i] != '"' ?
		    v[i] : '?');
}

void
log_fields(int security, const char *event, const struct log_field *f,
    size_t n)
{
	struct buf line = BUF_INIT, jf[LOG_FIELDS_MAX];
	const char *jp[LOG_FIELDS_MAX] = { NULL };
	size_t i, k;
	int priority = security ? LOG_AUTHPRIV | LOG_WARNING : LOG_INFO;

	if (n > LOG_FIELDS_MAX)
		n = LOG_FIELDS_MAX;
	buf_puts(&line, event);
	for (i = 0; i < n; i++) {
		buf_printf(&line, " %s=", f[i].name);
		put_value(&line, f[i].value);
	}
	if (line.failed) {
		buf_free(&line);
		return;
	}
	if (log_journal_on) {
		for (i = 0; i < n; i++) {
			buf_init(&jf[i]);
			buf_puts(&jf[i], "BALP_");
			for (k = 0; f[i].name[k] != '\0'; k++)
				buf_putc(&jf[i], f[i].name[k] >= 'a' &&
				    f[i].name[k] <= 'z' ? f[i].name[k] - 32 :
				    f[i].name[k]);
			buf_putc(&jf[i], '=');
			put_value(&jf[i], f[i].value);
			jp[i] = buf_str(&jf[i]);
		}
		k = journal_send(priority, buf_str(&line), jp, n) == 0;
		for (i = 0; i < n; i++)
			buf_free(&jf[i]);
		if (k) {
			buf_free(&line);
			return;
		}
	}
	if (security)
		log_security("%s", buf_str(&line));
	else
		log_info("%s", buf_str(&line));
	buf_free(&line);
}
