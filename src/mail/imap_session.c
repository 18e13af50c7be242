/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_session - the connection to the IMAP server (imap_priv.h): connect,
 * verify the certificate before anything is sent (tls.h), STARTTLS, LOGIN
 * with the password read now and wiped, capabilities re-read, the inbox
 * selected; and the error lines and teardown every other part uses.
 */
#include "imap_priv.h"
#include "balp/array.h"
#include "balp/mime.h"
#include "balp/secret.h"
#include "balp/tls.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <libetpan/libetpan.h>
#include <sodium.h>

/* ---- session ------------------------------------------------------- */

/* Drops the session without waiting on the peer (docs/libetpan.md §2.7). */
void
imap_drop(struct imap *im)
{
	if (im->s == NULL)
		return;
	if (im->s->imap_stream != NULL) {
		mailstream_close(im->s->imap_stream);
		im->s->imap_stream = NULL;
	}
	mailimap_free(im->s);
	im->s = NULL;
	im->idling = 0;
}

/* Codes after which the session is desynchronised: reconnect. */
int
imap_fatal(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_PARSE ||
	    r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_PROTOCOL ||
	    r == MAILIMAP_ERROR_SSL || r == MAILIMAP_ERROR_STARTTLS ||
	    r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
	    r == MAILIMAP_ERROR_MEMORY;
}

/*
 * One error line: what failed and why, with the server's text when it
 * gave one (its reply to our own command: no message content).
 */
int
imap_fail(struct imap *im, struct buf *err, const char *what, int r)
{
	const char *why;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		why = "connection lost or timed out";
		break;
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		why = "connection refused";
		break;
	case MAILIMAP_ERROR_SSL:
		why = "TLS handshake failed";
		break;
	case MAILIMAP_ERROR_STARTTLS:
		why = "STARTTLS refused";
		break;
	case MAILIMAP_ERROR_MEMORY:
		why = "out of memory";
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
		why = "unexpected reply";
		break;
	default:
		why = im->s != NULL && im->s->imap_response != NULL ?
		    im->s->imap_response : "refused";
		break;
	}
	buf_printf(err, "%s:%u: %s: %s", im->host, im->port, what, why);
	if (imap_fatal(r))
		imap_drop(im);
	return -1;
}

static int
refresh_capabilities(struct imap *im, struct buf *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	if ((r = mailimap_capability(im->s, &cap)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "CAPABILITY", r);
	mailimap_capability_data_free(cap);
	im->has_move = mailimap_has_extension(im->s, "MOVE");
	im->has_uidplus = mailimap_has_uidplus(im->s);
	im->has_idle = mailimap_has_idle(im->s);
	return 0;
}

/* The hierarchy separator the server announces ('/' if it names none). */
static int
read_delimiter(struct imap *im, struct buf *err)
{
	clist *list = NULL;
	struct mailimap_mailbox_list *mb;
	int r;

	if ((r = mailimap_list(im->s, "", "", &list)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "LIST", r);
	im->delim = '/';
	if (list != NULL && clist_begin(list) != NULL) {
		mb = clist_content(clist_begin(list));
		if (mb->mb_delimiter != '\0')
			im->delim = mb->mb_delimiter;
	}
	if (list != NULL)
		mailimap_list_result_free(list);
	return 0;
}

int
imap_select_inbox(struct imap *im, struct buf *err)
{
	struct mailimap_selection_info *si;
	clistiter *c;
	int r;

	if ((r = mailimap_select(im->s, im->inbox)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "SELECT", r);
	si = im->s->imap_selection_info;
	if (si == NULL || si->sel_uidvalidity != im->uidvalidity)
		im->max_uid = 0;	/* UIDs of another life */
	im->uidvalidity = si != NULL ? si->sel_uidvalidity : 0;
	im->keywords_ok = 0;
	if (si != NULL && si->sel_perm_flags != NULL)
		for (c = clist_begin(si->sel_perm_flags); c != NULL;
		    c = clist_next(c)) {
			struct mailimap_flag_perm *fp = clist_content(c);

			if (fp->fl_type == MAILIMAP_FLAG_PERM_ALL)
				im->keywords_ok = 1;
		}
	if (im->uidvalidity == 0) {
		buf_printf(err, "%s:%u: the server gave no UIDVALIDITY for %s",
		    im->host, im->port, im->inbox);
		imap_drop(im);
		return -1;
	}
	return 0;
}

/*
 * LOGIN with the password read from its file now and wiped right after,
 * with the stream's write buffer that held the command: a worker forked
 * later, or a look at this process's memory between reconnections, finds
 * neither (docs/sandbox.md, "Secrets").  0 or -1 (session dropped).
 */
static int
login(struct imap *im, struct buf *err)
{
	mailstream *st = im->s->imap_stream;
	char *password = NULL;
	int r;

	if (secret_read(im->password_file, &password, err) == -1) {
		imap_drop(im);
		return -1;
	}
	r = mailimap_login(im->s, im->user, password);
	secret_free(password);
	if (st != NULL && st->write_buffer != NULL)
		sodium_memzero(st->write_buffer, st->buffer_max_size);
	if (r != MAILIMAP_NO_ERROR) {
		imap_fail(im, err, "login refused", r);
		imap_drop(im);
		return -1;
	}
	return 0;
}

/*
 * Connects, checks the certificate before anything else is sent, logs in
 * and selects the inbox.  0 or -1 (session dropped).
 */
int
imap_connect(struct imap *im, struct buf *err)
{
	struct tls_quiet quiet;
	struct buf said = BUF_INIT;	/* GnuTLS's own words, if any */
	int r, preauth;

	if ((im->s = mailimap_new(0, NULL)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	/* Bounds the TCP connect, the handshake and every read. */
	mailimap_set_timeout(im->s, im->timeout);
	tls_quiet_begin(&quiet);
	if (im->tls == TLS_IMPLICIT)
		r = mailimap_ssl_connect_with_callback(im->s, im->host,
		    (uint16_t)im->port, tls_sni, im->host);
	else
		r = mailimap_socket_connect(im->s, im->host,
		    (uint16_t)im->port);
	tls_quiet_end(&quiet, &said);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		r = imap_fail(im, err, "cannot connect", r == MAILIMAP_NO_ERROR ?
		    MAILIMAP_ERROR_PROTOCOL : r);
		buf_puts(err, buf_str(&said));
		buf_free(&said);
		return r;
	}
	buf_free(&said);
	preauth = r == MAILIMAP_NO_ERROR_AUTHENTICATED;
	if (im->tls == TLS_IMPLICIT &&
	    tls_verify(im->s->imap_stream, im->host, im->ca_file, err) == -1) {
		imap_drop(im);
		return -1;
	}
	if (im->tls == TLS_STARTTLS) {
		/* The plaintext capability list is only used to ask. */
		if (refresh_capabilities(im, err) == -1)
			return -1;
		if (!mailimap_has_extension(im->s, "STARTTLS")) {
			buf_printf(err, "%s:%u: the server does not offer "
			    "STARTTLS", im->host, im->port);
			imap_drop(im);
			return -1;
		}
		tls_quiet_begin(&quiet);
		r = mailimap_socket_starttls_with_callback(im->s, tls_sni,
		    im->host);
		tls_quiet_end(&quiet, &said);
		if (r != MAILIMAP_NO_ERROR) {
			r = imap_fail(im, err, "STARTTLS", r == MAILIMAP_ERROR_STREAM
			    ? MAILIMAP_ERROR_SSL : r);
			buf_puts(err, buf_str(&said));
			buf_free(&said);
			return r;
		}
		buf_free(&said);
		if (tls_verify(im->s->imap_stream, im->host, im->ca_file,
		    err) == -1) {
			imap_drop(im);
			return -1;
		}
	}
	if (!preauth && login(im, err) == -1)
		return -1;
	if (refresh_capabilities(im, err) == -1 ||
	    read_delimiter(im, err) == -1 || imap_select_inbox(im, err) == -1) {
		imap_drop(im);
		return -1;
	}
	im->backoff = 0;
	return 0;
}

/* Leaves IDLE if in it.  0, or -1 (session dropped). */
int
imap_leave_idle(struct imap *im, struct buf *err)
{
	int r;

	if (im->s == NULL || !im->idling)
		return 0;
	im->idling = 0;
	if ((r = mailimap_idle_done(im->s)) != MAILIMAP_NO_ERROR)
		return imap_fail(im, err, "IDLE", r);
	return 0;
}

/* A live session, out of IDLE: reconnects when needed.  0 or -1. */
int
imap_ready(struct imap *im, struct buf *err)
{
	if (im->s != NULL)
		return imap_leave_idle(im, err);
	return imap_connect(im, err);
}

/* ---- names ------------------------------------------------------------ */

/* "BALP/RIB" with the server's separator.  Caller frees; NULL on ENOMEM. */
char *
imap_server_name(const struct imap *im, const char *folder)
{
	char *n, *p;

	if ((n = buf_strdup(folder)) == NULL)
		return NULL;
	for (p = n; *p != '\0'; p++)
		if (*p == '/')
			*p = im->delim;
	return n;
}

int
imap_parse_ref(const struct imap *im, const char *ref, uint32_t *uid)
{
	unsigned long long v, u;
	char *end;

	errno = 0;
	v = strtoull(ref, &end, 10);
	if (errno != 0 || *end != '.' || v != im->uidvalidity)
		return -1;
	u = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || u == 0 || u > UINT32_MAX)
		return -1;
	*uid = (uint32_t)u;
	return 0;
}
