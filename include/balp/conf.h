/*
 * conf - loads conf/balp.conf and the rules it names (libconfig) into plain
 * values: paths, source, trusted authserv-ids, limits, and struct rules.
 *
 * Relative paths in a config file are resolved against that file's folder,
 * so a copy of conf/ and rules/ anywhere is a working home.  Every error is
 * reported as "file:line: message" (all of them, not only the first), and
 * unknown settings are errors too: a typo in a rule must not silently turn
 * a check off.
 *
 * Ownership: conf_free() releases everything in a struct balp_conf.
 */
#ifndef BALP_CONF_H
#define BALP_CONF_H

#include <stddef.h>

#include "balp/buf.h"
#include "balp/mime.h"
#include "balp/rules.h"
#include "balp/wordlist.h"

enum source_kind {
	SOURCE_MAILDIR,
	SOURCE_IMAP,
};

struct balp_conf {
	char			*file;		/* the config file, as given */
	char			*dir;		/* its folder, absolute */
	char			*rules_file;	/* absolute */
	char			*store_path;	/* absolute */
	char			*key_file;	/* absolute */

	enum source_kind	 source_kind;
	char			*maildir_path;	/* absolute; Maildir++ root */

	struct wordlist		  trusted_authserv_ids;	/* lower case */
	struct wordlist		  public_suffixes;

	struct mime_limits	  limits;
	int			  parse_in_child;	/* isolate libetpan */

	char			*notice_from;	/* envelope and From of notices */
	int			  rescan_seconds;	/* watcher safety net */

	struct rules		  rules;
};

/*
 * Loads path.  0 on success; -1 with one "file:line: message" line per
 * error appended to err (the struct is then freed).
 */
int	 conf_load(const char *path, struct balp_conf *, struct buf *err);
void	 conf_free(struct balp_conf *);

/*
 * dir + "/" + p unless p is absolute, with "." and ".." segments resolved
 * lexically.  Caller frees; NULL on ENOMEM.
 */
char	*conf_resolve(const char *dir, const char *p);

/* 1 if name is a valid queue folder name ("BALP/RIB"), else 0. */
int	 conf_valid_folder(const char *name);

#endif
