/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wordlist - a list of folded words or phrases and the matching rules the
 * core uses for keywords and stop words, pure.
 *
 * Entries are folded with text_fold() when added.  A phrase matches text
 * when its words appear consecutively as whole words of the folded text;
 * an entry word ending in '*' matches any word with that prefix
 * ("suspen*" matches "suspendu", "suspension").  Words are runs of word
 * bytes (wordlist_is_word_byte): everything else separates them, so an
 * apostrophe or a hyphen splits ("d'identite" = "d" "identite").
 *
 * Each entry is cut into its words once, when it is added, so that
 * matching a message never parses the rules again: the list keeps every
 * entry's words, the first byte of every entry for a quick rejection, and
 * its words sorted for a binary search.  Those point into the entries and
 * are only ever changed by wordlist_add(): a list filled at load time is
 * read by any number of decisions.
 *
 * Ownership: the list owns its strings and its index; wordlist_free()
 * releases them.
 */
#ifndef BALP_WORDLIST_H
#define BALP_WORDLIST_H

#include <stddef.h>

/* One word of an entry. */
struct wordlist_word {
	const char	*s;		/* into the entry, not NUL-terminated */
	size_t		 len;		/* bytes, the '*' not counted */
	int		 prefix;	/* written with a trailing '*' */
};

/*
 * An entry's words are words[first .. first + n); n == 0 matches nothing.
 * len is strlen(v[k]), for the lists compared as whole strings (MIME
 * types, extensions, public suffixes) on every part of every message.
 */
struct wordlist_entry {
	size_t		 len;
	size_t		 first;
	size_t		 n;
	unsigned char	 lead;		/* first byte of its first word, or 0 */
};

struct wordlist {
	char			**v;		/* folded entries */
	size_t			  n;
	size_t			  cap;

	struct wordlist_entry	 *ent;		/* ent[k] describes v[k] */
	size_t			  ecap;
	struct wordlist_word	 *words;	/* every entry's words, in order */
	size_t			  nwords;
	size_t			  wcap;
	/*
	 * Indexes into words[] (all of them): first the nprefix '*' words,
	 * then the others sorted by bytes, for wordlist_has_entry_word().
	 */
	size_t			 *sorted;
	size_t			  nprefix;
	size_t			  scap;
	unsigned char		  leads[32];	/* bit set: some entry's lead */
};

/*
 * Word bytes: ASCII letters and digits, and every byte of a non-ASCII
 * code point.  The one definition, so that entries, Subjects and texts
 * are cut alike wherever they are cut (wordlist, subject, classify).
 */
static inline int
wordlist_is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

void	 wordlist_init(struct wordlist *);
void	 wordlist_free(struct wordlist *);
/* Folds, cuts into words and appends; 0 or -1 on ENOMEM (list unchanged). */
int	 wordlist_add(struct wordlist *, const char *utf8);

/*
 * Position (byte offset in `folded`) of the earliest match of any entry in
 * the already folded text, or -1.  *which is set to the matching entry's
 * index when not NULL; of several entries matching at the same position,
 * the first added.
 */
long	 wordlist_find(const struct wordlist *, const char *folded, size_t *which);

/* 1 if the single folded word w equals an entry (or matches a '*' entry). */
int	 wordlist_has_word(const struct wordlist *, const char *w, size_t wlen);

/*
 * 1 if the folded word w[0..wlen) is one of the words of any entry (of a
 * phrase too: "securite" is a word of "securite sociale"); an entry word
 * ending in '*' is a prefix.
 */
int	 wordlist_has_entry_word(const struct wordlist *, const char *w,
	    size_t wlen);

/* How many words entry k has ("a compter du": 3). */
size_t	 wordlist_entry_words(const struct wordlist *, size_t k);

/*
 * Splits folded text into words: calls fn(word, len, offset, arg) for each;
 * stops early and returns fn's value if it is non-zero.
 */
int	 wordlist_split(const char *folded,
	    int (*fn)(const char *, size_t, size_t, void *), void *arg);

#endif
