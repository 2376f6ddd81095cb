#!/usr/bin/env bash
# Tests of the `pkvm` command: output, exit status and messages.
# usage: cli_test.sh PKVM A14_MODULE_SO A15_MODULE_SO HELLO_HYPERCALL_SO [DEBUG_UART_SO UART_DTS]
set -u
PKVM=$1 A14=$2 A15=$3 HELLO=$4 UART=${5:-} UART_DTS=${6:-}
# From the environment (test/cli/CMakeLists.txt): the probe and faulty modules.
PROBE=${PKVM_PROBE_SO:?} FAULTY_SO=${PKVM_FAULTY_SO:?} FAULTY_KO=${PKVM_FAULTY_KO:-}
pass=0 fail=0

# expect NAME STATUS REGEX -- command...: runs it, checks the exit status and
# that stdout+stderr match REGEX (grep -E).
expect() {
  local name=$1 status=$2 regex=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$status" ]; then
    echo "FAIL $name: exit $rc, expected $status"; echo "$out" | sed 's/^/    /'; fail=$((fail+1)); return
  fi
  if ! grep -qE -- "$regex" <<<"$out"; then
    echo "FAIL $name: output does not match /$regex/"; echo "$out" | sed 's/^/    /'; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

# expect_not NAME REGEX -- command...: exits 0 and stdout+stderr do NOT match.
expect_not() {
  local name=$1 regex=$2; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne 0 ] || grep -qE -- "$regex" <<<"$out"; then
    echo "FAIL $name: exit $rc or output matches /$regex/"; echo "$out" | sed 's/^/    /'; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

# expect_count NAME COUNT REGEX -- command...: exactly COUNT lines of
# stdout+stderr match REGEX (any exit status).
expect_count() {
  local name=$1 count=$2 regex=$3; shift 4
  local out n
  out=$("$@" 2>&1)
  n=$(grep -cE -- "$regex" <<<"$out")
  if [ "$n" -ne "$count" ]; then
    echo "FAIL $name: $n lines match /$regex/, expected $count"; echo "$out" | sed 's/^/    /'; fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}

CMD="kvm-arm.protected_modules=pkvm_driver"
expect help 0 'pkvm run \[--generation' -- "$PKVM" --help
expect no-args 2 'usage: pkvm' -- "$PKVM"
expect unknown-command 2 "unknown command 'fly'" -- "$PKVM" fly
expect a15-example 0 'hvc 0xc6000080 -> x0=0x0$' -- \
  "$PKVM" run --generation 15 --cmdline "$CMD" --module "$A15" --hvc 128
expect a14-example 0 'hvc 0xc6000080 -> x0=0x0$' -- \
  "$PKVM" run --generation 14 --cmdline "$CMD" --module "$A14" --hvc 0xc6000080
expect boot-log 0 'pKVM module pkvm_driver loaded' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15"
expect args-pass-through 0 'hvc 0xc6000080 -> x0=0x0 x1=0x0 x2=0x2a x3=0xffffffffffffffff x4=0x0 .* x17=0x0$' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --hvc 128:1:42:-1 -v
# Without -v: x0 and the registers the call changed (pkvm_driver clears x1).
expect changed-registers-only 0 'hvc 0xc6000080 -> x0=0x0 x1=0x0$' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --hvc 128:1:42:-1
expect unknown-dynamic-id 0 'hvc 0xc6000081 -> x0=0xffffffffffffffff' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --hvc 129
expect offered-not-named 0 'hvc 0xc6000080 -> x0=0xffffffffffffffff' -- \
  "$PKVM" run --cmdline "quiet" --module "$A15" --hvc 128
expect offered-not-named-warns 0 'pkvm: warning: module pkvm_driver \(.*pkvm_driver.so\) was offered but not loaded: kvm-arm.protected_modules= does not name it' -- \
  "$PKVM" run --cmdline "quiet" --module "$A15" --hvc 128
expect_not named-and-offered-no-warning 'warning' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=pkvm-driver" --module "$A15" --hvc 128
expect named-not-offered 1 'protected VMs disabled: pKVM module ghost failed to load with -ENOENT' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=ghost" --hvc 128
expect wrong-generation 2 'built for A15 .* machine runs A14' -- \
  "$PKVM" run --generation 14 --cmdline "$CMD" --module "$A15"
expect bad-generation 2 'unknown generation' -- "$PKVM" run --generation 13
expect bad-cpus 2 'must be a number from 1 to 64' -- "$PKVM" run --cpus 0
expect bare-protected-modules 2 'malformed early option' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules"
expect duplicate-names 0 'listed twice' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=pkvm_driver,pkvm-driver" --module "$A15"
expect bad-hvc-id 2 "is neither a host hypercall number" -- "$PKVM" run --hvc 70000
expect bad-hvc-arg 2 "argument 'x' is not a number" -- "$PKVM" run --hvc 128:x
expect missing-module-file 2 'cannot load module /nonexistent.so' -- \
  "$PKVM" run --module /nonexistent.so
expect not-a-module 2 'is not a libpkvm native module' -- "$PKVM" run --module "$PKVM_NOT_A_MODULE"
expect unknown-option 2 'unknown option --frobnicate' -- "$PKVM" run --frobnicate 1
expect missing-value 2 '--cmdline needs a value' -- "$PKVM" run --cmdline

# SMCs, CPUs, registers (the probe module: x1 = command, results in x1..x3;
# command 2 registers a host SMC handler answering 0x82000001 with x1=0x5a,
# 24 returns the CPU number, 9 calls ops->puts, 0 answers 0x600d).
PCMD="kvm-arm.protected_modules=probe"
expect smc-handled-by-module 0 'smc 0x82000001 -> x0=0x0 x1=0x5a \(handled by a module\)$' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --hvc 128:2 --smc 0x82000001
expect smc-forwarded-to-el3 0 'smc 0x84000000 -> x0=0xffffffffffffffff \(forwarded to EL3\)$' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --smc 0x84000000
expect smc-args 0 'smc 0x82000001 -> x0=0x0 x1=0x5a x2=0x7 x3=0x0 .* x17=0x0 \(handled by a module\)$' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --hvc 128:2 --smc 0x82000001:1:7 -v
expect bad-smc-id 2 "--smc 0x1ffffffff: '0x1ffffffff' is not a 32-bit SMCCC function id" -- \
  "$PKVM" run --smc 0x1ffffffff
expect hvc-on-cpu 0 'hvc 0xc6000080 on CPU 1 -> x0=0x0 x1=0x1$' -- \
  "$PKVM" run --cpus 2 --cmdline "$PCMD" --module "$PROBE" --cpu 1 --hvc 128:24
# --cpu applies to the calls after it: the first runs on CPU 0.
expect hvc-cpu-0-first 0 '^hvc 0xc6000080 -> x0=0x0 x1=0x0$' -- \
  "$PKVM" run --cpus 3 --cmdline "$PCMD" --module "$PROBE" --hvc 128:24 --cpu 2 --hvc 128:24
expect smc-on-cpu 0 'smc 0x82000001 on CPU 1 -> x0=0x0 x1=0x5a' -- \
  "$PKVM" run --cpus 2 --cmdline "$PCMD" --module "$PROBE" --hvc 128:2 --cpu 1 --smc 0x82000001
expect cpu-out-of-range 2 '--cpu 2: the machine has 2 CPUs' -- \
  "$PKVM" run --cpu 2 --hvc 128 --cpus 2
expect cpu-one-cpu 2 '--cpu 1: the machine has 1 CPU \(' -- "$PKVM" run --cpu 1 --hvc 128
expect bad-cpu 2 '--cpu x: must be a CPU number' -- "$PKVM" run --cpu x
expect changed-only-probe 0 'hvc 0xc6000080 -> x0=0x0 x1=0x600d$' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --hvc 128:0:5:6
# ops->puts with no serial driver prints nothing, as in the kernel: the boot
# log says so, once.
expect_count puts-without-serial-driver 1 'ops->puts\(\) printed nothing: no serial driver is registered' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --hvc 128:9 --hvc 128:9
expect_not puts-with-serial-driver 'printed nothing' -- \
  "$PKVM" run --cmdline "$PCMD" --module "$PROBE" --hvc 128:7 --hvc 128:9
# The panic report (registers and all) is printed once; the HVC line and the
# exit reason name it in one line.
expect_count panic-report-in-log 1 '^HYP panic on CPU0: BUG at .*faulty/hyp/el2.c' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=faulty" --module "$FAULTY_SO" --hvc 128:7
if [ -n "$FAULTY_KO" ]; then
  expect_count panic-registers-once 1 '^  x28 ' -- \
    "$PKVM" run --backend unicorn --cmdline "kvm-arm.protected_modules=faulty" \
    --module "$FAULTY_KO" --hvc 128:1
  expect time-limit 1 'HYP panic on CPU0: EL2 exception: runaway code: still running after 100 ms' -- \
    "$PKVM" run --backend unicorn --cmdline "kvm-arm.protected_modules=faulty" \
    --module "$FAULTY_KO" --time-limit-ms 100 --hvc 128:5
fi
# --a16-kmi: the machine's A16 ops table at the level late_kmi was built for
# (KABI slots 5 and 6 filled: x1 = 3), and a level libpkvm does not know.
LATE_KMI=${PKVM_LATE_KMI_SO:?}
expect a16-kmi-late 0 'hvc 0xc6000080 -> x0=0x0 x1=0x3' -- \
  "$PKVM" run --generation 16 --a16-kmi 2 --cmdline kvm-arm.protected_modules=late_kmi \
    --module "$LATE_KMI" --hvc 128:7
expect a16-kmi-verified 0 'hvc 0xc6000080 -> x0=0x0 x1=0x0' -- \
  "$PKVM" run --generation 16 --cmdline kvm-arm.protected_modules=late_kmi \
    --module "$LATE_KMI" --hvc 128:7
expect a16-kmi-bad 2 '--a16-kmi 3: must be 0..2' -- "$PKVM" run --a16-kmi 3
# --generation 17: the provisional A17 table; a17_ops loads tokenless and
# answers iommu_register_pviommu_drv (command 10) with 0.
A17_OPS=${PKVM_A17_OPS_SO:?}
expect a17-run 0 'hvc 0xc6000080 -> x0=0x0 x1=0x0' -- \
  "$PKVM" run --generation 17 --cmdline kvm-arm.protected_modules=a17_ops \
    --module "$A17_OPS" --hvc 128:10:7
expect a17-help 0 '17 = android17-6.18' -- "$PKVM" run --help
expect bad-generation-18 2 'use 14, 15, 16 or 17' -- "$PKVM" run --generation 18
# Native module code is contained too: a runaway loop is stopped by the
# time limit, a NULL load is a hyp panic naming the line, the report printed
# once (the HVC line and the exit reason name it in one line each).
expect time-limit-native 1 'HYP panic on CPU0: EL2 exception: runaway code: still running after 100 ms' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=faulty" --module "$FAULTY_SO" \
  --time-limit-ms 100 --hvc 128:5
expect native-null-load 1 'pc 0x[0-9a-f]+ faulty_hyp_hvc\+0x[0-9a-f]+ \(el2\.c:[0-9]+\)' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=faulty" --module "$FAULTY_SO" --hvc 128:8:0
expect_count native-report-once 1 'Call trace:' -- \
  "$PKVM" run --cmdline "kvm-arm.protected_modules=faulty" --module "$FAULTY_SO" --hvc 128:8:0
expect bad-time-limit 2 '--time-limit-ms -1: must be a number of milliseconds' -- \
  "$PKVM" run --time-limit-ms -1
# Errors a person can act on.
NOTELF=$(mktemp)
echo "not a module" >"$NOTELF"
expect not-elf 2 "-ENOEXEC: cannot load module $NOTELF: not an ELF file" -- "$PKVM" run --module "$NOTELF"
expect module-is-dir 2 '-EISDIR: cannot load module /: it is a directory' -- "$PKVM" run --module /
expect dump-into-file 1 'tracefs dump -> failed: -ENOTDIR: ' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-dump "$NOTELF"
rm -f "$NOTELF"
expect quoted-value-no-newline 1 "failed: -EINVAL: 'abc' is not a decimal number" -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-write hyp/buffer_size_kb=abc
expect tracefs-wrong-event 1 'hyp/events/nope/enable: no such file .*\(hyp/events/ has: .*pkvm_driver_event/' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-write hyp/events/nope/enable=1
expect tracefs-wrong-root 1 'paths start with hyp/ on this generation' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-write hypervisor/tracing_on=1
expect list-tracefs-a15 0 '^  0700 hyp/events/pkvm_driver_event/enable$' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --list-tracefs
expect list-tracefs-a16 0 '^  0700 hypervisor/events/hypervisor/__hyp_printk/enable$' -- \
  "$PKVM" run --generation 16 --cmdline "kvm-arm.protected_modules=hello_hypercall" \
  --module "$HELLO" --list-tracefs
expect list-tracefs-cpus 0 '^  0440 hyp/per_cpu/cpu1/trace_pipe_raw$' -- \
  "$PKVM" run --cpus 2 --list-tracefs

# Tracing: tracefs writes before the HVCs, trace_pipe after them.
expect trace-module-event 0 $'trace_pipe:\n\\[000\\]\t +0\\.000000: pkvm_driver_event id=0x00000042' -- \
  "$PKVM" run --generation 15 --cmdline "$CMD" --module "$A15" --trace-clock manual \
  --tracefs-write hyp/tracing_on=1 --tracefs-write hyp/events/pkvm_driver_event/enable=1 \
  --hvc 128:0x42 --print-trace
expect trace-hello-world 0 '__hyp_printk Hello World$' -- \
  "$PKVM" run --generation 16 --cmdline "kvm-arm.protected_modules=hello_hypercall" \
  --module "$HELLO" --tracefs-write hypervisor/tracing_on=1 \
  --tracefs-write hypervisor/events/hypervisor/__hyp_printk/enable=1 --hvc 128 --print-trace
expect trace-printk-mirror 0 'host_hcall id=128 invalid=0' -- \
  "$PKVM" run --cmdline "$CMD hyp_event=host_hcall hyp_trace_printk" --module "$A15" --hvc 128
expect trace-bad-write 1 'tracefs write hyp/events/host_hcall/enable=2 -> failed: -EINVAL' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-write hyp/events/host_hcall/enable=2
expect trace-unknown-file 1 'failed: -ENOENT: hyp/nope: no such file' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-write hyp/nope=1
expect trace-write-syntax 2 'expected PATH=VALUE' -- "$PKVM" run --tracefs-write tracing_on
expect trace-bad-clock 2 '--trace-clock fast: use host or manual' -- "$PKVM" run --trace-clock fast
DUMP=$(mktemp -d)
expect trace-dump 0 'hvc 0xc6000080' -- \
  "$PKVM" run --cmdline "$CMD hyp_event=host_hcall" --module "$A15" \
  --tracefs-write hyp/tracing_on=1 --hvc 128 --tracefs-dump "$DUMP"
expect trace-dump-files 0 'host_hcall id=128 invalid=0' -- cat "$DUMP/hyp/trace"
expect trace-dump-format 0 '^name: pkvm_driver_event$' -- cat "$DUMP/hyp/events/pkvm_driver_event/format"
rm -rf "$DUMP"

# --print-trace with --tracefs-dump: both show the events (one read of the
# buffers for every output; printing used to leave an empty dump).
TD=$(mktemp -d)
expect print-and-dump 0 $'trace_pipe:\n\\[000\\]\t +0\\.000000: host_hcall id=128 invalid=0' -- \
  "$PKVM" run --cmdline "$CMD hyp_event=host_hcall" --module "$A15" --trace-clock manual \
  --tracefs-write hyp/tracing_on=1 --hvc 128 --print-trace --tracefs-dump "$TD/dump" \
  --perfetto "$TD/trace.json"
expect print-and-dump-same 0 '^\[000\].*host_hcall id=128 invalid=0$' -- cat "$TD/dump/hyp/trace"
expect perfetto-json 0 '"ph": "i"' -- cat "$TD/trace.json"
# trace.dat needs libtracecmd in the build; `trace-cmd report` reads it.
out=$("$PKVM" run --cmdline "$CMD hyp_event=host_hcall" --module "$A15" \
      --tracefs-write hyp/tracing_on=1 --hvc 128 --trace-dat "$TD/trace.dat" 2>&1)
if grep -q 'no libtracecmd' <<<"$out"; then
  echo "skip trace-dat: this build has no libtracecmd"
elif ! command -v trace-cmd >/dev/null; then
  echo "FAIL trace-dat: trace-cmd is not installed (Debian package trace-cmd; ./dev installs it)"; fail=$((fail+1))
else
  expect trace-dat-report 0 'host_hcall: +id=128 invalid=0' -- trace-cmd report "$TD/trace.dat"
fi
rm -rf "$TD"
expect trace-dat-no-file 2 '--trace-dat needs a file name' -- "$PKVM" run --trace-dat=
# The upstream tracefs flavour: remotes/hypervisor/.
expect upstream-flavor 0 'host_hcall id=128 invalid=0' -- \
  "$PKVM" run --generation 16 --cmdline "kvm-arm.protected_modules=hello_hypercall" \
  --module "$HELLO" --tracefs-flavor upstream --tracefs-write remotes/hypervisor/tracing_on=1 \
  --tracefs-write remotes/hypervisor/events/hypervisor/host_hcall/enable=1 --hvc 128 --print-trace
expect upstream-flavor-paths 1 'paths start with remotes/hypervisor/' -- \
  "$PKVM" run --cmdline "$CMD" --module "$A15" --tracefs-flavor upstream --tracefs-write hyp/tracing_on=1
expect bad-flavor 2 '--tracefs-flavor mainline: unknown tracefs flavour' -- \
  "$PKVM" run --tracefs-flavor mainline

# Device trees: the debug_uart module finds the
# PL011 of the DT and prints through it.
if [ -n "$UART" ]; then
  UCMD="kvm-arm.protected_modules=debug_uart"
  expect dts-uart 0 '^  0x0000000000000042$' -- \
    "$PKVM" run --cmdline "$UCMD" --module "$UART" --dts "$UART_DTS" --hvc 128:1:0x42
  expect dts-uart-hello 0 '^  debug_uart: hello from EL2$' -- \
    "$PKVM" run --cmdline "$UCMD" --module "$UART" --dts "$UART_DTS" --hvc 128:1:0x42
  expect dts-bound 0 'ttyAMA0 at MMIO 0x9000000 \(emulated PL011\)' -- \
    "$PKVM" run --cmdline "$UCMD" --module "$UART" --dts "$UART_DTS"
  expect no-dt-enodev 1 'debug_uart failed to load with -ENODEV' -- \
    "$PKVM" run --cmdline "$UCMD" --module "$UART"
  DTDIR=$(mktemp -d)
  if command -v dtc >/dev/null; then
    dtc -q -I dts -O dtb -o "$DTDIR/uart.dtb" "$UART_DTS"
    expect dtb-uart 0 '^  debug_uart: hello from EL2$' -- \
      "$PKVM" run --cmdline "$UCMD" --module "$UART" --dtb "$DTDIR/uart.dtb" --hvc 128:1:7
  fi
  printf '/dts-v1/;\n/ { oops\n' >"$DTDIR/bad.dts"
  expect dts-bad-source 2 'dtc failed to compile .*bad.dts' -- \
    "$PKVM" run --dts "$DTDIR/bad.dts"
  expect dts-no-dtc 2 'needs the device-tree compiler `dtc`, which is not on PATH' -- \
    env PATH=/nonexistent "$PKVM" run --dts "$UART_DTS"
  expect dtb-missing 2 'cannot read /nonexistent.dtb' -- "$PKVM" run --dtb /nonexistent.dtb
  expect dtb-not-a-dtb 2 '-EINVAL: not a valid flattened device tree' -- \
    "$PKVM" run --dtb "$UART_DTS"
  expect dt-twice 2 'give one device tree' -- "$PKVM" run --dtb a --dts b
  rm -rf "$DTDIR"
fi

# The Unicorn backend: the AArch64 .ko next to each .so gives the
# same output as the native run, except where the two instruction sets make
# the EL2 image differ (its page count and a handler's offset in it).
same_as_native() {  # NAME -- pkvm run arguments with @M@ for the module's .so/.ko
  local name=$1; shift 2
  local nat=() uc=()
  for a in "$@"; do nat+=("${a//@M@/}"); done
  local native unicorn
  native=$("$PKVM" run "${nat[@]}" 2>&1 | sed -E 's/\([0-9]+ pages?\)/(N pages)/; s/-> EL2 0x[0-9a-f]+/-> EL2 VA/')
  for a in "$@"; do uc+=("${a//.so@M@/.ko}"); done
  unicorn=$("$PKVM" run --backend unicorn "${uc[@]}" 2>&1 | sed -E 's/\([0-9]+ pages?\)/(N pages)/; s/-> EL2 0x[0-9a-f]+/-> EL2 VA/')
  if [ "$native" == "$unicorn" ] && grep -q 'hvc 0xc6000080' <<<"$native"; then
    echo "ok   $name"; pass=$((pass+1))
  else
    echo "FAIL $name: unicorn output differs from native"
    diff <(echo "$native") <(echo "$unicorn") | sed 's/^/    /'; fail=$((fail+1))
  fi
}
if [ -f "${A15%.so}.ko" ] && "$PKVM" run --backend unicorn >/dev/null 2>&1; then
  same_as_native unicorn-a15-example -- --generation 15 --cmdline "$CMD" --module "$A15@M@" --hvc 128
  same_as_native unicorn-a14-example -- --generation 14 --cmdline "$CMD" --module "$A14@M@" --hvc 128:1:42:-1
  same_as_native unicorn-a15-trace -- --generation 15 --cmdline "$CMD" --module "$A15@M@" \
    --trace-clock manual --tracefs-write hyp/tracing_on=1 \
    --tracefs-write hyp/events/pkvm_driver_event/enable=1 --hvc 128:0x42 --print-trace
  same_as_native unicorn-hello-world -- --generation 16 \
    --cmdline "kvm-arm.protected_modules=hello_hypercall" --module "$HELLO@M@" --trace-clock manual \
    --tracefs-write hypervisor/tracing_on=1 \
    --tracefs-write hypervisor/events/hypervisor/__hyp_printk/enable=1 --hvc 128:7 --print-trace
  if [ -n "$UART" ]; then  # the PL011 behind the DT, in Unicorn
    same_as_native unicorn-dts-uart -- --cmdline "kvm-arm.protected_modules=debug_uart" \
      --module "$UART@M@" --dts "$UART_DTS" --hvc 128:1:0x42 --hvc 128:2:0x18
  fi
  expect unicorn-wrong-file 2 'is not an AArch64 module \(.ko\)' -- \
    "$PKVM" run --backend unicorn --cmdline "$CMD" --module "$A15"
  expect native-wrong-file 2 'run it on the unicorn backend' -- \
    "$PKVM" run --cmdline "$CMD" --module "${A15%.so}.ko"
else
  echo "skip unicorn cases: no .ko next to $A15 or no unicorn backend"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
