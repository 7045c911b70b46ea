/* Per-stream-id bookkeeping of one side, as seen from outside the engine: what crossed the
 * wire each way and what the application wrote and read. The checkers compare it with what
 * the engine does. Entries are found by id; a pointer is valid until the next fz_ledger_get
 * that creates an entry. */
#ifndef FZ_LEDGER_H
#define FZ_LEDGER_H

#include <stddef.h>
#include <stdint.h>

typedef struct fz_sid {
    uint32_t id;
    uint8_t used;
    /* frames this side emitted on the id */
    uint8_t out_syn, out_ack, out_fin, out_rst, out_any;
    /* frames this side was fed */
    uint8_t in_syn;
    /* the application */
    uint8_t app_eof;     /* a read returned 0 (end of stream) */
    uint8_t app_fin;     /* the application half-closed (close_write or release) a live stream */
    int64_t send_credit; /* window the peer granted minus payload emitted */
    int64_t recv_credit; /* window we granted minus payload fed */
    uint64_t out_data;   /* payload bytes emitted */
    uint64_t wr;         /* bytes the application wrote (accepted by the engine) */
    uint64_t rd;         /* bytes the application read */
    uint64_t owed;       /* bytes the application still means to answer with */
} fz_sid;

typedef struct fz_ledger {
    fz_sid *slots;
    size_t cap, count;
} fz_ledger;

void fz_ledger_init(fz_ledger *l);
void fz_ledger_free(fz_ledger *l);

/* The entry for `id`, created (with both credits at the initial window) when absent. */
fz_sid *fz_ledger_get(fz_ledger *l, uint32_t id);

/* The entry for `id`, or NULL. */
fz_sid *fz_ledger_find(const fz_ledger *l, uint32_t id);

#endif
