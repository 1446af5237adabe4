/* test_base.c - the base helpers: atomic_file (commit, abort, failures leave nothing),
 * csv_num and json_util (NaN/inf/normal values, getters, loading and printing), and
 * track.csv's writer read back by its reader (sim/train/track.c). */
#include "check.h"
#include "sim/base/atomic_file.h"
#include "sim/base/csv.h"
#include "sim/base/json_util.h"
#include "sim/train/track.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }
static int exists(const char *p) { return access(p, F_OK) == 0; }

/* the first n-1 bytes of file p in buf ("" if missing) */
static const char *slurp(const char *p, char *buf, size_t n)
{
    FILE *f = fopen(p, "rb");
    size_t got = f ? fread(buf, 1, n - 1, f) : 0;
    buf[got] = '\0';
    if (f)
        fclose(f);
    return buf;
}

static void test_atomic_commit_abort(void)
{
    char p[128], tmp[160], buf[64];
    ns_err e = {0};
    atomic_file a;
    path_in(p, sizeof p, "a.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(atomic_open(&a, p, &e) == NS_OK && a.f, "atomic_open: %s", e.msg);
    fputs("first\n", a.f);
    CHECK(exists(tmp) && !exists(p), "while writing: only the temporary exists");
    CHECK(atomic_commit(&a, &e) == NS_OK, "commit: %s", e.msg);
    CHECK(strcmp(slurp(p, buf, sizeof buf), "first\n") == 0, "committed content: '%s'", buf);
    CHECK(!exists(tmp), "no temporary after commit");
    CHECK(atomic_open(&a, p, &e) == NS_OK, "reopen");
    fputs("second, never committed\n", a.f);
    atomic_abort(&a);
    CHECK(!exists(tmp), "no temporary after abort");
    CHECK(strcmp(slurp(p, buf, sizeof buf), "first\n") == 0, "abort leaves the old file as it was: '%s'", buf);
    path_in(p, sizeof p, "b.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(atomic_open(&a, p, &e) == NS_OK, "open b");
    atomic_abort(&a);
    CHECK(!exists(p) && !exists(tmp), "abort of a new file leaves no file and no temporary");
    atomic_file z = {0};
    atomic_abort(&z); /* safe on a zeroed struct */
    CHECK(atomic_write_text(p, "{}\n", &e) == NS_OK && strcmp(slurp(p, buf, sizeof buf), "{}\n") == 0,
          "atomic_write_text: '%s' %s", buf, e.msg);
}

static void test_atomic_failures(void)
{
    char p[128], tmp[160];
    ns_err e = {0};
    atomic_file a;
    path_in(p, sizeof p, "missing/x.npy");
    int rc = atomic_open(&a, p, &e);
    CHECK(rc == NS_EUSAGE && strstr(e.msg, "cannot write") && strstr(e.msg, "missing/x.npy.tmp") &&
              !strchr(e.msg, '\n'),
          "missing folder: rc %d, '%s'", rc, e.msg);
    CHECK(a.f == NULL && a.tmp == NULL, "a failed open holds nothing");
    /* a producer that writes the path itself */
    path_in(p, sizeof p, "fig.png");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(atomic_reserve(&a, p, &e) == NS_OK && a.f == NULL && strcmp(a.tmp, tmp) == 0, "reserve names %s", tmp);
    FILE *f = fopen(a.tmp, "wb");
    fputs("PNG", f);
    fclose(f);
    CHECK(atomic_commit(&a, &e) == NS_OK && exists(p) && !exists(tmp), "reserve + commit: %s", e.msg);
    path_in(p, sizeof p, "never.png");
    CHECK(atomic_reserve(&a, p, &e) == NS_OK, "reserve");
    rc = atomic_commit(&a, &e); /* the producer wrote nothing */
    CHECK(rc == NS_ERUN && strstr(e.msg, "cannot write") && !exists(p), "commit of nothing: rc %d '%s'", rc, e.msg);
}

/* what f(out, v) prints */
static const char *printed(void (*f)(FILE *, double), double v, char *buf, size_t n)
{
    FILE *m = fmemopen(buf, n, "w");
    f(m, v);
    fclose(m);
    return buf;
}

static void track_digits(FILE *f, double v) { csv_num_digits(f, v, CSV_TRACK_DIGITS); }

static void test_csv(void)
{
    char b[64];
    CHECK(strcmp(printed(csv_num, NAN, b, sizeof b), ",") == 0, "NaN: an empty cell, got '%s'", b);
    CHECK(strcmp(printed(csv_num, 0.1, b, sizeof b), ",0.10000000000000001") == 0, "0.1 at 17 digits: '%s'", b);
    CHECK(strcmp(printed(csv_num, -2.0, b, sizeof b), ",-2") == 0, "-2: '%s'", b);
    CHECK(strcmp(printed(csv_num, INFINITY, b, sizeof b), ",inf") == 0, "inf: '%s'", b);
    CHECK(strcmp(printed(track_digits, 1.0 / 3.0, b, sizeof b), ",0.3333333333") == 0, "1/3 at 10 digits: '%s'", b);
    CHECK(strcmp(printed(track_digits, NAN, b, sizeof b), ",") == 0, "NaN at 10 digits: '%s'", b);
}

static void test_json_numbers(void)
{
    cJSON *a = cJSON_CreateArray();
    double v[] = {NAN, INFINITY, -INFINITY, 1.5, 0.1};
    for (int i = 0; i < 5; i++)
        cJSON_AddItemToArray(a, json_num_or_null(v[i]));
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(a, 0)) && cJSON_IsNull(cJSON_GetArrayItem(a, 1)) &&
              cJSON_IsNull(cJSON_GetArrayItem(a, 2)) && cJSON_IsNumber(cJSON_GetArrayItem(a, 3)),
          "NaN and +-inf are null, 1.5 a number");
    char *s = cJSON_PrintUnformatted(a);
    CHECK(s && strcmp(s, "[null,null,null,1.5,0.1]") == 0, "printed: %s", s);
    free(s);
    cJSON_Delete(a);
    cJSON *inf = cJSON_CreateNumber(INFINITY); /* why mapping inf changes no output */
    s = cJSON_PrintUnformatted(inf);
    CHECK(s && strcmp(s, "null") == 0, "cJSON prints an infinite number as null: %s", s);
    free(s);
    cJSON_Delete(inf);
}

static void test_json_getters_files(void)
{
    char p[128], buf[128];
    ns_err e = {0};
    cJSON *c = cJSON_Parse("{\"a\": 2, \"b\": null, \"s\": \"x\"}");
    double v = -1;
    CHECK(cfg_num(c, "a", &v) == 1 && v == 2, "cfg_num a: %g", v);
    CHECK(cfg_num(c, "s", &v) == 0 && v == 2 && cfg_num(c, "b", &v) == 0 && cfg_num(NULL, "a", &v) == 0,
          "cfg_num of a string, null, no object: 0, v untouched");
    CHECK(cfg_item(c, "b") == NULL && cfg_item(c, "zz") == NULL && cfg_item(c, "a") != NULL, "cfg_item: null is absent");
    CHECK(cfg_str(c, "s") && strcmp(cfg_str(c, "s"), "x") == 0 && cfg_str(c, "a") == NULL, "cfg_str");
    cJSON_Delete(c);
    path_in(p, sizeof p, "c.json");
    atomic_write_text(p, "{\"k\": [1, 2]}", &e);
    cJSON *j = NULL;
    CHECK(json_load_file(p, &j, &e) == NS_OK && cJSON_IsArray(cfg_item(j, "k")), "json_load_file: %s", e.msg);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(json_write(f, j, &e) == NS_OK, "json_write"); /* deletes j */
    fclose(f);
    CHECK(strcmp(buf, "{\n\t\"k\":\t[1, 2]\n}\n") == 0, "json_write: printed tree and a newline: '%s'", buf);
    atomic_write_text(p, "[1]", &e);
    CHECK(json_load_file(p, &j, &e) == NS_EUSAGE && strstr(e.msg, "not a JSON object") && !j, "array refused: %s", e.msg);
    atomic_write_text(p, "{", &e);
    CHECK(json_load_file(p, &j, &e) == NS_EUSAGE && strstr(e.msg, "invalid JSON"), "invalid refused: %s", e.msg);
    path_in(p, sizeof p, "none.json");
    CHECK(json_load_file(p, &j, &e) == NS_EUSAGE && strstr(e.msg, "cannot open"), "missing: %s", e.msg);
}

/* rows written by the writer are read back by the reader; truncation keeps steps <= N */
static void test_track(void)
{
    char p[128], buf[4096];
    ns_err e = {0};
    double eig[4] = {-1e-12, 0.25, 0.5, 2.0}, sig[2] = {0.5, NAN};
    diag_report r = {0};
    r.d = 4, r.layers = 1, r.tokens = 64, r.predicted_k = 1, r.cos = 1.0 / 3.0, r.cos_ones = NAN;
    r.rayleigh_rel = 1e-9, r.dead = 1, r.eig = eig, r.lam_max = 2.0, r.sigma_min = sig;
    path_in(p, sizeof p, "track.csv");
    FILE *f = fopen(p, "w");
    track_write_header(f, 1);
    for (long s = 0; s < 4; s++) {
        track_point t = {s * 10, s ? 1e-3 : 0.0, s ? 2.5 : NAN, 3.0, s % 2 ? "f16" : "f64", {0.5, 2.0, 0.125 * s}};
        track_write_row(f, &t, &r);
    }
    fclose(f);
    slurp(p, buf, sizeof buf);
    CHECK(strstr(buf, "\n0,0,,3,f64,64,1,0.3333333333,,1e-09,1,-5e-13,0.125,0.25,1,,,,,0.5,,0.5,2,0,") != NULL,
          "row 0 as written: %s", buf);
    track_series t;
    CHECK(track_read(p, "f64", &t, &e) == NS_OK && t.n == 2 && t.step[1] == 20 && t.eig0[0] == 5e-13 &&
              t.eig1[0] == 0.125 && t.logstd[1] == 0.25,
          "f64 rows read back: n %d %s", t.n, e.msg);
    CHECK(track_truncate(p, 20, &e) == NS_OK, "truncate: %s", e.msg);
    CHECK(track_read(p, "f16", &t, &e) == NS_ERUN && strstr(e.msg, "fewer than 2"), "f16 after truncation: one row");
    CHECK(track_read(p, "f64", &t, &e) == NS_OK && t.n == 2, "f64 rows kept");
    path_in(p, sizeof p, "none.csv");
    CHECK(track_truncate(p, 5, &e) == NS_OK && !exists(p), "truncating a missing track leaves it missing");
}

int main(void)
{
    if (!check_tmpdir(dir, sizeof dir, "base"))
        return 1;
    test_atomic_commit_abort();
    test_atomic_failures();
    test_csv();
    test_json_numbers();
    test_json_getters_files();
    test_track();
    check_rmtree(dir);
    return check_summary("base");
}
