#ifndef C_FUZZER_DRIVER_H
#define C_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that keep their own `main` (LLVM 11+, part of
/// libclang_rt.fuzzer, linked by `-sanitize=fuzzer`). SwiftPM gives every executable
/// target a Swift `main` (it links `main` to `<Module>_main`), so libFuzzer's own `main`
/// can't be used: the harness's main.swift calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
