#!/usr/bin/env bash
# Coverage of the same module and the same hypercall on both backends: x1 = 5
# takes the `else` branch, so branchy_small's line is hit and branchy_big's
# and branchy_unused's are not.
#  * Unicorn: pkvm run --coverage (lcov tracefile) / --coverage-drcov;
#    genhtml renders the tracefile when lcov is installed;
#  * native: the module built with pkvm_add_module(... COVERAGE), read by gcov
#    (and by lcov --capture when installed).
# usage: coverage_test.sh PKVM BRANCHY_KO BRANCHY_COV_SO EL2_OBJECT EL2_SOURCE BUILD_DIR
set -u
PKVM=$1 KO=$2 COV_SO=$3 EL2_OBJ=$4 SRC=$5 BUILD=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2"; fail=$((fail+1)); }
line_of() { grep -n "/\* $1 \*/" "$SRC" | head -1 | cut -d: -f1; }
BIG=$(line_of BRANCHY_BIG) SMALL=$(line_of BRANCHY_SMALL) UNUSED=$(line_of BRANCHY_UNUSED)
CMD=(--cmdline kvm-arm.protected_modules=branchy --hvc 128:5)

# --- Unicorn: lcov tracefile and drcov ---
"$PKVM" run --backend unicorn --module "$KO" "${CMD[@]}" --coverage "$work/u.info" \
  --coverage-drcov "$work/u.drcov" >"$work/u.out" 2>&1 || bad "unicorn run" "$work/u.out"
grep -q '^hvc 0xc6000080 -> x0=0x0 x1=0x6$' "$work/u.out" && ok "unicorn: the hypercall ran" || bad "unicorn result" "$work/u.out"
# The record of the EL2 source: SF:<path ending in branchy/hyp/el2.c> .. end_of_record.
awk '/^SF:.*branchy\/hyp\/el2\.c$/{on=1} on{print} /^end_of_record/{on=0}' "$work/u.info" >"$work/el2.rec"
da() { grep -E "^DA:$1," "$work/el2.rec" | cut -d, -f2; }
[ "$(da "$SMALL")" != "" ] && [ "$(da "$SMALL")" -gt 0 ] && ok "unicorn: BRANCHY_SMALL (line $SMALL) hit" || bad "unicorn: line $SMALL not hit" "$work/el2.rec"
[ "$(da "$BIG")" = 0 ] && ok "unicorn: BRANCHY_BIG (line $BIG) not hit" || bad "unicorn: line $BIG" "$work/el2.rec"
[ "$(da "$UNUSED")" = 0 ] && ok "unicorn: BRANCHY_UNUSED (line $UNUSED) not hit" || bad "unicorn: line $UNUSED" "$work/el2.rec"
# EL1 lines too: module_init ran.
awk '/^SF:.*branchy\/el1\.c$/{on=1} on{print} /^end_of_record/{on=0}' "$work/u.info" >"$work/el1.rec"
grep -qE '^LH:[1-9]' "$work/el1.rec" && ok "unicorn: EL1 lines (module_init) hit" || bad "unicorn: no EL1 lines" "$work/u.info"
head -c 300 "$work/u.drcov" >"$work/drcov.head"
if grep -q '^DRCOV VERSION: 2$' "$work/drcov.head" && grep -q 'Module Table: version 2, count 2' "$work/drcov.head" &&
   grep -aqE '^BB Table: [1-9][0-9]* bbs$' "$work/u.drcov"; then
  ok "unicorn: drcov with the module's EL1 and EL2 parts and basic blocks"
else
  bad "unicorn: drcov header" "$work/drcov.head"
fi
if command -v genhtml >/dev/null; then
  genhtml -q -o "$work/html" "$work/u.info" >"$work/genhtml.out" 2>&1 && [ -f "$work/html/index.html" ] &&
    ok "genhtml renders the tracefile" || bad "genhtml" "$work/genhtml.out"
else
  echo "skip genhtml (Debian lcov not installed)"
fi

# --- native: gcov ---
objdir=$(dirname "$EL2_OBJ")
rm -f "$objdir"/*.gcda
"$PKVM" run --backend native --module "$COV_SO" "${CMD[@]}" >"$work/n.out" 2>&1 || bad "native run" "$work/n.out"
grep -q '^hvc 0xc6000080 -> x0=0x0 x1=0x6$' "$work/n.out" && ok "native: the hypercall ran" || bad "native result" "$work/n.out"
# gcov finds the source by the path the compiler was given (relative to the build tree).
(cd "$BUILD" && gcov -t -o "$EL2_OBJ" "$SRC") >"$work/el2.gcov" 2>"$work/gcov.err"
count() { grep -E "^ *[0-9#]+: *$1:" "$work/el2.gcov" | cut -d: -f1 | tr -d ' '; }
c=$(count "$SMALL"); [ -n "$c" ] && [ "$c" != "#####" ] && [ "$c" -gt 0 ] && ok "native: BRANCHY_SMALL (line $SMALL) hit" || bad "native: line $SMALL" "$work/el2.gcov"
[ "$(count "$BIG")" = "#####" ] && ok "native: BRANCHY_BIG (line $BIG) not hit" || bad "native: line $BIG" "$work/el2.gcov"
[ "$(count "$UNUSED")" = "#####" ] && ok "native: BRANCHY_UNUSED (line $UNUSED) not hit" || bad "native: line $UNUSED" "$work/el2.gcov"
if command -v lcov >/dev/null; then
  (cd "$BUILD" && lcov -q --capture --directory "$objdir" -o "$work/n.info") >"$work/lcov.out" 2>&1
  awk '/^SF:.*branchy\/hyp\/el2\.c$/{on=1} on{print} /^end_of_record/{on=0}' "$work/n.info" >"$work/n.rec" 2>/dev/null
  grep -q "^DA:$SMALL,[1-9]" "$work/n.rec" && grep -q "^DA:$BIG,0" "$work/n.rec" &&
    ok "native: lcov --capture reads the .gcda" || bad "native: lcov capture" "$work/lcov.out"
fi

echo "coverage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
