# Installs the runner and the CMake package that find_package(fastappkit CONFIG) loads:
#
#   bin/fastappkit
#   lib/cmake/fastappkit/fastappkitConfig.cmake         includes the two files below
#   lib/cmake/fastappkit/fastappkitConfigVersion.cmake  SameMinorVersion
#   lib/cmake/fastappkit/fastappkitTargets*.cmake       the imported fastappkit::fastappkit,
#                                                       fastappkit::embedded, fastappkit::postgresql
#   lib/libfastappkit_embedded.a, …_postgresql.a         the embedded API's static libraries
#   include/fastappkit/                                 its headers (embedded.h)
#   lib/cmake/fastappkit/fastappkit.cmake               the fastappkit_* functions
#   lib/cmake/fastappkit/fastappkit-fixture-setup.cmake run by fixture setup tests
#   share/fastappkit/templates/                          scaffolding templates
#   share/fastappkit/apps/                               where installed external apps go
#
# Only for the top-level project by default: a parent that adds fastappkit with add_subdirectory
# or FetchContent uses the in-tree runner and does not install it unless it asks to.

option(FASTAPPKIT_INSTALL "Install the fastappkit runner and its CMake package"
  ${PROJECT_IS_TOP_LEVEL})
if(NOT FASTAPPKIT_INSTALL)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FASTAPPKIT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/fastappkit" CACHE STRING
  "Where the fastappkit CMake package is installed, relative to the prefix")
mark_as_advanced(FASTAPPKIT_INSTALL_CMAKEDIR)

install(TARGETS fastappkit EXPORT fastappkitTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# fastappkit_embedded holds the runtime's objects: the internal libraries are not installed.
set(_fastappkit_libraries fastappkit_embedded)
set(FASTAPPKIT_PACKAGE_HAS_POSTGRESQL OFF)
# The static libraries go in their own export sets: a project that enables no C++ (one that
# only migrates) then needs neither their dependencies nor a compiler, and one that uses
# SQLite only does not need libpqxx (the postgresql component; see the config file).
install(TARGETS ${_fastappkit_libraries} EXPORT fastappkitEmbeddedTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
if(TARGET fastappkit_embedded_postgresql)
  install(TARGETS fastappkit_embedded_postgresql EXPORT fastappkitPostgresqlTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
  install(EXPORT fastappkitPostgresqlTargets
    NAMESPACE fastappkit::
    DESTINATION "${FASTAPPKIT_INSTALL_CMAKEDIR}")
  list(APPEND _fastappkit_libraries fastappkit_embedded_postgresql)
  set(FASTAPPKIT_PACKAGE_HAS_POSTGRESQL ON)
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/tool/include/fastappkit"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
if(TARGET fastappkit_postgresql)
  # The runner loads it from <bindir>/../<libdir>/fastappkit (see tool/CMakeLists.txt).
  install(TARGETS fastappkit_postgresql LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}/fastappkit")
endif()
install(EXPORT fastappkitTargets
  NAMESPACE fastappkit::
  DESTINATION "${FASTAPPKIT_INSTALL_CMAKEDIR}")
install(EXPORT fastappkitEmbeddedTargets
  NAMESPACE fastappkit::
  DESTINATION "${FASTAPPKIT_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/fastappkitConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/fastappkitConfig.cmake"
  INSTALL_DESTINATION "${FASTAPPKIT_INSTALL_CMAKEDIR}")
# Not ARCH_INDEPENDENT: the package ships a binary built for one architecture.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/fastappkitConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/fastappkitConfig.cmake"
  "${PROJECT_BINARY_DIR}/fastappkitConfigVersion.cmake"
  "${CMAKE_CURRENT_LIST_DIR}/fastappkit.cmake"
  "${CMAKE_CURRENT_LIST_DIR}/fastappkit-fixture-setup.cmake"
  DESTINATION "${FASTAPPKIT_INSTALL_CMAKEDIR}")

# Everything `cmake --install` copies, as one target: `cmake --build build --target
# fastappkit_package && cmake --install build` installs what was built, nothing more.
add_custom_target(fastappkit_package)
add_dependencies(fastappkit_package fastappkit ${_fastappkit_libraries})
if(TARGET fastappkit_postgresql)
  add_dependencies(fastappkit_package fastappkit_postgresql)
endif()

install(DIRECTORY "${PROJECT_SOURCE_DIR}/templates/"
  DESTINATION "${CMAKE_INSTALL_DATADIR}/fastappkit/templates")
install(DIRECTORY DESTINATION "${CMAKE_INSTALL_DATADIR}/fastappkit/apps")
