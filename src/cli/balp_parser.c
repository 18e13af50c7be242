/* SPDX-License-Identifier: Apache-2.0 */
/*
 * balp-parser - the parser's zygote as a program of its own
 * (docs/sandbox.md).  balpd and balpctl execute it first thing, before
 * they read any key or password, with its control socket as fd 3; it
 * forks the sandboxed workers that parse one message each.  Linked with
 * the libraries a parser needs only: a worker's fork and exit cost less
 * the fewer mappings it has.  Not for users: it refuses to run without
 * its socket.
 */
#include <fcntl.h>
#include <stdio.h>

#include "balp/mime.h"
#include "balp/sandbox_zygote.h"

int
main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1 || fcntl(3, F_GETFD) == -1) {
		fputs("balp-parser: started by balpd and balpctl, not by hand\n",
		    stderr);
		return 2;
	}
	sandbox_zygote_serve(mime_worker, mime_warm_up, NULL);
}
