# File: cmake/PkvmModuleAarch64.cmake
# The AArch64 half of pkvm_add_module(): when aarch64-linux-gnu-gcc and its
# binutils are installed, every module is also built as NAME.ko, a
# relocatable AArch64 ELF in the kernel's module layout, for libpkvm's
# Unicorn backend (docs/aarch64-modules.md):
#
#   EL2 sources  -> aarch64-linux-gnu-gcc with the Kbuild EL2 flags -> *.nvhe.o
#   ld -r -T hyp-aarch64.lds *.nvhe.o libpkvm_a64_el2.a -> kvm_nvhe.tmp.o
#   gen_hyprel kvm_nvhe.tmp.o -> hyp-reloc.S -> hyp-reloc.o   (.hyp.reloc)
#   ld -r kvm_nvhe.tmp.o hyp-reloc.o; objcopy --prefix-symbols=__kvm_nvhe_ -> kvm_nvhe.o
#   EL1 sources + <target>.ko.mod.c -> *.o
#   ld -r EL1 objects kvm_nvhe.o libpkvm_a64_el1_a<GEN>.a -> NAME.ko
#
# The .ko is target <target>_ko; its path is that target's PKVM_KO_FILE
# property. Defines and include directories are taken from the native
# module's <target>_el1 / <target>_el2 object libraries, so both builds see
# the same headers. Set PKVM_AARCH64_MODULES=OFF to skip the .ko files.
#
# The EL1 glue and EL2 runtime archives and the gen_hyprel tool are built by
# arch/aarch64/CMakeLists.txt (pkvm_a64_add_glue()) and installed with the
# package, so a project using an installed libpkvm gets .ko files too.
include_guard(GLOBAL)

option(PKVM_AARCH64_MODULES "Also build AArch64 .ko files when aarch64-linux-gnu-gcc is found" ON)

# Sets PKVM_AARCH64_FOUND (cache) and the tool paths.
function(_pkvm_a64_find_toolchain)
  if(DEFINED CACHE{PKVM_AARCH64_FOUND})
    return()
  endif()
  find_program(PKVM_AARCH64_CC aarch64-linux-gnu-gcc)
  find_program(PKVM_AARCH64_LD aarch64-linux-gnu-ld)
  find_program(PKVM_AARCH64_OBJCOPY aarch64-linux-gnu-objcopy)
  find_program(PKVM_AARCH64_AR aarch64-linux-gnu-ar)
  set(found OFF)
  if(PKVM_AARCH64_CC AND PKVM_AARCH64_LD AND PKVM_AARCH64_OBJCOPY AND PKVM_AARCH64_AR)
    execute_process(COMMAND "${PKVM_AARCH64_CC}" -print-file-name=include
                    OUTPUT_VARIABLE inc OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND IS_DIRECTORY "${inc}")
      set(PKVM_AARCH64_CC_INCLUDE "${inc}" CACHE INTERNAL "freestanding headers of aarch64-linux-gnu-gcc")
      set(found ON)
    endif()
  endif()
  if(found)
    message(STATUS "libpkvm: AArch64 toolchain for .ko modules: ${PKVM_AARCH64_CC}")
  else()
    message(STATUS "libpkvm: aarch64-linux-gnu-gcc/binutils not found: no AArch64 .ko modules")
  endif()
  set(PKVM_AARCH64_FOUND ${found} CACHE INTERNAL "aarch64-linux-gnu toolchain found")
endfunction()

# The flags Kbuild gives module code on arm64 that matter for code
# generation (spec §1): freestanding, no FP/SIMD registers, no outline
# atomics (no libgcc helpers at EL2), no PIE (small code model: ADRP +
# ADD/LDR pairs, absolute addresses as R_AARCH64_ABS64), no stack protector,
# no unwind tables. -g: the .ko keeps DWARF for gdb (add-symbol-file) and
# for the Unicorn backend's coverage (its line table); the loader copies
# only allocated sections, so it costs nothing at run time.
function(_pkvm_a64_cflags out)
  set(${out} -O2 -g -std=gnu11 -nostdinc -isystem "${PKVM_AARCH64_CC_INCLUDE}" -ffreestanding
      -fno-common -fno-strict-aliasing -fno-PIE -mgeneral-regs-only -mno-outline-atomics
      -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
      -Wno-pointer-sign
      # DWARF for file:line in hyp panic reports (the loader reads only the
      # allocated sections); frame records for their call trace, as arm64
      # kernels build with CONFIG_FRAME_POINTER.
      -g -fno-omit-frame-pointer
      # asm/io.h uses real loads and stores in .ko code.
      -DPKVM_A64_KO=1 PARENT_SCOPE)
endfunction()

# _pkvm_a64_compile(<out.o> <source> [flags...]): one cross-compiled object
# (through ${_pkvm_a64_launcher}, the compiler notes of a module's objects,
# when the caller sets it).
function(_pkvm_a64_compile out src)
  get_filename_component(name "${out}" NAME)
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${_pkvm_a64_launcher} "${PKVM_AARCH64_CC}" ${ARGN} -MD -MF "${out}.d" -MT "${out}" -c "${src}" -o "${out}"
    DEPENDS "${src}"
    DEPFILE "${out}.d"
    COMMENT "AArch64 CC ${name}"
    COMMAND_EXPAND_LISTS VERBATIM)
endfunction()

# pkvm_a64_add_glue(): the EL1 glue (one archive per generation) and the EL2
# runtime, from arch/aarch64/glue. Called once, by arch/aarch64/CMakeLists.txt.
function(pkvm_a64_add_glue glue_dir include_dirs)
  _pkvm_a64_find_toolchain()
  if(NOT PKVM_AARCH64_FOUND OR NOT PKVM_AARCH64_MODULES)
    return()
  endif()
  _pkvm_a64_cflags(cflags)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/glue")
  file(MAKE_DIRECTORY "${out}")
  set(incs "")
  foreach(d IN LISTS include_dirs glue_dir)
    list(APPEND incs "-I${d}")
  endforeach()
  set(string_flags -fno-builtin -fno-tree-loop-distribute-patterns)

  # The EL2 runtime: string routines and the BUG/WARN host calls.
  set(el2_objs "")
  foreach(fn memcpy memmove memset memcmp)
    _pkvm_a64_compile("${out}/el2_${fn}.o" "${glue_dir}/el1_string.c" ${cflags} ${string_flags}
                      -DPKVM_A64_STRING_${fn} -D__KVM_NVHE_HYPERVISOR__)
    list(APPEND el2_objs "${out}/el2_${fn}.o")
  endforeach()
  _pkvm_a64_compile("${out}/el2_hostcalls.o" "${glue_dir}/hostcalls.S" ${incs} -DPKVM_A64_EL2)
  list(APPEND el2_objs "${out}/el2_hostcalls.o")
  _pkvm_a64_compile("${out}/el2_sysreg.o" "${glue_dir}/el2_sysreg.S")
  list(APPEND el2_objs "${out}/el2_sysreg.o")
  # arm_smccc_1_1_smc/arm_smccc_1_2_smc in EL2 code execute a
  # real `smc #0`, which the EL2 CPU traps to the fake EL3.
  _pkvm_a64_compile("${out}/el2_smccc.o" "${glue_dir}/el1_smccc.S" ${incs})
  _pkvm_a64_compile("${out}/el2_smccc_1_2.o" "${glue_dir}/smccc_1_2.S" ${incs})
  list(APPEND el2_objs "${out}/el2_smccc.o" "${out}/el2_smccc_1_2.o")
  set(el2_lib "${out}/libpkvm_a64_el2.a")
  add_custom_command(OUTPUT "${el2_lib}"
    COMMAND "${CMAKE_COMMAND}" -E rm -f "${el2_lib}"
    COMMAND "${PKVM_AARCH64_AR}" rcs "${el2_lib}" ${el2_objs}
    DEPENDS ${el2_objs} COMMENT "AArch64 AR libpkvm_a64_el2.a" VERBATIM)

  # EL1: SMCCC, host calls, string routines, and the per-generation loader.
  set(common_objs "")
  foreach(fn memcpy memmove memset memcmp strlen)
    _pkvm_a64_compile("${out}/el1_${fn}.o" "${glue_dir}/el1_string.c" ${cflags} ${string_flags}
                      -DPKVM_A64_STRING_${fn})
    list(APPEND common_objs "${out}/el1_${fn}.o")
  endforeach()
  _pkvm_a64_compile("${out}/el1_smccc.o" "${glue_dir}/el1_smccc.S" ${incs})
  _pkvm_a64_compile("${out}/el1_hostcalls.o" "${glue_dir}/hostcalls.S" ${incs})
  list(APPEND common_objs "${out}/el1_smccc.o" "${out}/el1_hostcalls.o")
  _pkvm_a64_compile("${out}/el1_smccc_1_2.o" "${glue_dir}/smccc_1_2.S" ${incs})
  list(APPEND common_objs "${out}/el1_smccc_1_2.o")
  set(libs "${el2_lib}")
  foreach(gen 14 15 16 17)
    set(defs -DPKVM_GENERATION=${gen})
    if(PKVM_LIST_HARDENED)
      list(APPEND defs -DPKVM_CONFIG_LIST_HARDENED=1)
    endif()
    _pkvm_a64_compile("${out}/el1_load_a${gen}.o" "${glue_dir}/el1_load.c" ${cflags} ${incs} ${defs})
    set(lib "${out}/libpkvm_a64_el1_a${gen}.a")
    add_custom_command(OUTPUT "${lib}"
      COMMAND "${CMAKE_COMMAND}" -E rm -f "${lib}"
      COMMAND "${PKVM_AARCH64_AR}" rcs "${lib}" "${out}/el1_load_a${gen}.o" ${common_objs}
      DEPENDS "${out}/el1_load_a${gen}.o" ${common_objs}
      COMMENT "AArch64 AR libpkvm_a64_el1_a${gen}.a" VERBATIM)
    list(APPEND libs "${lib}")
    set_property(GLOBAL PROPERTY PKVM_A64_EL1_GLUE_A${gen} "${lib}")
  endforeach()
  set_property(GLOBAL PROPERTY PKVM_A64_EL2_RUNTIME "${el2_lib}")
  add_custom_target(pkvm_a64_glue ALL DEPENDS ${libs})
endfunction()

# _pkvm_add_module_ko(<target> <generation> <kbuild modname> <output dir>
#                     EL1 <sources> [EL2 <sources>]): called at the end of
# pkvm_add_module(), after <target>_el1 (and <target>_el2) exist.
function(_pkvm_add_module_ko target gen modname outdir)
  cmake_parse_arguments(PARSE_ARGV 4 ARG "" "DEPENDS" "EL1;EL2;EL1_OPTIONS;EL2_OPTIONS")
  set(cmake_dir "${CMAKE_CURRENT_FUNCTION_LIST_DIR}")
  _pkvm_a64_find_toolchain()
  if(NOT PKVM_AARCH64_FOUND OR NOT PKVM_AARCH64_MODULES)
    return()
  endif()
  # In libpkvm's tree: the glue and gen_hyprel targets. Against an installed
  # libpkvm: pkvm::gen_hyprel and the glue archives it installed in
  # <libdir>/pkvm/aarch64 (this file is in <libdir>/cmake/pkvm).
  # (PKVM_A64_GLUE_DIR: the archives of a libpkvm build tree used as a package.)
  set(installed_glue "${cmake_dir}/../../pkvm/aarch64")
  if(DEFINED PKVM_A64_GLUE_DIR)
    set(installed_glue "${PKVM_A64_GLUE_DIR}")
  endif()
  if(TARGET pkvm_gen_hyprel AND TARGET pkvm_a64_glue)
    set(gen_hyprel pkvm_gen_hyprel)
    get_property(el1_glue GLOBAL PROPERTY PKVM_A64_EL1_GLUE_A${gen})
    get_property(el2_runtime GLOBAL PROPERTY PKVM_A64_EL2_RUNTIME)
  elseif(TARGET pkvm::gen_hyprel AND EXISTS "${installed_glue}/libpkvm_a64_el1_a${gen}.a"
         AND EXISTS "${installed_glue}/libpkvm_a64_el2.a")
    set(gen_hyprel pkvm::gen_hyprel)
    get_filename_component(installed_glue "${installed_glue}" ABSOLUTE)
    set(el1_glue "${installed_glue}/libpkvm_a64_el1_a${gen}.a")
    set(el2_runtime "${installed_glue}/libpkvm_a64_el2.a")
  else()
    get_property(told GLOBAL PROPERTY _PKVM_A64_TOLD_NO_GLUE)
    if(NOT told)
      message(STATUS "libpkvm: no AArch64 .ko modules here: this libpkvm has no gen_hyprel "
                     "and EL1 glue (built without aarch64-linux-gnu-gcc?)")
      set_property(GLOBAL PROPERTY _PKVM_A64_TOLD_NO_GLUE ON)
    endif()
    return()
  endif()
  _pkvm_a64_cflags(cflags)
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.pkvm/a64")
  file(MAKE_DIRECTORY "${dir}")

  # -D and -I of the native object libraries (with what pkvm::compat and
  # pkvm::abi add), so the .ko sees exactly the native module's headers.
  foreach(half el1 el2)
    if(TARGET ${target}_${half})
      set(d "$<TARGET_PROPERTY:${target}_${half},COMPILE_DEFINITIONS>")
      set(i "$<TARGET_PROPERTY:${target}_${half},INCLUDE_DIRECTORIES>")
      set(${half}_flags "$<$<BOOL:${d}>:-D$<JOIN:${d},$<SEMICOLON>-D>>"
                        "$<$<BOOL:${i}>:-I$<JOIN:${i},$<SEMICOLON>-I>>")
    endif()
  endforeach()

  set(nvhe "")
  # CONFIG_PKVM_FTRACE (A16, A17): EL2 code is instrumented, as the native build.
  set(ftrace_flags "")
  if(gen GREATER_EQUAL 16)
    set(ftrace_flags -finstrument-functions)
  endif()
  if(ARG_EL2)
    set(objs "")
    foreach(src IN LISTS ARG_EL2)
      get_filename_component(abs "${src}" ABSOLUTE)
      get_filename_component(base "${src}" NAME_WE)
      string(REPLACE "-" "_" base "${base}")
      _pkvm_a64_compile("${dir}/${base}.nvhe.o" "${abs}" ${cflags} ${el2_flags} ${ftrace_flags}
                        ${ARG_EL2_OPTIONS} ${_pkvm_source_options_${abs}}
                        "-DKBUILD_MODNAME=\"${base}.nvhe\"" "-DKBUILD_BASENAME=\"${base}\"")
      list(APPEND objs "${dir}/${base}.nvhe.o")
    endforeach()
    set(nvhe "${dir}/kvm_nvhe.o")
    add_custom_command(
      OUTPUT "${nvhe}"
      COMMAND "${PKVM_AARCH64_LD}" -r -T "${cmake_dir}/hyp-aarch64.lds" ${objs}
              "${el2_runtime}" -o "${dir}/kvm_nvhe.tmp.o"
      COMMAND ${gen_hyprel} "${dir}/kvm_nvhe.tmp.o" -o "${dir}/hyp-reloc.S"
      COMMAND "${PKVM_AARCH64_CC}" -c "${dir}/hyp-reloc.S" -o "${dir}/hyp-reloc.o"
      COMMAND "${PKVM_AARCH64_LD}" -r "${dir}/kvm_nvhe.tmp.o" "${dir}/hyp-reloc.o"
              -o "${dir}/kvm_nvhe.rel.o"
      COMMAND "${PKVM_AARCH64_OBJCOPY}" --prefix-symbols=__kvm_nvhe_ "${dir}/kvm_nvhe.rel.o"
              "${nvhe}"
      DEPENDS ${objs} "${el2_runtime}" "${cmake_dir}/hyp-aarch64.lds" ${gen_hyprel}
      COMMENT "pKVM module ${modname}: AArch64 EL2 objects, .hyp.reloc -> kvm_nvhe.o"
      VERBATIM)
  endif()

  set(PKVM_TARGET "${target}")
  set(PKVM_MODNAME "${modname}")
  set(PKVM_DEPENDS "${ARG_DEPENDS}")  # .modinfo depends=
  configure_file("${cmake_dir}/module.ko.mod.c.in" "${dir}/${target}.ko.mod.c" @ONLY)
  set(objs "")
  set(n 0)
  foreach(src IN LISTS ARG_EL1 ITEMS "${dir}/${target}.ko.mod.c")
    get_filename_component(abs "${src}" ABSOLUTE)
    get_filename_component(base "${src}" NAME_WE)
    math(EXPR n "${n} + 1")
    _pkvm_a64_compile("${dir}/el1_${n}_${base}.o" "${abs}" ${cflags} ${el1_flags} ${ARG_EL1_OPTIONS}
                      ${_pkvm_source_options_${abs}})
    list(APPEND objs "${dir}/el1_${n}_${base}.o")
  endforeach()

  set(ko "${outdir}/${modname}.ko")
  add_custom_command(
    OUTPUT "${ko}"
    COMMAND "${PKVM_AARCH64_LD}" -r ${objs} ${nvhe} "${el1_glue}" -o "${ko}"
    DEPENDS ${objs} ${nvhe} "${el1_glue}"
    COMMENT "pKVM module ${modname}: linking ${modname}.ko (AArch64)"
    VERBATIM)
  add_custom_target(${target}_ko ALL DEPENDS "${ko}")
  if(TARGET pkvm_a64_glue)
    add_dependencies(${target}_ko pkvm_a64_glue)
  endif()
  set_target_properties(${target}_ko PROPERTIES PKVM_KO_FILE "${ko}" PKVM_MODULE_NAME "${modname}"
                        PKVM_MODULE_GENERATION "${gen}")
  # The native descriptor names its AArch64 build, so OfferModule() of the
  # descriptor works on the Unicorn backend too (include/pkvm/native_module.h).
  if(TARGET ${target}_el1)
    target_compile_definitions(${target}_el1 PRIVATE "PKVM_KO_PATH=\"${ko}\"")
  endif()
endfunction()
