/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source - what all sources share (see source.h): the message list, and
 * the one place that maps a configured kind to its implementation, so
 * that adding IMAP touches this file and not the daemon or balpctl.
 *
 * Ownership: source_open() hands the opened state to struct source.
 * Failures: -1 with one line in err; an unknown or unavailable kind is
 * such a failure, not an abort.
 */
#include "balp/source.h"
#include "balp/imap.h"
#include "balp/maildir.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
source_msgs_free(struct source_msg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].label);
		free(v[i].loc);
	}
	free(v);
}

void
source_blob_free(struct source_blob *b)
{
	if (b->fd >= 0)
		(void)close(b->fd);
	free(b->data);
	b->fd = -1;
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->has_digest = 0;
	b->partial = 0;
	b->heads_from = 0;
	b->held = 0;
}

void
source_header_digest(const char *msg, size_t len, uint64_t size,
    unsigned char out[SOURCE_DIGEST_LEN])
{
	crypto_generichash_state st;
	const char *p = msg, *end = msg + len, *nl;
	unsigned char le[8];
	size_t hlen = len;
	int i;

	/* The first empty line (LF or CRLF) ends the header section. */
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			hlen = (size_t)(p - msg);
			break;
		}
		p = nl + 1;
	}
	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(size >> (8 * i));
	crypto_generichash_init(&st, NULL, 0, SOURCE_DIGEST_LEN);
	crypto_generichash_update(&st, (const unsigned char *)msg, hlen);
	crypto_generichash_update(&st, le, sizeof(le));
	crypto_generichash_final(&st, out, SOURCE_DIGEST_LEN);
}

int
source_create(const struct source_conf *sc, struct buf *err)
{
	switch (sc->kind) {
	case SOURCE_MAILDIR:
		if (sc->maildir_path == NULL) {
			buf_puts(err, "no Maildir path configured");
			return -1;
		}
		return maildir_create(sc->maildir_path, err);
	case SOURCE_IMAP:
		return 0;	/* the server's: nothing local to create */
	}
	buf_puts(err, "unknown source kind");
	return -1;
}

int
source_open(const struct source_conf *sc, int watch, struct source *src,
    struct buf *err)
{
	switch (sc->kind) {
	case SOURCE_MAILDIR:
		if (sc->maildir_path == NULL) {
			buf_puts(err, "no Maildir path configured");
			return -1;
		}
		return maildir_source_open(sc->maildir_path, watch, src, err);
	case SOURCE_IMAP:
		return imap_source_open(sc, watch, src, err);
	}
	buf_puts(err, "unknown source kind");
	return -1;
}

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
source_conf_equal(const struct source_conf *a, const struct source_conf *b)
{
	return a->kind == b->kind && same(a->maildir_path, b->maildir_path) &&
	    same(a->host, b->host) && a->port == b->port &&
	    a->tls == b->tls && same(a->user, b->user) &&
	    same(a->password_file, b->password_file) &&
	    same(a->ca_file, b->ca_file) && same(a->inbox, b->inbox) &&
	    a->timeout_seconds == b->timeout_seconds &&
	    a->scan_budget == b->scan_budget && a->text_max == b->text_max;
}

void
source_conf_free(struct source_conf *sc)
{
	free(sc->maildir_path);
	free(sc->host);
	free(sc->user);
	free(sc->password_file);
	free(sc->ca_file);
	free(sc->inbox);
	memset(sc, 0, sizeof(*sc));
}
