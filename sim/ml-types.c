#include "ml-types.h"

const char *
ml_protocol_to_string (MlProtocol protocol)
{
  switch (protocol)
    {
    case ML_PROTO_SMTP: return "SMTP";
    case ML_PROTO_LMTP: return "LMTP";
    case ML_PROTO_POP3: return "POP3";
    case ML_PROTO_IMAP: return "IMAP";
    case ML_PROTO_DNS:  return "DNS";
    case ML_PROTO_TCP:  return "TCP";
    case ML_PROTO_NONE:
    default:            return "-";
    }
}

static const struct { MlRole role; const char *name; } role_names[] = {
  { ML_ROLE_MUA, "MUA" },
  { ML_ROLE_MSA, "MSA" },
  { ML_ROLE_MTA, "MTA" },
  { ML_ROLE_MDA, "MDA" },
  { ML_ROLE_ROUTER, "router" },
  { ML_ROLE_DNS, "DNS" },
};

const char *
ml_role_to_string (MlRole role)
{
  for (gsize i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (role_names[i].role == role)
      return role_names[i].name;
  return "none";
}

MlRole
ml_role_from_string (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (g_ascii_strcasecmp (role_names[i].name, name) == 0)
      return role_names[i].role;
  return ML_ROLE_NONE;
}

char *
ml_roles_dup_string (MlRole roles)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (role_names); i++)
    if (roles & role_names[i].role)
      {
        if (s->len > 0)
          g_string_append_c (s, '+');
        g_string_append (s, role_names[i].name);
      }
  return g_string_free (s, FALSE);
}
