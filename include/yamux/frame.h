/* yamux frame codec: the 12-byte header of hashicorp/yamux's wire protocol.
 *
 *   byte  0         1         2-3          4-7              8-11
 *       +---------+---------+-----------+----------------+----------------+
 *       | version |  type   |   flags   |   stream id    |     length     |
 *       +---------+---------+-----------+----------------+----------------+
 *
 * All fields are big endian. Pure functions: no allocation, no state. */
#ifndef YAMUX_FRAME_H
#define YAMUX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of an encoded header in bytes. */
#define YAMUX_HEADER_SIZE 12
/** The only protocol version defined. */
#define YAMUX_PROTO_VERSION 0
/** The window every stream starts with in each direction (256 KiB). */
#define YAMUX_INITIAL_WINDOW (256u * 1024u)

/** Frame types. */
typedef enum yamux_frame_type {
    YAMUX_TYPE_DATA = 0,          /**< payload of `length` bytes follows */
    YAMUX_TYPE_WINDOW_UPDATE = 1, /**< `length` is a window delta */
    YAMUX_TYPE_PING = 2,          /**< `length` is an opaque value echoed back */
    YAMUX_TYPE_GOAWAY = 3         /**< `length` is a termination code */
} yamux_frame_type;

/** Frame flags (a bit set). */
enum yamux_frame_flag {
    YAMUX_FLAG_SYN = 0x1, /**< open a stream, or a ping request */
    YAMUX_FLAG_ACK = 0x2, /**< accept a stream, or a ping answer */
    YAMUX_FLAG_FIN = 0x4, /**< half-close: the sender will send no more data */
    YAMUX_FLAG_RST = 0x8  /**< reset the stream */
};
/** Every flag bit the protocol defines. */
#define YAMUX_FLAGS_ALL 0x000Fu

/** GoAway codes. */
typedef enum yamux_goaway_code {
    YAMUX_GOAWAY_NORMAL = 0,
    YAMUX_GOAWAY_PROTOCOL_ERROR = 1,
    YAMUX_GOAWAY_INTERNAL_ERROR = 2
} yamux_goaway_code;

/** A decoded header. */
typedef struct yamux_frame {
    uint8_t version;
    uint8_t type;
    uint16_t flags;
    uint32_t stream_id;
    uint32_t length;
} yamux_frame;

/** Encodes `f` into `out[0..11]` (big endian). */
void yamux_frame_encode(uint8_t out[YAMUX_HEADER_SIZE], const yamux_frame *f);

/** Decodes `in[0..11]` into `f` without validating it. */
void yamux_frame_decode(yamux_frame *f, const uint8_t in[YAMUX_HEADER_SIZE]);

/** Checks a decoded header against the protocol rules that need no session state: version 0,
 * a known type, only defined flags, stream id 0 exactly for Ping and GoAway, a Ping carrying
 * exactly one of SYN or ACK, GoAway without flags. Returns 0 or a negative yamux_error. */
int yamux_frame_validate(const yamux_frame *f);

/** Short name of a frame type ("DATA", "WINDOW_UPDATE", ...), "UNKNOWN" otherwise. */
const char *yamux_frame_type_name(uint8_t type);

#ifdef __cplusplus
}
#endif
#endif
