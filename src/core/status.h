// Errors as values at component boundaries. A Status says what went wrong, where, and what to do;
// exceptions never cross a component boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace slipway {

enum class ErrorCode {
  kOk = 0,
  kInvalidInput,   // the user's input is wrong: exit code 2
  kNotFound,       // a named thing (run, task, artifact) does not exist
  kFailed,         // an operation failed (I/O, subprocess, database)
  kConflict,       // the thing is owned by someone else (a run's driver lease)
  kUnavailable,    // not ready yet, or shutting down: try again later
  kUnauthenticated,  // no credentials, or ones that are not valid
};

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidInput(std::string m) { return {ErrorCode::kInvalidInput, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status Failed(std::string m) { return {ErrorCode::kFailed, std::move(m)}; }
inline Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
inline Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }

// Result<T>: a value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T value_or(T fallback) const { return ok() ? *value_ : std::move(fallback); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace slipway

#define SLIPWAY_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::slipway::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)
