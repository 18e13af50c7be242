/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lmtp_session - one LMTP conversation (include/balp/lmtp_session.h).
 *
 * Input is taken byte by byte into either a command line (bounded) or
 * the DATA spool: dot-unstuffed as it comes, written through a small
 * buffer to a memory file that is sealed before the delivery callback
 * sees it, so a message is never whole in this process's heap.
 */
#include "balp/lmtp_session.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_CHUNK	((size_t)64 << 10)

enum state {
	ST_START,	/* greeted, no LHLO yet */
	ST_READY,	/* LHLO said, no transaction */
	ST_MAIL,	/* MAIL accepted */
	ST_DATA,	/* after 354 */
	ST_HELD,	/* DATA ended, the delivery's verdict to come */
	ST_OVER,	/* QUIT answered, or a 421 */
};

/* Where DATA's bytes are in their line, for the dot and the end. */
enum data_pos {
	DP_BOL,		/* at the start of a line */
	DP_DOT,		/* a dot at the start of a line */
	DP_DOT_CR,	/* ".\r" at the start of a line */
	DP_MID,		/* inside a line */
};

struct lmtp_session {
	const struct lmtp_conf	*conf;
	char			*name;
	lmtp_deliver_fn		*deliver;
	void			*arg;
	uint64_t		 ticket;	/* its server's name for it */
	uint64_t		 delivered;	/* messages handed over */
	uint64_t		 held;		/* the held one's ticket */
	enum state		 state;

	struct buf		 line;		/* the command being read */
	int			 line_long;	/* skipping to its end */

	char			*sender;
	char			*rcpts[LMTP_RECIPIENTS_MAX];
	size_t			 n_rcpts;

	int			 spool;		/* memory file, or -1 */
	char			*chunk;		/* SPOOL_CHUNK bytes */
	size_t			 chunk_len;
	uint64_t		 size;		/* message bytes seen */
	size_t			 line_len;	/* of the DATA line */
	enum data_pos		 pos;
	int			 too_big;
	int			 too_long;
	int			 spool_failed;
};

struct lmtp_session *
lmtp_session_new(const struct lmtp_conf *conf, const char *name,
    lmtp_deliver_fn *deliver, void *arg)
{
	struct lmtp_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->name = buf_strdup(name != NULL ? name : "balpd")) == NULL) {
		free(s);
		return NULL;
	}
	s->conf = conf;
	s->deliver = deliver;
	s->arg = arg;
	s->spool = -1;
	buf_init(&s->line);
	return s;
}

static void
transaction_reset(struct lmtp_session *s)
{
	size_t i;

	free(s->sender);
	s->sender = NULL;
	for (i = 0; i < s->n_rcpts; i++)
		free(s->rcpts[i]);
	s->n_rcpts = 0;
	if (s->spool >= 0)
		(void)close(s->spool);
	s->spool = -1;
	free(s->chunk);
	s->chunk = NULL;
	s->chunk_len = 0;
	s->size = 0;
	s->line_len = 0;
	s->pos = DP_BOL;
	s->too_big = s->too_long = s->spool_failed = 0;
}

void
lmtp_session_free(struct lmtp_session *s)
{
	if (s == NULL)
		return;
	transaction_reset(s);
	buf_free(&s->line);
	free(s->name);
	free(s);
}

void
lmtp_session_greet(struct lmtp_session *s, struct buf *out)
{
	buf_printf(out, "220 %s LMTP balpd ready\r\n", s->name);
}

int
lmtp_session_busy(const struct lmtp_session *s)
{
	return s->state == ST_DATA || s->line.len > 0 || s->line_long;
}

int
lmtp_session_held(const struct lmtp_session *s)
{
	return s->state == ST_HELD;
}

uint64_t
lmtp_session_held_ticket(const struct lmtp_session *s)
{
	return s->state == ST_HELD ? s->held : 0;
}

void
lmtp_session_set_ticket(struct lmtp_session *s, uint64_t ticket)
{
	s->ticket = ticket;
}

/* ---- DATA ------------------------------------------------------------- */

static void
spool_flush(struct lmtp_session *s)
{
	size_t off = 0;
	ssize_t w;

	while (off < s->chunk_len && !s->spool_failed) {
		w = write(s->spool, s->chunk + off, s->chunk_len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			s->spool_failed = 1;
		else
			off += (size_t)w;
	}
	s->chunk_len = 0;
}

static void
spool_byte(struct lmtp_session *s, char c)
{
	s->size++;
	if (s->too_big || s->too_long || s->spool_failed)
		return;
	if (s->conf->max_size > 0 && s->size > s->conf->max_size) {
		s->too_big = 1;
		return;
	}
	s->chunk[s->chunk_len++] = c;
	if (s->chunk_len == SPOOL_CHUNK)
		spool_flush(s);
}

static void
data_byte(struct lmtp_session *s, char c)
{
	if (c == '\n') {
		s->line_len = 0;
	} else if (++s->line_len > LMTP_DATA_LINE_MAX - 2)
		s->too_long = 1;
	spool_byte(s, c);
	s->pos = c == '\n' ? DP_BOL : DP_MID;
}

/* One reply per accepted recipient (RFC 2033 4.2). */
static void
per_recipient(struct lmtp_session *s, struct buf *out, const char *reply)
{
	size_t i;

	for (i = 0; i < s->n_rcpts; i++)
		buf_printf(out, "%s <%s>\r\n", reply, s->rcpts[i]);
}

/* The delivery's verdict, one reply per recipient; the transaction ends. */
static void
verdict(struct lmtp_session *s, int rc, const char *why, struct buf *out)
{
	struct buf reply = BUF_INIT;
	const char *p;
	size_t n;

	if (rc == 0)
		per_recipient(s, out, "250 2.0.0 Delivered");
	else {
		/* One line: the reason goes to Postfix's log. */
		buf_puts(&reply, "451 4.3.0 Not delivered (");
		p = why != NULL && *why != '\0' ? why : "failure";
		for (n = 0; p[n] != '\0' && n < 200; n++)
			buf_add(&reply, (unsigned char)p[n] < 0x20 ? " " :
			    p + n, 1);
		buf_puts(&reply, "), try again later");
		per_recipient(s, out, buf_str(&reply));
		buf_free(&reply);
	}
	transaction_reset(s);
	s->state = ST_READY;
}

void
lmtp_session_verdict(struct lmtp_session *s, int rc, const char *why,
    struct buf *out)
{
	if (s->state == ST_HELD)
		verdict(s, rc, why, out);
}

static void
data_end(struct lmtp_session *s, struct buf *out)
{
	struct lmtp_message m;
	struct buf why = BUF_INIT;
	int r;

	spool_flush(s);
	if (s->too_big)
		per_recipient(s, out, "552 5.3.4 Message too big for system");
	else if (s->too_long)
		per_recipient(s, out, "554 5.6.0 Line too long");
	else if (s->spool_failed || fcntl(s->spool, F_ADD_SEALS,
	    F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		per_recipient(s, out, "451 4.3.0 Cannot spool the message");
	else {
		memset(&m, 0, sizeof(m));
		m.sender = s->sender;
		m.recipients = (const char *const *)s->rcpts;
		m.n_recipients = s->n_rcpts;
		m.fd = s->spool;
		m.size = s->size;
		m.arrived = time(NULL);
		/* This message's own: a late verdict finds no other. */
		m.ticket = LMTP_TICKET(s->ticket, ++s->delivered);
		if ((r = s->deliver(&m, s->arg, &why)) == 1) {
			/* Filed elsewhere: lmtp_session_verdict() answers. */
			s->state = ST_HELD;
			s->held = m.ticket;
			buf_free(&why);
			return;
		}
		verdict(s, r, buf_str(&why), out);
		buf_free(&why);
		return;
	}
	buf_free(&why);
	transaction_reset(s);
	s->state = ST_READY;
}

/* DATA's bytes from in: how many were consumed (up to the end). */
static size_t
data_input(struct lmtp_session *s, const char *in, size_t len,
    struct buf *out)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		switch (s->pos) {
		case DP_BOL:
			if (c == '.')
				s->pos = DP_DOT;
			else
				data_byte(s, c);
			break;
		case DP_DOT:
			if (c == '\r')
				s->pos = DP_DOT_CR;
			else if (c == '\n') {	/* a bare ".\n": the end too */
				data_end(s, out);
				return i + 1;
			} else
				data_byte(s, c);	/* the stuffed dot goes */
			break;
		case DP_DOT_CR:
			if (c == '\n') {
				data_end(s, out);
				return i + 1;
			}
			/* ".\rX": the dot was stuffing, the CR is data. */
			data_byte(s, '\r');
			s->pos = DP_MID;
			i--;	/* c again, inside the line */
			break;
		case DP_MID:
			data_byte(s, c);
			break;
		}
	}
	return len;
}

/* ---- commands ---------------------------------------------------------- */

/* The address of "<addr> params" at p: malloc'd, *rest after '>'. */
static char *
path_of(const char *p, const char **rest)
{
	const char *e, *a;
	char *addr, *q;

	while (*p == ' ')
		p++;
	if (*p != '<')
		return NULL;
	if ((e = strchr(p, '>')) == NULL)
		return NULL;
	a = p + 1;
	/* A source route (<@a,@b:user@c>) is ignored (RFC 5321 4.1.1.3). */
	if (*a == '@' && (q = memchr(a, ':', (size_t)(e - a))) != NULL)
		a = q + 1;
	if ((addr = buf_strndup(a, (size_t)(e - a))) == NULL)
		return NULL;
	for (q = addr; *q != '\0'; q++)
		if ((unsigned char)*q < 0x21 || *q == 0x7f) {
			free(addr);
			return NULL;
		}
	*rest = e + 1;
	return addr;
}

/* SIZE= and BODY= of MAIL; 0, or -1 with the reply in out. */
static int
mail_params(struct lmtp_session *s, const char *p, struct buf *out)
{
	unsigned long long n;
	char *end;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			errno = 0;
			n = strtoull(p + 5, &end, 10);
			if (errno != 0 || end == p + 5) {
				buf_puts(out, "501 5.5.4 Bad SIZE parameter\r\n");
				return -1;
			}
			if (s->conf->max_size > 0 && n > s->conf->max_size) {
				buf_puts(out, "552 5.3.4 Message too big for "
				    "system\r\n");
				return -1;
			}
			p = end;
		} else if (strncasecmp(p, "BODY=8BITMIME", 13) == 0 ||
		    strncasecmp(p, "BODY=7BIT", 9) == 0) {
			p += p[5] == '8' ? 13 : 9;
		} else {
			buf_puts(out, "555 5.5.4 Unsupported MAIL parameter\r\n");
			return -1;
		}
		if (*p != ' ' && *p != '\0') {
			buf_puts(out, "501 5.5.4 Bad MAIL parameter\r\n");
			return -1;
		}
	}
	return 0;
}

static void
cmd_lhlo(struct lmtp_session *s, const char *arg, struct buf *out)
{
	if (*arg == '\0') {
		buf_puts(out, "501 5.5.4 LHLO needs a domain\r\n");
		return;
	}
	transaction_reset(s);
	s->state = ST_READY;
	buf_printf(out, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n", s->name);
	if (s->conf->max_size > 0)
		buf_printf(out, "250 SIZE %" PRIu64 "\r\n", s->conf->max_size);
	else
		buf_puts(out, "250 SIZE\r\n");
}

static void
cmd_mail(struct lmtp_session *s, const char *arg, struct buf *out)
{
	const char *rest = NULL;
	char *addr;

	if (s->state == ST_START) {
		buf_puts(out, "503 5.5.1 LHLO first\r\n");
		return;
	}
	if (s->state != ST_READY) {
		buf_puts(out, "503 5.5.1 Nested MAIL command\r\n");
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0 ||
	    (addr = path_of(arg + 5, &rest)) == NULL) {
		buf_puts(out, "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
		return;
	}
	if (mail_params(s, rest, out) == -1) {
		free(addr);
		return;
	}
	s->sender = addr;
	s->state = ST_MAIL;
	buf_puts(out, "250 2.1.0 Sender OK\r\n");
}

static void
cmd_rcpt(struct lmtp_session *s, const char *arg, struct buf *out)
{
	const char *rest = NULL;
	char *addr, *p;

	if (s->state != ST_MAIL) {
		buf_puts(out, "503 5.5.1 MAIL first\r\n");
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0 ||
	    (addr = path_of(arg + 3, &rest)) == NULL) {
		buf_puts(out, "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
		return;
	}
	while (*rest == ' ')
		rest++;
	if (*rest != '\0') {
		free(addr);
		buf_puts(out, "555 5.5.4 Unsupported RCPT parameter\r\n");
		return;
	}
	for (p = addr; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!lmtp_conf_recipient(s->conf, addr)) {
		free(addr);
		buf_puts(out, "550 5.1.1 No such user here\r\n");
		return;
	}
	if (s->n_rcpts == LMTP_RECIPIENTS_MAX) {
		free(addr);
		buf_puts(out, "452 4.5.3 Too many recipients\r\n");
		return;
	}
	s->rcpts[s->n_rcpts++] = addr;
	buf_puts(out, "250 2.1.5 Recipient OK\r\n");
}

static void
cmd_data(struct lmtp_session *s, struct buf *out)
{
	if (s->state != ST_MAIL || s->n_rcpts == 0) {
		buf_puts(out, "503 5.5.1 No valid recipients\r\n");
		return;
	}
	if ((s->chunk = malloc(SPOOL_CHUNK)) == NULL ||
	    (s->spool = memfd_create("balp-lmtp", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1) {
		buf_puts(out, "451 4.3.0 Cannot spool the message\r\n");
		free(s->chunk);
		s->chunk = NULL;
		return;
	}
	s->state = ST_DATA;
	s->pos = DP_BOL;
	buf_puts(out, "354 Start mail input; end with <CRLF>.<CRLF>\r\n");
}

/* The command line in s->line (CRLF stripped). */
static void
command(struct lmtp_session *s, struct buf *out)
{
	char *l = s->line.data != NULL ? s->line.data : "";
	char *arg;
	size_t vlen;

	for (vlen = 0; l[vlen] != '\0' && l[vlen] != ' '; vlen++)
		;
	arg = l + vlen;
	while (*arg == ' ')
		arg++;
#define IS(v)	(vlen == sizeof(v) - 1 && strncasecmp(l, v, vlen) == 0)
	if (IS("LHLO"))
		cmd_lhlo(s, arg, out);
	else if (IS("MAIL"))
		cmd_mail(s, arg, out);
	else if (IS("RCPT"))
		cmd_rcpt(s, arg, out);
	else if (IS("DATA"))
		cmd_data(s, out);
	else if (IS("RSET")) {
		transaction_reset(s);
		if (s->state != ST_START)
			s->state = ST_READY;
		buf_puts(out, "250 2.0.0 OK\r\n");
	} else if (IS("NOOP"))
		buf_puts(out, "250 2.0.0 OK\r\n");
	else if (IS("QUIT")) {
		buf_printf(out, "221 2.0.0 %s closing\r\n", s->name);
		s->state = ST_OVER;
	} else if (IS("HELO") || IS("EHLO"))
		buf_puts(out, "500 5.5.1 This is LMTP: LHLO\r\n");
	else
		buf_puts(out, "500 5.5.1 Command unrecognized\r\n");
#undef IS
}

int
lmtp_session_input(struct lmtp_session *s, const char *in, size_t len,
    struct buf *out)
{
	size_t used;

	return lmtp_session_feed(s, in, len, out, &used);
}

int
lmtp_session_feed(struct lmtp_session *s, const char *in, size_t len,
    struct buf *out, size_t *usedp)
{
	size_t i = 0, used;
	const char *nl;

	*usedp = 0;
	while (i < len && s->state != ST_OVER && s->state != ST_HELD) {
		if (s->state == ST_DATA) {
			used = data_input(s, in + i, len - i, out);
			i += used;
			continue;
		}
		nl = memchr(in + i, '\n', len - i);
		used = nl != NULL ? (size_t)(nl - (in + i)) : len - i;
		if (!s->line_long && s->line.len + used + 1 > LMTP_COMMAND_MAX)
			s->line_long = 1;
		if (!s->line_long && buf_add(&s->line, in + i, used) == -1) {
			buf_puts(out, "421 4.3.0 Out of memory\r\n");
			s->state = ST_OVER;
			return 1;
		}
		i += used;
		if (nl == NULL)
			break;
		i++;	/* the LF */
		if (s->line_long)
			buf_puts(out, "500 5.5.2 Line too long\r\n");
		else {
			if (s->line.len > 0 &&
			    s->line.data[s->line.len - 1] == '\r')
				s->line.data[--s->line.len] = '\0';
			command(s, out);
		}
		buf_reset(&s->line);
		s->line_long = 0;
	}
	*usedp = i;
	return s->state == ST_OVER;
}
