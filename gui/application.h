/* application.h — the maillab application (org.maillab.Maillab). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define ML_APPLICATION_ID "org.maillab.Maillab"

#define ML_TYPE_APPLICATION (ml_application_get_type ())
G_DECLARE_FINAL_TYPE (MlApplication, ml_application, ML, APPLICATION, AdwApplication)

MlApplication *ml_application_new             (void);
/* What main() returns: a screenshot's result, else 0. */
int            ml_application_get_exit_status (MlApplication *self);

G_END_DECLS
