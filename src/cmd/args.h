/* Command-line values, parsed and range-checked with a message naming them (args.c). Shared
 * by the `maml` command and the bench/ programs through the maml_cli library. */
#ifndef MAML_CMD_ARGS_H
#define MAML_CMD_ARGS_H

/* A command-line value in [lo, hi] (integers) or (lo, hi] (numbers): 1, or 0 after a
 * message "WHO: OPT: 'V' is not ... in [LO, HI]" on stderr. */
int cmd_parse_long(const char *who, const char *opt, const char *v, long lo, long hi, long *out);
int cmd_parse_double(const char *who, const char *opt, const char *v, double lo, double hi,
                     double *out);

#endif
