/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lmtp - the LMTP server's sockets (include/balp/lmtp.h): the listening
 * socket, the sessions' descriptors, their output and their deadlines.
 * What is said is lmtp_session.c's.
 *
 * Everything is non-blocking and driven by balpd's poll(2): a session
 * whose replies the peer does not read stops being read (its output is
 * bounded), one that stalls past its timeout is told 421 and closed, and
 * a connection over max_sessions is told 421 4.3.2 and closed at once.
 * A delivery is decided inside lmtp_server_handle(); it is filed there
 * too, or by a filer process (filer.h) while the loop goes on: then the
 * session is held, reading nothing, until lmtp_server_verdict().
 */
#include "balp/lmtp.h"
#include "balp/lmtp_session.h"
#include "balp/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Replies held for a peer that does not read them, at most. */
#define LMTP_OUT_MAX	((size_t)64 << 10)
#define LMTP_READ_CHUNK	((size_t)64 << 10)

struct conn {
	int			 fd;
	uint64_t		 id;		/* its messages' ticket */
	struct lmtp_session	*s;
	struct buf		 in;		/* read while held, to feed */
	struct buf		 out;
	size_t			 out_off;
	time_t			 last;		/* last byte read */
	int			 closing;	/* after the output is sent */
};

struct lmtp_server {
	struct lmtp_conf	 conf;		/* a copy: own strings */
	int			 lfd;
	char			*path;		/* the unix socket made */
	char			 name[256];
	lmtp_deliver_fn		*deliver;
	void			*arg;
	struct conn		*conns;		/* max_sessions of them */
	size_t			 n_conns;
	uint64_t		 last_id;
	char			*rbuf;
};

/* ---- configuration ---------------------------------------------------- */

void
lmtp_conf_free(struct lmtp_conf *c)
{
	size_t i;

	free(c->listen);
	free(c->path);
	free(c->host);
	for (i = 0; i < c->n_recipients; i++)
		free(c->recipients[i]);
	free(c->recipients);
	free(c->group);
	memset(c, 0, sizeof(*c));
}

int
lmtp_conf_listen(struct lmtp_conf *c, const char *listen, struct buf *err)
{
	const char *colon;
	char *end, *host;
	unsigned long port;

	if (strncmp(listen, "unix:", 5) == 0) {
		if (listen[5] != '/') {
			buf_puts(err, "a unix socket needs an absolute path "
			    "(unix:/run/balp/lmtp.sock)");
			return -1;
		}
		if (strlen(listen + 5) >= sizeof(((struct sockaddr_un *)0)->
		    sun_path)) {
			buf_puts(err, "the unix socket's path is too long");
			return -1;
		}
		if ((c->path = buf_strdup(listen + 5)) == NULL) {
			buf_puts(err, "out of memory");
			return -1;
		}
		return 0;
	}
	if ((colon = strrchr(listen, ':')) == NULL || colon == listen) {
		buf_printf(err, "'%s' is not HOST:PORT nor unix:PATH", listen);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535) {
		buf_printf(err, "'%s': the port must be 1..65535", listen);
		return -1;
	}
	if (*listen == '[' && colon[-1] == ']')
		host = buf_strndup(listen + 1, (size_t)(colon - listen) - 2);
	else
		host = buf_strndup(listen, (size_t)(colon - listen));
	if (host == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	/* An address, not a name: what is bound is what was checked. */
	if ((strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
	    strncmp(host, "127.", 4) != 0) || !tls_host_is_loopback(host)) {
		buf_printf(err, "'%s' is not a loopback address: balpd takes "
		    "mail from the local Postfix only (127.0.0.1, ::1 or "
		    "unix:PATH)", host);
		free(host);
		return -1;
	}
	c->host = host;
	c->port = (unsigned)port;
	return 0;
}

int
lmtp_conf_recipient(const struct lmtp_conf *c, const char *addr)
{
	size_t i;

	for (i = 0; i < c->n_recipients; i++)
		if (strcasecmp(c->recipients[i], addr) == 0)
			return 1;
	return 0;
}

static int
conf_copy(struct lmtp_conf *d, const struct lmtp_conf *c)
{
	size_t i;
	int bad = 0;

	memset(d, 0, sizeof(*d));
	*d = *c;
	d->listen = d->path = d->host = d->group = NULL;
	d->recipients = NULL;
	d->n_recipients = 0;
#define DUP(f)	if (c->f != NULL && (d->f = buf_strdup(c->f)) == NULL) bad = 1
	DUP(listen);
	DUP(path);
	DUP(host);
	DUP(group);
#undef DUP
	if (c->n_recipients > 0 && (d->recipients = calloc(c->n_recipients,
	    sizeof(*d->recipients))) == NULL)
		bad = 1;
	for (i = 0; !bad && i < c->n_recipients; i++) {
		if ((d->recipients[i] = buf_strdup(c->recipients[i])) == NULL)
			bad = 1;
		d->n_recipients = i + 1;
	}
	return bad ? -1 : 0;
}

/* ---- the listening socket ------------------------------------------- */

static int
listen_unix(struct lmtp_server *sv, struct buf *err)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sv->conf.path, strlen(sv->conf.path) + 1);
	/* A socket left by a balpd that died; anything else stays. */
	if (lstat(sv->conf.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			buf_printf(err, "%s exists and is not a socket",
			    sv->conf.path);
			return -1;
		}
		(void)unlink(sv->conf.path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);	/* born 0660: no window where others connect */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		buf_printf(err, "cannot listen on %s: %s", sv->conf.path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if ((sv->conf.gid != (gid_t)-1 &&
	    chown(sv->conf.path, (uid_t)-1, sv->conf.gid) == -1) ||
	    chmod(sv->conf.path, 0660) == -1) {
		buf_printf(err, "%s: cannot set its group or mode: %s",
		    sv->conf.path, strerror(errno));
		(void)unlink(sv->conf.path);
		close(fd);
		return -1;
	}
	if ((sv->path = buf_strdup(sv->conf.path)) == NULL) {
		(void)unlink(sv->conf.path);
		close(fd);
		buf_puts(err, "out of memory");
		return -1;
	}
	return fd;
}

static int
listen_inet(struct lmtp_server *sv, struct buf *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1, fam;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, sv->conf.host, &in4->sin_addr) == 1) {
		fam = in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)sv->conf.port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, sv->conf.host, &in6->sin6_addr) == 1) {
		fam = in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)sv->conf.port);
		len = sizeof(*in6);
	} else {
		buf_printf(err, "'%s' is not an address", sv->conf.host);
		return -1;
	}
	if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		buf_printf(err, "cannot listen on %s: %s", sv->conf.listen,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
lmtp_server_open(const struct lmtp_conf *c, lmtp_deliver_fn *deliver,
    void *arg, struct lmtp_server **out, struct buf *err)
{
	struct lmtp_server *sv;

	*out = NULL;
	if ((sv = calloc(1, sizeof(*sv))) != NULL)
		sv->lfd = -1;
	if (sv == NULL || conf_copy(&sv->conf, c) == -1 ||
	    (sv->conns = calloc(c->max_sessions > 0 ? c->max_sessions :
	    LMTP_MAX_SESSIONS_DEFAULT, sizeof(*sv->conns))) == NULL ||
	    (sv->rbuf = malloc(LMTP_READ_CHUNK)) == NULL) {
		buf_puts(err, "out of memory");
		lmtp_server_close(sv);
		return -1;
	}
	if (sv->conf.max_sessions == 0)
		sv->conf.max_sessions = LMTP_MAX_SESSIONS_DEFAULT;
	if (gethostname(sv->name, sizeof(sv->name) - 1) == -1 ||
	    sv->name[0] == '\0')
		strcpy(sv->name, "balpd");
	sv->deliver = deliver;
	sv->arg = arg;
	sv->lfd = sv->conf.path != NULL ? listen_unix(sv, err) :
	    listen_inet(sv, err);
	if (sv->lfd == -1 || listen(sv->lfd, 64) == -1) {
		if (sv->lfd != -1)
			buf_printf(err, "listen: %s", strerror(errno));
		lmtp_server_close(sv);
		return -1;
	}
	*out = sv;
	return 0;
}

/* ---- sessions ---------------------------------------------------------- */

static void
conn_close(struct lmtp_server *sv, size_t i)
{
	struct conn *cn = &sv->conns[i];

	close(cn->fd);
	lmtp_session_free(cn->s);
	buf_free(&cn->in);
	buf_free(&cn->out);
	sv->conns[i] = sv->conns[--sv->n_conns];
	memset(&sv->conns[sv->n_conns], 0, sizeof(*cn));
}

/* Sends what the session said; 0, or -1 when the peer is gone. */
static int
conn_flush(struct conn *cn)
{
	ssize_t w;

	while (cn->out_off < cn->out.len) {
		w = send(cn->fd, cn->out.data + cn->out_off, cn->out.len -
		    cn->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		cn->out_off += (size_t)w;
	}
	buf_reset(&cn->out);
	cn->out_off = 0;
	return 0;
}

/* A last word to a connection that is not served: not waited on. */
static void
say_and_close(int fd, const char *what)
{
	(void)send(fd, what, strlen(what), MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
accept_all(struct lmtp_server *sv)
{
	struct conn *cn;
	int fd;

	while ((fd = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) != -1) {
		if (sv->n_conns >= sv->conf.max_sessions) {
			say_and_close(fd, "421 4.3.2 Too many sessions, try "
			    "again later\r\n");
			continue;
		}
		cn = &sv->conns[sv->n_conns];
		memset(cn, 0, sizeof(*cn));
		cn->fd = fd;
		/* Sessions' names: 2^40 of them before one comes again. */
		if (++sv->last_id >= LMTP_TICKET_SESSIONS)
			sv->last_id = 1;
		cn->id = sv->last_id;
		buf_init(&cn->in);
		buf_init(&cn->out);
		if ((cn->s = lmtp_session_new(&sv->conf, sv->name, sv->deliver,
		    sv->arg)) == NULL) {
			say_and_close(fd, "421 4.3.0 Out of memory\r\n");
			continue;
		}
		lmtp_session_set_ticket(cn->s, cn->id);
		cn->last = time(NULL);
		lmtp_session_greet(cn->s, &cn->out);
		sv->n_conns++;
		if (conn_flush(cn) == -1)
			conn_close(sv, sv->n_conns - 1);
	}
}

/* Reads and answers what came; 0, or -1 to close. */
/*
 * Feeds the session len bytes; what a held delivery leaves unread is
 * kept in cn->in (at most one read's worth) for after its verdict.
 * 0, or -1 when out of memory.
 */
static int
conn_feed(struct conn *cn, const char *in, size_t len)
{
	size_t used = 0;

	if (lmtp_session_feed(cn->s, in, len, &cn->out, &used))
		cn->closing = 1;
	if (used < len && !cn->closing &&
	    buf_add(&cn->in, in + used, len - used) == -1)
		return -1;
	return 0;
}

static int
conn_read(struct lmtp_server *sv, struct conn *cn)
{
	ssize_t r;
	int n;

	for (n = 0; n < 16 && cn->out.len < LMTP_OUT_MAX && !cn->closing &&
	    !lmtp_session_held(cn->s); n++) {
		r = recv(cn->fd, sv->rbuf, LMTP_READ_CHUNK, MSG_DONTWAIT);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0)
			return -1;	/* gone: a transaction in hand is lost */
		cn->last = time(NULL);
		if (conn_feed(cn, sv->rbuf, (size_t)r) == -1)
			return -1;
		if (conn_flush(cn) == -1)
			return -1;
	}
	return 0;
}

void
lmtp_server_verdict(struct lmtp_server *sv, uint64_t ticket, int rc,
    const char *why)
{
	struct conn *cn;
	struct buf rest = BUF_INIT;
	size_t i;

	for (i = 0; i < sv->n_conns && sv->conns[i].id !=
	    LMTP_TICKET_SESSION(ticket); i++)
		;
	/* Its session gone, or holding another message: nothing to say. */
	if (i == sv->n_conns ||
	    lmtp_session_held_ticket(sv->conns[i].s) != ticket)
		return;
	cn = &sv->conns[i];
	lmtp_session_verdict(cn->s, rc, why, &cn->out);
	cn->last = time(NULL);
	/* The pipelined commands that came meanwhile: fed now. */
	rest = cn->in;
	buf_init(&cn->in);
	if (rest.len > 0 && conn_feed(cn, rest.data, rest.len) == -1) {
		buf_free(&rest);
		conn_close(sv, i);
		return;
	}
	buf_free(&rest);
	if (conn_flush(cn) == -1 || (cn->closing && cn->out.len == 0))
		conn_close(sv, i);
}

static unsigned
timeout_of(const struct lmtp_server *sv, const struct conn *cn)
{
	return lmtp_session_busy(cn->s) ? sv->conf.command_seconds :
	    sv->conf.idle_seconds;
}

size_t
lmtp_server_nfds(const struct lmtp_server *sv)
{
	return 1 + sv->conf.max_sessions;
}

size_t
lmtp_server_pollfds(struct lmtp_server *sv, struct pollfd *pfd,
    int *timeout_ms)
{
	time_t now = time(NULL);
	long left;
	size_t i, n = 0;

	pfd[n].fd = sv->lfd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	for (i = 0; i < sv->n_conns; i++) {
		struct conn *cn = &sv->conns[i];

		pfd[n].fd = cn->fd;
		pfd[n].events = 0;
		if (cn->out.len < LMTP_OUT_MAX && !cn->closing &&
		    !lmtp_session_held(cn->s))
			pfd[n].events |= POLLIN;
		if (cn->out.len > cn->out_off)
			pfd[n].events |= POLLOUT;
		pfd[n++].revents = 0;
		/* Held: the wait is balpd's, not the peer's (nor its hangup:
		 * seen once the verdict is said). */
		if (lmtp_session_held(cn->s)) {
			if (pfd[n - 1].events == 0)
				pfd[n - 1].fd = -1;
			continue;
		}
		left = ((long)cn->last + (long)timeout_of(sv, cn) - (long)now)
		    * 1000 + 100;
		if (left < 0)
			left = 0;
		if (*timeout_ms < 0 || left < *timeout_ms)
			*timeout_ms = (int)left;
	}
	return n;
}

void
lmtp_server_handle(struct lmtp_server *sv, const struct pollfd *pfd,
    size_t n)
{
	time_t now;
	size_t i, k;
	int fd, bad;

	if (n > 0 && pfd[0].fd == sv->lfd && (pfd[0].revents & POLLIN))
		accept_all(sv);
	for (k = 1; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		fd = pfd[k].fd;
		for (i = 0; i < sv->n_conns && sv->conns[i].fd != fd; i++)
			;
		if (i == sv->n_conns)
			continue;
		bad = 0;
		if (pfd[k].revents & POLLOUT)
			bad = conn_flush(&sv->conns[i]) == -1;
		if (!bad && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
			bad = conn_read(sv, &sv->conns[i]) == -1;
		if (bad || (sv->conns[i].closing &&
		    sv->conns[i].out.len == 0))
			conn_close(sv, i);
	}
	/* Deadlines: a stalled peer holds a session for its timeout only. */
	now = time(NULL);
	for (i = 0; i < sv->n_conns; ) {
		struct conn *cn = &sv->conns[i];

		if (!lmtp_session_held(cn->s) &&
		    now - cn->last >= (time_t)timeout_of(sv, cn)) {
			say_and_close(cn->fd, "421 4.4.2 Timeout, closing\r\n");
			cn->fd = -1;
			lmtp_session_free(cn->s);
			buf_free(&cn->in);
			buf_free(&cn->out);
			sv->conns[i] = sv->conns[--sv->n_conns];
			continue;
		}
		i++;
	}
}

size_t
lmtp_server_sessions(const struct lmtp_server *sv)
{
	return sv->n_conns;
}

void
lmtp_server_close(struct lmtp_server *sv)
{
	if (sv == NULL)
		return;
	while (sv->n_conns > 0) {
		(void)send(sv->conns[0].fd, "421 4.3.2 Shutting down\r\n", 25,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		conn_close(sv, 0);
	}
	if (sv->lfd >= 0)
		close(sv->lfd);
	if (sv->path != NULL)
		(void)unlink(sv->path);
	free(sv->path);
	free(sv->conns);
	free(sv->rbuf);
	lmtp_conf_free(&sv->conf);
	free(sv);
}
