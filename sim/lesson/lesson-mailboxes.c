/* lesson-mailboxes.c — an account's `mailboxes:` in a lesson: the folders
 * it starts with and the messages already in them, with their flags.
 *
 *   accounts:
 *     - address: bob@b.example
 *       password: bob-secret
 *       mailboxes:
 *         - name: Archive
 *           special_use: \Archive
 *           messages:
 *             - from: carol@c.example
 *               subject: Minutes of the last meeting
 *               date: 2024-02-12T10:00:00Z
 *               flags: [\Seen]
 *               body: |
 *                 The minutes are attached.
 *
 * The first pass checks each value's syntax; _ml_lesson_check_mailboxes
 * checks what needs the whole lesson (an MDA holds the account, names and
 * special uses appear once). world-mailboxes.c fills the store.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <stdlib.h>
#include <string.h>

#include "lesson/lesson.h"
#include "lesson/lesson-private.h"
#include "lesson/yaml-node.h"
#include "mail/mail-store.h"

/* Limits of what a lesson may preload: a teaching mailbox, not an archive.
 * RFC 3501 sets none; the store has its own (ML_STORE_*), these keep one
 * lesson file's world small enough to read in a trace. */
#define MAX_MAILBOXES           32    /* per account, the store's defaults included */
#define MAX_MESSAGES            100   /* per mailbox */
#define MAX_FLAGS               16    /* per message */
#define MIN_YEAR                1970  /* Unix time: the store keeps gint64 seconds */
#define MAX_YEAR                9999  /* RFC 5322 3.3 allows more; RFC 3339 does not */

typedef MlLessonLoader Loader;
typedef MlLessonField Field;

/* ---- dates -------------------------------------------------------------- */

static const char *const month_names[] = {
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const day_names[] = {  /* GLib's day of week: 1 is Monday */
  "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun",
};

/* RFC 5322 3.3 date-time, without the obsolete forms of 4.3:
 * [day-of-week ","] day month year hour ":" minute [":" second] zone.
 * The day of the week, when given, must be the date's (RFC 5322 3.3). */
static GDateTime *
rfc5322_date_parse (const char *text, char **why)
{
  g_autoptr(GRegex) re = g_regex_new ("^(?:([A-Za-z]{3}), ?)?([0-9]{1,2}) ([A-Za-z]{3}) "
                                      "([0-9]{4}) ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))? "
                                      "([+-][0-9]{4})$", 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *wday = NULL, *day = NULL, *mon = NULL, *year = NULL;
  g_autofree char *hh = NULL, *mm = NULL, *ss = NULL, *zone = NULL;
  int month = 0;

  if (!g_regex_match (re, text, 0, &m))
    return NULL;
  wday = g_match_info_fetch (m, 1);
  day = g_match_info_fetch (m, 2);
  mon = g_match_info_fetch (m, 3);
  year = g_match_info_fetch (m, 4);
  hh = g_match_info_fetch (m, 5);
  mm = g_match_info_fetch (m, 6);
  ss = g_match_info_fetch (m, 7);
  zone = g_match_info_fetch (m, 8);
  for (gsize i = 0; i < G_N_ELEMENTS (month_names); i++)
    if (g_ascii_strcasecmp (mon, month_names[i]) == 0)
      month = (int) i + 1;
  if (month == 0)
    return NULL;
  /* "+0100" is hours and minutes; GTimeZone reads "+01:00". */
  {
    char iso_zone[8];

    g_snprintf (iso_zone, sizeof iso_zone, "%c%c%c:%c%c", zone[0], zone[1], zone[2],
                zone[3], zone[4]);
    tz = g_time_zone_new_identifier (iso_zone);
  }
  if (tz == NULL || atoi (zone + 3) > 59)
    return NULL;
  dt = g_date_time_new (tz, atoi (year), month, atoi (day), atoi (hh), atoi (mm),
                        ss && *ss ? atoi (ss) : 0);
  if (dt == NULL)
    return NULL;  /* 31 Feb, 25:00, a second of 60 */
  if (wday && *wday &&
      g_ascii_strcasecmp (wday, day_names[g_date_time_get_day_of_week (dt) - 1]) != 0)
    {
      *why = g_strdup_printf ("%s %s %s was a %s, not a %s (RFC 5322 3.3)", day, mon, year,
                              day_names[g_date_time_get_day_of_week (dt) - 1], wday);
      return NULL;
    }
  return g_steal_pointer (&dt);
}

/* date: RFC 3339 5.6 (2024-03-04T09:00:00Z) or RFC 5322 3.3
 * (Mon, 04 Mar 2024 09:00:00 +0000). */
static gboolean
parse_date (Loader *ld, const MlYamlNode *node, const char *path,
            const Field *field, gpointer dest, GError **error)
{
  MlLessonMessage *msg = dest;  /* the field's offset is 0: the whole message */
  g_autofree char *text = NULL;
  g_autofree char *q = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *why = NULL;

  if (!_ml_lesson_parse_line (ld, node, path, field, &text, error))
    return FALSE;
  q = _ml_lesson_quote (node);
  if (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
                            "(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$", text, 0, 0))
    dt = g_date_time_new_from_iso8601 (text, NULL);
  else
    dt = rfc5322_date_parse (text, &why);
  if (why != NULL)
    return _ml_lesson_fail (ld, node, path, error, "%s: %s", q, why);
  if (dt == NULL)
    return _ml_lesson_fail (ld, node, path, error, "%s is not a date: write it as in "
                            "RFC 3339 5.6 (2024-03-04T09:00:00Z) or RFC 5322 3.3 "
                            "(Mon, 04 Mar 2024 09:00:00 +0000)", q);
  {
    g_autoptr(GDateTime) utc = g_date_time_to_utc (dt);
    int year = utc ? g_date_time_get_year (utc) : 0;

    if (year < MIN_YEAR || year > MAX_YEAR)
      return _ml_lesson_fail (ld, node, path, error, "%s is outside the years %d to %d", q,
                              MIN_YEAR, MAX_YEAR);
  }
  msg->date_unix = g_date_time_to_unix (dt);
  msg->has_date = TRUE;
  return TRUE;
}

/* ---- messages ----------------------------------------------------------- */

static gpointer
message_alloc (void)
{
  MlLessonMessage *m = g_new0 (MlLessonMessage, 1);

  m->subject = g_strdup ("");
  m->body = g_strdup ("");
  return m;
}

static void
message_free (gpointer data)
{
  MlLessonMessage *m = data;

  g_free (m->from);
  g_strfreev (m->to);
  g_free (m->subject);
  g_free (m->body);
  g_strfreev (m->flags);
  g_clear_pointer (&m->attachments, g_ptr_array_unref);
  g_free (m);
}

static gboolean
parse_message_flags (Loader *ld, const MlYamlNode *node, const char *path,
                     const Field *field, gpointer dest, GError **error)
{
  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_FLAGS)
    return _ml_lesson_fail (ld, node, path, error, "a message carries at most %u flags",
                            MAX_FLAGS);
  return _ml_lesson_parse_flags (ld, node, path, field, dest, error);
}

#define F(type, member) G_STRUCT_OFFSET (type, member)

static const Field message_fields[] = {
  { "from",        _ml_lesson_parse_address,     F (MlLessonMessage, from),        TRUE },
  { "to",          _ml_lesson_parse_addresses,   F (MlLessonMessage, to),          FALSE, 1 },
  { "subject",     _ml_lesson_parse_line,        F (MlLessonMessage, subject),     FALSE },
  /* Sets date_unix and has_date: it gets the whole message. */
  { "date",        parse_date,                   0,                                FALSE },
  { "body",        _ml_lesson_parse_body,        F (MlLessonMessage, body),        FALSE },
  { "flags",       parse_message_flags,          F (MlLessonMessage, flags),       FALSE, 1 },
  { "attachments", _ml_lesson_parse_attachments, F (MlLessonMessage, attachments), FALSE, 1 },
};

static const MlLessonElementType message_type =
  ML_LESSON_ELEMENT (MlLessonMessage, message_fields, message);

static gboolean
parse_messages (Loader *ld, const MlYamlNode *node, const char *path,
                const Field *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;
  Field f = *field;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_MESSAGES)
    return _ml_lesson_fail (ld, node, path, error, "a mailbox in a lesson holds at most %u "
                            "messages", MAX_MESSAGES);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (message_free);
  f.element = &message_type;
  return _ml_lesson_parse_list (ld, node, path, &f, dest, error);
}

/* ---- mailboxes ---------------------------------------------------------- */

/* The uses the store knows (mail-store.h), as RFC 6154 2 spells them. */
static const char *const special_use_names[] = {
  "\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash", NULL,
};

static gpointer
mailbox_alloc (void)
{
  MlLessonMailbox *b = g_new0 (MlLessonMailbox, 1);

  b->subscribed = TRUE;
  return b;
}

static void
mailbox_free (gpointer data)
{
  MlLessonMailbox *b = data;

  g_free (b->name);
  g_free (b->special_use);
  g_clear_pointer (&b->messages, g_ptr_array_unref);
  g_free (b);
}

/* RFC 3501 5.1 names, as the store accepts them for CREATE. */
static gboolean
parse_mailbox_name (Loader *ld, const MlYamlNode *node, const char *path,
                    const Field *field, gpointer dest, GError **error)
{
  g_autoptr(GError) why = NULL;
  char **slot = dest;

  if (!_ml_lesson_parse_line (ld, node, path, field, dest, error))
    return FALSE;
  if (g_ascii_strcasecmp (*slot, "INBOX") == 0)
    {
      /* RFC 3501 5.1: INBOX in any case is the same mailbox. */
      _ml_lesson_set_string (slot, g_strdup ("INBOX"));
      return TRUE;
    }
  if (!ml_mailbox_name_is_valid (*slot, &why))
    {
      g_autofree char *q = _ml_lesson_quote (node);

      return _ml_lesson_fail (ld, node, path, error, "%s is not a mailbox name: %s", q,
                              why->message);
    }
  return TRUE;
}

static gboolean
parse_special_use (Loader *ld, const MlYamlNode *node, const char *path,
                   const Field *field, gpointer dest, GError **error)
{
  gsize index;

  if (!_ml_lesson_check_choice (ld, node, path, special_use_names,
                                g_strv_length ((char **) special_use_names),
                                "a special use this server knows (RFC 6154 2)", &index, error))
    return FALSE;
  _ml_lesson_set_string (dest, g_strdup (special_use_names[index]));
  return TRUE;
}

static const Field mailbox_fields[] = {
  { "name",        parse_mailbox_name,   F (MlLessonMailbox, name),        TRUE },
  { "special_use", parse_special_use,    F (MlLessonMailbox, special_use), FALSE },
  { "subscribed",  _ml_lesson_parse_bool, F (MlLessonMailbox, subscribed), FALSE },
  { "messages",    parse_messages,       F (MlLessonMailbox, messages),    FALSE, 1 },
};

#undef F

const MlLessonElementType _ml_lesson_mailbox_type =
  ML_LESSON_ELEMENT (MlLessonMailbox, mailbox_fields, mailbox);

gboolean
_ml_lesson_parse_mailboxes (Loader *ld, const MlYamlNode *node, const char *path,
                            const Field *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;
  Field f = *field;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_MAILBOXES)
    return _ml_lesson_fail (ld, node, path, error, "an account has at most %u mailboxes",
                            MAX_MAILBOXES);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (mailbox_free);
  f.element = &_ml_lesson_mailbox_type;
  return _ml_lesson_parse_list (ld, node, path, &f, dest, error);
}

/* ---- second pass -------------------------------------------------------- */

/* What ml_mail_store_add_account makes (mail-store.h): a lesson may name
 * these, but not give their special use to another mailbox. */
static const struct { const char *name, *use; } default_mailboxes[] = {
  { "Sent", "\\Sent" }, { "Drafts", "\\Drafts" }, { "Trash", "\\Trash" },
  { "Junk", "\\Junk" },
};

static gboolean
domain_has_mda (const MlLesson *lesson, const char *domain)
{
  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      const MlLessonHost *h = lesson->hosts->pdata[i];

      if (!(h->roles & ML_ROLE_MDA))
        continue;
      for (guint d = 0; h->domains != NULL && h->domains[d] != NULL; d++)
        if (g_ascii_strcasecmp (h->domains[d], domain) == 0)
          return TRUE;
    }
  return FALSE;
}

static gboolean
check_account (Loader *ld, const MlLessonAccount *a, guint ai, GError **error)
{
  g_autofree char *path = g_strdup_printf ("accounts[%u].mailboxes", ai + 1);
  const char *domain = strrchr (a->address, '@') + 1;

  if (!domain_has_mda (ld->lesson, domain))
    return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, a, "mailboxes"), path, error,
                            "no host with the MDA role holds mail for %s, so %s has no "
                            "mailboxes to fill; add %s to an MDA's domains", domain,
                            a->address, domain);
  if (a->mailboxes->len + G_N_ELEMENTS (default_mailboxes) + 1 > MAX_MAILBOXES)
    return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, a, "mailboxes"), path, error,
                            "with INBOX, Sent, Drafts, Trash and Junk, an account has at "
                            "most %u mailboxes", MAX_MAILBOXES);
  for (guint i = 0; i < a->mailboxes->len; i++)
    {
      const MlLessonMailbox *b = a->mailboxes->pdata[i];
      g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i + 1);

      for (guint j = 0; j < i; j++)
        {
          const MlLessonMailbox *o = a->mailboxes->pdata[j];

          if (strcmp (o->name, b->name) == 0)
            return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, b, "name"), sub, error,
                                    "mailbox %s appears twice (first on line %u)", b->name,
                                    o->line);
          if (b->special_use && g_strcmp0 (o->special_use, b->special_use) == 0)
            return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, b, "special_use"), sub, error,
                                    "%s is already the special use of %s (line %u); "
                                    "RFC 6154 2 lets one mailbox carry it",
                                    b->special_use, o->name, o->line);
        }
      if (b->special_use == NULL)
        continue;
      if (strcmp (b->name, "INBOX") == 0)
        return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, b, "special_use"), sub, error,
                                "INBOX has no special use (RFC 6154 2 lists the others)");
      for (gsize d = 0; d < G_N_ELEMENTS (default_mailboxes); d++)
        {
          gboolean same_name = strcmp (b->name, default_mailboxes[d].name) == 0;
          gboolean same_use = strcmp (b->special_use, default_mailboxes[d].use) == 0;

          if (same_name != same_use)
            return _ml_lesson_fail (ld, _ml_lesson_node_of (ld, b, "special_use"), sub, error,
                                    "the server's %s mailbox is %s; give %s another "
                                    "special use or none", default_mailboxes[d].name,
                                    default_mailboxes[d].use, b->name);
        }
    }
  return TRUE;
}

gboolean
_ml_lesson_check_mailboxes (Loader *ld, GError **error)
{
  GPtrArray *accounts = ld->lesson->accounts;

  for (guint i = 0; i < accounts->len; i++)
    {
      const MlLessonAccount *a = accounts->pdata[i];

      if (a->mailboxes != NULL && !check_account (ld, a, i, error))
        return FALSE;
    }
  return TRUE;
}
