/* lesson-check.c — the loader's second pass: what needs the whole file.
 *
 * The first pass (lesson.c) has read every value on its own; this one
 * checks names that refer to hosts, duplicates, and the rules that tie
 * one field to another (an MX record has a preference, a console step's
 * server speaks its protocol, a TLS key sits on a server). Each error
 * points at the value that is wrong, in words for a teacher.
 */
#define G_LOG_DOMAIN "ml-lesson"

#include <string.h>

#include "lesson/lesson-private.h"

#define MAX_TXT 255   /* RFC 1035 3.3.14: one <character-string> */

typedef MlLessonLoader Loader;

/* The first pass's helpers under the names the checks below use. */
#define fail _ml_lesson_fail

static const MlYamlNode *
node_of (const Loader *ld, gconstpointer element, const char *key)
{
  return _ml_lesson_node_of (ld, element, key);
}

static char *
quote_text (const char *text, gsize len)
{
  return _ml_lesson_quote_text (text, len);
}

static char *
dns_name_problem (const char *name, gboolean allow_underscore)
{
  return _ml_lesson_dns_name_problem (name, allow_underscore);
}

static gboolean
ipv4_parse (const char *s, guint32 *out)
{
  return _ml_lesson_ipv4_parse (s, out);
}

static void
set_string (gpointer dest, char *value)
{
  char **slot = dest;

  g_free (*slot);
  *slot = value;
}

static char *
did_you_mean (const char *word, const char *const *candidates, gsize n)
{
  return _ml_lesson_did_you_mean (word, candidates, n);
}

typedef struct {
  Loader     *ld;
  GHashTable *hosts;  /* lower-case name -> MlLessonHost (borrowed) */
} Checker;

static MlLessonHost *
lookup_host (Checker *c, const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (c->hosts, lower);
}

/* Resolves a reference to a host and rewrites it as the host spells its
 * name, so whoever uses the lesson can compare names with strcmp. */
static gboolean
resolve_host (Checker *c, const MlYamlNode *at, const char *path, char **ref,
              MlLessonHost **host_out, GError **error)
{
  MlLessonHost *host = lookup_host (c, *ref);

  if (host == NULL)
    {
      GPtrArray *lesson_hosts = c->ld->lesson->hosts;
      g_autofree const char **names = g_new0 (const char *, lesson_hosts->len + 1);
      g_autofree char *hint = NULL;

      for (guint i = 0; i < lesson_hosts->len; i++)
        names[i] = ((MlLessonHost *) lesson_hosts->pdata[i])->name;
      hint = did_you_mean (*ref, names, lesson_hosts->len);
      return fail (c->ld, at, path, error, "'%s' is not one of the hosts%s", *ref, hint);
    }
  if (strcmp (*ref, host->name) != 0)
    set_string (ref, g_strdup (host->name));
  *host_out = host;
  return TRUE;
}

/* The TLS and authentication keys of one host (lessons/README.md "hosts"):
 * each only where the host's roles give it a meaning. */
static gboolean
check_host_security (Checker *c, MlLessonHost *h, guint i, GError **error)
{
  static const char *const server_keys[] = {
    "starttls", "implicit_tls", "certificate", "auth", "plaintext_auth",
  };
  const MlRole servers = ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA;
  const MlYamlNode *group = g_hash_table_lookup (c->ld->origin, h);
  g_autofree char *roles = ml_roles_dup_string (h->roles);

  for (gsize k = 0; k < G_N_ELEMENTS (server_keys); k++)
    {
      const MlYamlNode *at = ml_yaml_node_lookup (group, server_keys[k]);

      if (at != NULL && !(h->roles & servers))
        {
          g_autofree char *path = g_strdup_printf ("hosts[%u].%s", i + 1, server_keys[k]);

          return fail (c->ld, at, path, error, "only a mail server (MSA, MTA or MDA) "
                       "offers TLS or logins, and this host's roles are %s", roles);
        }
    }
  if (ml_yaml_node_lookup (group, "require_auth") != NULL && !(h->roles & ML_ROLE_MSA))
    {
      g_autofree char *path = g_strdup_printf ("hosts[%u].require_auth", i + 1);

      return fail (c->ld, node_of (c->ld, h, "require_auth"), path, error,
                   "only an MSA requires a login before it takes mail (RFC 6409 4.3), "
                   "and this host's roles are %s", roles);
    }
  if (ml_yaml_node_lookup (group, "strip_starttls") != NULL && !(h->roles & ML_ROLE_ROUTER))
    {
      g_autofree char *path = g_strdup_printf ("hosts[%u].strip_starttls", i + 1);

      return fail (c->ld, node_of (c->ld, h, "strip_starttls"), path, error,
                   "only a router in the path can strip STARTTLS from the replies it "
                   "forwards, and this host's roles are %s", roles);
    }
  if (ml_yaml_node_lookup (group, "certificate") != NULL && !h->starttls && !h->implicit_tls)
    {
      g_autofree char *path = g_strdup_printf ("hosts[%u].certificate", i + 1);

      return fail (c->ld, node_of (c->ld, h, "certificate"), path, error,
                   "the certificate is only shown over TLS; add 'starttls: true' or "
                   "'implicit_tls: true' to this host");
    }
  return TRUE;
}

static gboolean
check_hosts (Checker *c, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;
  g_autoptr(GHashTable) ips = g_hash_table_new (g_direct_hash, g_direct_equal);
  const MlRole servers = ML_ROLE_MSA | ML_ROLE_MTA | ML_ROLE_MDA;

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      MlLessonHost *h = lesson->hosts->pdata[i];
      g_autofree char *name_path = g_strdup_printf ("hosts[%u].name", i + 1);
      g_autofree char *ip_path = g_strdup_printf ("hosts[%u].ip", i + 1);
      MlLessonHost *other;

      /* A mail or DNS host gets an A record, so its name is a DNS name. */
      if (h->roles & (servers | ML_ROLE_DNS))
        {
          g_autofree char *problem = dns_name_problem (h->name, FALSE);
          g_autofree char *roles = ml_roles_dup_string (h->roles);

          if (problem != NULL)
            return fail (c->ld, node_of (c->ld, h, "name"), name_path, error,
                         "'%s' must be a DNS name because this host is a server (%s): %s",
                         h->name, roles, problem);
        }
      other = lookup_host (c, h->name);
      if (other != NULL)
        return fail (c->ld, node_of (c->ld, h, "name"), name_path, error,
                     "another host is already called '%s' (line %u)",
                     other->name, other->line);
      g_hash_table_insert (c->hosts, g_ascii_strdown (h->name, -1), h);

      other = g_hash_table_lookup (ips, GUINT_TO_POINTER (h->ipv4));
      if (other != NULL)
        return fail (c->ld, node_of (c->ld, h, "ip"), ip_path, error,
                     "%u.%u.%u.%u is already the address of '%s' (line %u)",
                     h->ipv4 >> 24, (h->ipv4 >> 16) & 0xff, (h->ipv4 >> 8) & 0xff,
                     h->ipv4 & 0xff, other->name, other->line);
      g_hash_table_insert (ips, GUINT_TO_POINTER (h->ipv4), h);
    }

  for (guint i = 0; i < lesson->hosts->len; i++)
    {
      MlLessonHost *h = lesson->hosts->pdata[i];
      g_autofree char *roles = ml_roles_dup_string (h->roles);
      MlLessonHost *target;

      if (h->submission != NULL)
        {
          g_autofree char *path = g_strdup_printf ("hosts[%u].submission", i + 1);
          const MlYamlNode *at = node_of (c->ld, h, "submission");
          g_autofree char *target_roles = NULL;

          if (!(h->roles & ML_ROLE_MUA))
            return fail (c->ld, at, path, error, "only a MUA submits mail, and this host's "
                         "roles are %s; remove 'submission'", roles);
          if (!resolve_host (c, at, path, &h->submission, &target, error))
            return FALSE;
          target_roles = ml_roles_dup_string (target->roles);
          if (!(target->roles & ML_ROLE_MSA))
            return fail (c->ld, at, path, error, "'%s' is not an MSA (its roles: %s); a MUA "
                         "submits mail to an MSA (RFC 6409)", target->name, target_roles);
        }

      if (h->relay_to != NULL)
        {
          g_autofree char *path = g_strdup_printf ("hosts[%u].relay_to", i + 1);
          const MlYamlNode *at = node_of (c->ld, h, "relay_to");
          g_autofree char *target_roles = NULL;

          if (!(h->roles & (ML_ROLE_MTA | ML_ROLE_MSA)))
            return fail (c->ld, at, path, error, "only an MTA or an MSA hands mail on, "
                         "and this host's roles are %s; remove 'relay_to'", roles);
          if (!resolve_host (c, at, path, &h->relay_to, &target, error))
            return FALSE;
          if (target == h)
            return fail (c->ld, at, path, error, "a host cannot relay to itself");
          target_roles = ml_roles_dup_string (target->roles);
          if (!(target->roles & (ML_ROLE_MTA | ML_ROLE_MDA)))
            return fail (c->ld, at, path, error, "'%s' is neither an MTA nor an MDA "
                         "(its roles: %s), so it cannot take the mail", target->name,
                         target_roles);
        }

      if (h->domains != NULL && !(h->roles & servers))
        {
          g_autofree char *path = g_strdup_printf ("hosts[%u].domains", i + 1);

          return fail (c->ld, node_of (c->ld, h, "domains"), path, error,
                       "only a mail server (MSA, MTA or MDA) serves domains, and this "
                       "host's roles are %s", roles);
        }
      if (!check_host_security (c, h, i, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_links (Checker *c, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;
  g_autoptr(GHashTable) pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < lesson->links->len; i++)
    {
      MlLessonLink *l = lesson->links->pdata[i];
      const MlYamlNode *between = node_of (c->ld, l, "between");
      g_autofree char *path = g_strdup_printf ("links[%u].between", i + 1);
      MlLessonHost *ends[2];
      char **names[2] = { &l->a, &l->b };
      char *key;
      MlLessonLink *other;

      for (guint e = 0; e < 2; e++)
        {
          g_autofree char *sub = g_strdup_printf ("%s[%u]", path, e + 1);
          const MlYamlNode *at = between->kind == ML_YAML_SEQUENCE &&
                                 between->items->len == 2
                                 ? g_ptr_array_index (between->items, e) : between;

          if (!resolve_host (c, at, sub, names[e], &ends[e], error))
            return FALSE;
        }
      if (ends[0] == ends[1])
        return fail (c->ld, between, path, error, "a link joins two different hosts, "
                     "not '%s' with itself", l->a);

      key = ends[0] < ends[1] ? g_strdup_printf ("%p %p", (void *) ends[0], (void *) ends[1])
                              : g_strdup_printf ("%p %p", (void *) ends[1], (void *) ends[0]);
      other = g_hash_table_lookup (pairs, key);
      if (other != NULL)
        {
          g_free (key);
          return fail (c->ld, between, path, error, "'%s' and '%s' are already linked "
                       "(line %u)", l->a, l->b, other->line);
        }
      g_hash_table_insert (pairs, key, l);
    }
  return TRUE;
}

static gboolean
check_records (Checker *c, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;

  for (guint i = 0; i < lesson->records->len; i++)
    {
      MlLessonRecord *r = lesson->records->pdata[i];
      const MlYamlNode *group = g_hash_table_lookup (c->ld->origin, r);
      const MlYamlNode *preference = ml_yaml_node_lookup (group, "preference");
      const MlYamlNode *value = node_of (c->ld, r, "value");
      g_autofree char *path = g_strdup_printf ("dns[%u]", i + 1);
      g_autofree char *value_path = g_strdup_printf ("dns[%u].value", i + 1);
      g_autofree char *q = quote_text (r->value, strlen (r->value));
      gboolean is_mx = strcmp (r->type, "MX") == 0;

      if (is_mx && preference == NULL)
        return fail (c->ld, group, path, error, "an MX record needs a 'preference' "
                     "(RFC 1035 3.3.9; lower is tried first, like 10)");
      if (!is_mx && preference != NULL)
        {
          g_autofree char *pref_path = g_strdup_printf ("dns[%u].preference", i + 1);

          return fail (c->ld, preference, pref_path, error, "only MX records have a "
                       "preference, and this is a %s record", r->type);
        }

      if (strcmp (r->type, "A") == 0)
        {
          guint32 addr;

          if (!ipv4_parse (r->value, &addr))
            return fail (c->ld, value, value_path, error, "%s is not an IPv4 address, "
                         "which an A record holds (RFC 1035 3.4.1)", q);
        }
      else if (is_mx)
        {
          g_autofree char *problem = dns_name_problem (r->value, FALSE);

          if (problem != NULL)
            return fail (c->ld, value, value_path, error, "%s is not a host name, which "
                         "an MX record points at (RFC 1035 3.3.9): %s", q, problem);
        }
      else if (strlen (r->value) > MAX_TXT)
        return fail (c->ld, value, value_path, error, "a TXT string holds at most %u "
                     "bytes (RFC 1035 3.3.14)", MAX_TXT);
    }
  return TRUE;
}

static gboolean
check_accounts (Checker *c, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < lesson->accounts->len; i++)
    {
      MlLessonAccount *a = lesson->accounts->pdata[i];
      g_autofree char *path = g_strdup_printf ("accounts[%u].address", i + 1);
      char *key = g_ascii_strdown (a->address, -1);
      MlLessonAccount *other = g_hash_table_lookup (seen, key);

      if (other != NULL)
        {
          g_free (key);
          return fail (c->ld, node_of (c->ld, a, "address"), path, error,
                       "'%s' already has an account (line %u)", a->address, other->line);
        }
      g_hash_table_insert (seen, key, a);
    }
  return TRUE;
}

static gboolean
require_field (Checker *c, MlLessonStep *s, guint i, const char *key, gboolean present,
               GError **error)
{
  g_autofree char *path = NULL;

  if (present)
    return TRUE;
  path = g_strdup_printf ("steps[%u]", i + 1);
  return fail (c->ld, node_of (c->ld, s, "action"), path, error,
               "a '%s' step needs '%s'", ml_lesson_action_to_string (s->kind), key);
}

static gboolean
check_retrieval_step (Checker *c, MlLessonStep *s, guint i, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;
  g_autofree char *path = g_strdup_printf ("steps[%u].server", i + 1);
  MlLessonHost *server;
  gboolean known_account = FALSE;

  if (!require_field (c, s, i, "server", s->server != NULL, error) ||
      !require_field (c, s, i, "account", s->account != NULL, error))
    return FALSE;
  if (!resolve_host (c, node_of (c->ld, s, "server"), path, &s->server, &server, error))
    return FALSE;
  if (!(server->roles & ML_ROLE_MDA))
    return fail (c->ld, node_of (c->ld, s, "server"), path, error,
                 "'%s' holds no mailboxes: POP3 and IMAP are served by an MDA", server->name);
  for (guint a = 0; a < lesson->accounts->len; a++)
    known_account |= g_ascii_strcasecmp (((MlLessonAccount *) lesson->accounts->pdata[a])->address,
                                         s->account) == 0;
  if (!known_account)
    {
      g_autofree char *apath = g_strdup_printf ("steps[%u].account", i + 1);
      return fail (c->ld, node_of (c->ld, s, "account"), apath, error,
                   "'%s' is not among the lesson's accounts", s->account);
    }

  switch (s->kind)
    {
    case ML_LESSON_ACTION_IMAP_FLAG:
      if (!require_field (c, s, i, "flags", s->flags != NULL, error))
        return FALSE;
      G_GNUC_FALLTHROUGH;
    case ML_LESSON_ACTION_IMAP_READ:
    case ML_LESSON_ACTION_IMAP_DELETE:
      return require_field (c, s, i, "uid' or 'message", s->uid != 0 || s->message != NULL, error);
    case ML_LESSON_ACTION_IMAP_MOVE:
      return require_field (c, s, i, "uid' or 'message", s->uid != 0 || s->message != NULL, error) &&
             require_field (c, s, i, "folder", s->folder != NULL, error);
    case ML_LESSON_ACTION_IMAP_SEARCH:
      return require_field (c, s, i, "criteria", s->criteria != NULL, error);
    case ML_LESSON_ACTION_IMAP_CREATE_FOLDER:
      return require_field (c, s, i, "folder", s->folder != NULL, error);
    default:
      return TRUE;
    }
}

/* A key given on a step whose action has no use for it. */
static gboolean
refuse_key (Checker *c, MlLessonStep *s, guint i, const char *key, const char *why,
            GError **error)
{
  const MlYamlNode *group = g_hash_table_lookup (c->ld->origin, s);
  const MlYamlNode *at = ml_yaml_node_lookup (group, key);
  g_autofree char *path = NULL;

  if (at == NULL)
    return TRUE;
  path = g_strdup_printf ("steps[%u].%s", i + 1, key);
  return fail (c->ld, at, path, error, "a '%s' step has no '%s': %s",
               ml_lesson_action_to_string (s->kind), key, why);
}

/* {apop:SECRET} (console-session.c) is expanded in POP3 lines only, into
 * the APOP digest (RFC 1939 7): anywhere else it would go on the wire as
 * typed, secret and all. */
static gboolean
check_apop_placeholders (Checker *c, MlLessonStep *s, guint i, GError **error)
{
  const MlYamlNode *lines = node_of (c->ld, s, "lines");

  for (guint j = 0; s->lines[j] != NULL; j++)
    {
      const char *open = strstr (s->lines[j], "{apop:");
      const MlYamlNode *at = lines->kind == ML_YAML_SEQUENCE && j < lines->items->len
                             ? g_ptr_array_index (lines->items, j) : lines;
      g_autofree char *path = g_strdup_printf ("steps[%u].lines[%u]", i + 1, j + 1);

      if (open == NULL)
        continue;
      if (s->protocol != ML_PROTO_POP3)
        return fail (c->ld, at, path, error, "{apop:…} is POP3's APOP digest (RFC 1939 "
                     "7); in an %s line it would be sent as typed, secret and all",
                     ml_protocol_to_string (s->protocol));
      if (strchr (open, '}') == NULL || strchr (open, '}') == open + strlen ("{apop:"))
        return fail (c->ld, at, path, error, "write the secret between '{apop:' and '}', "
                     "as in APOP bob@b.example {apop:bob-secret}");
    }
  return TRUE;
}

static gboolean
check_console_step (Checker *c, MlLessonStep *s, guint i, GError **error)
{
  static const char *const client_keys[] = { "tls", "auth", "password" };
  g_autofree char *path = g_strdup_printf ("steps[%u].server", i + 1);
  MlLessonHost *server;
  MlRole needed;

  for (gsize k = 0; k < G_N_ELEMENTS (client_keys); k++)
    if (!refuse_key (c, s, i, client_keys[k], "at a console the student types "
                     "STARTTLS and the login as lines", error))
      return FALSE;
  if (!require_field (c, s, i, "server", s->server != NULL, error) ||
      !require_field (c, s, i, "protocol", s->protocol != ML_PROTO_NONE, error) ||
      !require_field (c, s, i, "lines", s->lines != NULL, error))
    return FALSE;
  if (!resolve_host (c, node_of (c->ld, s, "server"), path, &s->server, &server, error))
    return FALSE;
  /* SMTP is spoken by an MSA or an MTA; POP3 and IMAP by the MDA that
   * holds the mailboxes. */
  needed = s->protocol == ML_PROTO_SMTP ? (ML_ROLE_MSA | ML_ROLE_MTA) : ML_ROLE_MDA;
  if (!(server->roles & needed))
    {
      g_autofree char *roles = ml_roles_dup_string (server->roles);

      return fail (c->ld, node_of (c->ld, s, "server"), path, error,
                   "'%s' does not speak %s (its roles: %s); %s", server->name,
                   ml_protocol_to_string (s->protocol), roles,
                   s->protocol == ML_PROTO_SMTP ? "SMTP is served by an MSA or an MTA"
                                                : "POP3 and IMAP are served by an MDA");
    }
  if (s->port == 0)
    s->port = s->protocol == ML_PROTO_SMTP ? 25 : s->protocol == ML_PROTO_POP3 ? 110 : 143;
  return check_apop_placeholders (c, s, i, error);
}

/* tls, auth, password on send, pop3-fetch and imap-* steps. */
static gboolean
check_step_security (Checker *c, MlLessonStep *s, guint i, MlLessonHost *server,
                     GError **error)
{
  gboolean pop3 = s->kind == ML_LESSON_ACTION_POP3_FETCH;
  gboolean send = s->kind == ML_LESSON_ACTION_SEND;

  if ((s->auth == ML_LESSON_AUTH_USER || s->auth == ML_LESSON_AUTH_APOP) && !pop3)
    {
      g_autofree char *path = g_strdup_printf ("steps[%u].auth", i + 1);

      return fail (c->ld, node_of (c->ld, s, "auth"), path, error, "'%s' is a POP3 "
                   "login (RFC 1939 7), and this is a '%s' step; use plain, login or "
                   "scram-sha-256", s->auth == ML_LESSON_AUTH_USER ? "user" : "apop",
                   ml_lesson_action_to_string (s->kind));
    }
  if (s->auth == ML_LESSON_AUTH_NONE && !send)
    {
      g_autofree char *path = g_strdup_printf ("steps[%u].auth", i + 1);

      return fail (c->ld, node_of (c->ld, s, "auth"), path, error, "a mailbox is only "
                   "read after a login, so 'none' is for send steps only");
    }
  if (s->password != NULL && s->auth == ML_LESSON_AUTH_NONE)
    {
      g_autofree char *path = g_strdup_printf ("steps[%u].password", i + 1);

      return fail (c->ld, node_of (c->ld, s, "password"), path, error, "with 'auth: none' "
                   "the client never logs in, so it has no use for a password");
    }
  if (s->tls == ML_LESSON_TLS_IMPLICIT && !server->implicit_tls)
    {
      g_autofree char *path = g_strdup_printf ("steps[%u].tls", i + 1);

      return fail (c->ld, node_of (c->ld, s, "tls"), path, error, "'%s' does not serve "
                   "implicit TLS (465, 993, 995; RFC 8314); add 'implicit_tls: true' to it",
                   server->name);
    }
  return TRUE;
}

static gboolean
check_steps (Checker *c, GError **error)
{
  const MlLesson *lesson = c->ld->lesson;

  for (guint i = 0; i < lesson->steps->len; i++)
    {
      MlLessonStep *s = lesson->steps->pdata[i];
      g_autofree char *path = g_strdup_printf ("steps[%u].host", i + 1);
      const MlYamlNode *at = node_of (c->ld, s, "host");
      g_autofree char *roles = NULL;
      MlLessonHost *host;

      if (!resolve_host (c, at, path, &s->host, &host, error))
        return FALSE;
      roles = ml_roles_dup_string (host->roles);
      if (!(host->roles & ML_ROLE_MUA))
        return fail (c->ld, at, path, error, "'%s' cannot %s: its roles are %s, "
                     "and only a MUA (a mail program like Alice's laptop) %s",
                     host->name, ml_lesson_action_to_string (s->kind), roles,
                     s->kind == ML_LESSON_ACTION_SEND ? "sends messages" : "reads mail");
      if (s->kind != ML_LESSON_ACTION_CONSOLE &&
          (!refuse_key (c, s, i, "protocol", "only a console step names one", error) ||
           !refuse_key (c, s, i, "port", "only a console step names one", error) ||
           !refuse_key (c, s, i, "lines", "only a console step types lines", error)))
        return FALSE;
      if (s->kind != ML_LESSON_ACTION_SEND &&
          !refuse_key (c, s, i, "attachments", "only a message being sent has them", error))
        return FALSE;
      if (s->kind == ML_LESSON_ACTION_CONSOLE)
        {
          if (!check_console_step (c, s, i, error))
            return FALSE;
          continue;
        }
      if (s->kind == ML_LESSON_ACTION_SEND)
        {
          if (host->submission == NULL)
            return fail (c->ld, at, path, error, "'%s' has no 'submission' host to send "
                         "through; add one to it in 'hosts'", host->name);
          if (!require_field (c, s, i, "from", s->from != NULL, error) ||
              !require_field (c, s, i, "to", s->to != NULL, error))
            return FALSE;
          if (!check_step_security (c, s, i, lookup_host (c, host->submission), error))
            return FALSE;
          continue;
        }
      if (!check_retrieval_step (c, s, i, error) ||
          !check_step_security (c, s, i, lookup_host (c, s->server), error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_ml_lesson_check_world (Loader *ld, GError **error)
{
  Checker c = { ld, NULL };
  gboolean ok;

  c.hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ok = check_hosts (&c, error) && check_links (&c, error) &&
       check_records (&c, error) && check_accounts (&c, error) &&
       _ml_lesson_check_mailboxes (ld, error) &&
       check_steps (&c, error) && _ml_lesson_check_faults (ld, error) &&
       _ml_lesson_check_questions (ld, error) && _ml_lesson_check_checks (ld, error);
  g_hash_table_unref (c.hosts);
  return ok;
}

