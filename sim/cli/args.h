/* args.h - option parsing for the subcommands: "--name value" or "--name=value";
 * every value is checked in full (no trailing junk) and against its range. */
#ifndef NS_ARGS_H
#define NS_ARGS_H
#include <stdint.h>
#include "sim/base/err.h"

typedef struct {
    int argc;
    char **argv;
    int i; /* next argument to read */
} arg_iter;

/* 1 if argv[i] is the flag --name (advances), else 0 */
int arg_flag(arg_iter *it, const char *name);
/* 1 if argv[i] is --name VALUE or --name=VALUE (advances, sets *val); 0 if not this option;
 * -1 (and e set) if the value is missing */
int arg_value(arg_iter *it, const char *name, const char **val, ns_err *e);
/* 1 if argv[i] is one of the n string options names[k] (--name VALUE or --name=VALUE):
 * stores the value in *slots[k] and advances; 0 if none; -1 (and e set) on a missing value */
int arg_strings(arg_iter *it, const char *const *names, const char **const *slots, int n, ns_err *e);
int parse_int(const char *s, const char *opt, long lo, long hi, int *out, ns_err *e);
int parse_long(const char *s, const char *opt, long lo, long hi, long *out, ns_err *e);
int parse_u64(const char *s, const char *opt, uint64_t *out, ns_err *e);
int parse_double(const char *s, const char *opt, double lo, double hi, double *out, ns_err *e);
/* "unknown option" / "unexpected argument" error for argv[i] */
int arg_unknown(const arg_iter *it, const char *cmd, ns_err *e);

#endif
