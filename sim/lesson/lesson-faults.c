/* lesson-faults.c — a step's `faults`: what breaks (or mends) in the
 * network just before the step's action: a link goes down or up or starts
 * losing packets, a host is cut off from every link or joined again, a
 * mail host answers a chosen reply to a chosen command (greylisting), a
 * DNS record is removed or added (a missing MX).
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-private.h"

#define MAX_FAULTS 16  /* on one step */
/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. */
#define MAX_REPLY_LINE 510
/* A forced reply answering "times" commands; beyond a lesson's needs. */
#define MAX_REPLY_TIMES 1000

#define F(member) G_STRUCT_OFFSET (MlLessonFault, member)

static gpointer
fault_alloc (void)
{
  return g_new0 (MlLessonFault, 1);
}

static void
fault_free (gpointer data)
{
  MlLessonFault *f = data;

  g_free (f->a);
  g_free (f->b);
  g_free (f->command);
  g_free (f->reply);
  g_free (f->reply_enhanced);
  g_free (f->reply_text);
  g_free (f->dns);
  g_free (f->name);
  g_free (f->type);
  g_free (f->value);
  g_free (f);
}

static gboolean
parse_fault_host (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  return _ml_lesson_parse_host_name (ld, node, path, field, dest, error);
}

static gboolean
parse_fault_loss (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                  const MlLessonField *field, gpointer dest, GError **error)
{
  MlLessonFault *f = (MlLessonFault *) ((char *) dest - F (loss));

  if (!_ml_lesson_parse_loss (ld, node, path, field, dest, error))
    return FALSE;
  f->set_loss = TRUE;
  return TRUE;
}

/* The host key writes into `a`; `link` writes `a` and `b`. Which one was
 * given is read from the group in the second pass. */
static const MlLessonField fault_fields[] = {
  { "link", _ml_lesson_parse_between,  F (a),    FALSE },
  { "host", parse_fault_host,          F (a),    FALSE },
  { "up",   _ml_lesson_parse_tristate, F (up),   FALSE },
  { "loss", parse_fault_loss,          F (loss), FALSE },
  { "command",    _ml_lesson_parse_line,        F (command),    FALSE },
  { "reply",      _ml_lesson_parse_line,        F (reply),      FALSE },
  { "times",      _ml_lesson_parse_uint,        F (times),      FALSE, 0, MAX_REPLY_TIMES },
  { "dns",        _ml_lesson_parse_line,        F (dns),        FALSE },
  { "name",       _ml_lesson_parse_owner_name,  F (name),       FALSE },
  { "type",       _ml_lesson_parse_record_type, F (type),       FALSE },
  { "value",      _ml_lesson_parse_line,        F (value),      FALSE },
  { "preference", _ml_lesson_parse_uint,        F (preference), FALSE, 0, G_MAXUINT16 },
};

const MlLessonElementType _ml_lesson_fault_type =
  ML_LESSON_ELEMENT (MlLessonFault, fault_fields, fault);

#undef F

gboolean
_ml_lesson_parse_faults (MlLessonLoader *ld, const MlYamlNode *node, const char *path,
                         const MlLessonField *field, gpointer dest, GError **error)
{
  GPtrArray **slot = dest;

  if (node->kind == ML_YAML_SEQUENCE && node->items->len > MAX_FAULTS)
    return _ml_lesson_fail (ld, node, path, error, "a step has at most %u faults",
                            MAX_FAULTS);
  if (*slot == NULL)
    *slot = g_ptr_array_new_with_free_func (fault_free);
  return _ml_lesson_parse_list (ld, node, path, field, dest, error);
}

static const char *const reply_commands[] = { "MAIL", "RCPT", "DATA", NULL };
static const char *const dns_changes[] = { "remove", "add", NULL };
/* Keys of each kind, for "does not belong here" errors. */
static const char *const reply_keys[] = { "command", "reply", "times" };
static const char *const dns_keys[] = { "name", "type", "value", "preference" };

static gboolean
refuse_keys (MlLessonLoader *ld, const MlYamlNode *group, const char *path,
             const char *const *keys, gsize n, const char *kind, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      const MlYamlNode *node = ml_yaml_node_lookup (group, keys[i]);

      if (node != NULL)
        return _ml_lesson_fail (ld, node, path, error, "'%s' belongs to %s", keys[i], kind);
    }
  return TRUE;
}

/* "451 4.7.1 Greylisted, try again later": RFC 5321 4.2 code, an
 * RFC 3463 enhanced code whose class matches it (RFC 2034 4), a text. */
static gboolean
check_reply (MlLessonLoader *ld, MlLessonFault *f, const MlYamlNode *group, const char *path,
             GError **error)
{
  const MlYamlNode *command = ml_yaml_node_lookup (group, "command");
  const MlYamlNode *reply = ml_yaml_node_lookup (group, "reply");
  g_autofree char *sub = NULL;
  const char *p;
  gsize i;

  if (command == NULL || reply == NULL)
    return _ml_lesson_fail (ld, group, path, error, "a forced reply names the 'command' "
                            "(MAIL, RCPT or DATA) and the 'reply' its server gives");
  sub = g_strdup_printf ("%s.command", path);
  if (!_ml_lesson_check_choice (ld, command, sub, reply_commands,
                                G_N_ELEMENTS (reply_commands) - 1,
                                "an SMTP command whose reply the host's policy decides", &i, error))
    return FALSE;
  g_free (f->command);
  f->command = g_strdup (reply_commands[i]);
  if (f->up != ML_LESSON_DEFAULT)
    return _ml_lesson_fail (ld, ml_yaml_node_lookup (group, "up"), path, error,
                            "a forced reply leaves the host up; give 'up' in a fault of its own");

  g_free (sub);
  sub = g_strdup_printf ("%s.reply", path);
  p = f->reply;
  if (strlen (p) > MAX_REPLY_LINE)
    return _ml_lesson_fail (ld, reply, sub, error, "a reply line is at most %d characters "
                            "(RFC 5321 4.5.3.1.5)", MAX_REPLY_LINE);
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) || !g_ascii_isdigit (p[2])
      || (p[0] != '4' && p[0] != '5') || p[1] > '5' || p[3] != ' ' || p[4] == '\0')
    return _ml_lesson_fail (ld, reply, sub, error, "write a refusal as code, space, text: "
                            "\"451 4.7.1 Greylisted, try again later\" (a 4yz or 5yz code, "
                            "RFC 5321 4.2.1)");
  f->reply_code = (guint) g_ascii_strtoull (p, NULL, 10);
  p += 4;
  if (g_ascii_isdigit (p[0]) && p[1] == '.')
    {
      const char *end = strchr (p, ' ');
      g_autofree char *code = end ? g_strndup (p, (gsize) (end - p)) : g_strdup (p);
      g_auto(GStrv) parts = g_strsplit (code, ".", -1);

      if (g_strv_length (parts) != 3 || parts[0][0] != f->reply[0] || parts[0][1] != '\0'
          || strlen (parts[1]) < 1 || strlen (parts[1]) > 3 || strlen (parts[2]) < 1
          || strlen (parts[2]) > 3 || strspn (parts[1], "0123456789") != strlen (parts[1])
          || strspn (parts[2], "0123456789") != strlen (parts[2]))
        return _ml_lesson_fail (ld, reply, sub, error, "'%s' is no enhanced status code for a "
                                "%c.y.z reply: class.subject.detail, the class the reply "
                                "code's first digit (RFC 3463 2, RFC 2034 4)", code, f->reply[0]);
      f->reply_enhanced = g_steal_pointer (&code);
      p = end ? end + 1 : p + strlen (p);
    }
  if (*p == '\0')
    return _ml_lesson_fail (ld, reply, sub, error, "the reply needs a text after its codes");
  f->reply_text = g_strdup (p);
  if (ml_yaml_node_lookup (group, "times") == NULL)
    f->times = 1;
  f->kind = ML_LESSON_FAULT_REPLY;
  return refuse_keys (ld, group, path, dns_keys, G_N_ELEMENTS (dns_keys), "a 'dns' fault", error);
}

static gboolean
check_dns (MlLessonLoader *ld, MlLessonFault *f, const MlYamlNode *group, const char *path,
           GError **error)
{
  const MlYamlNode *dns = ml_yaml_node_lookup (group, "dns");
  const MlYamlNode *value = ml_yaml_node_lookup (group, "value");
  g_autofree char *sub = g_strdup_printf ("%s.dns", path);
  gsize i;

  f->kind = ML_LESSON_FAULT_DNS;
  if (!_ml_lesson_check_choice (ld, dns, sub, dns_changes, G_N_ELEMENTS (dns_changes) - 1,
                                "a change to the zone", &i, error))
    return FALSE;
  f->dns_change = (MlLessonDnsChange) i;
  if (!refuse_keys (ld, group, path, reply_keys, G_N_ELEMENTS (reply_keys), "a forced-reply fault", error))
    return FALSE;
  if (ml_yaml_node_lookup (group, "up") || ml_yaml_node_lookup (group, "loss"))
    return _ml_lesson_fail (ld, group, path, error, "'up' and 'loss' belong to a link or a "
                            "host fault, not a 'dns' one");
  if (f->name == NULL || f->type == NULL)
    return _ml_lesson_fail (ld, group, path, error, "a 'dns' fault names the record's 'name' "
                            "and 'type' (A, MX, TXT)");
  if (f->dns_change == ML_LESSON_DNS_REMOVE)
    {
      if (value != NULL || ml_yaml_node_lookup (group, "preference") != NULL)
        return _ml_lesson_fail (ld, value ? value : ml_yaml_node_lookup (group, "preference"),
                                path, error, "'dns: remove' takes away every %s record of "
                                "'%s'; it takes no 'value' or 'preference'", f->type, f->name);
      return TRUE;
    }
  g_free (sub);
  sub = g_strdup_printf ("%s.value", path);
  if (value == NULL)
    return _ml_lesson_fail (ld, group, path, error, "'dns: add' needs the record's 'value'");
  if (strcmp (f->type, "A") == 0)
    {
      guint32 ip;

      if (!_ml_lesson_ipv4_parse (f->value, &ip))
        return _ml_lesson_fail (ld, value, sub, error, "an A record's value is an IPv4 "
                                "address in dotted-quad form (RFC 1035 3.4.1)");
    }
  else if (strcmp (f->type, "MX") == 0)
    {
      g_autofree char *problem = _ml_lesson_dns_name_problem (f->value, FALSE);

      if (problem != NULL)
        return _ml_lesson_fail (ld, value, sub, error, "an MX record's value is a host "
                                "name (RFC 1035 3.3.9): %s", problem);
      if (ml_yaml_node_lookup (group, "preference") == NULL)
        return _ml_lesson_fail (ld, group, path, error, "an MX record needs its 'preference' "
                                "(RFC 1035 3.3.9)");
    }
  return TRUE;
}

static gboolean
check_fault (MlLessonLoader *ld, MlLessonFault *f, const char *path, GError **error)
{
  const MlYamlNode *group = g_hash_table_lookup (ld->origin, f);
  const MlYamlNode *link = ml_yaml_node_lookup (group, "link");
  const MlYamlNode *host = ml_yaml_node_lookup (group, "host");
  const MlYamlNode *dns = ml_yaml_node_lookup (group, "dns");
  const MlLessonHost *ends[2];

  if ((link != NULL) + (host != NULL) + (dns != NULL) != 1)
    return _ml_lesson_fail (ld, group, path, error, "a fault names one of a 'link' "
                            "([host, host]), a 'host' or a 'dns' change, not %s",
                            link || host || dns ? "several" : "none");
  if (dns != NULL)
    return check_dns (ld, f, group, path, error);
  if (link != NULL
      && !refuse_keys (ld, group, path, reply_keys, G_N_ELEMENTS (reply_keys),
                       "a forced reply (a 'host' with 'command' and 'reply')", error))
    return FALSE;
  if (!refuse_keys (ld, group, path, dns_keys, G_N_ELEMENTS (dns_keys), "a 'dns' fault", error))
    return FALSE;
  if (host != NULL && (ml_yaml_node_lookup (group, "command") || ml_yaml_node_lookup (group, "reply")))
    {
      g_autofree char *sub = g_strdup_printf ("%s.host", path);

      if (!_ml_lesson_resolve_host (ld, host, sub, &f->a, &ends[0], error))
        return FALSE;
      if (!(ends[0]->roles & (ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA)))
        return _ml_lesson_fail (ld, host, sub, error, "'%s' runs no SMTP server to answer "
                                "a forced reply (it needs the MSA, MTA or MDA role)", f->a);
      if (f->set_loss)
        return _ml_lesson_fail (ld, ml_yaml_node_lookup (group, "loss"), path, error,
                                "loss belongs to a link; name the 'link' instead");
      return check_reply (ld, f, group, path, error);
    }
  if (ml_yaml_node_lookup (group, "times") != NULL)
    return _ml_lesson_fail (ld, ml_yaml_node_lookup (group, "times"), path, error,
                            "'times' belongs to a forced reply (with 'command' and 'reply')");
  if (host != NULL)
    {
      g_autofree char *sub = g_strdup_printf ("%s.host", path);

      f->kind = ML_LESSON_FAULT_HOST;
      if (!_ml_lesson_resolve_host (ld, host, sub, &f->a, &ends[0], error))
        return FALSE;
      if (f->set_loss)
        return _ml_lesson_fail (ld, ml_yaml_node_lookup (group, "loss"), path, error,
                                "loss belongs to a link; name the 'link' instead");
      if (f->up == ML_LESSON_DEFAULT)
        return _ml_lesson_fail (ld, group, path, error, "say what happens to the host: "
                                "'up: false' cuts it off, 'up: true' joins it again");
      return TRUE;
    }

  f->kind = ML_LESSON_FAULT_LINK;
  for (guint e = 0; e < 2; e++)
    {
      g_autofree char *sub = g_strdup_printf ("%s.link[%u]", path, e + 1);
      char **ref = e == 0 ? &f->a : &f->b;

      if (!_ml_lesson_resolve_host (ld, g_ptr_array_index (link->items, e), sub, ref,
                                    &ends[e], error))
        return FALSE;
    }
  {
    gboolean found = FALSE;

    for (guint i = 0; i < ld->lesson->links->len && !found; i++)
      {
        const MlLessonLink *l = ld->lesson->links->pdata[i];

        found = (strcmp (l->a, f->a) == 0 && strcmp (l->b, f->b) == 0) ||
                (strcmp (l->a, f->b) == 0 && strcmp (l->b, f->a) == 0);
      }
    if (!found)
      {
        g_autofree char *sub = g_strdup_printf ("%s.link", path);
        return _ml_lesson_fail (ld, link, sub, error, "no link joins '%s' and '%s'; "
                                "a fault acts on one of the lesson's 'links'", f->a, f->b);
      }
  }
  if (f->up == ML_LESSON_DEFAULT && !f->set_loss)
    return _ml_lesson_fail (ld, group, path, error, "say what happens to the link: "
                            "'up: false', 'up: true' or a 'loss' like 30%%");
  return TRUE;
}

/* The hosts' delivery keys (dsn, lmtp, chunking, queue_lifetime), which
 * the mail faults act on, make sense only where mail is served. */
static gboolean
check_delivery_keys (MlLessonLoader *ld, GError **error)
{
  static const MlRole mail_roles = ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA;

  for (guint i = 0; i < ld->lesson->hosts->len; i++)
    {
      const MlLessonHost *h = ld->lesson->hosts->pdata[i];
      const MlYamlNode *group = g_hash_table_lookup (ld->origin, h);
      g_autofree char *path = g_strdup_printf ("hosts[%u]", i + 1);
      const MlYamlNode *node;

      if ((node = ml_yaml_node_lookup (group, "lmtp")) && h->lmtp && !(h->roles & ML_ROLE_MDA))
        return _ml_lesson_fail (ld, node, path, error, "'lmtp' belongs to an MDA: the final "
                                "delivery agent speaks LMTP (RFC 2033 1)");
      if ((node = ml_yaml_node_lookup (group, "queue_lifetime")) && !(h->roles & (ML_ROLE_MSA | ML_ROLE_MTA)))
        return _ml_lesson_fail (ld, node, path, error, "'queue_lifetime' belongs to a host "
                                "with a queue: an MSA or an MTA");
      for (guint k = 0; k < 2; k++)
        {
          const char *key = k == 0 ? "dsn" : "chunking";

          if ((node = ml_yaml_node_lookup (group, key)) && !(h->roles & mail_roles))
            return _ml_lesson_fail (ld, node, path, error, "'%s' belongs to a mail server "
                                    "(MSA, MTA or MDA)", key);
        }
    }
  return TRUE;
}

gboolean
_ml_lesson_check_faults (MlLessonLoader *ld, GError **error)
{
  GPtrArray *steps = ld->lesson->steps;

  if (!check_delivery_keys (ld, error))
    return FALSE;

  for (guint s = 0; s < steps->len; s++)
    {
      MlLessonStep *step = steps->pdata[s];

      for (guint i = 0; step->faults != NULL && i < step->faults->len; i++)
        {
          g_autofree char *path = g_strdup_printf ("steps[%u].faults[%u]", s + 1, i + 1);

          if (!check_fault (ld, step->faults->pdata[i], path, error))
            return FALSE;
        }
    }
  return TRUE;
}
