// Declares the functions web/wasm/event_glue.c imports, so that the Emscripten link accepts
// them; web/src/event/engine.js provides the real ones when it instantiates yamux_event.wasm.
mergeInto(LibraryManager.library, {
  yxw_on_incoming: function (sid) {},
  yxw_on_stream: function (sid, st, events) {},
  yxw_on_ping: function (sid, opaque, status, rtt) {},
  yxw_on_goaway: function (sid) {},
  yxw_on_close: function (sid, err) {},
  yxw_on_data: function (sid, st, data, len) { return 0; },
});
