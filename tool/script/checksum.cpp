// SHA-256 through OpenSSL's EVP interface (the SHA256_* functions are deprecated in 3.0).
#include "script/checksum.h"

#include <openssl/evp.h>

#include "common/error.h"

namespace fastappkit {

namespace {

std::string to_hex(const unsigned char* bytes, unsigned int size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        hex += digits[bytes[i] >> 4];
        hex += digits[bytes[i] & 0x0f];
    }
    return hex;
}

// A file saved with Windows or old Mac line endings must keep the checksum it had.
std::string normalise_line_endings(std::string_view text) {
    std::string normalised;
    normalised.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\r') {
            normalised += text[i];
        } else {
            normalised += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        }
    }
    return normalised;
}

// Fetched once: OpenSSL 3 otherwise looks the algorithm up again on every digest, which costs
// more than hashing a migration.
const EVP_MD* sha256() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md) throw failure("OpenSSL has no SHA-256 implementation available.");
    return md;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &size, sha256(), nullptr) != 1) {
        throw failure("OpenSSL could not compute a SHA-256 checksum.");
    }
    return to_hex(digest, size);
}

std::string sql_checksum(std::string_view sql) {
    if (sql.find('\r') == std::string_view::npos) return sha256_hex(sql);
    return sha256_hex(normalise_line_endings(sql));
}

}  // namespace fastappkit
