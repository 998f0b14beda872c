#define G_LOG_DOMAIN "ml-imap-sequence"

#include <stdlib.h>
#include "proto/imap-sequence.h"
#include "proto/imap-parser.h"

struct _MlImapSequenceSet
{
  GArray *ranges;  /* MlImapSeqRange, as written */
};

static gboolean
parse_seq_number (const char **p, const char *end, guint32 *out)
{
  const char *b = *p;

  if (b < end && *b == '*')
    {
      *out = ML_IMAP_SEQ_STAR;
      (*p)++;
      return TRUE;
    }
  while (*p < end && g_ascii_isdigit (**p))
    (*p)++;
  /* RFC 3501 9: nz-number, no leading zero. */
  if (*p == b || *b == '0')
    return FALSE;
  return ml_imap_parse_number (b, (gsize) (*p - b), out);
}

MlImapSequenceSet *
ml_imap_sequence_set_parse (const char *text, gsize len)
{
  g_autoptr (MlImapSequenceSet) self = NULL;
  const char *p = text, *end = text + len;

  if (text == NULL || len == 0)
    return NULL;
  self = g_new0 (MlImapSequenceSet, 1);
  self->ranges = g_array_new (FALSE, FALSE, sizeof (MlImapSeqRange));
  for (;;)
    {
      MlImapSeqRange r;

      if (!parse_seq_number (&p, end, &r.first))
        return NULL;
      r.last = r.first;
      if (p < end && *p == ':')
        {
          p++;
          if (!parse_seq_number (&p, end, &r.last))
            return NULL;
        }
      if (self->ranges->len >= ML_IMAP_MAX_SEQ_RANGES)
        return NULL;
      g_array_append_val (self->ranges, r);
      if (p == end)
        break;
      if (*p != ',')
        return NULL;
      p++;
    }
  return g_steal_pointer (&self);
}

void
ml_imap_sequence_set_free (MlImapSequenceSet *self)
{
  if (self == NULL)
    return;
  g_array_unref (self->ranges);
  g_free (self);
}

guint
ml_imap_sequence_set_get_n_ranges (const MlImapSequenceSet *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->ranges->len;
}

const MlImapSeqRange *
ml_imap_sequence_set_get_range (const MlImapSequenceSet *self, guint i)
{
  g_return_val_if_fail (self != NULL && i < self->ranges->len, NULL);
  return &g_array_index (self->ranges, MlImapSeqRange, i);
}

gboolean
ml_imap_sequence_set_has_star (const MlImapSequenceSet *self)
{
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);
  for (i = 0; i < self->ranges->len; i++)
    {
      const MlImapSeqRange *r = &g_array_index (self->ranges, MlImapSeqRange, i);

      if (r->first == ML_IMAP_SEQ_STAR || r->last == ML_IMAP_SEQ_STAR)
        return TRUE;
    }
  return FALSE;
}

static guint32
value_of (guint32 n, guint32 star)
{
  return n == ML_IMAP_SEQ_STAR ? star : n;
}

guint32
ml_imap_sequence_set_get_max (const MlImapSequenceSet *self, guint32 star)
{
  guint32 max = 0;
  guint i;

  g_return_val_if_fail (self != NULL, 0);
  for (i = 0; i < self->ranges->len; i++)
    {
      const MlImapSeqRange *r = &g_array_index (self->ranges, MlImapSeqRange, i);

      max = MAX (max, value_of (r->first, star));
      max = MAX (max, value_of (r->last, star));
    }
  return max;
}

static int
compare_ranges (gconstpointer a, gconstpointer b)
{
  const MlImapSeqRange *ra = a, *rb = b;

  if (ra->first != rb->first)
    return ra->first < rb->first ? -1 : 1;
  if (ra->last != rb->last)
    return ra->last < rb->last ? -1 : 1;
  return 0;
}

GArray *
ml_imap_sequence_set_resolve (const MlImapSequenceSet *self, guint32 star)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (MlImapSeqRange));
  guint i, w;

  g_return_val_if_fail (self != NULL, out);
  for (i = 0; i < self->ranges->len; i++)
    {
      const MlImapSeqRange *r = &g_array_index (self->ranges, MlImapSeqRange, i);
      guint32 a = value_of (r->first, star), b = value_of (r->last, star);
      MlImapSeqRange n;

      if (a == 0 || b == 0)
        continue;
      /* RFC 3501 9 seq-range: "regardless of order". */
      n.first = MIN (a, b);
      n.last = MAX (a, b);
      g_array_append_val (out, n);
    }
  if (out->len < 2)
    return out;
  g_array_sort (out, compare_ranges);
  w = 0;
  for (i = 1; i < out->len; i++)
    {
      MlImapSeqRange *prev = &g_array_index (out, MlImapSeqRange, w);
      const MlImapSeqRange *cur = &g_array_index (out, MlImapSeqRange, i);

      if (prev->last == G_MAXUINT32 || cur->first <= prev->last + 1)
        prev->last = MAX (prev->last, cur->last);
      else
        g_array_index (out, MlImapSeqRange, ++w) = *cur;
    }
  g_array_set_size (out, w + 1);
  return out;
}

gboolean
ml_imap_sequence_set_contains (const MlImapSequenceSet *self, guint32 n, guint32 star)
{
  guint i;

  g_return_val_if_fail (self != NULL, FALSE);
  for (i = 0; i < self->ranges->len; i++)
    {
      const MlImapSeqRange *r = &g_array_index (self->ranges, MlImapSeqRange, i);
      guint32 a = value_of (r->first, star), b = value_of (r->last, star);

      if (a == 0 || b == 0)
        continue;
      if (n >= MIN (a, b) && n <= MAX (a, b))
        return TRUE;
    }
  return FALSE;
}

char *
ml_imap_sequence_format (const guint32 *numbers, guint n)
{
  GString *s = g_string_new (NULL);
  guint i = 0;

  while (i < n)
    {
      guint j = i;

      while (j + 1 < n && numbers[j] != G_MAXUINT32 && numbers[j + 1] == numbers[j] + 1)
        j++;
      if (s->len > 0)
        g_string_append_c (s, ',');
      if (j == i)
        g_string_append_printf (s, "%u", numbers[i]);
      else
        g_string_append_printf (s, "%u:%u", numbers[i], numbers[j]);
      i = j + 1;
    }
  return g_string_free (s, FALSE);
}
