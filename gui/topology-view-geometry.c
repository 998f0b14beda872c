/* topology-view-geometry.c — where MlTopologyView puts things: host
 * centres from the layout, the cards sized to their text (shrunk to fit a
 * narrow view), and where a link leaves a card. */
#define G_LOG_DOMAIN "ml-topology"

#include <math.h>
#include <string.h>
#include "topology-view-private.h"

/* ---- geometry --------------------------------------------------------- */

PangoLayout *
_ml_topology_view_make_layout (MlTopologyView *self, const char *text, double scale, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  const PangoFontDescription *base = pango_context_get_font_description (pango_layout_get_context (layout));
  PangoFontDescription *font = pango_font_description_copy (base);
  int size = pango_font_description_get_size (font);

  if (size <= 0)
    size = 11 * PANGO_SCALE;
  pango_font_description_set_size (font, (int) (size * scale));
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

void
_ml_topology_view_host_centre (MlTopologyView *self, const MlTopologyHost *h, double *x, double *y)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double ht = gtk_widget_get_height (GTK_WIDGET (self));

  *x = ML_TOPOLOGY_MARGIN + h->x * MAX (w - 2 * ML_TOPOLOGY_MARGIN, 1);
  *y = ML_TOPOLOGY_MARGIN + h->y * MAX (ht - 2 * ML_TOPOLOGY_MARGIN, 1);
}

char *
_ml_topology_view_dup_badge_text (const MlTopologyHost *h)
{
  g_autofree char *roles = ml_roles_dup_string (h->roles);

  return g_strdup_printf ("%s · %u.%u.%u.%u", roles, (h->ipv4 >> 24) & 0xff,
                          (h->ipv4 >> 16) & 0xff, (h->ipv4 >> 8) & 0xff, h->ipv4 & 0xff);
}

void
_ml_topology_view_host_card (MlTopologyView *self, guint i, graphene_rect_t *rect,
           PangoLayout **name_out, PangoLayout **badge_out)
{
  const MlTopologyHost *h = g_ptr_array_index (self->layout->hosts, i);
  g_autofree char *badge_text = _ml_topology_view_dup_badge_text (h);
  PangoLayout *name = _ml_topology_view_make_layout (self, h->name, ML_TOPOLOGY_NAME_SCALE * self->text_scale, TRUE);
  PangoLayout *badge = _ml_topology_view_make_layout (self, badge_text, ML_TOPOLOGY_BADGE_SCALE * self->text_scale, FALSE);
  int nw, nh, bw, bh;
  double cx, cy, w, ht;

  pango_layout_get_pixel_size (name, &nw, &nh);
  pango_layout_get_pixel_size (badge, &bw, &bh);
  w = MAX (nw, bw) + 2 * ML_TOPOLOGY_CARD_PAD;
  ht = nh + bh + 2 * ML_TOPOLOGY_CARD_PAD + 2;
  _ml_topology_view_host_centre (self, h, &cx, &cy);
  graphene_rect_init (rect, (float) (cx - w / 2), (float) (cy - ht / 2), (float) w, (float) ht);
  if (name_out)
    *name_out = name;
  else
    g_object_unref (name);
  if (badge_out)
    *badge_out = badge;
  else
    g_object_unref (badge);
}

/* The cards' rectangles for the current size (borrowed): a dot's path and
 * a click both need them, and measuring text for each would be slow. */
const graphene_rect_t *
_ml_topology_view_card_rects (MlTopologyView *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->cards->len != self->layout->hosts->len || w != self->cards_w || h != self->cards_h)
    {
      guint n = self->layout->hosts->len;
      double fit = 1.0, span = MAX (w - 2 * ML_TOPOLOGY_MARGIN, 1);

      g_array_set_size (self->cards, n);
      /* Measured at full size first; when two cards of one row would
       * touch, every card's type shrinks alike (never below
       * ML_TOPOLOGY_MIN_TEXT_SCALE) so a narrow window still shows all. */
      self->text_scale = 1.0;
      for (guint i = 0; i < n; i++)
        _ml_topology_view_host_card (self, i, &g_array_index (self->cards, graphene_rect_t, i), NULL, NULL);
      for (guint i = 0; i < n; i++)
        for (guint j = i + 1; j < n; j++)
          {
            const MlTopologyHost *a = g_ptr_array_index (self->layout->hosts, i);
            const MlTopologyHost *b = g_ptr_array_index (self->layout->hosts, j);
            double need = (g_array_index (self->cards, graphene_rect_t, i).size.width
                           + g_array_index (self->cards, graphene_rect_t, j).size.width) / 2 + ML_TOPOLOGY_CARD_GAP;

            if (a->y == b->y)
              fit = MIN (fit, fabs (a->x - b->x) * span / need);
          }
      if (fit < 1.0)
        {
          self->text_scale = MAX (fit, ML_TOPOLOGY_MIN_TEXT_SCALE);
          for (guint i = 0; i < n; i++)
            _ml_topology_view_host_card (self, i, &g_array_index (self->cards, graphene_rect_t, i), NULL, NULL);
        }
      self->cards_w = w;
      self->cards_h = h;
    }
  return (const graphene_rect_t *) (gpointer) self->cards->data;
}

void
_ml_topology_view_invalidate_cards (MlTopologyView *self)
{
  g_array_set_size (self->cards, 0);
}

/* How far along @dx, @dy (a fraction of it) the centre of @r is from its
 * edge: where a link leaves the card. */
double
_ml_topology_view_edge_fraction (const graphene_rect_t *r, double dx, double dy)
{
  double fx = fabs (dx) > 1e-6 ? (r->size.width / 2.0) / fabs (dx) : G_MAXDOUBLE;
  double fy = fabs (dy) > 1e-6 ? (r->size.height / 2.0) / fabs (dy) : G_MAXDOUBLE;

  return MIN (MIN (fx, fy), 0.45);
}

guint
ml_topology_view_get_n_hosts (MlTopologyView *self)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), 0);
  return self->layout ? self->layout->hosts->len : 0;
}

const char *
ml_topology_view_get_host_name (MlTopologyView *self, guint i)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), NULL);
  if (self->layout == NULL || i >= self->layout->hosts->len)
    return NULL;
  return ((MlTopologyHost *) g_ptr_array_index (self->layout->hosts, i))->name;
}

gboolean
ml_topology_view_get_host_rect (MlTopologyView *self, guint i, graphene_rect_t *rect)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), FALSE);
  g_return_val_if_fail (rect != NULL, FALSE);

  if (self->layout == NULL || i >= self->layout->hosts->len)
    return FALSE;
  *rect = _ml_topology_view_card_rects (self)[i];
  return TRUE;
}

int
ml_topology_view_get_host_at (MlTopologyView *self, double x, double y)
{
  g_return_val_if_fail (ML_IS_TOPOLOGY_VIEW (self), -1);

  for (guint i = 0; self->layout && i < self->layout->hosts->len; i++)
    {
      if (graphene_rect_contains_point (&_ml_topology_view_card_rects (self)[i], &GRAPHENE_POINT_INIT ((float) x, (float) y)))
        return (int) i;
    }
  return -1;
}
