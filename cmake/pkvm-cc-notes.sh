#!/bin/sh
# File: cmake/pkvm-cc-notes.sh
# The compiler launcher pkvm_add_module() puts on a module's object targets:
# runs the compiler, passes its messages through, and when it fails, adds a
# note a module author can act on to the errors that mean "libpkvm does not
# provide this" or "this needs a build option":
#   - an implicit declaration (-Werror=implicit-function-declaration): the
#     API is not provided by libpkvm for this generation;
#   - a header that is not found: a kernel header libpkvm does not provide,
#     or the option that supplies the module's own headers;
#   - AArch64 inline assembly that the host assembler rejects.
# usage: pkvm-cc-notes.sh GENERATION MODULE -- compiler args...
gen=$1 mod=$2
shift 3
tmp=$(mktemp 2>/dev/null) || exec "$@"
# Plain ASCII quotes in the messages, so the notes can quote names.
LC_ALL=C "$@" 2>"$tmp"
rc=$?
cat "$tmp" >&2
if [ "$rc" -ne 0 ]; then
  sed -n "s/.*implicit declaration of function '\([A-Za-z0-9_]*\)'.*/\1/p" "$tmp" | sort -u |
  while read -r fn; do
    echo "pkvm: $mod: '$fn' is not provided by libpkvm for A$gen: no header libpkvm gives this" \
         "generation declares it (docs/compat.md lists what each header provides)" >&2
  done
  sed -n "s/.*fatal error: \([^:]*\): No such file or directory.*/\1/p" "$tmp" | sort -u |
  while read -r h; do
    case "$h" in
      linux/*|asm/*|asm-generic/*|nvhe/*|kvm/*|uapi/*|trace/*|hyp/*|soc/*|dt-bindings/*|trace.h|define_events.h)
        echo "pkvm: $mod: <$h> is a kernel header libpkvm does not provide for A$gen." \
             "If the module's tree has it (a vendor header), add its directory with" \
             "INCLUDE_DIRS (pkvm_add_module) or -I (pkvm build)" >&2 ;;
      ../*)
        echo "pkvm: $mod: \"$h\" is a path relative to the kernel tree: pass the tree's" \
             "root with SOURCE_ROOT (pkvm_add_module) or --source-root (pkvm build)" >&2 ;;
      *)
        echo "pkvm: $mod: header '$h' not found: add the directory that holds it with" \
             "INCLUDE_DIRS (pkvm_add_module) or -I (pkvm build); for \$(srctree)-relative" \
             "paths pass SOURCE_ROOT / --source-root" >&2 ;;
    esac
  done
  if grep -qE "Assembler messages|no such instruction|unknown register name|impossible constraint in 'asm'|invalid 'asm'" "$tmp"; then
    echo "pkvm: $mod: this looks like AArch64 inline assembly, which the native backend" \
         "cannot build: build the module for the Unicorn backend only" \
         "(pkvm_add_module(... UNICORN_ONLY), pkvm build --unicorn-only) and run it with" \
         "--backend unicorn" >&2
  fi
fi
rm -f "$tmp"
exit "$rc"
