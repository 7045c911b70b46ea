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

/** Fills `out` with forwarders for every callback `f->app` sets, except on_send_ready (a
 * binding's own business). The session's user data must point at `f`. */
void yx_fwd_callbacks(yamux_callbacks *out, const yx_fwd *f);

#endif
