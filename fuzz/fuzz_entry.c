/* The libFuzzer entry point (also AFL++'s, through its libFuzzer driver). FZ_RUN names the
 * driver this harness runs (see drivers.h). */
#include "drivers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return FZ_RUN(data, size);
}
