/* Command-line checks shared by the C benchmarks: a bad argument is one line on stderr naming
 * it and what it accepts, exit status 2; --help prints the usage and exits 0. */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Handles --help (prints `usage`, exits 0) and rejects any other option or more than
 * `max_pos` positionals (exit 2). `name` prefixes the messages. */
static void bench_check_args(const char *name, const char *usage, int argc, char **argv,
                             int max_pos) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s\n", usage);
            exit(0);
        }
        if (argv[i][0] == '-' && !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
            fprintf(stderr, "%s: unknown option %s; usage: %s\n", name, argv[i], usage);
            exit(2);
        }
    }
    if (argc - 1 > max_pos) {
        fprintf(stderr, "%s: too many arguments ('%s'); usage: %s\n", name, argv[max_pos + 1],
                usage);
        exit(2);
    }
}

/** The positional `what` as a number in [min, max], or exit 2 naming it. */
static double bench_number(const char *name, const char *what, const char *text, double min,
                           double max) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= min && v <= max)) {
        fprintf(stderr, "%s: %s: expected a number from %.15g to %.15g, got '%s'\n", name, what,
                min, max, text);
        exit(2);
    }
    return v;
}

#endif
