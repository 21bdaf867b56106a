// SHA-256 through OpenSSL's EVP interface (the SHA256_* functions are deprecated in 3.0).
// libcrypto is opened on the first checksum instead of being linked: it is bound eagerly
// (BIND_NOW, some 3,400 symbols), which cost more at every start than a whole no-op run's own
// work, and a run that applies nothing needs no checksum. So `ldd fastappkit` does not list it
// and an image built from ldd's list lacks it: the README's run-time requirements name it, and
// tests/cmake/scenario_runtime_libraries.sh runs the runner with exactly those libraries.
#include "script/checksum.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <system_error>

#include <fmt/format.h>

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

#define FASTAPPKIT_STRINGIFY2(x) #x
#define FASTAPPKIT_STRINGIFY(x) FASTAPPKIT_STRINGIFY2(x)
// OpenSSL 3 and later name the library after their major version, and Debian its package.
constexpr const char* kLibcrypto = "libcrypto.so." FASTAPPKIT_STRINGIFY(OPENSSL_VERSION_MAJOR);
constexpr const char* kLibcryptoPackage = "libssl" FASTAPPKIT_STRINGIFY(OPENSSL_VERSION_MAJOR);

struct Libcrypto {
    decltype(&EVP_Digest) digest = nullptr;
    const EVP_MD* sha256 = nullptr;  // fetched once: OpenSSL 3 otherwise looks it up per digest
};

std::atomic<bool> libcrypto_loaded{false};

const Libcrypto& libcrypto() {
    static const Libcrypto loaded = [] {
        void* handle = dlopen(kLibcrypto, RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            throw failure(fmt::format(
                "Cannot load {}, which fastappkit needs for migration checksums: install "
                "OpenSSL's libcrypto (Debian and Ubuntu: apt-get install {}) ({})",
                kLibcrypto, kLibcryptoPackage, dlerror()));
        Libcrypto library;
        library.digest = reinterpret_cast<decltype(&EVP_Digest)>(dlsym(handle, "EVP_Digest"));
        auto fetch = reinterpret_cast<decltype(&EVP_MD_fetch)>(dlsym(handle, "EVP_MD_fetch"));
        if (!library.digest || !fetch)
            throw failure(fmt::format("{} lacks EVP_Digest or EVP_MD_fetch", kLibcrypto));
        library.sha256 = fetch(nullptr, "SHA256", nullptr);
        if (!library.sha256) throw failure("OpenSSL has no SHA-256 implementation available.");
        libcrypto_loaded.store(true);
        return library;  // the handle stays open for the life of the process
    }();
    return loaded;
}

}  // namespace

// Signals are blocked while the thread starts, so that it inherits them blocked: SIGINT and
// SIGTERM stay with the threads that handle them (cli/interruption.cpp).
ChecksumWarmUp::ChecksumWarmUp() {
    if (libcrypto_loaded.load()) return;
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    if (pthread_sigmask(SIG_BLOCK, &all, &previous) != 0) return;
    try {
        thread_ = std::thread([] {
            try {
                libcrypto();  // C++ runs a static's initialiser once, others wait for it
            } catch (...) {
                // Tried again, and reported, by the first checksum.
            }
        });
    } catch (const std::system_error&) {
        // No thread: libcrypto is loaded at the first checksum, as without this.
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

ChecksumWarmUp::~ChecksumWarmUp() {
    if (thread_.joinable()) thread_.join();
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    const Libcrypto& crypto = libcrypto();
    if (crypto.digest(data.data(), data.size(), digest, &size, crypto.sha256, nullptr) != 1) {
        throw failure("OpenSSL could not compute a SHA-256 checksum.");
    }
    return to_hex(digest, size);
}

std::string sql_checksum(std::string_view sql) {
    if (sql.find('\r') == std::string_view::npos) return sha256_hex(sql);
    return sha256_hex(normalise_line_endings(sql));
}

}  // namespace fastappkit
