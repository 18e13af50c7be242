/* SPDX-License-Identifier: Apache-2.0 */
/*
 * imap_ref - the reference client of tests/bench/imap.sh (issue 10): what
 * any client of this IMAP server can do at best when it reads what a
 * decision needs and files the messages, with no decision and no record.
 *
 *   imap_ref HOST PORT USER PASSWORD_FILE none|starttls CA_FILE [BATCH]
 *
 * Logs in (STARTTLS: the certificate is checked against CA_FILE for HOST
 * with balp's tls_verify, before the password is sent), SELECT INBOX,
 * UID SEARCH ALL, then per batch of BATCH UIDs (100): one UID FETCH (UID
 * BODYSTRUCTURE BODY.PEEK[HEADER] BODY.PEEK[1]<0.65536>) and one UID MOVE
 * per target folder.  With IMAP_REF_WHOLE=1 in the environment the FETCH
 * is (UID BODY.PEEK[]) instead: what a client that judges attachments by
 * their content must read, the whole message.  The target is chosen by UID parity (odd: BALP/RIB,
 * even: BALP/Rejets), not by looking at the message: the two MOVEs per
 * batch cost what a subject sort's would, and nothing is decided.  The
 * fetched data is only counted.  BODY[1] is the first part of the
 * message (a whole multipart/alternative when that comes first, capped
 * like the rest: what a client asks before it has read the structure).
 * The folders must exist (imap.sh makes them).  Prints "MESSAGES BYTES
 * FETCH_MS MOVE_MS" on stdout: bytes of the fetched items, milliseconds in
 * the UID FETCHes and in the UID MOVEs.  Exit 0, or 1 with a line on
 * stderr.
 */
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/tls.h"


static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
fail(const char *what, int r)
{
	fprintf(stderr, "imap_ref: %s failed (libetpan %d)\n", what, r);
	return 1;
}

/* Bytes of the items of one fetched message. */
static size_t
att_bytes(struct mailimap_msg_att *ma)
{
	size_t n = 0;

	for (clistiter *it = clist_begin(ma->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);

		if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    item->att_data.att_static->att_type ==
		    MAILIMAP_MSG_ATT_BODY_SECTION)
			n += item->att_data.att_static->att_data.att_body_section->sec_length;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct mailimap *s;
	struct mailimap_search_key *key;
	struct buf err;
	clist *uids = NULL;
	char pass[256];
	size_t moved = 0, bytes = 0, plen, batch = 100;
	double t, fetch_ms = 0, move_ms = 0;
	FILE *f;
	int r, whole;

	whole = getenv("IMAP_REF_WHOLE") != NULL &&
	    strcmp(getenv("IMAP_REF_WHOLE"), "1") == 0;
	if (argc == 8)
		batch = (size_t)strtoul(argv[7], NULL, 10);
	if ((argc != 7 && argc != 8) || batch == 0) {
		fprintf(stderr, "usage: imap_ref HOST PORT USER PASSWORD_FILE "
		    "none|starttls CA_FILE [BATCH]\n");
		return 2;
	}
	if ((f = fopen(argv[4], "r")) == NULL) {
		perror(argv[4]);
		return 1;
	}
	plen = fread(pass, 1, sizeof(pass) - 1, f);
	fclose(f);
	pass[plen] = '\0';
	pass[strcspn(pass, "\r\n")] = '\0';

	s = mailimap_new(0, NULL);
	mailimap_set_timeout(s, 60);
	r = mailimap_socket_connect(s, argv[1], (uint16_t)atoi(argv[2]));
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return fail("connect", r);
	if (strcmp(argv[5], "starttls") == 0) {
		buf_init(&err);
		r = mailimap_socket_starttls_with_callback(s, tls_sni, argv[1]);
		if (r != MAILIMAP_NO_ERROR)
			return fail("STARTTLS", r);
		if (tls_verify(s->imap_stream, argv[1], argv[6], &err) == -1) {
			fprintf(stderr, "imap_ref: %s\n", buf_str(&err));
			return 1;
		}
		buf_free(&err);
	}
	if ((r = mailimap_login(s, argv[3], pass)) != MAILIMAP_NO_ERROR)
		return fail("LOGIN", r);
	if ((r = mailimap_select(s, "INBOX")) != MAILIMAP_NO_ERROR)
		return fail("SELECT", r);
	key = mailimap_search_key_new_all();
	r = mailimap_uid_search(s, NULL, key, &uids);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail("UID SEARCH", r);

	for (clistiter *it = clist_begin(uids); it != NULL;) {
		struct mailimap_set *all = mailimap_set_new_empty();
		struct mailimap_set *to[2] = { mailimap_set_new_empty(),
		    mailimap_set_new_empty() };
		static const char *folder[2] = { "BALP/Rejets", "BALP/RIB" };
		struct mailimap_fetch_type *ft;
		clist *res = NULL;
		clist *part;
		uint32_t *one;
		size_t n = 0;

		for (; it != NULL && n < batch; it = clist_next(it), n++) {
			uint32_t uid = *(uint32_t *)clist_content(it);

			mailimap_set_add_single(all, uid);
			mailimap_set_add_single(to[uid % 2], uid);
		}
		ft = mailimap_fetch_type_new_fetch_att_list_empty();
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_uid());
		if (whole) {
			mailimap_fetch_type_new_fetch_att_list_add(ft,
			    mailimap_fetch_att_new_body_peek_section(
			    mailimap_section_new(NULL)));
			goto fetch;
		}
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_bodystructure());
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(
		    mailimap_section_new_header()));
		part = clist_new();
		one = malloc(sizeof(*one));
		if (part == NULL || one == NULL)
			return fail("malloc", -1);
		*one = 1;
		clist_append(part, one);
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section_partial(
		    mailimap_section_new_part(mailimap_section_part_new(part)),
		    0, 65536));
fetch:
		t = now_ms();
		r = mailimap_uid_fetch(s, all, ft, &res);
		fetch_ms += now_ms() - t;
		mailimap_fetch_type_free(ft);
		mailimap_set_free(all);
		if (r != MAILIMAP_NO_ERROR)
			return fail("UID FETCH", r);
		for (clistiter *m = clist_begin(res); m; m = clist_next(m))
			bytes += att_bytes(clist_content(m));
		mailimap_fetch_list_free(res);
		t = now_ms();
		for (int i = 0; i < 2; i++) {
			if (clist_count(to[i]->set_list) > 0 &&
			    (r = mailimap_uid_move(s, to[i], folder[i])) !=
			    MAILIMAP_NO_ERROR)
				return fail("UID MOVE", r);
			mailimap_set_free(to[i]);
		}
		move_ms += now_ms() - t;
		moved += n;
	}
	mailimap_search_result_free(uids);
	mailimap_logout(s);
	mailimap_free(s);
	printf("%zu %zu %.0f %.0f\n", moved, bytes, fetch_ms, move_ms);
	return 0;
}
