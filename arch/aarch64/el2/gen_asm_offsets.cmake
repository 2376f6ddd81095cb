# File: arch/aarch64/el2/gen_asm_offsets.cmake
# cmake -DIN=asm_offsets.s -DOUT=el2_asm_offsets.h -P gen_asm_offsets.cmake
# Turns the "->NAME value" markers asm_offsets.cc leaves in its assembly into
# a header of #defines for vectors.S.
file(STRINGS "${IN}" lines REGEX "->[A-Z_0-9]+ #?[0-9]+")
set(text "/* Generated from arch/aarch64/el2/asm_offsets.cc: do not edit. */\n")
string(APPEND text "#ifndef PKVM_EL2_ASM_OFFSETS_H_\n#define PKVM_EL2_ASM_OFFSETS_H_\n")
set(n 0)
foreach(line IN LISTS lines)
  string(REGEX MATCH "->([A-Z_0-9]+) #?([0-9]+)" _ "${line}")
  string(APPEND text "#define ${CMAKE_MATCH_1} ${CMAKE_MATCH_2}\n")
  math(EXPR n "${n} + 1")
endforeach()
if(n EQUAL 0)
  message(FATAL_ERROR "gen_asm_offsets: no offsets found in ${IN}")
endif()
string(APPEND text "#endif\n")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
