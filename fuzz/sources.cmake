# Source lists of the fuzz drivers, shared by fuzz/CMakeLists.txt (clang, libFuzzer) and
# tests/CMakeLists.txt (test_regress replays fuzz findings with any compiler).
set(YAMUX_FUZZ_CHECK_SOURCES
  fz_fail.c fz_pattern.c fz_alloc.c fz_ledger.c fz_wire.c fz_observe.c fz_invariants.c fz_region.c)
set(YAMUX_FUZZ_DRIVER_SOURCES
  fz_config.c fz_side.c fz_stream_io.c fz_callbacks.c fz_app.c drv_frame.c drv_session.c drv_pair.c drv_shmq.c)
list(TRANSFORM YAMUX_FUZZ_CHECK_SOURCES PREPEND "${CMAKE_CURRENT_LIST_DIR}/")
list(TRANSFORM YAMUX_FUZZ_DRIVER_SOURCES PREPEND "${CMAKE_CURRENT_LIST_DIR}/")
