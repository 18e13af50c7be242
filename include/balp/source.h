/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source - where messages come from, behind one table of operations.
 *
 * The pipeline lists, fetches and moves messages without knowing whether
 * they live in a local Maildir or (later) on an IMAP server, the way
 * OpenSMTPD's queue backends hide behind queue_backend.c.
 *
 * A message is named by `ref`, a string stable for the life of the message
 * in the inbox (the Maildir unique name; an IMAP UIDVALIDITY:UID).  The
 * store keys decisions on (source name, ref), which is what makes a second
 * run a no-op.
 *
 * Ownership: list() results are freed with source_msgs_free(); a fetched
 * blob is the caller's (source_blob_free()); a struct source_conf owns its
 * strings.  Errors go to struct buf *err as
 * one line, never naming anything from a message's content.
 */
#ifndef BALP_SOURCE_H
#define BALP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/tls.h"

#define SOURCE_DIGEST_LEN	32

/* One message of source_append_many(): what append() takes, and its fate. */
struct source_filing {
	const char	*ref;
	int		 fd;
	uint64_t	 size;
	const char	*keywords;
	time_t		 arrived;
	int		 rc;		/* out: 0 filed (durable), -1 not */
};

struct source_msg {
	char		*ref;		/* stable name of the message */
	char		*label;		/* what a human sees (file name) */
	char		*loc;		/* where the source finds it */
	uint64_t	 size;		/* bytes, as the source knows them */
};

/*
 * A fetched message: len bytes readable from fd (from offset 0) when
 * fd >= 0, else in data.  The Maildir hands out a descriptor so that the
 * gateway never holds a message in memory: the parser worker reads it
 * (sendfile), whatever its size.  size is the whole message's, len the
 * bytes to examine (at most the fetch's max).  source_blob_free() releases
 * it.
 */
struct source_blob {
	int		 fd;
	char		*data;
	size_t		 len;
	uint64_t	 size;
	/*
	 * A digest of the message's header section, where the source names
	 * messages by something that can change under it (an IMAP
	 * UIDVALIDITY): the store's second key (docs/imap.md).
	 */
	int		 has_digest;
	unsigned char	 header_digest[SOURCE_DIGEST_LEN];
	/*
	 * The message rebuilt from its parts with, from byte heads_from on,
	 * only the head of each body (an IMAP message over the scan budget,
	 * docs/imap.md): len < size and yet complete to the parser.
	 */
	int		 partial;
	size_t		 heads_from;
	/*
	 * Memory the blob takes until it is freed: a copy of the message
	 * (IMAP: in data, or in a memory file behind fd), 0 for a file of
	 * the source.  The pipeline bounds the sum in flight.
	 */
	size_t		 held;
};

#define SOURCE_BLOB_INIT { -1, NULL, 0, 0, 0, { 0 }, 0, 0, 0 }

struct source_ops {
	const char *name;	/* "maildir", "imap": part of the store key */
	/* Messages waiting in the inbox, oldest first. */
	int	(*list)(void *, struct source_msg **, size_t *, struct buf *err);
	/*
	 * Opens the message (at most max bytes to examine) into *blob: 0;
	 * 1 if the message is gone (another reader took it); -1 if it can
	 * never be read (permissions, not a regular file: quarantined); -2
	 * on a failure that says nothing about the message (no descriptor
	 * left, no memory, I/O error): it stays for the next pass.
	 */
	int	(*fetch)(void *, const struct source_msg *, size_t max,
		    struct source_blob *blob, struct buf *err);
	/*
	 * Moves the message into folder ("BALP/RIB"), re-creating the folder
	 * if it went missing, tagged with keywords (space-separated IMAP
	 * keywords such as "$BALP_RIB $BALP_nir_missing", or NULL) where the
	 * source can keep them: agents see them as tags in their mail client.  The move is atomic but need not be durable
	 * before sync(): a batch of moves costs one sync per folder touched.
	 * 0; 1 if the message is gone; -1 on error.
	 */
	int	(*move)(void *, const struct source_msg *, const char *folder,
		    const char *keywords, struct buf *err);
	/*
	 * Makes the moves since the last sync durable (a Maildir: one
	 * fsync per folder).  A source whose moves cost per command (IMAP)
	 * may hold them for a larger round unless last is set: the pipeline
	 * syncs with last at the end of every pass.  0 or -1.
	 */
	int	(*sync)(void *, int last, struct buf *err);
	/*
	 * An admin's move (balpctl message): the message named ref in
	 * folder from (NULL: the inbox) goes to folder to (NULL: the inbox)
	 * under the name new_ref (NULL: ref), durably.  A source whose
	 * server names a message anew in each folder (IMAP) finds it in
	 * from by its Message-ID (message_id, without <>) and ignores
	 * new_ref.  0; 1 if it is not in from (an agent moved or deleted
	 * it); -1 on error.
	 */
	int	(*relocate)(void *, const char *from, const char *ref,
		    const char *message_id, const char *to,
		    const char *new_ref, struct buf *err);
	/*
	 * Where the message is now, as the mailbox says (balpctl message
	 * show): 0 if the message named ref (IMAP: of that Message-ID) is in
	 * folder (NULL: the inbox); 1 if it is not (an agent moved or
	 * deleted it); -1 if the mailbox cannot tell (unreachable, several
	 * copies), with why in err.  Moves nothing.
	 */
	int	(*locate)(void *, const char *folder, const char *ref,
		    const char *message_id, struct buf *err);
	/*
	 * Files a message that came from elsewhere (LMTP), never listed in
	 * the inbox: size bytes read from fd (from offset 0, not moved),
	 * into folder, tagged with keywords (as move()), arrived at that
	 * time (IMAP: its INTERNALDATE; a Maildir: the file's time), under
	 * the name ref where the source names messages itself (a Maildir's
	 * unique name; IMAP's server names it).  Durable when it returns
	 * 0; -1 on error (nothing half-filed that locate() would find).
	 */
	int	(*append)(void *, const char *folder, const char *ref, int fd,
		    uint64_t size, const char *keywords, time_t arrived,
		    struct buf *err);
	/*
	 * n messages into one folder, as append() each, in one command
	 * where the mailbox has one (IMAP MULTIAPPEND, RFC 3502: all or
	 * none, one lock of the folder for all).  Sets each one's rc; 0 if
	 * all are filed, -1 with err (the first failure).  NULL: append()
	 * each (source_append_many()).
	 */
	int	(*append_many)(void *, const char *folder,
		    struct source_filing *, size_t n, struct buf *err);
	/*
	 * Whether folder holds this very message, filed by append() before
	 * (LMTP: handed over again after a crash between the filing and the
	 * answer).  A source that names messages itself (a Maildir) finds
	 * it by ref; a server that names them (IMAP) among the messages of
	 * its Message-ID (message_id, without <>), then of exactly size
	 * bytes, the one whose header section gives digest
	 * (source_header_digest() with size): two different messages may
	 * share a Message-ID.  0 if it does; 1 if not; -1 if the mailbox
	 * cannot tell.
	 */
	int	(*holds)(void *, const char *folder, const char *ref,
		    const char *message_id, uint64_t size,
		    const unsigned char digest[SOURCE_DIGEST_LEN],
		    struct buf *err);
	/* Creates folder if missing (at start, for every queue). */
	int	(*ensure_folder)(void *, const char *folder, struct buf *err);
	/*
	 * *n = the messages in folder (NULL: the inbox) as the mailbox holds
	 * them now, agents' moves and deletions included (balpctl queue
	 * status sets them beside the store's count).  A folder that does
	 * not exist holds 0.  0 or -1.
	 */
	int	(*count)(void *, const char *folder, size_t *n,
		    struct buf *err);
	/* A descriptor that becomes readable when mail may have arrived, or
	 * -1 if the source can only be polled. */
	int	(*watch_fd)(void *);
	/* Consumes what made watch_fd readable. */
	void	(*watch_drain)(void *);
	void	(*close)(void *);
};

struct source {
	const struct source_ops	*ops;
	void			*state;
};

enum source_kind {
	SOURCE_MAILDIR,
	SOURCE_IMAP,
};

/*
 * Where the inbox is, as the configuration names it: a value of this
 * layer, so that the gateway and the commands open a source without
 * knowing which kinds exist.  Owns its strings (source_conf_free()).
 */
struct source_conf {
	enum source_kind	 kind;
	char			*maildir_path;	/* absolute; Maildir++ root */
	/* IMAP (docs/imap.md); conf.c checks them. */
	char			*host;
	unsigned		 port;
	enum tls_mode		 tls;		/* TLS_NONE on loopback only */
	char			*user;
	char			*password_file;	/* absolute; mode 0600 */
	char			*ca_file;	/* absolute; NULL: system store */
	char			*inbox;		/* "INBOX" */
	unsigned		 timeout_seconds;	/* each network wait */
	/*
	 * The parser's budget (mime.h: limits.max_scan_bytes, max_text):
	 * a message larger than scan_budget is fetched part by part, each
	 * body whole while the budget lasts and its head after.
	 */
	size_t			 scan_budget;
	size_t			 text_max;
};

void	 source_msgs_free(struct source_msg *, size_t);
/* Closes or frees what the blob holds and resets it; fine on an empty one. */
void	 source_blob_free(struct source_blob *);

/*
 * BLAKE2b-256 of the header section of msg (up to its first empty line;
 * all of it if none) and of the message's size: the same message gives
 * the same digest whatever the server calls it, and two deliveries never
 * share one (the MX and the delivery agent stamp each with its own
 * Received lines).  Unkeyed: the gateway keys it before storing.
 */
/* ops->append_many, or append() each in turn: as append_many above. */
int	 source_append_many(const struct source *, const char *folder,
	    struct source_filing *, size_t n, struct buf *err);
void	 source_header_digest(const char *msg, size_t len, uint64_t size,
	    unsigned char out[SOURCE_DIGEST_LEN]);

/* 1 if both name the same inbox the same way (a reload may keep it). */
int	 source_conf_equal(const struct source_conf *,
	    const struct source_conf *);

/* Frees the strings of a source_conf and zeroes it. */
void	 source_conf_free(struct source_conf *);

#endif
