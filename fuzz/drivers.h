/* The fuzz drivers: each runs one input and aborts (fz_fail) on any finding. Plain C: the
 * libFuzzer/AFL++ entry points (fuzz_entry.c) and the regression tests both call them.
 * Input formats are described in each driver's file. */
#ifndef FZ_DRIVERS_H
#define FZ_DRIVERS_H

#include <stddef.h>
#include <stdint.h>

int fz_frame_run(const uint8_t *data, size_t size);
int fz_session_run(const uint8_t *data, size_t size);
int fz_pair_run(const uint8_t *data, size_t size);
int fz_shmq_run(const uint8_t *data, size_t size);

#endif
