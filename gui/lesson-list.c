#define G_LOG_DOMAIN "ml-lesson-list"

#include <adwaita.h>
#include <string.h>
#include "lesson-list.h"
#include "lesson/lesson.h"

struct _MlLessonList
{
  GtkWidget   parent_instance;
  GtkListBox *lessons;
  GPtrArray  *paths;   /* char*, lessons that load, in list order */
};

G_DEFINE_FINAL_TYPE (MlLessonList, ml_lesson_list, GTK_TYPE_WIDGET)

enum {
  LESSON_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
on_row_activated (MlLessonList *self, GtkListBoxRow *row)
{
  const char *path = g_object_get_data (G_OBJECT (row), "ml-lesson-path");

  if (path)
    g_signal_emit (self, signals[LESSON_ACTIVATED], 0, path);
}

static GtkWidget *
suffix_label (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, css_class);
  return label;
}

/* "01-smtp-journey" → "01": the number a teacher calls a lesson by. */
static char *
lesson_number (const char *id)
{
  const char *dash = id ? strchr (id, '-') : NULL;

  return dash ? g_strndup (id, dash - id) : g_strdup ("");
}

static GtkWidget *
lesson_row (const MlLesson *lesson)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *number = lesson_number (lesson->id);
  g_autofree char *summary = g_strdup (lesson->summary ? lesson->summary : "");
  GtkWidget *prefix = gtk_label_new (number);

  gtk_widget_add_css_class (prefix, "lesson-number");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), prefix);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), lesson->title ? lesson->title : lesson->id);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), g_strstrip (summary));
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  if (lesson->level)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix_label (lesson->level, "lesson-level"));
  if (lesson->minutes)
    {
      g_autofree char *minutes = g_strdup_printf ("%u min", lesson->minutes);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), suffix_label (minutes, "dim-label"));
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "ml-lesson-path", g_strdup (lesson->path), g_free);
  return row;
}

static GtkWidget *
broken_row (const char *file, const GError *error)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *base = g_path_get_basename (file);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  return row;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

guint
ml_lesson_list_load_dir (MlLessonList *self, const char *dir)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *child;
  const char *entry;

  g_return_val_if_fail (ML_IS_LESSON_LIST (self), 0);
  g_return_val_if_fail (dir != NULL, 0);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->lessons))) != NULL)
    gtk_list_box_remove (self->lessons, child);
  g_ptr_array_set_size (self->paths, 0);

  d = g_dir_open (dir, 0, NULL);
  while (d && (entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, ".yaml"))
      g_ptr_array_add (files, g_build_filename (dir, entry, NULL));
  g_ptr_array_sort (files, compare_paths);

  for (guint i = 0; i < files->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MlLesson) lesson = ml_lesson_load_file (files->pdata[i], &error);

      if (lesson)
        {
          gtk_list_box_append (self->lessons, lesson_row (lesson));
          g_ptr_array_add (self->paths, g_strdup (lesson->path));
        }
      else
        gtk_list_box_append (self->lessons, broken_row (files->pdata[i], error));
    }

  if (files->len == 0)
    {
      g_autofree char *text = g_strdup_printf ("No lessons found in %s", dir);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
      gtk_list_box_append (self->lessons, row);
    }
  return self->paths->len;
}

const char *
ml_lesson_list_get_path (MlLessonList *self, guint index)
{
  g_return_val_if_fail (ML_IS_LESSON_LIST (self), NULL);
  return index < self->paths->len ? self->paths->pdata[index] : NULL;
}

static void
ml_lesson_list_dispose (GObject *object)
{
  MlLessonList *self = ML_LESSON_LIST (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ML_TYPE_LESSON_LIST);
  /* The template's top child is not bound to a field, so
   * dispose_template leaves it; a GtkWidget subclass unparents its own. */
  {
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
      gtk_widget_unparent (child);
  }
  g_clear_pointer (&self->paths, g_ptr_array_unref);
  G_OBJECT_CLASS (ml_lesson_list_parent_class)->dispose (object);
}

static void
ml_lesson_list_class_init (MlLessonListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ml_lesson_list_dispose;

  signals[LESSON_ACTIVATED] =
    g_signal_new ("lesson-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/maillab/Maillab/lesson-list.ui");
  gtk_widget_class_bind_template_child (widget_class, MlLessonList, lessons);
  gtk_widget_class_set_css_name (widget_class, "lessonlist");
}

static void
ml_lesson_list_init (MlLessonList *self)
{
  self->paths = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->lessons, "row-activated", G_CALLBACK (on_row_activated), self);
}

GtkWidget *
ml_lesson_list_new (void)
{
  return g_object_new (ML_TYPE_LESSON_LIST, NULL);
}
