/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_static - the console's one style sheet, /static/balp.css, built
 * in (no file to install or to find): CSP style-src 'self' allows it and
 * nothing else.  Contrast of at least 4.5:1 for text (RGAA), a focus
 * outline on everything that takes the focus.
 */
#ifndef BALP_WEB_STATIC_H
#define BALP_WEB_STATIC_H

#include "balp/web_app.h"

/* Answers GET /static/...: the style sheet, else 404. */
void	 web_static_serve(struct web_ctx *);

#endif
