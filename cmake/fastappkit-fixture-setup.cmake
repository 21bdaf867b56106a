# The <name>_setup test of fastappkit_add_test_fixture(): a fresh database, migrated.
#
#   cmake -P fastappkit-fixture-setup.cmake -- <runner> <global options...>
#
# The global options name the project and the fixture's --database-url; this script adds the
# commands, so the database is created empty (`db reset`) and then migrated (`migrate all`).

cmake_minimum_required(VERSION 3.25)

set(runner_command)
set(after_separator FALSE)
math(EXPR last_argument "${CMAKE_ARGC} - 1")
foreach(index RANGE ${last_argument})
  if(after_separator)
    list(APPEND runner_command "${CMAKE_ARGV${index}}")
  elseif(CMAKE_ARGV${index} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT runner_command)
  message(FATAL_ERROR "fastappkit-fixture-setup.cmake needs the runner command after '--'.\n"
    "Help: this script is run by the tests fastappkit_add_test_fixture() adds.")
endif()

# The command line is not echoed: the database URL may hold a password.
foreach(step IN ITEMS "db;reset" "migrate;all")
  list(JOIN step " " step_text)
  message(STATUS "fastappkit ${step_text}")
  execute_process(COMMAND ${runner_command} ${step} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "fastappkit ${step_text} failed (exit status ${result}): the fixture's "
      "database is not ready.\n"
      "Help: the runner's message is above.")
  endif()
endforeach()
