/*
 * triage - the pipeline, source -> parse -> decide -> record -> act, for
 * the daemon and for `balpctl test`.
 *
 * triage_decide() is the side-effect-free half (parse, annex lookup,
 * decide): `balpctl test` calls it alone, so it decides exactly as the
 * daemon does.  triage_pass() adds the rest for every message waiting in a
 * source: one transaction records the decision, its audit row and its
 * notice; then the message is moved to its queue.  A message whose decision
 * is already stored is only moved (a crash between record and move), never
 * decided again.
 */
#ifndef BALP_TRIAGE_H
#define BALP_TRIAGE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/decide.h"
#include "balp/facts.h"
#include "balp/source.h"
#include "balp/store.h"
#include "balp/store_partner.h"

/*
 * Bytes of a message read to decide it, by the daemon and `balpctl test`
 * alike.  A larger message is not examined whole: it is quarantined as
 * malformed.  conf refuses a max_message_size that would come near it.
 */
#define TRIAGE_READ_MAX		((size_t)256 << 20)

struct triage {
	const struct balp_conf	*conf;
	struct store		*store;
	/*
	 * The pseudonym key's file; NULL: no pseudonyms (balpctl test).  The
	 * key is read only to compute a pseudonym and wiped at once, so that
	 * no parse child is ever forked with it in memory.
	 */
	const char		*key_file;
	int32_t			 today;		/* day of processing */
	time_t			 now;
	const char		*actor;		/* for the audit trail */
};

struct triage_result {
	struct msg_facts		facts;
	struct store_habilitations	habs;
	struct decision			decision;
};

/* What happened to one message of a pass, for the caller to show. */
struct triage_report {
	const char		*label;		/* file name */
	const struct decision	*decision;	/* NULL if not decided now */
	const char		*sender;	/* NULL if none */
	const char		*queue;		/* where it went */
	const char		*stored_reasons; /* when moved from an old decision */
	const char		*stored_outcome;
	const char		*stored_type;
	const char		*error;		/* NULL, or why it stays in the inbox */
};

typedef void triage_report_fn(const struct triage_report *, void *arg);

/* The local civil day of t. */
int32_t	 triage_today(time_t t);

/*
 * Parses msg (len bytes read of a message of full_size bytes), looks the
 * sender up in the annex and decides.  Fills *res (free it with
 * triage_result_free, whatever the return).  0; -1 with err set when the
 * store fails; -2 with err set when the parser could not run (no fork,
 * no memory): never because of the message itself.
 */
int	 triage_decide(const struct triage *, const char *msg, size_t len,
	    uint64_t full_size, struct triage_result *res, struct buf *err);
void	 triage_result_free(struct triage_result *);

/*
 * One pass over the source.  report (may be NULL) is called for every
 * message handled.  Returns the number of messages handled, or -1 with err
 * set when the store fails (messages not yet handled stay in the inbox).
 */
int	 triage_pass(const struct triage *, struct source *,
	    triage_report_fn *report, void *arg, struct buf *err);

#endif
