/* SPDX-License-Identifier: Apache-2.0 */
/*
 * array - the one growth primitive for the project's dynamic arrays.
 *
 * Every growable array is a pointer, a count and a capacity; before
 * writing element n the caller asks array_reserve() for room.  Capacity
 * doubles (from 8), so n appends cost O(n) in all; new slots are zeroed, so
 * a struct freshly reserved is in its "empty" state; the size computation
 * is checked for overflow.
 *
 * Ownership: the array stays the caller's; array_reserve only reallocates
 * it (on failure it is left untouched and still owned by the caller).
 */
#ifndef BALP_ARRAY_H
#define BALP_ARRAY_H

#include <stddef.h>

/*
 * Makes room in *v (elements of elem bytes, *cap of them allocated) for
 * index n, i.e. at least n + 1 elements.  0, or -1 on overflow or ENOMEM.
 */
int	 array_reserve(void *v, size_t *cap, size_t n, size_t elem);

/* The usual call: ARRAY_RESERVE(list.v, list.cap, list.n). */
#define ARRAY_RESERVE(v, cap, n) array_reserve(&(v), &(cap), (n), sizeof(*(v)))

#endif
