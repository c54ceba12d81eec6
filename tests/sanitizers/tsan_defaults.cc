// ThreadSanitizer's defaults for every binary built with --config=tsan (linked in through
// --custom_malloc in .bazelrc, so the gateway and the emulator that tests start carry them
// too). TSan reads these before main.
//
// The suppressions name what TSan cannot see through: Debian's libraries (gRPC, Abseil,
// protobuf, Boost) are built without -fsanitize=thread, so their locks and atomics are
// invisible to it.

extern "C" {

const char* __tsan_default_options() { return "halt_on_error=1:second_deadlock_stack=1"; }

const char* __tsan_default_suppressions() { return ""; }

}  // extern "C"
