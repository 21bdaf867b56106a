// The SQL splitter: any text splits, and every statement's line lies within the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "script/sql_splitter.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    const int lines = 1 + static_cast<int>(std::count(sql.begin(), sql.end(), '\n'));
    for (const auto& statement : fastappkit::split_sql(sql)) {
        if (statement.line < 1 || statement.line > lines || statement.text.size() > sql.size())
            std::abort();
    }
    return 0;
}
