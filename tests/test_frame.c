/* Frame codec: round trips of every type and flag, byte order, and every bad header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "yamux/error.h"
#include "yamux/frame.h"

static void test_encode_layout(void **state) {
    (void)state;
    yamux_frame f = {0, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN | YAMUX_FLAG_FIN, 0x01020304u,
                     0xA0B0C0D0u};
    uint8_t b[YAMUX_HEADER_SIZE];
    yamux_frame_encode(b, &f);
    const uint8_t want[YAMUX_HEADER_SIZE] = {0x00, 0x01, 0x00, 0x05, 0x01, 0x02,
                                             0x03, 0x04, 0xA0, 0xB0, 0xC0, 0xD0};
    assert_memory_equal(b, want, sizeof want);
}

static void test_roundtrip_all_types_flags(void **state) {
    (void)state;
    for (unsigned type = 0; type <= 3; type++) {
        for (unsigned flags = 0; flags <= 0xF; flags++) {
            yamux_frame f = {0, (uint8_t)type, (uint16_t)flags, type * 7919u + flags,
                             0xFFFFFFFFu - flags};
            uint8_t b[YAMUX_HEADER_SIZE];
            yamux_frame g;
            yamux_frame_encode(b, &f);
            yamux_frame_decode(&g, b);
            assert_int_equal(g.version, f.version);
            assert_int_equal(g.type, f.type);
            assert_int_equal(g.flags, f.flags);
            assert_int_equal(g.stream_id, f.stream_id);
            assert_int_equal(g.length, f.length);
        }
    }
}

static int validate(uint8_t version, uint8_t type, uint16_t flags, uint32_t id, uint32_t len) {
    yamux_frame f = {version, type, flags, id, len};
    return yamux_frame_validate(&f);
}

static void test_validate_good(void **state) {
    (void)state;
    for (uint16_t fl = 0; fl <= 0xF; fl++) {
        int both = (fl & 3) == 3;
        assert_int_equal(validate(0, YAMUX_TYPE_DATA, fl, 1, 100),
                         both ? YAMUX_EPROTO_FLAGS : YAMUX_OK);
        assert_int_equal(validate(0, YAMUX_TYPE_WINDOW_UPDATE, fl, 2, 0),
                         both ? YAMUX_EPROTO_FLAGS : YAMUX_OK);
    }
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 0, 42), YAMUX_OK);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_ACK, 0, 42), YAMUX_OK);
    for (uint32_t code = 0; code < 5; code++)
        assert_int_equal(validate(0, YAMUX_TYPE_GOAWAY, 0, 0, code), YAMUX_OK);
}

static void test_validate_bad(void **state) {
    (void)state;
    for (unsigned v = 1; v < 256; v++)
        assert_int_equal(validate((uint8_t)v, YAMUX_TYPE_DATA, 0, 1, 0), YAMUX_EPROTO_VERSION);
    for (unsigned t = 4; t < 256; t++)
        assert_int_equal(validate(0, (uint8_t)t, 0, 1, 0), YAMUX_EPROTO_TYPE);
    for (unsigned bit = 4; bit < 16; bit++)
        for (unsigned t = 0; t <= 3; t++)
            assert_int_equal(validate(0, (uint8_t)t, (uint16_t)(1u << bit), t < 2 ? 1 : 0, 0),
                             YAMUX_EPROTO_FLAGS);
    assert_int_equal(validate(0, YAMUX_TYPE_DATA, 0, 0, 0), YAMUX_EPROTO_STREAM_ID);
    assert_int_equal(validate(0, YAMUX_TYPE_WINDOW_UPDATE, YAMUX_FLAG_SYN, 0, 0),
                     YAMUX_EPROTO_STREAM_ID);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_SYN, 1, 0), YAMUX_EPROTO_STREAM_ID);
    assert_int_equal(validate(0, YAMUX_TYPE_GOAWAY, 0, 3, 0), YAMUX_EPROTO_STREAM_ID);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, 0, 0, 0), YAMUX_EPROTO_FLAGS);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_SYN | YAMUX_FLAG_ACK, 0, 0),
                     YAMUX_EPROTO_FLAGS);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_FIN, 0, 0), YAMUX_EPROTO_FLAGS);
    assert_int_equal(validate(0, YAMUX_TYPE_PING, YAMUX_FLAG_RST, 0, 0), YAMUX_EPROTO_FLAGS);
    assert_int_equal(validate(0, YAMUX_TYPE_GOAWAY, YAMUX_FLAG_SYN, 0, 0), YAMUX_EPROTO_FLAGS);
}

static void test_names_and_errors(void **state) {
    (void)state;
    assert_string_equal(yamux_frame_type_name(YAMUX_TYPE_DATA), "DATA");
    assert_string_equal(yamux_frame_type_name(YAMUX_TYPE_GOAWAY), "GOAWAY");
    assert_string_equal(yamux_frame_type_name(9), "UNKNOWN");
    for (int e = 0; e >= -60; e--) {
        const char *s = yamux_strerror(e);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        int named = strcmp(yamux_errname(e), "YAMUX_E?") != 0;
        assert_int_equal(named, strcmp(s, "unknown error") != 0);
    }
    assert_true(yamux_error_is_protocol(YAMUX_EPROTO_RECV_WINDOW));
    assert_false(yamux_error_is_protocol(YAMUX_EREMOTE_PROTOCOL));
    assert_false(yamux_error_is_protocol(YAMUX_EAGAIN));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),    cmocka_unit_test(test_roundtrip_all_types_flags),
        cmocka_unit_test(test_validate_good),    cmocka_unit_test(test_validate_bad),
        cmocka_unit_test(test_names_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
