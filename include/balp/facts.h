/* SPDX-License-Identifier: Apache-2.0 */
/*
 * facts - what the parser learnt about one message, as plain values.
 *
 * The mime module fills a struct msg_facts from raw bytes; decide() reads
 * it.  Strings are UTF-8, cleaned of controls, NUL-terminated.  Because a
 * parse may run in a child process (libetpan has a known crash on hostile
 * boundaries), facts can be serialized to bytes and back.
 *
 * Ownership: the struct owns every pointer in it; facts_free() releases
 * them and leaves the struct zeroed.
 */
#ifndef BALP_FACTS_H
#define BALP_FACTS_H

#include <stddef.h>
#include <stdint.h>

struct part_facts {
	char		*content_type;	/* "application/pdf", lower case, never NULL */
	char		*filename;	/* decoded (RFC 2047/2231), NULL if none */
	uint64_t	 size;		/* decoded bytes */
	int		 is_attachment;	/* not the message's own text */
	/* A picture of the HTML body: in multipart/related, named by a
	 * Content-ID, not disposed as an attachment (a signature logo). */
	int		 embedded;
	int		 depth;		/* 0 = top-level body */
	/*
	 * What the bytes are (content.h): the MIME type libmagic gave
	 * (lower case, no parameters; NULL when the part was not looked
	 * at: the message's own HTML, or facts from elsewhere), and the
	 * CONTENT_* findings.  A part that should have been inspected and
	 * could not be carries CONTENT_NOT_INSPECTED.
	 */
	char		*sniffed_type;
	unsigned	 findings;
};

struct msg_facts {
	/* NULL when the message could be parsed well enough to decide;
	 * otherwise a short, static, non-personal explanation. */
	const char	*malformed;

	uint64_t	 raw_size;	/* bytes of the whole message */

	int		 from_count;	/* From header fields seen */
	char		*from_addr;	/* lower-case addr-spec, NULL if none */
	char		*from_name;	/* decoded display name, NULL if none */
	char		*subject;	/* decoded; NULL if no Subject field */
	char		*message_id;	/* without <>, NULL if none */

	char		**auth_results;	/* unfolded Authentication-Results values */
	size_t		  n_auth_results;
	size_t		  cap_auth_results;

	/* RFC 3834 and list-mail signs; NULL when absent. */
	char		*auto_submitted;
	char		*precedence;
	char		*return_path;	/* raw value; "<>" is the null path */
	int		 has_return_path;
	int		 has_list_id;
	int		 has_autoreply_header;	/* X-Autoreply, X-Autorespond */
	int		 has_notice_marker;	/* X-BALP-Notice: one of ours */
	char		*top_content_type;	/* "multipart/report"..., lower case */

	struct part_facts *parts;	/* every leaf part, in order */
	size_t		  n_parts;
	size_t		  cap_parts;
	int		  truncated_parts;	/* more parts than the limit */

	char		*first_text;	/* first text part, UTF-8, bounded */
};

/*
 * The short, static explanations that may appear in facts.malformed, and
 * the only ones: whoever sets malformed (the parser, the pipeline) sets
 * one of these.  A deserialized message maps its text back to one of
 * these (or to FACTS_MALFORMED_GENERIC) so that malformed always points
 * to static storage, whatever a parse child wrote; a text outside the
 * table would silently become "malformed" on that trip.
 * mime_parse() and facts_deserialize() both store the pointer
 * facts_malformed_static() returns, so equal reasons are equal pointers;
 * strcmp() works anyway.
 */
#define FACTS_MALFORMED_GENERIC		"malformed"
#define FACTS_MALFORMED_EMPTY		"empty message"
#define FACTS_MALFORMED_NO_HEADER	"no header"
#define FACTS_MALFORMED_BAD_HEADER	"unparseable header"
#define FACTS_MALFORMED_NUL_HEADER	"NUL byte in header"
#define FACTS_MALFORMED_LONG_HEADER	"header field too long"
#define FACTS_MALFORMED_NO_FROM		"no From field"
#define FACTS_MALFORMED_MANY_FROM	"several From fields"
#define FACTS_MALFORMED_MANY_AUTHORS	"several From mailboxes"
#define FACTS_MALFORMED_FROM_ADDR	"From without usable address"
#define FACTS_MALFORMED_DEPTH		"multipart nesting too deep"
#define FACTS_MALFORMED_CONTAINERS	"too many multiparts"
#define FACTS_MALFORMED_BOUNDARY	"hostile multipart boundary"
#define FACTS_MALFORMED_MIME		"MIME structure unparseable"
#define FACTS_MALFORMED_PARSER		"parser failed"
#define FACTS_MALFORMED_TIMEOUT		"parser timed out"
#define FACTS_MALFORMED_CRASHED		"parser crashed"
#define FACTS_MALFORMED_UNREADABLE	"unreadable"
#define FACTS_MALFORMED_TOO_LARGE	"too large to examine"

/* The table's string equal to s, else FACTS_MALFORMED_GENERIC; never NULL. */
const char *facts_malformed_static(const char *s);

/* The i-th string of the table (from 0), NULL past its end. */
const char *facts_malformed_at(size_t i);

void	 facts_init(struct msg_facts *);
void	 facts_free(struct msg_facts *);

/* Adds a part; the strings are copied.  0 or -1 on ENOMEM. */
int	 facts_add_part(struct msg_facts *, const char *content_type,
	    const char *filename, uint64_t size, int is_attachment, int depth);
int	 facts_add_auth_result(struct msg_facts *, const char *value);

/*
 * Serialization for the parse worker's answers (sandbox.h).
 * facts_serialize() returns a malloc'd buffer (caller frees) and its
 * length in *len, NULL on ENOMEM.
 * facts_deserialize() fills an initialised struct; 0, or -1 on any
 * inconsistency (the struct is then freed and zeroed).
 */
char	*facts_serialize(const struct msg_facts *, size_t *len);
int	 facts_deserialize(const char *data, size_t len, struct msg_facts *);

#endif
