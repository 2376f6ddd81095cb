# File: cmake/PkvmModule.cmake
# pkvm_add_module(): build a pKVM vendor module (EL1 + EL2 sources, unchanged
# from a Kbuild tree) for libpkvm, the way Kbuild builds it for a device:
#
#   pkvm_add_module(pkvm_driver GENERATION 15
#                   EL1 el1.c
#                   EL2 hyp/el2.c
#                   [MODNAME pkvm_driver]   # KBUILD_MODNAME, default: the target
#                   [OUTPUT_DIRECTORY dir]  # where MODNAME.so goes
#                   [DEPENDS target...])    # modules whose EXPORT_SYMBOLs it uses
#
# EL2 sources: -D__KVM_NVHE_HYPERVISOR__ -D__DISABLE_EXPORTS, no sanitizers,
# no stack protector, no unwind tables; `ld -r -T hyp.lds` into the .hyp.*
# sections; `objcopy --prefix-symbols=__kvm_nvhe_`. EL1 sources: -DMODULE and
# KBUILD_MODNAME. Both: -nostdinc with libpkvm's kernel-named headers, and the
# generation picked with -DPKVM_GENERATION.
#
# Results:
#   <target>         a static library to link into a test binary; the module is
#                    PKVM_NATIVE_MODULE(<target>) there (all its other symbols
#                    are local, so any number of modules link side by side);
#   <MODNAME>.so     (target <target>_so) for `pkvm run --module`;
#   <MODNAME>.ko     (target <target>_ko) when aarch64-linux-gnu-gcc is found:
#                    the AArch64 module for the Unicorn backend
#                    (cmake/PkvmModuleAarch64.cmake).
#
# DEPENDS (compat slice, issue 8; what KBUILD_EXTRA_SYMBOLS is to Kbuild):
# the module calls functions other modules export (EXPORT_SYMBOL, also of
# their EL2 functions: EXPORT_SYMBOL(kvm_nvhe_sym(fn))). The static library
# links them, NAME.so needs their .so (DT_NEEDED, found next to it), and the
# module records their names (descriptor `depends`, .modinfo depends=):
# loading it before them fails with a message naming the missing module.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/PkvmModuleAarch64.cmake")

set(_PKVM_MODULE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(_pkvm_compiler_include_dir out)
  if(NOT DEFINED CACHE{PKVM_COMPILER_INCLUDE_DIR})
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(PKVM_COMPILER_INCLUDE_DIR "${dir}" CACHE INTERNAL "freestanding headers of the C compiler")
  endif()
  set(${out} "${PKVM_COMPILER_INCLUDE_DIR}" PARENT_SCOPE)
endfunction()

function(pkvm_add_module target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "GENERATION;MODNAME;OUTPUT_DIRECTORY" "EL1;EL2;DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "pkvm_add_module(${target}): unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_GENERATION MATCHES "^(14|15|16)$")
    message(FATAL_ERROR "pkvm_add_module(${target}): GENERATION must be 14, 15 or 16 (got '${ARG_GENERATION}')")
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

  # Flags common to both halves: a kernel build has no libc headers.
  set(common_options -nostdinc -isystem "${cc_include}" -fno-common -fno-strict-aliasing
      -Wno-pointer-sign -fPIC)
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

  set(nvhe_object "")
  if(ARG_EL2)
    add_library(${target}_el2 OBJECT ${ARG_EL2})
    target_link_libraries(${target}_el2 PRIVATE pkvm::compat)
    target_include_directories(${target}_el2 PRIVATE ${el2_include_dirs})
    target_compile_definitions(${target}_el2 PRIVATE ${common_defs} __KVM_NVHE_HYPERVISOR__
                               __DISABLE_EXPORTS __DISABLE_TRACE_MMIO__ DISABLE_BRANCH_PROFILING)
    # Makefile.nvhe: no sanitizer instrumentation of hypervisor code.
    target_compile_options(${target}_el2 PRIVATE ${common_options} -fno-sanitize=all
                           -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables)
    # Freestanding as the AArch64 build (compat slice, issue 8): memset/memcpy
    # calls stay calls, so a module's own definitions are used by both builds.
    target_compile_options(${target}_el2 PRIVATE -ffreestanding)
    # On an AArch64 host, atomics inline as in the kernel (arm64 builds with
    # -mno-outline-atomics): no libgcc helper, which EL2 code has none of.
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
      target_compile_options(${target}_el2 PRIVATE -mno-outline-atomics)
    endif()
    if(ARG_GENERATION EQUAL 16)
      # CONFIG_PKVM_FTRACE: every EL2 function entry and return can be traced
      # (func / func_ret events); the kernel patches function entries, the
      # native build has the compiler call the tracer.
      target_compile_options(${target}_el2 PRIVATE -finstrument-functions)
      target_compile_definitions(${target}_el2 PRIVATE CONFIG_PKVM_FTRACE=1)
    endif()
    set_target_properties(${target}_el2 PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
                          POSITION_INDEPENDENT_CODE ON)
    foreach(src IN LISTS ARG_EL2)
      get_filename_component(base "${src}" NAME_WE)
      string(REPLACE "-" "_" base "${base}")
      set_property(SOURCE "${src}" TARGET_DIRECTORY ${target}_el2 APPEND PROPERTY
                   COMPILE_DEFINITIONS "KBUILD_MODNAME=\"${base}.nvhe\"" "KBUILD_BASENAME=\"${base}\"")
    endforeach()
    set(nvhe_object "${dir}/kvm_nvhe.o")
    add_custom_command(
      OUTPUT "${nvhe_object}"
      COMMAND "${CMAKE_LINKER}" -r -T "${_PKVM_MODULE_DIR}/hyp-native.lds"
              "$<TARGET_OBJECTS:${target}_el2>" -o "${dir}/kvm_nvhe.tmp.o"
      COMMAND "${CMAKE_OBJCOPY}" --prefix-symbols=__kvm_nvhe_ "${dir}/kvm_nvhe.tmp.o"
              "${dir}/kvm_nvhe.prefixed.o"
      # The GOT base is the linker's, not the hypervisor's.
      COMMAND "${CMAKE_OBJCOPY}" --redefine-sym
              __kvm_nvhe__GLOBAL_OFFSET_TABLE_=_GLOBAL_OFFSET_TABLE_
              "${dir}/kvm_nvhe.prefixed.o" "${nvhe_object}"
      # The EL2 function list (offsets in .hyp.text, unprefixed names) for
      # hypervisor function tracing and symbolisation.
      COMMAND "${CMAKE_COMMAND}" "-DNM=${CMAKE_NM}" "-DOBJECT=${dir}/kvm_nvhe.tmp.o"
              "-DOUT=${dir}/${target}.ftrace.c" "-DTARGET=${target}"
              -P "${_PKVM_MODULE_DIR}/PkvmFtraceSyms.cmake"
      BYPRODUCTS "${dir}/${target}.ftrace.c"
      DEPENDS "$<TARGET_OBJECTS:${target}_el2>" "${_PKVM_MODULE_DIR}/hyp-native.lds"
              "${_PKVM_MODULE_DIR}/PkvmFtraceSyms.cmake"
      COMMENT "pKVM module ${ARG_MODNAME}: linking EL2 objects into kvm_nvhe.o"
      COMMAND_EXPAND_LISTS VERBATIM)
    set(ftrace_source "${dir}/${target}.ftrace.c")
  else()
    set(ftrace_source "${dir}/${target}.ftrace.c")
    file(WRITE "${ftrace_source}.in" "/* no EL2 code */\n#include <pkvm/native_module.h>\n"
         "const struct pkvm_ftrace_sym pkvm_ftrace_syms_${target}[1];\n")
    configure_file("${ftrace_source}.in" "${ftrace_source}" COPYONLY)
  endif()

  set(PKVM_TARGET "${target}")
  set(PKVM_MODNAME "${kbuild_modname}")
  # compat slice (issue 8): the modules this one imports from.
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
  configure_file("${_PKVM_MODULE_DIR}/module.mod.c.in" "${dir}/${target}.mod.c" @ONLY)
  configure_file("${_PKVM_MODULE_DIR}/module.entry.c.in" "${dir}/${target}.entry.c" @ONLY)

  add_library(${target}_el1 OBJECT ${ARG_EL1} "${dir}/${target}.mod.c" "${ftrace_source}")
  target_link_libraries(${target}_el1 PRIVATE pkvm::compat)
  target_compile_definitions(${target}_el1 PRIVATE ${common_defs} MODULE
                             "KBUILD_MODNAME=\"${kbuild_modname}\"")
  target_compile_options(${target}_el1 PRIVATE ${common_options})
  set_target_properties(${target}_el1 PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
                        POSITION_INDEPENDENT_CODE ON)

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

  add_library(${target} STATIC "${module_object}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_link_libraries(${target} INTERFACE pkvm::pkvm)

  add_library(${target}_so MODULE "${module_object}" "${dir}/${target}.entry.c")
  target_link_libraries(${target}_so PRIVATE pkvm::pkvm)
  target_link_options(${target}_so PRIVATE -Wl,--no-undefined)
  foreach(dep IN LISTS ARG_DEPENDS)  # compat slice (issue 8)
    target_link_libraries(${target} INTERFACE ${dep})
    add_dependencies(${target}_so ${dep}_so)
    # A flag, so CMake passes the .so by its path (its name has no lib prefix).
    target_link_libraries(${target}_so PRIVATE "-Wl,$<TARGET_FILE:${dep}_so>")
    set_property(TARGET ${target}_so APPEND PROPERTY BUILD_RPATH "$<TARGET_FILE_DIR:${dep}_so>")
  endforeach()
  set_target_properties(${target}_so PROPERTIES PREFIX "" OUTPUT_NAME "${kbuild_modname}"
                        LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  set_target_properties(${target} PROPERTIES PKVM_MODULE_BUILD_DIR "${dir}")  # compat slice
  set_target_properties(${target} ${target}_so PROPERTIES PKVM_MODULE_NAME "${kbuild_modname}"
                        PKVM_MODULE_GENERATION "${ARG_GENERATION}")
  _pkvm_add_module_ko(${target} ${ARG_GENERATION} ${kbuild_modname} "${ARG_OUTPUT_DIRECTORY}"
                      EL1 ${ARG_EL1} EL2 ${ARG_EL2} DEPENDS "${PKVM_DEPENDS}")
endfunction()
