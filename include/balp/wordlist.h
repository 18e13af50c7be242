/*
 * wordlist - a list of folded words or phrases and the matching rules the
 * core uses for keywords and stop words, pure.
 *
 * Entries are folded with text_fold() when added.  A phrase matches text
 * when its words appear consecutively as whole words of the folded text;
 * an entry word ending in '*' matches any word with that prefix
 * ("suspen*" matches "suspendu", "suspension").  Words are runs of letters,
 * digits and apostrophes-inside-words; everything else separates them,
 * except that an apostrophe also splits ("d'identite" = "d" "identite").
 *
 * Ownership: the list owns its strings; wordlist_free() releases them.
 */
#ifndef BALP_WORDLIST_H
#define BALP_WORDLIST_H

#include <stddef.h>

struct wordlist {
	char	**v;	/* folded entries */
	size_t	  n;
	size_t	  cap;
};

void	 wordlist_init(struct wordlist *);
void	 wordlist_free(struct wordlist *);
/* Folds and appends; 0 or -1 on ENOMEM. */
int	 wordlist_add(struct wordlist *, const char *utf8);

/*
 * Position (byte offset in `folded`) of the earliest match of any entry in
 * the already folded text, or -1.  *which is set to the matching entry's
 * index when not NULL.
 */
long	 wordlist_find(const struct wordlist *, const char *folded, size_t *which);

/* 1 if the single folded word w equals an entry (or matches a '*' entry). */
int	 wordlist_has_word(const struct wordlist *, const char *w, size_t wlen);

/*
 * Splits folded text into words: calls fn(word, len, offset, arg) for each;
 * stops early and returns fn's value if it is non-zero.
 */
int	 wordlist_split(const char *folded,
	    int (*fn)(const char *, size_t, size_t, void *), void *arg);

#endif
