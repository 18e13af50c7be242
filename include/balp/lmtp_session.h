/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lmtp_session - one LMTP conversation (RFC 2033) as a state machine:
 * bytes in, replies out, the message spooled to a sealed memory file and
 * handed to the delivery callback (lmtp.h).  No socket: the server
 * (lmtp.c) reads and writes for it, the unit tests feed it strings.
 *
 * LHLO, MAIL (SIZE=, BODY=), RCPT, DATA, RSET, NOOP, QUIT; HELO and EHLO
 * are refused (RFC 2033 section 4.1), so is anything else.  Pipelined
 * commands are answered in order as they come.  Limits: a command line of
 * LMTP_COMMAND_MAX bytes (500 5.5.2 beyond, the line skipped), a DATA
 * line of LMTP_DATA_LINE_MAX (the message refused, 554 5.6.0, once its
 * end is read), conf->max_size (552 5.3.4: at MAIL when SIZE= says so,
 * else once the end is read, the bytes beyond never stored).
 *
 * Ownership: the session borrows conf, which must outlive it.
 */
#ifndef BALP_LMTP_SESSION_H
#define BALP_LMTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"
#include "balp/lmtp.h"

struct lmtp_session;

/* NULL on ENOMEM.  name: this host's name in the greeting and LHLO. */
struct lmtp_session *lmtp_session_new(const struct lmtp_conf *conf,
	    const char *name, lmtp_deliver_fn *deliver, void *arg);
void	 lmtp_session_free(struct lmtp_session *);
/* The 220 greeting, appended to out. */
void	 lmtp_session_greet(struct lmtp_session *, struct buf *out);
/*
 * Consumes len bytes of input, appending the replies to out.  0: go on;
 * 1: the session is over (QUIT answered, or a 421 said after a failure
 * of this process: the caller closes it).
 */
int	 lmtp_session_input(struct lmtp_session *, const char *in, size_t len,
	    struct buf *out);
/*
 * As lmtp_session_input(), but stops where a delivery is held (its
 * callback said 1): *used bytes were consumed, the rest is to be fed
 * again after lmtp_session_verdict().
 */
int	 lmtp_session_feed(struct lmtp_session *, const char *in, size_t len,
	    struct buf *out, size_t *used);
/* 1 while a delivery's verdict is awaited: no input is taken. */
int	 lmtp_session_held(const struct lmtp_session *);
/* The held delivery's verdict (as the callback's 0 or -1 and why):
 * the replies appended to out, and the session takes input again. */
void	 lmtp_session_verdict(struct lmtp_session *, int rc, const char *why,
	    struct buf *out);
/*
 * The session's name (1..LMTP_TICKET_SESSIONS-1): its messages carry
 * LMTP_TICKET(name, their number) as lmtp_message.ticket.
 */
void	 lmtp_session_set_ticket(struct lmtp_session *, uint64_t ticket);
#define LMTP_TICKET_SESSIONS	((uint64_t)1 << 40)
#define LMTP_TICKET(session, n)	((session) | ((uint64_t)(n) << 40))
#define LMTP_TICKET_SESSION(t)	((t) & (LMTP_TICKET_SESSIONS - 1))
/* The held message's ticket, 0 when none is held. */
uint64_t lmtp_session_held_ticket(const struct lmtp_session *);
/* 1 while in the middle of a command line or of DATA (the command
 * timeout applies), 0 when waiting for a command (the idle one). */
int	 lmtp_session_busy(const struct lmtp_session *);

#endif
