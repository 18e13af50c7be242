/*
 * source - what all sources share (see source.h).
 */
#include "balp/source.h"

#include <stdlib.h>
#include <unistd.h>

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

void
source_blob_free(struct source_blob *b)
{
	if (b->fd >= 0)
		(void)close(b->fd);
	free(b->data);
	b->fd = -1;
	b->data = NULL;
	b->len = 0;
	b->size = 0;
}
