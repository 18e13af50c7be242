/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lmtp - mail at delivery time: an LMTP server (RFC 2033) that Postfix
 * hands the BALP's mail to, the way amavis or rspamd sit after its queue
 * (docs/lmtp.md).
 *
 * The server only speaks the protocol: it listens on a loopback address
 * or a unix socket, checks each recipient against the configured list,
 * spools DATA (dot-unstuffed) to a sealed memory file, never held whole in
 * this process's heap, and hands the finished message to a delivery
 * callback, whose answer it turns into one reply per recipient: 250
 * 2.0.0 once the message is decided, recorded and filed, 451 4.3.0 on any
 * failure before that (Postfix keeps the mail and retries).  What
 * delivering means is the gateway's (pipeline.h).
 *
 * It runs inside balpd's event loop: lmtp_server_pollfds() says what to
 * wait for, lmtp_server_handle() does what is ready, never blocking on a
 * peer.  The protocol itself is struct lmtp_session (lmtp_session.h),
 * bytes in, bytes out, testable without a socket.
 *
 * Ownership: struct lmtp_conf owns its strings (lmtp_conf_free()); the
 * server copies what it needs.  Errors: -1 with one line in err.
 */
#ifndef BALP_LMTP_H
#define BALP_LMTP_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"

#define LMTP_MAX_SESSIONS_DEFAULT	8
#define LMTP_IDLE_SECONDS_DEFAULT	300
#define LMTP_COMMAND_SECONDS_DEFAULT	60
/* Filer processes (filer.h); 0: each message filed in the event loop. */
#define LMTP_FILERS_DEFAULT		6
#define LMTP_FILERS_MAX			16
/* A command line, CRLF included (RFC 5321 4.5.3.1.4 says 512). */
#define LMTP_COMMAND_MAX		1024
/* A text line of DATA, CRLF included (RFC 5322: 1000; Postfix's
 * smtp_line_length_limit breaks longer ones at 998). */
#define LMTP_DATA_LINE_MAX		((size_t)64 << 10)
/* Recipients of one transaction, at most (RFC 5321: at least 100). */
#define LMTP_RECIPIENTS_MAX		100

/* The group lmtp { listen; recipients; max_sessions; ... } as loaded. */
struct lmtp_conf {
	char		*listen;	/* as written: "127.0.0.1:10026" */
	char		*path;		/* unix:PATH's path (absolute), or NULL */
	char		*host;		/* TCP: a loopback address */
	unsigned	 port;
	char		**recipients;	/* lower case */
	size_t		 n_recipients;
	unsigned	 max_sessions;	/* 1..1024 */
	char		*group;		/* the unix socket's group, or NULL */
	gid_t		 gid;		/* (gid_t)-1: balpd's own */
	unsigned	 idle_seconds;	/* waiting for a command */
	unsigned	 command_seconds; /* a command or DATA that stalls */
	unsigned	 filers;	/* 0..LMTP_FILERS_MAX */
	uint64_t	 max_size;	/* SIZE announced; 0: none */
};

void	 lmtp_conf_free(struct lmtp_conf *);
/*
 * Parses listen ("HOST:PORT" on loopback, "[::1]:PORT", or "unix:PATH")
 * into c->path or c->host and c->port.  0, or -1 with why in err (a
 * non-loopback address is refused: the gateway is not an MX).
 */
int	 lmtp_conf_listen(struct lmtp_conf *c, const char *listen,
	    struct buf *err);
/* 1 if addr (any case) is one of the configured recipients. */
int	 lmtp_conf_recipient(const struct lmtp_conf *, const char *addr);

/* A message handed over, as the delivery callback sees it. */
struct lmtp_message {
	const char		*sender;	/* MAIL FROM, "" for <> */
	const char *const	*recipients;	/* accepted RCPTs */
	size_t			 n_recipients;
	int			 fd;		/* sealed memory file, from 0 */
	uint64_t		 size;		/* bytes, unstuffed, CRLF */
	time_t			 arrived;	/* when the final dot came */
	uint64_t		 ticket;	/* its session's, for a verdict */
};

/*
 * Delivers msg: 0 once it is filed, durable (250 to each recipient); -1
 * with why in err for a failure that Postfix should retry (451 4.3.0);
 * 1 when it is being filed elsewhere (a filer, filer.h): the session
 * waits, reading nothing more, until lmtp_server_verdict() with
 * msg->ticket.  The descriptor stays the caller's (valid until then).
 */
typedef int lmtp_deliver_fn(const struct lmtp_message *msg, void *arg,
    struct buf *err);

struct lmtp_server;

/*
 * Listens as c says (a unix socket: mode 0660, group c->gid; a stale
 * socket file is replaced).  deliver is called from
 * lmtp_server_handle().  0, or -1 with err.
 */
int	 lmtp_server_open(const struct lmtp_conf *c, lmtp_deliver_fn *deliver,
	    void *arg, struct lmtp_server **out, struct buf *err);
/* Closes every session (421 said) and the listening socket. */
void	 lmtp_server_close(struct lmtp_server *);
/* At most this many pollfds are asked for. */
size_t	 lmtp_server_nfds(const struct lmtp_server *);
/*
 * Fills pfd (at least lmtp_server_nfds() entries) with what the server
 * waits for; *timeout_ms is lowered to its next deadline.  The count.
 */
size_t	 lmtp_server_pollfds(struct lmtp_server *, struct pollfd *pfd,
	    int *timeout_ms);
/* Does what poll found ready (and the deadlines due).  Never blocks. */
void	 lmtp_server_handle(struct lmtp_server *, const struct pollfd *pfd,
	    size_t n);
/* Sessions open now. */
size_t	 lmtp_server_sessions(const struct lmtp_server *);
/*
 * The verdict of a delivery the callback held (it said 1): rc 0 is 250,
 * -1 is 451 with why.  The session's pipelined input goes on.  A session
 * gone meanwhile (its peer, a reload) is no error: its mail comes again.
 */
void	 lmtp_server_verdict(struct lmtp_server *, uint64_t ticket, int rc,
	    const char *why);

#endif
