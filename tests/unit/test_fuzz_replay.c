/* test_fuzz_replay.c - every file of tests/fuzz/corpus/<target>/ and
 * tests/fuzz/regressions/<target>/ through the fuzz targets themselves (compiled here with
 * the normal compiler, and again under ASan + UBSan by the asan build), so a crash once
 * found stays fixed; and the parsers' corpus cases by name: files named valid* must open,
 * every other one must fail with one line and NS_EUSAGE (normscan's are replayed only).
 * Run from the repository root (as tests/run.sh does) or set NS_FUZZ_DIR. */
#include "check.h"
#define LLVMFuzzerTestOneInput fuzz_safetensors_one
#include "tests/fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_index_one
#include "tests/fuzz/fuzz_index.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_npy_one
#include "tests/fuzz/fuzz_npy.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_normscan_one
#include "tests/fuzz/fuzz_normscan.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_gguf_one
#include "tests/fuzz/fuzz_gguf.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_hfconfig_one
#include "tests/fuzz/fuzz_hfconfig.c"
#undef LLVMFuzzerTestOneInput
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* under ASan: also catch pointers into a returned function's stack frame */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }

typedef int (*fuzz_fn)(const uint8_t *, size_t);

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            unsigned char *g = realloc(buf, cap *= 2);
            if (!g) {
                free(buf);
                buf = NULL;
            }
            buf = g;
        }
    }
    fclose(f);
    *n = len;
    return buf;
}

/* the parser's own verdict on one corpus file */
static int parses(const char *target, const unsigned char *data, size_t n, ns_err *e)
{
    if (strcmp(target, "hfconfig") == 0)
        return hfconfig_import(data, n, e);
    if (strcmp(target, "index") == 0) {
        st_index ix;
        int rc = st_index_parse((const char *)data, n, &ix, e);
        if (rc == NS_OK)
            st_index_free(&ix);
        return rc;
    }
    FILE *f = n ? fmemopen((void *)data, n, "rb") : NULL;
    if (!f)
        return ns_fail(e, NS_EUSAGE, "empty");
    if (strcmp(target, "gguf") == 0) {
        st_file g;
        int rc = gguf_open_stream(&g, f, "corpus", e);
        if (rc == NS_OK)
            st_close(&g);
        return rc;
    }
    if (strcmp(target, "safetensors") == 0) {
        st_file sf;
        int rc = st_open_stream(&sf, f, "corpus", e);
        if (rc == NS_OK)
            st_close(&sf);
        return rc;
    }
    npy_reader r;
    int rc = npy_open_stream(&r, f, "corpus", e);
    if (rc == NS_OK)
        npy_close(&r);
    return rc;
}

/* every file in DIR through fn; corpus files also through the parser; returns the count */
static int replay(const char *base, const char *kind, const char *target, fuzz_fn fn)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", base, kind, target);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int count = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char file[1400];
        size_t n;
        snprintf(file, sizeof file, "%s/%s", path, de->d_name);
        unsigned char *data = slurp(file, &n);
        if (!data)
            continue;
        fn(data, n); /* a crash here fails the suite */
        count++;
        if (strcmp(kind, "corpus") == 0 && strcmp(target, "normscan") != 0) {
            ns_err e = {0};
            int rc = parses(target, data, n, &e), valid = strncmp(de->d_name, "valid", 5) == 0;
            CHECK(valid ? rc == NS_OK : rc == NS_EUSAGE && e.msg[0] && !strchr(e.msg, '\n'),
                  "%s/%s: rc %d (%s)", target, de->d_name, rc, e.msg);
        }
        free(data);
    }
    closedir(d);
    return count;
}

int main(void)
{
    const char *base = getenv("NS_FUZZ_DIR") ? getenv("NS_FUZZ_DIR") : "tests/fuzz";
    const char *targets[] = {"safetensors", "index", "npy", "normscan", "gguf", "hfconfig"};
    fuzz_fn fns[] = {fuzz_safetensors_one, fuzz_index_one, fuzz_npy_one, fuzz_normscan_one, fuzz_gguf_one,
                     fuzz_hfconfig_one};
    for (int t = 0; t < (int)(sizeof targets / sizeof targets[0]); t++) {
        int c = replay(base, "corpus", targets[t], fns[t]);
        CHECK(c > 0, "%s/corpus/%s: no files replayed (run from the repository root)", base, targets[t]);
        int r = replay(base, "regressions", targets[t], fns[t]);
        CHECK(r >= 0, "%s/regressions/%s: missing", base, targets[t]);
        printf("replayed %d corpus and %d regression inputs of %s\n", c, r < 0 ? 0 : r, targets[t]);
    }
    return check_summary("fuzz_replay");
}
