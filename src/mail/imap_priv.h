/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_priv - what the IMAP source's files share: the session state and
 * the helpers each part calls.  imap_session.c connects and reports
 * errors, imap_read.c lists and fetches, imap_file.c files (moves,
 * folders, APPEND), imap.c watches and opens.  Not a public header: the
 * rest of balp goes through include/balp/imap.h (and source.h).
 */
#ifndef BALP_IMAP_PRIV_H
#define BALP_IMAP_PRIV_H

#include "balp/imap.h"

#include <stdint.h>

#include <libetpan/libetpan.h>

struct listed {
	uint32_t	 uid;
	uint32_t	 size;
};

struct cached {
	uint32_t	 uid;
	char		*data;		/* malloc'd; handed to a blob */
	size_t		 len;
};

struct pending_move {
	uint32_t	 uid;
	char		*folder;	/* queue name, "BALP/RIB" */
	char		*keywords;	/* space-separated, or "" */
};

struct imap {
	/* Configuration (copies). */
	char		*host;
	char		*user;
	char		*ca_file;
	char		*inbox;
	unsigned	 port;
	enum tls_mode	 tls;
	unsigned	 timeout;
	size_t		 scan_budget;	/* decoded bytes, as the parser's */
	size_t		 text_max;
	int		 watch;
	char		*password_file;	/* read at each login, wiped after */

	mailimap	*s;		/* NULL while disconnected */
	char		 delim;		/* hierarchy separator announced */
	int		 has_move;
	int		 has_uidplus;
	int		 has_idle;
	int		 keywords_ok;	/* PERMANENTFLAGS holds \* */
	uint32_t	 uidvalidity;
	uint32_t	 max_uid;	/* the highest UID listed */
	int		 idling;

	int		 wake_fd;	/* eventfd: IDLE data already read */
	int		 timer_fd;	/* reconnection backoff */
	unsigned	 backoff;

	struct listed	*listed;	/* the last list(), by UID */
	size_t		 n_listed;
	struct cached	*cache;
	size_t		 n_cache, cap_cache;
	struct pending_move *moves;
	size_t		 n_moves, cap_moves;
};

/* ---- imap_session.c ---- */

/* Drops the session without waiting on the peer (docs/libetpan.md §2.7). */
void	 imap_drop(struct imap *);
/* 1 for the codes after which the session is desynchronised. */
int	 imap_fatal(int r);
/* One error line (host, what, why); drops a desynchronised session.  -1. */
int	 imap_fail(struct imap *, struct buf *err, const char *what, int r);
/* SELECT of the inbox, its UIDVALIDITY and PERMANENTFLAGS.  0 or -1. */
int	 imap_select_inbox(struct imap *, struct buf *err);
/* Connects, verifies, logs in, selects the inbox.  0 or -1 (dropped). */
int	 imap_connect(struct imap *, struct buf *err);
/* Leaves IDLE if in it.  0, or -1 (session dropped). */
int	 imap_leave_idle(struct imap *, struct buf *err);
/* A live session, out of IDLE: reconnects when needed.  0 or -1. */
int	 imap_ready(struct imap *, struct buf *err);
/* "BALP/RIB" with the server's separator.  Caller frees; NULL on ENOMEM. */
char	*imap_server_name(const struct imap *, const char *folder);
/* The UID of ref "UIDVALIDITY.UID" of this UIDVALIDITY: 0, or -1. */
int	 imap_parse_ref(const struct imap *, const char *ref, uint32_t *uid);

/* ---- imap_read.c ---- */

void	 imap_cache_clear(struct imap *);
/* One UID FETCH of ft for uid; *res is the caller's (fetch_list_free). */
int	 imap_fetch_one(struct imap *, uint32_t uid,
	    struct mailimap_fetch_type *ft, clist **res, struct buf *err);
int	 imap_op_list(void *, struct source_msg **, size_t *, struct buf *);
int	 imap_op_fetch(void *, const struct source_msg *, size_t max,
	    struct source_blob *, struct buf *);

/* ---- imap_file.c ---- */

void	 imap_moves_clear(struct imap *);
/* Creates and subscribes name (server form) if missing.  0 or -1. */
int	 imap_create_folder(struct imap *, const char *name, struct buf *err);
int	 imap_op_ensure_folder(void *, const char *folder, struct buf *);
int	 imap_op_move(void *, const struct source_msg *, const char *folder,
	    const char *keywords, struct buf *);
int	 imap_op_sync(void *, int last, struct buf *);
int	 imap_op_relocate(void *, const char *from, const char *ref,
	    const char *message_id, const char *to, const char *new_ref,
	    struct buf *);
int	 imap_op_locate(void *, const char *folder, const char *ref,
	    const char *message_id, struct buf *);
int	 imap_op_append(void *, const char *folder, const char *ref, int fd,
	    uint64_t size, const char *keywords, time_t arrived, struct buf *);
int	 imap_op_holds(void *, const char *folder, const char *ref,
	    const char *message_id, uint64_t size,
	    const unsigned char digest[SOURCE_DIGEST_LEN], struct buf *);
int	 imap_op_count(void *, const char *folder, size_t *n, struct buf *);

/* ---- imap_append.c ---- */

int	 imap_op_append_many(void *, const char *folder,
	    struct source_filing *, size_t n, struct buf *);

#endif
