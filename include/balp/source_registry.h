/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_registry - the one place that maps a configured kind of source
 * (source.h: enum source_kind) to its implementation (maildir.h, imap.h),
 * so that the daemon and the commands open a source without knowing
 * which kinds exist, and adding one touches this file only.
 *
 * It sits above the sources: source.h is what every source implements
 * and includes nothing of them; maildir.c and imap.c include source.h;
 * this file includes all three.  No circle.
 *
 * Failures: -1 with one line in err; an unknown kind is such a failure,
 * not an abort.
 */
#ifndef BALP_SOURCE_REGISTRY_H
#define BALP_SOURCE_REGISTRY_H

#include "balp/buf.h"
#include "balp/source.h"

/*
 * Creates what a local source needs before it can be opened (the Maildir
 * root and its cur/ new/ tmp/); nothing for a remote one.  0 or -1 with
 * err set.
 */
int	 source_registry_create(const struct source_conf *, struct buf *err);

/*
 * Opens the configured source into src (closed with src->ops->close).
 * With watch set, the source backs watch_fd with an event when it can.
 * 0, or -1 with err set (src is then untouched).
 */
int	 source_registry_open(const struct source_conf *, int watch,
	    struct source *, struct buf *err);

#endif
