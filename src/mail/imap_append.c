/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_append - several messages from LMTP into one folder in one
 * MULTIAPPEND (RFC 3502; imap_priv.h, source.h's append_many).
 *
 * Why: a server stores an APPEND under the folder's lock (Dovecot's
 * Maildir: its dovecot-uidlist.lock, waited for by sleeping).  Appends
 * into one folder from several sessions at once wait on each other
 * (measured: 24 ms a message with six filers at once against 6.6 ms one
 * at a time), and one at a time each pays the folder's opening and
 * locking (3.9 ms a message alone, 1.7 ms in fours: docs/lmtp.md).  So
 * balpd files into a folder from one filer at a time (filer.c), and
 * what came for that folder meanwhile goes in one command.
 *
 * libetpan has no MULTIAPPEND: the command is written here on the
 * session's own stream (its TLS), each message as libetpan's APPEND
 * sends it (bare LF made CRLF, the literal counted so), and the answer
 * read up to its tagged line.  LITERAL+ where announced, else each
 * literal waits for the server's "+".  The server stores all or none:
 * every message's rc is the command's.
 */
#include "imap_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <libetpan/libetpan.h>

/* A quoted string or an atom of ours: printable ASCII, no quote. */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static int
put(struct imap *im, const char *p, size_t n)
{
	return mailstream_write(im->s->imap_stream, p, n) == (ssize_t)n ? 0 :
	    -1;
}

static int
putf(struct imap *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
putf(struct imap *im, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return put(im, line, (size_t)n);
}

/*
 * The server's next answer to tag: 1 its "+" (when cont), 0 its tagged
 * line (in line), -1 the stream lost or an answer that is not one.
 * Untagged lines are read past; "* BYE" is the session's end.
 */
static int
answer(struct imap *im, const char *tag, int cont, MMAPString *line)
{
	size_t tl = strlen(tag);

	for (;;) {
		if (mailstream_read_line_remove_eol(im->s->imap_stream,
		    line) == NULL)
			return -1;
		if (cont && line->str[0] == '+')
			return 1;
		if (strncmp(line->str, tag, tl) == 0 && line->str[tl] == ' ')
			return 0;
		if (strncmp(line->str, "* ", 2) != 0 ||
		    strncasecmp(line->str, "* BYE", 5) == 0)
			return -1;
		/* An untagged answer with a literal is none we asked. */
		if (line->len > 0 && line->str[line->len - 1] == '}')
			return -1;
	}
}

/*
 * One MULTIAPPEND of v into name.  0 stored; 1 refused (err says why,
 * *trycreate when the folder is missing); -1 the session is lost.
 */
static int
multiappend(struct imap *im, const char *name, struct source_filing *v,
    size_t n, int *trycreate, struct buf *err)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static unsigned seq;
	MMAPString *line;
	char tag[16];
	struct tm tm;
	size_t i, fixed;
	void *map;
	const char *st, *kw;
	int r = -1, lp = mailimap_has_extension(im->s, "LITERAL+");

	*trycreate = 0;
	if ((line = mmap_string_new("")) == NULL) {
		buf_puts(err, "out of memory");
		return 1;
	}
	(void)snprintf(tag, sizeof(tag), "M%u", ++seq);
	if (putf(im, "%s APPEND \"%s\"", tag, name) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (gmtime_r(&v[i].arrived, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		if ((map = mmap(NULL, (size_t)v[i].size, PROT_READ,
		    MAP_PRIVATE, v[i].fd, 0)) == MAP_FAILED) {
			/* Half a command: the session cannot go on. */
			buf_printf(err, "cannot map a message: %s",
			    strerror(errno));
			goto out;
		}
		fixed = mailstream_get_data_crlf_size(map, (size_t)v[i].size);
		kw = im->keywords_ok ? v[i].keywords : "";
		if (put(im, " (", 2) == -1 || put(im, kw, strlen(kw)) == -1 ||
		    putf(im, ") \"%2d-%s-%04d %02d:%02d:%02d +0000\" {%zu%s}"
		    "\r\n", tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, fixed, lp ? "+" : "") ==
		    -1 ||
		    (!lp && (mailstream_flush(im->s->imap_stream) == -1 ||
		    (r = answer(im, tag, 1, line)) != 1)) ||
		    mailstream_send_data_crlf(im->s->imap_stream, map,
		    (size_t)v[i].size, 0, NULL) == -1) {
			(void)munmap(map, (size_t)v[i].size);
			/* Refused before its literal: the command is over. */
			if (r == 0)
				goto status;
			r = -1;
			goto out;
		}
		(void)munmap(map, (size_t)v[i].size);
	}
	if (put(im, "\r\n", 2) == -1 ||
	    mailstream_flush(im->s->imap_stream) == -1 ||
	    answer(im, tag, 0, line) != 0) {
		r = -1;
		goto out;
	}
status:
	st = line->str + strlen(tag) + 1;
	if (strncasecmp(st, "OK", 2) == 0) {
		r = 0;
		goto out;
	}
	*trycreate = strstr(st, "[TRYCREATE]") != NULL;
	buf_printf(err, "%s:%u: APPEND: %.200s", im->host, im->port, st);
	r = 1;
out:
	mmap_string_free(line);
	return r;
}

/*
 * One APPEND each, as libetpan sends them.  A refused message does not
 * stop the others; a lost session does (the rest are handed over again).
 */
static int
append_each(struct imap *im, const char *folder, struct source_filing *v,
    size_t n, struct buf *err)
{
	struct buf later = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && im->s != NULL; i++) {
		v[i].rc = imap_op_append(im, folder, v[i].ref, v[i].fd,
		    v[i].size, v[i].keywords, v[i].arrived,
		    rc == 0 ? err : &later);
		if (v[i].rc != 0)
			rc = -1;
	}
	buf_free(&later);
	return i < n ? -1 : rc;
}

int
imap_op_append_many(void *arg, const char *folder, struct source_filing *v,
    size_t n, struct buf *err)
{
	struct imap *im = arg;
	char *name = NULL;
	size_t i;
	int r, trycreate, simple = n > 1;

	for (i = 0; i < n; i++) {
		v[i].rc = -1;
		if (v[i].size == 0 || v[i].size > SIZE_MAX ||
		    !plain(v[i].keywords != NULL ? v[i].keywords : ""))
			simple = 0;
	}
	if (imap_ready(im, err) == -1)
		return -1;
	if (!simple || !mailimap_has_extension(im->s, "MULTIAPPEND") ||
	    !plain(folder))
		return append_each(im, folder, v, n, err);
	if ((name = imap_server_name(im, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	r = multiappend(im, name, v, n, &trycreate, err);
	if (r == 1 && trycreate) {
		buf_reset(err);
		if (imap_create_folder(im, name, err) == 0)
			r = multiappend(im, name, v, n, &trycreate, err);
	}
	free(name);
	if (r == 1 && !trycreate) {
		/* One the server refuses (all or none): the others alone. */
		buf_reset(err);
		return append_each(im, folder, v, n, err);
	}
	if (r == -1) {
		if (err->len == 0)
			buf_printf(err, "%s:%u: APPEND: connection lost or "
			    "timed out", im->host, im->port);
		imap_drop(im);
		return -1;
	}
	if (r == 1)
		return -1;
	for (i = 0; i < n; i++)
		v[i].rc = 0;
	return 0;
}
