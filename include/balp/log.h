/*
 * log - the daemon's log lines, on stderr (journald or a redirect keeps
 * them), one line each: "2026-11-23T14:02:11Z balpd[812]: warning: ...",
 * and to syslog (facility mail, the program's name and pid) after
 * log_syslog().
 *
 * log_security() lines go elsewhere in syslog (see there).
 *
 * Never log a NIR, a beneficiary's name, a Subject, a body, a password or
 * a key: callers log file names, outcomes, types, reason codes, partner ids.
 */
#ifndef BALP_LOG_H
#define BALP_LOG_H

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

#endif
