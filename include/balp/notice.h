/* SPDX-License-Identifier: Apache-2.0 */
/*
 * notice - the text of the notice that tells a partner what to fix, pure.
 *
 * Built only from the rules' French templates and the decision: never from
 * the message's Subject or body, which hold the beneficiary's name and NIR.
 * The one piece of the NIR a notice may echo is its 2-digit key.
 */
#ifndef BALP_NOTICE_H
#define BALP_NOTICE_H

#include <stdint.h>

#include "balp/buf.h"
#include "balp/decide.h"
#include "balp/rules.h"

/*
 * Renders subject and body (UTF-8, LF line ends) for a decision whose
 * notify flag is set.  Both are malloc'd, caller frees.  0, or -1 on ENOMEM.
 */
int	 notice_render(const struct rules *, const struct decision *,
	    int32_t today, char **subject, char **body);
/*
 * The acknowledgment of an accepted message (notices.acknowledge), from
 * the rules' notices.acknowledgment template, same placeholders and same
 * ownership.  -1 on ENOMEM or when the rules have no such template.
 */
int	 notice_render_ack(const struct rules *, const struct decision *,
	    int32_t today, char **subject, char **body);

/*
 * The referent's mail about a staged annex (rules' notices.annex): approved
 * (text: what changed, one person a line, for {changes}) or rejected
 * (text: the admin's reason, for {reason}); {partner} the partner's id,
 * {date} today.  Same ownership.  -1 on ENOMEM or when the rules have no
 * such template.  The text is the admin's and the partner's own staff
 * list: never a beneficiary's.
 */
int	 notice_render_annex(const struct rules *, int approved,
	    const char *partner, const char *text, int32_t today,
	    char **subject, char **body);

/*
 * The mail a notice travels in (RFC 5322, RFC 2045, RFC 3834), as values:
 * core has no clock and makes no ids.  Addresses are bare (no <>), ids
 * bare (no <>).
 */
struct notice_mail {
	const char	*from;		/* notices.from */
	const char	*to;		/* the authenticated sender */
	const char	*subject;	/* UTF-8, from notice_render() */
	const char	*body;		/* UTF-8, LF line ends */
	int64_t		 date;		/* seconds since the epoch, UTC */
	const char	*message_id;	/* the notice's own */
	const char	*in_reply_to;	/* the partner's, NULL if none */
	/* 1: no answer to anyone (the supervisors' digest): Auto-Submitted
	 * auto-generated rather than auto-replied (RFC 3834). */
	int		 generated;
};

/*
 * Appends the whole message to out: CRLF line ends, the Subject RFC
 * 2047-encoded (B, UTF-8, words of at most 75 characters on lines of their
 * own) when it is not short plain ASCII or could be mistaken for an encoded
 * word, the body quoted-printable UTF-8 in lines of at most 76, no line
 * over 998,
 * with Auto-Submitted: auto-replied, X-Auto-Response-Suppress: All (for
 * Exchange, which ignores RFC 3834), X-BALP-Notice (so that a notice coming
 * back is recognised as ours), and In-Reply-To/References when in_reply_to
 * is a safe id.  No header value comes from anything that could carry a
 * CR, LF or other control: from, to and message_id must pass
 * notice_addr_ok() / notice_msgid_ok() or the call fails; an in_reply_to
 * that does not is left out (the notice still goes, unthreaded) and
 * *threaded (may be NULL) says 0.  0, or -1 with err set (one line).
 */
int	 notice_compose(const struct notice_mail *, struct buf *out,
	    int *threaded, struct buf *err);

/*
 * 1 if s is a dot-atom-ish mailbox local@domain in printable ASCII with
 * no space, control, quote, angle bracket, comma, semicolon or backslash,
 * at most 254 bytes: what may go between <> on the wire and in a header.
 */
int	 notice_addr_ok(const char *s);
/*
 * 1 if s is a Message-ID without its <> that is safe to echo:
 * left@right, printable ASCII, no space, <, >, or backslash, quote or
 * comma, at most 250 bytes.
 */
int	 notice_msgid_ok(const char *s);

#endif
