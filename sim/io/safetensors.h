/* safetensors.h - the safetensors format (Hugging Face): read, write, and sharded sets.
 *
 * A file is: u64 little-endian N; N bytes of JSON (UTF-8, may end in spaces)
 *   {"__metadata__": {"key": "value", ...},
 *    "<tensor name>": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...}
 * then the data section: every tensor's bytes, C order, little-endian, at
 * [8 + N + begin, 8 + N + end). The header is checked in full when a file is opened:
 * each tensor's size equals prod(shape) * dtype size, and the tensors tile the data
 * section exactly (no overlap, no hole, nothing after the last), as the reference
 * implementation requires. Tensor data is then read on demand, in chunks, converted to
 * double: a file is never read whole into memory.
 *
 * A sharded checkpoint is a "model.safetensors.index.json":
 *   {"metadata": {"total_size": ...}, "weight_map": {"<tensor>": "<shard file>", ...}}
 * with shard files next to it; st_set opens a file, an index or a folder holding either. */
#ifndef NS_SAFETENSORS_H
#define NS_SAFETENSORS_H
#include <stdint.h>
#include <stdio.h>
#include "sim/base/err.h"
#include "sim/io/numconv.h"

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u * 1000u * 1000u) /* bytes of JSON header (the reference's limit) */

typedef struct {
    char *name;
    num_type dtype;
    int ndim;
    uint64_t shape[ST_MAX_DIMS];
    uint64_t count;      /* elements: prod(shape) (1 for a scalar, shape []) */
    uint64_t begin, end; /* byte offsets into the data section */
    int file;            /* index of the file in its st_set (0 for a lone st_file) */
    int gguf_type;       /* a GGUF block-quantized type (gguf.h: Q8_0, Q4_0), else 0; dtype is
                            then the type it decodes from (F16 scale), for checks */
} st_tensor;

typedef struct {
    FILE *f;
    char *path;
    uint64_t size;       /* bytes in the file */
    uint64_t data_start; /* 8 + header length */
    int n;
    st_tensor *t;        /* in header order */
    int n_meta;
    char **meta_key, **meta_val; /* the __metadata__ map */
} st_file;

/* dtype name ("F32", "BF16", ...) of t, and the reverse (-1: unknown name) */
const char *st_dtype_name(num_type t);
int st_dtype_parse(const char *s, num_type *t);

/* Open and validate path (errors NS_EUSAGE: bad or missing file). */
int st_open(st_file *f, const char *path, ns_err *e);
/* Open from an already open stream (taken over: closed by st_close); name for messages. */
int st_open_stream(st_file *f, FILE *stream, const char *name, ns_err *e);
/* Parse and validate a header of len bytes for a data section of data_len bytes into f
 * (f zeroed by the caller); no file involved. For tests and fuzzing. */
int st_parse_header(st_file *f, const char *json, size_t len, uint64_t data_len, ns_err *e);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
/* value of a __metadata__ key, or NULL */
const char *st_meta(const st_file *f, const char *key);
/* Elements [first, first + n) of t, converted to double. */
int st_read(const st_file *f, const st_tensor *t, uint64_t first, uint64_t n, double *out,
            ns_err *e);

/* ---- writing ---- */
typedef struct {
    const char *name;
    num_type dtype;            /* F64, F32, F16 or BF16 */
    int ndim;
    uint64_t shape[ST_MAX_DIMS];
    const double *data;        /* prod(shape) values, C order */
} st_entry;

/* Write n tensors (in this order) and a metadata JSON object (NULL: none; values that are
 * not strings are stored as their JSON text, since the format allows only strings) to
 * path, atomically (path.tmp, then rename). A finite value too large for its dtype is an
 * error (NS_EUSAGE), as is a duplicate name. */
int st_write(const char *path, const st_entry *t, int n, const char *metadata_json, ns_err *e);

/* ---- sharded sets ---- */
typedef struct {
    int n;
    char **tensor; /* weight_map keys */
    int *shard;    /* index into shards */
    int n_shards;
    char **shards; /* distinct shard file names, in order of first appearance */
} st_index;

/* Parse an index JSON (len bytes). Shard names must be relative paths without "..". */
int st_index_parse(const char *json, size_t len, st_index *ix, ns_err *e);
void st_index_free(st_index *ix);

typedef struct {
    char *path;        /* what was opened */
    int n_files;
    st_file *files;
    int n;
    const st_tensor **t; /* every tensor of every file, sorted by name */
} st_set;

/* path: a .safetensors file, a *.index.json, or a folder holding model.safetensors or
 * model.safetensors.index.json. Every shard is opened and validated; a tensor in two
 * shards, or mapped to a shard that lacks it, is an error. */
int st_set_open(st_set *s, const char *path, ns_err *e);
/* A set of one already open file (taken over: closed by st_set_close, also on error). */
int st_set_from_file(st_set *s, st_file *f, ns_err *e);
void st_set_close(st_set *s);
const st_tensor *st_set_find(const st_set *s, const char *name);
int st_set_read(const st_set *s, const st_tensor *t, uint64_t first, uint64_t n, double *out,
                ns_err *e);
/* a whole tensor into a new array (free it); NULL on error */
double *st_set_load(const st_set *s, const st_tensor *t, ns_err *e);
/* metadata value from the first file that has the key, or NULL */
const char *st_set_meta(const st_set *s, const char *key);
/* "(768, 3072)" */
void st_shape_str(const st_tensor *t, char *buf, size_t n);

#endif
