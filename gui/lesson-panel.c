/* lesson-panel.c — the runner's walk (narratives, questions, checks)
 * placed on the trace by their event ranges, rebuilt when the cursor
 * enters another lesson step. */
#define G_LOG_DOMAIN "ml-lesson-panel"

#include <string.h>
#include "lesson-panel.h"
#include "lesson/lesson-markdown.h"

/* An answer longer than this is cut before grading: the runner keeps no
 * more of it (its MAX_ANSWER), and no key is that long. */
#define ML_LESSON_PANEL_MAX_ANSWER 1000

typedef struct {
  gboolean  correct;
  char     *feedback;
} Answer;

struct _MlLessonPanel
{
  GtkWidget       parent_instance;

  GtkWidget      *scroller;
  GtkWidget      *content;      /* GtkBox rebuilt per step */
  GtkLabel       *score_label;
  MlPlayer       *player;
  MlLessonRunner *runner;
  GArray         *items;        /* MlLessonItem, the runner's whole walk */
  GHashTable     *answers;      /* question id → Answer* */
  guint           step;         /* shown, from 1; 0 before the first */
  gboolean        at_end;       /* the checks are shown */
  guint           predicts_open;/* predictions whose reply is still ahead */
  gboolean        built;
  char           *narrative;
  char           *score_text;
  guint           n_questions;
  guint           n_checks;
  gboolean        hide_ahead;   /* an unanswered prediction is asked */
};

G_DEFINE_FINAL_TYPE (MlLessonPanel, ml_lesson_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_HIDE_AHEAD,
  N_PROPS,
};

static GParamSpec *properties[N_PROPS];

/* The views must not show a reply the student is asked to predict: while
 * the cursor is before the reply of a prediction of its step that has no
 * answer yet, "hide-ahead" is TRUE (the window binds the ladder to it). */
static void
update_hide_ahead (MlLessonPanel *self)
{
  gboolean hide = FALSE;
  guint64 position;

  if (self->runner != NULL && self->player != NULL && ml_player_get_trace (self->player) != NULL)
    {
      position = ml_player_get_position (self->player);
      for (guint i = 0; !hide && i < self->items->len; i++)
        {
          const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

          hide = item->kind == ML_LESSON_ITEM_QUESTION && item->question
                 && item->question->kind == ML_LESSON_QUESTION_PREDICT
                 && item->step == self->step && position < item->trace_end
                 && !g_hash_table_contains (self->answers, item->question->id);
        }
    }
  if (hide == self->hide_ahead)
    return;
  self->hide_ahead = hide;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HIDE_AHEAD]);
}

static void
answer_free (gpointer data)
{
  Answer *a = data;

  g_free (a->feedback);
  g_free (a);
}

/* The lessons' Markdown subset (lessons/README.md), as Pango markup with
 * every text byte escaped (lesson-markdown.h). */
static char *
markup_from_markdown (const char *text)
{
  return ml_markdown_to_pango (text);
}

static GtkWidget *
markup_label (const char *markdown, const char *css_class)
{
  g_autofree char *markup = markup_from_markdown (markdown);
  GtkWidget *label = gtk_label_new (NULL);

  if (markup)
    gtk_label_set_markup (GTK_LABEL (label), markup);
  else
    gtk_label_set_text (GTK_LABEL (label), markdown);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static void
update_score (MlLessonPanel *self)
{
  guint earned = 0, possible = 0;

  if (self->runner)
    ml_lesson_runner_get_score (self->runner, &earned, &possible);
  g_free (self->score_text);
  self->score_text = g_strdup_printf ("Score: %u / %u", earned, possible);
  gtk_label_set_text (self->score_label, self->runner ? self->score_text : "");
}

static void rebuild (MlLessonPanel *self);

gboolean
ml_lesson_panel_answer (MlLessonPanel *self, const char *id, const char *answer)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cut = NULL;
  const char *feedback = NULL;
  gboolean correct = FALSE;
  Answer *a;

  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), FALSE);
  g_return_val_if_fail (id != NULL && answer != NULL, FALSE);

  if (self->runner == NULL)
    return FALSE;
  cut = g_utf8_substring (answer, 0, MIN (g_utf8_strlen (answer, -1), ML_LESSON_PANEL_MAX_ANSWER));
  if (!ml_lesson_runner_answer (self->runner, id, cut, &correct, &feedback, &error))
    {
      g_warning ("answer to %s: %s", id, error ? error->message : "refused");
      return FALSE;
    }
  a = g_new0 (Answer, 1);
  a->correct = correct;
  a->feedback = g_strdup_printf ("%s%s%s", correct ? "Right." : "Not quite.",
                                 feedback && *feedback ? " " : "", feedback ? feedback : "");
  g_hash_table_replace (self->answers, g_strdup (id), a);
  update_score (self);
  rebuild (self);
  update_hide_ahead (self);
  return correct;
}

/* ---- one question --------------------------------------------------------- */

static void
on_check_clicked (GtkButton *button, MlLessonPanel *self)
{
  GtkWidget *input = g_object_get_data (G_OBJECT (button), "ml-input");
  const char *id = g_object_get_data (G_OBJECT (button), "ml-question");
  g_autofree char *id_copy = g_strdup (id);

  if (GTK_IS_EDITABLE (input))
    {
      g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (input)));

      if (*g_strstrip (text))
        ml_lesson_panel_answer (self, id_copy, text);
      return;
    }
  /* A choice: the radio that is active. */
  for (GtkWidget *c = gtk_widget_get_first_child (input); c; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_CHECK_BUTTON (c) && gtk_check_button_get_active (GTK_CHECK_BUTTON (c)))
      {
        g_autofree char *choice = g_strdup (g_object_get_data (G_OBJECT (c), "ml-choice"));

        ml_lesson_panel_answer (self, id_copy, choice);
        return;
      }
}

static void
on_entry_activate (GtkEntry *entry, GtkButton *button)
{
  g_signal_emit_by_name (button, "clicked");
}

static const char *
question_hint (const MlLessonQuestion *q)
{
  switch (q->kind)
    {
    case ML_LESSON_QUESTION_NUMBER:  return "A number";
    case ML_LESSON_QUESTION_PREDICT: return "Predict the reply (a code such as 250, or +OK / OK)";
    case ML_LESSON_QUESTION_TEXT:    return "Your answer";
    case ML_LESSON_QUESTION_CHOICE:
    default:                         return NULL;
    }
}

static void
add_question (MlLessonPanel *self, const MlLessonQuestion *q, gboolean revealed)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *button = gtk_button_new_with_mnemonic ("_Check");
  GtkWidget *input;
  Answer *a = g_hash_table_lookup (self->answers, q->id);

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "ml-question");
  g_object_set (card, "margin-start", 0, NULL);
  {
    GtkWidget *ask = markup_label (q->ask, "ml-question-text");
    GtkWidget *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);

    gtk_widget_set_margin_start (inner, 12);
    gtk_widget_set_margin_end (inner, 12);
    gtk_widget_set_margin_top (inner, 12);
    gtk_widget_set_margin_bottom (inner, 12);
    gtk_box_append (GTK_BOX (card), inner);
    if (q->kind == ML_LESSON_QUESTION_PREDICT)
      gtk_box_append (GTK_BOX (inner),
                      markup_label (revealed ? "The reply is on the ladder now: step back before it to predict it fairly."
                                             : "Before the reply arrives:", "dim-label"));
    gtk_box_append (GTK_BOX (inner), ask);

    if (q->kind == ML_LESSON_QUESTION_CHOICE && q->choices)
      {
        GtkCheckButton *group = NULL;

        input = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
        for (guint i = 0; q->choices[i]; i++)
          {
            GtkWidget *radio = gtk_check_button_new_with_label (q->choices[i]);

            g_object_set_data_full (G_OBJECT (radio), "ml-choice", g_strdup (q->choices[i]), g_free);
            if (group)
              gtk_check_button_set_group (GTK_CHECK_BUTTON (radio), group);
            else
              group = GTK_CHECK_BUTTON (radio);
            gtk_box_append (GTK_BOX (input), radio);
          }
        gtk_box_append (GTK_BOX (inner), input);
        gtk_box_append (GTK_BOX (inner), row);
      }
    else
      {
        input = gtk_entry_new ();
        gtk_entry_set_placeholder_text (GTK_ENTRY (input), question_hint (q));
        gtk_widget_set_hexpand (input, TRUE);
        g_signal_connect (input, "activate", G_CALLBACK (on_entry_activate), button);
        gtk_box_append (GTK_BOX (row), input);
        gtk_box_append (GTK_BOX (inner), row);
      }
    gtk_widget_add_css_class (button, "suggested-action");
    gtk_box_append (GTK_BOX (row), button);
    g_object_set_data (G_OBJECT (button), "ml-input", input);
    g_object_set_data_full (G_OBJECT (button), "ml-question", g_strdup (q->id), g_free);
    g_signal_connect (button, "clicked", G_CALLBACK (on_check_clicked), self);

    if (a)
      {
        GtkWidget *feedback = markup_label (a->feedback, a->correct ? "success" : "error");

        gtk_box_append (GTK_BOX (inner), feedback);
      }
  }
  gtk_box_append (GTK_BOX (self->content), card);
  self->n_questions++;
}

static void
add_check (MlLessonPanel *self, const MlLessonItem *item)
{
  g_autofree char *text = g_strdup_printf ("%s %s%s%s", item->passed ? "✓" : "✗",
                                           item->check->description ? item->check->description : item->check->id,
                                           item->observed ? " — " : "", item->observed ? item->observed : "");
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, item->passed ? "success" : "error");
  gtk_box_append (GTK_BOX (self->content), label);
  self->n_checks++;
}

/* ---- following the player -------------------------------------------------- */

static guint
n_lesson_steps (MlLessonPanel *self)
{
  const MlLesson *lesson = self->runner ? ml_lesson_runner_get_lesson (self->runner) : NULL;

  return lesson ? lesson->steps->len : 0;
}

/* The lesson step whose events hold @position: the last NARRATIVE item
 * starting at or before it. */
static guint
step_at (MlLessonPanel *self, guint64 position)
{
  guint step = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

      if (item->kind == ML_LESSON_ITEM_NARRATIVE && item->trace_start <= position)
        step = MAX (step, item->step);
    }
  return step;
}

static void
clear_content (MlLessonPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->content)) != NULL)
    gtk_box_remove (GTK_BOX (self->content), child);
  self->n_questions = 0;
  self->n_checks = 0;
}

static void
rebuild (MlLessonPanel *self)
{
  g_autofree char *heading = NULL;
  const MlLessonStep *step_data = NULL;
  gboolean paused = FALSE;

  clear_content (self);
  g_clear_pointer (&self->narrative, g_free);
  self->narrative = g_strdup ("");
  if (self->runner == NULL)
    {
      gtk_box_append (GTK_BOX (self->content),
                      markup_label ("No lesson: a capture shows what happened on a real network, "
                                    "with no narrative, questions or checks.", "dim-label"));
      return;
    }

  for (guint i = 0; i < self->items->len; i++)
    {
      const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

      if (item->step != self->step || self->step == 0)
        continue;
      if (item->kind == ML_LESSON_ITEM_NARRATIVE)
        step_data = item->step_data;
      else if (item->kind == ML_LESSON_ITEM_PAUSE)
        paused = TRUE;
    }
  heading = self->step ? g_strdup_printf ("Step %u of %u", self->step, n_lesson_steps (self))
                       : g_strdup ("Before the first step");
  {
    GtkWidget *title = gtk_label_new (heading);

    gtk_label_set_xalign (GTK_LABEL (title), 0);
    gtk_widget_add_css_class (title, "title-2");
    gtk_box_append (GTK_BOX (self->content), title);
  }
  if (step_data && step_data->narrative && *step_data->narrative)
    {
      g_free (self->narrative);
      self->narrative = g_strdup (step_data->narrative);
      gtk_box_append (GTK_BOX (self->content), markup_label (step_data->narrative, "ml-narrative"));
    }
  if (paused)
    gtk_box_append (GTK_BOX (self->content),
                    markup_label ("The lesson pauses here: discuss before going on.", "accent"));

  for (guint i = 0; i < self->items->len; i++)
    {
      const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

      if (item->kind == ML_LESSON_ITEM_QUESTION && item->step == self->step && item->question)
        add_question (self, item->question,
                      item->question->kind == ML_LESSON_QUESTION_PREDICT
                      && self->player && ml_player_get_position (self->player) >= item->trace_end);
    }

  if (self->at_end)
    {
      gboolean any = FALSE;

      for (guint i = 0; i < self->items->len; i++)
        {
          const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

          if (item->kind != ML_LESSON_ITEM_CHECK || item->check == NULL)
            continue;
          if (!any)
            {
              GtkWidget *title = gtk_label_new ("Checks on the run");

              gtk_label_set_xalign (GTK_LABEL (title), 0);
              gtk_widget_add_css_class (title, "title-3");
              gtk_box_append (GTK_BOX (self->content), title);
              any = TRUE;
            }
          add_check (self, item);
        }
    }
}

static void
on_position_changed (MlLessonPanel *self)
{
  guint64 position;
  guint step, predicts_open;
  gboolean at_end;

  if (self->player == NULL || ml_player_get_trace (self->player) == NULL)
    return;
  position = ml_player_get_position (self->player);
  step = self->runner ? step_at (self, position) : 0;
  at_end = !ml_player_can_step_forward (self->player);
  predicts_open = 0;
  for (guint i = 0; i < self->items->len; i++)
    {
      const MlLessonItem *item = &g_array_index (self->items, MlLessonItem, i);

      /* A prediction belongs before its reply (the runner's trace_end). */
      predicts_open += item->kind == ML_LESSON_ITEM_QUESTION && item->step == step && item->question
                       && item->question->kind == ML_LESSON_QUESTION_PREDICT && position < item->trace_end;
    }
  /* Rebuilt only when what is shown changes, so an answer being typed is
   * not wiped by the cursor moving within its step. */
  if (self->built && step == self->step && at_end == self->at_end && predicts_open == self->predicts_open)
    {
      update_hide_ahead (self);
      return;
    }
  self->step = step;
  self->at_end = at_end;
  self->predicts_open = predicts_open;
  self->built = TRUE;
  rebuild (self);
  update_hide_ahead (self);
}

void
ml_lesson_panel_set_runner (MlLessonPanel *self, MlLessonRunner *runner)
{
  MlLessonItem item;

  g_return_if_fail (ML_IS_LESSON_PANEL (self));

  g_set_object (&self->runner, runner);
  g_array_set_size (self->items, 0);
  g_hash_table_remove_all (self->answers);
  if (runner)
    while (ml_lesson_runner_next_item (runner, &item))
      g_array_append_val (self->items, item);
  self->built = FALSE;
  self->step = 0;
  update_score (self);
  on_position_changed (self);
  if (!self->built)
    rebuild (self);
  update_hide_ahead (self);
}

MlLessonRunner *
ml_lesson_panel_get_runner (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), NULL);
  return self->runner;
}

void
ml_lesson_panel_set_player (MlLessonPanel *self, MlPlayer *player)
{
  g_return_if_fail (ML_IS_LESSON_PANEL (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_set_object (&self->player, player);
  if (player)
    {
      g_signal_connect_swapped (player, "notify::position", G_CALLBACK (on_position_changed), self);
      g_signal_connect_swapped (player, "notify::mode", G_CALLBACK (on_position_changed), self);
    }
  self->built = FALSE;
  on_position_changed (self);
}

guint
ml_lesson_panel_get_step (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), 0);
  return self->step;
}

const char *
ml_lesson_panel_get_narrative (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), NULL);
  return self->narrative ? self->narrative : "";
}

guint
ml_lesson_panel_get_n_questions (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), 0);
  return self->n_questions;
}

guint
ml_lesson_panel_get_n_checks (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), 0);
  return self->n_checks;
}

const char *
ml_lesson_panel_get_feedback (MlLessonPanel *self, const char *id)
{
  Answer *a;

  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), NULL);
  a = id ? g_hash_table_lookup (self->answers, id) : NULL;
  return a ? a->feedback : NULL;
}

const char *
ml_lesson_panel_get_score_text (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), NULL);
  return self->score_text ? self->score_text : "";
}

GtkWidget *
ml_lesson_panel_new (void)
{
  return g_object_new (ML_TYPE_LESSON_PANEL, NULL);
}

static void
ml_lesson_panel_dispose (GObject *object)
{
  MlLessonPanel *self = ML_LESSON_PANEL (object);
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));

  if (self->player)
    g_signal_handlers_disconnect_by_data (self->player, self);
  g_clear_object (&self->player);
  g_clear_object (&self->runner);
  if (child)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ml_lesson_panel_parent_class)->dispose (object);
}

static void
ml_lesson_panel_finalize (GObject *object)
{
  MlLessonPanel *self = ML_LESSON_PANEL (object);

  g_array_unref (self->items);
  g_hash_table_unref (self->answers);
  g_free (self->narrative);
  g_free (self->score_text);
  G_OBJECT_CLASS (ml_lesson_panel_parent_class)->finalize (object);
}

gboolean
ml_lesson_panel_get_hide_ahead (MlLessonPanel *self)
{
  g_return_val_if_fail (ML_IS_LESSON_PANEL (self), FALSE);
  return self->hide_ahead;
}

static void
ml_lesson_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  MlLessonPanel *self = ML_LESSON_PANEL (object);

  switch (prop_id)
    {
    case PROP_HIDE_AHEAD:
      g_value_set_boolean (value, self->hide_ahead);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ml_lesson_panel_class_init (MlLessonPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_lesson_panel_dispose;
  object_class->finalize = ml_lesson_panel_finalize;
  object_class->get_property = ml_lesson_panel_get_property;
  properties[PROP_HIDE_AHEAD] =
    g_param_spec_boolean ("hide-ahead", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "lessonpanel");
}

static void
ml_lesson_panel_init (MlLessonPanel *self)
{
  GtkWidget *outer = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *title = gtk_label_new ("Lesson");

  self->items = g_array_new (FALSE, TRUE, sizeof (MlLessonItem));
  self->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, answer_free);

  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_hexpand (title, TRUE);
  self->score_label = GTK_LABEL (gtk_label_new (""));
  gtk_widget_add_css_class (GTK_WIDGET (self->score_label), "heading");
  gtk_widget_add_css_class (GTK_WIDGET (self->score_label), "numeric");
  gtk_box_append (GTK_BOX (header), title);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->score_label));
  gtk_widget_set_margin_start (header, 18);
  gtk_widget_set_margin_end (header, 18);
  gtk_widget_set_margin_top (header, 12);
  gtk_widget_set_margin_bottom (header, 6);

  self->content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 14);
  gtk_widget_set_margin_start (self->content, 18);
  gtk_widget_set_margin_end (self->content, 18);
  gtk_widget_set_margin_top (self->content, 6);
  gtk_widget_set_margin_bottom (self->content, 18);
  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), self->content);
  gtk_widget_set_vexpand (self->scroller, TRUE);

  gtk_box_append (GTK_BOX (outer), header);
  gtk_box_append (GTK_BOX (outer), self->scroller);
  gtk_widget_set_parent (outer, GTK_WIDGET (self));
  update_score (self);
  rebuild (self);
}
