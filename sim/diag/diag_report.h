/* report.h - the diagnostic's results on stdout: table (runs side by side), csv (one row
 * per run), json (cJSON). */
#ifndef NS_REPORT_H
#define NS_REPORT_H
#include <stdint.h>
#include <stdio.h>
#include "sim/diag/diag.h"
#include "sim/base/json_util.h" /* json_write, for the reports built on this one */

typedef struct {
    ns_config cfg;
    const char *kernel_formula; /* from the norm's ops table */
    char gamma[32];             /* ones | random:<spread> */
    char data[32];              /* token source spec */
    const char *precision;      /* storage precision of the activations ("f64", ...) */
    uint64_t seed;
    diag_report r;
} run_result;

enum report_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

int report_format_parse(const char *s, int *fmt, ns_err *e);
/* Write n runs in fmt to out; returns NS_OK or NS_ERUN (JSON build failure). */
int report_write(FILE *out, int fmt, const run_result *runs, int n, ns_err *e);

#endif
