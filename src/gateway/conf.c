/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf - configuration and rules loading (see conf.h).
 *
 * libconfig does the syntax; this file does the meaning: types, ranges,
 * unknown settings, and file:line for every complaint.  Loading never stops
 * at the first error so that `balpctl rules check` lists them all.  Every
 * allocation is checked and a failed one is a load error: a NULL string
 * must reach neither a later "%s" nor a caller that trusts a loaded conf.
 */
#include "balp/conf.h"
#include "balp/store_purge.h"
#include "balp/notice.h"
#include "balp/reason.h"
#include "balp/text.h"

#include <ctype.h>
#include <grp.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct loader {
	struct buf	*err;
	int		 errors;
	const char	*file;	/* fallback when libconfig knows none */
};

static void
lerr(struct loader *l, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A file an error names, as its including file is named: libconfig gives
 * an @include'd file (notices.rules) by its name in the @include, and the
 * rules file by its path; both appear under the rules file's folder.
 */
static void
put_file(struct buf *b, const struct loader *l, const char *file)
{
	const char *slash;

	if (file == NULL)
		file = l->file;
	if (file[0] != '/' && strcmp(file, l->file) != 0 &&
	    (slash = strrchr(l->file, '/')) != NULL)
		buf_printf(b, "%.*s/", (int)(slash - l->file), l->file);
	buf_puts(b, file);
}

static void
lerr(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = NULL;
	unsigned line = 0;
	va_list ap;

	if (s != NULL) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	put_file(l->err, l, file);
	if (line > 0)
		buf_printf(l->err, ":%u: ", line);
	else
		buf_puts(l->err, ": ");
	va_start(ap, fmt);
	buf_vprintf(l->err, fmt, ap);
	va_end(ap);
	buf_putc(l->err, '\n');
	l->errors++;
}

/* One line of the errors, and where it points. */
struct err_line {
	const char	*text;
	size_t		 len;		/* '\n' included */
	size_t		 file_len;	/* of "FILE" in "FILE:LINE: " */
	unsigned	 line;		/* 0: no line */
	size_t		 file_rank;	/* order of FILE's first error */
	size_t		 index;		/* order written: ties stay so */
};

static int
by_place(const void *a, const void *b)
{
	const struct err_line *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The errors written to b from byte from on, in the order of the files'
 * lines (file by file, in the order each file first had one): checks run
 * setting by setting, not line by line, and an admin fixes a file from
 * the top.
 */
static void
sort_errors(struct buf *b, size_t from)
{
	struct err_line *v = NULL;
	struct buf out = BUF_INIT;
	const char *p, *end, *nl, *c;
	size_t n = 0, cap = 0, i, k;

	if (b->failed || b->len <= from)
		return;
	for (p = b->data + from, end = b->data + b->len; p < end; p = nl) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		else
			nl++;
		if (n == cap) {
			struct err_line *nv;

			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				return;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].text = p;
		v[n].len = (size_t)(nl - p);
		v[n].index = n;
		/* "FILE:LINE: ": the first ':' followed by digits and ':' */
		for (c = p; c < nl && (c = memchr(c, ':', (size_t)(nl - c))) !=
		    NULL; c++) {
			const char *d = c + 1;
			unsigned line = 0;

			while (d < nl && *d >= '0' && *d <= '9' && line < 10000000)
				line = line * 10 + (unsigned)(*d++ - '0');
			if (d > c + 1 && d < nl && *d == ':') {
				v[n].file_len = (size_t)(c - p);
				v[n].line = line;
				break;
			}
		}
		if (c == NULL || c >= nl)
			v[n].file_len = (c = memchr(p, ':', v[n].len)) != NULL ?
			    (size_t)(c - p) : 0;
		v[n].file_rank = n;
		for (k = 0; k < n; k++)
			if (v[k].file_len == v[n].file_len &&
			    memcmp(v[k].text, p, v[n].file_len) == 0) {
				v[n].file_rank = v[k].file_rank;
				break;
			}
		n++;
	}
	qsort(v, n, sizeof(*v), by_place);
	for (i = 0; i < n; i++)
		buf_add(&out, v[i].text, v[i].len);
	if (!out.failed && out.len == b->len - from)
		memcpy(b->data + from, out.data, out.len);
	buf_free(&out);
	free(v);
}

/*
 * Settings that existed once and are refused now, like any unknown one,
 * but with the reason: an old config must not run believing it still
 * controls what it names.
 */
static const struct retired {
	const char	*group;		/* check_keys()'s "what" */
	const char	*name;
	const char	*why;
} retired[] = {
	{ "limits", "parse_in_child", "the parser always runs isolated in a"
	    " child process now; remove this setting" },
};

/* Reports every member of group whose name is not in allowed (NULL-ended). */
static void
check_keys(struct loader *l, const config_setting_t *group,
    const char *const *allowed, const char *what)
{
	const config_setting_t *m;
	const char *name;
	size_t r;
	int i, k, ok;

	if (group == NULL || !config_setting_is_group(group))
		return;
	for (i = 0; (m = config_setting_get_elem(group, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(m);
		ok = 0;
		for (k = 0; allowed[k] != NULL; k++)
			if (name != NULL && strcmp(name, allowed[k]) == 0)
				ok = 1;
		if (ok)
			continue;
		for (r = 0; r < sizeof(retired) / sizeof(retired[0]); r++)
			if (name != NULL &&
			    strcmp(what, retired[r].group) == 0 &&
			    strcmp(name, retired[r].name) == 0)
				break;
		if (r < sizeof(retired) / sizeof(retired[0]))
			lerr(l, m, "'%s' is no longer a setting: %s", name,
			    retired[r].why);
		else
			lerr(l, m, "unknown setting '%s' in %s",
			    name ? name : "?", what);
	}
}

static const config_setting_t *
member(const config_setting_t *g, const char *name)
{
	return g != NULL ? config_setting_get_member(g, name) : NULL;
}

/*
 * A string member, duplicated into *out.  Missing: an error if required,
 * else *out is left alone (callers preset defaults).
 */
static void
get_string(struct loader *l, const config_setting_t *g, const char *name,
    int required, char **out)
{
	const config_setting_t *s = member(g, name);
	const char *v;

	if (s == NULL) {
		if (required)
			lerr(l, g, "missing setting '%s'", name);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    (v = config_setting_get_string(s)) == NULL) {
		lerr(l, s, "'%s' must be a string", name);
		return;
	}
	free(*out);
	if ((*out = buf_strdup(v)) == NULL)
		lerr(l, s, "out of memory");
}

static void
get_int(struct loader *l, const config_setting_t *g, const char *name,
    long long lo, long long hi, long long *out)
{
	const config_setting_t *s = member(g, name);
	long long v;

	if (s == NULL)
		return;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		break;
	default:
		lerr(l, s, "'%s' must be an integer", name);
		return;
	}
	if (v < lo || v > hi) {
		lerr(l, s, "'%s' must be between %lld and %lld, not %lld", name,
		    lo, hi, v);
		return;
	}
	*out = v;
}

/* An integer setting into an unsigned, within lo..hi. */
static void
get_unsigned(struct loader *l, const config_setting_t *g, const char *name,
    unsigned lo, unsigned hi, unsigned *out)
{
	long long v = *out;

	get_int(l, g, name, lo, hi, &v);
	*out = (unsigned)v;
}

static void
get_bool(struct loader *l, const config_setting_t *g, const char *name,
    int *out)
{
	const config_setting_t *s = member(g, name);

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		lerr(l, s, "'%s' must be true or false", name);
		return;
	}
	*out = config_setting_get_bool(s);
}

/*
 * A size in bytes: an integer, or a string "15M", "15 Mo", "512K", "1G".
 */
static void
get_size(struct loader *l, const config_setting_t *g, const char *name,
    uint64_t *out)
{
	const config_setting_t *s = member(g, name);
	const char *v;
	char *end;
	unsigned long long n, mult = 1;

	if (s == NULL)
		return;
	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long ll = config_setting_get_int64(s);

		if (config_setting_type(s) == CONFIG_TYPE_INT)
			ll = config_setting_get_int(s);
		if (ll <= 0) {
			lerr(l, s, "'%s' must be a positive size", name);
			return;
		}
		*out = (uint64_t)ll;
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		lerr(l, s, "'%s' must be a size such as \"15M\"", name);
		return;
	}
	v = config_setting_get_string(s);
	n = strtoull(v, &end, 10);
	while (*end == ' ')
		end++;
	switch (toupper((unsigned char)*end)) {
	case 'K':
		mult = 1024;
		end++;
		break;
	case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	}
	if (*end == 'o' || *end == 'B' || *end == 'b')
		end++;
	if (end == v || *end != '\0' || n == 0 || n > (1ULL << 40) / mult) {
		lerr(l, s, "'%s': \"%s\" is not a size such as \"15M\"", name, v);
		return;
	}
	*out = n * mult;
}

/* A list or array of strings into a wordlist (folded). */
static void
get_words(struct loader *l, const config_setting_t *g, const char *name,
    int required, struct wordlist *w)
{
	const config_setting_t *s = member(g, name), *e;
	const char *v;
	int i;

	if (s == NULL) {
		if (required)
			lerr(l, g, "missing setting '%s'", name);
		return;
	}
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		lerr(l, s, "'%s' must be a list of strings [\"a\", \"b\"]", name);
		return;
	}
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL; i++) {
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    (v = config_setting_get_string(e)) == NULL) {
			lerr(l, e, "'%s': element %d must be a string", name,
			    i + 1);
			continue;
		}
		if (*v == '\0') {
			lerr(l, e, "'%s': element %d is empty", name, i + 1);
			continue;
		}
		if (wordlist_add(w, v) == -1)
			lerr(l, e, "out of memory");
	}
	if (required && w->n == 0)
		lerr(l, s, "'%s' must not be empty", name);
}

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

static int
valid_type_id(const char *id)
{
	const char *p;

	if (*id == '\0' || strlen(id) > 40)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/*
 * The file named by the @include on line `line` of file (caller frees),
 * or NULL: libconfig says it cannot open an include file, not which.
 */
static char *
include_named(const char *file, int line)
{
	char text[4096], *q, *end;
	FILE *fp;
	int n = 0;

	if (line <= 0 || (fp = fopen(file, "r")) == NULL)
		return NULL;
	while (fgets(text, sizeof(text), fp) != NULL && ++n < line)
		;
	fclose(fp);
	if (n != line || strstr(text, "@include") == NULL ||
	    (q = strchr(text, '"')) == NULL || (end = strchr(q + 1, '"')) ==
	    NULL)
		return NULL;
	return buf_strndup(q + 1, (size_t)(end - q - 1));
}

/* libconfig's parse error, as "file:line: message". */
static void
read_error(struct loader *l, const config_t *cfg, const char *path)
{
	const char *file = config_error_file(cfg) != NULL ?
	    config_error_file(cfg) : path;
	const char *text = config_error_text(cfg);
	char *inc = NULL;

	if (text != NULL && strstr(text, "include") != NULL)
		inc = include_named(file, config_error_line(cfg));
	put_file(l->err, l, file);
	buf_printf(l->err, ":%d: %s%s%s%s\n", config_error_line(cfg),
	    text != NULL ? text : "parse error", inc != NULL ? " '" : "",
	    inc != NULL ? inc : "", inc != NULL ? "' (relative to the"
	    " including file's folder)" : "");
	free(inc);
	l->errors++;
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

static void
load_types(struct loader *l, const config_setting_t *list, struct rules *r)
{
	static const char *const keys[] = { "id", "label", "queue", "keywords",
	    "needs_attachment", "min_age_months", NULL };
	static const char *const needs_keys[] = { "types", "extensions", NULL };
	const config_setting_t *e, *needs;
	struct request_type *t;
	long long months;
	size_t i, k, n;

	if (list == NULL) {
		lerr(l, NULL, "missing 'request_types'");
		return;
	}
	if (!config_setting_is_list(list)) {
		lerr(l, list, "'request_types' must be a list ( {...}, {...} )");
		return;
	}
	n = (size_t)config_setting_length(list);
	if (n == 0) {
		lerr(l, list, "'request_types' is empty: nothing could be accepted");
		return;
	}
	if ((r->types = calloc(n, sizeof(*r->types))) == NULL) {
		lerr(l, list, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, (unsigned)i);
		t = &r->types[r->n_types++];
		wordlist_init(&t->keywords);
		wordlist_init(&t->needs_types);
		wordlist_init(&t->needs_extensions);
		if (!config_setting_is_group(e)) {
			lerr(l, e, "request type %zu must be a group { ... }",
			    i + 1);
			continue;
		}
		check_keys(l, e, keys, "a request type");
		get_string(l, e, "id", 1, &t->id);
		get_string(l, e, "label", 1, &t->label);
		get_string(l, e, "queue", 1, &t->queue);
		get_words(l, e, "keywords", 1, &t->keywords);
		if (t->id != NULL && !valid_type_id(t->id))
			lerr(l, e, "type id '%s': use lower-case letters, digits,"
			    " '-' or '_'", t->id);
		for (k = 0; t->id != NULL && k + 1 < r->n_types; k++)
			if (r->types[k].id != NULL &&
			    strcmp(r->types[k].id, t->id) == 0)
				lerr(l, e, "type id '%s' is defined twice", t->id);
		if (t->queue != NULL && !conf_valid_folder(t->queue))
			lerr(l, e, "queue '%s' is not a valid folder name"
			    " (letters, digits, space, '-', '_', '/')", t->queue);
		/* Accepted mail filed among rejected or quarantined mail
		 * would be read as such by the agents. */
		if (t->queue != NULL && ((r->queue_rejects != NULL &&
		    strcmp(t->queue, r->queue_rejects) == 0) ||
		    (r->queue_quarantine != NULL &&
		    strcmp(t->queue, r->queue_quarantine) == 0)))
			lerr(l, member(e, "queue"), "request type '%s': its"
			    " queue '%s' is the %s folder; give it a queue of"
			    " its own", t->id != NULL ? t->id : "?", t->queue,
			    strcmp(t->queue, r->queue_rejects) == 0 ? "rejects" :
			    "quarantine");
		if ((needs = member(e, "needs_attachment")) != NULL) {
			if (!config_setting_is_group(needs))
				lerr(l, needs, "'needs_attachment' must be a group"
				    " { types = [...]; extensions = [...]; }");
			check_keys(l, needs, needs_keys, "needs_attachment");
			get_words(l, needs, "types", 0, &t->needs_types);
			get_words(l, needs, "extensions", 0, &t->needs_extensions);
		}
		months = 0;
		get_int(l, e, "min_age_months", 0, 120, &months);
		t->min_age_months = (int)months;
	}
}

static void
load_notices(struct loader *l, const config_setting_t *g, struct rules *r)
{
	static const char *const keys[] = { "subject", "intro", "outro",
	    "reasons", "acknowledgment", NULL };
	static const char *const ack_keys[] = { "subject", "body", NULL };
	const config_setting_t *reasons, *m;
	const char *name;
	int i, code;

	if (g == NULL) {
		lerr(l, NULL, "missing 'notices' (the French notice templates)");
		return;
	}
	check_keys(l, g, keys, "notices");
	get_string(l, g, "subject", 1, &r->notices.subject);
	get_string(l, g, "intro", 1, &r->notices.intro);
	get_string(l, g, "outro", 1, &r->notices.outro);
	if ((m = member(g, "acknowledgment")) != NULL) {
		check_keys(l, m, ack_keys, "acknowledgment");
		get_string(l, m, "subject", 1, &r->notices.ack_subject);
		get_string(l, m, "body", 1, &r->notices.ack_body);
	}
	if ((reasons = member(g, "reasons")) == NULL) {
		lerr(l, g, "missing 'reasons' in notices");
		return;
	}
	for (i = 0; (m = config_setting_get_elem(reasons, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(m);
		if (name == NULL || (code = reason_from_code(name)) < 0) {
			lerr(l, m, "'%s' is not a reason code", name ? name : "?");
			continue;
		}
		get_string(l, reasons, name, 1, &r->notices.reason[code]);
	}
	/* Every reason that can reach a partner needs its own sentence:
	 * the list is reason.h's, so a new code is checked as it comes. */
	for (code = 0; code < REASON_COUNT; code++) {
		if (!reason_notified(code))
			continue;
		if (r->notices.reason[code] == NULL)
			lerr(l, reasons, "no notice text for reason '%s'",
			    reason_code(code));
	}
}

static int
load_rules(struct loader *l, const char *path, struct rules *r)
{
	static const char *const top[] = { "queues", "request_types", "subject",
	    "attachments", "notices", NULL };
	static const char *const queue_keys[] = { "rejects", "quarantine",
	    NULL };
	static const char *const subject_keys[] = { "stop_words",
	    "date_markers", NULL };
	static const char *const att_keys[] = { "max_message_size",
	    "forbidden_types", "forbidden_extensions", "archives_forbidden",
	    "archive_types", "archive_extensions", NULL };
	const config_setting_t *root, *q, *s, *a;
	char *dir, *slash;
	config_t cfg;
	int before = l->errors;
	const char *saved = l->file;

	l->file = path;
	config_init(&cfg);
	/* Without its folder, "@include" would read from the cwd. */
	if ((dir = buf_strdup(path)) == NULL) {
		lerr(l, NULL, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(&cfg, dir);
	}
	free(dir);
	if (access(path, R_OK) == -1) {
		lerr(l, NULL, "cannot read the rules file");
		goto out;
	}
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		read_error(l, &cfg, path);
		goto out;
	}
	root = config_root_setting(&cfg);
	check_keys(l, root, top, "the rules");

	if ((r->queue_rejects = buf_strdup("BALP/Rejets")) == NULL ||
	    (r->queue_quarantine = buf_strdup("BALP/Quarantaine")) == NULL) {
		lerr(l, NULL, "out of memory");
		goto out;
	}
	if ((q = member(root, "queues")) != NULL) {
		check_keys(l, q, queue_keys, "queues");
		get_string(l, q, "rejects", 0, &r->queue_rejects);
		get_string(l, q, "quarantine", 0, &r->queue_quarantine);
	}
	/* NULL only after an allocation failure, reported already. */
	if (r->queue_rejects != NULL && !conf_valid_folder(r->queue_rejects))
		lerr(l, q, "rejects queue '%s' is not a valid folder name",
		    r->queue_rejects);
	if (r->queue_quarantine != NULL &&
	    !conf_valid_folder(r->queue_quarantine))
		lerr(l, q, "quarantine queue '%s' is not a valid folder name",
		    r->queue_quarantine);
	if (r->queue_rejects != NULL && r->queue_quarantine != NULL &&
	    strcmp(r->queue_rejects, r->queue_quarantine) == 0)
		lerr(l, q, "the rejects and the quarantine are one folder"
		    " ('%s'): a spoofed mail would be read as a plain"
		    " rejection", r->queue_rejects);

	load_types(l, member(root, "request_types"), r);

	if ((s = member(root, "subject")) != NULL) {
		check_keys(l, s, subject_keys, "subject");
		get_words(l, s, "stop_words", 0, &r->stop_words);
		get_words(l, s, "date_markers", 0, &r->date_markers);
	}

	r->max_message_size = 15ULL * 1024 * 1024;
	if ((a = member(root, "attachments")) != NULL) {
		check_keys(l, a, att_keys, "attachments");
		get_size(l, a, "max_message_size", &r->max_message_size);
		/* Larger messages must still be read whole to be judged. */
		if (r->max_message_size > (128ULL << 20))
			lerr(l, member(a, "max_message_size"), "'max_message_size'"
			    " may not exceed 128M (messages up to twice that are"
			    " read whole to be judged)");
		get_words(l, a, "forbidden_types", 0, &r->forbidden_types);
		get_words(l, a, "forbidden_extensions", 0,
		    &r->forbidden_extensions);
		get_bool(l, a, "archives_forbidden", &r->archives_forbidden);
		get_words(l, a, "archive_types", 0, &r->archive_types);
		get_words(l, a, "archive_extensions", 0, &r->archive_extensions);
	}
	load_notices(l, member(root, "notices"), r);
out:
	config_destroy(&cfg);
	l->file = saved;
	return l->errors == before ? 0 : -1;
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

/* A path setting, resolved against the config's folder. */
static void
get_path(struct loader *l, const config_setting_t *g, const char *name,
    const char *dir, char **out)
{
	char *raw = NULL;

	get_string(l, g, name, 1, &raw);
	if (raw == NULL)
		return;
	if (*raw == '\0')
		lerr(l, member(g, name), "'%s' is empty", name);
	else if ((*out = conf_resolve(dir, raw)) == NULL)
		lerr(l, member(g, name), "out of memory");
	free(raw);
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
load_parser(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "workers", "deadline_ms",
	    "max_jobs", "breaker", NULL };

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'parser' must be a group { workers; deadline_ms;"
		    " max_jobs; breaker; }");
		return;
	}
	check_keys(l, g, keys, "parser");
	get_unsigned(l, g, "workers", 1, 16, &c->parser_workers);
	get_unsigned(l, g, "deadline_ms", 100, 600000, &c->parser_deadline_ms);
	get_unsigned(l, g, "max_jobs", 1, 1000000, &c->parser_max_jobs);
	get_unsigned(l, g, "breaker", 1, 1000, &c->parser_breaker);
}

/*
 * "tls" of a network group: "imaps"/"smtps" (implicit), "starttls" or
 * "none", which only a loopback host may use: a password must never
 * cross a network in clear.  implicit names the implicit form.
 */
static void
get_tls(struct loader *l, const config_setting_t *g, const char *implicit,
    const char *host, enum tls_mode *out)
{
	char *v = NULL;

	*out = TLS_IMPLICIT;
	get_string(l, g, "tls", 0, &v);
	if (v == NULL)
		return;
	if (strcmp(v, implicit) == 0)
		*out = TLS_IMPLICIT;
	else if (strcmp(v, "starttls") == 0)
		*out = TLS_STARTTLS;
	else if (strcmp(v, "none") == 0) {
		*out = TLS_NONE;
		if (host != NULL && !tls_host_is_loopback(host))
			lerr(l, member(g, "tls"), "tls = \"none\" is only "
			    "allowed for a loopback host (localhost, 127.0.0.1"
			    "); '%s' needs \"%s\" or \"starttls\"", host,
			    implicit);
	} else
		lerr(l, member(g, "tls"), "unknown tls '%s' (expected \"%s\","
		    " \"starttls\" or \"none\")", v, implicit);
	free(v);
}

/* source = { kind = "imap"; host; port; tls; user; password_file; ... } */
static void
load_imap(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "kind", "host", "port", "tls",
	    "user", "password_file", "ca_file", "inbox", "timeout_seconds",
	    NULL };
	struct source_conf *sc = &c->source;
	long long v;

	check_keys(l, g, keys, "source");
	get_string(l, g, "host", 1, &sc->host);
	if (sc->host != NULL && (*sc->host == '\0' ||
	    strpbrk(sc->host, " \t/") != NULL))
		lerr(l, member(g, "host"), "'host' must be a host name or an"
		    " address");
	get_tls(l, g, "imaps", sc->host, &sc->tls);
	v = sc->tls == TLS_IMPLICIT ? 993 : 143;
	get_int(l, g, "port", 1, 65535, &v);
	sc->port = (unsigned)v;
	get_string(l, g, "user", 1, &sc->user);
	get_path(l, g, "password_file", c->dir, &sc->password_file);
	if (member(g, "ca_file") != NULL)
		get_path(l, g, "ca_file", c->dir, &sc->ca_file);
	get_string(l, g, "inbox", 0, &sc->inbox);
	if (sc->inbox == NULL && (sc->inbox = buf_strdup("INBOX")) == NULL)
		lerr(l, NULL, "out of memory");
	v = 60;
	get_int(l, g, "timeout_seconds", 5, 600, &v);
	sc->timeout_seconds = (unsigned)v;
}

/* The group "batch" { size; max_ms; }. */
static void
load_batch(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "size", "max_ms", NULL };

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'batch' must be a group { size; max_ms; }");
		return;
	}
	check_keys(l, g, keys, "batch");
	get_unsigned(l, g, "size", 1, 10000, &c->batch_size);
	get_unsigned(l, g, "max_ms", 0, 10000, &c->batch_max_ms);
}

/*
 * The group "smtp" { host; port; tls; user; password_file; ca_file;
 * from; timeout; }: the relay of the notices.  A password never travels
 * in clear and plain text only ever reaches this machine; a password file
 * others may read is refused now, not at the first notice.
 */
static void
load_smtp(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "host", "port", "tls", "user",
	    "password_file", "ca_file", "from", "timeout", NULL };
	struct smtp_conf *sc = &c->smtp;
	char *tls = NULL, *from = NULL;
	const char *p;
	long long port = 0, timeout = SMTP_TIMEOUT_DEFAULT;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'smtp' must be a group { host; port; tls; user;"
		    " password_file; ca_file; from; }");
		return;
	}
	c->has_smtp = 1;
	check_keys(l, g, keys, "smtp");
	get_string(l, g, "host", 1, &sc->host);
	for (p = sc->host; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '/' || *p == '@')
			break;
	if (sc->host != NULL && (*sc->host == '\0' || *p != '\0'))
		lerr(l, member(g, "host"), "'host' must be a host name or an"
		    " address");
	sc->tls = TLS_STARTTLS;
	get_string(l, g, "tls", 0, &tls);
	if (tls != NULL && smtp_tls_mode(tls, &sc->tls) == -1)
		lerr(l, member(g, "tls"), "unknown tls '%s' (expected"
		    " \"smtps\", \"starttls\" or \"none\")", tls);
	free(tls);
	port = sc->tls == TLS_IMPLICIT ? 465 : sc->tls == TLS_STARTTLS ?
	    587 : 25;
	get_int(l, g, "port", 1, 65535, &port);
	sc->port = (unsigned)port;
	get_int(l, g, "timeout", 1, 600, &timeout);
	sc->timeout = (unsigned)timeout;
	if (sc->tls == TLS_NONE && sc->host != NULL &&
	    !tls_host_is_loopback(sc->host))
		lerr(l, member(g, "tls"), "tls \"none\" is only allowed for"
		    " a relay on this machine (localhost, 127.0.0.1, ::1),"
		    " not '%s'", sc->host);
	get_string(l, g, "user", 0, &sc->user);
	if (member(g, "password_file") != NULL)
		get_path(l, g, "password_file", c->dir, &sc->password_file);
	if (sc->user != NULL && member(g, "password_file") == NULL)
		lerr(l, member(g, "user"), "'user' needs a 'password_file'");
	if (sc->user == NULL && member(g, "password_file") != NULL)
		lerr(l, member(g, "password_file"), "'password_file' without"
		    " a 'user'");
	if (sc->user != NULL && sc->tls == TLS_NONE)
		lerr(l, member(g, "user"), "AUTH needs tls \"smtps\" or"
		    " \"starttls\": a password never travels in clear");
	/*
	 * The password file itself is read by what sends mail (balpd checks
	 * it at start-up, the notifier per session), never here: balpctl
	 * loads this file too and must not need a secret it never uses.
	 */
	if (member(g, "ca_file") != NULL) {
		get_path(l, g, "ca_file", c->dir, &sc->ca_file);
		if (sc->ca_file != NULL && access(sc->ca_file, R_OK) == -1)
			lerr(l, member(g, "ca_file"), "cannot read ca_file %s",
			    sc->ca_file);
	}
	get_string(l, g, "from", 0, &from);
	if (from != NULL && c->notice_from != NULL &&
	    strcmp(from, c->notice_from) != 0)
		lerr(l, member(g, "from"), "'from' is also set in notices:"
		    " give the notices' From once");
	if (from != NULL && c->notice_from == NULL)
		c->notice_from = from;
	else
		free(from);
}

/* 1 if q is one of the rules' queue folders. */
static int
rules_has_queue(const struct rules *r, const char *q)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (r->types[i].queue != NULL &&
		    strcmp(r->types[i].queue, q) == 0)
			return 1;
	return (r->queue_rejects != NULL && strcmp(r->queue_rejects, q) == 0) ||
	    (r->queue_quarantine != NULL &&
	    strcmp(r->queue_quarantine, q) == 0);
}

/*
 * The group "sla" { working_days; per_queue = ( { queue; working_days; },
 * ... ); } (libconfig names cannot hold the '/' of a folder, hence a
 * list).  Read after the rules: a queue named here must be one of theirs,
 * or a typo would leave the queue it meant on the default without a word.
 * check_queues is 0 when the rules did not load (their errors say enough).
 */
static void
load_sla(struct loader *l, const config_setting_t *g, struct balp_conf *c,
    int check_queues)
{
	static const char *const keys[] = { "working_days", "per_queue",
	    "digest_to", "digest_hour", NULL };
	static const char *const queue_keys[] = { "queue", "working_days",
	    NULL };
	const config_setting_t *list, *e;
	struct conf_sla *sla = &c->sla;
	struct conf_sla_queue *q;
	size_t i, k, n;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'sla' must be a group { working_days; per_queue ="
		    " ( ... ); }");
		return;
	}
	check_keys(l, g, keys, "sla");
	get_unsigned(l, g, "working_days", 0, 260, &sla->working_days);
	get_unsigned(l, g, "digest_hour", 0, 23, &sla->digest_hour);
	get_string(l, g, "digest_to", 0, &sla->digest_to);
	if (sla->digest_to != NULL && !notice_addr_ok(sla->digest_to))
		lerr(l, member(g, "digest_to"), "'digest_to' must be a plain "
		    "address (name@domain), not '%s'", sla->digest_to);
	if ((list = member(g, "per_queue")) == NULL)
		return;
	if (!config_setting_is_list(list)) {
		lerr(l, list, "'per_queue' must be a list ( { queue ="
		    " \"BALP/RIB\"; working_days = 5; }, ... )");
		return;
	}
	if ((n = (size_t)config_setting_length(list)) == 0)
		return;
	if ((sla->per_queue = calloc(n, sizeof(*sla->per_queue))) == NULL) {
		lerr(l, list, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(e)) {
			lerr(l, e, "per_queue %zu must be a group { queue;"
			    " working_days; }", i + 1);
			continue;
		}
		check_keys(l, e, queue_keys, "sla.per_queue");
		q = &sla->per_queue[sla->n_per_queue];
		get_string(l, e, "queue", 1, &q->queue);
		if (member(e, "working_days") == NULL)
			lerr(l, e, "missing setting 'working_days'");
		get_unsigned(l, e, "working_days", 0, 260, &q->working_days);
		if (q->queue == NULL)
			continue;
		sla->n_per_queue++;
		for (k = 0; k + 1 < sla->n_per_queue; k++)
			if (strcmp(sla->per_queue[k].queue, q->queue) == 0)
				lerr(l, member(e, "queue"), "queue '%s' is given"
				    " twice in sla.per_queue", q->queue);
		if (check_queues && !rules_has_queue(&c->rules, q->queue))
			lerr(l, member(e, "queue"), "sla.per_queue: '%s' is"
			    " none of the rules' queues", q->queue);
	}
}

unsigned
conf_sla_days(const struct balp_conf *c, const char *queue)
{
	size_t i;

	for (i = 0; queue != NULL && i < c->sla.n_per_queue; i++)
		if (strcmp(c->sla.per_queue[i].queue, queue) == 0)
			return c->sla.per_queue[i].working_days;
	return c->sla.working_days;
}

/*
 * The group "access" { admin_group; }, looked up now: a name that is no
 * group would lock every admin out, or leave the keys to whoever gets a
 * group of that name later.
 */
static void
load_access(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "admin_group", NULL };
	const config_setting_t *s;
	struct group *gr;
	const char *p;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'access' must be a group { admin_group = "
		    "\"balp-admin\"; }");
		return;
	}
	check_keys(l, g, keys, "access");
	get_string(l, g, "admin_group", 0, &c->admin_group);
	if (c->admin_group == NULL)
		return;
	s = member(g, "admin_group");
	for (p = c->admin_group; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			break;
	if (*c->admin_group == '\0' || *p != '\0' ||
	    strlen(c->admin_group) > 64) {
		lerr(l, s, "access.admin_group: '%s' is not a group name",
		    c->admin_group);
		return;
	}
	if ((gr = getgrnam(c->admin_group)) == NULL) {
		lerr(l, s, "access.admin_group: no group '%s' on this system "
		    "(create it, or fix the name)", c->admin_group);
		return;
	}
	c->admin_gid = gr->gr_gid;
}

/*
 * The group "lmtp" (lmtp.h): where Postfix hands mail over, loopback
 * only, and to whom.  Absent: no LMTP, the drain alone.
 */
static void
load_lmtp(struct loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "listen", "recipients",
	    "max_sessions", "group", "idle_timeout_seconds",
	    "command_timeout_seconds", "filers", NULL };
	struct lmtp_conf *lc = &c->lmtp;
	const config_setting_t *s, *e;
	struct buf why = BUF_INIT;
	struct group *gr;
	const char *v;
	char *p;
	int i, n;

	lc->gid = (gid_t)-1;
	lc->max_sessions = LMTP_MAX_SESSIONS_DEFAULT;
	lc->idle_seconds = LMTP_IDLE_SECONDS_DEFAULT;
	lc->command_seconds = LMTP_COMMAND_SECONDS_DEFAULT;
	lc->filers = LMTP_FILERS_DEFAULT;
	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		lerr(l, g, "'lmtp' must be a group { listen = "
		    "\"127.0.0.1:10026\"; recipients = [ \"balp@caf.test\" ];"
		    " }");
		return;
	}
	c->has_lmtp = 1;
	check_keys(l, g, keys, "lmtp");
	get_string(l, g, "listen", 1, &lc->listen);
	if (lc->listen != NULL && lmtp_conf_listen(lc, lc->listen, &why) == -1)
		lerr(l, member(g, "listen"), "lmtp.listen: %s", buf_str(&why));
	buf_free(&why);
	if ((s = member(g, "recipients")) == NULL)
		lerr(l, g, "missing setting 'recipients' (the BALP's addresses"
		    " Postfix hands over)");
	else if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
		lerr(l, s, "'recipients' must be a list of addresses "
		    "[\"balp@caf.test\"]");
	else {
		n = config_setting_length(s);
		if (n == 0)
			lerr(l, s, "'recipients' must not be empty");
		if (n > 0 && (lc->recipients = calloc((size_t)n,
		    sizeof(*lc->recipients))) == NULL)
			lerr(l, s, "out of memory");
		for (i = 0; lc->recipients != NULL && i < n; i++) {
			e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING ||
			    (v = config_setting_get_string(e)) == NULL ||
			    !notice_addr_ok(v)) {
				lerr(l, e, "'recipients': element %d must be "
				    "an address (name@domain)", i + 1);
				continue;
			}
			if ((p = buf_strdup(v)) == NULL) {
				lerr(l, e, "out of memory");
				continue;
			}
			for (v = p; *v != '\0'; v++)
				p[v - p] = (char)tolower((unsigned char)*v);
			lc->recipients[lc->n_recipients++] = p;
		}
	}
	get_unsigned(l, g, "max_sessions", 1, 1024, &lc->max_sessions);
	get_unsigned(l, g, "idle_timeout_seconds", 1, 3600, &lc->idle_seconds);
	get_unsigned(l, g, "command_timeout_seconds", 1, 3600,
	    &lc->command_seconds);
	get_unsigned(l, g, "filers", 0, LMTP_FILERS_MAX, &lc->filers);
	get_string(l, g, "group", 0, &lc->group);
	if (lc->group != NULL) {
		s = member(g, "group");
		if (lc->path == NULL)
			lerr(l, s, "'group' is for a unix socket (listen = "
			    "\"unix:PATH\")");
		else if ((gr = getgrnam(lc->group)) == NULL)
			lerr(l, s, "lmtp.group: no group '%s' on this system",
			    lc->group);
		else
			lc->gid = gr->gr_gid;
	}
}

int
conf_load(const char *path, struct balp_conf *c, struct buf *err)
{
	static const char *const top[] = { "rules", "store", "source",
	    "trusted_authserv_ids", "public_suffixes", "limits", "parser",
	    "batch", "notices", "daemon", "smtp", "retention", "sla", "access",
	    "lmtp", NULL };
	static const char *const store_keys[] = { "path", "key_file",
	    "audit_key_file", NULL };
	static const char *const source_keys[] = { "kind", "path", NULL };
	static const char *const limit_keys[] = { "max_mime_depth",
	    "max_parts", "max_text_bytes", "max_header_bytes", "max_scan_bytes",
	    NULL };
	static const char *const notice_keys[] = { "from",
	    "max_per_sender_hour", "acknowledge", NULL };
	static const char *const daemon_keys[] = { "rescan_seconds", NULL };
	static const char *const retention_keys[] = { "traces_months",
	    "habilitation_years", NULL };
	struct loader l = { err, 0, path };
	size_t err_from = err->len;
	struct mime_limits defaults = MIME_LIMITS_DEFAULT;
	const config_setting_t *root, *g, *e;
	char *kind = NULL;
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
		lerr(&l, NULL, "out of memory");
		goto out;
	}
	if ((c->dir = absolute_dir_of(path)) == NULL) {
		lerr(&l, NULL, "cannot find the configuration's folder (out of"
		    " memory, or the working directory is gone)");
		goto out;
	}
	if (access(path, R_OK) == -1) {
		lerr(&l, NULL, "cannot read the configuration file");
		goto out;
	}
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		read_error(&l, &cfg, path);
		goto out;
	}
	root = config_root_setting(&cfg);
	check_keys(&l, root, top, "the configuration");

	get_path(&l, root, "rules", c->dir, &c->rules_file);

	if ((g = member(root, "store")) == NULL)
		lerr(&l, NULL, "missing group 'store' { path; key_file; }");
	check_keys(&l, g, store_keys, "store");
	get_path(&l, g, "path", c->dir, &c->store_path);
	get_path(&l, g, "key_file", c->dir, &c->key_file);
	if (member(g, "audit_key_file") != NULL)
		get_path(&l, g, "audit_key_file", c->dir, &c->audit_key_file);
	else if (c->key_file != NULL &&
	    (c->audit_key_file = beside(c->key_file, "audit.key")) == NULL)
		lerr(&l, NULL, "out of memory");

	if ((g = member(root, "source")) == NULL)
		lerr(&l, NULL, "missing group 'source' { kind; path; }");
	get_string(&l, g, "kind", 1, &kind);
	if (kind != NULL && strcmp(kind, "maildir") == 0) {
		check_keys(&l, g, source_keys, "source");
		c->source.kind = SOURCE_MAILDIR;
		get_path(&l, g, "path", c->dir, &c->source.maildir_path);
	} else if (kind != NULL && strcmp(kind, "imap") == 0) {
		c->source.kind = SOURCE_IMAP;
		load_imap(&l, g, c);
	} else if (kind != NULL)
		lerr(&l, member(g, "kind"), "unknown source kind '%s'"
		    " (expected \"maildir\" or \"imap\")", kind);
	free(kind);

	get_words(&l, root, "trusted_authserv_ids", 1, &c->trusted_authserv_ids);
	get_words(&l, root, "public_suffixes", 0, &c->public_suffixes);

	if ((g = member(root, "limits")) != NULL) {
		check_keys(&l, g, limit_keys, "limits");
		v = (long long)c->limits.max_depth;
		get_int(&l, g, "max_mime_depth", 1, 1000, &v);
		c->limits.max_depth = (size_t)v;
		v = (long long)c->limits.max_parts;
		get_int(&l, g, "max_parts", 1, 100000, &v);
		c->limits.max_parts = (size_t)v;
		v = (long long)c->limits.max_text;
		get_int(&l, g, "max_text_bytes", 1024, 16 << 20, &v);
		c->limits.max_text = (size_t)v;
		v = (long long)c->limits.max_header;
		get_int(&l, g, "max_header_bytes", 1024, 16 << 20, &v);
		c->limits.max_header = (size_t)v;
		v = (long long)c->limits.max_scan_bytes;
		get_int(&l, g, "max_scan_bytes", 1 << 20, 256LL << 20, &v);
		c->limits.max_scan_bytes = (size_t)v;
	}
	c->source.scan_budget = c->limits.max_scan_bytes;
	c->source.text_max = c->limits.max_text;
	load_parser(&l, member(root, "parser"), c);
	load_batch(&l, member(root, "batch"), c);
	if ((g = member(root, "notices")) != NULL) {
		check_keys(&l, g, notice_keys, "notices");
		get_string(&l, g, "from", 0, &c->notice_from);
		get_unsigned(&l, g, "max_per_sender_hour", 1, 10000,
		    &c->notices_per_hour);
		get_bool(&l, g, "acknowledge", &c->notices_acknowledge);
	}
	load_smtp(&l, member(root, "smtp"), c);
	if (c->notice_from == NULL &&
	    (c->notice_from = buf_strdup(CONF_NOTICE_FROM)) == NULL)
		lerr(&l, NULL, "out of memory");
	/* It goes between <> on the wire and into a From header. */
	if (c->notice_from != NULL && !notice_addr_ok(c->notice_from))
		lerr(&l, member(member(root, "notices"), "from") ?
		    member(member(root, "notices"), "from") :
		    member(member(root, "smtp"), "from"),
		    "'from' must be a plain address (name@domain), not '%s'",
		    c->notice_from);
	if ((g = member(root, "retention")) != NULL) {
		check_keys(&l, g, retention_keys, "retention");
		get_unsigned(&l, g, "traces_months", 1, 1200,
		    &c->retention_traces_months);
		get_unsigned(&l, g, "habilitation_years", 1, 100,
		    &c->retention_habilitation_years);
	}
	load_access(&l, member(root, "access"), c);
	load_lmtp(&l, member(root, "lmtp"), c);
	if ((g = member(root, "daemon")) != NULL) {
		check_keys(&l, g, daemon_keys, "daemon");
		v = c->rescan_seconds;
		get_int(&l, g, "rescan_seconds", 1, 86400, &v);
		c->rescan_seconds = (int)v;
	}
	e = member(root, "trusted_authserv_ids");
	for (i = 0; i < c->trusted_authserv_ids.n; i++)
		if (strchr(c->trusted_authserv_ids.v[i], ' ') != NULL)
			lerr(&l, e, "authserv-id '%s' contains a space",
			    c->trusted_authserv_ids.v[i]);
	rules_ok = c->rules_file != NULL &&
	    load_rules(&l, c->rules_file, &c->rules) == 0;
	load_sla(&l, member(root, "sla"), c, rules_ok);
	if (rules_ok)
		c->lmtp.max_size = c->rules.max_message_size;
	if (c->sla.digest_to != NULL && !c->has_smtp)
		lerr(&l, member(member(root, "sla"), "digest_to"),
		    "'digest_to' needs the smtp group: the digest is mailed "
		    "through the relay");
	if (c->rules_file != NULL && c->notices_acknowledge &&
	    c->rules.notices.ack_body == NULL && l.errors == 0)
		lerr(&l, member(member(root, "notices"), "acknowledge"),
		    "'acknowledge' needs notices.acknowledgment { subject;"
		    " body; } in the rules");
	/* Below it, a message the rules accept could not be read whole and
	 * would be quarantined as not inspected. */
	if (c->rules_file != NULL && l.errors == 0 &&
	    c->limits.max_scan_bytes < c->rules.max_message_size)
		lerr(&l, member(member(root, "limits"), "max_scan_bytes"),
		    "'max_scan_bytes' (%zu) is below the rules'"
		    " max_message_size (%llu): every acceptable message must be"
		    " inspected whole", c->limits.max_scan_bytes,
		    (unsigned long long)c->rules.max_message_size);
out:
	config_destroy(&cfg);
	if (l.errors > 0)
		sort_errors(err, err_from);
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
