#include "runner/run_connection.h"

#include "config/version_table.h"

namespace fastappkit {

Database& RunConnection::operator()(bool read_only) {
    if (connection_ && (!read_only_ || read_only)) return *connection_;
    if (hooks_.before_open) hooks_.before_open(read_only);
    if (connection_ && !read_only && connection_->make_writable()) {
        read_only_ = false;  // the same connection, writable now
    } else {
        connection_.reset();  // a read-only connection is closed before the writable one opens
        connection_ = open_(read_only);
        read_only_ = read_only;
    }
    if (hooks_.after_open) hooks_.after_open(*connection_);
    return *connection_;
}

std::vector<History*> conflict_checked(const std::vector<History*>& run, bool standalone) {
    std::vector<History*> out;
    if (standalone) return out;
    for (History* history : run) {
        if (history->version_table() != version_table_for("core")) out.push_back(history);
    }
    return out;
}

}  // namespace fastappkit
