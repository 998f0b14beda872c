#define G_LOG_DOMAIN "ml-note-view"

#include "note-view.h"
#include "ladder-label.h"

struct _MlNoteView
{
  GtkWidget         parent_instance;

  GtkLabel         *event_label;
  GtkLabel         *title_label;
  GtkLabel         *rfc_label;
  GtkLabel         *state_label;
  GtkLabel         *text_label;
  GtkLabel         *key_label;

  MlPlayer         *player;
  gulong            player_handlers[2];
  MlExplainCatalog *catalog;   /* borrowed */
};

G_DEFINE_FINAL_TYPE (MlNoteView, ml_note_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PLAYER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_label (GtkLabel *label, const char *text)
{
  gtk_label_set_label (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

/* The state a session was in at @event: the last state change of the same
 * engine (host and connection) before it. */
static const MlTraceEvent *
last_state (MlTrace *trace, const MlTraceEvent *event)
{
  guint64 lowest;

  if (event->host == NULL || event->conn_id == 0)
    return NULL;
  lowest = event->index > ML_NOTE_STATE_MAX_SCAN ? event->index - ML_NOTE_STATE_MAX_SCAN : 0;
  for (guint64 i = event->index; i-- > lowest;)
    {
      const MlTraceEvent *e = ml_trace_get_event (trace, i);

      if (e && e->kind == ML_TRACE_STATE && e->conn_id == event->conn_id
          && g_strcmp0 (e->host, event->host) == 0)
        return e;
    }
  return NULL;
}

/* Narratives come from YAML block text, broken at ~72 columns; the label
 * wraps to its own width, so single line breaks become spaces and only a
 * blank line still starts a paragraph. */
static char *
reflow (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GString *s = g_string_new (NULL);
  gboolean blank = FALSE;

  for (guint i = 0; lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        {
          blank = s->len > 0;
          continue;
        }
      if (s->len)
        g_string_append (s, blank ? "\n\n" : " ");
      g_string_append (s, lines[i]);
      blank = FALSE;
    }
  return g_string_free (s, FALSE);
}

static char *
describe_event (const MlTraceEvent *event)
{
  g_autofree char *label = ml_ladder_label_format (event);

  if (event->peer && (event->kind == ML_TRACE_DIALOGUE || event->kind == ML_TRACE_FRAME))
    return g_strdup_printf ("%s → %s · %s", event->host ? event->host : "?", event->peer, label);
  return g_strdup_printf ("%s · %s", event->host ? event->host : "?", label);
}

static void
update (MlNoteView *self)
{
  const MlTraceEvent *event = self->player ? ml_player_get_event (self->player) : NULL;
  const MlExplanation *note = NULL;
  const MlTraceEvent *state;
  g_autofree char *what = NULL;
  g_autofree char *state_text = NULL;
  g_autofree char *text = NULL;
  g_autofree char *key_text = NULL;

  if (event == NULL)
    {
      set_label (self->event_label, NULL);
      set_label (self->title_label, "Nothing to explain yet");
      set_label (self->rfc_label, NULL);
      set_label (self->state_label, NULL);
      set_label (self->text_label, "Step forward to see what happens and why.");
      set_label (self->key_label, NULL);
      return;
    }

  what = describe_event (event);
  if (self->catalog && event->explain_key)
    note = ml_explain_catalog_find (self->catalog, event->explain_key);

  if (note)
    {
      set_label (self->title_label, note->title);
      set_label (self->rfc_label, note->rfc);
      text = g_strdup (note->text);
    }
  else
    {
      set_label (self->title_label, "No note for this event");
      set_label (self->rfc_label, NULL);
      if (event->explain_key)
        text = g_strdup_printf ("The catalog in lessons/explain has no note for “%s” yet.",
                                event->explain_key);
      else
        text = g_strdup ("This event carries no explanation key.");
    }
  /* A note's detail (a lesson step's narrative, a queue id) belongs to
   * this event only, so it follows the general text. */
  if (event->kind == ML_TRACE_NOTE && event->detail && *event->detail)
    {
      g_autofree char *detail = reflow (event->detail);
      char *joined = g_strdup_printf ("%s\n\n%s", text, detail);
      g_free (text);
      text = joined;
    }
  g_strchomp (text);

  if (event->kind == ML_TRACE_STATE)
    state_text = g_strdup_printf ("State: %s → %s",
                                  event->state_from ? event->state_from : "start",
                                  event->state_to ? event->state_to : "?");
  else if ((state = last_state (ml_player_get_trace (self->player), event)) != NULL)
    state_text = g_strdup_printf ("Session state: %s", state->state_to ? state->state_to : "?");

  if (event->explain_key)
    key_text = g_strdup_printf ("event %" G_GUINT64_FORMAT " · %s", event->index, event->explain_key);
  else
    key_text = g_strdup_printf ("event %" G_GUINT64_FORMAT, event->index);

  set_label (self->event_label, what);
  set_label (self->state_label, state_text);
  set_label (self->text_label, text);
  set_label (self->key_label, key_text);
}

static void
disconnect_player (MlNoteView *self)
{
  if (self->player == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (self->player_handlers); i++)
    g_clear_signal_handler (&self->player_handlers[i], self->player);
  g_clear_object (&self->player);
}

static void
ml_note_view_dispose (GObject *object)
{
  MlNoteView *self = ML_NOTE_VIEW (object);

  disconnect_player (self);
  self->catalog = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), ML_TYPE_NOTE_VIEW);
  /* The template's top child is not bound to a field, so
   * dispose_template leaves it; a GtkWidget subclass unparents its own. */
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  G_OBJECT_CLASS (ml_note_view_parent_class)->dispose (object);
}

static void
ml_note_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlNoteView *self = ML_NOTE_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      g_value_set_object (value, self->player);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_note_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  MlNoteView *self = ML_NOTE_VIEW (object);

  switch (prop_id)
    {
    case PROP_PLAYER:
      ml_note_view_set_player (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_note_view_class_init (MlNoteViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_note_view_dispose;
  object_class->get_property = ml_note_view_get_property;
  object_class->set_property = ml_note_view_set_property;

  properties[PROP_PLAYER] =
    g_param_spec_object ("player", NULL, NULL, ML_TYPE_PLAYER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/maillab/Maillab/note-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, event_label);
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, title_label);
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, rfc_label);
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, state_label);
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, text_label);
  gtk_widget_class_bind_template_child (widget_class, MlNoteView, key_label);
  gtk_widget_class_set_css_name (widget_class, "noteview");
}

static void
ml_note_view_init (MlNoteView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

GtkWidget *
ml_note_view_new (void)
{
  return g_object_new (ML_TYPE_NOTE_VIEW, NULL);
}

MlPlayer *
ml_note_view_get_player (MlNoteView *self)
{
  g_return_val_if_fail (ML_IS_NOTE_VIEW (self), NULL);
  return self->player;
}

void
ml_note_view_set_player (MlNoteView *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_NOTE_VIEW (self));
  g_return_if_fail (player == NULL || ML_IS_PLAYER (player));

  if (self->player == player)
    return;
  disconnect_player (self);
  if (player)
    {
      self->player = g_object_ref (player);
      self->player_handlers[0] = g_signal_connect_swapped (player, "notify::trace", G_CALLBACK (update), self);
      self->player_handlers[1] = g_signal_connect_swapped (player, "notify::position", G_CALLBACK (update), self);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYER]);
}

void
ml_note_view_set_catalog (MlNoteView *self, MlExplainCatalog *catalog)
{
  g_return_if_fail (ML_IS_NOTE_VIEW (self));

  self->catalog = catalog;
  update (self);
}

const char *
ml_note_view_get_title (MlNoteView *self)
{
  g_return_val_if_fail (ML_IS_NOTE_VIEW (self), NULL);
  return gtk_label_get_label (self->title_label);
}

const char *
ml_note_view_get_text (MlNoteView *self)
{
  g_return_val_if_fail (ML_IS_NOTE_VIEW (self), NULL);
  return gtk_label_get_label (self->text_label);
}

const char *
ml_note_view_get_rfc (MlNoteView *self)
{
  g_return_val_if_fail (ML_IS_NOTE_VIEW (self), NULL);
  return gtk_label_get_label (self->rfc_label);
}

const char *
ml_note_view_get_state (MlNoteView *self)
{
  g_return_val_if_fail (ML_IS_NOTE_VIEW (self), NULL);
  return gtk_label_get_label (self->state_label);
}
