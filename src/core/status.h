// Errors as values at component boundaries. A Status says what went wrong, where, and what to do;
// exceptions never cross a component boundary.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace slipway {

enum class ErrorCode {
  kOk = 0,
  kInvalidInput,     // the user's input is wrong: exit code 2
  kNotFound,         // a named thing (run, task, artifact) does not exist
  kFailed,           // an operation failed (I/O, subprocess, database)
  kConflict,         // the thing is owned by someone else (a run's driver lease)
  kUnavailable,      // not ready yet, or shutting down: try again later
  kUnauthenticated,  // no credentials, or ones that are not valid
};

// [[nodiscard]]: a dropped Status is a lost error (a failed store write that the caller then acts
// on as if it were durable). The build makes dropping one an error; a call site that may safely
// ignore a failure says why and writes `(void)`.
class [[nodiscard]] Status {
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

// The first error of a sequence of steps that goes on after a failure (writes inside one store
// batch, say) and is judged at its end: later errors are usually consequences of the first.
class FirstError {
 public:
  void note(Status s) {
    if (!s.ok() && first_.ok()) first_ = std::move(s);
  }
  bool ok() const { return first_.ok(); }
  const Status& status() const { return first_; }
  void clear() { first_ = Status::Ok(); }

 private:
  Status first_;
};

// Result<T>: a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Reading the value of an error is a programming error: it aborts with the error's message in
  // every build type, never undefined behaviour.
  T& value() { return checked(); }
  const T& value() const { return checked(); }
  T& operator*() { return checked(); }
  const T& operator*() const { return checked(); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }
  T value_or(T fallback) const { return ok() ? *value_ : std::move(fallback); }

 private:
  T& checked() {
    if (!value_) die();
    return *value_;
  }
  const T& checked() const {
    if (!value_) die();
    return *value_;
  }
  [[noreturn]] void die() const {
    std::fprintf(stderr, "slipway: internal error: the value of a failed Result was read: %s\n",
                 status_.message().c_str());
    std::abort();
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace slipway

#define SLIPWAY_RETURN_IF_ERROR(expr) \
  do {                                \
    ::slipway::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)
