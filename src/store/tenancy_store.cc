// The store's namespaces and API tokens. A token is "slw_" + its public id + "_" + a 128-bit
// secret; the database keeps its SHA-256 only, so reading the database does not give access.
#include "core/clock.h"
#include "core/hash.h"
#include "store/store.h"

namespace slipway::store {

Status Store::ensure_namespace(const std::string& ns) {
  return db_->prepare("INSERT OR IGNORE INTO namespaces(name, created_ms) VALUES (?, ?)")
      .bind(1, ns)
      .bind(2, now_ms())
      .done();
}

std::vector<std::string> Store::list_namespaces() {
  Stmt& s = db_->prepare("SELECT name FROM namespaces ORDER BY name");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  s.reset();
  return out;
}

Result<std::string> Store::create_token(const std::string& ns, bool admin,
                                        const std::string& description, std::int64_t now) {
  SLIPWAY_RETURN_IF_ERROR(begin());
  std::string id = random_hex(8);
  std::string secret = "slw_" + id + "_" + random_hex(32);
  Status st = ensure_namespace(ns);
  if (st.ok())
    st = db_->prepare(
                "INSERT INTO api_tokens(id, sha256, namespace, admin, description, created_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)")
             .bind(1, id)
             .bind(2, sha256_hex(secret))
             .bind(3, ns)
             .bind(4, admin ? 1 : 0)
             .bind(5, description)
             .bind(6, now)
             .done();
  if (!st.ok()) {
    (void)rollback();  // safe: the INSERT's error is the one to report
    return st;
  }
  SLIPWAY_RETURN_IF_ERROR(commit());
  return secret;
}

static TokenRecord read_token(Stmt& s) {
  TokenRecord t;
  t.id = s.text(0);
  t.ns = s.text(1);
  t.admin = s.integer(2) != 0;
  t.description = s.text(3);
  t.created_ms = s.integer(4);
  t.revoked_ms = s.integer(5);
  return t;
}

std::optional<TokenRecord> Store::find_token(const std::string& secret) {
  Stmt& s = db_->prepare(
      "SELECT id, namespace, admin, description, created_ms, revoked_ms FROM api_tokens WHERE "
      "sha256 = ? AND revoked_ms = 0");
  s.bind(1, sha256_hex(secret));
  std::optional<TokenRecord> t;
  if (s.step()) t = read_token(s);
  s.reset();
  return t;
}

std::vector<TokenRecord> Store::list_tokens() {
  Stmt& s = db_->prepare(
      "SELECT id, namespace, admin, description, created_ms, revoked_ms FROM api_tokens ORDER BY "
      "created_ms");
  std::vector<TokenRecord> out;
  while (s.step()) out.push_back(read_token(s));
  s.reset();
  return out;
}

Status Store::revoke_token(const std::string& id, std::int64_t now) {
  SLIPWAY_RETURN_IF_ERROR(
      db_->prepare("UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0")
          .bind(1, now)
          .bind(2, id)
          .done());
  if (db_->changes() == 0)
    return NotFound("no active token with id " + id + " (slipway server token ls lists them)");
  return Status::Ok();
}

}  // namespace slipway::store
