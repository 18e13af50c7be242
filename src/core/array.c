/* SPDX-License-Identifier: Apache-2.0 */
/*
 * array - the growth primitive (see include/balp/array.h).
 */
#include "balp/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
array_reserve(void *vp, size_t *cap, size_t n, size_t elem)
{
	void **v = vp;
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (elem == 0 || n >= SIZE_MAX / 2 / elem)
		return -1;
	ncap = *cap != 0 ? *cap : 8;
	while (ncap <= n)
		ncap *= 2;
	if ((p = realloc(*v, ncap * elem)) == NULL)
		return -1;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*v = p;
	*cap = ncap;
	return 0;
}
