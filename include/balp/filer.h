/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filer - messages from LMTP filed several at once (docs/lmtp.md).
 *
 * Filing a message is one APPEND, and Dovecot answers an APPEND once the
 * message is on disk (its fsync): some 10 ms a message, during which the
 * event loop would wait.  Dovecot's own LMTP delivers the mail of
 * Postfix's parallel connections in parallel; so does balpd, through a
 * few filer processes forked at start, each with its own session to the
 * mailbox (the IMAP account, or the Maildir), each filing into one
 * folder at a time.  balpd hands a filer the sealed message's descriptor
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
#define FILER_FIELD_MAX		1024
/*
 * What one filer files at once into one folder: what came for it while
 * another filing into it was in hand, up to these (a message bigger
 * than FILER_BATCH_BYTES goes alone).
 */
#define FILER_BATCH_MAX		16
#define FILER_BATCH_BYTES	(16u << 20)

struct filer;

/*
 * Forks n filers (1..FILER_MAX); each opens its own source as sc says at
 * its first filing (and again after a failure).  At most queue_max
 * filings wait for one (LMTP: one per session).  0, or -1 with err.
 */
int	 filer_open(const struct source_conf *sc, unsigned n,
	    size_t queue_max, struct filer **out, struct buf *err);
/*
 * Ends the filers (a filing in hand or waiting is lost: its mail is
 * handed again).
 */
void	 filer_close(struct filer *);
/* The filers alive. */
size_t	 filer_alive(const struct filer *);
/* At most this many pollfds are asked for. */
size_t	 filer_nfds(const struct filer *);
/*
 * Queues a filing: as source_ops.append (folder, ref, the size bytes of
 * fd, keywords, arrived), and cookie, given back to done when it is
 * filed.  filer_dispatch() hands it to a filer: into one folder, one
 * filer at a time (a server locks a folder for each APPEND: appends from
 * several sessions into one folder wait on each other), with what else
 * came for that folder meanwhile (one MULTIAPPEND); with no filer left,
 * it files it in the caller's process.  fd is duplicated.  0; 1 when it
 * follows the filing of the same message (the same folder and ref,
 * waiting or in hand: a mail handed over again meanwhile), which its
 * answer will be; -1 with err (the queue full, a field too long): the
 * caller files it itself.
 */
int	 filer_submit(struct filer *, uint64_t cookie, const char *folder,
	    const char *ref, int fd, uint64_t size, const char *keywords,
	    time_t arrived, struct buf *err);
typedef void filer_done_fn(uint64_t cookie, int rc, const char *why,
    void *arg);
/* A job answered (what one filer, or the caller, filed at once). */
struct filer_job {
	const char	*folder;
	size_t		 n;		/* its messages, not their followers */
	size_t		 failed;	/* of them not filed */
	uint64_t	 usec;		/* from its hand-over to its answer */
	int		 here;		/* filed in the caller's process */
};
typedef void filer_job_fn(const struct filer_job *, void *arg);
/* What the caller is told, and what it lends. */
struct filer_hooks {
	/* Each filing answered: 0 filed (durable), -1 not (why). */
	filer_done_fn		*done;
	/* Each job answered, after its filings (NULL: not told). */
	filer_job_fn		*job;
	/*
	 * With no filer left, what waits is filed with this source, in the
	 * caller's process (balpd's own session, its loop waiting
	 * meanwhile), as a filer would have: by folder, in one
	 * source_append_many() each.  NULL: it fails ("no filer left").
	 */
	const struct source	*here;
	void			*arg;
};
/*
 * Hands the queued filings to the free filers, or files them here when
 * none is left (after each reap and each submit).  A filer that cannot
 * be told ends, and its filings are done(-1).
 */
void	 filer_dispatch(struct filer *, const struct filer_hooks *);
/* Fills pfd with the filers' sockets.  The count. */
size_t	 filer_pollfds(struct filer *, struct pollfd *pfd);
/*
 * The filings done (pfd as poll left them): done(cookie, 0 or -1, why,
 * arg) for each.  A filer that died fails its filings in hand (the
 * caller answers them 451: it may have filed some), and is one filer
 * fewer (until the next reload); with none left, what waits is filed by
 * the next filer_dispatch() with hooks->here.
 */
void	 filer_reap(struct filer *, const struct pollfd *pfd, size_t n,
	    const struct filer_hooks *);

#endif
