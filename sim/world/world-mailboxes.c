/* world-mailboxes.c — filling the stores with a lesson's initial mail. */
#define G_LOG_DOMAIN "ml-world"

#include <string.h>

#include "world/world-mailboxes.h"
#include "mail/message-compose.h"

/* A message without a date: this long before the next one (or the
 * lesson's epoch, for the last). */
#define UNDATED_SPACING_S  3600

static MlMessageFlags
system_flags (char **flags, GPtrArray *keywords)
{
  static const struct { const char *name; MlMessageFlags bit; } names[] = {
    { "\\Seen", ML_FLAG_SEEN }, { "\\Answered", ML_FLAG_ANSWERED },
    { "\\Flagged", ML_FLAG_FLAGGED }, { "\\Deleted", ML_FLAG_DELETED },
    { "\\Draft", ML_FLAG_DRAFT },
  };
  MlMessageFlags bits = 0;

  for (guint i = 0; flags != NULL && flags[i] != NULL; i++)
    {
      gboolean system = FALSE;

      for (gsize n = 0; n < G_N_ELEMENTS (names); n++)
        if (g_ascii_strcasecmp (flags[i], names[n].name) == 0)
          {
            bits |= names[n].bit;
            system = TRUE;
          }
      if (!system)
        g_ptr_array_add (keywords, flags[i]);
    }
  g_ptr_array_add (keywords, NULL);
  return bits;
}

/* RFC 5322 + MIME as the world's MUAs write them, with the Return-Path the
 * delivering MDA would have added (RFC 5321 4.4). Transfer full. */
static GBytes *
compose (const MlLessonAccount *account, const MlLessonMessage *m, gint64 date_unix,
         const char *message_id)
{
  const char *self_to[] = { account->address, NULL };
  g_autofree MlComposeAttachment *files = NULL;
  g_autoptr(GBytes) body = NULL;
  MlComposeSpec spec = { 0 };
  GByteArray *out;
  g_autofree char *return_path = g_strdup_printf ("Return-Path: <%s>\r\n", m->from);
  gsize len;
  const guint8 *data;

  spec.from = m->from;
  spec.to = m->to ? (const char * const *) m->to : self_to;
  spec.subject = m->subject;
  spec.body = m->body;
  spec.date_unix = date_unix;
  spec.message_id = message_id;
  if (m->attachments != NULL)
    {
      files = g_new0 (MlComposeAttachment, m->attachments->len);
      for (guint a = 0; a < m->attachments->len; a++)
        {
          const MlLessonAttachment *att = m->attachments->pdata[a];

          files[a].filename = att->name;
          files[a].content_type = att->content_type;
          files[a].content = att->content;
        }
      spec.attachments = files;
      spec.n_attachments = m->attachments->len;
    }
  body = ml_message_compose (&spec);
  data = g_bytes_get_data (body, &len);
  out = g_byte_array_sized_new ((guint) (strlen (return_path) + len));
  g_byte_array_append (out, (const guint8 *) return_path, (guint) strlen (return_path));
  g_byte_array_append (out, data, (guint) len);
  return g_byte_array_free_to_bytes (out);
}

static MlMailbox *
open_mailbox (MlAccount *account, const MlLessonMailbox *b, GError **error)
{
  MlMailbox *box;

  if (strcmp (b->name, "INBOX") == 0)
    box = ml_account_get_inbox (account);
  else
    {
      box = ml_account_find_mailbox (account, b->name);
      if (box == NULL)
        box = ml_account_create_mailbox (account, b->name,
                                         b->special_use
                                         ? ml_special_use_from_string (b->special_use)
                                         : ML_SPECIAL_USE_NONE, error);
    }
  if (box != NULL)
    ml_account_set_subscribed (account, b->name, b->subscribed);
  return box;
}

static gboolean
fill_account (MlWorld *world, const MlLesson *lesson, const MlLessonAccount *a,
              GError **error)
{
  const char *domain = strrchr (a->address, '@') + 1;
  MlMailStore *store = ml_world_get_store (world, domain);
  MlAccount *account = store ? ml_mail_store_find_account (store, a->address) : NULL;
  guint serial = 0;

  if (account == NULL)
    {
      /* lesson-mailboxes.c checked that an MDA serves the domain. */
      g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID,
                   "%s:%u:%u: no server holds %s", lesson->path, a->line, a->column,
                   a->address);
      return FALSE;
    }
  for (guint i = 0; i < a->mailboxes->len; i++)
    {
      const MlLessonMailbox *b = a->mailboxes->pdata[i];
      g_autoptr(GError) why = NULL;
      MlMailbox *box = open_mailbox (account, b, &why);
      guint n = b->messages ? b->messages->len : 0;

      if (box == NULL)
        {
          g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID, "%s:%u:%u: %s",
                       lesson->path, b->line, b->column, why->message);
          return FALSE;
        }
      for (guint k = 0; k < n; k++)
        {
          const MlLessonMessage *m = b->messages->pdata[k];
          gint64 date = m->has_date ? m->date_unix
                                    : lesson->epoch_unix - (gint64) (n - k) * UNDATED_SPACING_S;
          g_autofree char *message_id = g_strdup_printf ("initial.%u@%s", ++serial, domain);
          g_autoptr(GBytes) data = compose (a, m, date, message_id);
          g_autoptr(GPtrArray) keywords = g_ptr_array_new ();
          MlMessageFlags flags = system_flags (m->flags, keywords);
          guint32 uid;

          /* Appended without flags, then flagged: the trace then says
           * both, as the Mailboxes view replays them. Not \Recent: the
           * mail was there before any session of the lesson (RFC 3501
           * 2.3.2). */
          uid = ml_mailbox_append_full (box, data, 0, NULL, date, &why);
          if (uid == 0)
            {
              g_set_error (error, ML_LESSON_ERROR, ML_LESSON_ERROR_INVALID,
                           "%s:%u:%u: the server refuses this message: %s",
                           lesson->path, m->line, m->column, why->message);
              return FALSE;
            }
          if (flags != 0 || keywords->len > 1)
            ml_mailbox_store_flags (box, ml_mailbox_find_uid (box, uid), flags,
                                    (const char * const *) keywords->pdata);
        }
    }
  return TRUE;
}

gboolean
ml_world_fill_mailboxes (MlWorld *world, const MlLesson *lesson, GError **error)
{
  g_return_val_if_fail (world != NULL && lesson != NULL, FALSE);

  for (guint i = 0; i < lesson->accounts->len; i++)
    {
      const MlLessonAccount *a = lesson->accounts->pdata[i];

      if (a->mailboxes != NULL && !fill_account (world, lesson, a, error))
        return FALSE;
    }
  return TRUE;
}
