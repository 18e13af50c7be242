/* SPDX-License-Identifier: Apache-2.0 */
/*
 * html - HTML to plain text, for a mail whose only own text is HTML.
 *
 * The request type and the dates are read from the text a partner wrote;
 * when a mail client sent HTML only, this is that text, close to what the
 * Caf agent sees on screen: markup, comments, <script> and <style> (with
 * their content) dropped, block elements turned into line ends, source
 * white space collapsed, character references decoded.  Tokenizing
 * follows the HTML5 rules where they decide what is visible ("a < b" is
 * text; a '>' inside a quoted attribute value does not end the tag;
 * "<!...>", "<?...>" and CDATA sections are bogus comments up to the
 * first '>').  It is not a full HTML parser: there is no tree, no
 * entity beyond a short list, no CSS.
 *
 * Pure: no I/O, no global state.  Never fails on input, whatever the
 * bytes: invalid UTF-8 and NUL become U+FFFD, so the output is valid
 * UTF-8 without NUL.  Linear in len; the output holds at most 3 * len
 * bytes plus the NUL.
 */
#ifndef BALP_HTML_H
#define BALP_HTML_H

#include <stddef.h>

/*
 * The text of s[0..len) (s need not be NUL-terminated).  Returns a
 * malloc'd, NUL-terminated UTF-8 string the caller frees; NULL only on
 * allocation failure.
 */
char	*html_to_text(const char *s, size_t len);

#endif
