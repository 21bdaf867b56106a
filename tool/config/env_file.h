// .env files: KEY=VALUE lines, optional `export ` prefix, optional quotes, # comments.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace fastappkit {

// Parses .env text. Malformed lines are a usage_error naming `file` and the line.
std::map<std::string, std::string> parse_env_text(const std::string& text,
                                                  const std::filesystem::path& file);

// Reads `file`; a missing file is an empty map.
std::map<std::string, std::string> read_env_file(const std::filesystem::path& file);

// The process environment wins over the file: getenv(key), else dir/.env's key. A variable set
// to the empty string counts as unset.
std::optional<std::string> lookup_setting(const std::string& key, const std::filesystem::path& dir);

}  // namespace fastappkit
