#[=======================================================================[.rst:
fastappkit
----------

Build targets that migrate the databases of a fastappkit project, and CTest
fixtures that hand tests a freshly migrated database.

The module is loaded by ``find_package(fastappkit CONFIG REQUIRED)`` (installed
package) or by adding the fastappkit source tree with ``add_subdirectory()`` or
``FetchContent_MakeAvailable()``; the functions are usable right after either.

The runner is always referred to as the executable target
``fastappkit::fastappkit``: an imported target in the installed package, an
alias of the target built in the same tree otherwise (the migrate targets then
depend on it, so building them builds the runner first).

Reading the project happens at configure time, the way Corrosion reads
``cargo metadata``: the runner's ``describe`` command prints the project as
JSON (apps, manifests, migration order) and the module walks it with
``string(JSON)``. TOML is parsed by the runner only. The runner used for that:

1. the ``FASTAPPKIT_RUNNER`` cache variable, when set (a path to a
   ``fastappkit`` executable; if no ``fastappkit::fastappkit`` target exists,
   one is imported from it for the build-time targets);
2. else the location of the imported ``fastappkit::fastappkit``;
3. else (the runner is built in this tree but not yet, as on a first
   configure) a runner built once, with ``execute_process()``, into
   ``${CMAKE_BINARY_DIR}/_fastappkit_bootstrap`` and reused by every later
   configure. Delete that directory to rebuild it.

Cache variables
^^^^^^^^^^^^^^^

.. variable:: FASTAPPKIT_RUNNER

  Path of the runner used at configure time (see above). Empty by default.

.. variable:: FASTAPPKIT_TEST_DATABASE_URL

  Empty by default (the environment variable of the same name sets it). A
  PostgreSQL URL, ``postgresql://user@host:port/app``: every
  ``fastappkit_add_test_fixture()`` without its own ``DATABASE_URL`` then gets
  the database ``app_<fixture>`` on that server, created by the fixture's setup
  and dropped by its cleanup, so the same tests run on SQLite and PostgreSQL.

.. variable:: FASTAPPKIT_STREAM_APP_OUTPUT

  ``OFF`` by default. The ``migrate_<app>`` targets of independent external
  apps run in parallel under ``ninja -j``; Ninja then shows each runner's
  output when that runner finishes, one block per app, never interleaved.
  ``ON`` puts them in Ninja's ``console`` pool (``USES_TERMINAL``) instead:
  their output streams live, and external apps migrate one at a time.
  ``migrate_core``, ``migrate_all``, ``migrate_status``, ``migrate_preview``
  and ``migrate_drift`` always stream.
#]=======================================================================]

include_guard(GLOBAL)
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)

# Directory variables do not survive the include() into a parent's scope (add_subdirectory of
# fastappkit), so the module's own location is kept as a global property.
set_property(GLOBAL PROPERTY _FASTAPPKIT_MODULE_DIR "${CMAKE_CURRENT_LIST_DIR}")

set(FASTAPPKIT_RUNNER "" CACHE FILEPATH
  "fastappkit runner used to read projects at configure time (empty: fastappkit::fastappkit)")
set(FASTAPPKIT_TEST_DATABASE_URL "$ENV{FASTAPPKIT_TEST_DATABASE_URL}" CACHE STRING
  "PostgreSQL server URL for fixtures without DATABASE_URL: each gets database <db>_<fixture>")
option(FASTAPPKIT_STREAM_APP_OUTPUT
  "Stream migrate_<app> output live (Ninja console pool), migrating external apps one at a time"
  OFF)

#[=======================================================================[.rst:
.. command:: fastappkit_add_project

  Reads a fastappkit project and adds the targets that migrate its database::

    fastappkit_add_project(
      [ROOT <dir>]               # default: CMAKE_CURRENT_SOURCE_DIR
      [DATABASE_URL <url>]       # default: resolved by the runner at build time
      [APP_PATH <dir>...]        # extra external-app search directories
      [TARGET_PREFIX <prefix>]   # default: none
      [FLEET <file>]             # add migrate_fleet over the databases it lists
      [NO_CHECK_TEST]            # do not add the migrate check test
      [NO_CHECKPOINT_TEST]       # do not add the migrate checkpoint test
      [NO_LINT_TEST]             # do not add the migrate lint test
      [NO_ROUNDTRIP_TEST])       # do not add the migrate test test

  ``ROOT``
    The project root, holding ``fastappkit.toml``. A relative path is relative
    to ``CMAKE_CURRENT_SOURCE_DIR``.

  ``DATABASE_URL``
    Passed to every target as ``--database-url``. Without it the runner takes
    ``DATABASE_URL`` from the environment of the build, then from
    ``<root>/.env``. A URL given here is written into the build files: keep
    passwords in the environment or ``.env`` instead.

  ``APP_PATH``
    Directories searched for external apps after the project's own
    ``app_path`` and ``FASTAPPKIT_APP_PATH``. Relative paths are relative to
    ``CMAKE_CURRENT_SOURCE_DIR``. The module also passes
    ``<prefix>/share/fastappkit/apps`` for every existing entry of
    ``CMAKE_PREFIX_PATH`` (the CMake variable, then the environment variable).

  ``TARGET_PREFIX``
    Prepended to every target name, for two projects in one build.

  ``FLEET``
    A file of database URLs, one per line (``#`` comments and blank lines
    skipped; relative to ``CMAKE_CURRENT_SOURCE_DIR``): adds the target
    ``<prefix>migrate_fleet``, which migrates each of them (docs/fleet.md).

  ``NO_CHECK_TEST``
    Without it, a CTest test ``<prefix>migrate_check`` runs ``fastappkit migrate
    check``: it fails when someone edits a ``models.sql`` and forgets the
    migration (on SQLite it opens no database; on PostgreSQL it uses a scratch
    schema of the configured database).

  ``NO_CHECKPOINT_TEST``
    Without it, a CTest test ``<prefix>migrate_checkpoint`` runs ``fastappkit
    migrate check --checkpoints``: it fails when a checkpoint written by
    ``fastappkit migrate squash`` no longer builds what a replay of the
    revisions it replaces builds (docs/checkpoints.md). It costs one replay and
    one run of each checkpoint, on scratch databases; without checkpoints it
    compares nothing.

  ``NO_LINT_TEST``
    Without it, a CTest test ``<prefix>migrate_lint`` runs ``fastappkit migrate
    lint``: it fails on a lint error (a dropped table, a blocking index build on
    PostgreSQL, ...) that no ``-- lint:ignore <rule> <reason>`` line accepts. It
    opens no database.

  ``NO_ROUNDTRIP_TEST``
    Without it, a CTest test ``<prefix>migrate_test`` runs ``fastappkit migrate
    test``: every revision is upgraded, downgraded and upgraded again on a scratch
    database (in memory on SQLite; a scratch database on the configured
    PostgreSQL server), and the test fails when a downgrade does not give back
    the schema before it.

  The three tests carry the label ``fastappkit``.

  Targets (none is part of ``ALL``: a plain build never touches a database):

  ``<prefix>migrate_core``
    ``fastappkit migrate upgrade``: the shared history of core and internal
    apps.
  ``<prefix>migrate_<app>``
    ``fastappkit migrate app <app> upgrade``, one per external app, after
    ``migrate_core`` and the targets of the apps it depends on. Apps that do
    not depend on each other run in parallel (see
    ``FASTAPPKIT_STREAM_APP_OUTPUT``).
  ``<prefix>migrate_all``
    ``fastappkit migrate all``: every history in one runner, which checks them
    all read-only first, opens the database once and applies core, then the
    external apps in the order the targets above depend on each other. It does
    not build those targets, but the dependencies the project adds to them
    (``add_dependencies(migrate_payments generate_seed)``) are carried over to
    it at the end of the top-level directory.
  ``<prefix>migrate_status``, ``<prefix>migrate_preview``
    Read-only: ``migrate status``; ``migrate preview`` for the shared history,
    then ``migrate app <app> preview`` for each external app in order.
  ``<prefix>migrate_drift``
    Read-only: ``migrate drift``, which fails when the database's schema differs
    from what its applied migrations build (changes made outside them).
  ``<prefix>migrate_fleet``
    Only with ``FLEET <file>``: ``fastappkit migrate fleet --targets <file>``,
    every database the file names (one URL per line; see docs/fleet.md).

  Every target runs in the project root and is in the IDE folder
  ``fastappkit`` when the project sets the ``USE_FOLDERS`` global property.
  Editing ``fastappkit.toml`` or an app manifest re-runs CMake. A broken
  configuration stops CMake with the runner's message.
#]=======================================================================]
function(fastappkit_add_project)
  list(APPEND CMAKE_MESSAGE_CONTEXT fastappkit)
  cmake_parse_arguments(PARSE_ARGV 0 arg
    "NO_CHECK_TEST;NO_CHECKPOINT_TEST;NO_LINT_TEST;NO_ROUNDTRIP_TEST"
    "ROOT;DATABASE_URL;TARGET_PREFIX;FLEET" "APP_PATH")
  _fastappkit_reject_bad_arguments(fastappkit_add_project
    "ROOT, DATABASE_URL, APP_PATH, TARGET_PREFIX, FLEET, NO_CHECK_TEST, NO_CHECKPOINT_TEST, "
    "NO_LINT_TEST, NO_ROUNDTRIP_TEST")

  set(root "${CMAKE_CURRENT_SOURCE_DIR}")
  if(DEFINED arg_ROOT)
    cmake_path(ABSOLUTE_PATH arg_ROOT BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      NORMALIZE OUTPUT_VARIABLE root)
  endif()
  if(NOT IS_DIRECTORY "${root}")
    message(FATAL_ERROR "fastappkit_add_project(): the project root ${root} is not a directory.\n"
      "Help: pass ROOT <dir>, the directory that holds fastappkit.toml.")
  endif()
  if(NOT "${arg_TARGET_PREFIX}" MATCHES "^[A-Za-z0-9_.+-]*$")
    message(FATAL_ERROR "fastappkit_add_project(): TARGET_PREFIX '${arg_TARGET_PREFIX}' "
      "cannot start a target name.\n"
      "Help: use letters, digits and '_', '.', '+', '-' only, for example TARGET_PREFIX shop_.")
  endif()
  if("${arg_DATABASE_URL}" MATCHES "^[^:]+://[^/@:]*:[^/@]+@")
    message(WARNING "fastappkit_add_project(): the DATABASE_URL holds a password, which is now "
      "written into the build files.\n"
      "Help: leave DATABASE_URL out and set it in the environment of the build or in "
      "${root}/.env.")
  endif()

  _fastappkit_read_project("${root}" "${arg_APP_PATH}" project_args description)
  _fastappkit_json(root "${description}" root)
  _fastappkit_json(config_file "${description}" config_file)

  # Re-configure when the project file or any manifest changes (an app added, a requires edited).
  _fastappkit_json_array(inputs "${description}" inputs)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${inputs})

  set(build_args ${project_args})
  if(DEFINED arg_DATABASE_URL)
    list(APPEND build_args --database-url "${arg_DATABASE_URL}")
  endif()
  _fastappkit_add_migrate_targets("${arg_TARGET_PREFIX}" "${root}" "${config_file}"
    "${build_args}" "${description}")
  if(DEFINED arg_FLEET)
    # Every database the targets file names (docs/fleet.md), with the runner's defaults.
    cmake_path(ABSOLUTE_PATH arg_FLEET BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      NORMALIZE OUTPUT_VARIABLE fleet_file)
    _fastappkit_add_target(${arg_TARGET_PREFIX}migrate_fleet
      COMMENT "fastappkit: migrating every database of the fleet"
      COMMAND fastappkit::fastappkit ${project_args} migrate fleet --targets "${fleet_file}"
      USES_TERMINAL WORKING_DIRECTORY "${root}" COMMAND_EXPAND_LISTS VERBATIM
      SOURCES "${fleet_file}")
  endif()
  if(NOT arg_NO_CHECK_TEST)
    # A CI gate: models and migrations must agree (add_test is ignored without enable_testing).
    add_test(NAME ${arg_TARGET_PREFIX}migrate_check
      COMMAND fastappkit::fastappkit ${build_args} migrate check --models
      WORKING_DIRECTORY "${root}")
    set_tests_properties(${arg_TARGET_PREFIX}migrate_check PROPERTIES LABELS fastappkit)
  endif()
  if(NOT arg_NO_CHECKPOINT_TEST)
    # Each checkpoint must build what the replay of the revisions it replaces builds.
    add_test(NAME ${arg_TARGET_PREFIX}migrate_checkpoint
      COMMAND fastappkit::fastappkit ${build_args} migrate check --checkpoints
      WORKING_DIRECTORY "${root}")
    set_tests_properties(${arg_TARGET_PREFIX}migrate_checkpoint PROPERTIES LABELS fastappkit)
  endif()
  # Safety nets (docs/safety.md): risky statements, and downgrades that do not undo their upgrade.
  foreach(gate IN ITEMS lint test)
    set(opt_out NO_LINT_TEST)
    if(gate STREQUAL "test")
      set(opt_out NO_ROUNDTRIP_TEST)
    endif()
    if(NOT arg_${opt_out})
      add_test(NAME ${arg_TARGET_PREFIX}migrate_${gate}
        COMMAND fastappkit::fastappkit ${build_args} migrate ${gate}
        WORKING_DIRECTORY "${root}")
      set_tests_properties(${arg_TARGET_PREFIX}migrate_${gate} PROPERTIES LABELS fastappkit)
    endif()
  endforeach()

  # What fastappkit_add_test_fixture() needs; the most recent project wins.
  set_property(GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ROOT "${root}")
  set_property(GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ARGS "${project_args}")
endfunction()

#[=======================================================================[.rst:
.. command:: fastappkit_add_test_fixture

  Adds a CTest fixture providing a freshly migrated database::

    fastappkit_add_test_fixture(<name> [DATABASE_URL <url>])

  Adds the tests ``<name>_setup`` (``FIXTURES_SETUP <name>``: the runner's
  ``db reset``, then ``migrate all``) and ``<name>_cleanup``
  (``FIXTURES_CLEANUP <name>``: ``db drop``). The project is the one of the
  most recent ``fastappkit_add_project()``; call that first.

  ``DATABASE_URL``
    The fixture's database, created afresh and dropped by the fixture.
    Default: the database ``<db>_<name>`` on the server of
    ``FASTAPPKIT_TEST_DATABASE_URL`` when that is set, else the SQLite file
    ``${CMAKE_CURRENT_BINARY_DIR}/fastappkit_fixtures/<name>.db``. Give every
    fixture its own database: fixtures may run in parallel.

  ``NAME <name>`` is accepted in place of ``<name>``. To chain the fixture
  after another one, add ``FIXTURES_REQUIRED`` to ``<name>_setup``.
#]=======================================================================]
function(fastappkit_add_test_fixture)
  list(APPEND CMAKE_MESSAGE_CONTEXT fastappkit)
  set(first_option 1)
  set(name "${ARGV0}")
  if("${ARGV0}" STREQUAL "NAME")
    set(first_option 2)
    set(name "${ARGV1}")
  endif()
  cmake_parse_arguments(PARSE_ARGV ${first_option} arg "" "DATABASE_URL" "")
  _fastappkit_reject_bad_arguments(fastappkit_add_test_fixture "DATABASE_URL")
  if(NOT "${name}" MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "fastappkit_add_test_fixture(): '${name}' is not a fixture name.\n"
      "Help: call fastappkit_add_test_fixture(<name> [DATABASE_URL <url>]) with a name made "
      "of letters, digits, '_', '.' and '-'.")
  endif()
  get_property(defined GLOBAL PROPERTY _FASTAPPKIT_FIXTURE_URL_${name} SET)
  if(defined)
    message(FATAL_ERROR "fastappkit_add_test_fixture(): the fixture '${name}' already exists.\n"
      "Help: give each fixture its own name (and database).")
  endif()
  get_property(project_args GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ARGS)
  get_property(root GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ROOT)
  if(NOT root)
    message(FATAL_ERROR "fastappkit_add_test_fixture(${name}): no fastappkit project is known.\n"
      "Help: call fastappkit_add_project() before fastappkit_add_test_fixture().")
  endif()

  if(DEFINED arg_DATABASE_URL)
    set(url "${arg_DATABASE_URL}")
  elseif(FASTAPPKIT_TEST_DATABASE_URL)
    # postgresql://user@host/app?sslmode=... -> postgresql://user@host/app_<name>?sslmode=...
    if(NOT FASTAPPKIT_TEST_DATABASE_URL MATCHES "^postgres[a-z0-9+]*://[^?]*/[^/?]+(\\?.*)?$")
      message(FATAL_ERROR "fastappkit_add_test_fixture(${name}): FASTAPPKIT_TEST_DATABASE_URL is "
        "not a PostgreSQL URL naming a database.\n"
        "Help: set it to postgresql://user@host:port/<database>, or leave it empty for SQLite.")
    endif()
    string(FIND "${FASTAPPKIT_TEST_DATABASE_URL}" "?" query_at)
    if(query_at EQUAL -1)
      set(url "${FASTAPPKIT_TEST_DATABASE_URL}_${name}")
    else()
      string(SUBSTRING "${FASTAPPKIT_TEST_DATABASE_URL}" 0 ${query_at} base)
      string(SUBSTRING "${FASTAPPKIT_TEST_DATABASE_URL}" ${query_at} -1 query)
      set(url "${base}_${name}${query}")
    endif()
  else()
    set(db_dir "${CMAKE_CURRENT_BINARY_DIR}/fastappkit_fixtures")
    file(MAKE_DIRECTORY "${db_dir}")
    set(url "sqlite:///${db_dir}/${name}.db")  # sqlite:/// + /abs/path: an absolute path
  endif()

  get_property(module_dir GLOBAL PROPERTY _FASTAPPKIT_MODULE_DIR)
  set(runner_command "$<TARGET_FILE:fastappkit::fastappkit>" ${project_args}
    --database-url "${url}")
  add_test(NAME ${name}_setup
    COMMAND "${CMAKE_COMMAND}" -P "${module_dir}/fastappkit-fixture-setup.cmake"
            -- ${runner_command}
    WORKING_DIRECTORY "${root}")
  add_test(NAME ${name}_cleanup
    COMMAND ${runner_command} db drop
    WORKING_DIRECTORY "${root}")
  set_tests_properties(${name}_setup PROPERTIES FIXTURES_SETUP ${name})
  set_tests_properties(${name}_cleanup PROPERTIES FIXTURES_CLEANUP ${name})
  set_property(GLOBAL PROPERTY _FASTAPPKIT_FIXTURE_URL_${name} "${url}")
endfunction()

#[=======================================================================[.rst:
.. command:: fastappkit_add_test

  Adds a test that runs against a fixture's database::

    fastappkit_add_test(NAME <name> COMMAND <command> [<arg>...]
                        FIXTURE <fixture>
                        [CONFIGURATIONS <config>...]
                        [WORKING_DIRECTORY <dir>]
                        [COMMAND_EXPAND_LISTS]
                        [ISOLATED])

  The keywords other than ``FIXTURE`` are those of ``add_test()``. The test
  requires ``<fixture>`` (``FIXTURES_REQUIRED``), made by
  ``fastappkit_add_test_fixture()`` earlier, and finds its database URL in
  the environment variable ``DATABASE_URL``. To add environment variables,
  use ``set_property(TEST <name> APPEND PROPERTY ENVIRONMENT ...)``, which
  keeps ``DATABASE_URL``.

  ``ISOLATED``
    The test gets its own copy of the fixture's migrated database, made just
    before it (``fastappkit db clone``: SQLite's online backup; PostgreSQL's
    ``CREATE DATABASE ... TEMPLATE``) and dropped after it, through the extra
    tests ``<name>_clone`` and ``<name>_unclone``. Tests that write then run
    under ``ctest -j`` without seeing each other's rows. On PostgreSQL a
    database is copied only while nobody is connected to it: make every test of
    such a fixture ``ISOLATED``.
#]=======================================================================]
function(fastappkit_add_test)
  list(APPEND CMAKE_MESSAGE_CONTEXT fastappkit)
  cmake_parse_arguments(PARSE_ARGV 0 arg "COMMAND_EXPAND_LISTS;ISOLATED"
    "NAME;WORKING_DIRECTORY;FIXTURE" "COMMAND;CONFIGURATIONS")
  _fastappkit_reject_bad_arguments(fastappkit_add_test
    "NAME, COMMAND, FIXTURE, CONFIGURATIONS, WORKING_DIRECTORY, COMMAND_EXPAND_LISTS, ISOLATED")
  foreach(required IN ITEMS NAME COMMAND FIXTURE)
    if(NOT DEFINED arg_${required})
      message(FATAL_ERROR "fastappkit_add_test(): ${required} is missing.\n"
        "Help: call fastappkit_add_test(NAME <name> COMMAND <command>... FIXTURE <fixture>).")
    endif()
  endforeach()
  get_property(url GLOBAL PROPERTY _FASTAPPKIT_FIXTURE_URL_${arg_FIXTURE})
  get_property(defined GLOBAL PROPERTY _FASTAPPKIT_FIXTURE_URL_${arg_FIXTURE} SET)
  if(NOT defined)
    message(FATAL_ERROR "fastappkit_add_test(${arg_NAME}): there is no fixture "
      "'${arg_FIXTURE}'.\n"
      "Help: call fastappkit_add_test_fixture(${arg_FIXTURE}) before this test.")
  endif()

  set(options)
  if(DEFINED arg_CONFIGURATIONS)
    list(APPEND options CONFIGURATIONS ${arg_CONFIGURATIONS})
  endif()
  if(DEFINED arg_WORKING_DIRECTORY)
    list(APPEND options WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  if(arg_COMMAND_EXPAND_LISTS)
    list(APPEND options COMMAND_EXPAND_LISTS)
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${arg_COMMAND} ${options})
  set_property(TEST ${arg_NAME} APPEND PROPERTY FIXTURES_REQUIRED ${arg_FIXTURE})
  if(arg_ISOLATED)
    _fastappkit_add_clone("${arg_NAME}" "${arg_FIXTURE}" "${url}" url)
  endif()
  set_property(TEST ${arg_NAME} APPEND PROPERTY ENVIRONMENT "DATABASE_URL=${url}")
endfunction()

#[=======================================================================[.rst:
.. command:: fastappkit_embed_migrations

  Compiles the project's migrations into a program, which then migrates its own
  database with one call (``#include <fastappkit/embedded.h>``,
  ``fastappkit::migrate_all(url)``)::

    fastappkit_embed_migrations(<target>
      [ROOT <dir>]               # default: CMAKE_CURRENT_SOURCE_DIR
      [APP_PATH <dir>...]        # extra external-app search directories
      [CATALOG <name>])          # a catalog of its own: const Catalog& <name>()

  Adds to ``<target>`` a C++ source that the runner (``fastappkit embed``)
  generates at build time from every history of the project (core, then the
  external apps in ``migrate all`` order), and links ``<target>`` to
  ``fastappkit::embedded`` (SQLite). Link ``fastappkit::postgresql`` as well
  for PostgreSQL URLs.

  ``ROOT`` and ``APP_PATH`` are read as by ``fastappkit_add_project()``.

  Without ``CATALOG`` the migrations are the program's one unnamed catalog,
  which ``migrate_all()`` and ``Migrator`` use by default; a second unnamed
  catalog in the same program (from another library, say) fails to link with a
  duplicate ``fastappkit::catalog::embedded``. With ``CATALOG <name>`` they are
  returned by ``const fastappkit::catalog::Catalog& <name>()``, declared in
  ``<fastappkit_catalogs/<name>.h>``, for ``MigratorOptions::catalog``: each
  library of a program can embed its own project that way. A target embeds
  one project at most.

  Editing a migration file, ``fastappkit.toml`` or an app manifest regenerates
  the source; adding, removing or renaming a migration file (a ``git checkout``
  of another branch, say) re-runs CMake and regenerates it too. A malformed
  migration fails the build with the runner's ``path:line: message``.
#]=======================================================================]
function(fastappkit_embed_migrations target)
  list(APPEND CMAKE_MESSAGE_CONTEXT fastappkit)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "ROOT;CATALOG" "APP_PATH")
  _fastappkit_reject_bad_arguments(fastappkit_embed_migrations "ROOT, APP_PATH, CATALOG")
  if(NOT TARGET "${target}")
    message(FATAL_ERROR "fastappkit_embed_migrations(): there is no target named '${target}'.\n"
      "Help: call it after add_executable(${target} ...) or add_library(${target} ...).")
  endif()
  get_target_property(aliased "${target}" ALIASED_TARGET)
  get_target_property(imported "${target}" IMPORTED)
  if(aliased OR imported)
    message(FATAL_ERROR "fastappkit_embed_migrations(): '${target}' is an alias or imported "
      "target; sources cannot be added to it.\n"
      "Help: pass the name of a target this project builds.")
  endif()

  get_target_property(embedded_before "${target}" _FASTAPPKIT_EMBEDDED_ROOT)
  if(embedded_before)
    message(FATAL_ERROR "fastappkit_embed_migrations(): '${target}' already embeds the "
      "migrations of ${embedded_before}; a target holds one catalog.\n"
      "Help: embed each project in a library of its own, with CATALOG <name> for each, and "
      "link them to '${target}'.")
  endif()
  if(DEFINED arg_CATALOG AND NOT arg_CATALOG MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "fastappkit_embed_migrations(): CATALOG '${arg_CATALOG}' is not a C++ "
      "identifier.\n"
      "Help: letters, digits and _, not starting with a digit; it names the function "
      "${target}_migrations() or the like.")
  endif()

  if(NOT TARGET fastappkit::embedded)
    message(FATAL_ERROR "fastappkit_embed_migrations(): the library fastappkit::embedded is not "
      "defined; the package provides it only to projects that compile C++.\n"
      "Help: enable CXX (project(... LANGUAGES CXX)) before find_package(fastappkit).")
  endif()

  set(root "${CMAKE_CURRENT_SOURCE_DIR}")
  if(DEFINED arg_ROOT)
    cmake_path(ABSOLUTE_PATH arg_ROOT BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      NORMALIZE OUTPUT_VARIABLE root)
  endif()
  if(NOT IS_DIRECTORY "${root}")
    message(FATAL_ERROR "fastappkit_embed_migrations(): the project root ${root} is not a "
      "directory.\n"
      "Help: pass ROOT <dir>, the directory that holds fastappkit.toml.")
  endif()

  _fastappkit_read_project("${root}" "${arg_APP_PATH}" project_args description)
  _fastappkit_json(root "${description}" root)

  # Editing one of these regenerates the source; adding a migration file re-configures (the
  # globs are CONFIGURE_DEPENDS), and so does editing the project file or a manifest.
  _fastappkit_json_array(inputs "${description}" inputs)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${inputs})
  _fastappkit_json_array(versions_dirs "${description}" versions_dirs)
  set(migration_files)
  foreach(dir IN LISTS versions_dirs)
    file(GLOB files CONFIGURE_DEPENDS "${dir}/*.sql")
    list(APPEND migration_files ${files})
  endforeach()

  set(output "${CMAKE_CURRENT_BINARY_DIR}/fastappkit_embedded/${target}_migrations.cpp")
  # A removed or renamed file re-configures (the globs), but Ninja rebuilds only for a newer
  # input, never for a missing one: the set of inputs is written to a file of its own, touched
  # only when the set changes, so that a deleted migration (or another git branch) regenerates
  # the source instead of leaving it in the program.
  set(inputs_file "${CMAKE_CURRENT_BINARY_DIR}/fastappkit_embedded/${target}_migrations.inputs")
  list(SORT migration_files)
  _fastappkit_write_if_changed("${inputs_file}" ${project_args} -- ${inputs} -- ${migration_files})
  _fastappkit_catalog_symbol("${target}" "${arg_CATALOG}" symbol_args)
  add_custom_command(OUTPUT "${output}"
    COMMAND fastappkit::fastappkit ${project_args} --quiet embed --output "${output}"
            ${symbol_args}
    DEPENDS ${migration_files} ${inputs} "${inputs_file}" fastappkit::fastappkit
    WORKING_DIRECTORY "${root}"
    COMMENT "fastappkit: embedding the migrations of ${root} in ${target}"
    COMMAND_EXPAND_LISTS VERBATIM)
  target_sources("${target}" PRIVATE "${output}")
  target_link_libraries("${target}" PRIVATE fastappkit::embedded)
  set_property(TARGET "${target}" PROPERTY _FASTAPPKIT_EMBEDDED_ROOT "${root}")
endfunction()

# The `fastappkit embed` arguments naming the symbol <target>'s catalog defines. A named catalog
# is a function, declared in a generated <fastappkit_catalogs/<name>.h>. The unnamed one also
# defines an extern "C" anchor that everything linking a library <target> must pull in: its
# catalog is then always linked, so two unnamed catalogs in one program are a duplicate
# symbol at link time, never one silently dropped from a static library.
function(_fastappkit_catalog_symbol target name out_var)
  if(name)
    set(include_dir "${CMAKE_CURRENT_BINARY_DIR}/fastappkit_embedded/include")
    string(CONFIGURE [[
// Generated by fastappkit_embed_migrations(@target@ CATALOG @name@): do not edit.
#pragma once

namespace fastappkit::catalog {
struct Catalog;
}

// The migrations embedded in @target@: MigratorOptions::catalog = &@name@().
const fastappkit::catalog::Catalog& @name@();
]] header @ONLY)
    _fastappkit_write_text_if_changed("${include_dir}/fastappkit_catalogs/${name}.h" "${header}")
    target_include_directories("${target}" PUBLIC "$<BUILD_INTERFACE:${include_dir}>")
    set(${out_var} --catalog "${name}" PARENT_SCOPE)
    return()
  endif()
  string(MAKE_C_IDENTIFIER "fastappkit_catalog_anchor_${target}" anchor)
  get_target_property(type "${target}" TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_link_options("${target}" INTERFACE "LINKER:--undefined=${anchor}")
  endif()
  set(${out_var} --link-anchor "${anchor}" PARENT_SCOPE)
endfunction()

# The tests <test>_clone (setup: a copy of the fixture's database) and <test>_unclone
# (cleanup: drop it) around <test>, as a fixture of their own; the copy's URL goes to out_var.
function(_fastappkit_add_clone test fixture fixture_url out_var)
  string(MAKE_C_IDENTIFIER "${test}" suffix)
  string(TOLOWER "${suffix}" suffix)
  if(fixture_url MATCHES "^sqlite:")
    # sqlite:///dir/shop_db.db -> sqlite:///dir/shop_db.<test>.db
    string(REGEX REPLACE "\\.db$" "" clone_url "${fixture_url}")
    string(APPEND clone_url ".${suffix}.db")
  else()
    # postgresql://host/app_shop_db?x -> postgresql://host/app_shop_db_<test>?x
    string(FIND "${fixture_url}" "?" query_at)
    if(query_at EQUAL -1)
      set(clone_url "${fixture_url}_${suffix}")
    else()
      string(SUBSTRING "${fixture_url}" 0 ${query_at} base)
      string(SUBSTRING "${fixture_url}" ${query_at} -1 query)
      set(clone_url "${base}_${suffix}${query}")
    endif()
  endif()
  get_property(project_args GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ARGS)
  get_property(root GLOBAL PROPERTY _FASTAPPKIT_PROJECT_ROOT)
  set(runner "$<TARGET_FILE:fastappkit::fastappkit>" ${project_args} --database-url "${clone_url}")
  add_test(NAME ${test}_clone COMMAND ${runner} db clone --from "${fixture_url}"
    WORKING_DIRECTORY "${root}")
  add_test(NAME ${test}_unclone COMMAND ${runner} db drop WORKING_DIRECTORY "${root}")
  set_tests_properties(${test}_clone PROPERTIES
    FIXTURES_SETUP ${test}_clone FIXTURES_REQUIRED ${fixture})
  set_tests_properties(${test}_unclone PROPERTIES FIXTURES_CLEANUP ${test}_clone)
  set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED ${test}_clone)
  set(${out_var} "${clone_url}" PARENT_SCOPE)
endfunction()

# --- private helpers -------------------------------------------------------------------------

# Writes the arguments to <file>, one a line, leaving the file (and its timestamp) alone when
# it already holds exactly that.
function(_fastappkit_write_if_changed file)
  list(JOIN ARGN "\n" content)
  _fastappkit_write_text_if_changed("${file}" "${content}\n")
endfunction()

function(_fastappkit_write_text_if_changed file content)
  if(EXISTS "${file}")
    file(READ "${file}" before)
    if(before STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${file}" "${content}")
endfunction()

# One precise error for unknown arguments or keywords without values, from the caller's
# cmake_parse_arguments(... arg ...) results.
macro(_fastappkit_reject_bad_arguments command keywords)
  if(DEFINED arg_UNPARSED_ARGUMENTS)
    list(JOIN arg_UNPARSED_ARGUMENTS " " _fastappkit_unparsed)
    message(FATAL_ERROR "${command}() does not take the arguments: ${_fastappkit_unparsed}\n"
      "Help: its keywords are ${keywords}.")
  endif()
  if(DEFINED arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${command}(): ${arg_KEYWORDS_MISSING_VALUES} given without a value.\n"
      "Help: write the value after the keyword, or leave the keyword out.")
  endif()
endmacro()

# The --app-path values: the APP_PATH arguments (absolute), then <prefix>/share/fastappkit/apps
# of every CMAKE_PREFIX_PATH entry that has one.
function(_fastappkit_app_search_path out_var)
  set(dirs)
  foreach(dir IN LISTS ARGN)
    cmake_path(ABSOLUTE_PATH dir BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
    list(APPEND dirs "${dir}")
  endforeach()
  set(prefixes ${CMAKE_PREFIX_PATH})
  if(DEFINED ENV{CMAKE_PREFIX_PATH})
    cmake_path(CONVERT "$ENV{CMAKE_PREFIX_PATH}" TO_CMAKE_PATH_LIST env_prefixes NORMALIZE)
    list(APPEND prefixes ${env_prefixes})
  endif()
  foreach(prefix IN LISTS prefixes)
    cmake_path(ABSOLUTE_PATH prefix BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
    cmake_path(APPEND prefix share fastappkit apps OUTPUT_VARIABLE dir)
    if(IS_DIRECTORY "${dir}")
      list(APPEND dirs "${dir}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES dirs)
  set(${out_var} "${dirs}" PARENT_SCOPE)
endfunction()

# The runner to run at configure time (see the module's documentation for the order).
function(_fastappkit_configure_time_runner out_var)
  if(FASTAPPKIT_RUNNER)
    if(NOT EXISTS "${FASTAPPKIT_RUNNER}" OR IS_DIRECTORY "${FASTAPPKIT_RUNNER}")
      message(FATAL_ERROR "FASTAPPKIT_RUNNER is ${FASTAPPKIT_RUNNER}, which is not a file.\n"
        "Help: set FASTAPPKIT_RUNNER to the path of a fastappkit executable, or unset it "
        "(cmake -U FASTAPPKIT_RUNNER) to use fastappkit::fastappkit.")
    endif()
    if(NOT TARGET fastappkit::fastappkit)
      add_executable(fastappkit::fastappkit IMPORTED GLOBAL)
      set_target_properties(fastappkit::fastappkit PROPERTIES
        IMPORTED_LOCATION "${FASTAPPKIT_RUNNER}")
    endif()
    set(${out_var} "${FASTAPPKIT_RUNNER}" PARENT_SCOPE)
  elseif(NOT TARGET fastappkit::fastappkit)
    message(FATAL_ERROR "There is no fastappkit runner: the target fastappkit::fastappkit "
      "does not exist here.\n"
      "Help: call find_package(fastappkit CONFIG REQUIRED) (or add fastappkit with "
      "add_subdirectory()/FetchContent) before fastappkit_add_project(), or set "
      "FASTAPPKIT_RUNNER to a fastappkit executable.")
  else()
    get_target_property(imported fastappkit::fastappkit IMPORTED)
    if(imported)
      _fastappkit_imported_location(runner)
    else()
      _fastappkit_bootstrap_runner(runner)
    endif()
    set(${out_var} "${runner}" PARENT_SCOPE)
  endif()
endfunction()

# IMPORTED_LOCATION of fastappkit::fastappkit for the build type, else for any configuration
# the package provides (the runner's behaviour does not depend on its build type).
function(_fastappkit_imported_location out_var)
  get_target_property(imported_configs fastappkit::fastappkit IMPORTED_CONFIGURATIONS)
  if(NOT imported_configs)
    set(imported_configs)
  endif()
  foreach(config IN LISTS CMAKE_BUILD_TYPE CMAKE_CONFIGURATION_TYPES imported_configs)
    string(TOUPPER "${config}" config)
    get_target_property(location fastappkit::fastappkit IMPORTED_LOCATION_${config})
    if(location)
      set(${out_var} "${location}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  get_target_property(location fastappkit::fastappkit IMPORTED_LOCATION)
  if(NOT location)
    message(FATAL_ERROR "The imported target fastappkit::fastappkit has no IMPORTED_LOCATION.\n"
      "Help: reinstall fastappkit (cmake --install), or set FASTAPPKIT_RUNNER to a fastappkit "
      "executable.")
  endif()
  set(${out_var} "${location}" PARENT_SCOPE)
endfunction()

# fastappkit::fastappkit is built in this tree but may not be built yet when CMake runs for the
# first time, so a copy is built once into the build tree with the same generator and compiler,
# and reused. The build-time targets still run the in-tree runner.
function(_fastappkit_bootstrap_runner out_var)
  set(bootstrap_dir "${CMAKE_BINARY_DIR}/_fastappkit_bootstrap")
  set(runner "${bootstrap_dir}/bin/fastappkit${CMAKE_EXECUTABLE_SUFFIX}")
  set(${out_var} "${runner}" PARENT_SCOPE)
  if(EXISTS "${runner}")
    return()
  endif()
  if(CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "fastappkit cannot build a runner for this machine while "
      "cross-compiling.\n"
      "Help: build or install fastappkit for the build machine and set FASTAPPKIT_RUNNER to "
      "it.")
  endif()
  get_property(module_dir GLOBAL PROPERTY _FASTAPPKIT_MODULE_DIR)
  cmake_path(GET module_dir PARENT_PATH source_dir)
  if(NOT EXISTS "${source_dir}/tool/CMakeLists.txt")
    message(FATAL_ERROR "fastappkit::fastappkit is not built yet, and ${source_dir} is not the "
      "fastappkit source tree to build a runner from.\n"
      "Help: set FASTAPPKIT_RUNNER to a built fastappkit executable.")
  endif()

  # This runner only runs `describe`: built to be quick to compile (no optimisation, no debug
  # information, no PostgreSQL backend, no tests), which makes the first configure quicker.
  set(configure_args -S "${source_dir}" -B "${bootstrap_dir}/build" -G "${CMAKE_GENERATOR}"
    -D CMAKE_BUILD_TYPE=Debug
    -D CMAKE_CXX_FLAGS_DEBUG=
    -D FASTAPPKIT_WITH_POSTGRESQL=OFF
    -D FASTAPPKIT_BUILD_TESTS=OFF
    -D FASTAPPKIT_INSTALL=OFF
    -D "CMAKE_RUNTIME_OUTPUT_DIRECTORY=${bootstrap_dir}/bin"
    -D "CMAKE_RUNTIME_OUTPUT_DIRECTORY_DEBUG=${bootstrap_dir}/bin")
  foreach(var IN ITEMS CMAKE_MAKE_PROGRAM CMAKE_CXX_COMPILER CMAKE_CXX_COMPILER_LAUNCHER)
    if(DEFINED ${var})
      list(APPEND configure_args -D "${var}=${${var}}")
    endif()
  endforeach()
  if(CMAKE_PREFIX_PATH)
    string(REPLACE ";" "\\;" prefix_path "${CMAKE_PREFIX_PATH}")
    list(APPEND configure_args -D "CMAKE_PREFIX_PATH=${prefix_path}")
  endif()
  if(CMAKE_GENERATOR_PLATFORM)
    list(APPEND configure_args -A "${CMAKE_GENERATOR_PLATFORM}")
  endif()
  if(CMAKE_GENERATOR_TOOLSET)
    list(APPEND configure_args -T "${CMAKE_GENERATOR_TOOLSET}")
  endif()

  message(STATUS "Building the fastappkit runner once, to read projects at configure time: "
    "${bootstrap_dir}")
  set(log "${bootstrap_dir}/bootstrap.log")
  file(MAKE_DIRECTORY "${bootstrap_dir}")
  foreach(step IN ITEMS configure build)
    if(step STREQUAL "configure")
      set(command "${CMAKE_COMMAND}" ${configure_args})
    else()
      set(command "${CMAKE_COMMAND}" --build "${bootstrap_dir}/build" --target fastappkit
        --config Debug)
    endif()
    execute_process(COMMAND ${command} RESULT_VARIABLE result
      OUTPUT_VARIABLE output ERROR_VARIABLE output)
    file(APPEND "${log}" "${output}")
    if(NOT result EQUAL 0)
      string(LENGTH "${output}" length)
      if(length GREATER 4000)
        math(EXPR start "${length} - 4000")
        string(SUBSTRING "${output}" ${start} -1 output)
      endif()
      string(REPLACE "\n" "\n  " output "${output}")
      message(FATAL_ERROR "Building the fastappkit runner failed (${step} step: ${result}):\n"
        "  ${output}\n"
        "Help: the whole log is ${log}. Fix the cause, or set FASTAPPKIT_RUNNER to a built "
        "fastappkit executable, then re-run CMake.")
    endif()
  endforeach()
  if(NOT EXISTS "${runner}")
    message(FATAL_ERROR "Building the fastappkit runner left no ${runner}.\n"
      "Help: see ${log}, or set FASTAPPKIT_RUNNER to a built fastappkit executable.")
  endif()
endfunction()

# Runs `fastappkit ... describe`: the project as one JSON object, or a FATAL_ERROR quoting the
# runner's sentence.
function(_fastappkit_describe runner root project_args out_var)
  set(command "${runner}" ${project_args} describe)
  execute_process(COMMAND ${command}
    WORKING_DIRECTORY "${root}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE description
    ERROR_VARIABLE error)
  if(NOT result EQUAL 0)
    string(STRIP "${error}" error)
    if(error STREQUAL "")
      set(error "(no message; exit status ${result})")
    endif()
    string(REPLACE "\n" "\n  " error "${error}")  # indented text is printed as is, not re-wrapped
    list(JOIN command " " command_line)
    message(FATAL_ERROR "fastappkit cannot read the project in ${root}:\n"
      "  ${error}\n"
      "Help: fix fastappkit.toml or the app manifest named above; CMake re-reads the project "
      "on the next build. To see the error again, run:\n"
      "  ${command_line}")
  endif()
  set(${out_var} "${description}" PARENT_SCOPE)
endfunction()

# string(JSON GET) with an error that names the runner's output instead of a bare JSON error.
function(_fastappkit_json out_var json)
  string(JSON value ERROR_VARIABLE error GET "${json}" ${ARGN})
  if(error)
    list(JOIN ARGN "." member)
    message(FATAL_ERROR "The runner's project description has no usable '${member}': ${error}\n"
      "Help: the runner and this CMake module must come from the same fastappkit version; "
      "check FASTAPPKIT_RUNNER and the fastappkit package found.")
  endif()
  set(${out_var} "${value}" PARENT_SCOPE)
endfunction()

# A JSON array of strings as a CMake list.
function(_fastappkit_json_array out_var json)
  _fastappkit_json(array "${json}" ${ARGN})
  string(JSON length LENGTH "${array}")
  set(items)
  if(length GREATER 0)
    math(EXPR last "${length} - 1")
    foreach(index RANGE ${last})
      string(JSON item GET "${array}" ${index})
      list(APPEND items "${item}")
    endforeach()
  endif()
  set(${out_var} "${items}" PARENT_SCOPE)
endfunction()

# The external app's manifest path, from the description's "apps" array.
function(_fastappkit_app_manifest out_var description app)
  string(JSON count LENGTH "${description}" apps)
  math(EXPR last "${count} - 1")
  foreach(index RANGE ${last})
    string(JSON name GET "${description}" apps ${index} name)
    if(name STREQUAL app)
      _fastappkit_json(manifest "${description}" apps ${index} manifest)
      set(${out_var} "${manifest}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "The runner's project description orders the app '${app}' but does not "
    "list it in 'apps'.\n"
    "Help: the runner and this CMake module must come from the same fastappkit version.")
endfunction()

function(_fastappkit_add_migrate_targets prefix root config_file build_args description)
  set(runner_command fastappkit::fastappkit ${build_args})
  set(common_options WORKING_DIRECTORY "${root}" COMMAND_EXPAND_LISTS VERBATIM)

  _fastappkit_add_target(${prefix}migrate_core
    COMMENT "fastappkit: migrating core and internal apps"
    COMMAND ${runner_command} migrate upgrade
    USES_TERMINAL ${common_options} SOURCES "${config_file}")

  set(app_options ${common_options})
  if(FASTAPPKIT_STREAM_APP_OUTPUT)
    list(APPEND app_options USES_TERMINAL)
  endif()
  set(app_targets)
  set(preview_commands COMMAND ${runner_command} migrate preview)
  string(JSON count LENGTH "${description}" external_order)
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(index RANGE ${last})
      _fastappkit_json(app "${description}" external_order ${index} name)
      _fastappkit_json_array(depends_on "${description}" external_order ${index} depends_on)
      _fastappkit_app_manifest(manifest "${description}" "${app}")
      _fastappkit_add_target(${prefix}migrate_${app}
        COMMENT "fastappkit: migrating ${app}"
        COMMAND ${runner_command} migrate app ${app} upgrade
        ${app_options} SOURCES "${manifest}")
      list(TRANSFORM depends_on PREPEND "${prefix}migrate_")
      add_dependencies(${prefix}migrate_${app} ${prefix}migrate_core ${depends_on})
      list(APPEND app_targets ${prefix}migrate_${app})
      list(APPEND preview_commands COMMAND ${runner_command} migrate app ${app} preview)
    endforeach()
  endif()

  # One runner for every history: `migrate all` applies them in the order the dependencies above
  # follow (both come from external_order), checks them all first and opens the database once.
  _fastappkit_add_target(${prefix}migrate_all
    COMMENT "fastappkit: migrating every history"
    COMMAND ${runner_command} migrate all
    USES_TERMINAL ${common_options} SOURCES "${config_file}")
  # What the project adds to these targets later (add_dependencies(migrate_payments seed)) must
  # run before migrate_all too: copied once the top-level directory is processed.
  set_property(TARGET ${prefix}migrate_all PROPERTY _FASTAPPKIT_HISTORY_TARGETS
    ${prefix}migrate_core ${app_targets})
  set_property(GLOBAL APPEND PROPERTY _FASTAPPKIT_MIGRATE_ALL_TARGETS ${prefix}migrate_all)
  get_property(deferred GLOBAL PROPERTY _FASTAPPKIT_CARRY_DEFERRED)
  if(NOT deferred)
    set_property(GLOBAL PROPERTY _FASTAPPKIT_CARRY_DEFERRED TRUE)
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _fastappkit_carry_dependencies)
  endif()

  _fastappkit_add_target(${prefix}migrate_status
    COMMENT "fastappkit: migration status"
    COMMAND ${runner_command} migrate status
    USES_TERMINAL ${common_options} SOURCES "${config_file}")
  _fastappkit_add_target(${prefix}migrate_preview
    COMMENT "fastappkit: SQL the migrate targets would run"
    ${preview_commands}
    USES_TERMINAL ${common_options} SOURCES "${config_file}")
  _fastappkit_add_target(${prefix}migrate_drift
    COMMENT "fastappkit: schema changes made outside the migrations"
    COMMAND ${runner_command} migrate drift
    USES_TERMINAL ${common_options} SOURCES "${config_file}")
endfunction()

# Deferred to the end of the top-level directory: every migrate_all gets the dependencies the
# project added to its migrate_core and migrate_<app> targets, other than those targets.
function(_fastappkit_carry_dependencies)
  get_property(all_targets GLOBAL PROPERTY _FASTAPPKIT_MIGRATE_ALL_TARGETS)
  foreach(all_target IN LISTS all_targets)
    get_target_property(history_targets ${all_target} _FASTAPPKIT_HISTORY_TARGETS)
    set(carried)
    foreach(target IN LISTS history_targets)
      get_target_property(added ${target} MANUALLY_ADDED_DEPENDENCIES)
      if(added)
        list(APPEND carried ${added})
      endif()
    endforeach()
    if(carried)
      list(REMOVE_DUPLICATES carried)
      list(REMOVE_ITEM carried ${history_targets})
    endif()
    if(carried)
      add_dependencies(${all_target} ${carried})
    endif()
  endforeach()
endfunction()

# add_custom_target(), never ALL, in the IDE folder, with a clear error on a name clash.
function(_fastappkit_add_target name)
  if(TARGET ${name})
    message(FATAL_ERROR "fastappkit cannot add the target ${name}: a target of that name "
      "already exists.\n"
      "Help: pass TARGET_PREFIX to fastappkit_add_project() to give this project's targets "
      "other names.")
  endif()
  add_custom_target(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES FOLDER fastappkit)
endfunction()

# The runner's arguments naming the project at <root> with the extra app directories, and the
# project's description read through the runner at configure time.
function(_fastappkit_read_project root extra_app_paths out_args out_description)
  _fastappkit_app_search_path(app_paths ${extra_app_paths})
  set(project_args --project-root "${root}")
  foreach(dir IN LISTS app_paths)
    list(APPEND project_args --app-path "${dir}")
  endforeach()
  _fastappkit_configure_time_runner(runner)
  _fastappkit_describe("${runner}" "${root}" "${project_args}" description)
  set(${out_args} "${project_args}" PARENT_SCOPE)
  set(${out_description} "${description}" PARENT_SCOPE)
endfunction()

cmake_policy(POP)
