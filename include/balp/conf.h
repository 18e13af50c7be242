/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf - loads conf/balp.conf and the rules it names (libconfig) into plain
 * values: paths, source, trusted authserv-ids, limits, and struct rules.
 *
 * Relative paths in a config file are resolved against that file's folder,
 * so a copy of conf/ and rules/ anywhere is a working home.  Every error is
 * reported as "file:line: message" (all of them, not only the first), and
 * unknown settings are errors too: a typo in a rule must not silently turn
 * a check off.  So are retired settings (limits.parse_in_child: the parser
 * is always isolated now), with a message saying so.  An allocation that
 * fails while loading is a load error, never a missing value.
 *
 * Ownership: conf_free() releases everything in a struct balp_conf.
 */
#ifndef BALP_CONF_H
#define BALP_CONF_H

#include <sys/types.h>

#include <stddef.h>

#include "balp/buf.h"
#include "balp/lmtp.h"
#include "balp/mime.h"
#include "balp/rules.h"
#include "balp/smtp.h"
#include "balp/source.h"
#include "balp/wordlist.h"

/* Defaults of the settings that have one (conf/balp.conf says why). */
#define CONF_PARSER_WORKERS	2
#define CONF_PARSER_DEADLINE_MS	10000
#define CONF_PARSER_MAX_JOBS	1
#define CONF_PARSER_BREAKER	5
#define CONF_BATCH_SIZE		100
#define CONF_BATCH_MAX_MS	50
#define CONF_RESCAN_SECONDS	60
#define CONF_NOTICE_FROM	"balp@caf.test"
#define CONF_NOTICES_PER_HOUR	10
#define CONF_SLA_WORKING_DAYS	10
#define CONF_SLA_DIGEST_HOUR	7
#define CONF_WEB_LISTEN		"127.0.0.1:8080"
#define CONF_WEB_IDLE_MINUTES	15
#define CONF_WEB_MAX_HOURS	8

/* One queue's own SLA (sla.per_queue). */
struct conf_sla_queue {
	char		*queue;		/* "BALP/Suspension" */
	unsigned	 working_days;	/* 0..260; 0 = no deadline */
};

struct conf_sla {
	unsigned		 working_days;	/* every other queue */
	struct conf_sla_queue	*per_queue;
	size_t			 n_per_queue;
	/*
	 * sla.digest_to: the supervisors' address, mailed once a day (from
	 * sla.digest_hour, local time, default 7) the overdue messages
	 * when there are any (sla.h); NULL: no digest.
	 */
	char			*digest_to;
	unsigned		 digest_hour;
};

/*
 * The console's group web { listen; tls_cert_file; tls_key_file;
 * session_idle_minutes; session_max_hours; } (balpweb(8)).  listen is
 * "HOST:PORT" ("[::1]:8080" for IPv6): a host that is not loopback needs
 * TLS (both files, or neither).  The files are not read at load (balpweb
 * reads them at start, as its own user).
 */
struct conf_web {
	char		*listen;	/* as written */
	char		*host;		/* address literal or "localhost" */
	unsigned	 port;		/* 1..65535 */
	char		*tls_cert_file;	/* absolute; NULL: no TLS */
	char		*tls_key_file;	/* absolute; NULL: no TLS */
	unsigned	 session_idle_minutes;	/* 1..1440 */
	unsigned	 session_max_hours;	/* 1..24 */
};

struct balp_conf {
	char			*file;		/* the config file, as given */
	char			*dir;		/* its folder, absolute */
	char			*rules_file;	/* absolute */
	char			*store_path;	/* absolute */
	char			*key_file;	/* absolute */
	/* The audit chain's key (store_audit.h); default: audit.key beside
	 * key_file.  Absolute. */
	char			*audit_key_file;

	struct source_conf	  source;	/* paths absolute */
	/*
	 * lmtp { listen; recipients; max_sessions; group;
	 * idle_timeout_seconds; command_timeout_seconds; }: mail taken
	 * from Postfix at delivery time (lmtp.h); has_lmtp 0: none.
	 * lmtp.max_size is the rules' max_message_size.
	 */
	int			  has_lmtp;
	struct lmtp_conf	  lmtp;

	struct wordlist		  trusted_authserv_ids;	/* lower case */
	struct wordlist		  public_suffixes;

	/*
	 * The parser always runs isolated (libetpan has heap bugs):
	 * workers 1..16 processes at once; deadline 100..600000 ms per
	 * message; a worker parses max_jobs (1..1000000) messages, 1 by
	 * default (docs/sandbox.md: more is a trade); breaker (1..1000):
	 * failed parses in a row before the canary decides whether the
	 * parser itself is broken.
	 */
	struct mime_limits	  limits;
	unsigned		  parser_workers;
	unsigned		  parser_deadline_ms;
	unsigned		  parser_max_jobs;
	unsigned		  parser_breaker;

	/*
	 * Group commit, one fdatasync per batch: at most batch_size
	 * (1..10000) decisions, waiting at most batch_max_ms (0..10000).
	 */
	unsigned		  batch_size;
	unsigned		  batch_max_ms;

	char			*notice_from;	/* envelope and From of notices */

	/*
	 * The relay notices go through (group smtp); has_smtp 0: none
	 * configured, notices wait in the outbox.  The password file is
	 * not read at load (balpctl never sends mail): balpd checks it at
	 * start-up and reload (smtp_check_password), the notifier reads it
	 * at each session and wipes it.  At most notices_per_hour
	 * (1..10000) notices to one recipient in any hour
	 * (notices.max_per_sender_hour).
	 */
	int			  has_smtp;
	struct smtp_conf	  smtp;
	unsigned		  notices_per_hour;
	/*
	 * notices.acknowledge (default false): an acknowledgment to the
	 * sender of each accepted message, from the rules' template.
	 */
	int			  notices_acknowledge;
	int			  rescan_seconds;	/* watcher safety net */
	/*
	 * retention { traces_months; habilitation_years; }: what `balpctl
	 * purge` and balpd's daily purge destroy (store_purge.h); the
	 * contract's 6 and 6 by default.
	 */
	unsigned		  retention_traces_months;
	unsigned		  retention_habilitation_years;

	/*
	 * The queues' SLA (group sla): a message waiting in a queue more
	 * than this many working days (workdays.h) is overdue (contract
	 * 3.3: 10).  per_queue overrides it for the queues it names, each
	 * one of the rules' queues; 0 days: the queue has no deadline (the
	 * rejects, answered by their notice).
	 */
	struct conf_sla		  sla;

	/*
	 * access { admin_group; }: the group whose members (and root) may
	 * run balpctl's trace, review and purge commands, and that reads
	 * the store and its keys (balpctl init: folder 2770, database 0660,
	 * keys 0640, all of that group).  NULL / (gid_t)-1 when unset: the
	 * files stay their owner's alone and no command checks a group.
	 * The group must exist when the configuration is loaded.
	 */
	char			 *admin_group;
	gid_t			  admin_gid;

	struct conf_web		  web;

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

/* The SLA of queue in working days (its own, else sla.working_days);
 * 0: no deadline. */
unsigned conf_sla_days(const struct balp_conf *, const char *queue);

/* 1 if name is a valid queue folder name ("BALP/RIB"), else 0. */
int	 conf_valid_folder(const char *name);

#endif
