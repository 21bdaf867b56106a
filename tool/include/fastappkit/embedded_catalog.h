// The layout of the source `fastappkit embed` generates: every embedded history as constant
// data (no constructor runs at start-up). Every string is a span of one byte array, so any SQL
// text survives. Not an API: only the generated file and the library use it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastappkit::catalog {

inline constexpr std::uint32_t kFormatVersion = 3;

// Timeouts in milliseconds and retry counts; kUnset where the project does not set them.
inline constexpr std::int64_t kUnset = -1;

struct Span {
    std::uint32_t offset;
    std::uint32_t size;
};

struct Section {
    std::uint8_t downgrade;      // 0: upgrade, 1: downgrade
    std::uint8_t transactional;  // 0 with `transaction:false`
    std::int32_t marker_line;
    Span dialect;  // empty: generic
    Span sql;
};

struct Script {
    Span file;  // relative to the project root, for messages
    Span revision;
    Span message;
    Span create_date;
    // In names: down revisions, then branch labels, then depends_on, then (a checkpoint) the
    // revisions it replaces.
    std::uint32_t first_name;
    std::uint32_t down_count, label_count, depends_count;
    std::uint32_t first_section, section_count;
    std::int64_t lock_timeout_ms, statement_timeout_ms;  // its own headers
    Span checkpoint;  // a checkpoint's revision (docs/checkpoints.md); empty otherwise
    std::uint32_t replaces_count;
};

struct History {
    Span name;
    Span version_table;
    std::uint32_t first_script, script_count;
    std::int64_t lock_timeout_ms, statement_timeout_ms;  // [tool.fastappkit.migration]
    std::int64_t lock_retries;
};

struct Catalog {
    std::uint32_t format_version;
    const unsigned char* text;
    const Span* names;
    const Section* sections;
    const Script* scripts;
    const History* histories;
    std::uint32_t history_count;
};

// Defined by the generated source.
extern const Catalog embedded;

}  // namespace fastappkit::catalog
