/*
 * test_store_open - store_open() as balpd and balpctl do it, with an audit
 * key set (store_audit.h: appends need one), for the unit tests that
 * write to a store.
 */
#ifndef BALP_TEST_STORE_OPEN_H
#define BALP_TEST_STORE_OPEN_H

#include "balp/store.h"
#include "balp/store_audit.h"

/* The tests' audit key: any 32 bytes do. */
static const unsigned char test_audit_key[STORE_AUDIT_KEY_LEN] = {
	0x62, 0x61, 0x6c, 0x70, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x61,
	0x75, 0x64, 0x69, 0x74, 0x2d, 0x6b, 0x65, 0x79,
};

static inline int
test_store_open(const char *path, struct store **st, struct buf *err)
{
	int rc = store_open(path, st, err);

	if (rc == STORE_OK)
		store_audit_key(*st, test_audit_key);
	return rc;
}

#endif
