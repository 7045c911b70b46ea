/* shmq region layout, version 1: the byte offsets of docs/shmq.md as constants, for the C
 * implementation, its tests, and anyone generating bindings. Every field is a 32-bit
 * little-endian word; offsets are in bytes from the start of the region. */
#ifndef YAMUX_SHMQ_LAYOUT_H
#define YAMUX_SHMQ_LAYOUT_H

/** `magic` value: the bytes "SHMQ" read as a little-endian 32-bit word. */
#define YAMUX_SHMQ_MAGIC 0x514D4853u
/** The layout version this header describes. */
#define YAMUX_SHMQ_LAYOUT_VERSION 1u
/** Size of one cache line: every index word sits alone on one. */
#define YAMUX_SHMQ_LINE 64u
/** Offset of ring 0's data; everything before it is the control area. */
#define YAMUX_SHMQ_DATA_OFFSET 1024u
/** Smallest and largest ring data size (a power of two). */
#define YAMUX_SHMQ_RING_MIN 256u
#define YAMUX_SHMQ_RING_MAX (1u << 30)
/** Record header size and alignment. */
#define YAMUX_SHMQ_REC_HDR   8u
#define YAMUX_SHMQ_REC_ALIGN 8u
/** Record `len` value marking padding up to the end of the data area. */
#define YAMUX_SHMQ_REC_PAD 0xFFFFFFFFu

/* Header (line 0). */
#define YAMUX_SHMQ_OFF_MAGIC       0x00u
#define YAMUX_SHMQ_OFF_VERSION     0x04u
#define YAMUX_SHMQ_OFF_DATA_OFFSET 0x08u
#define YAMUX_SHMQ_OFF_TOTAL_SIZE  0x0Cu
#define YAMUX_SHMQ_OFF_RING_BYTES  0x10u
#define YAMUX_SHMQ_OFF_MTU         0x14u
#define YAMUX_SHMQ_OFF_FLAGS       0x18u

/* Control line of side s (0 = A, 1 = B), written only by that side. */
#define YAMUX_SHMQ_OFF_CTRL(s)     (0x40u + 0x40u * (unsigned)(s))
#define YAMUX_SHMQ_CTRL_STATE      0x00u /* bit 0 closed, bits 1..31 generation */
#define YAMUX_SHMQ_CTRL_HEARTBEAT  0x04u
#define YAMUX_SHMQ_CTRL_HB_TIMEOUT 0x08u /* milliseconds, 0 = never time this side out */
#define YAMUX_SHMQ_CTRL_PID        0x0Cu /* 0 = no process id */
#define YAMUX_SHMQ_CTRL_PID_NS     0x10u /* pid namespace of `pid`, 0 = unknown (no pid check) */
#define YAMUX_SHMQ_STATE_CLOSED    1u
#define YAMUX_SHMQ_STATE_GEN_SHIFT 1u

/* Doorbell of side s: the word that side sleeps on (bits: YAMUX_SHMQ_READABLE,
 * YAMUX_SHMQ_WRITABLE). */
#define YAMUX_SHMQ_OFF_BELL(s) (0xC0u + 0x40u * (unsigned)(s))

/* Ring r (0 = A->B, 1 = B->A): producer line (tail), consumer line (head), data. */
#define YAMUX_SHMQ_OFF_TAIL(r)             (0x140u + 0x80u * (unsigned)(r))
#define YAMUX_SHMQ_OFF_HEAD(r)             (0x180u + 0x80u * (unsigned)(r))
#define YAMUX_SHMQ_OFF_DATA(r, ring_bytes) (YAMUX_SHMQ_DATA_OFFSET + (unsigned)(r) * (ring_bytes))

#endif
