/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf - configuration and rules loading (see conf.h).
 *
 * libconfig does the syntax; these files do the meaning: types, ranges,
 * unknown settings, and file:line for every complaint.  Loading never stops
 * at the first error so that `balpctl rules check` lists them all.  Every
 * allocation is checked and a failed one is a load error: a NULL string
 * must reach neither a later "%s" nor a caller that trusts a loaded conf.
 *
 * This file holds conf_load(), the top-level groups and the checks across
 * groups; the whole features and the rules file have their own files, and
 * the helpers they share are in conf_loader.c (conf_priv.h lists them).
 */
#include "conf_priv.h"

#include "balp/store_purge.h"

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
conf_resolve(const char *dir, const char *p)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	const char *seg, *s;
	size_t len, cut;

	if (p[0] != '/') {
		buf_puts(&in, dir);
		buf_putc(&in, '/');
	}
	buf_puts(&in, p);
	if (in.failed) {
		buf_free(&in);
		return NULL;
	}
	s = buf_str(&in);
	while (*s != '\0') {
		while (*s == '/')
			s++;
		seg = s;
		while (*s != '\0' && *s != '/')
			s++;
		len = (size_t)(s - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			cut = out.len;
			while (cut > 0 && out.data[cut - 1] != '/')
				cut--;
			out.len = cut > 0 ? cut - 1 : 0;
			if (out.data != NULL)
				out.data[out.len] = '\0';
			continue;
		}
		buf_putc(&out, '/');
		buf_add(&out, seg, len);
	}
	if (out.len == 0)
		buf_putc(&out, '/');
	buf_free(&in);
	return buf_detach(&out);
}

int
conf_valid_folder(const char *name)
{
	const char *p;
	int seg = 0;

	if (name == NULL || *name == '\0' || *name == '/' ||
	    strlen(name) > 200)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '/') {
			if (seg == 0 || p[1] == '\0')
				return 0;
			seg = 0;
			continue;
		}
		/* Maildir++ maps '/' to '.': a '.' would create a level. */
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != ' ')
			return 0;
		seg++;
	}
	return 1;
}

/* 1 if path reads like a rules file (given to -c by mistake). */
static int
looks_like_rules(const char *path)
{
	char text[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strstr(text, "request_types") != NULL &&
	    strstr(text, "store") == NULL;
}

void
conf_free(struct balp_conf *c)
{
	size_t i;

	free(c->file);
	free(c->dir);
	free(c->rules_file);
	free(c->store_path);
	free(c->key_file);
	free(c->audit_key_file);
	free(c->admin_group);
	lmtp_conf_free(&c->lmtp);
	free(c->web.listen);
	free(c->web.host);
	free(c->web.tls_cert_file);
	free(c->web.tls_key_file);
	source_conf_free(&c->source);
	wordlist_free(&c->trusted_authserv_ids);
	wordlist_free(&c->public_suffixes);
	free(c->notice_from);
	smtp_conf_free(&c->smtp);
	for (i = 0; i < c->sla.n_per_queue; i++)
		free(c->sla.per_queue[i].queue);
	free(c->sla.per_queue);
	free(c->sla.digest_to);
	rules_free(&c->rules);
	memset(c, 0, sizeof(*c));
}

/* The file name beside path (same folder); NULL when out of memory. */
static char *
beside(const char *path, const char *name)
{
	struct buf b = BUF_INIT;
	const char *slash = strrchr(path, '/');

	if (slash != NULL)
		buf_add(&b, path, (size_t)(slash - path) + 1);
	buf_puts(&b, name);
	return buf_detach(&b);
}

static char *
absolute_dir_of(const char *path)
{
	char cwd[PATH_MAX], *dir, *slash, *abs;

	if ((dir = buf_strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else {
		free(dir);
		dir = buf_strdup(".");
	}
	if (dir != NULL && dir[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			free(dir);
			return NULL;
		}
		abs = conf_resolve(cwd, dir);
		free(dir);
		return abs;
	}
	abs = dir != NULL ? conf_resolve("/", dir) : NULL;
	free(dir);
	return abs;
}

/* The group "parser" { workers; deadline_ms; max_jobs; }. */
static void
load_parser(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const keys[] = { "workers", "deadline_ms",
	    "max_jobs", "breaker", NULL };

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g,
		    "'parser' must be a group { workers; deadline_ms;"
		    " max_jobs; breaker; }");
		return;
	}
	conf_check_keys(l, g, keys, "parser");
	conf_get_unsigned(l, g, "workers", 1, 16, &c->parser_workers);
	conf_get_unsigned(l, g, "deadline_ms", 100, 600000,
	    &c->parser_deadline_ms);
	conf_get_unsigned(l, g, "max_jobs", 1, 1000000, &c->parser_max_jobs);
	conf_get_unsigned(l, g, "breaker", 1, 1000, &c->parser_breaker);
}

/* The group "batch" { size; max_ms; }. */
static void
load_batch(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const keys[] = { "size", "max_ms", NULL };

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g, "'batch' must be a group { size; max_ms; }");
		return;
	}
	conf_check_keys(l, g, keys, "batch");
	conf_get_unsigned(l, g, "size", 1, 10000, &c->batch_size);
	conf_get_unsigned(l, g, "max_ms", 0, 10000, &c->batch_max_ms);
}

/*
 * The group "access" { admin_group; }, looked up now: a name that is no
 * group would lock every admin out, or leave the keys to whoever gets a
 * group of that name later.
 */
static void
load_access(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const keys[] = { "admin_group", NULL };
	const config_setting_t *s;
	struct group *gr;
	const char *p;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g, "'access' must be a group { admin_group = "
		    "\"balp-admin\"; }");
		return;
	}
	conf_check_keys(l, g, keys, "access");
	conf_get_string(l, g, "admin_group", 0, &c->admin_group);
	if (c->admin_group == NULL)
		return;
	s = conf_member(g, "admin_group");
	for (p = c->admin_group; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*c->admin_group == '\0' || *p != '\0' ||
	    strlen(c->admin_group) > 64) {
		conf_lerr(l, s, "access.admin_group: '%s' is not a group name",
		    c->admin_group);
		return;
	}
	if ((gr = getgrnam(c->admin_group)) == NULL) {
		conf_lerr(l, s,
		    "access.admin_group: no group '%s' on this system "
		    "(create it, or fix the name)", c->admin_group);
		return;
	}
	c->admin_gid = gr->gr_gid;
}

int
conf_load(const char *path, struct balp_conf *c, struct buf *err)
{
	static const char *const top[] = { "rules", "store", "source",
	    "trusted_authserv_ids", "public_suffixes", "limits", "parser",
	    "batch", "notices", "daemon", "smtp", "retention", "sla", "access",
	    "lmtp", "web", NULL };
	static const char *const store_keys[] = { "path", "key_file",
	    "audit_key_file", NULL };
	static const char *const limit_keys[] = { "max_mime_depth",
	    "max_parts", "max_text_bytes", "max_header_bytes", "max_scan_bytes",
	    NULL };
	static const char *const daemon_keys[] = { "rescan_seconds", NULL };
	static const char *const retention_keys[] = { "traces_months",
	    "habilitation_years", NULL };
	struct conf_loader l = { err, 0, path };
	size_t err_from = err->len;
	struct mime_limits defaults = MIME_LIMITS_DEFAULT;
	const config_setting_t *root, *g, *e;
	long long v;
	config_t cfg;
	size_t i;
	int rules_ok;

	memset(c, 0, sizeof(*c));
	rules_init(&c->rules);
	wordlist_init(&c->trusted_authserv_ids);
	wordlist_init(&c->public_suffixes);
	c->limits = defaults;
	c->parser_workers = CONF_PARSER_WORKERS;
	c->parser_deadline_ms = CONF_PARSER_DEADLINE_MS;
	c->parser_max_jobs = CONF_PARSER_MAX_JOBS;
	c->parser_breaker = CONF_PARSER_BREAKER;
	c->batch_size = CONF_BATCH_SIZE;
	c->batch_max_ms = CONF_BATCH_MAX_MS;
	c->rescan_seconds = CONF_RESCAN_SECONDS;
	c->retention_traces_months = STORE_PURGE_TRACES_MONTHS;
	c->retention_habilitation_years = STORE_PURGE_HABILITATION_YEARS;
	c->notices_per_hour = CONF_NOTICES_PER_HOUR;
	c->sla.working_days = CONF_SLA_WORKING_DAYS;
	c->sla.digest_hour = CONF_SLA_DIGEST_HOUR;
	c->admin_gid = (gid_t)-1;
	config_init(&cfg);
	if ((c->file = buf_strdup(path)) == NULL) {
		conf_lerr(&l, NULL, "out of memory");
		goto out;
	}
	if ((c->dir = absolute_dir_of(path)) == NULL) {
		conf_lerr(&l, NULL,
		    "cannot find the configuration's folder (out of"
		    " memory, or the working directory is gone)");
		goto out;
	}
	/* Without its folder, "@include" would read from the cwd. */
	config_set_include_dir(&cfg, c->dir);
	if (access(path, R_OK) == -1) {
		conf_lerr(&l, NULL, "cannot read the configuration file");
		goto out;
	}
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		conf_read_error(&l, &cfg, path);
		goto out;
	}
	root = config_root_setting(&cfg);
	conf_check_keys(&l, root, top, "the configuration");

	conf_get_path(&l, root, "rules", c->dir, &c->rules_file);

	if ((g = conf_member(root, "store")) == NULL)
		conf_lerr(&l, NULL,
		    "missing group 'store' { path; key_file; }");
	conf_check_keys(&l, g, store_keys, "store");
	conf_get_path(&l, g, "path", c->dir, &c->store_path);
	conf_get_path(&l, g, "key_file", c->dir, &c->key_file);
	if (conf_member(g, "audit_key_file") != NULL)
		conf_get_path(&l, g, "audit_key_file", c->dir,
		    &c->audit_key_file);
	else if (c->key_file != NULL &&
	    (c->audit_key_file = beside(c->key_file, "audit.key")) == NULL)
		conf_lerr(&l, NULL, "out of memory");

	conf_load_source(&l, conf_member(root, "source"), c);

	conf_get_words(&l, root, "trusted_authserv_ids", 1,
	    &c->trusted_authserv_ids);
	conf_get_words(&l, root, "public_suffixes", 0, &c->public_suffixes);

	if ((g = conf_member(root, "limits")) != NULL) {
		conf_check_keys(&l, g, limit_keys, "limits");
		v = (long long)c->limits.max_depth;
		conf_get_int(&l, g, "max_mime_depth", 1, 1000, &v);
		c->limits.max_depth = (size_t)v;
		v = (long long)c->limits.max_parts;
		conf_get_int(&l, g, "max_parts", 1, 100000, &v);
		c->limits.max_parts = (size_t)v;
		v = (long long)c->limits.max_text;
		conf_get_int(&l, g, "max_text_bytes", 1024, 16 << 20, &v);
		c->limits.max_text = (size_t)v;
		v = (long long)c->limits.max_header;
		conf_get_int(&l, g, "max_header_bytes", 1024, 16 << 20, &v);
		c->limits.max_header = (size_t)v;
		v = (long long)c->limits.max_scan_bytes;
		conf_get_int(&l, g, "max_scan_bytes", 1 << 20, 256LL << 20, &v);
		c->limits.max_scan_bytes = (size_t)v;
	}
	c->source.scan_budget = c->limits.max_scan_bytes;
	c->source.text_max = c->limits.max_text;
	load_parser(&l, conf_member(root, "parser"), c);
	load_batch(&l, conf_member(root, "batch"), c);
	conf_load_smtp(&l, root, c);
	if ((g = conf_member(root, "retention")) != NULL) {
		conf_check_keys(&l, g, retention_keys, "retention");
		conf_get_unsigned(&l, g, "traces_months", 1, 1200,
		    &c->retention_traces_months);
		conf_get_unsigned(&l, g, "habilitation_years", 1, 100,
		    &c->retention_habilitation_years);
	}
	load_access(&l, conf_member(root, "access"), c);
	conf_load_lmtp(&l, conf_member(root, "lmtp"), c);
	conf_load_web(&l, conf_member(root, "web"), c);
	if ((g = conf_member(root, "daemon")) != NULL) {
		conf_check_keys(&l, g, daemon_keys, "daemon");
		v = c->rescan_seconds;
		conf_get_int(&l, g, "rescan_seconds", 1, 86400, &v);
		c->rescan_seconds = (int)v;
	}
	e = conf_member(root, "trusted_authserv_ids");
	for (i = 0; i < c->trusted_authserv_ids.n; i++)
		if (strchr(c->trusted_authserv_ids.v[i], ' ') != NULL)
			conf_lerr(&l, e, "authserv-id '%s' contains a space",
			    c->trusted_authserv_ids.v[i]);
	rules_ok = c->rules_file != NULL &&
	    conf_load_rules(&l, c->rules_file, &c->rules) == 0;
	conf_load_sla(&l, conf_member(root, "sla"), c, rules_ok);
	if (rules_ok)
		c->lmtp.max_size = c->rules.max_message_size;
	if (c->sla.digest_to != NULL && !c->has_smtp)
		conf_lerr(&l, conf_member(conf_member(root, "sla"),
		    "digest_to"),
		    "'digest_to' needs the smtp group: the digest is mailed "
		    "through the relay");
	if (c->rules_file != NULL && c->notices_acknowledge &&
	    c->rules.notices.ack_body == NULL && l.errors == 0)
		conf_lerr(&l, conf_member(conf_member(root, "notices"),
		    "acknowledge"),
		    "'acknowledge' needs notices.acknowledgment { subject;"
		    " body; } in the rules");
	/* Below it, a message the rules accept could not be read whole and
	 * would be quarantined as not inspected. */
	if (c->rules_file != NULL && l.errors == 0 &&
	    c->limits.max_scan_bytes < c->rules.max_message_size)
		conf_lerr(&l, conf_member(conf_member(root, "limits"),
		    "max_scan_bytes"),
		    "'max_scan_bytes' (%zu) is below the rules'"
		    " max_message_size (%llu): every acceptable message must be"
		    " inspected whole", c->limits.max_scan_bytes,
		    (unsigned long long)c->rules.max_message_size);
out:
	config_destroy(&cfg);
	if (l.errors > 0)
		conf_sort_errors(err, err_from);
	if (l.errors > 0) {
		if (looks_like_rules(path))
			buf_printf(err, "%s: this is a rules file: -c takes the"
			    " configuration that names it (conf/balp.conf)\n",
			    path);
		conf_free(c);
		return -1;
	}
	return 0;
}
