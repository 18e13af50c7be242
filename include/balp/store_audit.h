/*
 * store_audit - the audit trail: ONE table of hash-chained rows, appended in
 * the transaction of the change each one records (see store_priv.h), read
 * and verified here.
 *
 * Chain (docs/store.md): hash = hex(crypto_generichash-256(prev_hash ||
 * netstring(id) || netstring(at, kind, actor, action, object, detail))),
 * each field a netstring "<len>:<bytes>,", the first prev_hash 64 '0'.
 * A row edited, deleted or inserted behind the store's back breaks the
 * chain from that row on.
 *
 * Errors, ownership: as store.h says.
 */
#ifndef BALP_STORE_AUDIT_H
#define BALP_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "balp/store.h"

struct store_audit_row {
	int64_t		 id;
	char		*at;
	char		*kind;		/* "decision" or "admin" */
	char		*actor;
	char		*action;	/* "partner.add", "decision.record" */
	char		*object;
	char		*detail;
	char		*prev_hash;
	char		*hash;
};

struct store_audit_list {
	struct store_audit_row	*v;
	size_t			 n;
};

/*
 * Recomputes the whole chain: hash = hex(crypto_generichash-256(prev_hash
 * || length-prefixed id, at, kind, actor, action, object, detail)), the
 * first prev_hash being 64 '0'.  Returns 0 if intact, 1 if broken with
 * *first_bad_id the first row whose prev_hash or hash does not match,
 * -1 on error (store_errmsg).
 */
int	 store_audit_verify(struct store *, int64_t *first_bad_id);
/*
 * Audit rows, most recent first; kind "admin", "decision" or NULL = both;
 * limit 0 = all.
 */
int	 store_audit_list(struct store *, const char *kind, size_t limit,
	    struct store_audit_list *out);
/* The rows about one object ("decision/42"), oldest first. */
int	 store_audit_of(struct store *, const char *object,
	    struct store_audit_list *out);
void	 store_audit_list_free(struct store_audit_list *);

#endif
