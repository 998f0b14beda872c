/* compare-chart.h — cumulative payload bytes and round trips per protocol
 * (SMTP, POP3, IMAP) over the lesson's time, marker at the player's time. */
#pragma once

#include <gtk/gtk.h>
#include "player.h"

G_BEGIN_DECLS

#define ML_TYPE_COMPARE_CHART (ml_compare_chart_get_type ())
G_DECLARE_FINAL_TYPE (MlCompareChart, ml_compare_chart, ML, COMPARE_CHART, GtkWidget)

GtkWidget *ml_compare_chart_new        (void);
void       ml_compare_chart_set_player (MlCompareChart *self, MlPlayer *player);
/* Samples taken (one per event that changed a figure); for tests. */
guint      ml_compare_chart_get_n_samples (MlCompareChart *self);

G_END_DECLS
