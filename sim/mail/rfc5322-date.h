/* rfc5322-date.h — the date-time of RFC 5322 3.3, as Date: and Received: carry it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "Mon, 04 Mar 2024 09:00:00 +0000", in UTC. Day and month names are the
 * RFC's English ones whatever the locale. Caller frees. */
char *ml_rfc5322_date_format (gint64 unix_seconds);

G_END_DECLS
