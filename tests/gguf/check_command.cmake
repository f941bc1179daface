# Runs a command and checks its exit code and output; used by ctest for glasswing-cli.
#   cmake -DCOMMAND="prog;arg;..." -DEXIT_CODE=N [-DMATCH="regex;regex"] [-DLINES=N] [-DREQUIRE_FILE=path]
#         -P check_command.cmake
# Every MATCH regex must match the combined stdout+stderr; LINES, when given, is the exact number of output
# lines. A missing REQUIRE_FILE prints "SKIP: ..." (the test sets SKIP_REGULAR_EXPRESSION to "SKIP:").
if(DEFINED REQUIRE_FILE AND NOT EXISTS "${REQUIRE_FILE}")
  message("SKIP: test data not found: ${REQUIRE_FILE}")
  return()
endif()
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
message("${all}")
if(NOT code STREQUAL "${EXIT_CODE}")
  message(FATAL_ERROR "exit code ${code}, expected ${EXIT_CODE}")
endif()
foreach(re IN LISTS MATCH)
  if(NOT all MATCHES "${re}")
    message(FATAL_ERROR "output does not match '${re}'")
  endif()
endforeach()
if(DEFINED LINES)
  string(REGEX REPLACE "\n$" "" trimmed "${all}")
  string(REGEX MATCHALL "\n" newlines "${trimmed}")
  list(LENGTH newlines n)
  math(EXPR n "${n} + 1")
  if(NOT n EQUAL LINES)
    message(FATAL_ERROR "${n} output lines, expected ${LINES}")
  endif()
endif()
