/* "Did you mean ...?" (maml/suggest.h) */
#include "maml/suggest.h"

#include <string.h>

#define TEXT_MAX 64

/* Levenshtein distance of the first TEXT_MAX bytes of a and b */
static size_t edit_distance(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  if (na > TEXT_MAX) na = TEXT_MAX;
  if (nb > TEXT_MAX) nb = TEXT_MAX;
  size_t row[TEXT_MAX + 1];
  for (size_t j = 0; j <= nb; j++) row[j] = j;
  for (size_t i = 1; i <= na; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[nb];
}

const char *maml_closest(const char *text, const char *const *candidates, int count) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  size_t len = strlen(text);
  for (int i = 0; i < count; i++) {
    size_t d = edit_distance(text, candidates[i]);
    size_t clen = strlen(candidates[i]);
    size_t longer = len > clen ? len : clen;
    if (d <= 3 && 2 * d <= longer && d < best_d) {
      best = candidates[i];
      best_d = d;
    }
  }
  return best;
}
