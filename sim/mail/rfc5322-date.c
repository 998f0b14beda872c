#include "mail/rfc5322-date.h"

char *
ml_rfc5322_date_format (gint64 unix_seconds)
{
  static const char *days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  /* Out of GDateTime's range (before year 1 or after 9999): the epoch. */
  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);

  /* Written by hand, not with %a/%b: those follow the locale, and the RFC's
   * names are English whatever the user's language. */
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt),
                          g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt),
                          g_date_time_get_second (dt));
}
