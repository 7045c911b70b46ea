/* The stream id map against a model, and against ids a peer picks to collide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "idmap.h"

/* The longest probe run: slots scanned for a lookup of each present id. */
static size_t max_probe(const yx_idmap *m) {
    size_t worst = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].id) continue;
        size_t home = yx_idmap_home(m, m->slots[i].id);
        size_t d = (i - home) & (m->cap - 1);
        if (d + 1 > worst) worst = d + 1;
    }
    return worst;
}

static void test_model(void **state) {
    (void)state;
    enum { N = 4096 };
    static void *model[2 * N + 2];
    yx_idmap m;
    yx_idmap_init(&m, &th_allocator, 0x1234567u);
    uint64_t x = 12345;
    for (int op = 0; op < 200000; op++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t id = (uint32_t)((x >> 33) % N) * 2 + 1;
        if ((x >> 20) & 1) {
            if (!model[id]) {
                model[id] = (void *)(uintptr_t)(id * 16u);
                assert_int_equal(yx_idmap_put(&m, id, model[id]), YAMUX_OK);
            }
        } else if (model[id]) {
            yx_idmap_del(&m, id);
            model[id] = NULL;
        }
        uint32_t probe = (uint32_t)((x >> 40) % N) * 2 + 1;
        assert_ptr_equal(yx_idmap_get(&m, probe), model[probe]);
    }
    yx_idmap_destroy(&m);
    assert_int_equal(th_allocated(), 0);
}

/* Ids that differ only in high bits (stride 2^18) used to share one home slot. */
static void test_high_bit_ids_spread(void **state) {
    (void)state;
    yx_idmap m;
    yx_idmap_init(&m, &th_allocator, 0x1234567u);
    for (uint32_t i = 0; i < 16000; i++)
        assert_int_equal(yx_idmap_put(&m, 1 + i * (1u << 18), (void *)(uintptr_t)(i + 1)), 0);
    assert_true(max_probe(&m) < 64);
    for (uint32_t i = 0; i < 16000; i++)
        assert_ptr_equal(yx_idmap_get(&m, 1 + i * (1u << 18)), (void *)(uintptr_t)(i + 1));
    yx_idmap_destroy(&m);
    assert_int_equal(th_allocated(), 0);
}

/* Ids a peer picks at a stride that collides under any fixed multiplicative hash (here
 * 2 * Fibonacci(24): one probe run of 16,000 under the old Fibonacci hash, lookups 25x slower):
 * with a key per map they spread. */
static void test_strided_ids_spread(void **state) {
    (void)state;
    for (uint64_t key = 1; key <= 4; key++) {
        yx_idmap m;
        yx_idmap_init(&m, &th_allocator, key * 0x5bd1e995u);
        for (uint32_t i = 0; i < 16000; i++)
            assert_int_equal(yx_idmap_put(&m, 1 + i * 150050u, (void *)(uintptr_t)(i + 1)), 0);
        assert_true(max_probe(&m) < 64);
        for (uint32_t i = 0; i < 16000; i++)
            assert_ptr_equal(yx_idmap_get(&m, 1 + i * 150050u), (void *)(uintptr_t)(i + 1));
        yx_idmap_destroy(&m);
    }
    assert_int_equal(th_allocated(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_high_bit_ids_spread),
        cmocka_unit_test(test_strided_ids_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
