/* test_npy.c - the .npy streaming reader and writer: f64/f32/f16 round trips, chunked row
 * reads of any size, headers of format 1.0/2.0/3.0 in any key order, and every kind of bad
 * file (Fortran order, big-endian, unsupported dtypes, truncation, shape vs data size):
 * one clear error, never a read past the buffer; writes are atomic. */
#include "check.h"
#include "sim/io/npy.h"
#include "sim/base/precision.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

/* a .npy file with this header dict (padded to 64 bytes) and data */
static void write_npy_raw(const char *path, int major, const char *dict, const void *data, size_t n)
{
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict), pad = (64 - (pre + len + 1) % 64) % 64;
    size_t hlen = len + pad + 1;
    unsigned char head[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0, (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8), 0, 0};
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(head, 1, pre, f);
    fwrite(dict, 1, len, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_write_read(void)
{
    char p[512];
    enum { R = 1001, C = 3 };
    double *x = malloc(sizeof(double) * R * C), *y = malloc(sizeof(double) * R * C);
    for (int i = 0; i < R * C; i++)
        x[i] = (i % 7 - 3) * 0.37 + i * 1e-3;
    uint64_t shape[2] = {R, C};
    const num_type types[3] = {NUM_F64, NUM_F32, NUM_F16};
    const precision precs[3] = {PREC_F64, PREC_F32, PREC_F16};
    ns_err e = {0};
    for (int k = 0; k < 3; k++) {
        path_in(p, sizeof p, "rw.npy");
        CHECK(npy_write_as(p, types[k], x, 2, shape, &e) == NS_OK, "write type %d: %s", k, e.msg);
        npy_reader r;
        if (npy_open(&r, p, &e) != NS_OK) {
            CHECK(0, "open: %s", e.msg);
            continue;
        }
        CHECK(r.h.major == 1 && r.h.rows == R && r.h.cols == C && r.h.data_offset % 64 == 0, "header of type %d", k);
        uint64_t got, total = 0;
        while (npy_read_rows(&r, y + total * C, 7, &got, &e) == NS_OK && got > 0) /* odd chunks */
            total += got;
        npy_close(&r);
        CHECK(total == R, "all rows read in chunks of 7 (%llu)", (unsigned long long)total);
        int same = 1;
        for (int i = 0; i < R * C; i++) {
            double w = x[i];
            precision_round(precs[k], &w, 1);
            same &= y[i] == w;
        }
        CHECK(same, "values of type %d equal the rounded input", k);
    }
    double *z;
    npy_header h;
    path_in(p, sizeof p, "rw.npy");
    uint64_t s3[3] = {2, 3, 5};
    npy_write_as(p, NUM_F64, x, 3, s3, &e);
    CHECK(npy_load(p, &z, &h, &e) == NS_OK && h.ndim == 3 && h.rows == 6 && h.cols == 5 && z[29] == x[29],
          "3-D array: 6 rows of 5");
    free(z);
    free(x);
    free(y);
}

static void test_writer_errors(void)
{
    char p[512], tmp[600];
    ns_err e = {0};
    double v[4] = {1, 2, 3, 1e9};
    uint64_t shape[1] = {4};
    npy_writer w;
    path_in(p, sizeof p, "w.npy");
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(npy_writer_open(&w, p, NUM_F64, 1, shape, &e) == NS_OK, "writer open");
    npy_writer_put(&w, v, 3, &e);
    CHECK(npy_writer_close(&w, &e) == NS_ERUN && strstr(e.msg, "3 of 4"), "short write refused: %s", e.msg);
    CHECK(access(p, F_OK) != 0 && access(tmp, F_OK) != 0, "no file left after a short write");
    CHECK(npy_write_as(p, NUM_F16, v, 1, shape, &e) == NS_EUSAGE && strstr(e.msg, "overflows"), "f16 overflow");
    CHECK(access(p, F_OK) != 0, "no file after an overflow");
    npy_writer_open(&w, p, NUM_F32, 1, shape, &e);
    npy_writer_abort(&w);
    CHECK(access(p, F_OK) != 0 && access(tmp, F_OK) != 0, "abort leaves nothing");
    CHECK(npy_write_as("/nonexistent/d/x.npy", NUM_F64, v, 1, shape, &e) != NS_OK, "unwritable path");
}

static void expect_open(const char *name, int major, const char *dict, const void *data, size_t n, const char *want)
{
    char p[512];
    path_in(p, sizeof p, name);
    write_npy_raw(p, major, dict, data, n);
    npy_reader r;
    ns_err e = {0};
    int rc = npy_open(&r, p, &e);
    CHECK(rc == NS_EUSAGE && strstr(e.msg, want) && strstr(e.msg, name) && !strchr(e.msg, '\n'),
          "%s: rc %d, '%s' lacks '%s'", name, rc, e.msg, want);
    if (rc == NS_OK)
        npy_close(&r);
}

static void expect_ok(const char *name, int major, const char *dict, const void *data, size_t n, uint64_t rows,
                      uint64_t cols)
{
    char p[512];
    path_in(p, sizeof p, name);
    write_npy_raw(p, major, dict, data, n);
    npy_reader r;
    ns_err e = {0};
    int rc = npy_open(&r, p, &e);
    CHECK(rc == NS_OK && r.h.rows == rows && r.h.cols == cols, "%s: rc %d (%s)", name, rc, e.msg);
    if (rc == NS_OK)
        npy_close(&r);
}

static void test_headers(void)
{
    double d[6] = {1, 2, 3, 4, 5, 6};
    int64_t i8[3] = {-1, 0, 7};
    expect_ok("v1", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", d, 48, 2, 3);
    expect_ok("v2", 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", d, 48, 1, 6);
    expect_ok("v3", 3, "{'shape': (3, 2), 'fortran_order': False, 'descr': '<f8'}", d, 48, 3, 2);
    expect_ok("py2_long", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3L,)}", i8, 24, 1, 3);
    expect_ok("scalar", 1, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}", d, 8, 1, 1);
    expect_ok("u1", 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 4), }", d, 8, 2, 4);
    expect_ok("empty", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", d, 0, 0, 4);
    expect_open("fortran", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", d, 48, "Fortran");
    expect_open("bigendian", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", d, 48, "big-endian");
    expect_open("complex", 1, "{'descr': '<c16', 'fortran_order': False, 'shape': (3,), }", d, 48, "dtype");
    expect_open("object", 1, "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", d, 24, "dtype");
    expect_open("structured", 1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,), }", d, 24,
                "structured");
    expect_open("short", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", d, 40, "holds 40");
    expect_open("long", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d, 48, "holds 48");
    expect_open("nokey", 1, "{'descr': '<f8', 'shape': (2, 3), }", d, 48, "needs");
    expect_open("extrakey", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'x': 1}", d, 48, "unexpected");
    expect_open("dupkey", 1, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", d, 48,
                "repeated");
    expect_open("badshape", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", d, 48, "shape");
    expect_open("notdict", 1, "[1, 2]", d, 48, "dict");
    expect_open("garbage", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,)} junk", d, 48, "after");
    expect_open("hugeshape", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999), }",
                d, 48, "overflow");
    char p[512];
    path_in(p, sizeof p, "magic");
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs("not numpy", f);
        fclose(f);
    }
    npy_reader r;
    ns_err e = {0};
    CHECK(npy_open(&r, p, &e) == NS_EUSAGE && strstr(e.msg, "magic"), "bad magic: %s", e.msg);
    unsigned char v9[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 9, 0, 4, 0, '{', '}', ' ', '\n'};
    npy_header h;
    CHECK(npy_parse_header(v9, 14, &h, &e) == NS_EUSAGE && strstr(e.msg, "version"), "version 9 refused");
    unsigned char cut[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x00, '{', '}'};
    CHECK(npy_parse_header(cut, 12, &h, &e) == NS_EUSAGE && strstr(e.msg, "truncated"), "header past the buffer");
    CHECK(npy_open(&r, "/nonexistent.npy", &e) == NS_EUSAGE, "missing file");
}

int main(void)
{
    if (!check_tmpdir(dir, sizeof dir, "npy"))
        return 1;
    test_write_read();
    test_writer_errors();
    test_headers();
    check_rmtree(dir);
    return check_summary("npy");
}
