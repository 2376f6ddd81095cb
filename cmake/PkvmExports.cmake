# File: cmake/PkvmExports.cmake
# cmake -DNM=nm -DOBJECT=all.o -DTARGET=t -DOUT=t -P PkvmExports.cmake
# What a native module object exports: every symbol its EL1 code names with
# EXPORT_SYMBOL() (<linux/export.h> defines a variable __pkvm_ksymtab_<sym>).
# Writes
#   <OUT>.redef  "sym pkvm_export_<target>_sym" per export: applied to the
#                module itself and to every module built with DEPENDS on it,
#                so the three generation builds of one module (same export
#                names) link side by side into one test binary, each
#                consumer bound to the provider build it depends on;
#   <OUT>.keep   the global symbols kept: the descriptor
#                pkvm_module_<target> and the renamed exports.
execute_process(COMMAND "${NM}" "${OBJECT}" OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "PkvmExports: ${NM} ${OBJECT} failed")
endif()
set(keep "pkvm_module_${TARGET}\n")
set(redef "")
string(REGEX MATCHALL "__pkvm_ksymtab_[A-Za-z0-9_]+" exports "${syms}")
list(REMOVE_DUPLICATES exports)
foreach(e IN LISTS exports)
  string(REGEX REPLACE "^__pkvm_ksymtab_" "" name "${e}")
  string(APPEND redef "${name} pkvm_export_${TARGET}_${name}\n")
  string(APPEND keep "pkvm_export_${TARGET}_${name}\n")
endforeach()
foreach(f keep redef)
  file(WRITE "${OUT}.${f}.tmp" "${${f}}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OUT}.${f}.tmp" "${OUT}.${f}")
endforeach()
