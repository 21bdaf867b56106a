#include "autogen/schema.h"

#include <algorithm>

#include "autogen/sql_text.h"

namespace fastappkit {

const Column* Table::find_column(const std::string& column) const {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const Column& c) { return same_identifier(c.name, column); });
    return it == columns.end() ? nullptr : &*it;
}

const Table* Schema::find(const std::string& table) const {
    auto it = std::find_if(tables.begin(), tables.end(),
                           [&](const Table& t) { return same_identifier(t.name, table); });
    return it == tables.end() ? nullptr : &*it;
}

const View* Schema::find_view(const std::string& view) const {
    auto it = std::find_if(views.begin(), views.end(),
                           [&](const View& v) { return same_identifier(v.name, view); });
    return it == views.end() ? nullptr : &*it;
}

}  // namespace fastappkit
