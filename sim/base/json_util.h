/* json_util.h - small cJSON helpers shared by every JSON reader and writer: numbers that
 * may be missing, getters on a (config) object that treat null as absent, loading a file,
 * printing a tree. */
#ifndef NS_JSON_UTIL_H
#define NS_JSON_UTIL_H
#include <stdio.h>
#include <cjson/cJSON.h>
#include "sim/base/err.h"

/* a number, or null for NaN and +-inf (cJSON prints a non-finite number as null anyway:
 * this makes the tree say so too) */
cJSON *json_num_or_null(double v);

/* cfg[key] when cfg is an object holding key with a non-null value, else NULL (cfg may
 * be NULL) */
const cJSON *cfg_item(const cJSON *cfg, const char *key);
/* cfg[key]'s string, or NULL when absent, null or not a string */
const char *cfg_str(const cJSON *cfg, const char *key);
/* 1 and *v = cfg[key] when it is a number, else 0 (*v untouched) */
int cfg_num(const cJSON *cfg, const char *key, double *v);

/* Parse a JSON file (at most 64 MB) holding an object into *out (cJSON_Delete it);
 * NS_EUSAGE when it is missing, too large, invalid or not an object. */
int json_load_file(const char *path, cJSON **out, ns_err *e);
/* Print root to out followed by a newline and delete it (NS_ERUN when it cannot be
 * printed). */
int json_write(FILE *out, cJSON *root, ns_err *e);
/* The keys on which objects a (this run) and b (a saved one) differ, as
 * "key A (checkpoint B), ..." into out (n bytes, cut with "..." when longer): a key only
 * one side has counts, with "none" for the other. Returns how many keys differ. */
int json_diff_keys(const cJSON *a, const cJSON *b, const char *b_name, char *out, size_t n);

#endif
