#!/usr/bin/env bash
# Robustness of the Kbuild / BUILD.bazel readers on mangled input: each run
# takes a pattern module's build file, deletes, duplicates or truncates a
# line or splices in punctuation, and the reader must finish (a result or a
# FATAL_ERROR naming the file) within the time limit -- never hang or crash.
# Deterministic: the mutations come from a fixed seed.
# usage: kbuild_reader_fuzz.sh CMAKE PKVMKBUILD_CMAKE KTREE WORK_DIR [RUNS]
set -u
CMAKE=$1 READER=$2 KTREE=$3 WORK=$4 RUNS=${5:-60}
RANDOM=14
fail=0
rm -rf "$WORK"
mkdir -p "$WORK"
inputs=("$KTREE/drivers/misc/pkvm_kbuild/Kbuild" "$KTREE/drivers/misc/pkvm_kbuild/hyp/Makefile"
        "$KTREE/drivers/misc/pkvm_kconfig/hyp/Makefile" "$KTREE/drivers/misc/pkvm_ddk/BUILD.bazel"
        "$KTREE/drivers/misc/pkvm_ddk/hyp/BUILD.bazel")
junk=('(' ')' '[' ']' '"' "'" '$(' '${' '\' ';' ':' '=' '+=' '#' ',' 'ifeq (' 'endif' 'else' '{' '}')
for ((i = 0; i < RUNS; i++)); do
  src=${inputs[$((RANDOM % ${#inputs[@]}))]}
  rel=${src#"$KTREE"/}
  d=$WORK/$i
  mkdir -p "$d"
  cp -r "$KTREE/." "$d/"
  f=$d/$rel
  n=$(wc -l < "$f")
  line=$((RANDOM % (n > 0 ? n : 1) + 1))
  case $((RANDOM % 4)) in
    0) sed -i "${line}d" "$f" ;;
    1) sed -i "${line}p" "$f" ;;
    2) head -c $((RANDOM % ($(wc -c < "$f") + 1))) "$f" > "$f.t" && mv "$f.t" "$f" ;;
    3) j=${junk[$((RANDOM % ${#junk[@]}))]}
       awk -v l="$line" -v j="$j" 'NR == l { p = int(length($0) / 2); $0 = substr($0, 1, p) j substr($0, p + 1) } { print }' "$f" > "$f.t" && mv "$f.t" "$f" ;;
  esac
  mod=$(dirname "$rel"); mod=${mod%/hyp}
  out=$(timeout 20 "$CMAKE" -DPKVM_KBUILD_DIR="$d/$mod" -DPKVM_SOURCE_ROOT="$d" \
        -DPKVM_KCONFIG="$d/drivers/misc/pkvm_kconfig/pkvm_kconfig.config" -P "$READER" 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ] && ! grep -q "CMake Error" <<<"$out"; then
    echo "FAIL run $i ($rel, exit $rc: $([ $rc -eq 124 ] && echo timeout || echo crash))"
    diff "$src" "$f" | sed 's/^/    /'
    fail=$((fail+1))
  fi
done
echo "$RUNS runs, $fail failed"
[ "$fail" -eq 0 ]
