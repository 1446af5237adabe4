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
/* A table of options: each row names an option, its kind and where its value goes.
 *   ARG_FLAG    *(int *)dst = 1                 ARG_STR     *(const char **)dst = value
 *   ARG_INT     *(int *)dst in [lo, hi]         ARG_LONG    *(long *)dst in [lo, hi]
 *   ARG_U64     *(uint64_t *)dst                ARG_DOUBLE  *(double *)dst in [lo, hi]
 *   ARG_CUSTOM  parse(value, dst, e)
 * seen (may be NULL) is set to 1 when the option is given. */
typedef enum { ARG_FLAG, ARG_STR, ARG_INT, ARG_LONG, ARG_U64, ARG_DOUBLE, ARG_CUSTOM } arg_kind;
typedef struct {
    const char *name;
    arg_kind kind;
    void *dst;
    double lo, hi;
    int (*parse)(const char *v, void *dst, ns_err *e);
    int *seen;
} arg_spec;
#define ARG_N(t) ((int)(sizeof(t) / sizeof((t)[0])))
/* rows: ARG_S("--out", &o->out), ARG_I("--steps", &o->steps, 1, 1000), ... */
#define ARG_F(n, p) {n, ARG_FLAG, p, 0, 0, NULL, NULL}
#define ARG_S(n, p) {n, ARG_STR, p, 0, 0, NULL, NULL}
#define ARG_I(n, p, lo, hi) {n, ARG_INT, p, lo, hi, NULL, NULL}
#define ARG_L(n, p, lo, hi) {n, ARG_LONG, p, lo, hi, NULL, NULL}
#define ARG_U(n, p) {n, ARG_U64, p, 0, 0, NULL, NULL}
#define ARG_D(n, p, lo, hi) {n, ARG_DOUBLE, p, lo, hi, NULL, NULL}
#define ARG_C(n, p, fn) {n, ARG_CUSTOM, p, 0, 0, fn, NULL}
/* 1 if argv[i] is one of the n options of t (parsed into its dst, advancing); 0 if none;
 * -1 (and e set) on a missing or bad value */
int arg_table(arg_iter *it, const arg_spec *t, int n, ns_err *e);
/* every argument of argv[1..] through t; one that is not in t is refused with
 * "option 'ARG' does not apply to <where>" */
int arg_table_all(int argc, char **argv, const arg_spec *t, int n, const char *where, ns_err *e);
/* ARG_CUSTOM parsers: --format table|csv|json into an int, --precision into a precision */
int arg_parse_format(const char *v, void *fmt, ns_err *e);
int arg_parse_precision(const char *v, void *prec, ns_err *e);
int parse_int(const char *s, const char *opt, long lo, long hi, int *out, ns_err *e);
int parse_long(const char *s, const char *opt, long lo, long hi, long *out, ns_err *e);
int parse_u64(const char *s, const char *opt, uint64_t *out, ns_err *e);
int parse_double(const char *s, const char *opt, double lo, double hi, double *out, ns_err *e);
/* split "a,b,c" in place into at most max items; an empty item ("a,,b", ",a", "a,") is
 * refused, so is an empty list. Returns the count, or -1 with e set. */
int arg_split_list(char *list, char **items, int max, const char *opt, ns_err *e);
/* "unknown option" / "unexpected argument" error for argv[i] */
int arg_unknown(const arg_iter *it, const char *cmd, ns_err *e);

#endif
