/* test_safetensors.c - the safetensors reader and writer: round trips in F64/F32/F16/BF16
 * (bit patterns, rounding, overflow), metadata, every kind of bad header (one clear error,
 * never a read past the buffer), chunked reads, shards through an index, atomic writes,
 * and normsim's own checkpoints (model_save_safetensors / model_load_safetensors). */
#include "check.h"
#include "sim/checkpoint/checkpoint.h"
#include "sim/checkpoint/norm_scan.h"
#include "sim/io/safetensors.h"
#include "norms/registry.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* under ASan: also catch pointers into a returned function's stack frame */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_stack_use_after_return=1"; }

static char dir[256];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static int write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

/* a file: u64 header length, header, data */
static int write_st(const char *path, const char *header, const void *data, size_t n)
{
    size_t h = strlen(header);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)h >> (8 * i));
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(len, 1, 8, f) == 8 && fwrite(header, 1, h, f) == h && fwrite(data, 1, n, f) == n;
    fclose(f);
    return ok ? 0 : -1;
}

static int file_exists(const char *p) { return access(p, F_OK) == 0; }
static int mkdir_p_ok(const char *p) { return mkdir(p, 0700) == 0; }

/* ---- element conversions ---- */

static void test_numconv(void)
{
    unsigned char b[8];
    double v;
    const double h[] = {1.0, -2.0, 65504.0, 0x1p-24, 0x1p-14, -0.0};
    const unsigned bits[] = {0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000};
    for (int i = 0; i < 6; i++) {
        CHECK(num_encode(NUM_F16, &h[i], 1, b) == 1, "f16 %g encodes", h[i]);
        CHECK((b[0] | b[1] << 8) == (int)bits[i], "f16 bits of %g: %02x%02x want %04x", h[i], b[1], b[0], bits[i]);
        num_decode(NUM_F16, b, 1, &v);
        CHECK(v == h[i] && signbit(v) == signbit(h[i]), "f16 round trip %g -> %g", h[i], v);
    }
    double big = 65520.0; /* rounds to 2^16: infinite in f16 */
    CHECK(num_encode(NUM_F16, &big, 1, b) == 0, "65520 overflows f16");
    double tie = 1.0 + 0x1p-11; /* halfway between 1 and 1 + 2^-10: ties to even -> 1 */
    num_encode(NUM_F16, &tie, 1, b);
    num_decode(NUM_F16, b, 1, &v);
    CHECK(v == 1.0, "f16 tie to even: %.17g", v);
    double one = 1.0, third = 1.0 / 3.0;
    num_encode(NUM_BF16, &one, 1, b);
    CHECK(b[0] == 0x80 && b[1] == 0x3f, "bf16 1.0 = 0x3f80");
    num_encode(NUM_BF16, &third, 1, b);
    num_decode(NUM_BF16, b, 1, &v);
    CHECK(v == 0x1.56p-2, "bf16(1/3) = %a", v);
    num_encode(NUM_F32, &third, 1, b);
    num_decode(NUM_F32, b, 1, &v);
    CHECK(v == (double)(float)third, "f32(1/3)");
    double nan = NAN;
    num_encode(NUM_F16, &nan, 1, b);
    num_decode(NUM_F16, b, 1, &v);
    CHECK(isnan(v), "f16 NaN stays NaN");
    unsigned char e4[4] = {0x38, 0x7f, 0x01, 0xc0}, e5[2] = {0x3c, 0x7c};
    double o[4];
    num_decode(NUM_F8_E4M3, e4, 4, o);
    CHECK(o[0] == 1.0 && isnan(o[1]) && o[2] == 0x1p-9 && o[3] == -2.0, "f8 e4m3 decode");
    num_decode(NUM_F8_E5M2, e5, 2, o);
    CHECK(o[0] == 1.0 && isinf(o[1]), "f8 e5m2 decode");
    unsigned char i64[8] = {0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    num_decode(NUM_I64, i64, 1, &v);
    CHECK(v == -7.0, "i64 -7");
}

/* ---- write, then read back ---- */

static void test_round_trip(void)
{
    char p[512];
    path_in(p, sizeof p, "rt.safetensors");
    double a[6] = {1, -2.5, 3.25, 1e-3, 1.0 / 3.0, -7}, s = 42.0, none[1] = {0};
    st_entry t[] = {
        {"a.f64", NUM_F64, 2, {2, 3}, a}, {"a.f32", NUM_F32, 2, {3, 2}, a},
        {"a.f16", NUM_F16, 1, {6}, a},    {"a.bf16", NUM_BF16, 3, {1, 2, 3}, a},
        {"scalar", NUM_F64, 0, {0}, &s},   {"empty", NUM_F32, 2, {0, 5}, none},
    };
    ns_err e = {0};
    int rc = st_write(p, t, 6, "{\"format\": \"pt\", \"step\": 12, \"cfg\": {\"d\": 4}}", &e);
    CHECK(rc == NS_OK, "st_write: %s", e.msg);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    CHECK(!file_exists(tmp), "no temporary file left");
    st_file f;
    rc = st_open(&f, p, &e);
    CHECK(rc == NS_OK, "st_open: %s", e.msg);
    if (rc)
        return;
    CHECK(f.n == 6 && f.data_start % 8 == 0, "6 tensors, data 8-aligned (%llu)", (unsigned long long)f.data_start);
    CHECK(st_meta(&f, "format") && strcmp(st_meta(&f, "format"), "pt") == 0, "metadata string");
    CHECK(st_meta(&f, "step") && strcmp(st_meta(&f, "step"), "12") == 0, "metadata number kept as text");
    CHECK(st_meta(&f, "cfg") && strcmp(st_meta(&f, "cfg"), "{\"d\":4}") == 0, "metadata object as JSON");
    double out[6], want;
    const st_tensor *x = st_find(&f, "a.f64");
    CHECK(x && x->ndim == 2 && x->shape[0] == 2 && x->shape[1] == 3 && x->dtype == NUM_F64, "a.f64 header");
    st_read(&f, x, 0, 6, out, &e);
    CHECK(memcmp(out, a, sizeof a) == 0, "f64 exact");
    st_read(&f, st_find(&f, "a.f32"), 0, 6, out, &e);
    for (int i = 0; i < 6; i++)
        CHECK(out[i] == (double)(float)a[i], "f32 value %d", i);
    st_read(&f, st_find(&f, "a.bf16"), 0, 6, out, &e);
    want = a[4];
    precision_round(PREC_BF16, &want, 1);
    CHECK(out[4] == want && out[1] == -2.5, "bf16 values (%a vs %a)", out[4], want);
    st_read(&f, st_find(&f, "a.f16"), 0, 6, out, &e);
    want = a[3];
    precision_round(PREC_F16, &want, 1);
    CHECK(out[3] == want, "f16 value");
    CHECK(st_find(&f, "scalar")->ndim == 0 && st_find(&f, "scalar")->count == 1, "scalar shape ()");
    st_read(&f, st_find(&f, "scalar"), 0, 1, out, &e);
    CHECK(out[0] == 42.0, "scalar value");
    CHECK(st_find(&f, "empty")->count == 0, "empty tensor");
    /* a middle slice, and a request past the end */
    CHECK(st_read(&f, x, 2, 3, out, &e) == NS_OK && out[0] == a[2] && out[2] == a[4], "partial read");
    CHECK(st_read(&f, x, 4, 3, out, &e) != NS_OK, "read past the tensor refused");
    st_close(&f);
}

static void test_write_errors(void)
{
    char p[512];
    double big = 1e6, v = 1.0;
    ns_err e = {0};
    path_in(p, sizeof p, "bad.safetensors");
    st_entry over = {"x", NUM_F16, 1, {1}, &big};
    CHECK(st_write(p, &over, 1, NULL, &e) == NS_EUSAGE && strstr(e.msg, "overflows"), "f16 overflow: %s", e.msg);
    CHECK(!file_exists(p), "nothing written on overflow");
    st_entry dup[2] = {{"x", NUM_F64, 1, {1}, &v}, {"x", NUM_F64, 1, {1}, &v}};
    CHECK(st_write(p, dup, 2, NULL, &e) == NS_EUSAGE, "duplicate names refused");
    CHECK(st_write(p, dup, 1, "[1]", &e) == NS_EUSAGE, "non-object metadata refused");
    CHECK(st_write("/nonexistent/dir/x.safetensors", dup, 1, NULL, &e) == NS_EUSAGE && strstr(e.msg, "cannot write"),
          "missing folder: bad input (2), like every atomic write: %s", e.msg);
}

/* ---- bad input: NS_EUSAGE and a message naming the problem ---- */

static void expect_header(const char *json, uint64_t data_len, const char *want, const char *what)
{
    st_file f;
    ns_err e = {0};
    memset(&f, 0, sizeof f);
    int rc = st_parse_header(&f, json, strlen(json), data_len, &e);
    CHECK(rc == NS_EUSAGE && strstr(e.msg, want) && !strchr(e.msg, '\n'), "%s: rc %d, message '%s' lacks '%s'",
          what, rc, e.msg, want);
    st_close(&f);
}

static void test_bad_headers(void)
{
    expect_header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2]", 8, "invalid JSON", "unterminated JSON");
    expect_header("{\"a\": 1} x", 0, "trailing", "bytes after the object");
    expect_header("[1]", 0, "not a JSON object", "array header");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,80]}}", 8, "out of range", "end past data");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap", "overlap");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "belong to no tensor", "hole");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "cover", "trailing data");
    expect_header("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unknown dtype", "dtype");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs", "shape vs size");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "shape entry", "negative");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, "shape entry", "fraction");
    expect_header("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,8]}}", 8,
                  "overflows", "shape overflow");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "end before", "reversed");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, "data_offsets", "one offset");
    expect_header("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "needs", "no dtype");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "twice", "duplicate");
    expect_header("{\"__metadata__\":{\"k\":1}}", 0, "not a string", "metadata value");
    expect_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
                  "dimensions", "too many dims");
    expect_header("", 0, "not a JSON object", "empty header");
}

static void expect_file(const char *name, const void *bytes, size_t n, const char *want)
{
    char p[512];
    path_in(p, sizeof p, name);
    write_bytes(p, bytes, n);
    st_file f;
    ns_err e = {0};
    int rc = st_open(&f, p, &e);
    CHECK(rc == NS_EUSAGE && strstr(e.msg, want) && strstr(e.msg, name), "%s: rc %d, '%s' lacks '%s'", name, rc,
          e.msg, want);
    if (rc == NS_OK)
        st_close(&f);
}

static void test_bad_files(void)
{
    char good[512];
    path_in(good, sizeof good, "good.safetensors");
    float v[2] = {1, 2};
    write_st(good, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", v, 8);
    FILE *f = fopen(good, "rb");
    unsigned char all[256];
    size_t n = f ? fread(all, 1, sizeof all, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 16, "good file written (%zu bytes)", n);
    expect_file("t_empty", all, 0, "truncated");
    expect_file("t_len", all, 5, "truncated");
    expect_file("t_data", all, n - 3, "truncated");
    unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, '{', '}'};
    expect_file("t_hlen", huge, 10, "larger than the file");
    ns_err e = {0};
    st_file sf;
    CHECK(st_open(&sf, "/nonexistent/x.safetensors", &e) == NS_EUSAGE && strstr(e.msg, "cannot open"), "missing file");
    CHECK(st_open(&sf, dir, &e) == NS_EUSAGE, "a folder is not a file");
}

/* ---- shards ---- */

static void test_shards(void)
{
    char p1[512], p2[512], ix[512], p[512];
    double a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    ns_err e = {0};
    snprintf(p, sizeof p, "%s/sh", dir);
    CHECK(mkdir_p_ok(p), "mkdir");
    snprintf(p1, sizeof p1, "%s/sh/m-1.safetensors", dir);
    snprintf(p2, sizeof p2, "%s/sh/m-2.safetensors", dir);
    snprintf(ix, sizeof ix, "%s/sh/model.safetensors.index.json", dir);
    st_entry t1 = {"x.weight", NUM_F64, 2, {2, 2}, a}, t2 = {"y.bias", NUM_F32, 1, {2}, b};
    CHECK(st_write(p1, &t1, 1, NULL, &e) == NS_OK && st_write(p2, &t2, 1, NULL, &e) == NS_OK, "shards written");
    const char *index = "{\"metadata\": {\"total_size\": 40}, \"weight_map\": {\"x.weight\": \"m-1.safetensors\", "
                        "\"y.bias\": \"m-2.safetensors\"}}";
    write_bytes(ix, index, strlen(index));
    st_set s;
    int rc = st_set_open(&s, ix, &e);
    CHECK(rc == NS_OK && s.n == 2 && s.n_files == 2, "index opens 2 shards: %s", e.msg);
    if (!rc) {
        double out[4];
        const st_tensor *y = st_set_find(&s, "y.bias");
        CHECK(y && st_set_read(&s, y, 0, 2, out, &e) == NS_OK && out[1] == 6.0, "read from shard 2");
        CHECK(st_set_find(&s, "nope") == NULL, "absent name");
        st_set_close(&s);
    }
    rc = st_set_open(&s, p, &e); /* the folder */
    CHECK(rc == NS_OK && s.n == 2, "folder with an index: %s", e.msg);
    if (!rc)
        st_set_close(&s);
    const char *lacks = "{\"weight_map\": {\"x.weight\": \"m-2.safetensors\", \"y.bias\": \"m-2.safetensors\"}}";
    write_bytes(ix, lacks, strlen(lacks));
    CHECK(st_set_open(&s, ix, &e) == NS_EUSAGE && strstr(e.msg, "lacks"), "mapped to the wrong shard: %s", e.msg);
    const char *missing = "{\"weight_map\": {\"x.weight\": \"m-9.safetensors\"}}";
    write_bytes(ix, missing, strlen(missing));
    CHECK(st_set_open(&s, ix, &e) == NS_EUSAGE && strstr(e.msg, "m-9"), "missing shard: %s", e.msg);
    st_write(p2, &t1, 1, NULL, &e); /* x.weight in both shards */
    const char *both = "{\"weight_map\": {\"x.weight\": \"m-1.safetensors\", \"z\": \"m-2.safetensors\"}}";
    write_bytes(ix, both, strlen(both));
    CHECK(st_set_open(&s, ix, &e) == NS_EUSAGE && (strstr(e.msg, "two shards") || strstr(e.msg, "lacks")),
          "a tensor in two shards: %s", e.msg);
    st_index sx;
    const char *bad[] = {"{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "{\"weight_map\": {\"a\": \"/x\"}}",
                         "{\"weight_map\": {}}", "{\"weight_map\": [1]}", "{\"weight_map\": {\"a\": 3}}", "{"};
    for (int i = 0; i < 6; i++)
        CHECK(st_index_parse(bad[i], strlen(bad[i]), &sx, &e) == NS_EUSAGE, "bad index %d refused", i);
    const char *ok = "{\"weight_map\": {\"a\": \"s1\", \"b\": \"sub/s2\", \"c\": \"s1\"}}";
    CHECK(st_index_parse(ok, strlen(ok), &sx, &e) == NS_OK && sx.n == 3 && sx.n_shards == 2 && sx.shard[2] == 0,
          "index: 3 tensors, 2 shards");
    if (sx.n)
        st_index_free(&sx);
}

/* ---- normsim checkpoints ---- */

static void test_model_checkpoint(void)
{
    ns_config c;
    ns_model m, m2;
    ns_err e = {0};
    char p[512];
    path_in(p, sizeof p, "ns.safetensors");
    arch_config("llama", &c, &e);
    c.d = 32, c.layers = 2, c.heads = 4, c.kv_heads = 2, c.seq = 16, c.vocab = 40, c.d_ff = 48;
    if (model_create(&m, &c, &e)) {
        CHECK(0, "model_create: %s", e.msg);
        return;
    }
    model_init(&m, 3);
    model_randomize_gains(&m, 3, 0.5);
    int rc = model_save_safetensors(&m, p, "{\"step\": 7, \"note\": \"x\"}", &e);
    CHECK(rc == NS_OK, "save: %s", e.msg);
    ns_config back;
    CHECK(model_config_from_safetensors(p, &back, &e) == NS_OK && back.d == 32 && back.kv_heads == 2 &&
              back.d_ff == 48 && back.rope_base == c.rope_base && strcmp(back.norm, "rmsnorm") == 0,
          "config from metadata: %s", e.msg);
    model_create(&m2, &back, &e);
    rc = model_load_safetensors(&m2, p, &e);
    CHECK(rc == NS_OK && m2.n_params == m.n_params &&
              memcmp(m2.params, m.params, sizeof(double) * m.n_params) == 0, "load: bit-identical (%s)", e.msg);
    st_set s;
    if (st_set_open(&s, p, &e) == NS_OK) {
        CHECK(st_set_meta(&s, "step") && strcmp(st_set_meta(&s, "step"), "7") == 0, "caller metadata kept");
        ckpt_opts o = {NULL, NULL, -1, -1, PREC_F64};
        ns_model m3;
        CHECK(ckpt_import(&s, &o, &m3, NULL, NULL, 0, &e) == NS_OK && m3.n_params == m.n_params &&
                  memcmp(m3.params, m.params, sizeof(double) * m.n_params) == 0, "import of a normsim checkpoint");
        if (m3.params)
            model_free(&m3);
        st_set_close(&s);
    }
    model_free(&m2);
    c.d_ff = 64; /* another shape: refused before any copy */
    model_create(&m2, &c, &e);
    CHECK(model_load_safetensors(&m2, p, &e) == NS_EUSAGE && strstr(e.msg, "shape"), "wrong shape: %s", e.msg);
    model_free(&m2);
    c.d_ff = 48, c.layers = 1; /* fewer tensors: the file has extra ones */
    model_create(&m2, &c, &e);
    CHECK(model_load_safetensors(&m2, p, &e) == NS_EUSAGE && strstr(e.msg, "does not"), "extra tensors: %s", e.msg);
    model_free(&m2);
    model_free(&m);
}

/* ---- norm discovery on normsim checkpoints of every family and scheme ---- */

static void scan_one(const char *arch, const char *norm)
{
    ns_config c;
    ns_model m;
    ns_err e = {0};
    char p[512];
    path_in(p, sizeof p, "scan.safetensors");
    arch_config(arch, &c, &e);
    c.d = 16, c.layers = 2, c.heads = 2, c.vocab = 20, c.d_ff = 24;
    if (c.kv_heads > 2)
        c.kv_heads = 2;
    if (c.input != INPUT_PATCHES)
        c.seq = 8;
    if (norm)
        snprintf(c.norm, sizeof c.norm, "%s", norm);
    if (model_create(&m, &c, &e)) {
        CHECK(0, "%s/%s: %s", arch, c.norm, e.msg);
        return;
    }
    model_init(&m, 1);
    int rc = model_save_safetensors(&m, p, NULL, &e);
    st_set s;
    scan_result r;
    scan_opts o = {0};
    if (rc || st_set_open(&s, p, &e)) {
        CHECK(0, "%s/%s: %s", arch, c.norm, e.msg);
        model_free(&m);
        return;
    }
    rc = norm_scan(&s, &o, &r, &e);
    char want[64];
    if (c.final_norm)
        snprintf(want, sizeof want, "norm_final");
    else
        snprintf(want, sizeof want, "h.%d.norm_mlp", c.layers - 1);
    if (m.norm->n_params == 0)
        CHECK(rc == NS_OK && r.final < 0 && r.nonparam_d == c.d && strcmp(r.nonparam_kind, c.norm) == 0,
              "%s/%s: non-parametric final norm of d %d", arch, c.norm, c.d);
    else
        CHECK(rc == NS_OK && r.final >= 0 && strcmp(r.layers[r.final].prefix, want) == 0 &&
                  strcmp(r.layers[r.final].kind, c.norm) == 0,
              "%s/%s: final '%s' kind '%s' (%s)", arch, c.norm, rc || r.final < 0 ? "?" : r.layers[r.final].prefix,
              rc || r.final < 0 ? "?" : r.layers[r.final].kind, e.msg);
    if (!rc)
        scan_result_free(&r);
    st_set_close(&s);
    model_free(&m);
}

static void test_scan_normsim(void)
{
    for (int i = 0; i < arch_count(); i++)
        scan_one(arch_name(i), NULL);
    const char *norms[] = {"layernorm", "layernorm-nobias", "layernorm-noaffine", "rmsnorm", "rmsnorm-1p"};
    for (int i = 0; i < 5; i++)
        scan_one("gpt2", norms[i]);
    for (int i = 0; i < norm_count(); i++) { /* every registered scheme (those with an argument: one) */
        char spec[64];
        const norm_ops *ops;
        norm_cfg nc;
        ns_err e;
        snprintf(spec, sizeof spec, "%s", norm_at(i)->name);
        if (norm_resolve(spec, 16, 1e-5, &ops, &nc, &e) != NS_OK)
            snprintf(spec, sizeof spec, "%s:%s", norm_at(i)->name, strstr(e.msg, "group") ? "4" : "0.5");
        scan_one("gpt2", spec);
    }
}

int main(void)
{
    if (!check_tmpdir(dir, sizeof dir, "st"))
        return 1;
    test_numconv();
    test_round_trip();
    test_write_errors();
    test_bad_headers();
    test_bad_files();
    test_shards();
    test_model_checkpoint();
    test_scan_normsim();
    check_rmtree(dir);
    return check_summary("safetensors");
}
