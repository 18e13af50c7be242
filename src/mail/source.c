/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source - what all sources share (see source.h): the message list, the
 * blob, the header digest, the configuration's value.  Which kind opens
 * how is source_registry.c's: this file includes no source, so that
 * maildir.c and imap.c can include source.h without a circle.
 */
#include "balp/source.h"

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

int
source_append_many(const struct source *src, const char *folder,
    struct source_filing *v, size_t n, struct buf *err)
{
	struct buf later = BUF_INIT;
	size_t i;
	int rc = 0;

	if (src->ops->append_many != NULL)
		return src->ops->append_many(src->state, folder, v, n, err);
	for (i = 0; i < n; i++) {
		/* The first failure is the one told; the others still try. */
		v[i].rc = src->ops->append(src->state, folder, v[i].ref,
		    v[i].fd, v[i].size, v[i].keywords, v[i].arrived,
		    rc == 0 ? err : &later);
		if (v[i].rc != 0)
			rc = -1;
	}
	buf_free(&later);
	return rc;
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
