/* Engine configurations and application knobs chosen by fuzz input bytes. */
#ifndef FZ_CONFIG_H
#define FZ_CONFIG_H

#include <stdint.h>

#include "yamux/session.h"

#define FZ_SEC 1000000000ull

/* Configuration bits (fz_config_make). */
enum fz_cfg_bit {
    FZ_CFG_AUTOTUNE = 1 << 0,
    FZ_CFG_WINDOW = 3 << 1, /* 256 KiB, 512 KiB, 1 MiB, 16 MiB */
    FZ_CFG_SMALL = 1 << 3,  /* tiny backlog, stream and open limits; small buffers and frames */
    FZ_CFG_TIGHT = 1 << 4,  /* receive memory bound: three initial windows */
    FZ_CFG_KEEPALIVE = 1 << 5,
    FZ_CFG_SHORT = 1 << 6, /* timeouts of a few seconds */
    FZ_CFG_TINY = 1 << 7   /* 13-byte frames, 100-byte send buffers */
};

/* Builds a valid configuration from configuration bits. */
void fz_config_make(yamux_config *cfg, unsigned bits);

/* Application knobs (enum fz_knob) and allocator failure point from the knob byte and the
 * byte after it: bit 7 turns failures on, after `next * 4` allocations. */
unsigned fz_knobs_make(uint8_t knob_byte);
long fz_fail_after(uint8_t knob_byte, uint8_t next);

/* Clock steps selected by 4 bits. */
uint64_t fz_tick_step(unsigned sel);

#endif
