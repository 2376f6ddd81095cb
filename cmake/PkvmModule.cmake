# File: cmake/PkvmModule.cmake
# pkvm_add_module(): build a pKVM vendor module (EL1 + EL2 sources, unchanged
# from a Kbuild tree) for libpkvm, the way Kbuild builds it for a device:
#
#   pkvm_add_module(pkvm_driver GENERATION 15
#                   EL1 el1.c
#                   EL2 hyp/el2.c
#                   [MODNAME pkvm_driver]   # KBUILD_MODNAME, default: the target
#                   [OUTPUT_DIRECTORY dir]  # where MODNAME.so goes
#                   [DEPENDS target...]     # modules whose EXPORT_SYMBOLs it uses
#                   [INCLUDE_DIRS dir...] [EL1_INCLUDE_DIRS dir...] [EL2_INCLUDE_DIRS dir...]
#                   [DEFINES X=1...] [EL1_DEFINES ...] [EL2_DEFINES ...]
#                   [COMPILE_OPTIONS opt...] [EL1_COMPILE_OPTIONS ...] [EL2_COMPILE_OPTIONS ...]
#                   [SOURCE_OPTIONS "src.c=-DX -Wno-y"...]  # Kbuild's CFLAGS_<obj>.o
#                   [KCONFIG file|CONFIG_X=y...]  # a .config fragment and/or values
#                   [SOURCE_ROOT dir]       # the kernel tree the module sits in
#                   [UNICORN_ONLY]          # EL2 code only builds for AArch64
#                   [COVERAGE])             # native: gcov instrumentation (docs/debugging.md)
#
# The options are documented for module authors in docs/compat.md ("Port
# your module"); pkvm_add_kbuild_module() (cmake/PkvmKbuild.cmake) fills
# them from a module directory's Kbuild/Makefile or BUILD.bazel.
#
# EL2 sources get Makefile.nvhe's flags: -D__KVM_NVHE_HYPERVISOR__
# -D__DISABLE_EXPORTS, no sanitizers, no stack protector, no unwind tables;
# A16 (whose Makefile.module adds it) also -DMODULE, so `#ifdef MODULE` init
# code is there as on the device. `ld -r -T hyp.lds` into the .hyp.* sections;
# `objcopy --prefix-symbols=__kvm_nvhe_`. EL1 sources: -DMODULE and
# KBUILD_MODNAME. Both: -nostdinc with libpkvm's kernel-named headers,
# -Werror=implicit-function-declaration and -Wframe-larger-than=2048 (the
# kernel's defaults), and the generation picked with -DPKVM_GENERATION.
#
# COVERAGE: the native build's EL1 and EL2 objects are compiled with
# --coverage and NAME.so links libgcov; .gcda files appear next to the
# objects when the process exits (or the module is unloaded), for gcov/lcov.
# gcov's runtime symbols keep their names through the __kvm_nvhe_ prefix.
# The Unicorn backend's coverage needs no rebuild (pkvm run --coverage).
#
# A `.S` file among the EL2 sources (or UNICORN_ONLY, for AArch64 inline
# assembly) makes the module Unicorn-only: AArch64 code cannot run natively.
# It is then built as NAME.ko only, and NAME.so is a stub whose load fails
# with the reason and the .ko's path (a configure-time STATUS line says so
# too). No static library <target> is made for it.
#
# Results:
#   <target>         a static library to link into a test binary; the module is
#                    PKVM_NATIVE_MODULE(<target>) there (all its other symbols
#                    are local, so any number of modules link side by side);
#                    not made for a Unicorn-only module;
#   <MODNAME>.so     (target <target>_so) for `pkvm run --module`;
#   <MODNAME>.ko     (target <target>_ko) when aarch64-linux-gnu-gcc is found:
#                    the AArch64 module for the Unicorn backend
#                    (cmake/PkvmModuleAarch64.cmake).
#
# DEPENDS (what KBUILD_EXTRA_SYMBOLS is to Kbuild): the module calls functions
# other modules export (EXPORT_SYMBOL, also of their EL2 functions:
# EXPORT_SYMBOL(kvm_nvhe_sym(fn))). The static library links them, NAME.so
# needs their .so (DT_NEEDED, found next to it), and the module records their
# names (descriptor `depends`, .modinfo depends=): loading it before them
# fails with a message naming the missing module.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/PkvmModuleAarch64.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/PkvmKbuild.cmake")

set(_PKVM_MODULE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(_pkvm_compiler_include_dir out)
  if(NOT DEFINED CACHE{PKVM_COMPILER_INCLUDE_DIR})
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(PKVM_COMPILER_INCLUDE_DIR "${dir}" CACHE INTERNAL "freestanding headers of the C compiler")
  endif()
  set(${out} "${PKVM_COMPILER_INCLUDE_DIR}" PARENT_SCOPE)
endfunction()

# The directory of libpkvm's kernel-named headers (pkvm::compat): in the
# source tree beside this file, or where the package installed them.
function(_pkvm_compat_dir out)
  if(EXISTS "${_PKVM_MODULE_DIR}/../include/pkvm/compat")
    get_filename_component(d "${_PKVM_MODULE_DIR}/../include/pkvm/compat" ABSOLUTE)
  else()
    get_target_property(dirs pkvm::compat INTERFACE_INCLUDE_DIRECTORIES)
    set(d "")
    foreach(i IN LISTS dirs)
      if(i MATCHES "pkvm/compat$")
        set(d "${i}")
      endif()
    endforeach()
  endif()
  set(${out} "${d}" PARENT_SCOPE)
endfunction()

# Links every entry of `from` into `to`, except names matching `skip` and
# entries `to` already has.
function(_pkvm_link_entries from to skip)
  file(GLOB entries RELATIVE "${from}" "${from}/*")
  foreach(e IN LISTS entries)
    if(NOT e MATCHES "${skip}" AND NOT EXISTS "${to}/${e}")
      file(CREATE_LINK "${from}/${e}" "${to}/${e}" SYMBOLIC)
    endif()
  endforeach()
endfunction()

# Include directories that make a kernel-tree-relative quoted include
# (`#define HYP_EVENT_FILE ../../../../drivers/x/hyp/events.h`, resolved in the
# kernel from arch/arm64/include/asm) land in SOURCE_ROOT: a directory four
# levels below a build-tree directory whose entries link to SOURCE_ROOT's.
function(_pkvm_source_root_anchor root dir out)
  set(anchor "${dir}/srctree")
  file(MAKE_DIRECTORY "${anchor}/arch/arm64/include/asm")
  # arch/ is a real directory (it holds the anchor); the tree's own arch/*
  # entries are linked beside it, and arch/arm64/* beside include/.
  _pkvm_link_entries("${root}" "${anchor}" "^arch$")
  _pkvm_link_entries("${root}/arch" "${anchor}/arch" "^arm64$")
  _pkvm_link_entries("${root}/arch/arm64" "${anchor}/arch/arm64" "^(include|kvm)$")
  # The hypervisor's own headers, reached by tree-relative paths such as
  # "../../../../arch/arm64/kvm/hyp/include/nvhe/ffa.h", are libpkvm's.
  _pkvm_compat_dir(compat)
  if(compat AND NOT EXISTS "${anchor}/arch/arm64/kvm/hyp/include")
    file(MAKE_DIRECTORY "${anchor}/arch/arm64/kvm/hyp")
    file(CREATE_LINK "${compat}" "${anchor}/arch/arm64/kvm/hyp/include" SYMBOLIC)
  endif()
  set(${out} "${anchor}/arch/arm64/include/asm" PARENT_SCOPE)
endfunction()

function(pkvm_add_module target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "UNICORN_ONLY;COVERAGE" "GENERATION;MODNAME;OUTPUT_DIRECTORY;SOURCE_ROOT"
    "EL1;EL2;DEPENDS;INCLUDE_DIRS;EL1_INCLUDE_DIRS;EL2_INCLUDE_DIRS;DEFINES;EL1_DEFINES;EL2_DEFINES;COMPILE_OPTIONS;EL1_COMPILE_OPTIONS;EL2_COMPILE_OPTIONS;SOURCE_OPTIONS;KCONFIG")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pkvm_add_module(${target}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_GENERATION MATCHES "^(14|15|16|17)$")
    message(FATAL_ERROR "pkvm_add_module(${target}): GENERATION must be 14, 15, 16 or 17 "
                        "(17 = android17-6.18, provisional) (got '${ARG_GENERATION}')")
  endif()
  if(NOT ARG_EL1)
    message(FATAL_ERROR "pkvm_add_module(${target}): EL1 sources are required (the part with module_init)")
  endif()
  if(NOT ARG_MODNAME)
    set(ARG_MODNAME "${target}")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(NOT ARG_MODNAME MATCHES "^[A-Za-z0-9_-]+$")
    message(FATAL_ERROR "pkvm_add_module(${target}): '${ARG_MODNAME}' is not a module name")
  endif()
  if(NOT CMAKE_C_COMPILER_LOADED)
    message(FATAL_ERROR "pkvm_add_module(${target}): enable the C language (project(... LANGUAGES C CXX))")
  endif()
  if(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY)
    message(FATAL_ERROR "pkvm_add_module(${target}): needs binutils ld and objcopy")
  endif()
  string(REPLACE "-" "_" kbuild_modname "${ARG_MODNAME}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.pkvm")
  file(MAKE_DIRECTORY "${dir}")
  _pkvm_compiler_include_dir(cc_include)
  _pkvm_compat_dir(compat_dir)

  # The module's own build inputs. Relative paths are relative to the
  # calling CMakeLists.txt, as for sources.
  foreach(half "" EL1_ EL2_)
    set(abs "")
    foreach(d IN LISTS ARG_${half}INCLUDE_DIRS)
      get_filename_component(d "${d}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND abs "${d}")
    endforeach()
    set(ARG_${half}INCLUDE_DIRS ${abs})
  endforeach()
  set(user_includes ${ARG_INCLUDE_DIRS})
  if(ARG_SOURCE_ROOT)
    get_filename_component(ARG_SOURCE_ROOT "${ARG_SOURCE_ROOT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT IS_DIRECTORY "${ARG_SOURCE_ROOT}")
      message(FATAL_ERROR "pkvm_add_module(${target}): SOURCE_ROOT ${ARG_SOURCE_ROOT} is not a directory")
    endif()
    _pkvm_source_root_anchor("${ARG_SOURCE_ROOT}" "${dir}" anchor)
    list(APPEND user_includes "${anchor}")
  endif()
  # Every module gets its Kconfig values (maybe none) and IS_ENABLED() from
  # one force-included header, as Kbuild's `-include linux/kconfig.h`.
  set(kconfig_header "${dir}/autoconf.h")
  set(kconfig_values "")
  if(ARG_KCONFIG)
    set(items "")
    foreach(k IN LISTS ARG_KCONFIG)
      if(NOT k MATCHES "^CONFIG_")
        get_filename_component(k "${k}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      endif()
      list(APPEND items "${k}")
    endforeach()
    _pkvm_kconfig_values(kconfig_values "pkvm_add_module(${target})" ${items})
  endif()
  _pkvm_write_autoconf("${kconfig_header}" ${kconfig_values})

  # Unicorn-only: assembly in the EL2 part.
  set(el2_asm "")
  foreach(src IN LISTS ARG_EL2)
    if(src MATCHES "\\.[sS]$")
      get_filename_component(name "${src}" NAME)
      list(APPEND el2_asm "${name}")
    endif()
  endforeach()
  set(unicorn_only OFF)
  if(el2_asm OR ARG_UNICORN_ONLY)
    set(unicorn_only ON)
    if(el2_asm)
      list(JOIN el2_asm ", " asm_list)
    else()
      set(asm_list "inline assembly")
    endif()
    set(unicorn_only_reason "this module has AArch64 assembly in its EL2 part (${asm_list}): use --backend unicorn")
    message(STATUS "pKVM module ${ARG_MODNAME}: AArch64 assembly in its EL2 part (${asm_list}): "
                   "Unicorn backend only (${ARG_MODNAME}.ko; ${ARG_MODNAME}.so only says so)")
  endif()

  # Flags common to both halves: a kernel build has no libc headers; a call
  # to an undeclared function is an error, as in Kbuild (so a missing API is
  # named at compile time, not at load).
  set(common_options -nostdinc -isystem "${cc_include}" -fno-common -fno-strict-aliasing
      -Wno-pointer-sign -fPIC -Werror=implicit-function-declaration -Wframe-larger-than=2048)
  # What the AArch64 build adds to its own flags (-D/-I come from the
  # object libraries' properties).
  set(ko_options -Werror=implicit-function-declaration -Wframe-larger-than=2048 ${ARG_COMPILE_OPTIONS})
  if(kconfig_header)
    list(APPEND common_options -include "${kconfig_header}")
    list(APPEND ko_options -include "${kconfig_header}")
  endif()
  # CONFIG_TRACING: the Android page guards its tracing boilerplate with it.
  set(common_defs PKVM_GENERATION=${ARG_GENERATION} CONFIG_TRACING=1)
  # Quoted includes of the EL2 code (HYP_EVENT_FILE included from
  # <nvhe/define_events.h>) are looked up in the EL2 source directories.
  set(el2_include_dirs "")
  foreach(src IN LISTS ARG_EL2)
    get_filename_component(src_dir "${src}" DIRECTORY)
    get_filename_component(src_dir "${src_dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND el2_include_dirs "${src_dir}")
  endforeach()
  list(REMOVE_DUPLICATES el2_include_dirs)
  # A15+ (Makefile.module): bare <trace.h> / <define_events.h> resolve.
  if(ARG_GENERATION GREATER_EQUAL 15 AND compat_dir AND EXISTS "${compat_dir}/nvhe/trace")
    list(APPEND el2_include_dirs "${compat_dir}/nvhe/trace")
  endif()
  # Makefile.module of later kernels adds -DMODULE to EL2 objects.
  set(el2_module_def "")
  if(ARG_GENERATION GREATER_EQUAL 16)
    set(el2_module_def MODULE)
  endif()
  # Kbuild's CFLAGS_<obj>.o.
  foreach(entry IN LISTS ARG_SOURCE_OPTIONS)
    if(NOT entry MATCHES "^([^=]+)=(.*)$")
      message(FATAL_ERROR "pkvm_add_module(${target}): SOURCE_OPTIONS '${entry}' is not <source>=<flags>")
    endif()
    set(src "${CMAKE_MATCH_1}")
    separate_arguments(flags UNIX_COMMAND "${CMAKE_MATCH_2}")
    get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND _pkvm_source_options_${abs} ${flags})
  endforeach()

  # Compiler errors that name a missing API or header get a note saying what
  # libpkvm provides and which option supplies the rest.
  # (in front of the project's own launcher, ccache for instance).
  set(launcher sh "${_PKVM_MODULE_DIR}/pkvm-cc-notes.sh" ${ARG_GENERATION} ${ARG_MODNAME} --
      ${CMAKE_C_COMPILER_LAUNCHER})
  # The same notes on the AArch64 build's compiles (cmake/PkvmModuleAarch64.cmake).
  set(_pkvm_a64_launcher sh "${_PKVM_MODULE_DIR}/pkvm-cc-notes.sh" ${ARG_GENERATION} ${ARG_MODNAME} --)

  set(nvhe_object "")
  # What gcc's --coverage code calls (gcc 12: constructor, destructor, merge
  # functions of -fprofile-arcs): named as libgcov has them.
  set(gcov_unprefix "")
  if(ARG_COVERAGE)
    foreach(sym __gcov_init __gcov_exit __gcov_merge_add __gcov_merge_topn __gcov_merge_ior
                __gcov_merge_time_profile __gcov_dump __gcov_reset)
      list(APPEND gcov_unprefix --redefine-sym __kvm_nvhe_${sym}=${sym})
    endforeach()
  endif()
  set(ftrace_source "${dir}/${target}.ftrace.c")
  if(ARG_EL2)
    add_library(${target}_el2 OBJECT ${ARG_EL2})
    target_link_libraries(${target}_el2 PRIVATE pkvm::compat)
    target_include_directories(${target}_el2 PRIVATE ${el2_include_dirs} ${user_includes}
                               ${ARG_EL2_INCLUDE_DIRS})
    target_compile_definitions(${target}_el2 PRIVATE ${common_defs} ${el2_module_def} __KVM_NVHE_HYPERVISOR__
                               __DISABLE_EXPORTS __DISABLE_TRACE_MMIO__ DISABLE_BRANCH_PROFILING
                               ${ARG_DEFINES} ${ARG_EL2_DEFINES})
    # Makefile.nvhe: no sanitizer instrumentation of hypervisor code.
    target_compile_options(${target}_el2 PRIVATE ${common_options} -fno-sanitize=all
                           -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables)
    # Hyp panic reports: a frame-pointer call trace as arm64 kernels always
    # have one, source lines from DWARF; every frame larger than a page is
    # probed, so a deep frame hits the hyp stack's guard page instead of
    # skipping it (docs/debugging.md).
    target_compile_options(${target}_el2 PRIVATE -g -fno-omit-frame-pointer -fstack-clash-protection)
    # Freestanding as the AArch64 build: memset/memcpy calls stay calls, so a
    # module's own definitions are used by both builds.
    target_compile_options(${target}_el2 PRIVATE -ffreestanding)
    # On an AArch64 host, atomics inline as in the kernel (arm64 builds with
    # -mno-outline-atomics): no libgcc helper, which EL2 code has none of.
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
      target_compile_options(${target}_el2 PRIVATE -mno-outline-atomics)
    endif()
    if(ARG_GENERATION GREATER_EQUAL 16)
      # CONFIG_PKVM_FTRACE: every EL2 function entry and return can be traced
      # (func / func_ret events); the kernel patches function entries, the
      # native build has the compiler call the tracer.
      target_compile_options(${target}_el2 PRIVATE -finstrument-functions)
      target_compile_definitions(${target}_el2 PRIVATE CONFIG_PKVM_FTRACE=1)
    endif()
    target_compile_options(${target}_el2 PRIVATE ${ARG_COMPILE_OPTIONS} ${ARG_EL2_COMPILE_OPTIONS})
    if(ARG_COVERAGE)
      target_compile_options(${target}_el2 PRIVATE --coverage)
    endif()
    set_target_properties(${target}_el2 PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
                          POSITION_INDEPENDENT_CODE ON C_COMPILER_LAUNCHER "${launcher}")
    foreach(src IN LISTS ARG_EL2)
      get_filename_component(base "${src}" NAME_WE)
      string(REPLACE "-" "_" base "${base}")
      set_property(SOURCE "${src}" TARGET_DIRECTORY ${target}_el2 APPEND PROPERTY
                   COMPILE_DEFINITIONS "KBUILD_MODNAME=\"${base}.nvhe\"" "KBUILD_BASENAME=\"${base}\"")
      get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      if(DEFINED _pkvm_source_options_${abs})
        set_property(SOURCE "${src}" TARGET_DIRECTORY ${target}_el2 APPEND PROPERTY
                     COMPILE_OPTIONS ${_pkvm_source_options_${abs}})
      endif()
    endforeach()
  endif()
  if(ARG_EL2 AND unicorn_only)
    # Only the AArch64 build compiles it (its flags come from here).
    set_target_properties(${target}_el2 PROPERTIES EXCLUDE_FROM_ALL ON)
  elseif(ARG_EL2)
    set(nvhe_object "${dir}/kvm_nvhe.o")
    # The ftrace list is an OUTPUT (not a byproduct) so that the Makefile
    # generators have a rule for it in <target>_el1, which compiles it.
    add_custom_command(
      OUTPUT "${nvhe_object}" "${ftrace_source}"
      COMMAND "${CMAKE_LINKER}" -r -T "${_PKVM_MODULE_DIR}/hyp-native.lds"
              "$<TARGET_OBJECTS:${target}_el2>" -o "${dir}/kvm_nvhe.tmp.o"
      COMMAND "${CMAKE_OBJCOPY}" --prefix-symbols=__kvm_nvhe_ "${dir}/kvm_nvhe.tmp.o"
              "${dir}/kvm_nvhe.prefixed.o"
      # The GOT base is the linker's, not the hypervisor's; gcov's runtime
      # (COVERAGE) is libgcov's in the host process.
      COMMAND "${CMAKE_OBJCOPY}" --redefine-sym
              __kvm_nvhe__GLOBAL_OFFSET_TABLE_=_GLOBAL_OFFSET_TABLE_ ${gcov_unprefix}
              "${dir}/kvm_nvhe.prefixed.o" "${nvhe_object}"
      # The EL2 function list (offsets in .hyp.text, unprefixed names) for
      # hypervisor function tracing and symbolisation.
      COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DOBJECT=${dir}/kvm_nvhe.tmp.o"
              "-DOUT=${ftrace_source}" "-DTARGET=${target}"
              -P "${_PKVM_MODULE_DIR}/PkvmFtraceSyms.cmake"
      # copy_if_different in the script keeps the list's time when unchanged.
      COMMAND "${CMAKE_COMMAND}" -E touch_nocreate "${ftrace_source}"
      DEPENDS "$<TARGET_OBJECTS:${target}_el2>" "${_PKVM_MODULE_DIR}/hyp-native.lds"
              "${_PKVM_MODULE_DIR}/PkvmFtraceSyms.cmake"
      COMMENT "pKVM module ${ARG_MODNAME}: linking EL2 objects into kvm_nvhe.o"
      COMMAND_EXPAND_LISTS VERBATIM)
    # One target runs the command; the targets using its outputs wait for it
    # (with the Makefile generators each of them would otherwise run it).
    add_custom_target(${target}_nvhe DEPENDS "${nvhe_object}" "${ftrace_source}")
    # The Makefile generators need the object files' target built first.
    add_dependencies(${target}_nvhe ${target}_el2)
  else()
    file(WRITE "${ftrace_source}.in" "/* no EL2 code */\n#include <pkvm/native_module.h>\n"
         "const struct pkvm_ftrace_sym pkvm_ftrace_syms_${target}[1];\n")
    configure_file("${ftrace_source}.in" "${ftrace_source}" COPYONLY)
  endif()

  set(PKVM_TARGET "${target}")
  set(PKVM_MODNAME "${kbuild_modname}")
  # The modules this one imports from.
  set(dep_names "")
  foreach(dep IN LISTS ARG_DEPENDS)
    if(NOT TARGET ${dep}_so)
      message(FATAL_ERROR "pkvm_add_module(${target}): DEPENDS ${dep} is not a pkvm_add_module() "
                          "target defined before it")
    endif()
    get_target_property(dep_name ${dep}_so PKVM_MODULE_NAME)
    list(APPEND dep_names "${dep_name}")
  endforeach()
  list(JOIN dep_names "," PKVM_DEPENDS)
  # Calls into each dependency bind to that build's renamed exports.
  set(dep_redefs "")
  set(dep_objects "")
  foreach(dep IN LISTS ARG_DEPENDS)
    get_target_property(dep_dir ${dep} PKVM_MODULE_BUILD_DIR)
    list(APPEND dep_redefs "--redefine-syms=${dep_dir}/${dep}.redef")
    list(APPEND dep_objects "${dep_dir}/${dep}.o")
  endforeach()

  add_library(${target}_el1 OBJECT ${ARG_EL1})
  if(NOT unicorn_only)
    configure_file("${_PKVM_MODULE_DIR}/module.mod.c.in" "${dir}/${target}.mod.c" @ONLY)
    target_sources(${target}_el1 PRIVATE "${dir}/${target}.mod.c" "${ftrace_source}")
  endif()
  target_link_libraries(${target}_el1 PRIVATE pkvm::compat)
  target_include_directories(${target}_el1 PRIVATE ${user_includes} ${ARG_EL1_INCLUDE_DIRS})
  target_compile_definitions(${target}_el1 PRIVATE ${common_defs} MODULE
                             "KBUILD_MODNAME=\"${kbuild_modname}\"" ${ARG_DEFINES} ${ARG_EL1_DEFINES})
  if(ARG_COVERAGE)
    target_compile_options(${target}_el1 PRIVATE --coverage)
  endif()
  target_compile_options(${target}_el1 PRIVATE ${common_options} ${ARG_COMPILE_OPTIONS}
                         ${ARG_EL1_COMPILE_OPTIONS})
  set_target_properties(${target}_el1 PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
                        POSITION_INDEPENDENT_CODE ON C_COMPILER_LAUNCHER "${launcher}")
  foreach(src IN LISTS ARG_EL1)
    get_filename_component(abs "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(DEFINED _pkvm_source_options_${abs})
      set_property(SOURCE "${src}" TARGET_DIRECTORY ${target}_el1 APPEND PROPERTY
                   COMPILE_OPTIONS ${_pkvm_source_options_${abs}})
    endif()
  endforeach()
  if(TARGET ${target}_nvhe)
    add_dependencies(${target}_el1 ${target}_nvhe)
  endif()

  if(unicorn_only)
    # The module cannot be assembled natively: NAME.so only names the
    # assembly and where the runnable build (NAME.ko) is.
    set_target_properties(${target}_el1 PROPERTIES EXCLUDE_FROM_ALL ON)
    set(stub "${dir}/${target}.unicorn_only.c")
    string(REPLACE "\"" "\\\"" reason_c "${unicorn_only_reason}")
    file(CONFIGURE OUTPUT "${stub}" CONTENT
"/* Generated by pkvm_add_module() for ${ARG_MODNAME}, a module whose EL2 part
 * cannot be built natively. Do not edit. */
#include <pkvm/native_module.h>
__attribute__((visibility(\"default\"))) const struct pkvm_native_module_unavailable
    pkvm_native_module_unavailable = {
        .magic = PKVM_NATIVE_MODULE_MAGIC,
        .name = \"${kbuild_modname}\",
        .generation = ${ARG_GENERATION},
        .reason = \"${reason_c}\",
#ifdef PKVM_KO_PATH
        .ko_path = PKVM_KO_PATH,
#endif
};
" @ONLY)
    add_library(${target}_so MODULE "${stub}")
    target_link_libraries(${target}_so PRIVATE pkvm::abi)
    target_include_directories(${target}_so PRIVATE $<TARGET_PROPERTY:pkvm::pkvm,INTERFACE_INCLUDE_DIRECTORIES>)
    set_target_properties(${target}_so PROPERTIES PREFIX "" OUTPUT_NAME "${kbuild_modname}"
                          LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
    set_target_properties(${target}_so PROPERTIES PKVM_MODULE_NAME "${kbuild_modname}"
                          PKVM_MODULE_GENERATION "${ARG_GENERATION}" PKVM_UNICORN_ONLY ON)
    _pkvm_add_module_ko(${target} ${ARG_GENERATION} ${kbuild_modname} "${ARG_OUTPUT_DIRECTORY}"
                        EL1 ${ARG_EL1} EL2 ${ARG_EL2} DEPENDS "${PKVM_DEPENDS}"
                        EL1_OPTIONS ${ko_options} ${ARG_EL1_COMPILE_OPTIONS}
                        EL2_OPTIONS ${ko_options} ${ARG_EL2_COMPILE_OPTIONS})
    if(TARGET ${target}_ko)
      get_target_property(ko ${target}_ko PKVM_KO_FILE)
      target_compile_definitions(${target}_so PRIVATE "PKVM_KO_PATH=\"${ko}\"")
      add_dependencies(${target}_so ${target}_ko)
    endif()
    return()
  endif()

  configure_file("${_PKVM_MODULE_DIR}/module.entry.c.in" "${dir}/${target}.entry.c" @ONLY)
  set(module_object "${dir}/${target}.o")
  add_custom_command(
    OUTPUT "${module_object}"
    COMMAND "${CMAKE_LINKER}" -r "$<TARGET_OBJECTS:${target}_el1>" ${nvhe_object}
            -o "${dir}/${target}.all.o"
    # One global symbol per module, plus what it exports (EXPORT_SYMBOL):
    # any number of modules link side by side. module_param() descriptors:
    # a section per module (module.mod.c.in).
    COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DOBJECT=${dir}/${target}.all.o"
            "-DTARGET=${target}" "-DOUT=${dir}/${target}"
            -P "${_PKVM_MODULE_DIR}/PkvmExports.cmake"
    COMMAND "${CMAKE_OBJCOPY}" "--redefine-syms=${dir}/${target}.redef" ${dep_redefs}
            --rename-section __pkvm_param=__pkvm_param_${target}
            "${dir}/${target}.all.o" "${dir}/${target}.renamed.o"
    COMMAND "${CMAKE_OBJCOPY}" "--keep-global-symbols=${dir}/${target}.keep"
            "${dir}/${target}.renamed.o" "${module_object}"
    DEPENDS "$<TARGET_OBJECTS:${target}_el1>" ${nvhe_object} "${_PKVM_MODULE_DIR}/PkvmExports.cmake"
            ${dep_objects}
    COMMENT "pKVM module ${ARG_MODNAME}: linking ${target}.o"
    COMMAND_EXPAND_LISTS VERBATIM)
  add_custom_target(${target}_object DEPENDS "${module_object}")
  add_dependencies(${target}_object ${target}_el1)
  foreach(dep IN LISTS ARG_DEPENDS)
    add_dependencies(${target}_object ${dep}_object)
  endforeach()

  add_library(${target} STATIC "${module_object}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_link_libraries(${target} INTERFACE pkvm::pkvm)
  add_dependencies(${target} ${target}_object)

  add_library(${target}_so MODULE "${module_object}" "${dir}/${target}.entry.c")
  target_link_libraries(${target}_so PRIVATE pkvm::pkvm)
  target_link_options(${target}_so PRIVATE -Wl,--no-undefined)
  if(ARG_COVERAGE)
    target_link_options(${target}_so PRIVATE --coverage)
    target_link_options(${target} INTERFACE --coverage)
  endif()
  add_dependencies(${target}_so ${target}_object)
  foreach(dep IN LISTS ARG_DEPENDS)
    target_link_libraries(${target} INTERFACE ${dep})
    add_dependencies(${target}_so ${dep}_so)
    # A flag, so CMake passes the .so by its path (its name has no lib prefix).
    target_link_libraries(${target}_so PRIVATE "-Wl,$<TARGET_FILE:${dep}_so>")
    set_property(TARGET ${target}_so APPEND PROPERTY BUILD_RPATH "$<TARGET_FILE_DIR:${dep}_so>")
  endforeach()
  set_target_properties(${target}_so PROPERTIES PREFIX "" OUTPUT_NAME "${kbuild_modname}"
                        LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  set_target_properties(${target} PROPERTIES PKVM_MODULE_BUILD_DIR "${dir}")
  set_target_properties(${target} ${target}_so PROPERTIES PKVM_MODULE_NAME "${kbuild_modname}"
                        PKVM_MODULE_GENERATION "${ARG_GENERATION}")
  _pkvm_add_module_ko(${target} ${ARG_GENERATION} ${kbuild_modname} "${ARG_OUTPUT_DIRECTORY}"
                      EL1 ${ARG_EL1} EL2 ${ARG_EL2} DEPENDS "${PKVM_DEPENDS}"
                      EL1_OPTIONS ${ko_options} ${ARG_EL1_COMPILE_OPTIONS}
                      EL2_OPTIONS ${ko_options} ${ARG_EL2_COMPILE_OPTIONS})
endfunction()
