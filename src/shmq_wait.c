/* shmq platform layer: sleeping on and waking a 32-bit shared word, the monotonic clock,
 * process ids. Linux: the futex syscall (not FUTEX_PRIVATE: the word may be shared between
 * processes). Emscripten: memory.atomic.wait32 / notify through emscripten_futex_wait/wake
 * (which also handle the browser main thread, where blocking is not allowed); with
 * YAMUX_SHMQ_WAIT_EXTERNAL, two functions the embedder provides (the JSPI build of the web
 * package's C program: a wait that suspends the program, web/src/workers/peer-jspi.js). Elsewhere:
 * short sleeps polling the word. */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall(), kill() */
#endif
#include <errno.h>
#include <limits.h>
#include <time.h>

#include "shmq_internal.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/threading.h>
#elif defined(__linux__)
#include <linux/futex.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

#define NS_PER_S 1000000000

int64_t yx_shmq_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

#if defined(__EMSCRIPTEN__)

#if defined(YAMUX_SHMQ_WAIT_EXTERNAL)
/* Provided by the embedder: returns once *word != expect was notified or after timeout_ms. */
extern void yamux_shmq_host_wait(uint32_t *word, uint32_t expect, double timeout_ms);
/* Provided by the embedder: wakes the waiters on *word. */
extern void yamux_shmq_host_wake(uint32_t *word);

void yx_shmq_futex_wait(uint32_t *word, uint32_t expect, int64_t timeout_ns) {
    yamux_shmq_host_wait(word, expect, (double)timeout_ns / 1e6);
}

void yx_shmq_futex_wake(uint32_t *word) {
    yamux_shmq_host_wake(word);
}
#else
void yx_shmq_futex_wait(uint32_t *word, uint32_t expect, int64_t timeout_ns) {
    emscripten_futex_wait(word, expect, (double)timeout_ns / 1e6);
}

void yx_shmq_futex_wake(uint32_t *word) {
    emscripten_futex_wake(word, INT_MAX);
}
#endif

int32_t yx_shmq_self_pid(void) {
    return 0;
}

uint32_t yx_shmq_pid_ns(void) {
    return 0;
}

int yx_shmq_pid_alive(int32_t pid) {
    (void)pid;
    return 1;
}

#else

#if defined(__linux__)

void yx_shmq_futex_wait(uint32_t *word, uint32_t expect, int64_t timeout_ns) {
    struct timespec ts = {(time_t)(timeout_ns / NS_PER_S), (long)(timeout_ns % NS_PER_S)};
    syscall(SYS_futex, word, FUTEX_WAIT, expect, &ts, NULL, 0);
}

void yx_shmq_futex_wake(uint32_t *word) {
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

#else /* no futex: poll the word with short sleeps */

void yx_shmq_futex_wait(uint32_t *word, uint32_t expect, int64_t timeout_ns) {
    int64_t end = yx_shmq_now_ns() + timeout_ns;
    long step = 20000;
    while (LOAD_ACQUIRE(word) == expect && yx_shmq_now_ns() < end) {
        struct timespec ts = {0, step};
        nanosleep(&ts, NULL);
        if (step < 1000000) step *= 2;
    }
}

void yx_shmq_futex_wake(uint32_t *word) {
    (void)word;
}

#endif

int32_t yx_shmq_self_pid(void) {
    return (int32_t)getpid();
}

uint32_t yx_shmq_pid_ns(void) {
#if defined(__linux__)
    struct stat st;
    if (stat("/proc/self/ns/pid", &st) == 0 && (uint32_t)st.st_ino != 0) return (uint32_t)st.st_ino;
#endif
    return 0;
}

int yx_shmq_pid_alive(int32_t pid) {
    if (pid <= 0) return 1; /* never kill(0) or kill(-1): those mean groups */
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

#endif
