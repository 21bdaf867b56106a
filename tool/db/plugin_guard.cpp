// The plugin side of the boundary (db/plugin_abi.h): catches inside the plugin, where its own
// exception types match, and reports what was thrown as plain data.
#include <cstdlib>
#include <cstring>
#include <exception>

#include "common/error.h"
#include "common/error_reason.h"
#include "db/database.h"
#include "db/plugin_abi.h"

namespace {

char* copy(const char* text) { return strdup(text ? text : ""); }

}  // namespace

extern "C" __attribute__((visibility("default"))) void fastappkit_plugin_guard(
    fastappkit_plugin_body body, void* context, fastappkit_plugin_error* error) {
    *error = fastappkit_plugin_error{FASTAPPKIT_PLUGIN_OK, 0, 0, nullptr, nullptr, 0, 0};
    try {
        body(context);
    } catch (const fastappkit::StatementError& e) {
        *error = {FASTAPPKIT_PLUGIN_STATEMENT_ERROR,
                  1,
                  e.line,
                  copy(e.message.c_str()),
                  copy(e.statement.c_str()),
                  e.lock_not_available ? 1 : 0,
                  0};
    } catch (const fastappkit::Error& e) {
        *error = {FASTAPPKIT_PLUGIN_ERROR,
                  static_cast<int>(e.code()),
                  0,
                  copy(e.what()),
                  nullptr,
                  0,
                  static_cast<int>(fastappkit::reason_of(e))};
    } catch (const std::exception& e) {
        *error = {FASTAPPKIT_PLUGIN_UNEXPECTED, 1, 0, copy(e.what()), nullptr, 0, 0};
    } catch (...) {
        *error = {FASTAPPKIT_PLUGIN_UNEXPECTED,
                  1,
                  0,
                  copy("an exception of unknown type"),
                  nullptr,
                  0,
                  0};
    }
}
