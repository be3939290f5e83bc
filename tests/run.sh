#!/usr/bin/env bash
# The test suite behind `make test`: cmocka unit tests, then integration tests on the real
# node images under testdata/. Prints one closing line "tests: N passed, N failed" and exits
# non-zero when anything failed.
#   HUSK=path/to/husk BUILD=build-dir tests/run.sh [--unit-only]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$root/build}
HUSK=${HUSK:-$BUILD/husk}
export HUSK ROOT="$root"
pass=0
fail=0

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed before its summary
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -ne 0 ]; then
        printf '%s\n' "$out"
        echo "FAIL unit $(basename "$t")"
    else
        echo "ok   unit $(basename "$t") ($p)"
    fi
done

if [ "${1:-}" != "--unit-only" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/husk-test.XXXXXX")
    export WORK
    trap 'rm -rf "$WORK"' EXIT
    for t in "$root"/tests/integration/test_*.sh; do
        [ -f "$t" ] || continue
        name=$(basename "$t" .sh)
        out=$(bash "$t" 2>&1)
        rc=$?
        p=$(printf '%s\n' "$out" | grep -c '^ok ')
        f=$(printf '%s\n' "$out" | grep -c '^not ok ')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        pass=$((pass + p))
        fail=$((fail + f))
        if [ "$f" -ne 0 ]; then
            printf '%s\n' "$out" | grep -v '^ok ' | head -n 60
            echo "FAIL integration $name ($f failed, $p passed)"
        else
            echo "ok   integration $name ($p)"
        fi
    done
fi

echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
