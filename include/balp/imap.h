/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap - the BALP on an IMAP server, as a source (source.h), with libetpan
 * (docs/imap.md, docs/libetpan.md).
 *
 * One session, verified TLS (tls.h) before the password is sent, the
 * inbox selected once per connection.  A message's ref is
 * "UIDVALIDITY.UID": a new UIDVALIDITY names every message anew, and the
 * store's other key (Message-ID and header hash) keeps a decided one from
 * being decided twice.  Fetches are batched (one UID FETCH for the
 * following messages of the listing), moves are deferred to sync() and
 * sent as one UID MOVE per folder and keyword set.  A lost connection is
 * reconnected by the next operation, with a backoff timer as watch_fd in
 * between.  IDLE, when the server offers it, backs watch_fd.
 */
#ifndef BALP_IMAP_H
#define BALP_IMAP_H

#include "balp/buf.h"
#include "balp/source.h"

/*
 * Connects, checks the certificate, logs in and selects sc->inbox.
 * 0, or -1 with err set to one line (host and reason; never the
 * password).  The state is closed with src->ops->close.
 */
int	 imap_source_open(const struct source_conf *sc, int watch,
	    struct source *src, struct buf *err);

#endif
