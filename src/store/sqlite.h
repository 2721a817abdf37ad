// A thin RAII layer over the SQLite C API: one connection, cached prepared statements.
// Not thread-safe: one Db per thread (SQLite's WAL lets many processes share the file).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace slipway::store {

class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind_null(int i);
  // Advances: true while a row is available. Errors become a Status through done().
  bool step();
  Status done();  // runs to completion when the statement returns no rows
  std::string text(int col) const;
  std::int64_t integer(int col) const;
  double real(int col) const;
  bool is_null(int col) const;
  int type(int col) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
  int columns() const;      // how many columns a row has
  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
  int last_rc_ = SQLITE_OK;
};

class Db {
 public:
  static Result<std::unique_ptr<Db>> open(const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Status exec(const std::string& sql);
  // A prepared statement, cached by its SQL text and reset for reuse.
  Stmt& prepare(const std::string& sql);
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  std::string error() const { return sqlite3_errmsg(db_); }
  sqlite3* raw() { return db_; }
  // How long a write waits for another writer before it fails with SQLITE_BUSY (10 s by default).
  void set_busy_timeout(int ms) { sqlite3_busy_timeout(db_, ms); }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::pair<sqlite3_stmt*, std::unique_ptr<Stmt>>> cache_;
};

}  // namespace slipway::store
