/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_session - session ids, CSRF tokens, expiry (see web_session.h).
 *
 * Ownership: everything is written into the caller's fixed arrays; the
 * id's bytes are wiped from the stack after use.
 */
#include "balp/web_session.h"

#include <string.h>

#include <sodium.h>

#define CSRF_LABEL	"balp console csrf v1"

int
web_session_new_id(char out[WEB_SESSION_HEX + 1])
{
	unsigned char raw[WEB_SESSION_HEX / 2];

	if (sodium_init() < 0)
		return -1;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, WEB_SESSION_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
web_session_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; i < WEB_SESSION_HEX; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[WEB_SESSION_HEX] == '\0';
}

void
web_session_hash(const char *id, char out[WEB_SESSION_HEX + 1])
{
	unsigned char h[WEB_SESSION_HEX / 2];

	crypto_generichash(h, sizeof(h), (const unsigned char *)id,
	    WEB_SESSION_HEX, NULL, 0);
	sodium_bin2hex(out, WEB_SESSION_HEX + 1, h, sizeof(h));
}

void
web_session_csrf(const char *id, char out[WEB_SESSION_HEX + 1])
{
	unsigned char key[WEB_SESSION_HEX / 2], h[WEB_SESSION_HEX / 2];

	sodium_memzero(key, sizeof(key));	/* hex2bin may stop short */
	sodium_hex2bin(key, sizeof(key), id, WEB_SESSION_HEX, NULL, NULL,
	    NULL);
	crypto_generichash(h, sizeof(h), (const unsigned char *)CSRF_LABEL,
	    sizeof(CSRF_LABEL) - 1, key, sizeof(key));
	sodium_bin2hex(out, WEB_SESSION_HEX + 1, h, sizeof(h));
	sodium_memzero(key, sizeof(key));
}

int
web_session_csrf_ok(const char *id, const char *token)
{
	char want[WEB_SESSION_HEX + 1];
	int ok;

	if (!web_session_id_valid(id) || token == NULL ||
	    strnlen(token, WEB_SESSION_HEX + 1) != WEB_SESSION_HEX)
		return 0;
	web_session_csrf(id, want);
	ok = sodium_memcmp(want, token, WEB_SESSION_HEX) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

enum web_session_state
web_session_expiry(time_t created, time_t seen, time_t now,
    long idle_seconds, long max_seconds)
{
	if (now < created || now < seen)
		return WEB_SESSION_OLD;
	if (now - created >= max_seconds)
		return WEB_SESSION_OLD;
	if (now - seen >= idle_seconds)
		return WEB_SESSION_IDLE;
	return WEB_SESSION_LIVE;
}
