/* gguf.h - reading GGUF files (llama.cpp's format, versions 2 and 3) into an st_file, so a
 * GGUF checkpoint is read by the same st_set calls as safetensors.
 *
 * A file is: "GGUF", u32 version, u64 n_tensors, u64 n_kv; n_kv metadata pairs (string
 * key, u32 type, value; strings are u64 length + bytes, arrays u32 type + u64 count +
 * values); n_tensors infos (string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset);
 * padding to general.alignment (default 32); the data section. ne[0] is the fastest
 * dimension, so the row-major shape is ne reversed (a token_embd.weight of ne (d, V) is
 * (V, d), as in PyTorch). Everything is checked before anything large is allocated: counts
 * and string lengths against the bytes left in the file, offsets aligned and every
 * tensor's bytes inside the data section, at most ST_MAX_DIMS dimensions.
 *
 * Element types read: F32, F16, BF16, F64 and the block types Q8_0 (32 values: f16 scale,
 * 32 int8) and Q4_0 (32 values: f16 scale, 16 bytes of nibbles, value = scale x (q - 8));
 * any other type is refused by its name. Metadata scalars become st_file metadata
 * (numbers as %.17g, booleans as true/false, strings as is); arrays are skipped. The
 * architecture is under "general.architecture". */
#ifndef NS_GGUF_H
#define NS_GGUF_H
#include "sim/io/safetensors.h"

#define GGUF_MAX_TENSORS (1 << 20)
#define GGUF_MAX_STRING (1u << 20) /* bytes of one key, name or metadata string */

enum { GGUF_Q4_0 = 2, GGUF_Q8_0 = 8 };

/* Open and validate a GGUF file (errors NS_EUSAGE: bad or missing file). */
int gguf_open(st_file *f, const char *path, ns_err *e);
/* From an already open stream (taken over: closed by st_close); name for messages. */
int gguf_open_stream(st_file *f, FILE *stream, const char *name, ns_err *e);
/* elements [first, first + n) of a block-quantized tensor (t->gguf_type != 0) as doubles */
int gguf_read_blocks(const st_file *f, const st_tensor *t, uint64_t first, uint64_t n, double *out,
                     ns_err *e);
/* the name of GGUF type id t ("Q4_K"), or "unknown" */
const char *gguf_type_name(uint32_t t);

#endif
