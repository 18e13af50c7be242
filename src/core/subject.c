/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject - is the beneficiary named in the Subject? (see subject.h)
 *
 * The Subject is folded (lower case, accents stripped) and cut into words
 * the way wordlist cuts them, so that apostrophes and hyphens split
 * ("N'DIAYE" = "n" "diaye", "GÉRARD-D'ALMEIDA" = "gerard" "d" "almeida").
 * Any one word that could only be a name is enough: the gateway cannot
 * tell a surname from a first name, and asking for two would reject
 * partners who write "RIB DUPONT".
 *
 * A word is NOT a name when it is shorter than two letters ("M."), holds a
 * digit or a symbol (NIRs, dates, "n°", emoji), is a reply/forward prefix,
 * or is a word of a stop word or of a request type's keyword phrase
 * (rules/): "Demande RIB NIR ..." names nobody.
 *
 * Pure; the only allocation is the folded copy, shared with the other
 * steps of decide() through a struct text_lazy.  On allocation failure the
 * answer is 0 (no name): the message is then rejected, never let through
 * unchecked.
 */
#include "balp/subject.h"
#include "balp/text.h"
#include "balp/wordlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* RE:, TR:, Fwd:, AW: (de), WG: (de), RV: (es), Réf: as mail clients write. */
static const char *const reply_prefixes[] = {
	"re", "tr", "fw", "fwd", "aw", "wg", "rv", "ref",
};

/*
 * Letters for a name: ASCII letters and non-ASCII code points from U+00C0
 * on, except the symbols French text meets (× ÷), the punctuation and
 * symbol blocks, private use, variation selectors, specials and emoji.
 */
static int
is_letter(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
	    (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
	    cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF) || cp >= 0x1F000)
		return 0;
	return 1;
}

/* Combining accents (decomposed "é") are allowed but are no letter. */
static int
is_combining(uint32_t cp)
{
	return cp >= 0x300 && cp <= 0x36F;
}

/* 1 if the folded word is made of at least two letters and nothing else. */
static int
letters_only(const char *w, size_t n)
{
	size_t i = 0, letters = 0;
	uint32_t cp;

	while (i < n) {
		cp = text_utf8_next(w, n, &i);
		if (!is_letter(cp))
			return 0;
		if (!is_combining(cp))
			letters++;
	}
	return letters >= 2;
}

static int
is_reply_prefix(const char *w, size_t n)
{
	size_t i;

	/*
	 * A word holds no NUL: strncmp() stops at the end of a shorter
	 * prefix, and its byte n is read only when it has n bytes.
	 */
	for (i = 0; i < sizeof(reply_prefixes) / sizeof(reply_prefixes[0]); i++)
		if (strncmp(reply_prefixes[i], w, n) == 0 &&
		    reply_prefixes[i][n] == '\0')
			return 1;
	return 0;
}

/*
 * Stop words and keywords alike: a rules/ author who writes a phrase
 * ("sécurité sociale", "relevé d'identité bancaire") means none of its
 * words is a name.
 */
static int
is_rules_word(const struct rules *r, const char *w, size_t n)
{
	size_t i;

	if (r == NULL)
		return 0;
	if (wordlist_has_entry_word(&r->stop_words, w, n))
		return 1;
	for (i = 0; i < r->n_types; i++)
		if (wordlist_has_entry_word(&r->types[i].keywords, w, n))
			return 1;
	return 0;
}

struct name_ctx {
	const struct rules	*r;
};

static int
name_cb(const char *w, size_t n, size_t off, void *arg)
{
	const struct name_ctx *ctx = arg;

	(void)off;
	return letters_only(w, n) && !is_reply_prefix(w, n) &&
	    !is_rules_word(ctx->r, w, n);
}

int
subject_has_name_lazy(struct text_lazy *subject, const struct rules *r)
{
	struct name_ctx ctx = { r };
	const char *f;

	if ((f = text_lazy_folded(subject)) == NULL)
		return 0;
	return wordlist_split(f, name_cb, &ctx) == 1;
}

int
subject_has_name(const char *subject, const struct rules *r)
{
	struct text_lazy s;
	int found;

	text_lazy_init(&s, subject);
	found = subject_has_name_lazy(&s, r);
	text_lazy_free(&s);
	return found;
}
