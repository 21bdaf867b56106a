// SHA-256 checksums of the SQL that ran (OpenSSL libcrypto).
#pragma once

#include <string>
#include <string_view>

namespace fastappkit {

std::string sha256_hex(std::string_view data);  // lowercase hex, 64 characters

// Checksum of a section's SQL with CRLF and lone CR normalised to LF.
std::string sql_checksum(std::string_view sql);

}  // namespace fastappkit
