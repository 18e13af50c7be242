/* SPDX-License-Identifier: Apache-2.0 */
/*
 * maildir - the embedded default source: a local Maildir++ inbox.
 *
 * Driven with readdir(3) and rename(2) rather than libetpan's driver: the
 * driver can miss a delivery made in the same second as its previous scan
 * (docs/libetpan.md, Maildir), and triage needs atomic moves between
 * Maildir++ folders anyway.  Folder "BALP/RIB" is the directory
 * ".BALP.RIB" under the root, as Dovecot lays it out with the '/'
 * separator.  A triaged message goes to the folder's new/ (unread for the
 * agents) under its unique name, so its ref never changes.
 */
#ifndef BALP_MAILDIR_H
#define BALP_MAILDIR_H

#include "balp/buf.h"
#include "balp/source.h"

/*
 * Opens the Maildir at root as a source.  With watch set, an inotify
 * watch on new/ and cur/ backs watch_fd.  0 or -1 with err set.
 */
int	 maildir_source_open(const char *root, int watch, struct source *,
	    struct buf *err);

/* Creates root and its cur/ new/ tmp/ (and parents) if missing. */
int	 maildir_create(const char *root, struct buf *err);

/* The directory of folder under root (".BALP.RIB"); caller frees. */
char	*maildir_folder_path(const char *root, const char *folder);

#endif
