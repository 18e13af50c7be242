/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_static - the console's style sheet (see web_static.h).
 */
#include "balp/web_static.h"

#include <string.h>

static const char css[] =
"*{box-sizing:border-box}\n"
"body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
"sans-serif;font-size:1rem;line-height:1.5;color:#1e1e1e;"
"background:#fff}\n"
"a{color:#000091}\n"
"a:hover{text-decoration-thickness:2px}\n"
":focus{outline:3px solid #0a76f6;outline-offset:2px}\n"
":focus:not(:focus-visible){outline:none}\n"
":focus-visible{outline:3px solid #0a76f6;outline-offset:2px}\n"
".skip{position:absolute;left:-10000px;top:0;background:#fff;"
"padding:.5rem}\n"
".skip:focus{left:.5rem}\n"
"header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;"
"padding:.5rem 1rem;border-bottom:2px solid #000091;background:#f5f5fe}\n"
".brand{font-weight:700;margin:0;color:#000091}\n"
"nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;"
"padding:0}\n"
"nav a[aria-current]{font-weight:700}\n"
".logout{margin-left:auto;display:flex;gap:.5rem;align-items:center}\n"
".logout p{margin:0}\n"
"main{padding:1rem;max-width:72rem}\n"
"h1{font-size:1.75rem;margin-top:0}\n"
"h2{font-size:1.35rem}\n"
"table{border-collapse:collapse;margin:1rem 0}\n"
"caption{text-align:left;font-weight:700;padding:.25rem 0}\n"
"th,td{border:1px solid #666;padding:.35rem .6rem;text-align:left;"
"vertical-align:top}\n"
"th{background:#eee}\n"
"td.num{text-align:right}\n"
".sla-ok{background:#d8f0dc}\n"
".sla-warn{background:#fff1c2}\n"
".sla-late{background:#ffd6d6;font-weight:700}\n"
"form.stack label{display:block;font-weight:600;margin-top:.75rem}\n"
"input,select,button{font:inherit;padding:.35rem .5rem;"
"border:1px solid #595959;border-radius:3px}\n"
"button{background:#000091;color:#fff;border-color:#000091;"
"cursor:pointer}\n"
"button.secondary{background:#fff;color:#000091}\n"
"form.stack button{margin-top:1rem}\n"
".error{color:#ab0000;border-left:4px solid #ab0000;padding-left:.5rem}\n"
".ok{color:#18753c;border-left:4px solid #18753c;padding-left:.5rem}\n"
".hint{color:#3a3a3a;font-size:.9rem}\n"
"ul.diff{list-style:none;padding-left:0}\n"
"ul.diff code{white-space:pre-wrap}\n";

void
web_static_serve(struct web_ctx *ctx)
{
	if (strcmp(web_http_path(ctx->req), "/static/balp.css") != 0) {
		ctx->res->status = 404;
		ctx->res->content_type = "text/plain; charset=utf-8";
		buf_puts(&ctx->res->body, "Page introuvable.\n");
		return;
	}
	ctx->res->content_type = "text/css; charset=utf-8";
	buf_add(&ctx->res->body, css, sizeof(css) - 1);
}
