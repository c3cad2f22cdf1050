/* Plain decimal numbers (maml/number.h). */
#include "maml/number.h"

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static size_t digits(const char *s) {
  size_t n = 0;
  while (is_digit(s[n])) n++;
  return n;
}

size_t maml_decimal_span(const char *s) {
  size_t i = (*s == '+' || *s == '-') ? 1 : 0;
  size_t whole = digits(s + i), frac = 0;
  i += whole;
  if (s[i] == '.') frac = digits(s + i + 1), i += 1 + frac;
  if (whole + frac == 0) return 0;
  if (s[i] == 'e' || s[i] == 'E') {
    size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-');
    size_t exp = digits(s + j);
    if (exp > 0) i = j + exp; /* "1e" is the number 1 followed by "e": refused by the caller */
  }
  return i;
}

size_t maml_integer_span(const char *s) {
  size_t i = (*s == '+' || *s == '-') ? 1 : 0;
  size_t n = digits(s + i);
  return n ? i + n : 0;
}
