// Errors a program embedding the runner tells apart without reading the sentence
// (fastappkit::MigrationError::kind()); the CLI needs only the exit code. Apart from
// common/error.h so that only the places that throw or read one include it.
#pragma once

#include <exception>

#include "common/error.h"

namespace fastappkit {

enum class ErrorReason { none, unknown_revision, lock_timeout, unfinished_section };

class ReasonedError : public Error {
public:
    ReasonedError(ErrorReason reason, const Error& error)
        : Error(error.code(), error.what()), reason_(reason) {}
    ErrorReason reason() const noexcept { return reason_; }

private:
    ErrorReason reason_;
};

inline ReasonedError with_reason(ErrorReason reason, const Error& error) {
    return ReasonedError(reason, error);
}
inline ErrorReason reason_of(const std::exception& error) {
    const auto* reasoned = dynamic_cast<const ReasonedError*>(&error);
    return reasoned ? reasoned->reason() : ErrorReason::none;
}

}  // namespace fastappkit
