#!/usr/bin/env bash
# The Kbuild and BUILD.bazel readers (cmake/PkvmKbuild.cmake, script mode) on
# small module directories written here: what they find, and the message for
# what they do not understand.
# usage: kbuild_reader_test.sh CMAKE PKVMKBUILD_CMAKE WORK_DIR
set -u
CMAKE=$1 READER=$2 WORK=$3
pass=0 fail=0
rm -rf "$WORK"
mkdir -p "$WORK"

# read NAME STATUS REGEX DIR [cmake -D args...]: runs the reader on DIR.
read_dir() {
  local name=$1 status=$2 regex=$3 dir=$4; shift 4
  local out rc flat
  out=$("$CMAKE" -DPKVM_KBUILD_DIR="$dir" "$@" -P "$READER" 2>&1); rc=$?
  [ "$rc" -ne 0 ] && rc=1
  flat=$(tr '\n' ' ' <<<"$out" | tr -s ' ')
  if [ "$rc" -ne "$status" ] || ! grep -qE -- "$regex" <<<"$flat"; then
    echo "FAIL $name (exit $rc, expected $status; /$regex/)"; echo "$out" | sed 's/^/    /'
    fail=$((fail+1)); return
  fi
  echo "ok   $name"; pass=$((pass+1))
}
mk() {  # mk FILE: writes stdin to WORK/FILE
  mkdir -p "$(dirname "$WORK/$1")"
  cat > "$WORK/$1"
}

# Conditionals, assignment kinds, continuations, comments, addprefix.
mk cond/Kbuild <<'EOF'
# comment
obj-m += cond.o
FLAVOUR ?= big
FLAVOUR ?= small
ifeq ($(FLAVOUR),small)
cond-y := wrong.o
else ifeq ($(FLAVOUR),big)
cond-y := a.o \
	  b.o # trailing comment
  ifdef CONFIG_COND_EXTRA
cond-y += $(addprefix sub/,c.o)
  endif
else
cond-y := wrong.o
endif
ifndef UNDEFINED_VAR
ccflags-y += -DFROM_IFNDEF=1
endif
ifneq ($(CONFIG_COND_OFF),y)
ccflags-y += -DOFF_IS_NOT_Y
endif
LATE = -DLATE=1
ccflags-y += $(LATE) -Wno-unused-variable
EOF
touch "$WORK"/cond/{a,b,wrong}.c; mkdir -p "$WORK/cond/sub"; touch "$WORK/cond/sub/c.c"
read_dir conditionals 0 "KB_EL1=a.c;b.c;sub/c.c KB_EL2= .*KB_EL1_DEFINES=FROM_IFNDEF=1;OFF_IS_NOT_Y;LATE=1 KB_EL1_OPTIONS=-Wno-unused-variable" \
  "$WORK/cond" -DPKVM_KCONFIG=CONFIG_COND_EXTRA=y
read_dir conditionals-kconfig-off 0 "KB_EL1=a.c;b.c KB_EL2=" "$WORK/cond"

# An out-of-tree wrapper Makefile: the KERNELRELEASE half is Kbuild.
mk wrapper/Makefile <<'EOF'
ifneq ($(KERNELRELEASE),)
obj-m := wrap.o
wrap-y := main.o
else
KDIR ?= /lib/modules/$(shell uname -r)/build
all:
	$(MAKE) -C $(KDIR) M=$(PWD) modules
endif
EOF
touch "$WORK/wrapper/main.c"
read_dir wrapper-makefile 0 "KB_NAME=wrap KB_EL1=main.c" "$WORK/wrapper"

# Make variables from the command line ($(DEVICE_MODULES_PATH)) and $(M).
mk vars/Kbuild <<'EOF'
obj-m := v.o
ccflags-y += -I$(DEVICE_MODULES_PATH)/include -DFROM_M=$(M)
EOF
touch "$WORK/vars/v.c"
read_dir make-variables 0 "KB_EL1_INCLUDES=/opt/vendor/include KB_EL1_DEFINES=FROM_M=$WORK/vars" \
  "$WORK/vars" -DPKVM_MAKE_VARIABLES=DEVICE_MODULES_PATH=/opt/vendor

# Several modules: choose one.
mk two/Kbuild <<'EOF'
obj-m := one.o two.o
EOF
touch "$WORK"/two/{one,two}.c
read_dir several-modules 1 "obj-m has several modules \(one;two\): choose one with NAME / --name" "$WORK/two"
read_dir several-modules-named 0 "KB_NAME=two KB_EL1=two.c" "$WORK/two" -DPKVM_NAME=two

# Unbalanced conditionals and a hyp dir without Makefile.module.
mk unbalanced/Kbuild <<'EOF'
obj-m := u.o
ifdef CONFIG_X
EOF
read_dir missing-endif 1 "unbalanced/Kbuild: missing endif" "$WORK/unbalanced"
mk nohyp/Kbuild <<'EOF'
obj-m := n.o
n-y := el1.o hyp/kvm_nvhe.o
EOF
mk nohyp/hyp/Makefile <<'EOF'
hyp-obj-y := el2.o
EOF
touch "$WORK/nohyp/el1.c" "$WORK/nohyp/hyp/el2.c"
read_dir hyp-without-makefile-module 1 "nohyp/hyp/Makefile: does not include \\\$\(srctree\)/arch/arm64/kvm/hyp/nvhe/ Makefile.module|nohyp/hyp/Makefile: does not include" "$WORK/nohyp"
mk missing/Kbuild <<'EOF'
obj-m := m.o
m-y := el1.o gone.o
EOF
touch "$WORK/missing/el1.c"
read_dir missing-source 1 "m-y object gone.o has no source .*missing/gone.c or gone.S" "$WORK/missing"
mk rule/Kbuild <<'EOF'
obj-m := r.o
$(obj)/table.h: $(src)/gen.py
	python3 $< > $@
EOF
read_dir unknown-rule 1 "rule/Kbuild:2: rule '.*/rule/table.h:': libpkvm's Kbuild reader does not run make rules" "$WORK/rule"
mk badflag/Kbuild <<'EOF'
obj-m := b.o
ccflags-y += --param=foo=1
EOF
touch "$WORK/badflag/b.c"
read_dir unknown-flag 1 "badflag/Kbuild: compiler flag '--param=foo=1' not understood" "$WORK/badflag"

# Kconfig fragments.
mk kc/bad.config <<'EOF'
CONFIG_A=y
this is not kconfig
EOF
read_dir kconfig-bad-line 1 "kc/bad.config:2: not a Kconfig line" "$WORK/cond" -DPKVM_KCONFIG="$WORK/kc/bad.config"
read_dir kconfig-not-a-file 1 "KCONFIG 'nope.config' is neither CONFIG_NAME=value nor a file" "$WORK/cond" -DPKVM_KCONFIG=nope.config

# BUILD.bazel: glob with exclude, headers, select() refused, unknown label.
mk bz/BUILD.bazel <<'EOF'
load("//build/kernel/kleaf:kernel.bzl", "ddk_module", "ddk_library")

ddk_library(
    name = "el2",
    srcs = glob(["hyp/*.c"], exclude = ["hyp/test_*.c"]) + ["hyp/asm.S"],
    pkvm_el2 = True,
    local_defines = ["EL2_ONLY"],
)

ddk_module(
    name = "bz",
    out = "bazel_mod.ko",
    srcs = glob(["*.c"]) + ["bz.h"],
    deps = [":el2", "@kleaf//common:kernel_aarch64"],
    copts = ["-Wno-unused-function", "-DCOPT=1"],
)
EOF
touch "$WORK"/bz/{main,util}.c "$WORK/bz/bz.h"; mkdir -p "$WORK/bz/hyp"; touch "$WORK"/bz/hyp/{a,b,test_x}.c "$WORK/bz/hyp/asm.S"
read_dir bazel-module 0 "KB_NAME=bazel_mod KB_EL1=main.c;util.c KB_EL2=hyp/a.c;hyp/b.c;hyp/asm.S .*KB_EL1_DEFINES=COPT=1 KB_EL1_OPTIONS=-Wno-unused-function .*KB_EL2_DEFINES=EL2_ONLY" "$WORK/bz"
mk bzsel/BUILD.bazel <<'EOF'
ddk_module(
    name = "s",
    srcs = ["s.c"] + select({"//x:y": ["t.c"]}),
)
EOF
read_dir bazel-select 1 "bzsel/BUILD.bazel:3: 'select': not understood by libpkvm's BUILD.bazel reader" "$WORK/bzsel"
mk bzlabel/BUILD.bazel <<'EOF'
ddk_module(
    name = "l",
    srcs = ["l.c"],
    deps = ["//vendor/nowhere:lib"],
)
EOF
read_dir bazel-unknown-label 1 "bzlabel/BUILD.bazel:1: deps '//vendor/nowhere:lib': no BUILD.bazel found" "$WORK/bzlabel"
mk bzattr/BUILD.bazel <<'EOF'
ddk_module(
    name = "a",
    srcs = ["a.c"],
    conditional_srcs = {},
)
EOF
read_dir bazel-unknown-attribute 1 "bzattr/BUILD.bazel:4: '\{': not understood|conditional_srcs" "$WORK/bzattr"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
