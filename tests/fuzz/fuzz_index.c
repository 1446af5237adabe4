/* fuzz_index.c - libFuzzer target: a model.safetensors.index.json from memory. */
#include "sim/io/safetensors.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_index ix;
    ns_err e = {0};
    if (st_index_parse((const char *)data, size, &ix, &e) == NS_OK)
        st_index_free(&ix);
    return 0;
}
