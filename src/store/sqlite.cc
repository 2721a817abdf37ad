#include "store/sqlite.h"

#include "store/fault_vfs.h"

namespace slipway::store {

Stmt& Stmt::bind(int i, const std::string& v) {
  sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

bool Stmt::step() {
  last_rc_ = sqlite3_step(s_);
  return last_rc_ == SQLITE_ROW;
}

Status Stmt::done() {
  if (last_rc_ == SQLITE_OK) step();
  while (last_rc_ == SQLITE_ROW) step();
  Status st;
  if (last_rc_ != SQLITE_DONE) st = Failed(std::string("database error: ") + sqlite3_errmsg(db_));
  reset();
  return st;
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(s_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
}
std::int64_t Stmt::integer(int col) const { return sqlite3_column_int64(s_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(s_, col); }
bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
int Stmt::type(int col) const { return sqlite3_column_type(s_, col); }
int Stmt::columns() const { return sqlite3_column_count(s_); }

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  last_rc_ = SQLITE_OK;
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path) {
  SLIPWAY_RETURN_IF_ERROR(store::faults::arm_from_environment());  // tests only; see fault_vfs.h
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Failed("cannot open the store " + path + ": " + msg +
                  " (set SLIPWAY_HOME to a writable directory)");
  }
  sqlite3_busy_timeout(db, 10000);
  return std::unique_ptr<Db>(new Db(db));
}

Db::~Db() {
  for (auto& [_, entry] : cache_) sqlite3_finalize(entry.first);
  sqlite3_close(db_);
}

Status Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Failed("database error: " + msg);
  }
  return Status::Ok();
}

Stmt& Db::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second.second->reset();
    return *it->second.second;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
      SQLITE_OK) {
    // A bad statement is a programming error in slipway, never user input: fail loudly.
    throw std::runtime_error(
        "slipway bug: cannot prepare SQL: " + std::string(sqlite3_errmsg(db_)) + ": " + sql);
  }
  auto stmt = std::make_unique<Stmt>(db_, s);
  Stmt& ref = *stmt;
  cache_[sql] = {s, std::move(stmt)};
  return ref;
}

}  // namespace slipway::store
