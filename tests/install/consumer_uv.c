/* Links the installed libuv binding. */
#include <yamux/uv.h>

int main(void) {
    yamux_uv *u = NULL;
    /* no stream: the binding refuses, which is enough to prove it links */
    return yamux_uv_new(&u, uv_default_loop(), NULL, 1, NULL, NULL, NULL) == YAMUX_EINVAL ? 0 : 1;
}
