/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_priv - what the parser's files (mime*.c, src/mail/) share and
 * nobody else may use: the bounds of the raw scans, the walk's state
 * (struct walk, struct elision) and the functions one file calls in
 * another.  The public interface is include/balp/mime.h; the order of the
 * work, and why, is told at the top of mime.c.
 *
 *   mime.c          the entry points, the walk of the MIME tree, the
 *                   first text
 *   mime_scan.c     the raw scans libetpan must not be spared, and the
 *                   elision of long base64 runs
 *   mime_header.c   strings and charsets, the header facts
 *   mime_param.c    content types, parameters and file names (RFC 2231),
 *                   decoded sizes
 *   mime_content.c  bodies as received, content inspection (content.h),
 *                   forwarded messages
 *   mime_worker.c   the isolated parse (docs/sandbox.md)
 */
#ifndef BALP_MIME_PRIV_H
#define BALP_MIME_PRIV_H

#include <libetpan/libetpan.h>

#include <magic.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "balp/mime.h"

/*
 * More multipart boundaries or message/rfc822 types than this in one
 * message, and libetpan is not even asked: it recurses once per level and
 * the stack is the limit.  Real mail has a handful.
 */
#define MIME_MAX_CONTAINERS	2048
/* Bytes of white space and comments tolerated around "boundary=". */
#define MIME_MAX_CFWS		1024
/* Nested '(' in one header field; libetpan recurses once per level. */
#define MIME_MAX_COMMENT_DEPTH	128
/* RFC 2231 continuations followed (filename*0 .. filename*N). */
#define MIME_MAX_SEGMENTS	64
/*
 * Elision (see mime_elide(), mime_scan.c): the bytes kept at the end of
 * a long base64-like run, and the least a cut must save to be worth a
 * copy.
 */
#define MIME_ELIDE_HEAD		((size_t)64 << 10)
#define MIME_ELIDE_TAIL		((size_t)4096)
#define MIME_ELIDE_MIN_GAIN	((size_t)64 << 10)

/* Bytes mime_elide() removed at one place of the buffer it returns. */
struct elision {
	size_t		at;	/* offset in that buffer where the bytes were */
	size_t		raw;	/* bytes removed */
	uint64_t	b64;	/* of which base64 digits */
};

struct walk {
	const struct mime_limits *lim;
	struct msg_facts	*out;
	const char		*malformed;	/* first reason found */
	int			 nomem;
	/* Of the message being walked (the outer one, or a forwarded
	 * one): a text part of it seen, an HTML one seen. */
	int			 seen_text;
	int			 seen_html;
	int			 many_authors;	/* From with >1 mailbox */
	struct mailmime		*plain;		/* first_text candidates */
	struct mailmime		*html;
	int			 parent_related; /* leaf's parent: related */
	/* What mime_elide() cut from the buffer libetpan parses. */
	const char		*buf;		/* that buffer */
	const char		*orig;		/* the message as received */
	const struct elision	*cuts;
	size_t			 n_cuts;
	size_t			 scan_left;	/* of lim->max_scan_bytes */
	/* Bytes of forwarded messages still to parse again (open_forwarded()
	 * in mime_content.c: at most max_scan_bytes in all, whatever their
	 * nesting). */
	size_t			 reparse_left;
	/* Bodies from this offset of orig on are heads only (the source
	 * fetched no more: docs/imap.md); SIZE_MAX: none. */
	size_t			 heads_from;
	/*
	 * mime_part_bytes(): the decoded bytes of the part of index
	 * grab_index in out->parts are copied into grab (NULL: none asked),
	 * and grabbed set, when the part was read whole.
	 */
	struct buf		*grab;
	size_t			 grab_index;
	int			 grabbed;
};

static inline void
mime_set_malformed(struct walk *w, const char *why)
{
	if (w->malformed == NULL)
		w->malformed = why;
}

static inline int
mime_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The raw scans read every byte of a message, 2 MB attachments included,
 * so their inner loops work on 16 bytes at once (GCC/clang vector
 * extensions: SSE2 on x86-64, NEON on arm64, plain code elsewhere).
 */
typedef unsigned char mime_v16 __attribute__((vector_size(16)));

static inline mime_v16
mime_v16_load(const char *s)
{
	mime_v16 v;

	memcpy(&v, s, sizeof(v));
	return v;
}

static inline int
mime_v16_any(mime_v16 m)
{
	uint64_t w[2];

	memcpy(w, &m, sizeof(w));
	return (w[0] | w[1]) != 0;
}

/* mime_scan.c: the raw scans and the elision. */
const char	*mime_scan_header(const char *, size_t, size_t, size_t *,
		    size_t *);
int		 mime_scan_containers(const char *, size_t, size_t *);
size_t		 mime_scan_comment_depth(const char *, size_t);
uint64_t	 mime_count_b64(const char *, size_t);
int		 mime_elide(const char *, size_t, size_t, size_t, char **,
		    size_t *, struct elision **, size_t *);

/* mime_header.c: strings and header facts. */
char	*mime_to_utf8(const char *, size_t, const char *);
char	*mime_unfold(const char *, size_t);
char	*mime_decode_header(const char *);
void	 mime_utf8_truncate(char *, size_t);
void	 mime_take_headers(struct walk *, struct mailimf_fields *);

/* mime_param.c: types, parameters, file names, sizes. */
char		*mime_type_string(struct mailmime_content *);
int		 mime_has_subtype(struct mailmime_content *, const char *);
char		*mime_part_filename(struct walk *, struct mailmime *,
		    struct mailmime_single_fields *);
uint64_t	 mime_decoded_size(const struct walk *,
		    const struct mailmime_data *);

/* mime_content.c: bodies, content inspection, forwarded messages. */
char	*mime_decode_body(const struct mailmime_data *, size_t, size_t *,
	    int *);
void	 mime_unelide(const struct walk *, const struct mailmime_data *,
	    struct mailmime_data *);
void	 mime_inspect_leaf(struct walk *, struct mailmime *,
	    struct part_facts *, int, size_t);
/* libmagic's cookie for the process, and whether it was tried. */
extern magic_t	mime_magic;
extern int	mime_magic_tried;
magic_t	mime_magic_cookie(void);

/* mime.c: the walk (open_forwarded() walks a forwarded message). */
void	mime_walk_node(struct walk *, struct mailmime *, size_t, int, int);

#endif
