/* args.c - strict option parsing. */
#include "sim/cli/args.h"
#include "sim/base/precision.h"
#include "sim/diag/diag_report.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int arg_flag(arg_iter *it, const char *name)
{
    if (it->i < it->argc && strcmp(it->argv[it->i], name) == 0) {
        it->i++;
        return 1;
    }
    return 0;
}

int arg_value(arg_iter *it, const char *name, const char **val, ns_err *e)
{
    if (it->i >= it->argc)
        return 0;
    const char *a = it->argv[it->i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        it->i++;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (it->i + 1 >= it->argc) {
        ns_fail(e, NS_EUSAGE, "option %s needs a value", name);
        return -1;
    }
    *val = it->argv[it->i + 1];
    it->i += 2;
    return 1;
}

int arg_parse_format(const char *v, void *fmt, ns_err *e) { return report_format_parse(v, fmt, e); }
int arg_parse_precision(const char *v, void *prec, ns_err *e) { return precision_parse(v, prec, e); }

/* the value v of option row a into its destination */
static int take_value(const arg_spec *a, const char *v, ns_err *e)
{
    switch (a->kind) {
    case ARG_STR: *(const char **)a->dst = v; return NS_OK;
    case ARG_INT: return parse_int(v, a->name, (long)a->lo, (long)a->hi, a->dst, e);
    case ARG_LONG: return parse_long(v, a->name, (long)a->lo, (long)a->hi, a->dst, e);
    case ARG_U64: return parse_u64(v, a->name, a->dst, e);
    case ARG_DOUBLE: return parse_double(v, a->name, a->lo, a->hi, a->dst, e);
    case ARG_CUSTOM: return a->parse(v, a->dst, e);
    default: return ns_fail(e, NS_EUSAGE, "option %s takes no value", a->name);
    }
}

int arg_table(arg_iter *it, const arg_spec *t, int n, ns_err *e)
{
    for (int k = 0; k < n; k++) {
        const char *v;
        int r = 1;
        if (t[k].kind == ARG_FLAG) {
            if (!arg_flag(it, t[k].name))
                continue;
            *(int *)t[k].dst = 1;
        } else if ((r = arg_value(it, t[k].name, &v, e)) == 0)
            continue;
        else if (r < 0 || take_value(&t[k], v, e))
            return -1;
        if (t[k].seen)
            *t[k].seen = 1;
        return 1;
    }
    return 0;
}

int arg_table_all(int argc, char **argv, const arg_spec *t, int n, const char *where, ns_err *e)
{
    arg_iter it = {argc, argv, 1};
    while (it.i < argc) {
        int r = arg_table(&it, t, n, e);
        if (r < 0)
            return e->code;
        if (r == 0)
            return ns_fail(e, NS_EUSAGE, "option '%s' does not apply to %s", argv[it.i], where);
    }
    return NS_OK;
}

int parse_long(const char *s, const char *opt, long lo, long hi, long *out, ns_err *e)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return ns_fail(e, NS_EUSAGE, "%s expects an integer, got '%s'", opt, s);
    if (errno == ERANGE || v < lo || v > hi)
        return ns_fail(e, NS_EUSAGE, "%s must be in [%ld, %ld], got '%s'", opt, lo, hi, s);
    *out = v;
    return NS_OK;
}

int parse_int(const char *s, const char *opt, long lo, long hi, int *out, ns_err *e)
{
    long v;
    int rc = parse_long(s, opt, lo, hi, &v, e);
    if (rc == NS_OK)
        *out = (int)v;
    return rc;
}

int parse_u64(const char *s, const char *opt, uint64_t *out, ns_err *e)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return ns_fail(e, NS_EUSAGE, "%s expects a non-negative integer, got '%s'", opt, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return ns_fail(e, NS_EUSAGE, "%s expects a non-negative integer, got '%s'", opt, s);
    if (errno == ERANGE)
        return ns_fail(e, NS_EUSAGE, "%s is out of range: '%s'", opt, s);
    *out = (uint64_t)v;
    return NS_OK;
}

int parse_double(const char *s, const char *opt, double lo, double hi, double *out, ns_err *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return ns_fail(e, NS_EUSAGE, "%s expects a finite number, got '%s'", opt, s);
    if (v < lo || v > hi)
        return ns_fail(e, NS_EUSAGE, "%s must be in [%g, %g], got '%s'", opt, lo, hi, s);
    *out = v;
    return NS_OK;
}

int arg_unknown(const arg_iter *it, const char *cmd, ns_err *e)
{
    const char *a = it->argv[it->i];
    if (a[0] == '-')
        return ns_fail(e, NS_EUSAGE, "unknown option '%s' for '%s' (see normsim %s --help)", a, cmd, cmd);
    return ns_fail(e, NS_EUSAGE, "unexpected argument '%s' for '%s' (see normsim %s --help)", a, cmd, cmd);
}

int arg_split_list(char *list, char **items, int max, const char *opt, ns_err *e)
{
    if (!list[0])
        return ns_fail(e, NS_EUSAGE, "%s is empty", opt), -1;
    int n = 0;
    for (char *p = list;; p++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!p[0])
            return ns_fail(e, NS_EUSAGE, "%s: item %d of the list is empty", opt, n + 1), -1;
        if (n == max)
            return ns_fail(e, NS_EUSAGE, "at most %d entries in %s", max, opt), -1;
        items[n++] = p;
        if (!comma)
            return n;
        p = comma;
    }
}
