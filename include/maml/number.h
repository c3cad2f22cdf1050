/* Plain decimal numbers: the only number syntax the program reads from the user (config
 * values, command-line numbers, goals). strtod alone would also take hexadecimal
 * ("0x10"), "inf", "nan" and leading white space; these spans refuse them. */
#ifndef MAML_NUMBER_H
#define MAML_NUMBER_H

#include <stddef.h>

#include "maml/build_config.h"

/* What the messages say is allowed. */
#define MAML_DECIMAL_SYNTAX "a plain decimal number such as 0.05, -3 or 1e-4"
#define MAML_INTEGER_SYNTAX "a plain decimal integer such as 42"

/* The length of the plain decimal number at the start of s: an optional sign, digits with
 * at most one decimal point (at least one digit), and an optional exponent (e or E, an
 * optional sign, digits). 0 when s does not start with one. */
size_t maml_decimal_span(const char *s);

/* The length of the decimal integer at the start of s: an optional sign and digits. */
size_t maml_integer_span(const char *s);

#endif
