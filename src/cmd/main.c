/* The `maml` command: one front end over the library's subcommands. Only this layer
 * decides to end the process; the library returns status codes. */
#include <stdio.h>
#include <string.h>

#include "maml/real.h"

#ifndef MAML_VERSION
#define MAML_VERSION "unknown"
#endif

static void usage(FILE *out) {
  fprintf(out,
          "usage: maml <command> [options]\n"
          "\n"
          "MAML (model-agnostic meta-learning) for reinforcement learning, in C.\n"
          "\n"
          "commands:\n"
          "  version    print the version and build settings\n"
          "  help       print this message\n"
          "\n"
          "Run `maml <command> --help` for a command's options.\n");
}

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: maml version\n\nPrint the version and the build's settings.\n");
    return 0;
  }
  printf("maml %s (network math in %s)\n", MAML_VERSION, MAML_REAL_NAME);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) return cmd_version(argc - 1, argv + 1);
  fprintf(stderr, "maml: unknown command '%s'; run `maml help` for the list of commands\n", cmd);
  return 2;
}
