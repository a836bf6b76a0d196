# keelson_add_library(NAME <target> [DEPENDS <targets>...])
#   A static library from every .cpp beside the calling CMakeLists.txt (recursively), with the
#   repository root as include root (`#include "collectors/cgroup/reader.h"`). Sources are globbed
#   so that adding a file never means editing a list another engineer is also editing.
#   The target is also registered in the global property KEELSON_LIBRARIES.
function(keelson_add_library)
  cmake_parse_arguments(ARG "" "NAME" "DEPENDS;EXCLUDE" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(excluded ${ARG_EXCLUDE})
    list(FILTER sources EXCLUDE REGEX "${excluded}")
  endforeach()
  if(sources)
    add_library(${ARG_NAME} STATIC ${sources})
    target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPENDS})
  else()
    add_library(${ARG_NAME} INTERFACE)
    target_include_directories(${ARG_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${ARG_NAME} INTERFACE ${ARG_DEPENDS})
  endif()
  set_property(GLOBAL APPEND PROPERTY KEELSON_LIBRARIES ${ARG_NAME})
endfunction()

# keelson_add_unit_tests(NAME <exe> DIR <dir under tests/unit> LIBS <targets>...)
#   One GoogleTest executable from every *_test.cpp under DIR; each TEST is its own CTest test,
#   labelled `unit`.
function(keelson_add_unit_tests)
  cmake_parse_arguments(ARG "" "NAME;DIR" "LIBS" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${ARG_DIR}/*_test.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${ARG_NAME} ${sources})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
                             KEELSON_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures")
  gtest_discover_tests(${ARG_NAME} PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endfunction()

# keelson_add_peer_test(NAME <name> COMMAND <cmd>... PEERS <kafka|kube|prometheus>...
#                       [LABEL integration|e2e] [TIMEOUT <s>])
#   A test that talks to real peers. The peers are started once per ctest run by the fixtures in
#   tests/peers/CMakeLists.txt; the test finds their addresses in the env files under
#   $KEELSON_PEERS_DIR (<peer>.env, KEY=VALUE lines). A test whose peer could not be started fails
#   with the reason: it is never skipped.
function(keelson_add_peer_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "COMMAND;PEERS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL integration)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_COMMAND})
  set_tests_properties(${ARG_NAME} PROPERTIES
    LABELS "${ARG_LABEL}"
    TIMEOUT ${ARG_TIMEOUT}
    FIXTURES_REQUIRED "${ARG_PEERS}"
    ENVIRONMENT "KEELSON_PEERS_DIR=${KEELSON_PEERS_DIR};KEELSON_SOURCE_DIR=${PROJECT_SOURCE_DIR};KEELSON_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# keelson_collector_libraries(<out-var>): every library under collectors/ (what agent/ and
# autoscaler/ may depend on, README.md's layout table).
function(keelson_collector_libraries out)
  get_property(all GLOBAL PROPERTY KEELSON_LIBRARIES)
  set(result)
  foreach(lib ${all})
    get_target_property(dir ${lib} SOURCE_DIR)
    if(dir MATCHES "^${PROJECT_SOURCE_DIR}/collectors(/|$)")
      list(APPEND result ${lib})
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()
