/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tls - what libetpan does not do on a TLS connection: check the server's
 * certificate (docs/libetpan.md §5).
 *
 * Debian's libetpan accepts any certificate for any name, so every TLS
 * session of balp (IMAP, SMTP) calls tls_verify() after the handshake and
 * before sending anything that matters (credentials, STARTTLS capability
 * re-read): chain checked against the configured CA file or the system
 * store, host name checked.  A refusal is final: no fallback to plain text.
 */
#ifndef BALP_TLS_H
#define BALP_TLS_H

#include "balp/buf.h"

/* libetpan's types, named here so that including this header does not
 * pull libetpan into every file that reads a configuration. */
struct _mailstream;
struct mailstream_ssl_context;

/* How a connection is protected, as the configuration names it. */
enum tls_mode {
	TLS_IMPLICIT,	/* "imaps" / "smtps": TLS from the first byte */
	TLS_STARTTLS,	/* "starttls": upgraded before authenticating */
	TLS_NONE,	/* "none": loopback only (conf refuses it elsewhere) */
};

/*
 * Checks the TLS version of stream (tls_version_ok), then its certificate
 * chain (a TLS stream whose handshake succeeded) for host: trusted by
 * ca_file (PEM; NULL: the system store) and issued for host (a DNS name
 * or an IP address).  0, or -1 with err set to one line naming host and
 * the reason (GnuTLS's for a certificate: "name does not match", "issuer
 * is unknown").
 */
int	 tls_verify(struct _mailstream *stream, const char *host, const char *ca_file,
	    struct buf *err);

/*
 * 0 if the TLS session of stream uses TLS 1.2 or 1.3; -1 with err set
 * ("HOST: the server speaks TLS1.0 only: refused, ...") for an older
 * version, or when the version cannot be read (a stream not made by
 * libetpan's TLS driver).  Called by tls_verify, before any credential.
 */
int	 tls_version_ok(struct _mailstream *stream, const char *host,
	    struct buf *err);

/*
 * Callback for libetpan's *_with_callback connects: sends SNI for host
 * (the const char * given as data) unless it is an IP address literal.
 */
void	 tls_sni(struct mailstream_ssl_context *ctx, void *host);

/*
 * libetpan reports a failed handshake with gnutls_perror(), which prints
 * "GnuTLS error: ..." on stderr itself, outside the caller's log.  Around
 * a connect that may handshake, stderr is a memory stream: tls_quiet_end
 * puts it back and appends what was written, as " (GnuTLS error: ...)",
 * to err (NULL: dropped).  Not for threaded callers.
 */
struct tls_quiet {
	void	*saved;		/* the FILE * stderr was */
	void	*mem;		/* the memory stream, or NULL */
	char	*text;
	size_t	 len;
};
void	 tls_quiet_begin(struct tls_quiet *);
void	 tls_quiet_end(struct tls_quiet *, struct buf *err);

/* 1 if host names the loopback interface ("localhost", 127/8, ::1). */
int	 tls_host_is_loopback(const char *host);

#endif
