/* lesson-markdown.h — the Markdown subset of narratives, questions and
 * feedback (lessons/README.md, "The narrative's Markdown"), rendered for a
 * terminal and for a GTK label.
 *
 * Blocks: paragraphs (a blank line between), and lists (lines starting
 * with "- "; an indented line continues the item; one level). Inline:
 * `code`, *emphasis*, **strong** (one may hold the other, neither itself),
 * [text](url) with an http, https or mailto url, and RFC references
 * ("RFC 3501", "RFC 3501 6.4.4"). Anything else is text as typed: an
 * unmatched marker, a run of three or more '*', a link with another scheme.
 * Rendering is linear in the input; input past ML_MARKDOWN_MAX_INPUT is
 * cut there.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longer than any lesson text (a lesson file is at most
 * ML_LESSON_MAX_FILE_SIZE); the rest is dropped with an ellipsis. */
#define ML_MARKDOWN_MAX_INPUT  (256 * 1024)
/* A [text](url) is looked for within this many bytes of its '['. */
#define ML_MARKDOWN_MAX_LINK   2048

/* For a terminal: markers removed, `code` kept with its backticks, a link
 * as "text <url>", list items as "  - ". With @ansi, strong is bold
 * (SGR 1), emphasis italic (SGR 3) and code and links are in their own
 * colour; without, plain text for a pipe or a file. Lines keep the author's
 * breaks. Transfer full; NULL gives "". */
char *ml_markdown_to_terminal (const char *text, gboolean ansi);

/* For gtk_label_set_markup: every text byte escaped (<, &, >, quotes),
 * <b>, <i>, <tt>, <a href>; RFC references link to the RFC Editor.
 * Line breaks inside a paragraph become spaces (the label wraps); a list
 * item is a "• " line. Valid Pango markup for any input (invalid UTF-8 is
 * replaced). Transfer full; NULL gives "". */
char *ml_markdown_to_pango    (const char *text);

G_END_DECLS
