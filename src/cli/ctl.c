/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl - shared context of balpctl commands (see ctl.h).
 */
#include "balp/ctl.h"
#include "balp/store_audit.h"
#include "balp/date.h"
#include "balp/text.h"
#include "balp/pipeline.h"

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * 1 if s looks like a login: it goes into audit rows and messages, and
 * comes from the environment.
 */
static int
plain_login(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.' && *p != '@')
			return 0;
	return 1;
}

void
ctl_init(struct ctl *c, const char *conf_path)
{
	struct passwd *pw;
	struct buf b = BUF_INIT;
	const char *sudo = getenv("SUDO_USER");

	memset(c, 0, sizeof(*c));
	c->conf_path = conf_path;
	c->now = time(NULL);
	c->today = pipeline_today(c->now);
	pw = getpwuid(getuid());
	c->login = buf_strdup(pw != NULL ? pw->pw_name : "unknown");
	/* Root can set SUDO_USER at will, but root can write any row too. */
	if (getuid() == 0 && plain_login(sudo) && strcmp(sudo, "root") != 0)
		buf_printf(&b, "admin:%s (sudo)", sudo);
	else
		buf_printf(&b, "admin:%s", c->login != NULL ? c->login :
		    "unknown");
	c->actor = buf_detach(&b);
}

/* 1 if the process has gid as its effective or a supplementary group. */
static int
in_group(gid_t gid)
{
	gid_t *list;
	int n, i, found = 0;

	if (getegid() == gid)
		return 1;
	if ((n = getgroups(0, NULL)) <= 0)
		return 0;
	if ((list = calloc((size_t)n, sizeof(*list))) == NULL)
		return 0;
	n = getgroups(n, list);
	for (i = 0; i < n && !found; i++)
		found = list[i] == gid;
	free(list);
	return found;
}

int
ctl_require_admin(struct ctl *c, const char *command)
{
	if (ctl_load_conf(c) == -1)
		return CTL_USAGE;
	if (c->conf.admin_group == NULL || geteuid() == 0 ||
	    in_group(c->conf.admin_gid))
		return CTL_OK;
	ctl_error("%s is for the members of group '%s' (access.admin_group);"
	    " you are '%s'", command, c->conf.admin_group,
	    c->login != NULL ? c->login : "unknown");
	return CTL_FAILED;
}

void
ctl_free(struct ctl *c)
{
	if (c->store != NULL)
		store_close(c->store);
	if (c->conf_loaded)
		conf_free(&c->conf);
	free(c->actor);
	free(c->login);
	memset(c, 0, sizeof(*c));
}

int
ctl_usage(const char *text)
{
	fprintf(stderr, "usage: balpctl [-c CONF] %s\n", text);
	return CTL_USAGE;
}

int
ctl_store_fail(struct ctl *c)
{
	ctl_error("%s", store_errmsg(c->store));
	return CTL_FAILED;
}

int
ctl_print(const struct buf *b)
{
	if (b->failed) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	fputs(buf_str(b), stdout);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_error("writing the listing: %s", strerror(errno));
		return CTL_FAILED;
	}
	return CTL_OK;
}

int
ctl_count(const char *option, const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX) {
		ctl_error("%s: '%s' is not a number", option, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("balpctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_load_conf(struct ctl *c)
{
	struct buf err = BUF_INIT;

	if (c->conf_loaded)
		return 0;
	if (conf_load(c->conf_path, &c->conf, &err) == -1) {
		fputs(buf_str(&err), stderr);
		buf_free(&err);
		return -1;
	}
	c->conf_loaded = 1;
	return 0;
}

int
ctl_open_store(struct ctl *c, int create)
{
	struct buf err = BUF_INIT;
	struct stat st;

	if (c->store != NULL)
		return 0;
	if (ctl_load_conf(c) == -1)
		return -1;
	/* A store closed to this user is no missing store (issue 18). */
	if ((!create && (stat(c->conf.store_path, &st) == -1 ||
	    access(c->conf.store_path, R_OK) == -1) &&
	    store_access_explain(c->conf.store_path, errno,
	    c->conf.admin_group, &err)) ||
	    ((stat(c->conf.audit_key_file, &st) == -1 ||
	    access(c->conf.audit_key_file, R_OK) == -1) &&
	    store_access_explain(c->conf.audit_key_file, errno,
	    c->conf.admin_group, &err))) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	if (!create && stat(c->conf.store_path, &st) == -1) {
		ctl_error("no store at %s: run `balpctl -c %s init` first",
		    c->conf.store_path, c->conf_path);
		return -1;
	}
	if (stat(c->conf.audit_key_file, &st) == -1) {
		ctl_error("no audit key at %s: run `balpctl -c %s init` (it "
		    "keeps the store and the keys it finds)",
		    c->conf.audit_key_file, c->conf_path);
		return -1;
	}
	if (store_open(c->conf.store_path, &c->store, &err) != STORE_OK ||
	    store_audit_key_load(c->store, c->conf.audit_key_file,
	    c->conf.admin_gid, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		store_close(c->store);
		c->store = NULL;
		return -1;
	}
	/* A typo in source.path would leave balpd watching nothing. */
	if (!create && c->conf.source.kind == SOURCE_MAILDIR &&
	    c->conf.source.maildir_path != NULL &&
	    stat(c->conf.source.maildir_path, &st) == -1)
		fprintf(stderr, "balpctl: warning: source.path %s does not "
		    "exist (balpctl init creates it)\n",
		    c->conf.source.maildir_path);
	buf_free(&err);
	return 0;
}

int
ctl_open_store_readonly(struct ctl *c)
{
	struct buf err = BUF_INIT;
	struct stat st;

	if (c->store != NULL)
		return 0;
	if (ctl_load_conf(c) == -1)
		return -1;
	if (stat(c->conf.store_path, &st) == -1 ||
	    access(c->conf.store_path, R_OK) == -1) {
		if (store_access_explain(c->conf.store_path, errno,
		    c->conf.admin_group, &err))
			ctl_error("%s", buf_str(&err));
		else
			ctl_error("no store at %s: run `balpctl -c %s init` "
			    "first", c->conf.store_path, c->conf_path);
		buf_free(&err);
		return -1;
	}
	if (store_open_readonly(c->conf.store_path, &c->store, &err) !=
	    STORE_OK) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

int
ctl_date(const char *option, const char *s, int32_t *out)
{
	if (s == NULL || date_parse_any(s, out) == -1) {
		ctl_error("%s: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
		    option, s ? s : "");
		return -1;
	}
	return 0;
}

/* Columns of s as a terminal shows it: one a code point. */
static size_t
columns(const char *s, size_t len)
{
	size_t i = 0, cols = 0;

	while (i < len) {
		text_utf8_next(s, len, &i);
		cols++;
	}
	return cols;
}

static void
put_cell(FILE *fp, const char *s, int width, int cut)
{
	struct buf b = BUF_INIT;
	size_t cols, i = 0, n;

	if (s == NULL)
		s = "-";
	text_escape(&b, s, strlen(s));
	cols = columns(buf_str(&b), b.len);
	if (cut && width > 1 && cols > (size_t)width) {
		for (n = 0; n + 1 < (size_t)width; n++)
			text_utf8_next(buf_str(&b), b.len, &i);
		fwrite(buf_str(&b), 1, i, fp);
		fputs("\xe2\x80\xa6", fp);	/* U+2026 … */
		cols = (size_t)width;
	} else
		fputs(buf_str(&b), fp);
	for (; cols < (size_t)(width > 0 ? width : 0); cols++)
		fputc(' ', fp);
	buf_free(&b);
}

void
ctl_pad(FILE *fp, const char *s, int width)
{
	put_cell(fp, s, width, 0);
}

void
ctl_cell(FILE *fp, const char *s, int width)
{
	put_cell(fp, s, width, 1);
}

const char *
ctl_day(int32_t day, char out[11])
{
	if (day == DATE_NONE) {
		strcpy(out, "-");
		return out;
	}
	date_format_iso(day, out);
	return out;
}

void
ctl_put_escaped(FILE *fp, const char *s)
{
	struct buf b = BUF_INIT;

	text_escape(&b, s, strlen(s));
	fputs(buf_str(&b), fp);
	buf_free(&b);
}

void
ctl_put_escaped_lines(FILE *fp, const char *s)
{
	struct buf b = BUF_INIT;
	const char *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		buf_reset(&b);
		text_escape(&b, s, nl != NULL ? (size_t)(nl - s) : strlen(s));
		fputs(buf_str(&b), fp);
		if (nl == NULL)
			break;
		fputc('\n', fp);
		s = nl + 1;
	}
	buf_free(&b);
}
