/* Invariants of the engine's internal state (src/session_internal.h), checked between public
 * calls: bounds (streams, windows, receive memory, buffers, queues), and that every count the
 * session keeps agrees with the objects it counts. */
#ifndef FZ_INVARIANTS_H
#define FZ_INVARIANTS_H

#include "yamux/session.h"

/* `cfg` is the configuration the session was created with. */
void fz_check_session(const yamux_session *s, const yamux_config *cfg);

#endif
