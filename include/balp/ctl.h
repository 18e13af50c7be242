/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl - what every balpctl command shares: the configuration named by -c,
 * the store, the day, the actor for the audit trail, and a few output
 * helpers.  Commands print their results and their errors here (they are
 * the CLI); each returns an exit status: 0 done, 1 refused or failed,
 * 2 usage or configuration error.
 */
#ifndef BALP_CTL_H
#define BALP_CTL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "balp/conf.h"
#include "balp/store.h"

#define CTL_OK		0
#define CTL_FAILED	1
#define CTL_USAGE	2

struct ctl {
	const char		*conf_path;
	struct balp_conf	 conf;
	int			 conf_loaded;
	struct store		*store;
	int32_t			 today;
	time_t			 now;
	/*
	 * "admin:<login>", or "admin:<SUDO_USER> (sudo)" for root run
	 * through sudo: the trail names the human, not root.
	 */
	char			*actor;
	char			*login;		/* getuid()'s name */
};

void	 ctl_init(struct ctl *, const char *conf_path);
void	 ctl_free(struct ctl *);

/* "usage: balpctl [-c CONF] TEXT" on stderr; returns CTL_USAGE. */
int	 ctl_usage(const char *text);
/* The store's last error on stderr; returns CTL_FAILED. */
int	 ctl_store_fail(struct ctl *);
/*
 * Prints b whole on stdout, or nothing: a listing cut short by ENOMEM
 * must not read as a whole one; a write error (a full disk) is said.
 * CTL_OK, or CTL_FAILED after a message.
 */
int	 ctl_print(const struct buf *b);
/* *out = s read as a count 0..INT_MAX; -1 after naming option and s. */
int	 ctl_count(const char *option, const char *s, int *out);

/* Loads the configuration; on error prints every line and returns -1. */
int	 ctl_load_conf(struct ctl *);
/*
 * Opens the store named by the configuration.  Unless create is set the
 * database must exist already (a missing one means `init` was not run).
 * Prints the error and returns -1.
 */
int	 ctl_open_store(struct ctl *, int create);
/*
 * Opens the existing store read-only (store_open_readonly: never
 * migrated, an older schema refused with "run balpctl init"), without
 * the audit key, which it never needs.  Prints the error and returns -1.
 */
int	 ctl_open_store_readonly(struct ctl *);

/*
 * The gate of the trace, review and purge commands (log, message, audit,
 * review, purge), called before they open the store: with
 * access.admin_group set, a user who is neither root nor a member of
 * that group (effective or supplementary) is refused with a message
 * naming command, the group and the user.  Loads the configuration.
 * CTL_OK to go on, else the exit status (the message printed).
 */
int	 ctl_require_admin(struct ctl *, const char *command);

/* Parses YYYY-MM-DD or DD/MM/YYYY; prints "OPTION: bad date" and -1. */
int	 ctl_date(const char *option, const char *s, int32_t *out);

/* Prints "balpctl: " + message on stderr. */
void	 ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes s escaped (ctl_put_escaped) and left-aligned in width columns
 * (counting UTF-8 characters); a longer value overflows the column.
 */
void	 ctl_pad(FILE *, const char *s, int width);

/*
 * As ctl_pad(), but a value longer than width is cut to width - 1
 * columns and an ellipsis, so that the next column stays in place (the
 * whole value is in --json).
 */
void	 ctl_cell(FILE *, const char *s, int width);

/*
 * Writes s through text_escape(), the one escaper of what balpctl prints
 * from mail or from an annex: a sender, a Subject, a file name or a name
 * comes from whoever wrote it and must not drive the admin's terminal
 * (C0 and C1 controls, bidi overrides, invalid UTF-8 are escaped).
 */
void	 ctl_put_escaped(FILE *, const char *s);
/* The same, line by line: each '\n' of s is kept as a line break. */
void	 ctl_put_escaped_lines(FILE *, const char *s);
/* "2026-11-23", or "-" for DATE_NONE, into out (11 bytes). */
const char *ctl_day(int32_t day, char out[11]);

#endif
