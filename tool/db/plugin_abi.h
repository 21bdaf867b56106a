// The boundary between the runner and the PostgreSQL plugin. The plugin is built with hidden
// visibility, so its exception types are not the runner's: no exception may cross. Every call
// into the plugin runs inside the plugin's guard, which catches there and reports the error
// as plain data; the runner rethrows it as its own type (db/postgres_plugin.cpp).
#pragma once

extern "C" {

enum fastappkit_plugin_error_kind {
    FASTAPPKIT_PLUGIN_OK = 0,
    FASTAPPKIT_PLUGIN_ERROR = 1,            // fastappkit::Error: exit_code and message
    FASTAPPKIT_PLUGIN_STATEMENT_ERROR = 2,  // fastappkit::StatementError: line, statement, message
    FASTAPPKIT_PLUGIN_UNEXPECTED = 3,       // any other exception: message
};

// Strings are allocated with malloc by the plugin and freed by the runner.
struct fastappkit_plugin_error {
    int kind;
    int exit_code;
    int line;
    char* message;
    char* statement;
    int lock_not_available;  // StatementError: the lock timeout ran out
    int reason;              // fastappkit::Error: its fastappkit::ErrorReason
};

typedef void (*fastappkit_plugin_body)(void* context);

// Runs body(context) and fills `error` with what it threw (kind OK when nothing).
typedef void fastappkit_plugin_guard_fn(fastappkit_plugin_body body, void* context,
                                        fastappkit_plugin_error* error);
// The fastappkit version the plugin was built from; the runner refuses any other.
typedef const char* fastappkit_plugin_version_fn(void);

}  // extern "C"
