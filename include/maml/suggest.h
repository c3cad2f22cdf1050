/* "Did you mean ...?": the closest of a list of names to a mistyped one. */
#ifndef MAML_SUGGEST_H
#define MAML_SUGGEST_H

#include "maml/build_config.h"

/* The candidate closest to text by edit distance when it is close enough to be a likely
 * typo (at most 3 edits, and at most half the longer text), else NULL. Texts longer than
 * 64 bytes are compared on their first 64. */
const char *maml_closest(const char *text, const char *const *candidates, int count);

#endif
