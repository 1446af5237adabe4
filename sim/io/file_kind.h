/* file_kind.h - what a file is, read from its first bytes (never from its name):
 *   safetensors  u64 little-endian header length N <= size - 8, then '{'
 *   GGUF         "GGUF" (llama.cpp's format)
 *   .npy         "\x93NUMPY"
 *   index JSON   a JSON object naming a "weight_map" (model.safetensors.index.json)
 *   JSON         any other text starting with '{' or '['
 *   other        none of these (an empty file too)
 * Readers call file_kind_expect before parsing, so a file of the wrong kind is one
 * message naming what the file is and what was expected, not a parse error deep inside. */
#ifndef NS_FILE_KIND_H
#define NS_FILE_KIND_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "sim/base/err.h"

typedef enum { FK_SAFETENSORS, FK_GGUF, FK_NPY, FK_INDEX_JSON, FK_JSON, FK_OTHER } file_kind;

#define FILE_KIND_SNIFF 4096 /* bytes enough to classify any file */

/* the kind of a file whose first n bytes are buf and whose size is size */
file_kind file_kind_sniff(const unsigned char *buf, size_t n, uint64_t size);
/* "a safetensors file", "a GGUF file", ... (for "X is <name>") */
const char *file_kind_name(file_kind k);
/* the kind of an open stream (read from its start; the position is restored) */
int file_kind_of_stream(FILE *f, file_kind *k, ns_err *e);
/* the kind of the file at path */
int file_kind_of(const char *path, file_kind *k, ns_err *e);
/* NS_OK if the stream is of kind want, else NS_EUSAGE: "<name> is <kind>, not <want>" */
int file_kind_expect(FILE *f, const char *name, file_kind want, ns_err *e);

#endif
