/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_loader - the configuration loader's helpers (conf_priv.h): errors
 * as "file:line: message" and their order, the readers of one setting,
 * and libconfig's own parse errors.  Nothing here stops at an error: each
 * is counted in the loader and the load goes on, so that `balpctl rules
 * check` lists them all.
 */
#include "conf_priv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A file an error names, as its including file is named: libconfig gives
 * an @include'd file (notices.rules) by its name in the @include, and the
 * rules file by its path; both appear under the rules file's folder.
 */
static void
put_file(struct buf *b, const struct conf_loader *l, const char *file)
{
	const char *slash;

	if (file == NULL)
		file = l->file;
	if (file[0] != '/' && strcmp(file, l->file) != 0 &&
	    (slash = strrchr(l->file, '/')) != NULL)
		buf_printf(b, "%.*s/", (int)(slash - l->file), l->file);
	buf_puts(b, file);
}

void
conf_lerr(struct conf_loader *l, const config_setting_t *s, const char *fmt,
    ...)
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
void
conf_sort_errors(struct buf *b, size_t from)
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
	const char	*group;		/* conf_check_keys()'s "what" */
	const char	*name;
	const char	*why;
} retired[] = {
	{ "limits", "parse_in_child", "the parser always runs isolated in a"
	    " child process now; remove this setting" },
};

/* Reports every member of group whose name is not in allowed (NULL-ended). */
void
conf_check_keys(struct conf_loader *l, const config_setting_t *group,
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
			conf_lerr(l, m, "'%s' is no longer a setting: %s", name,
			    retired[r].why);
		else
			conf_lerr(l, m, "unknown setting '%s' in %s",
			    name ? name : "?", what);
	}
}

const config_setting_t *
conf_member(const config_setting_t *g, const char *name)
{
	return g != NULL ? config_setting_get_member(g, name) : NULL;
}

/*
 * A string member, duplicated into *out.  Missing: an error if required,
 * else *out is left alone (callers preset defaults).
 */
void
conf_get_string(struct conf_loader *l, const config_setting_t *g,
    const char *name, int required, char **out)
{
	const config_setting_t *s = conf_member(g, name);
	const char *v;

	if (s == NULL) {
		if (required)
			conf_lerr(l, g, "missing setting '%s'", name);
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING ||
	    (v = config_setting_get_string(s)) == NULL) {
		conf_lerr(l, s, "'%s' must be a string", name);
		return;
	}
	free(*out);
	if ((*out = buf_strdup(v)) == NULL)
		conf_lerr(l, s, "out of memory");
}

void
conf_get_int(struct conf_loader *l, const config_setting_t *g, const char *name,
    long long lo, long long hi, long long *out)
{
	const config_setting_t *s = conf_member(g, name);
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
		conf_lerr(l, s, "'%s' must be an integer", name);
		return;
	}
	if (v < lo || v > hi) {
		conf_lerr(l, s, "'%s' must be between %lld and %lld, not %lld",
		    name, lo, hi, v);
		return;
	}
	*out = v;
}

/* An integer setting into an unsigned, within lo..hi. */
void
conf_get_unsigned(struct conf_loader *l, const config_setting_t *g,
    const char *name, unsigned lo, unsigned hi, unsigned *out)
{
	long long v = *out;

	conf_get_int(l, g, name, lo, hi, &v);
	*out = (unsigned)v;
}

void
conf_get_bool(struct conf_loader *l, const config_setting_t *g,
    const char *name, int *out)
{
	const config_setting_t *s = conf_member(g, name);

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		conf_lerr(l, s, "'%s' must be true or false", name);
		return;
	}
	*out = config_setting_get_bool(s);
}

/*
 * A size in bytes: an integer, or a string "15M", "15 Mo", "512K", "1G".
 */
void
conf_get_size(struct conf_loader *l, const config_setting_t *g,
    const char *name, uint64_t *out)
{
	const config_setting_t *s = conf_member(g, name);
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
			conf_lerr(l, s, "'%s' must be a positive size", name);
			return;
		}
		*out = (uint64_t)ll;
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_lerr(l, s, "'%s' must be a size such as \"15M\"", name);
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
		conf_lerr(l, s, "'%s': \"%s\" is not a size such as \"15M\"",
		    name, v);
		return;
	}
	*out = n * mult;
}

/* A list or array of strings into a wordlist (folded). */
void
conf_get_words(struct conf_loader *l, const config_setting_t *g,
    const char *name, int required, struct wordlist *w)
{
	const config_setting_t *s = conf_member(g, name), *e;
	const char *v;
	int i;

	if (s == NULL) {
		if (required)
			conf_lerr(l, g, "missing setting '%s'", name);
		return;
	}
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
		conf_lerr(l, s, "'%s' must be a list of strings [\"a\", \"b\"]",
		    name);
		return;
	}
	for (i = 0; (e = config_setting_get_elem(s, (unsigned)i)) != NULL; i++) {
		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    (v = config_setting_get_string(e)) == NULL) {
			conf_lerr(l, e, "'%s': element %d must be a string",
			    name, i + 1);
			continue;
		}
		if (*v == '\0') {
			conf_lerr(l, e, "'%s': element %d is empty", name,
			    i + 1);
			continue;
		}
		if (wordlist_add(w, v) == -1)
			conf_lerr(l, e, "out of memory");
	}
	if (required && w->n == 0)
		conf_lerr(l, s, "'%s' must not be empty", name);
}

/*
 * The file named by the @include on line `line` of file (caller frees),
 * or NULL: libconfig says it cannot open an include file, not which.
 * file is as libconfig names it: an included file by the name in its
 * @include, which is not relative to the working directory but to the
 * folder libconfig was given, the top file's (put_file() finds it).
 */
static char *
include_named(const struct conf_loader *l, const char *file, int line)
{
	struct buf path = BUF_INIT;
	char text[4096], *q, *end;
	FILE *fp = NULL;
	int n = 0;

	put_file(&path, l, file);
	if (line > 0 && !path.failed)
		fp = fopen(buf_str(&path), "r");
	buf_free(&path);
	if (fp == NULL)
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

/*
 * libconfig's parse error, as "file:line: message"; an include it cannot
 * open is named with the path it was looked for at: every @include is
 * read from the top file's folder, however deep (libconfig's include_dir).
 */
void
conf_read_error(struct conf_loader *l, const config_t *cfg, const char *path)
{
	const char *file = config_error_file(cfg) != NULL ?
	    config_error_file(cfg) : path;
	const char *text = config_error_text(cfg);
	char *inc = NULL;

	if (text != NULL && strstr(text, "include") != NULL)
		inc = include_named(l, file, config_error_line(cfg));
	put_file(l->err, l, file);
	buf_printf(l->err, ":%d: %s", config_error_line(cfg),
	    text != NULL ? text : "parse error");
	if (inc != NULL) {
		buf_printf(l->err, " '%s' (looked for as ", inc);
		put_file(l->err, l, inc);
		buf_puts(l->err, ")");
	}
	buf_putc(l->err, '\n');
	free(inc);
	l->errors++;
}

/* A path setting, resolved against the config's folder. */
void
conf_get_path(struct conf_loader *l, const config_setting_t *g,
    const char *name, const char *dir, char **out)
{
	char *raw = NULL;

	conf_get_string(l, g, name, 1, &raw);
	if (raw == NULL)
		return;
	if (*raw == '\0')
		conf_lerr(l, conf_member(g, name), "'%s' is empty", name);
	else if ((*out = conf_resolve(dir, raw)) == NULL)
		conf_lerr(l, conf_member(g, name), "out of memory");
	free(raw);
}
