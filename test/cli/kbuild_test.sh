#!/usr/bin/env bash
# Tests of `pkvm build DIR`: the pattern modules of test/modules/ktree build
# from their own Kbuild / BUILD.bazel with Ninja and with Make, load and
# answer their hypercalls (natively and on Unicorn); broken module
# directories get messages naming the file, line and construct, or the
# header / API and the option that helps.
# usage: kbuild_test.sh PKVM KTREE ERRORS_DIR WORK_DIR [unicorn]
set -u
PKVM=$1 KTREE=$2 ERRORS=$3 WORK=$4 UNICORN=${5:-}
pass=0 fail=0
rm -rf "$WORK"
mkdir -p "$WORK"

# expect NAME STATUS REGEX -- command...: exit status, and stdout+stderr
# (CMake wraps its messages: newlines are joined) matching REGEX.
expect() {
  local name=$1 status=$2 regex=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  local flat
  flat=$(tr '\n' ' ' <<<"$out" | tr -s ' ')
  if [ "$rc" -ne "$status" ]; then
    echo "FAIL $name: exit $rc, expected $status"; echo "$out" | tail -30 | sed 's/^/    /'
    fail=$((fail+1)); return
  fi
  if ! grep -qE -- "$regex" <<<"$flat"; then
    echo "FAIL $name: output does not match /$regex/"; echo "$out" | tail -30 | sed 's/^/    /'
    fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

M=$KTREE/drivers/misc
for gen in Ninja "Unix Makefiles"; do
  g=${gen// /_}
  O=$WORK/$g
  expect "$g/kbuild-builds" 0 "built module pkvm_kbuild: .*pkvm run --generation 15 --cmdline kvm-arm.protected_modules=pkvm_kbuild --module $O/kbuild/pkvm_kbuild.so" -- \
    "$PKVM" build "$M/pkvm_kbuild" --source-root "$KTREE" --out "$O/kbuild" --generator "$gen"
  expect "$g/kbuild-runs" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x100f x2=0x1 x3=0x0" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_kbuild --module "$O/kbuild/pkvm_kbuild.so" -v --hvc 128:5
  expect "$g/ddk-builds" 0 "built module pkvm_ddk:" -- \
    "$PKVM" build "$M/pkvm_ddk" --generation 16 --out "$O/ddk" --generator "$gen"
  expect "$g/ddk-runs" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x28 x2=0x1" -- \
    "$PKVM" run --generation 16 --cmdline kvm-arm.protected_modules=pkvm_ddk --module "$O/ddk/pkvm_ddk.so" -v --hvc 128:5
  expect "$g/kconfig-builds" 0 "built module pkvm_kconfig:" -- \
    "$PKVM" build "$M/pkvm_kconfig" --kconfig "$M/pkvm_kconfig/pkvm_kconfig.config" --out "$O/kconfig" --generator "$gen"
  expect "$g/kconfig-runs" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x2a x2=0x3 x3=0x66" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_kconfig --module "$O/kconfig/pkvm_kconfig.so" -v --hvc 128
  # The same Kbuild with one value changed: extra.o is not built, the ifeq
  # takes its else branch.
  expect "$g/kconfig-value-builds" 0 "built module pkvm_kconfig:" -- \
    "$PKVM" build "$M/pkvm_kconfig" --kconfig "$M/pkvm_kconfig/pkvm_kconfig.config" \
    --kconfig CONFIG_PKVM_KCONFIG_EXTRA=n --out "$O/kconfig-n" --generator "$gen"
  expect "$g/kconfig-value-runs" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x0 x2=0x3 x3=0x2" -- \
    "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_kconfig --module "$O/kconfig-n/pkvm_kconfig.so" -v --hvc 128
  if [ -n "$UNICORN" ]; then
    expect "$g/asm-builds" 0 "its EL2 part has AArch64 assembly: it runs on the unicorn backend only" -- \
      "$PKVM" build "$M/pkvm_asm" --out "$O/asm" --generator "$gen"
    expect "$g/asm-refused-natively" 2 "module pkvm_asm: this module has AArch64 assembly in its EL2 part \(add.S\): use --backend unicorn" -- \
      "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_asm --module "$O/asm/pkvm_asm.so"
    expect "$g/asm-runs-on-unicorn" 0 "hvc 0xc6000080 -> x0=0x0 x1=0xc" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_asm --module "$O/asm/pkvm_asm.ko" -v --hvc 128:5:6
    expect "$g/inline-asm-needs-unicorn-only" 1 "pkvm: pkvm_inline_asm: this looks like AArch64 inline assembly, which the native backend cannot build: build the module for the Unicorn backend only \(pkvm_add_module\(\.\.\. UNICORN_ONLY\), pkvm build --unicorn-only\)" -- \
      "$PKVM" build "$M/pkvm_inline_asm" --out "$O/inline-asm-native" --generator "$gen"
    expect "$g/inline-asm-builds-unicorn-only" 0 "pkvm run --backend unicorn .*pkvm_inline_asm.ko" -- \
      "$PKVM" build "$M/pkvm_inline_asm" --unicorn-only --out "$O/inline-asm" --generator "$gen"
    expect "$g/inline-asm-runs-on-unicorn" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x6" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_inline_asm --module "$O/inline-asm/pkvm_inline_asm.ko" -v --hvc 128:5
    expect "$g/inline-asm-refused-natively" 2 "module pkvm_inline_asm: this module has AArch64 assembly in its EL2 part \(inline assembly\): use --backend unicorn" -- \
      "$PKVM" run --cmdline kvm-arm.protected_modules=pkvm_inline_asm --module "$O/inline-asm/pkvm_inline_asm.so"
    expect "$g/kbuild-runs-on-unicorn" 0 "hvc 0xc6000080 -> x0=0x0 x1=0x100f x2=0x1 x3=0x0" -- \
      "$PKVM" run --backend unicorn --cmdline kvm-arm.protected_modules=pkvm_kbuild --module "$O/kbuild/pkvm_kbuild.ko" -v --hvc 128:5
  fi
done

E=$ERRORS
# Without the tree's root, a kernel-tree-relative HYP_EVENT_FILE is not
# found, and the note says which option supplies it.
expect needs-source-root 1 'pkvm: needs_root_event: "\.\./\.\./\.\./\.\./drivers/misc/acme/hyp/events\.h" is a path relative to the kernel tree: pass the tree.s root with SOURCE_ROOT \(pkvm_add_module\) or --source-root \(pkvm build\)' -- \
  "$PKVM" build "$E/needs_root_event" --out "$WORK/no-root"

expect unknown-construct 1 "unknown_construct/Kbuild:3: 'define BAD_RECIPE': Kbuild construct not understood" -- \
  "$PKVM" build "$E/unknown_construct" --out "$WORK/e1"
expect unknown-make-function 1 "unknown_function/Kbuild:2: '\\\$\(shell': make expression not understood" -- \
  "$PKVM" build "$E/unknown_function" --out "$WORK/e2"
expect unknown-bazel-rule 1 "bazel_rule/BUILD.bazel:3: cc_library\(\): rule not understood" -- \
  "$PKVM" build "$E/bazel_rule" --out "$WORK/e3"
expect srctree-include-needs-root 1 "-I\\\$\(srctree\)/drivers/soc/acme/include: not in libpkvm's kernel headers .* --source-root \(pkvm build\)" -- \
  "$PKVM" build "$E/needs_source_root" --out "$WORK/e4"
expect missing-header 1 "pkvm: missing_header: header 'vendor/board_secrets.h' not found: add the directory that holds it with INCLUDE_DIRS \(pkvm_add_module\) or -I \(pkvm build\)" -- \
  "$PKVM" build "$E/missing_header" --out "$WORK/e5"
expect kernel-header 1 "pkvm: kernel_header: <linux/soc/qcom/geni-se.h> is a kernel header libpkvm does not provide for A15" -- \
  "$PKVM" build "$E/kernel_header" --out "$WORK/e6"
expect missing-api 1 "pkvm: missing_api: 'hyp_vendor_secure_call' is not provided by libpkvm for A16" -- \
  "$PKVM" build "$E/missing_api" --generation 16 --out "$WORK/e7"
expect bad-dir 2 "has no Kbuild, Makefile or BUILD.bazel" -- "$PKVM" build "$E" --out "$WORK/e8"
expect no-dir 2 "which module directory" -- "$PKVM" build
expect bad-generation 2 "unknown generation '13'" -- "$PKVM" build "$M/pkvm_kbuild" --generation 13

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
