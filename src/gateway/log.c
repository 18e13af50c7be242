/*
 * log - timestamped log lines on stderr, and to syslog when asked (see
 * log.h).  The globals of the program live here: the name logs are
 * signed with, and whether syslog gets them too.
 */
#include "balp/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "balp";
static int log_syslog_on;
static int log_stderr_off;

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_syslog(void)
{
	openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_syslog_on = 1;
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

/* priority: syslog's, facility included when not the default one. */
static void
log_line(int priority, const char *level, const char *fmt, va_list ap)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list again;

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
