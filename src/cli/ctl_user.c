/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_user - balpctl user add | passwd | disable | list (see ctl_user.h).
 *
 * The password goes from read(2) into one buffer of this file, checked,
 * handed to the store (which hashes it) and wiped with sodium_memzero on
 * every path: never through stdio, whose buffers nobody wipes.
 */
#include "balp/ctl_user.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "balp/buf.h"
#include "balp/json.h"
#include "balp/password.h"
#include "balp/store_user.h"
#include "balp/table.h"

static const char usage_text[] = "user add LOGIN --role admin|supervisor|dpo"
    " [--name TEXT] | passwd LOGIN | disable LOGIN | list [--json]";

/* The first line of stdin, up to PASSWORD_MAX bytes, without its end. */
struct secret_line {
	char	 v[PASSWORD_MAX + 2];
	size_t	 len;
};

/*
 * Reads the first line of standard input into l (a terminal's echo off
 * while it is typed).  0, or -1 after a message: nothing read, or a line
 * longer than PASSWORD_MAX.
 */
static int
read_secret(struct secret_line *l, const char *login)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), echo_off = 0, rc = 0;
	ssize_t n;
	char *nl;

	l->len = 0;
	if (tty) {
		fprintf(stderr, "password for %s: ", login);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH,
			    &quiet) == 0;
		}
	}
	for (;;) {
		if (l->len == sizeof(l->v)) {
			ctl_error("the password is longer than %d bytes",
			    PASSWORD_MAX);
			rc = -1;
			break;
		}
		n = read(STDIN_FILENO, l->v + l->len, sizeof(l->v) - l->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ctl_error("reading the password: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		l->len += (size_t)n;
		if (memchr(l->v, '\n', l->len) != NULL)
			break;
	}
	if (echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc == 0 && (nl = memchr(l->v, '\n', l->len)) != NULL)
		l->len = (size_t)(nl - l->v);
	/* A file written on Windows ends its lines with CR LF. */
	if (rc == 0 && l->len > 0 && l->v[l->len - 1] == '\r')
		l->len--;
	if (rc == 0 && l->len == 0) {
		ctl_error("no password on standard input (its first line)");
		rc = -1;
	}
	if (rc == 0 && l->len > PASSWORD_MAX) {
		ctl_error("the password is longer than %d bytes",
		    PASSWORD_MAX);
		rc = -1;
	}
	/* What follows the line is not kept either. */
	sodium_memzero(l->v + l->len, sizeof(l->v) - l->len);
	if (rc == -1)
		sodium_memzero(l, sizeof(*l));
	return rc;
}

/* The rules, before the store sees it: a broken one is exit 2. */
static int
secret_ok(const char *login, const struct secret_line *l)
{
	struct buf why = BUF_INIT;
	int ok;

	ok = password_check(login, l->v, l->len, &why) == 0;
	if (!ok)
		ctl_error("%s: %s (at least %d characters, no control "
		    "character, not the login)", login, why.failed ?
		    "the password breaks a rule" : buf_str(&why),
		    PASSWORD_MIN);
	buf_free(&why);
	return ok;
}

static int
user_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct secret_line *l;
	const char *role = NULL, *name = NULL, *login;
	int o, rc;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'r')
			role = optarg;
		else if (o == 'n')
			name = optarg;
		else
			return ctl_usage(usage_text);
	}
	if (optind + 1 != argc || role == NULL)
		return ctl_usage(usage_text);
	login = argv[optind];
	if (!store_user_role_valid(role)) {
		ctl_error("--role: '%s' is not admin, supervisor or dpo",
		    role);
		return CTL_USAGE;
	}
	if (!store_user_login_valid(login)) {
		ctl_error("'%s' is no login: 1 to %d letters, digits, '.', "
		    "'-' or '_'", login, STORE_USER_LOGIN_MAX);
		return CTL_USAGE;
	}
	if ((rc = ctl_require_admin(c, "user")) != CTL_OK)
		return rc;
	if ((l = malloc(sizeof(*l))) == NULL) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	if (read_secret(l, login) == -1)
		rc = CTL_USAGE;
	else if (!secret_ok(login, l))
		rc = CTL_USAGE;
	else if (ctl_open_store(c, 0) == -1)
		rc = CTL_USAGE;
	else if (store_user_add(c->store, login, name, role, l->v, l->len,
	    c->actor, c->now) != STORE_OK)
		rc = ctl_store_fail(c);
	else {
		printf("console account %s added (%s); its password must "
		    "change at the first login\n", login, role);
		rc = CTL_OK;
	}
	sodium_memzero(l, sizeof(*l));
	free(l);
	return rc;
}

static int
user_passwd(struct ctl *c, int argc, char **argv)
{
	struct secret_line *l;
	int rc;

	if (argc != 2)
		return ctl_usage(usage_text);
	if ((rc = ctl_require_admin(c, "user")) != CTL_OK)
		return rc;
	if ((l = malloc(sizeof(*l))) == NULL) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	/*
	 * An admin sets someone else's password: it must change at the next
	 * login, so that only its owner knows the one in use.
	 */
	if (read_secret(l, argv[1]) == -1)
		rc = CTL_USAGE;
	else if (!secret_ok(argv[1], l))
		rc = CTL_USAGE;
	else if (ctl_open_store(c, 0) == -1)
		rc = CTL_USAGE;
	else if (store_user_passwd(c->store, argv[1], l->v, l->len, 1,
	    c->actor, c->now) != STORE_OK)
		rc = ctl_store_fail(c);
	else {
		printf("password of %s set; it must change at the next "
		    "login\n", argv[1]);
		rc = CTL_OK;
	}
	sodium_memzero(l, sizeof(*l));
	free(l);
	return rc;
}

static int
user_disable(struct ctl *c, int argc, char **argv)
{
	int rc;

	if (argc != 2)
		return ctl_usage(usage_text);
	if ((rc = ctl_require_admin(c, "user")) != CTL_OK)
		return rc;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_user_disable(c->store, argv[1], c->actor, c->now) !=
	    STORE_OK)
		return ctl_store_fail(c);
	printf("console account %s disabled\n", argv[1]);
	return CTL_OK;
}

/* now as the store writes its timestamps, which compare as text. */
static void
utc_stamp(time_t now, char out[32])
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(out, "");
}

/* A lock that has run out is no lock. */
static const char *
state_of(const struct store_user *u, const char *now)
{
	if (u->disabled)
		return "disabled";
	if (u->locked_until != NULL && strcmp(u->locked_until, now) > 0)
		return "locked";
	return "active";
}

/* One account as a JSON object: never its hash. */
static void
user_json(struct buf *b, const struct store_user *u, const char *now)
{
	buf_puts(b, "{\"login\":");
	json_string(b, u->login);
	buf_puts(b, ",\"name\":");
	json_string(b, u->name);
	buf_puts(b, ",\"role\":");
	json_string(b, u->role);
	buf_puts(b, ",\"state\":");
	json_string(b, state_of(u, now));
	buf_printf(b, ",\"must_change\":%s,\"created_at\":",
	    u->must_change ? "true" : "false");
	json_string(b, u->created_at);
	buf_puts(b, ",\"updated_at\":");
	json_string(b, u->updated_at);
	buf_putc(b, '}');
}

static int
user_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "LOGIN", "ROLE", "STATE",
	    "MUST CHANGE", "CREATED (UTC)", "NAME" };
	struct store_user_list l = { NULL, 0 };
	struct buf out = BUF_INIT;
	struct table t;
	const char *row[6];
	char now[32];
	size_t i;
	int o, json = 0, rc;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'j')
			json = 1;
		else
			return ctl_usage(usage_text);
	}
	if (optind != argc)
		return ctl_usage(usage_text);
	if ((rc = ctl_require_admin(c, "user")) != CTL_OK)
		return rc;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_user_list(c->store, &l) != STORE_OK)
		return ctl_store_fail(c);
	utc_stamp(c->now, now);
	if (json) {
		buf_puts(&out, "[");
		for (i = 0; i < l.n; i++) {
			buf_puts(&out, i > 0 ? ",\n" : "\n");
			user_json(&out, &l.v[i], now);
		}
		buf_puts(&out, l.n > 0 ? "\n]\n" : "]\n");
		rc = ctl_print(&out);
		buf_free(&out);
		store_user_list_free(&l);
		return rc;
	}
	if (table_init(&t, 6, head) == -1) {
		store_user_list_free(&l);
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	for (i = 0; i < l.n && rc == CTL_OK; i++) {
		row[0] = l.v[i].login;
		row[1] = l.v[i].role;
		row[2] = state_of(&l.v[i], now);
		row[3] = l.v[i].must_change ? "yes" : "no";
		row[4] = l.v[i].created_at;
		row[5] = l.v[i].name[0] != '\0' ? l.v[i].name : NULL;
		if (table_add(&t, row) == -1) {
			ctl_error("out of memory");
			rc = CTL_FAILED;
		}
	}
	if (rc == CTL_OK)
		table_print(&t, stdout);
	table_free(&t);
	store_user_list_free(&l);
	return rc;
}

int
ctl_user(struct ctl *c, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage(usage_text);
	if (strcmp(argv[1], "add") == 0)
		return user_add(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "passwd") == 0)
		return user_passwd(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "disable") == 0)
		return user_disable(c, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return user_list(c, argc - 1, argv + 1);
	return ctl_usage(usage_text);
}
