/* Exports of the event-side engine module (event_glue.c) beyond the library's own API. */
#ifndef YX_WEB_EVENT_GLUE_H
#define YX_WEB_EVENT_GLUE_H

#include <stddef.h>

#include "yamux/session.h"

/** A configuration with the defaults (free it with free()). */
yamux_config *yxw_config_new(void);
/** Sets one field by key (see the enum in event_glue.c). 0 or YAMUX_EINVAL. */
int yxw_config_set(yamux_config *c, int key, double v);
/** Creates a session whose callbacks report `sid`; the session, or NULL with *err set. */
yamux_session *yxw_session_new(int sid, int is_client, const yamux_config *cfg, int *err);
/** Queues `len` bytes of `buf` (from malloc()) by reference (yamux_stream_write_ref()); the
 * buffer is freed once sent or dropped, or at once when the result is an error. */
ptrdiff_t yxw_write_owned(yamux_stream *st, void *buf, size_t len);
/** yamux_session_tick() with the time in milliseconds. */
void yxw_tick(yamux_session *s, double now_ms);
/** yamux_session_get_next_deadline() in milliseconds; Infinity when no timer runs. */
double yxw_next_deadline_ms(const yamux_session *s);
/** Smoothed ping round trip in milliseconds (0 before the first answer). */
double yxw_rtt_ms(const yamux_session *s);
/** Bytes held for reception (buffered plus window granted). */
double yxw_recv_memory(const yamux_session *s);

#endif
