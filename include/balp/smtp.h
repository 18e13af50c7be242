/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtp - sends notices to the Caf's relay (libetpan's SMTP client,
 * docs/libetpan.md §6).
 *
 * One session per notifier round: smtp_open() connects (implicit TLS,
 * STARTTLS, or plain text on loopback only), checks the server's
 * certificate with tls_verify() before anything else is said, says EHLO
 * again after STARTTLS, and authenticates with AUTH PLAIN when a user is
 * configured (never over plain text).  smtp_send() sends one message to
 * one recipient; smtp_close() ends the session, at once when the peer is
 * dead or hung (no QUIT waited for).
 *
 * Every failure is classified for the notifier: SMTP_TRANSIENT (connection
 * refused or lost, timeout, TLS or certificate refused, AUTH refused, a 4xx
 * reply: try again later, the notice stays pending) or SMTP_PERMANENT (a
 * 5xx reply to MAIL, RCPT or DATA: this notice will never go).  Errors are
 * one line in err naming the host and, for a reply, its code and text;
 * never the password, never the message.
 *
 * Ownership: struct smtp_conf is the configuration's (conf.c fills and
 * frees it with smtp_conf_free()); struct smtp is the caller's until
 * smtp_close().
 */
#ifndef BALP_SMTP_H
#define BALP_SMTP_H

#include <stddef.h>

#include "balp/buf.h"
#include "balp/tls.h"

#define SMTP_TIMEOUT_DEFAULT	30	/* seconds, per connect and per reply */

struct smtp_conf {
	char		*host;
	unsigned	 port;
	enum tls_mode	 tls;
	char		*user;		/* NULL: no AUTH */
	char		*password_file;	/* absolute; set iff user is */
	char		*ca_file;	/* absolute; NULL: the system store */
	unsigned	 timeout;	/* seconds */
};

enum smtp_status {
	SMTP_OK = 0,
	SMTP_TRANSIENT = -1,
	SMTP_PERMANENT = -2,
};

struct smtp;

/*
 * Connects, checks the certificate, greets and authenticates.  SMTP_OK
 * with *out set, or SMTP_TRANSIENT with err set and *out NULL.
 */
int	 smtp_open(const struct smtp_conf *, struct smtp **out,
	    struct buf *err);
/*
 * Sends msg (CRLF or LF lines, without the final dot) from the envelope
 * sender from to the one recipient to.  SMTP_OK, SMTP_TRANSIENT or
 * SMTP_PERMANENT with err set.  After a transient failure the session may
 * be dead (smtp_alive() says); after a refused MAIL or RCPT it was reset
 * and may send the next message.
 */
int	 smtp_send(struct smtp *, const char *from, const char *to,
	    const char *msg, size_t len, struct buf *err);
/* 1 while the session can still send. */
int	 smtp_alive(const struct smtp *);
/* QUIT when the session is alive, else a hard close; fine on NULL. */
void	 smtp_close(struct smtp *);

/*
 * Reads the password file of conf (when it has a user) and wipes what it
 * read: what balpd does at start-up and reload, so that a missing or too
 * open file stops it then rather than at its first notice.  0, or -1 with
 * err set (one line naming the file, never its content).
 */
int	 smtp_check_password(const struct smtp_conf *, struct buf *err);

/* "smtps", "starttls", "none" -> mode; 0, or -1 if unknown. */
int	 smtp_tls_mode(const char *name, enum tls_mode *out);
void	 smtp_conf_free(struct smtp_conf *);

#endif
