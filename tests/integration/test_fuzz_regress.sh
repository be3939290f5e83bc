#!/usr/bin/env bash
# Regression run of the fuzz targets (docs/fuzzing.md): every target of tests/fuzz/, built by
# `make test` with tests/fuzz/regress_main.c instead of libFuzzer (and with the sanitizers in
# `make asan`), executes each seed of tests/fuzz/corpus/<target>/ (cut from the real images by
# scripts/fuzz-seeds.sh) and each input that once made a parser fail under the fuzzer
# (tests/fuzz/regress/<target>/) once. Any crash, sanitizer report or leak fails the test.
. "$(dirname "$0")/lib.sh"
B=${BUILD:-$ROOT/build}

for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
    n=$(basename "$src" .c)
    n=${n#fuzz_}
    bin=$B/fuzz/regress_$n
    if [ ! -x "$bin" ]; then
        notok "fuzz regress $n: $bin not built (make test builds it)"
        continue
    fi
    seeds=$(find "$ROOT/tests/fuzz/corpus/$n" -type f 2>/dev/null | wc -l)
    if [ "$seeds" -eq 0 ]; then
        notok "fuzz regress $n: no seeds in tests/fuzz/corpus/$n"
        continue
    fi
    regs=$(find "$ROOT/tests/fuzz/regress/$n" -type f 2>/dev/null | wc -l)
    out=$("$bin" "$ROOT/tests/fuzz/corpus/$n" "$ROOT/tests/fuzz/regress/$n" 2>&1)
    rc=$?
    want="regress: $((seeds + regs)) inputs run"
    if [ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" == "$want" ]; then
        ok "fuzz regress $n: $seeds seeds, $regs regression inputs"
    else
        notok "fuzz regress $n (exit $rc): $(printf '%s\n' "$out" | head -n 30)"
    fi
done
