// SHA-256 checksums of the SQL that ran (OpenSSL libcrypto).
#pragma once

#include <string>
#include <string_view>
#include <thread>

namespace fastappkit {

std::string sha256_hex(std::string_view data);  // lowercase hex, 64 characters

// Checksum of a section's SQL with CRLF and lone CR normalised to LF.
std::string sql_checksum(std::string_view sql);

// Loads libcrypto on a thread of its own while the caller goes on, so that a run with work
// does not wait for it at its first checksum: opening it and starting OpenSSL's default
// provider take some 4.5 ms here, a tenth of a fresh SQLite database built from a checkpoint.
// Nothing when it is loaded already; a libcrypto that cannot be loaded is reported by the
// first checksum, as without this. The thread takes no signal; the destructor waits for it.
class ChecksumWarmUp {
public:
    ChecksumWarmUp();
    ~ChecksumWarmUp();
    ChecksumWarmUp(const ChecksumWarmUp&) = delete;
    ChecksumWarmUp& operator=(const ChecksumWarmUp&) = delete;

private:
    std::thread thread_;
};

}  // namespace fastappkit
