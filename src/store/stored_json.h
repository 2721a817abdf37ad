// JSON columns read back from the store. A column that is not valid JSON is corrupt data (a disk
// fault, a hand edit with sqlite3): reading it is an error that names the table, the row and the
// column, never a silent default such as an empty object.
//
// Row readers are plain functions called inside statement loops, so the error travels as a
// StoreCorruption exception up to the Store method; those that return Result/Status turn it into
// Failed(message), and the list_* methods let it reach the command's or the API's top-level
// handler, which prints it (the CLI exits non-zero, the API answers 500 with the message).
#pragma once

#include <stdexcept>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace slipway::store {

class StoreCorruption : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text`, stored in `column` of `table` at the row identified by `row`; "" reads as null.
Json stored_json(const std::string& text, const char* table, const std::string& row,
                 const char* column);

}  // namespace slipway::store

namespace slipway::store {

// Runs `body`, a Store method's work returning a Result or a Status, turning a StoreCorruption
// thrown by a row reader into Failed(its message). Statements left mid-step are reset by the
// next prepare() of the same SQL.
template <typename Body>
auto corruption_as_error(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const StoreCorruption& e) {
    return Failed(e.what());
  }
}

}  // namespace slipway::store
