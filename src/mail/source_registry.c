/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source_registry - configured kind -> implementation (source_registry.h).
 *
 * A table, one row per kind: what the kind needs created, and how it
 * opens.  Ownership: an opened state belongs to struct source.
 */
#include "balp/source_registry.h"
#include "balp/imap.h"
#include "balp/maildir.h"

#include <stddef.h>

static int
maildir_create_conf(const struct source_conf *sc, struct buf *err)
{
	if (sc->maildir_path == NULL) {
		buf_puts(err, "no Maildir path configured");
		return -1;
	}
	return maildir_create(sc->maildir_path, err);
}

static int
maildir_open_conf(const struct source_conf *sc, int watch, struct source *src,
    struct buf *err)
{
	if (sc->maildir_path == NULL) {
		buf_puts(err, "no Maildir path configured");
		return -1;
	}
	return maildir_source_open(sc->maildir_path, watch, src, err);
}

static const struct source_kind_entry {
	enum source_kind	 kind;
	/* NULL: nothing local to create (the server's). */
	int	(*create)(const struct source_conf *, struct buf *);
	int	(*open)(const struct source_conf *, int, struct source *,
		    struct buf *);
} kinds[] = {
	{ SOURCE_MAILDIR, maildir_create_conf, maildir_open_conf },
	{ SOURCE_IMAP, NULL, imap_source_open },
};

static const struct source_kind_entry *
kind_of(const struct source_conf *sc, struct buf *err)
{
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == sc->kind)
			return &kinds[i];
	buf_puts(err, "unknown source kind");
	return NULL;
}

int
source_registry_create(const struct source_conf *sc, struct buf *err)
{
	const struct source_kind_entry *k;

	if ((k = kind_of(sc, err)) == NULL)
		return -1;
	return k->create != NULL ? k->create(sc, err) : 0;
}

int
source_registry_open(const struct source_conf *sc, int watch,
    struct source *src, struct buf *err)
{
	const struct source_kind_entry *k;

	if ((k = kind_of(sc, err)) == NULL)
		return -1;
	return k->open(sc, watch, src, err);
}
