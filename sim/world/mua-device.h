/* mua-device.h — a mail program on a device (a phone, a laptop) reading
 * mail over POP3 or IMAP, as the lesson's retrieval steps ask.
 *
 * A device keeps what a real one keeps between steps: the messages POP3
 * downloaded and the UIDLs it has seen, and for IMAP one open session per
 * account and server (logging in once, as mail programs do) with the
 * device's local copy of the mailboxes. After every action the device's
 * holdings go into the trace as a store event of its own host
 * (explain key "device.state"), so a view can show, at any step, what the
 * phone has next to what the server has.
 */
#pragma once

#include "lesson/lesson.h"
#include "net/network.h"
#include "net/dns-resolver.h"

G_BEGIN_DECLS

typedef struct _MlMuaDevice MlMuaDevice;

/* @lesson (for the accounts' passwords) and @resolver are borrowed. */
MlMuaDevice *ml_mua_device_new         (MlNetwork *network, MlHost *host,
                                        MlDnsResolver *resolver, const MlLesson *lesson);
void         ml_mua_device_free        (MlMuaDevice *self);
/* Starts a retrieval step (pop3-fetch, imap-*); what it does goes on in
 * the scheduler. */
void         ml_mua_device_start_step  (MlMuaDevice *self, const MlLessonStep *step);
/* Between steps: a device idling longer than its step's timeout stops
 * (RFC 2177 3); lets the device notice. */
void         ml_mua_device_check_idle  (MlMuaDevice *self);
/* At the end of a lesson: every IMAP session still open logs out. */
void         ml_mua_device_logout_all  (MlMuaDevice *self);
/* How many messages the device holds, over every account and mailbox. */
guint        ml_mua_device_count_messages (MlMuaDevice *self);
const char  *ml_mua_device_get_name    (MlMuaDevice *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlMuaDevice, ml_mua_device_free)

G_END_DECLS
