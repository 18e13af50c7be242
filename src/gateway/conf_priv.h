/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_priv - what the configuration loader's files share and nobody else
 * may use: the loader's state and the readers of a setting, each of which
 * reports a bad value with file:line and goes on (conf.h says why).  The
 * public interface is include/balp/conf.h.
 *
 *   conf.c          conf_load() and conf_free(), the top-level groups
 *                   (store, limits, parser, batch, retention, access,
 *                   daemon) and the checks across groups
 *   conf_loader.c   the loader's helpers: errors, their order, the
 *                   readers of a setting, libconfig's parse errors
 *   conf_rules.c    the rules file (balp.rules(5)) into struct rules
 *   conf_source.c   the group "source": a Maildir, or an IMAP server
 *   conf_smtp.c     the groups "notices" and "smtp": how notices leave
 *   conf_sla.c      the group "sla", checked against the rules' queues
 *   conf_lmtp.c     the group "lmtp"
 *   conf_web.c      the group "web", the console's
 *
 * Every reader leaves *out alone when the setting is absent (callers
 * preset the default) and counts an error in the loader when it is bad.
 */
#ifndef BALP_CONF_PRIV_H
#define BALP_CONF_PRIV_H

#include <libconfig.h>

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/rules.h"
#include "balp/wordlist.h"

struct conf_loader {
	struct buf	*err;
	int		 errors;
	const char	*file;	/* fallback when libconfig knows none */
};

/* One "file:line: message" line into l->err (s NULL: the file alone). */
void	 conf_lerr(struct conf_loader *l, const config_setting_t *s,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The errors written to b from byte from on, in the order of the files. */
void	 conf_sort_errors(struct buf *b, size_t from);
/* libconfig's parse error of path, as "file:line: message". */
void	 conf_read_error(struct conf_loader *l, const config_t *cfg,
	    const char *path);
/*
 * Reports every member of group whose name is not in allowed
 * (NULL-ended); what names the group in the message.
 */
void	 conf_check_keys(struct conf_loader *l, const config_setting_t *group,
	    const char *const *allowed, const char *what);
/* The member name of g, or NULL (g NULL too). */
const config_setting_t *conf_member(const config_setting_t *g,
	    const char *name);

/* The readers of a member of g; "required" makes its absence an error. */
void	 conf_get_string(struct conf_loader *l, const config_setting_t *g,
	    const char *name, int required, char **out);
void	 conf_get_int(struct conf_loader *l, const config_setting_t *g,
	    const char *name, long long lo, long long hi, long long *out);
void	 conf_get_unsigned(struct conf_loader *l, const config_setting_t *g,
	    const char *name, unsigned lo, unsigned hi, unsigned *out);
void	 conf_get_bool(struct conf_loader *l, const config_setting_t *g,
	    const char *name, int *out);
/* A size in bytes: an integer, or a string "15M", "15 Mo", "512K", "1G". */
void	 conf_get_size(struct conf_loader *l, const config_setting_t *g,
	    const char *name, uint64_t *out);
/* A list or array of strings into a wordlist (folded). */
void	 conf_get_words(struct conf_loader *l, const config_setting_t *g,
	    const char *name, int required, struct wordlist *w);
/* A required path setting, resolved against dir (the config's folder). */
void	 conf_get_path(struct conf_loader *l, const config_setting_t *g,
	    const char *name, const char *dir, char **out);

/* The rules file at path into r: 0, or -1 (errors in l). */
int	 conf_load_rules(struct conf_loader *l, const char *path,
	    struct rules *r);
/* The group "source" (g NULL: missing). */
void	 conf_load_source(struct conf_loader *l, const config_setting_t *g,
	    struct balp_conf *c);
/* The groups "notices" and "smtp" of root, and the notices' From. */
void	 conf_load_smtp(struct conf_loader *l, const config_setting_t *root,
	    struct balp_conf *c);
/*
 * The group "sla", read after the rules; check_queues is 0 when the
 * rules did not load (their errors say enough).
 */
void	 conf_load_sla(struct conf_loader *l, const config_setting_t *g,
	    struct balp_conf *c, int check_queues);
void	 conf_load_lmtp(struct conf_loader *l, const config_setting_t *g,
	    struct balp_conf *c);
void	 conf_load_web(struct conf_loader *l, const config_setting_t *g,
	    struct balp_conf *c);

#endif
