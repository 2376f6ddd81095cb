#!/usr/bin/env bash
# Builds test/generators (pkvm_add_module() and pkvm_add_kbuild_module() out
# of tree, against the build tree's package) with Ninja and with Unix
# Makefiles, twice each (the second build must find nothing to redo wrongly),
# and runs what they built.
# usage: generators_test.sh PKVM PKVM_DIR SOURCE_DIR WORK_DIR
set -u
PKVM=$1 PKVM_DIR=$2 SRC=$3 WORK=$4
pass=0 fail=0
rm -rf "$WORK"
check() {  # NAME REGEX -- command...
  local name=$1 regex=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne 0 ] || ! grep -qE -- "$regex" <<<"$out"; then
    echo "FAIL $name (exit $rc)"; echo "$out" | tail -25 | sed 's/^/    /'; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}
for gen in Ninja "Unix Makefiles"; do
  g=${gen// /_}
  B=$WORK/$g
  check "$g/configure" "Generating done" -- \
    cmake -S "$SRC/test/generators" -B "$B" -G "$gen" -Dpkvm_DIR="$PKVM_DIR" -DPKVM_SOURCE_DIR="$SRC"
  check "$g/build" "" -- cmake --build "$B" -j 2
  check "$g/rebuild" "" -- cmake --build "$B" -j 2
  check "$g/hello_hypercall" "hvc 0xc6000080 -> x0=0x0 x1=0x0" -- \
    "$PKVM" run --generation 16 --cmdline kvm-arm.protected_modules=hello_hypercall \
    --module "$B/hello_hypercall.so" -v --hvc 128
  check "$g/provider+consumer" "pKVM module consumer loaded" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=provider,consumer \
    --module "$B/provider.so" --module "$B/consumer.so"
  check "$g/kbuild" "hvc 0xc6000080 -> x0=0x0 x1=0x100f x2=0x1 x3=0x0" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_kbuild --module "$B/pkvm_kbuild.so" -v --hvc 128:5
  check "$g/ddk" "hvc 0xc6000080 -> x0=0x0 x1=0x28 x2=0x1" -- \
    "$PKVM" run --generation 16 --cmdline kvm-arm.protected_modules=pkvm_ddk --module "$B/pkvm_ddk.so" -v --hvc 128:5
  check "$g/kconfig" "hvc 0xc6000080 -> x0=0x0 x1=0x2a x2=0x3 x3=0x66" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_kconfig --module "$B/pkvm_kconfig.so" -v --hvc 128
  if [ -f "$B/pkvm_asm.ko" ]; then
    check "$g/asm.ko" "hvc 0xc6000080 -> x0=0x0 x1=0xc" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_asm --module "$B/pkvm_asm.ko" -v --hvc 128:5:6
    check "$g/inline_asm.ko" "hvc 0xc6000080 -> x0=0x0 x1=0x6" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_inline_asm --module "$B/pkvm_inline_asm.ko" -v --hvc 128:5
  fi
  if [ -f "$B/pkvm_kbuild.ko" ]; then
    check "$g/kbuild.ko" "hvc 0xc6000080 -> x0=0x0 x1=0x100f x2=0x1 x3=0x0" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_kbuild \
      --module "$B/pkvm_kbuild.ko" -v --hvc 128:5
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
