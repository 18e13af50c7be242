/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_conf - the configuration loader: the shipped config's values and
 * defaults, the parser and batch groups with their ranges, the source as
 * a struct source_conf, and every refusal with its file:line (the retired
 * limits.parse_in_child included).
 *
 * Each test writes a config into a fresh folder; its rules setting names
 * the project's rules/balp.rules by absolute path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <sys/stat.h>

#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balp/conf.h"
#include "balp/smtp.h"
#include "balp/reason.h"

#define RULES	BALP_SRCDIR "/rules/balp.rules"

struct fx {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (tmpdir_make(fx->dir, sizeof(fx->dir), "conf") == -1)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/balp.conf", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/*
 * Writes a minimal valid config followed by extra (one setting or group
 * per line, so that the first line of extra is line 6 of the file).
 */
static void
write_conf(const struct fx *fx, const char *extra)
{
	FILE *fp = fopen(fx->path, "w");

	assert_non_null(fp);
	fprintf(fp, "rules = \"%s\";\n"
	    "store = { path = \"var/balp.db\"; key_file = \"var/k.key\"; };\n"
	    "source = { kind = \"maildir\"; path = \"var/Maildir\"; };\n"
	    "trusted_authserv_ids = [ \"mx.caf.test\" ];\n"
	    "# extra settings from line 6\n%s", RULES, extra);
	assert_int_equal(fclose(fp), 0);
}

/* Loads fx's config; expects success (ok) or failure with want in err. */
static void
load(const struct fx *fx, int ok, const char *want, struct balp_conf *c)
{
	struct buf err = BUF_INIT;
	int r;

	r = conf_load(fx->path, c, &err);
	if (ok && r != 0)
		fail_msg("conf_load failed:\n%s", buf_str(&err));
	if (!ok) {
		assert_int_equal(r, -1);
		if (strstr(buf_str(&err), want) == NULL)
			fail_msg("want \"%s\" in:\n%s", want, buf_str(&err));
	}
	buf_free(&err);
}

static void
test_shipped_conf(void **state)
{
	struct balp_conf c;
	struct buf err = BUF_INIT;

	(void)state;
	if (conf_load(BALP_SRCDIR "/conf/balp.conf", &c, &err) != 0)
		fail_msg("%s", buf_str(&err));
	buf_free(&err);
	assert_int_equal(c.source.kind, SOURCE_MAILDIR);
	assert_string_equal(c.source.maildir_path, BALP_SRCDIR "/var/Maildir");
	assert_string_equal(c.store_path, BALP_SRCDIR "/var/balp.db");
	assert_string_equal(c.audit_key_file, BALP_SRCDIR "/var/audit.key");
	assert_int_equal(c.parser_workers, 2);
	assert_int_equal(c.parser_deadline_ms, 10000);
	/* One message per process, by default (docs/sandbox.md). */
	assert_int_equal(c.parser_max_jobs, 1);
	assert_int_equal(c.parser_breaker, 5);
	assert_int_equal(c.batch_size, 100);
	assert_int_equal(c.batch_max_ms, 50);
	assert_string_equal(c.notice_from, "balp-ne-pas-repondre@caf.test");
	conf_free(&c);
}

static void
test_defaults(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	char want[192];

	write_conf(fx, "");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.parser_workers, CONF_PARSER_WORKERS);
	assert_int_equal(c.parser_deadline_ms, CONF_PARSER_DEADLINE_MS);
	assert_int_equal(c.parser_max_jobs, CONF_PARSER_MAX_JOBS);
	assert_int_equal(c.batch_size, CONF_BATCH_SIZE);
	assert_int_equal(c.batch_max_ms, CONF_BATCH_MAX_MS);
	assert_int_equal(c.rescan_seconds, CONF_RESCAN_SECONDS);
	assert_string_equal(c.notice_from, CONF_NOTICE_FROM);
	snprintf(want, sizeof(want), "%s/var/Maildir", fx->dir);
	assert_string_equal(c.source.maildir_path, want);
	/* The audit key beside the pseudonym key when not named. */
	snprintf(want, sizeof(want), "%s/var/audit.key", fx->dir);
	assert_string_equal(c.audit_key_file, want);
	conf_free(&c);
	/* conf_free leaves the struct zeroed. */
	assert_null(c.source.maildir_path);
	assert_null(c.notice_from);
}

static void
test_parser_and_batch(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;

	write_conf(fx, "parser = { workers = 16; deadline_ms = 100;"
	    " max_jobs = 1000000; };\nbatch = { size = 1; max_ms = 0; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.parser_workers, 16);
	assert_int_equal(c.parser_deadline_ms, 100);
	assert_int_equal(c.parser_max_jobs, 1000000);
	assert_int_equal(c.batch_size, 1);
	assert_int_equal(c.batch_max_ms, 0);
	conf_free(&c);

	write_conf(fx, "parser = { workers = 3; };\nbatch = { size = 10000;"
	    " max_ms = 10000; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.parser_workers, 3);
	assert_int_equal(c.parser_deadline_ms, CONF_PARSER_DEADLINE_MS);
	assert_int_equal(c.batch_size, 10000);
	assert_int_equal(c.batch_max_ms, 10000);
	conf_free(&c);
}

static void
test_ranges_refused(void **state)
{
	static const struct {
		const char	*extra;
		const char	*want;
	} cases[] = {
		{ "parser = { workers = 0; };\n",
		    "balp.conf:6: 'workers' must be between 1 and 16, not 0" },
		{ "parser = { workers = 17; };\n",
		    "balp.conf:6: 'workers' must be between 1 and 16, not 17" },
		{ "parser = { deadline_ms = 99; };\n",
		    "balp.conf:6: 'deadline_ms' must be between 100 and"
		    " 600000" },
		{ "parser = { deadline_ms = 600001; };\n",
		    "balp.conf:6: 'deadline_ms' must be between 100 and"
		    " 600000" },
		{ "parser = { max_jobs = 0; };\n",
		    "balp.conf:6: 'max_jobs' must be between 1 and 1000000" },
		{ "parser = { max_jobs = 1000001; };\n",
		    "balp.conf:6: 'max_jobs' must be between 1 and 1000000" },
		{ "parser = { workers = -1; };\n",
		    "balp.conf:6: 'workers' must be between 1 and 16, not -1" },
		{ "parser = { workers = 5000000000L; };\n",
		    "balp.conf:6: 'workers' must be between 1 and 16" },
		{ "parser = { workers = \"2\"; };\n",
		    "balp.conf:6: 'workers' must be an integer" },
		{ "batch = { size = 0; };\n",
		    "balp.conf:6: 'size' must be between 1 and 10000, not 0" },
		{ "batch = { size = 10001; };\n",
		    "balp.conf:6: 'size' must be between 1 and 10000" },
		{ "batch = { max_ms = -1; };\n",
		    "balp.conf:6: 'max_ms' must be between 0 and 10000" },
		{ "batch = { max_ms = 10001; };\n",
		    "balp.conf:6: 'max_ms' must be between 0 and 10000" },
		{ "batch = { max_ms = 1.5; };\n",
		    "balp.conf:6: 'max_ms' must be an integer" },
		{ "\nparser = { workrs = 2; };\n",
		    "balp.conf:7: unknown setting 'workrs' in parser" },
		{ "batch = { size = 1; fsync = false; };\n",
		    "balp.conf:6: unknown setting 'fsync' in batch" },
		{ "parser = 4;\n", "balp.conf:6: 'parser' must be a group" },
		{ "batch = [ 1 ];\n", "balp.conf:6: 'batch' must be a group" },
		{ "workers = 2;\n", "balp.conf:6: unknown setting 'workers'"
		    " in the configuration" },
	};
	struct fx *fx = *state;
	struct balp_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(fx, cases[i].extra);
		load(fx, 0, cases[i].want, &c);
	}
}

/* An old config that names parse_in_child is refused, saying why. */
static void
test_parse_in_child_retired(void **state)
{
	static const char *const values[] = { "true", "false" };
	struct fx *fx = *state;
	struct balp_conf c;
	char extra[128];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(extra, sizeof(extra), "limits = {\n\tmax_parts = 10;\n"
		    "\tparse_in_child = %s;\n};\n", values[i]);
		write_conf(fx, extra);
		load(fx, 0, "balp.conf:8: 'parse_in_child' is no longer a"
		    " setting: the parser always runs isolated", &c);
	}
	/* Elsewhere it is just unknown. */
	write_conf(fx, "parse_in_child = false;\n");
	load(fx, 0, "balp.conf:6: unknown setting 'parse_in_child' in the"
	    " configuration", &c);
}

/* No setting of the shipped config may turn isolation off. */
static void
test_shipped_conf_names_no_isolation_switch(void **state)
{
	FILE *fp;
	char line[512];

	(void)state;
	fp = fopen(BALP_SRCDIR "/conf/balp.conf", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		assert_null(strstr(line, "parse_in_child"));
	fclose(fp);
}

/* Writes a config whose source group (line 3) is src. */
static void
write_source(const struct fx *fx, const char *src)
{
	FILE *fp = fopen(fx->path, "w");

	assert_non_null(fp);
	fprintf(fp, "rules = \"%s\";\nstore = { path = \"a\"; key_file ="
	    " \"k\"; };\nsource = { %s };\n"
	    "trusted_authserv_ids = [ \"mx.caf.test\" ];\n", RULES, src);
	fclose(fp);
}

static void
test_source_kinds(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	char want[256];

	write_source(fx, "kind = \"pop3\"; path = \"m\";");
	load(fx, 0, "balp.conf:3: unknown source kind 'pop3'", &c);

	/* IMAP: defaults by TLS mode, paths resolved, checks at file:line. */
	write_source(fx, "kind = \"imap\"; host = \"imap.caf.test\";"
	    " user = \"balp@caf.test\"; password_file = \"var/imap.pass\";");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.source.kind, SOURCE_IMAP);
	assert_string_equal(c.source.host, "imap.caf.test");
	assert_int_equal(c.source.tls, TLS_IMPLICIT);
	assert_int_equal(c.source.port, 993);
	assert_string_equal(c.source.inbox, "INBOX");
	assert_null(c.source.ca_file);
	assert_null(c.source.maildir_path);
	snprintf(want, sizeof(want), "%s/var/imap.pass", fx->dir);
	assert_string_equal(c.source.password_file, want);
	conf_free(&c);

	write_source(fx, "kind = \"imap\"; host = \"imap.caf.test\";"
	    " tls = \"starttls\"; ca_file = \"ca.pem\"; inbox = \"BALP\";"
	    " user = \"u\"; password_file = \"p\"; timeout_seconds = 10;");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.source.tls, TLS_STARTTLS);
	assert_int_equal(c.source.port, 143);
	assert_int_equal(c.source.timeout_seconds, 10);
	assert_string_equal(c.source.inbox, "BALP");
	snprintf(want, sizeof(want), "%s/ca.pem", fx->dir);
	assert_string_equal(c.source.ca_file, want);
	conf_free(&c);

	write_source(fx, "kind = \"imap\"; host = \"127.0.0.1\"; port = 1143;"
	    " tls = \"none\"; user = \"u\"; password_file = \"p\";");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.source.tls, TLS_NONE);
	assert_int_equal(c.source.port, 1143);
	conf_free(&c);

	/* A password in clear over a network: refused. */
	write_source(fx, "kind = \"imap\"; host = \"imap.caf.test\";"
	    " tls = \"none\"; user = \"u\"; password_file = \"p\";");
	load(fx, 0, "balp.conf:3: tls = \"none\" is only allowed for a "
	    "loopback host", &c);
	write_source(fx, "kind = \"imap\"; host = \"h\"; tls = \"ssl\";"
	    " user = \"u\"; password_file = \"p\";");
	load(fx, 0, "balp.conf:3: unknown tls 'ssl'", &c);
	write_source(fx, "kind = \"imap\"; host = \"h\"; user = \"u\";");
	load(fx, 0, "balp.conf:3: missing setting 'password_file'", &c);
	write_source(fx, "kind = \"imap\"; user = \"u\"; password_file ="
	    " \"p\";");
	load(fx, 0, "balp.conf:3: missing setting 'host'", &c);
	write_source(fx, "kind = \"imap\"; host = \"h\"; user = \"u\";"
	    " password_file = \"p\"; port = 70000;");
	load(fx, 0, "balp.conf:3: 'port'", &c);
	write_source(fx, "kind = \"imap\"; host = \"h\"; user = \"u\";"
	    " password_file = \"p\"; path = \"m\";");
	load(fx, 0, "balp.conf:3: unknown setting 'path'", &c);
	write_source(fx, "kind = \"maildir\"; path = \"m\"; host = \"h\";");
	load(fx, 0, "balp.conf:3: unknown setting 'host'", &c);
}

/* source_open() opens what the conf names, and says so when it cannot. */
static void
test_source_open(void **state)
{
	struct fx *fx = *state;
	struct source_conf sc;
	struct source src;
	struct buf err = BUF_INIT;
	char root[128];

	snprintf(root, sizeof(root), "%s/Maildir", fx->dir);
	memset(&sc, 0, sizeof(sc));
	sc.kind = SOURCE_MAILDIR;
	sc.maildir_path = root;
	memset(&src, 0, sizeof(src));
	assert_int_equal(source_open(&sc, 0, &src, &err), -1);
	assert_non_null(strstr(buf_str(&err), "is not a Maildir"));
	assert_null(src.ops);
	buf_reset(&err);
	assert_int_equal(source_create(&sc, &err), 0);
	assert_int_equal(source_open(&sc, 1, &src, &err), 0);
	assert_string_equal(src.ops->name, "maildir");
	assert_true(src.ops->watch_fd(src.state) >= 0);
	src.ops->close(src.state);

	/* IMAP without a server: refused with a reason, nothing opened. */
	sc.kind = SOURCE_IMAP;
	buf_reset(&err);
	assert_int_equal(source_open(&sc, 0, &src, &err), -1);
	assert_non_null(strstr(buf_str(&err), "needs host"));
	buf_free(&err);
}

/* ---- smtp and notices (the notifier's relay) ---------------------------- */

static void
write_file(const struct fx *fx, const char *name, const char *text,
    mode_t mode)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_smtp_section(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	char want[256];

	/* No section: no relay, notices wait; the hourly cap's default. */
	write_conf(fx, "");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.has_smtp, 0);
	assert_int_equal(c.notices_per_hour, CONF_NOTICES_PER_HOUR);
	assert_int_equal(c.notices_acknowledge, 0);
	assert_non_null(c.rules.notices.ack_subject);
	assert_non_null(c.rules.notices.ack_body);
	conf_free(&c);
	write_conf(fx, "notices = { acknowledge = true; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.notices_acknowledge, 1);
	conf_free(&c);

	/* Defaults: STARTTLS on 587, the system store, no AUTH. */
	write_conf(fx, "smtp = { host = \"relay.caf.test\"; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.has_smtp, 1);
	assert_string_equal(c.smtp.host, "relay.caf.test");
	assert_int_equal(c.smtp.tls, TLS_STARTTLS);
	assert_int_equal(c.smtp.port, 587);
	assert_null(c.smtp.user);
	assert_null(c.smtp.password_file);
	assert_null(c.smtp.ca_file);
	assert_int_equal(c.smtp.timeout, SMTP_TIMEOUT_DEFAULT);
	conf_free(&c);

	write_conf(fx, "smtp = { host = \"relay.caf.test\"; tls = \"smtps\";"
	    " };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.smtp.tls, TLS_IMPLICIT);
	assert_int_equal(c.smtp.port, 465);
	conf_free(&c);

	/* Everything given; relative paths against the config's folder. */
	write_file(fx, "smtp.pass", "s3cret\n", 0600);
	write_file(fx, "ca.pem", "x\n", 0644);
	write_conf(fx, "smtp = { host = \"relay.caf.test\"; port = 2525;"
	    " tls = \"starttls\"; user = \"balp\";"
	    " password_file = \"smtp.pass\"; ca_file = \"ca.pem\";"
	    " from = \"notices@caf.test\"; timeout = 5; };\n"
	    "notices = { max_per_sender_hour = 3; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.smtp.port, 2525);
	assert_string_equal(c.smtp.user, "balp");
	snprintf(want, sizeof(want), "%s/smtp.pass", fx->dir);
	assert_string_equal(c.smtp.password_file, want);
	snprintf(want, sizeof(want), "%s/ca.pem", fx->dir);
	assert_string_equal(c.smtp.ca_file, want);
	assert_string_equal(c.notice_from, "notices@caf.test");
	assert_int_equal(c.smtp.timeout, 5);
	assert_int_equal(c.notices_per_hour, 3);
	conf_free(&c);

	/* Plain text to this machine only. */
	write_conf(fx, "smtp = { host = \"127.0.0.1\"; tls = \"none\"; };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.smtp.tls, TLS_NONE);
	assert_int_equal(c.smtp.port, 25);
	conf_free(&c);
}

static void
test_smtp_refused(void **state)
{
	static const struct {
		const char	*extra;
		const char	*want;
	} cases[] = {
		{ "smtp = { port = 25; };\n",
		    "balp.conf:6: missing setting 'host'" },
		{ "smtp = { host = \"relay.caf.test\"; tls = \"ssl\"; };\n",
		    "balp.conf:6: unknown tls 'ssl'" },
		{ "smtp = { host = \"relay.caf.test\"; tls = \"none\"; };\n",
		    "balp.conf:6: tls \"none\" is only allowed for a relay on"
		    " this machine" },
		{ "smtp = { host = \"relay.caf.test\"; port = 0; };\n",
		    "balp.conf:6: 'port' must be between 1 and 65535, not 0" },
		{ "smtp = { host = \"relay.caf.test\"; port = 65536; };\n",
		    "balp.conf:6: 'port' must be between 1 and 65535" },
		{ "smtp = { host = \"relay.caf.test\"; timeout = 0; };\n",
		    "balp.conf:6: 'timeout' must be between 1 and 600" },
		{ "smtp = { host = \"relay caf\"; };\n",
		    "balp.conf:6: 'host' must be a host name or an address" },
		{ "smtp = { host = \"\"; };\n",
		    "balp.conf:6: 'host' must be a host name or an address" },
		{ "smtp = { host = \"relay.caf.test\"; hots = 1; };\n",
		    "balp.conf:6: unknown setting 'hots' in smtp" },
		{ "smtp = { host = \"relay.caf.test\"; user = \"balp\"; };\n",
		    "balp.conf:6: 'user' needs a 'password_file'" },
		{ "smtp = { host = \"relay.caf.test\";"
		    " password_file = \"smtp.pass\"; };\n",
		    "balp.conf:6: 'password_file' without a 'user'" },
		{ "smtp = { host = \"localhost\"; tls = \"none\";"
		    " user = \"balp\"; password_file = \"smtp.pass\"; };\n",
		    "balp.conf:6: AUTH needs tls \"smtps\" or \"starttls\"" },
		{ "smtp = { host = \"relay.caf.test\";"
		    " ca_file = \"nowhere.pem\"; };\n",
		    "balp.conf:6: cannot read ca_file" },
		{ "smtp = \"relay.caf.test\";\n",
		    "balp.conf:6: 'smtp' must be a group" },
		{ "notices = { from = \"a@caf.test\"; };\n"
		    "smtp = { host = \"relay.caf.test\"; from = \"b@caf.test\";"
		    " };\n",
		    "balp.conf:7: 'from' is also set in notices" },
		{ "notices = { from = \"x@caf.test>\\r\\nBcc: y@z\"; };\n",
		    "balp.conf:6: 'from' must be a plain address" },
		{ "notices = { max_per_sender_hour = 0; };\n",
		    "balp.conf:6: 'max_per_sender_hour' must be between 1 and"
		    " 10000" },
		{ "notices = { acknowledge = 1; };\n",
		    "balp.conf:6: 'acknowledge' must be true or false" },
		{ "notices = { acknowledged = true; };\n",
		    "balp.conf:6: unknown setting 'acknowledged' in notices" },
	};
	struct fx *fx = *state;
	struct balp_conf c;
	size_t i;

	write_file(fx, "smtp.pass", "s3cret\n", 0600);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(fx, cases[i].extra);
		load(fx, 0, cases[i].want, &c);
	}
}

/*
 * The password file is not read at load: balpctl, which loads this file
 * and never sends mail, must not need it (a missing or too open file).
 * Who sends mail checks it with smtp_check_password, naming the file.
 */
static void
test_smtp_password_mode(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	struct buf err = BUF_INIT;
	static const char extra[] = "smtp = { host = \"relay.caf.test\";"
	    " user = \"balp\"; password_file = \"smtp.pass\"; };\n";

	write_conf(fx, extra);
	load(fx, 1, NULL, &c);		/* no file at all */
	assert_int_equal(smtp_check_password(&c.smtp, &err), -1);
	assert_non_null(strstr(buf_str(&err), "smtp.pass: cannot open the "
	    "password file"));
	conf_free(&c);
	buf_reset(&err);
	write_file(fx, "smtp.pass", "s3cret\n", 0644);
	load(fx, 1, NULL, &c);
	assert_int_equal(smtp_check_password(&c.smtp, &err), -1);
	assert_non_null(strstr(buf_str(&err), "smtp.pass: password file mode "
	    "0644 lets group or others read or write it (chmod 600)"));
	assert_null(strstr(buf_str(&err), "s3cret"));
	conf_free(&c);
	buf_reset(&err);
	write_file(fx, "smtp.pass", "", 0600);
	load(fx, 1, NULL, &c);
	assert_int_equal(smtp_check_password(&c.smtp, &err), -1);
	assert_non_null(strstr(buf_str(&err), "the password file is empty"));
	conf_free(&c);
	buf_reset(&err);
	write_file(fx, "smtp.pass", "s3cret\n", 0600);
	load(fx, 1, NULL, &c);
	assert_int_equal(smtp_check_password(&c.smtp, &err), 0);
	conf_free(&c);
	buf_free(&err);
}

/* No group sla: 10 working days for every queue, none of its own. */
static void
test_sla_defaults(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;

	write_conf(fx, "");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.sla.working_days, CONF_SLA_WORKING_DAYS);
	assert_int_equal(CONF_SLA_WORKING_DAYS, 10);
	assert_int_equal(c.sla.n_per_queue, 0);
	assert_int_equal(conf_sla_days(&c, "BALP/RIB"), 10);
	assert_int_equal(conf_sla_days(&c, "BALP/Quarantaine"), 10);
	assert_int_equal(conf_sla_days(&c, NULL), 10);
	conf_free(&c);
	assert_null(c.sla.per_queue);
}

static void
test_sla_per_queue(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;

	write_conf(fx, "sla = {\n\tworking_days = 8;\n\tper_queue = (\n"
	    "\t\t{ queue = \"BALP/Suspension\"; working_days = 15; },\n"
	    "\t\t{ queue = \"BALP/Rejets\"; working_days = 0; }\n\t);\n};\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.sla.working_days, 8);
	assert_int_equal(c.sla.n_per_queue, 2);
	assert_string_equal(c.sla.per_queue[0].queue, "BALP/Suspension");
	assert_int_equal(conf_sla_days(&c, "BALP/Suspension"), 15);
	assert_int_equal(conf_sla_days(&c, "BALP/Rejets"), 0);
	assert_int_equal(conf_sla_days(&c, "BALP/RIB"), 8);
	/* Folder names are compared exactly, as the mailbox does. */
	assert_int_equal(conf_sla_days(&c, "balp/suspension"), 8);
	conf_free(&c);

	/* An empty list, and the default alone. */
	write_conf(fx, "sla = { per_queue = ( ); };\n");
	load(fx, 1, NULL, &c);
	assert_int_equal(c.sla.working_days, 10);
	assert_int_equal(c.sla.n_per_queue, 0);
	conf_free(&c);
}

static void
test_sla_refused(void **state)
{
	static const struct {
		const char	*extra;
		const char	*want;
	} cases[] = {
		{ "sla = 10;\n", "balp.conf:6: 'sla' must be a group" },
		{ "sla = { working_days = 10; jours_ouvres = 5; };\n",
		    "balp.conf:6: unknown setting 'jours_ouvres' in sla" },
		{ "sla = {\n\tworking_days = 261;\n};\n",
		    "balp.conf:7: 'working_days' must be between 0 and 260,"
		    " not 261" },
		{ "sla = { working_days = -1; };\n",
		    "balp.conf:6: 'working_days' must be between 0 and 260" },
		{ "sla = { working_days = \"10\"; };\n",
		    "balp.conf:6: 'working_days' must be an integer" },
		{ "sla = { per_queue = { queue = \"BALP/RIB\"; }; };\n",
		    "balp.conf:6: 'per_queue' must be a list" },
		{ "sla = { per_queue = ( \"BALP/RIB\" ); };\n",
		    "balp.conf:6: per_queue 1 must be a group" },
		{ "sla = { per_queue = (\n\t{ queue = \"BALP/RIB\"; }\n); };\n",
		    "balp.conf:7: missing setting 'working_days'" },
		{ "sla = { per_queue = (\n\t{ working_days = 3; }\n); };\n",
		    "balp.conf:7: missing setting 'queue'" },
		{ "sla = { per_queue = (\n\t{ queue = \"BALP/RIB\";"
		    " working_days = 5; days = 3; }\n); };\n",
		    "balp.conf:7: unknown setting 'days' in sla.per_queue" },
		{ "sla = { per_queue = (\n\t{ queue = \"BALP/RIB\";"
		    " working_days = 300; }\n); };\n",
		    "balp.conf:7: 'working_days' must be between 0 and 260" },
		/* A typo would leave BALP/Suspension on the default. */
		{ "sla = {\n\tper_queue = (\n\t\t{ queue ="
		    " \"BALP/Suspenssion\"; working_days = 15; }\n\t);\n};\n",
		    "balp.conf:8: sla.per_queue: 'BALP/Suspenssion' is none of"
		    " the rules' queues" },
		{ "sla = { per_queue = (\n\t{ queue = \"balp/rib\";"
		    " working_days = 5; }\n); };\n",
		    "balp.conf:7: sla.per_queue: 'balp/rib' is none of the"
		    " rules' queues" },
		{ "sla = { per_queue = (\n"
		    "\t{ queue = \"BALP/RIB\"; working_days = 5; },\n"
		    "\t{ queue = \"BALP/RIB\"; working_days = 6; }\n); };\n",
		    "balp.conf:8: queue 'BALP/RIB' is given twice in"
		    " sla.per_queue" },
		{ "sla = { digest_to = \"chefs@caf.test\"; };\n",
		    "balp.conf:6: 'digest_to' needs the smtp group" },
		{ "smtp = { host = \"relay.caf.test\"; };\n"
		    "sla = { digest_to = \"Chefs <chefs@caf.test>\"; };\n",
		    "balp.conf:7: 'digest_to' must be a plain address" },
		{ "smtp = { host = \"relay.caf.test\"; };\n"
		    "sla = { digest_to = \"chefs@caf.test\"; digest_hour = 24;"
		    " };\n", "balp.conf:7: 'digest_hour' must be between 0 and"
		    " 23" },
	};
	struct fx *fx = *state;
	struct balp_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(fx, cases[i].extra);
		load(fx, 0, cases[i].want, &c);
	}
}

/* The examples in the shipped configs, uncommented, load. */
static void
test_sla_shipped_example(void **state)
{
	static const char *const confs[] = { BALP_SRCDIR "/conf/balp.conf",
	    BALP_SRCDIR "/conf/balp-imap.conf" };
	struct fx *fx = *state;
	struct balp_conf c;
	char line[512];
	FILE *in, *out;
	size_t i, found;
	int in_sla;

	for (i = 0; i < 2; i++) {
		assert_non_null(in = fopen(confs[i], "r"));
		assert_non_null(out = fopen(fx->path, "w"));
		fprintf(out, "rules = \"%s\";\n"
		    "store = { path = \"var/balp.db\"; key_file ="
		    " \"var/k.key\"; };\n"
		    "source = { kind = \"maildir\"; path = \"var/Maildir\"; };\n"
		    "trusted_authserv_ids = [ \"mx.caf.test\" ];\n"
		    "smtp = { host = \"relay.caf.test\"; };\n", RULES);
		found = 0;
		in_sla = 0;
		while (fgets(line, sizeof(line), in) != NULL) {
			if (strncmp(line, "# sla = {", 9) == 0)
				in_sla = 1;
			if (!in_sla || strlen(line) < 2)
				continue;
			/* "# x" lines are the setting; "#\t# ..." its notes. */
			fputs(line + 2, out);
			found++;
			if (strncmp(line, "# };", 4) == 0)
				in_sla = 0;
		}
		fclose(in);
		assert_int_equal(fclose(out), 0);
		if (found < 3)
			fail_msg("%s: no commented sla example", confs[i]);
		load(fx, 1, NULL, &c);
		assert_int_equal(c.sla.working_days, 10);
		assert_true(c.sla.n_per_queue > 0);
		assert_string_equal(c.sla.digest_to,
		    "supervision-balp@caf.test");
		assert_int_equal(c.sla.digest_hour, 7);
		conf_free(&c);
	}
}

/* access.admin_group: unset by default, looked up when set. */
static void
test_access_group(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	struct group *gr = getgrgid(getegid());
	char extra[160];

	write_conf(fx, "");
	load(fx, 1, NULL, &c);
	assert_null(c.admin_group);
	assert_true(c.admin_gid == (gid_t)-1);
	conf_free(&c);
	/* An empty group is no setting at all. */
	write_conf(fx, "access = { };\n");
	load(fx, 1, NULL, &c);
	assert_null(c.admin_group);
	assert_true(c.admin_gid == (gid_t)-1);
	conf_free(&c);
	/* The process's own group surely exists; it is found by name. */
	assert_non_null(gr);
	snprintf(extra, sizeof(extra), "access = {\n  admin_group = \"%s\";"
	    "\n};\n", gr->gr_name);
	write_conf(fx, extra);
	load(fx, 1, NULL, &c);
	assert_string_equal(c.admin_group, gr->gr_name);
	assert_true(c.admin_gid == getegid());
	conf_free(&c);
	assert_null(c.admin_group);
}

static void
test_access_refused(void **state)
{
	static const struct {
		const char	*extra;
		const char	*want;
	} cases[] = {
		{ "access = { admin_groups = \"root\"; };\n",
		  ":6: unknown setting 'admin_groups' in access" },
		{ "access = { admin_group = \"root\"; user = \"x\"; };\n",
		  ":6: unknown setting 'user' in access" },
		{ "access = { admin_group = \"balp-no-such-group-x\"; };\n",
		  ":6: access.admin_group: no group 'balp-no-such-group-x' on"
		  " this system" },
		{ "access = { admin_group = \"\"; };\n",
		  ":6: access.admin_group: '' is not a group name" },
		{ "access = { admin_group = \"wheel staff\"; };\n",
		  ":6: access.admin_group: 'wheel staff' is not a group name" },
		{ "access = { admin_group = \"../root\"; };\n",
		  "is not a group name" },
		{ "access = { admin_group = 0; };\n",
		  ":6: 'admin_group' must be a string" },
		{ "access = \"root\";\n",
		  ":6: 'access' must be a group" },
		{ "\naccess = { admin_group = \"root\"; };\n"
		  "access = { admin_group = \"root\"; };\n",
		  ":8: " },
	};
	struct fx *fx = *state;
	struct balp_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(fx, cases[i].extra);
		load(fx, 0, cases[i].want, &c);
	}
}

/* ---- web: the console's group (issue 20) -------------------------------- */

static void
test_web_group(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	char want[200];

	write_conf(fx, "");
	load(fx, 1, NULL, &c);
	assert_string_equal(c.web.host, "127.0.0.1");
	assert_int_equal(c.web.port, 8080);
	assert_null(c.web.tls_cert_file);
	assert_int_equal(c.web.session_idle_minutes, 15);
	assert_int_equal(c.web.session_max_hours, 8);
	conf_free(&c);
	write_conf(fx, "web = { listen = \"[::1]:8443\"; "
	    "session_idle_minutes = 5; session_max_hours = 2; };\n");
	load(fx, 1, NULL, &c);
	assert_string_equal(c.web.host, "::1");
	assert_int_equal(c.web.port, 8443);
	assert_int_equal(c.web.session_idle_minutes, 5);
	assert_int_equal(c.web.session_max_hours, 2);
	conf_free(&c);
	/* Off the host with TLS; the files resolved beside the config. */
	write_conf(fx, "web = { listen = \"192.0.2.1:8443\"; "
	    "tls_cert_file = \"c.pem\"; tls_key_file = \"k.pem\"; };\n");
	load(fx, 1, NULL, &c);
	snprintf(want, sizeof(want), "%s/c.pem", fx->dir);
	assert_string_equal(c.web.tls_cert_file, want);
	conf_free(&c);
}

static void
test_web_refused(void **state)
{
	static const struct {
		const char	*extra;
		const char	*want;
	} cases[] = {
		{ "web = { listen = \"0.0.0.0:8080\"; };\n",
		  ":6: web.listen: '0.0.0.0' is not a loopback address: the "
		  "console needs TLS" },
		{ "web = { listen = \"localhost\"; };\n",
		  ":6: web.listen: 'localhost' is not HOST:PORT" },
		{ "web = { listen = \"127.0.0.1:0\"; };\n",
		  "is not HOST:PORT" },
		{ "web = { listen = \"127.0.0.1:65536\"; };\n",
		  "is not HOST:PORT" },
		{ "web = { listen = \"::1:8080\"; };\n",
		  "is not HOST:PORT" },
		{ "web = { listen = \"console.caf.test:8080\"; };\n",
		  "'console.caf.test' is not an address" },
		{ "web = { listen = \"127.0.0.1:8080\"; tls_cert_file = "
		  "\"c.pem\"; };\n",
		  ":6: web: 'tls_cert_file' and 'tls_key_file' go together" },
		{ "web = { session_idle_minutes = 0; };\n",
		  ":6: 'session_idle_minutes' must be between 1 and 1440" },
		{ "web = { session_max_hours = 25; };\n",
		  ":6: 'session_max_hours' must be between 1 and 24" },
		{ "web = { port = 8080; };\n",
		  ":6: unknown setting 'port' in web" },
		{ "web = \"127.0.0.1:8080\";\n",
		  ":6: 'web' must be a group" },
	};
	struct fx *fx = *state;
	struct balp_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(fx, cases[i].extra);
		load(fx, 0, cases[i].want, &c);
	}
}

/* ---- notices.rules: a text for every reason a notice can name ---------- */

/* The whole of a file, NUL-terminated; the caller frees it. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void
spit(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(s, fp);
	assert_int_equal(fclose(fp), 0);
}

/* The shipped notices have a text for each reason a notice may name. */
static void
test_notices_every_reason(void **state)
{
	struct balp_conf c;
	struct buf err = BUF_INIT;
	int code;

	(void)state;
	if (conf_load(BALP_SRCDIR "/conf/balp.conf", &c, &err) != 0)
		fail_msg("%s", buf_str(&err));
	buf_free(&err);
	for (code = 0; code < REASON_COUNT; code++)
		if (reason_notified(code) &&
		    c.rules.notices.reason[code] == NULL)
			fail_msg("no notice text for %s", reason_code(code));
	/* the quarantine's reasons reach a partner by release --notify */
	assert_true(reason_notified(REASON_MALFORMED));
	assert_true(reason_notified(REASON_AUTH_FAILED));
	assert_true(reason_notified(REASON_ATTACHMENT_FORBIDDEN));
	assert_false(reason_notified(REASON_AUTO_REPLY));
	conf_free(&c);
}

/*
 * A notices.rules without the text of one reason is refused, naming the
 * file, a line and the code: for every code of reason.h, so that a code
 * added later is checked without a change here.
 */
static void
test_notices_missing_reason_refused(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	char rules[160], notices[160], want[256], key[64], *text, *cut, *at,
	    *end;
	FILE *fp;
	int code, tried = 0;

	snprintf(rules, sizeof(rules), "%s/balp.rules", fx->dir);
	snprintf(notices, sizeof(notices), "%s/notices.rules", fx->dir);
	text = slurp(BALP_SRCDIR "/rules/balp.rules");
	spit(rules, text);
	free(text);
	fp = fopen(fx->path, "w");
	assert_non_null(fp);
	fprintf(fp, "rules = \"%s\";\n"
	    "store = { path = \"var/balp.db\"; key_file = \"var/k.key\"; };\n"
	    "source = { kind = \"maildir\"; path = \"var/Maildir\"; };\n"
	    "trusted_authserv_ids = [ \"mx.caf.test\" ];\n", rules);
	assert_int_equal(fclose(fp), 0);
	text = slurp(BALP_SRCDIR "/rules/notices.rules");
	for (code = 0; code < REASON_COUNT; code++) {
		if (!reason_notified(code))
			continue;
		snprintf(key, sizeof(key), "\t\t%s =", reason_code(code));
		if ((at = strstr(text, key)) == NULL)
			fail_msg("notices.rules has no %s", reason_code(code));
		end = strstr(at, "\";\n");
		assert_non_null(end);
		end += 3;
		cut = malloc(strlen(text) + 1);
		assert_non_null(cut);
		memcpy(cut, text, (size_t)(at - text));
		strcpy(cut + (at - text), end);
		spit(notices, cut);
		free(cut);
		snprintf(want, sizeof(want), "notices.rules:");
		load(fx, 0, want, &c);
		snprintf(want, sizeof(want), "no notice text for reason '%s'",
		    reason_code(code));
		load(fx, 0, want, &c);
		tried++;
	}
	free(text);
	assert_true(tried >= REASON_COUNT - 1);
}

/*
 * Errors in balp.rules and in the notices.rules it includes name their
 * file the same way (under the rules file's folder), and come in the
 * order of the files' lines, as balpd prints them at a reload too.
 */
static void
test_rules_errors_named_and_ordered(void **state)
{
	struct fx *fx = *state;
	struct balp_conf c;
	struct buf err = BUF_INIT;
	char rules[160], notices[160], prefix[200], *text, *at;
	const char *p, *nl;
	unsigned last = 0, line, n = 0;
	FILE *fp;

	snprintf(rules, sizeof(rules), "%s/balp.rules", fx->dir);
	snprintf(notices, sizeof(notices), "%s/notices.rules", fx->dir);
	text = slurp(BALP_SRCDIR "/rules/balp.rules");
	spit(rules, text);
	free(text);
	/* the text of too_recent renamed: an unknown code at its line, and
	 * too_recent missing at the line of 'reasons', above it */
	text = slurp(BALP_SRCDIR "/rules/notices.rules");
	assert_non_null(at = strstr(text, "\t\ttoo_recent ="));
	memcpy(at + 2, "too_recenX", 10);
	spit(notices, text);
	free(text);
	fp = fopen(fx->path, "w");
	assert_non_null(fp);
	fprintf(fp, "rules = \"%s\";\n"
	    "store = { path = \"var/balp.db\"; key_file = \"var/k.key\"; };\n"
	    "source = { kind = \"maildir\"; path = \"var/Maildir\"; };\n"
	    "trusted_authserv_ids = [ \"mx.caf.test\" ];\n", rules);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(conf_load(fx->path, &c, &err), -1);
	snprintf(prefix, sizeof(prefix), "%s:", notices);
	for (p = buf_str(&err); *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			fail_msg("not named as %s...: %.*s", prefix,
			    (int)(nl - p), p);
		line = (unsigned)strtoul(p + strlen(prefix), NULL, 10);
		if (line < last)
			fail_msg("line %u after line %u:\n%s", line, last,
			    buf_str(&err));
		last = line;
		n++;
		if (*nl == '\0')
			break;
	}
	assert_int_equal(n, 2);
	assert_non_null(strstr(buf_str(&err), "'too_recenX' is not a reason"));
	assert_non_null(strstr(buf_str(&err), "no notice text for reason "
	    "'too_recent'"));
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_conf),
		cmocka_unit_test(test_notices_every_reason),
		cmocka_unit_test_setup_teardown(
		    test_notices_missing_reason_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_rules_errors_named_and_ordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_web_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_web_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parser_and_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ranges_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parse_in_child_retired,
		    setup, teardown),
		cmocka_unit_test(test_shipped_conf_names_no_isolation_switch),
		cmocka_unit_test_setup_teardown(test_source_kinds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_source_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_smtp_section, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_smtp_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_smtp_password_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sla_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sla_per_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sla_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sla_shipped_example, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_access_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_access_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
