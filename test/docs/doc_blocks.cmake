# File: test/docs/doc_blocks.cmake -- the fenced code block that follows an
# HTML comment marker in a Markdown file:
#
#   <!-- doc-example: c-api -->
#   ```c
#   ...
#   ```
#
# pkvm_doc_blocks(<doc> <marker regex> <out list var>): the bodies of every
# block that follows a marker matching <marker regex> (without the fences).
# Each body is stored in <out>_<i> (i = 0..) and <out>_COUNT is set; the
# marker text of each in <out>_<i>_MARKER.
function(pkvm_doc_blocks doc marker out)
  file(READ "${doc}" content)
  string(REPLACE ";" "\\;" content "${content}")
  string(REPLACE "\n" ";" lines "${content}")
  set(n 0)
  set(state "prose")  # prose -> marked -> code
  set(body "")
  foreach(line IN LISTS lines)
    if(state STREQUAL "prose")
      if(line MATCHES "^<!-- (${marker}) -->$")
        set(state "marked")
        set(${out}_${n}_MARKER "${CMAKE_MATCH_1}" PARENT_SCOPE)
      endif()
    elseif(state STREQUAL "marked")
      if(line MATCHES "^```")
        set(state "code")
        set(body "")
      elseif(NOT line STREQUAL "")
        message(FATAL_ERROR "${doc}: a marker must be followed by a fenced code block")
      endif()
    else()
      if(line MATCHES "^```$")
        set(${out}_${n} "${body}" PARENT_SCOPE)
        math(EXPR n "${n} + 1")
        set(state "prose")
      else()
        string(APPEND body "${line}\n")
      endif()
    endif()
  endforeach()
  if(NOT state STREQUAL "prose")
    message(FATAL_ERROR "${doc}: unterminated code block after a marker")
  endif()
  set(${out}_COUNT ${n} PARENT_SCOPE)
endfunction()
