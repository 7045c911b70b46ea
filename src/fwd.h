/* Callback forwarding for the bindings (internal). A binding keeps the application's
 * callbacks and user data in a yx_fwd placed first in its own struct, creates the session
 * with the binding as user data and the callbacks of yx_fwd_callbacks(), then overrides the
 * entries it handles itself (they forward to f->app on their own). */
#ifndef YX_FWD_H
#define YX_FWD_H

#include "yamux/session.h"

typedef struct yx_fwd {
    yamux_callbacks app;
    void *user_data;
} yx_fwd;

/** Keeps the application's callbacks `cb` (NULL: none) and `user_data` in `f`, and fills `out`
 * with forwarders for every callback it sets. The session's user data must point at `f`.
 * YAMUX_EINVAL when `cb` has no valid size. */
int yx_fwd_init(yx_fwd *f, const yamux_callbacks *cb, void *user_data, yamux_callbacks *out);

#endif
