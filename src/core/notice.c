/*
 * notice - renders the French notice of a refused message (see notice.h).
 *
 * Templates are plain text with a few {placeholders}; an unknown one is
 * copied as is so that a typo in rules/ shows in the notice instead of
 * silently vanishing.
 */
#include "balp/notice.h"
#include "balp/buf.h"
#include "balp/date.h"
#include "balp/reason.h"

#include <stdlib.h>
#include <string.h>

static void
put_size(struct buf *b, uint64_t bytes)
{
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
		buf_printf(b, "%llu Mo", (unsigned long long)(bytes >> 20));
	else if (bytes >= 1024)
		buf_printf(b, "%llu Ko", (unsigned long long)(bytes >> 10));
	else
		buf_printf(b, "%llu octets", (unsigned long long)bytes);
}

static void
expand(struct buf *b, const char *tpl, const struct rules *r,
    const struct decision *d, int32_t today)
{
	char day[11];
	const char *p, *close;
	size_t n;

	for (p = tpl; *p != '\0'; p++) {
		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			buf_putc(b, *p);
			continue;
		}
		n = (size_t)(close - p - 1);
		if (n == 4 && strncmp(p + 1, "date", 4) == 0) {
			date_format_fr(today, day);
			buf_puts(b, day);
		} else if (n == 4 && strncmp(p + 1, "type", 4) == 0) {
			buf_puts(b, d->type != NULL ? d->type->label :
			    "non reconnue");
		} else if (n == 3 && strncmp(p + 1, "key", 3) == 0) {
			if (d->nir[0] != '\0')
				buf_printf(b, " (NIR de clé %s)", d->nir + 13);
		} else if (n == 8 && strncmp(p + 1, "max_size", 8) == 0) {
			put_size(b, r->max_message_size);
		} else {
			buf_putc(b, *p);
			continue;
		}
		p = close;
	}
}

int
notice_render(const struct rules *r, const struct decision *d, int32_t today,
    char **subject, char **body)
{
	struct buf s = BUF_INIT, b = BUF_INIT;
	int code;

	*subject = *body = NULL;
	expand(&s, r->notices.subject ? r->notices.subject : "BALP", r, d, today);
	if (r->notices.intro != NULL)
		expand(&b, r->notices.intro, r, d, today);
	for (code = 0; code < REASON_COUNT; code++) {
		if (!(d->reasons & REASON_BIT(code)))
			continue;
		buf_puts(&b, "\n- ");
		if (r->notices.reason[code] != NULL)
			expand(&b, r->notices.reason[code], r, d, today);
		else
			buf_printf(&b, "motif : %s", reason_code(code));
		buf_putc(&b, '\n');
	}
	if (r->notices.outro != NULL)
		expand(&b, r->notices.outro, r, d, today);
	if (s.failed || b.failed) {
		buf_free(&s);
		buf_free(&b);
		return -1;
	}
	*subject = buf_detach(&s);
	*body = buf_detach(&b);
	return 0;
}
