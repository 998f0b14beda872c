/* dsn.c — composing and reading delivery status notifications.
 *
 * GMime builds and writes the MIME structure (RFC 6522 multipart/report)
 * and reads it back; the message/delivery-status body is ours to write and
 * parse, since GMime treats it as an opaque leaf: it is a header-like block
 * of per-message fields, then one block per recipient, blank lines between
 * (RFC 3464 2.1).
 */
#define G_LOG_DOMAIN "ml-dsn"

#include <string.h>
#include <gmime/gmime.h>
#include "mail/dsn.h"

/* GMime 3.2 declares no autoptr cleanups; these are its GObjects. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMultipart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimePart, g_object_unref)

G_DEFINE_QUARK (ml-dsn-error-quark, ml_dsn_error)

static void
ensure_gmime (void)
{
  static gsize initialized = 0;

  /* Never shut down: the library lives as long as the process. */
  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

const char *
ml_dsn_action_to_string (MlDsnAction action)
{
  /* RFC 3464 2.3.3 action-value, lower case as the RFC writes them. */
  switch (action)
    {
    case ML_DSN_ACTION_FAILED:    return "failed";
    case ML_DSN_ACTION_DELAYED:   return "delayed";
    case ML_DSN_ACTION_DELIVERED: return "delivered";
    case ML_DSN_ACTION_RELAYED:   return "relayed";
    case ML_DSN_ACTION_EXPANDED:  return "expanded";
    default:                      return "failed";
    }
}

/* RFC 3461 4.1 and 6.2 a): which NOTIFY keyword asks for this action. */
static gboolean
notify_wants (MlDsnNotify notify, MlDsnAction action)
{
  if (notify & ML_DSN_NOTIFY_NEVER)
    return FALSE;
  if (notify == ML_DSN_NOTIFY_DEFAULT)
    notify = ML_DSN_NOTIFY_FAILURE | ML_DSN_NOTIFY_DELAY;
  switch (action)
    {
    case ML_DSN_ACTION_FAILED:
      return (notify & ML_DSN_NOTIFY_FAILURE) != 0;
    case ML_DSN_ACTION_DELAYED:
      return (notify & ML_DSN_NOTIFY_DELAY) != 0;
    case ML_DSN_ACTION_DELIVERED:
    case ML_DSN_ACTION_RELAYED:
    case ML_DSN_ACTION_EXPANDED:
    default:
      return (notify & ML_DSN_NOTIFY_SUCCESS) != 0;
    }
}

/* A field value goes into a header-like block: RFC 3464 2.1.1 allows only
 * US-ASCII text, and a CR or LF would start a field of the caller's
 * choosing. */
static gboolean
is_field_text (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    if ((guchar) *p >= 0x80 || *p == '\r' || *p == '\n')
      return FALSE;
  return strlen (value) <= ML_DSN_MAX_FIELD;
}

/* RFC 3463 2: class "." subject "." detail, class 2, 4 or 5, subject up to
 * three digits, detail up to three. */
static gboolean
is_status_code (const char *status)
{
  const char *p = status;
  guint digits;

  if (status == NULL || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
    return FALSE;
  p += 2;
  for (int part = 0; part < 2; part++)
    {
      for (digits = 0; g_ascii_isdigit (*p); p++)
        digits++;
      if (digits == 0 || digits > 3)
        return FALSE;
      if (part == 0 && *p++ != '.')
        return FALSE;
    }
  return *p == '\0';
}

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, ML_DSN_ERROR, ML_DSN_ERROR_INVALID, "DSN: %s", what);
  return FALSE;
}

static gboolean
check_recipient (const MlDsnRecipient *r, GError **error)
{
  if (r->final_recipient == NULL || *r->final_recipient == '\0'
      || !is_field_text (r->final_recipient))
    return invalid (error, "a recipient needs a Final-Recipient (RFC 3464 2.3.2)");
  if (!is_status_code (r->status))
    return invalid (error, "Status must be class.subject.detail (RFC 3463 2)");
  if ((r->original_recipient && !is_field_text (r->original_recipient))
      || (r->remote_mta && !is_field_text (r->remote_mta))
      || (r->diagnostic && !is_field_text (r->diagnostic)))
    return invalid (error, "a field holds a line break or non-ASCII text (RFC 3464 2.1.1)");
  /* RFC 3464 2.3.4: a failure carries a 5.x.x status, a delay 4.x.x. */
  if (r->action == ML_DSN_ACTION_FAILED && r->status[0] != '5')
    return invalid (error, "action failed needs a 5.x.x status (RFC 3464 2.3.4)");
  if (r->action == ML_DSN_ACTION_DELAYED && r->status[0] != '4')
    return invalid (error, "action delayed needs a 4.x.x status (RFC 3464 2.3.4)");
  return TRUE;
}

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (unix_seconds);

  /* RFC 3464 2.1.1 date-time is RFC 822's; the RFC 5322 3.3 form, in UTC. */
  return g_date_time_format (when, "%a, %d %b %Y %H:%M:%S +0000");
}

static void
append_field (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "%s: %s\r\n", name, value);
}

/* RFC 3464 2.1: per-message fields, then each recipient's after a blank
 * line. */
static char *
delivery_status_body (const MlDsnSpec *spec, const GPtrArray *reported)
{
  GString *out = g_string_new (NULL);

  if (spec->envid != NULL)
    append_field (out, "Original-Envelope-Id", spec->envid);
  g_string_append_printf (out, "Reporting-MTA: dns; %s\r\n", spec->reporting_mta);
  if (spec->arrival_date != 0)
    {
      g_autofree char *date = format_date (spec->arrival_date);
      append_field (out, "Arrival-Date", date);
    }
  for (guint i = 0; i < reported->len; i++)
    {
      const MlDsnRecipient *r = g_ptr_array_index (reported, i);

      g_string_append (out, "\r\n");
      if (r->original_recipient != NULL)
        append_field (out, "Original-Recipient", r->original_recipient);
      g_string_append_printf (out, "Final-Recipient: rfc822; %s\r\n", r->final_recipient);
      append_field (out, "Action", ml_dsn_action_to_string (r->action));
      append_field (out, "Status", r->status);
      if (r->remote_mta != NULL)
        g_string_append_printf (out, "Remote-MTA: dns; %s\r\n", r->remote_mta);
      if (r->diagnostic != NULL)
        g_string_append_printf (out, "Diagnostic-Code: smtp; %s\r\n", r->diagnostic);
      if (r->last_attempt != 0)
        {
          g_autofree char *date = format_date (r->last_attempt);
          append_field (out, "Last-Attempt-Date", date);
        }
      /* RFC 3464 2.3.9: only for delayed deliveries. */
      if (r->will_retry_until != 0 && r->action == ML_DSN_ACTION_DELAYED)
        {
          g_autofree char *date = format_date (r->will_retry_until);
          append_field (out, "Will-Retry-Until", date);
        }
    }
  return g_string_free (out, FALSE);
}

static char *
human_text (const MlDsnSpec *spec, const GPtrArray *reported)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "This is the mail system at host %s.\r\n\r\n",
                          spec->reporting_mta);
  for (guint i = 0; i < reported->len; i++)
    {
      const MlDsnRecipient *r = g_ptr_array_index (reported, i);

      switch (r->action)
        {
        case ML_DSN_ACTION_FAILED:
          g_string_append_printf (out, "Your message could not be delivered to <%s>;"
                                  " the mail system gave up.\r\n", r->final_recipient);
          break;
        case ML_DSN_ACTION_DELAYED:
          g_string_append_printf (out, "Delivery to <%s> is delayed; the mail system"
                                  " will keep trying.\r\n", r->final_recipient);
          break;
        case ML_DSN_ACTION_DELIVERED:
          g_string_append_printf (out, "Your message was delivered to <%s>.\r\n",
                                  r->final_recipient);
          break;
        case ML_DSN_ACTION_RELAYED:
          g_string_append_printf (out, "Your message was relayed to <%s> by a system"
                                  " that does not send notifications.\r\n",
                                  r->final_recipient);
          break;
        case ML_DSN_ACTION_EXPANDED:
        default:
          g_string_append_printf (out, "Your message to <%s> was expanded to"
                                  " further recipients.\r\n", r->final_recipient);
          break;
        }
      if (r->diagnostic != NULL)
        g_string_append_printf (out, "  %s said: %s\r\n",
                                r->remote_mta ? r->remote_mta : spec->reporting_mta,
                                r->diagnostic);
    }
  return g_string_free (out, FALSE);
}

/* The header section of @original, through its empty line (RFC 5322 2.1):
 * what text/rfc822-headers carries (RFC 6522 4). */
static GBytes *
header_section (GBytes *original)
{
  gsize len;
  const char *data = g_bytes_get_data (original, &len);

  for (gsize i = 0; i < len; i++)
    {
      /* A header ends at the first empty line, CRLF or bare LF. */
      if (data[i] == '\n' && i + 1 < len && data[i + 1] == '\n')
        return g_bytes_new_from_bytes (original, 0, i + 2);
      if (data[i] == '\n' && i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
        return g_bytes_new_from_bytes (original, 0, i + 3);
    }
  return g_bytes_ref (original);
}

static GMimePart *
leaf_part (const char *type, const char *subtype, const void *data, gsize len)
{
  GMimePart *part = g_mime_part_new_with_type (type, subtype);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer (data ? data : "", len);
  g_autoptr(GMimeDataWrapper) wrapper =
    g_mime_data_wrapper_new_with_stream (stream, GMIME_CONTENT_ENCODING_DEFAULT);
  gboolean eight_bit = FALSE;

  for (gsize i = 0; i < len; i++)
    if (((const guchar *) data)[i] >= 0x80)
      eight_bit = TRUE;
  g_mime_part_set_content (part, wrapper);
  /* RFC 2046 5.2.1: a message/rfc822 body is never base64 or QP; an 8-bit
   * original is labelled as such rather than re-encoded. */
  g_mime_part_set_content_encoding (part, eight_bit ? GMIME_CONTENT_ENCODING_8BIT
                                                    : GMIME_CONTENT_ENCODING_7BIT);
  return part;
}

/* RFC 2046 5.1.1: the boundary must not occur in the parts. GMime would
 * pick a random one; ours comes from the Message-ID so a run repeats. */
static char *
pick_boundary (const char *message_id, GBytes *original)
{
  gsize len;
  const char *data = g_bytes_get_data (original, &len);

  for (guint n = 0;; n++)
    {
      char *boundary = g_strdup_printf ("=_dsn_%08x_%u", g_str_hash (message_id), n);
      if (data == NULL || g_strstr_len (data, len, boundary) == NULL)
        return boundary;
      g_free (boundary);
    }
}

GBytes *
ml_dsn_compose (const MlDsnSpec *spec, GBytes *original, GError **error)
{
  g_autoptr(GPtrArray) reported = g_ptr_array_new ();
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GMimeMultipart) report = NULL;
  g_autoptr(GMimeTextPart) text = NULL;
  g_autoptr(GMimePart) status = NULL;
  g_autoptr(GMimePart) returned = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *from = NULL;
  g_autofree char *status_body = NULL;
  g_autofree char *text_body = NULL;
  g_autofree char *boundary = NULL;
  g_autoptr(GBytes) returned_bytes = NULL;
  GMimeFormatOptions *options;
  gboolean any_failed = FALSE;
  const char *subject;
  char *written;

  g_return_val_if_fail (spec != NULL && original != NULL, NULL);

  if (spec->envelope_sender == NULL || *spec->envelope_sender == '\0')
    {
      /* RFC 3461 6.1 / RFC 5321 4.5.5: a notification goes out from "<>"
       * so that a failing one is dropped, not bounced again. */
      g_set_error_literal (error, ML_DSN_ERROR, ML_DSN_ERROR_NULL_SENDER,
                           "no DSN for a message from the null reverse-path <>");
      return NULL;
    }
  if (spec->reporting_mta == NULL || !is_field_text (spec->reporting_mta)
      || !is_field_text (spec->envelope_sender) || spec->message_id == NULL
      || !is_field_text (spec->message_id))
    return invalid (error, "Reporting-MTA, sender and Message-ID are required"), NULL;
  if (spec->envid != NULL && (strlen (spec->envid) > ML_DSN_MAX_ENVID
                              || !is_field_text (spec->envid)))
    return invalid (error, "ENVID over 100 characters or not text (RFC 3461 4.4)"), NULL;
  if (spec->n_recipients == 0 || spec->recipients == NULL)
    return invalid (error, "a DSN reports on at least one recipient (RFC 3464 2.1)"), NULL;

  for (gsize i = 0; i < spec->n_recipients; i++)
    {
      const MlDsnRecipient *r = &spec->recipients[i];

      if (!check_recipient (r, error))
        return NULL;
      if (notify_wants (r->notify, r->action))
        {
          g_ptr_array_add (reported, (gpointer) r);
          any_failed |= r->action == ML_DSN_ACTION_FAILED;
        }
    }
  if (reported->len == 0)
    {
      g_set_error_literal (error, ML_DSN_ERROR, ML_DSN_ERROR_NOT_REQUESTED,
                           "NOTIFY asks for no report on these recipients (RFC 3461 4.1)");
      return NULL;
    }

  ensure_gmime ();
  message = g_mime_message_new (TRUE);
  from = g_strdup_printf ("MAILER-DAEMON@%s", spec->reporting_mta);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_FROM,
                              "Mail Delivery System", from);
  g_mime_message_add_mailbox (message, GMIME_ADDRESS_TYPE_TO, NULL, spec->envelope_sender);
  if (any_failed)
    subject = "Undelivered Mail Returned to Sender";
  else if (((const MlDsnRecipient *) g_ptr_array_index (reported, 0))->action
           == ML_DSN_ACTION_DELAYED)
    subject = "Delayed Mail (still being retried)";
  else
    subject = "Successful Mail Delivery Report";
  g_mime_message_set_subject (message, subject, NULL);
  date = g_date_time_new_from_unix_utc (spec->date);
  g_mime_message_set_date (message, date);
  g_mime_message_set_message_id (message, spec->message_id);
  /* RFC 3834 5: an automatic reply says so, which stops auto-responders. */
  g_mime_object_set_header (GMIME_OBJECT (message), "Auto-Submitted", "auto-replied", NULL);

  /* RFC 6522 3: multipart/report; report-type names the second part. */
  report = g_mime_multipart_new_with_subtype ("report");
  g_mime_object_set_content_type_parameter (GMIME_OBJECT (report),
                                            "report-type", "delivery-status");
  boundary = pick_boundary (spec->message_id, original);
  g_mime_multipart_set_boundary (report, boundary);

  text = g_mime_text_part_new_with_subtype ("plain");
  text_body = human_text (spec, reported);
  g_mime_text_part_set_text (text, text_body);
  g_mime_text_part_set_charset (text, "us-ascii");
  g_mime_multipart_add (report, GMIME_OBJECT (text));

  status_body = delivery_status_body (spec, reported);
  status = leaf_part ("message", "delivery-status", status_body, strlen (status_body));
  g_mime_multipart_add (report, GMIME_OBJECT (status));

  /* RFC 3461 4.3 and 6.2: the whole message for a failure unless
   * RET=HDRS; only the header for every other report. */
  if (any_failed && spec->ret != ML_DSN_RET_HDRS)
    {
      gsize len;
      const void *data = g_bytes_get_data (original, &len);
      returned = leaf_part ("message", "rfc822", data, len);
    }
  else
    {
      gsize len;
      const void *data;

      returned_bytes = header_section (original);
      data = g_bytes_get_data (returned_bytes, &len);
      returned = leaf_part ("text", "rfc822-headers", data, len);
    }
  g_mime_multipart_add (report, GMIME_OBJECT (returned));
  g_mime_message_set_mime_part (message, GMIME_OBJECT (report));

  options = g_mime_format_options_clone (NULL);
  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  written = g_mime_object_to_string (GMIME_OBJECT (message), options);
  g_mime_format_options_free (options);
  return g_bytes_new_take (written, strlen (written));
}

/* ---- reading back ---- */

static void
parsed_recipient_free (MlDsnParsedRecipient *r)
{
  g_free (r->original_recipient);
  g_free (r->final_recipient);
  g_free (r->action);
  g_free (r->status);
  g_free (r->remote_mta);
  g_free (r->diagnostic_code);
  g_free (r->last_attempt_date);
  g_free (r->will_retry_until);
  g_free (r);
}

void
ml_dsn_report_free (MlDsnReport *report)
{
  if (report == NULL)
    return;
  g_free (report->from);
  g_free (report->to);
  g_free (report->subject);
  g_free (report->report_type);
  g_free (report->human_text);
  g_free (report->reporting_mta);
  g_free (report->original_envelope_id);
  g_free (report->arrival_date);
  g_clear_pointer (&report->recipients, g_ptr_array_unref);
  g_free (report->returned_type);
  g_clear_pointer (&report->returned, g_bytes_unref);
  g_free (report);
}

/* The decoded body of a leaf part. */
static GBytes *
part_content (GMimeObject *object)
{
  GMimeDataWrapper *content;
  g_autoptr(GMimeStream) stream = NULL;
  GByteArray *array;

  if (!GMIME_IS_PART (object))
    return NULL;
  content = g_mime_part_get_content (GMIME_PART (object));
  if (content == NULL)
    return g_bytes_new (NULL, 0);
  stream = g_mime_stream_mem_new ();
  g_mime_data_wrapper_write_to_stream (content, stream);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

/* Sets *slot to @value unless a field repeats: RFC 3464 2.1 allows each
 * field once per block. */
static gboolean
take_field (char **slot, const char *value)
{
  if (*slot != NULL)
    return FALSE;
  *slot = g_strdup (value);
  return TRUE;
}

static gboolean
store_field (MlDsnReport *report, MlDsnParsedRecipient *r,
             const char *name, const char *value)
{
  if (r == NULL)
    {
      if (g_ascii_strcasecmp (name, "Reporting-MTA") == 0)
        return take_field (&report->reporting_mta, value);
      if (g_ascii_strcasecmp (name, "Original-Envelope-Id") == 0)
        return take_field (&report->original_envelope_id, value);
      if (g_ascii_strcasecmp (name, "Arrival-Date") == 0)
        return take_field (&report->arrival_date, value);
      return TRUE;  /* RFC 3464 2.4: extension fields are ignored */
    }
  if (g_ascii_strcasecmp (name, "Original-Recipient") == 0)
    return take_field (&r->original_recipient, value);
  if (g_ascii_strcasecmp (name, "Final-Recipient") == 0)
    return take_field (&r->final_recipient, value);
  if (g_ascii_strcasecmp (name, "Action") == 0)
    return take_field (&r->action, value);
  if (g_ascii_strcasecmp (name, "Status") == 0)
    return take_field (&r->status, value);
  if (g_ascii_strcasecmp (name, "Remote-MTA") == 0)
    return take_field (&r->remote_mta, value);
  if (g_ascii_strcasecmp (name, "Diagnostic-Code") == 0)
    return take_field (&r->diagnostic_code, value);
  if (g_ascii_strcasecmp (name, "Last-Attempt-Date") == 0)
    return take_field (&r->last_attempt_date, value);
  if (g_ascii_strcasecmp (name, "Will-Retry-Until") == 0)
    return take_field (&r->will_retry_until, value);
  return TRUE;
}

static gboolean
recipient_complete (const MlDsnParsedRecipient *r)
{
  /* RFC 3464 2.3: Final-Recipient, Action and Status are required. */
  return r->final_recipient && r->action && r->status;
}

/* RFC 3464 2.1: blocks of "Name: value" lines (folding allowed, 2.1.1),
 * separated by empty lines; the first block is per-message. */
static gboolean
parse_status_fields (MlDsnReport *report, GBytes *body, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data ? data : "", len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GString) field = g_string_new (NULL);
  MlDsnParsedRecipient *current = NULL;
  gboolean in_message_block = TRUE;
  gboolean block_open = FALSE;

  for (guint i = 0;; i++)
    {
      char *line = lines[i];
      gsize n = line ? strlen (line) : 0;
      gboolean blank;

      if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
      blank = line == NULL || n == 0;
      /* A continuation line (starts with white space) extends the field. */
      if (!blank && (line[0] == ' ' || line[0] == '\t') && field->len > 0)
        {
          if (field->len + n > ML_DSN_MAX_FIELD)
            return invalid (error, "a field is too long");
          g_string_append (field, line);
          continue;
        }
      if (field->len > 0)
        {
          char *colon = strchr (field->str, ':');
          if (colon == NULL)
            return invalid (error, "a line is not a field (RFC 3464 2.1)");
          *colon = '\0';
          if (!store_field (report, in_message_block ? NULL : current,
                            g_strstrip (field->str), g_strstrip (colon + 1)))
            return invalid (error, "a field appears twice in one block (RFC 3464 2.1)");
          g_string_truncate (field, 0);
        }
      if (line == NULL)
        break;
      if (blank)
        {
          if (block_open)
            {
              in_message_block = FALSE;
              current = NULL;
            }
          block_open = FALSE;
          continue;
        }
      if (!block_open && !in_message_block)
        {
          if (report->recipients->len >= ML_DSN_MAX_RECIPIENTS)
            return invalid (error, "too many recipients");
          current = g_new0 (MlDsnParsedRecipient, 1);
          g_ptr_array_add (report->recipients, current);
        }
      block_open = TRUE;
      if (n > ML_DSN_MAX_FIELD)
        return invalid (error, "a field is too long");
      g_string_append (field, line);
    }

  if (report->reporting_mta == NULL)
    return invalid (error, "no Reporting-MTA (RFC 3464 2.2.2)");
  if (report->recipients->len == 0)
    return invalid (error, "no recipient group (RFC 3464 2.1)");
  for (guint i = 0; i < report->recipients->len; i++)
    if (!recipient_complete (g_ptr_array_index (report->recipients, i)))
      return invalid (error, "a recipient lacks Final-Recipient, Action or Status (RFC 3464 2.3)");
  return TRUE;
}

MlDsnReport *
ml_dsn_parse (GBytes *data, GError **error)
{
  g_autoptr(MlDsnReport) report = g_new0 (MlDsnReport, 1);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GBytes) status_body = NULL;
  GMimeObject *top;
  GMimeMultipart *multipart;
  InternetAddressList *list;
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);
  int count;

  ensure_gmime ();
  report->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) parsed_recipient_free);
  stream = g_mime_stream_mem_new_with_buffer (bytes ? bytes : "", len);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, NULL);
  if (message == NULL)
    return invalid (error, "not a message"), NULL;

  list = g_mime_message_get_from (message);
  report->from = internet_address_list_to_string (list, NULL, FALSE);
  list = g_mime_message_get_to (message);
  report->to = internet_address_list_to_string (list, NULL, FALSE);
  report->subject = g_strdup (g_mime_message_get_subject (message));

  top = g_mime_message_get_mime_part (message);
  if (top == NULL || !GMIME_IS_MULTIPART (top)
      || !g_mime_content_type_is_type (g_mime_object_get_content_type (top),
                                       "multipart", "report"))
    return invalid (error, "not a multipart/report (RFC 6522 3)"), NULL;
  report->report_type = g_strdup (g_mime_object_get_content_type_parameter (top, "report-type"));
  multipart = GMIME_MULTIPART (top);
  count = g_mime_multipart_get_count (multipart);
  if (count < 2)
    return invalid (error, "a report has a text and a report part (RFC 6522 3)"), NULL;

  for (int i = 0; i < count; i++)
    {
      GMimeObject *part = g_mime_multipart_get_part (multipart, i);
      GMimeContentType *type = g_mime_object_get_content_type (part);

      if (i == 0 && GMIME_IS_TEXT_PART (part))
        report->human_text = g_mime_text_part_get_text (GMIME_TEXT_PART (part));
      else if (g_mime_content_type_is_type (type, "message", "delivery-status"))
        status_body = part_content (part);
      else if (i == 2 && GMIME_IS_MESSAGE_PART (part))
        {
          GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (part));
          char *text = inner ? g_mime_object_to_string (GMIME_OBJECT (inner), NULL) : g_strdup ("");

          report->returned_type = g_strdup ("message/rfc822");
          report->returned = g_bytes_new_take (text, strlen (text));
        }
      else if (i == 2)
        {
          report->returned_type = g_mime_content_type_get_mime_type (type);
          report->returned = part_content (part);
        }
    }
  if (status_body == NULL)
    return invalid (error, "no message/delivery-status part (RFC 3464 2.1)"), NULL;
  if (!parse_status_fields (report, status_body, error))
    return NULL;
  return g_steal_pointer (&report);
}
