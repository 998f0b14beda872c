/* ml-types.h — small enums shared by every part of sim/. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Application protocols a dialogue line or a session can belong to. */
typedef enum {
  ML_PROTO_NONE = 0,
  ML_PROTO_SMTP,
  ML_PROTO_LMTP,
  ML_PROTO_POP3,
  ML_PROTO_IMAP,
  ML_PROTO_DNS,
  ML_PROTO_TCP,
} MlProtocol;

/* Who sent a dialogue line: the client (command) or the server (reply). */
typedef enum {
  ML_DIR_CLIENT_TO_SERVER = 0,
  ML_DIR_SERVER_TO_CLIENT,
} MlDirection;

/* Roles a simulated host may hold; one host may hold several (a bit set). */
typedef enum {
  ML_ROLE_NONE   = 0,
  ML_ROLE_MUA    = 1 << 0,  /* mail user agent: Alice's laptop */
  ML_ROLE_MSA    = 1 << 1,  /* submission server, port 587 (RFC 6409) */
  ML_ROLE_MTA    = 1 << 2,  /* relay / MX, port 25 (RFC 5321) */
  ML_ROLE_MDA    = 1 << 3,  /* final delivery into the mail store */
  ML_ROLE_ROUTER = 1 << 4,  /* forwards IP packets, holds no mail */
  ML_ROLE_DNS    = 1 << 5,  /* authoritative DNS for the lesson's zones */
} MlRole;

const char *ml_protocol_to_string (MlProtocol protocol);
const char *ml_role_to_string     (MlRole role);       /* one bit */
MlRole      ml_role_from_string   (const char *name);  /* ML_ROLE_NONE if unknown */
char       *ml_roles_dup_string   (MlRole roles);      /* "MSA+MTA" */

G_END_DECLS
