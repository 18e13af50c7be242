/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filer - messages from LMTP filed several at once (docs/lmtp.md).
 *
 * Filing a message is one APPEND, and Dovecot answers an APPEND once the
 * message is on disk (its fsync): some 10 ms a message, during which the
 * event loop would wait.  Dovecot's own LMTP delivers the mail of
 * Postfix's parallel connections in parallel; so does balpd, through a
 * few filer processes forked at start, each with its own session to the
 * mailbox (the IMAP account, or the Maildir), each filing one message at
 * a time.  balpd hands a filer the sealed message's descriptor
 * (SCM_RIGHTS) with where to file it, goes on with its loop, and answers
 * Postfix when the filer says it is filed.  A filer is one process
 * without threads: nothing of libetpan, GnuTLS or the store is shared.
 *
 * Ownership: the descriptor handed over stays the caller's (the filer
 * gets its own).  Errors: -1 with one line in err.
 */
#ifndef BALP_FILER_H
#define BALP_FILER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/source.h"

/* Filer processes, at most; what a filing's strings may take. */
#define FILER_MAX		16
#define FILER_FIELD_MAX		4096

struct filer;

/*
 * Forks n filers (1..FILER_MAX); each opens its own source as sc says at
 * its first filing (and again after a failure).  0, or -1 with err.
 */
int	 filer_open(const struct source_conf *sc, unsigned n,
	    struct filer **out, struct buf *err);
/* Ends the filers (a filing in hand is lost: its mail is handed again). */
void	 filer_close(struct filer *);
/* Filers free to take a filing now. */
size_t	 filer_idle(const struct filer *);
/* At most this many pollfds are asked for. */
size_t	 filer_nfds(const struct filer *);
/*
 * Hands a filing to a free filer: as source_ops.append (folder, ref, the
 * size bytes of fd, keywords, arrived), and cookie, given back when it is
 * done.  0; -1 with err (no filer free, or it cannot be told).
 */
int	 filer_submit(struct filer *, uint64_t cookie, const char *folder,
	    const char *ref, int fd, uint64_t size, const char *keywords,
	    time_t arrived, struct buf *err);
/* Fills pfd with the busy filers' sockets.  The count. */
size_t	 filer_pollfds(struct filer *, struct pollfd *pfd);
/*
 * The filings done (pfd as poll left them): done(cookie, 0 or -1, why,
 * arg) for each.  A filer that died is one filing failed, and one filer
 * fewer.
 */
typedef void filer_done_fn(uint64_t cookie, int rc, const char *why,
    void *arg);
void	 filer_reap(struct filer *, const struct pollfd *pfd, size_t n,
	    filer_done_fn *done, void *arg);

#endif
