/* Structs that grow without breaking binaries (internal): yamux_config, yamux_callbacks and
 * yamux_shmq_options begin with `size_t size`, the struct's size as the caller compiled it
 * (set by their inline _init()). The library reads only that many bytes and takes the
 * defaults for fields added since; a size below the first release's is refused. */
#ifndef YX_SIZED_H
#define YX_SIZED_H

#include <stddef.h>
#include <string.h>

#include "yamux/session.h"

/** Copies `src` over `dst` (which holds the defaults, `dst_size` bytes): the first
 * min(src->size, dst_size) bytes, then sets dst->size = dst_size. YAMUX_EINVAL when src->size
 * is below `min_size` (the fields every release has). */
static inline int yx_sized_copy(void *dst, size_t dst_size, const void *src, size_t min_size) {
    size_t n;
    memcpy(&n, src, sizeof n);
    if (n < min_size + sizeof n) return YAMUX_EINVAL;
    memcpy(dst, src, n < dst_size ? n : dst_size);
    memcpy(dst, &dst_size, sizeof dst_size);
    return YAMUX_OK;
}

/** Writes the defaults `def` (`def_size` bytes) into the caller's struct of `size` bytes. */
static inline void yx_sized_init(void *dst, size_t size, const void *def, size_t def_size) {
    memcpy(dst, def, size < def_size ? size : def_size);
    memcpy(dst, &size, sizeof size);
}

/** Reads the caller's callbacks `cb` (NULL: none; its `size` bytes) into `out`; YAMUX_EINVAL
 * without a valid size. (session.c) */
int yx_callbacks_read(yamux_callbacks *out, const yamux_callbacks *cb);

#endif
