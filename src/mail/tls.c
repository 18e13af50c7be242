/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls - server certificate checks libetpan leaves out (include/balp/tls.h,
 * docs/libetpan.md §5).
 *
 * libetpan hands out the peer's chain as DER strings once the handshake is
 * done; GnuTLS (the library Debian builds libetpan with, so no second TLS
 * stack is loaded) checks it against the trust list and the host name in
 * one call.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "balp/tls.h"

#define TLS_CHAIN_MAX	16

#ifndef USE_SSL
/* Exported by the library, declared by its header only under USE_SSL. */
extern mailstream_low_driver *mailstream_ssl_driver;
#endif

/*
 * The head of libetpan's private state of a TLS stream (struct
 * mailstream_ssl_data, mailstream_ssl.c, GnuTLS build: 1.9.4 as Debian
 * ships it).  libetpan offers no way to set the TLS versions (it sets
 * "NORMAL" after our callback, TLS 1.0 included) nor to read the one
 * agreed; the session is read here, and only when the stream is driven
 * by libetpan's TLS driver and the descriptor stored next to it is the
 * stream's own: anything else is refused (tls_version_ok).
 */
struct etpan_ssl_head {
	int			fd;
	gnutls_session_t	session;
};

int
tls_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int
is_ip_literal(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 ||
	    inet_pton(AF_INET6, host, &a) == 1;
}

void
tls_sni(struct mailstream_ssl_context *ctx, void *host)
{
	if (host != NULL && !is_ip_literal(host))
		mailstream_ssl_set_server_name(ctx, host);
}

int
tls_version_ok(mailstream *stream, const char *host, struct buf *err)
{
	mailstream_low *low;
	struct etpan_ssl_head *h;
	gnutls_protocol_t v;
	const char *name;

	if (stream == NULL || (low = mailstream_get_low(stream)) == NULL ||
	    low->driver != mailstream_ssl_driver ||
	    (h = low->data) == NULL || h->session == NULL ||
	    h->fd != mailstream_low_get_fd(low)) {
		buf_printf(err, "%s: cannot tell which TLS version the "
		    "connection uses: refused", host);
		return -1;
	}
	v = gnutls_protocol_get_version(h->session);
	if (v == GNUTLS_TLS1_2 || v == GNUTLS_TLS1_3)
		return 0;
	name = gnutls_protocol_get_name(v);
	buf_printf(err, "%s: the server speaks %s only: refused, TLS 1.2 at "
	    "least is required (nothing was sent)", host,
	    name != NULL ? name : "an unknown TLS version");
	return -1;
}

int
tls_verify(mailstream *stream, const char *host, const char *ca_file,
    struct buf *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[TLS_CHAIN_MAX];
	gnutls_typed_vdata_st vd;
	gnutls_datum_t reason = { NULL, 0 };
	unsigned char ip[16];
	carray *chain = NULL;
	unsigned n = 0, i, status = 0;
	int r, rc = -1;

	if (stream == NULL) {
		buf_printf(err, "%s: not connected", host);
		return -1;
	}
	if (tls_version_ok(stream, host, err) == -1)
		return -1;
	if ((chain = mailstream_get_certificate_chain(stream)) == NULL ||
	    carray_count(chain) == 0) {
		buf_printf(err, "%s: the server sent no certificate", host);
		goto out;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		buf_printf(err, "%s: cannot set up certificate checks", host);
		tl = NULL;
		goto out;
	}
	if (ca_file != NULL)
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		buf_printf(err, "%s: no trusted certificate found in %s", host,
		    ca_file != NULL ? ca_file : "the system store");
		goto out;
	}
	for (i = 0; i < carray_count(chain) && n < TLS_CHAIN_MAX; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = { (unsigned char *)der->str,
		    (unsigned)der->len };

		if (gnutls_x509_crt_init(&crts[n]) < 0)
			break;
		if (gnutls_x509_crt_import(crts[n], &d,
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			buf_printf(err, "%s: the server's certificate cannot "
			    "be read", host);
			goto out;
		}
		n++;
	}
	if (n == 0) {
		buf_printf(err, "%s: the server's certificate cannot be read",
		    host);
		goto out;
	}
	/* An IP literal is matched, as raw bytes, against IP SANs. */
	memset(&vd, 0, sizeof(vd));
	if (inet_pton(AF_INET, host, ip) == 1) {
		vd.type = GNUTLS_DT_IP_ADDRESS;
		vd.data = ip;
		vd.size = 4;
	} else if (inet_pton(AF_INET6, host, ip) == 1) {
		vd.type = GNUTLS_DT_IP_ADDRESS;
		vd.data = ip;
		vd.size = 16;
	} else {
		vd.type = GNUTLS_DT_DNS_HOSTNAME;
		vd.data = (unsigned char *)host;
		vd.size = 0;	/* NUL-terminated */
	}
	if (gnutls_x509_trust_list_verify_crt2(tl, crts, n, &vd, 1, 0,
	    &status, NULL) < 0) {
		buf_printf(err, "%s: certificate check failed", host);
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &reason, 0) == 0 && reason.data != NULL) {
			int len = (int)strcspn((const char *)reason.data, "\n");

			while (len > 0 && reason.data[len - 1] == ' ')
				len--;
			buf_printf(err, "%s: server certificate refused: %.*s",
			    host, len, (const char *)reason.data);
		} else
			buf_printf(err, "%s: server certificate refused", host);
		goto out;
	}
	rc = 0;
out:
	gnutls_free(reason.data);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	return rc;
}

void
tls_quiet_begin(struct tls_quiet *q)
{
	FILE *mem;

	memset(q, 0, sizeof(*q));
	q->saved = stderr;
	if ((mem = open_memstream(&q->text, &q->len)) == NULL)
		return;		/* stderr as it is: said, not lost */
	q->mem = mem;
	stderr = mem;
}

void
tls_quiet_end(struct tls_quiet *q, struct buf *err)
{
	size_t n;

	if (q->mem == NULL)
		return;
	stderr = q->saved;
	(void)fclose(q->mem);
	n = q->len;
	while (n > 0 && (q->text[n - 1] == '\n' || q->text[n - 1] == ' '))
		n--;
	if (err != NULL && n > 0) {
		buf_puts(err, " (");
		for (size_t i = 0; i < n; i++)
			/* one line: a library's text, kept printable */
			buf_putc(err, q->text[i] >= 0x20 && q->text[i] < 0x7f ?
			    q->text[i] : ' ');
		buf_putc(err, ')');
	}
	free(q->text);
	memset(q, 0, sizeof(*q));
}
