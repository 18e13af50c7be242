/*
 * source - what all sources share (see source.h).
 */
#include "balp/source.h"

#include <stdlib.h>

void
source_msgs_free(struct source_msg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].ref);
		free(v[i].label);
		free(v[i].loc);
	}
	free(v);
}
