#!/usr/bin/env bash
# gdb-multiarch against `pkvm run --backend unicorn --gdb 0`: break in a
# module's HVC handler, read the call's x1 (through the handler's argument and
# as the EL1 CPU's register), single-step, continue to the end of the run;
# then a module that faults at EL2: gdb stops with the panic as the reason.
# usage: gdb_session_test.sh PKVM BRANCHY_KO FAULTY_KO [GDB]
set -u
PKVM=$1 BRANCHY=$2 FAULTY=$3 GDB=${4:-gdb-multiarch}
if ! command -v "$GDB" >/dev/null; then
  echo "SKIP: $GDB is not installed (Debian: gdb-multiarch; ./dev installs it)"
  exit 77
fi
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
pass=0 fail=0
check() {  # check NAME FILE REGEX
  if grep -qE -- "$3" "$2"; then
    echo "ok   $1"; pass=$((pass+1))
  else
    echo "FAIL $1: $2 does not match /$3/"; sed 's/^/    /' "$2"; fail=$((fail+1))
  fi
}

# start_pkvm MODULE NAME ARGS...: runs pkvm in the background and waits for
# the boot log's add-symbol-file line (the machine then waits for gdb).
start_pkvm() {
  local ko=$1 name=$2; shift 2
  # (A bound on the run: without gdb it would wait for one forever.)
  timeout 300 "$PKVM" run --backend unicorn --cmdline "kvm-arm.protected_modules=$name" \
    --module "$ko" --gdb 0 "$@" >"$work/run.out" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do
    grep -q '^gdb: add-symbol-file' "$work/run.out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  port=$(grep -oE 'listening on 127\.0\.0\.1:[0-9]+' "$work/run.out" | cut -d: -f2)
  symfile=$(grep -oE '^gdb: add-symbol-file .*' "$work/run.out" | sed 's/^gdb: //')
  if [ -z "$port" ] || [ -z "$symfile" ]; then
    echo "FAIL: pkvm did not print the gdb port and add-symbol-file line"; cat "$work/run.out"; exit 1
  fi
}

gdb_batch() {  # gdb_batch OUT -ex ...
  local out=$1; shift
  timeout 300 "$GDB" --batch -nx -ex 'set pagination off' -ex 'set confirm off' \
    -ex "target remote 127.0.0.1:$port" -ex "$symfile" "$@" >"$out" 2>&1
}

# 0. Usage: the stub is the Unicorn backend's; a port is a port.
"$PKVM" run --gdb 0 >"$work/native.out" 2>&1; rc=$?
[ "$rc" -eq 2 ] && check "native: --gdb says it needs --backend unicorn" "$work/native.out" 'gdb stub needs --backend unicorn' ||
  { echo "FAIL native --gdb: exit $rc"; fail=$((fail+1)); }
"$PKVM" run --backend unicorn --gdb 70000 >"$work/port.out" 2>&1; rc=$?
[ "$rc" -eq 2 ] && check "--gdb 70000 is refused" "$work/port.out" 'must be a TCP port' ||
  { echo "FAIL --gdb 70000: exit $rc"; fail=$((fail+1)); }

# 1. Break, read x1, step, continue.
start_pkvm "$BRANCHY" branchy --hvc 128:5 --hvc 128:200
gdb_batch "$work/gdb.out" -ex 'info threads' -ex 'break branchy_hyp_hvc' -ex continue \
  -ex 'p/x regs->regs[1]' -ex 'thread 1' -ex 'p/x $x1' -ex 'thread 2' -ex 'p/x $pc' -ex stepi \
  -ex 'p/x $pc' -ex 'monitor modules' -ex delete -ex continue
wait $pid; rc=$?
check "threads are the EL1 and the EL2 CPU" "$work/gdb.out" 'Thread 2 \(EL2 CPU\)'
check "breaks in the module's HVC handler" "$work/gdb.out" 'hit Breakpoint 1, branchy_hyp_hvc \(regs=0x[0-9a-f]+\) at .*branchy/hyp/el2.c'
check "reads x1 of the call through regs" "$work/gdb.out" '^\$1 = 0x5$'
check "reads x1 of the call on the EL1 CPU" "$work/gdb.out" '^\$2 = 0x5$'
pc1=$(grep -E '^\$3 = ' "$work/gdb.out" | cut -d' ' -f3)
pc2=$(grep -E '^\$4 = ' "$work/gdb.out" | cut -d' ' -f3)
if [ -n "$pc1" ] && [ -n "$pc2" ] && [ $((pc2)) -eq $((pc1 + 4)) ]; then
  echo "ok   stepi moves one instruction ($pc1 -> $pc2)"; pass=$((pass+1))
else
  echo "FAIL stepi: pc $pc1 -> $pc2"; sed 's/^/    /' "$work/gdb.out"; fail=$((fail+1))
fi
check "monitor modules gives the add-symbol-file command" "$work/gdb.out" '^add-symbol-file .*branchy\.ko .*-s \.hyp\.text 0x'
check "continues to the end of the run" "$work/gdb.out" 'exited normally'
check "the run printed the first result" "$work/run.out" '^hvc 0xc6000080 -> x0=0x0 x1=0x6$'
check "the run printed the second result" "$work/run.out" '^hvc 0xc6000080 -> x0=0x0 x1=0x258$'
if [ "$rc" -eq 0 ]; then echo "ok   pkvm exits 0"; pass=$((pass+1)); else echo "FAIL pkvm exit $rc"; fail=$((fail+1)); fi

# 2. A hyp panic is the stop reason.
start_pkvm "$FAULTY" faulty --hvc 128:1
gdb_batch "$work/panic.out" -ex continue -ex 'p/x $pc' -ex 'info symbol $pc' -ex continue
wait $pid; rc=$?
check "the panic report reaches gdb's console" "$work/panic.out" 'hyp panic: .*EL2 data abort'
check "the panic stops the EL2 CPU with SIGSEGV" "$work/panic.out" 'Thread 2 .*received signal SIGSEGV'
check "the stop is at the faulting instruction" "$work/panic.out" 'in faulty_hyp_hvc \(regs=0x[0-9a-f]+\) at .*faulty/hyp/el2\.c:[0-9]+'
check "pc is in the module's EL2 text" "$work/panic.out" 'faulty_hyp_hvc \+ [0-9]+ in section \.hyp\.text'
check "the machine then ends" "$work/panic.out" 'terminated with signal SIGSEGV'
check "the run reports the panic" "$work/run.out" 'panicked the hypervisor'
if [ "$rc" -eq 1 ]; then echo "ok   pkvm exits 1"; pass=$((pass+1)); else echo "FAIL pkvm exit $rc"; fail=$((fail+1)); fi

echo "gdb_session: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
