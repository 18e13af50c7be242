/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log - the daemon's log lines, on stderr (journald or a redirect keeps
 * them), one line each: "2026-11-23T14:02:11Z balpd[812]: warning: ...",
 * and to syslog (facility mail, the program's name and pid) after
 * log_syslog(); after log_syslog() under systemd, to the journal itself,
 * with fields (log_fields()).
 *
 * log_security() lines go elsewhere in syslog (see there).
 *
 * Never log a NIR, a beneficiary's name, a Subject, a body, a password or
 * a key: callers log file names, outcomes, types, reason codes, partner ids.
 */
#ifndef BALP_LOG_H
#define BALP_LOG_H

#include <stddef.h>

void	 log_init(const char *prog);
void	 log_syslog(void);
/*
 * log_syslog(), and stderr no more: for balpctl, whose own output has
 * already told the admin what the line tells syslog.
 */
void	 log_syslog_only(void);
/* 1 after log_syslog(): a child balpd runs is told to do the same. */
int	 log_to_syslog(void);
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A security event (a message whose authentication failed, a forbidden
 * attachment, a broken audit chain): the Caf must be told of incidents
 * (BALP convention art. 5), so these lines stand apart from the daily
 * decisions.  On stderr "security: ..."; in syslog LOG_AUTHPRIV |
 * LOG_WARNING, the facility sshd and sudo use for what a security
 * contact reads, so one syslog rule (authpriv.*) forwards them, while
 * ordinary lines stay mail.info / mail.warning.  The same rule as every
 * line: no NIR, no name, no key.
 */
void	 log_security(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* A field of an event line: name in lower case ("msgid"). */
struct log_field {
	const char	*name;
	const char	*value;		/* NULL or "": "-" */
};

/*
 * An event with stable key=value fields, one line: "decision msgid=...
 * partner=... outcome=...", for scripts and log collectors.  A value is
 * cut at 200 bytes and anything but printable ASCII other than space,
 * '=' and '"' becomes '?', so that a field never runs into the next.  A
 * security event (security set) goes as log_security(), the rest as
 * log_info().  Under systemd with --syslog (stderr is the journal:
 * JOURNAL_STREAM), the line goes to the journal natively with each field
 * as BALP_<NAME> (BALP_MSGID, BALP_OUTCOME...), and so do log_info(),
 * log_warn() and log_security() lines, once each.  At most 16 fields.
 */
void	 log_fields(int security, const char *event,
	    const struct log_field *, size_t n);

#endif
