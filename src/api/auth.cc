#include "api/auth.h"

namespace slipway::api {

Result<Principal> authenticate(store::Store& store, const std::string& authorization,
                               bool auth_enabled) {
  if (!auth_enabled) return Principal{"default", true, ""};
  const std::string prefix = "Bearer ";
  if (authorization.rfind(prefix, 0) != 0)
    return Status(ErrorCode::kUnauthenticated,
                  "this server needs an API token: send 'Authorization: Bearer TOKEN' (create one "
                  "with: slipway server token create --namespace NS)");
  auto t = store.find_token(authorization.substr(prefix.size()));
  if (!t) return Status(ErrorCode::kUnauthenticated, "the API token is unknown or revoked");
  return Principal{t->ns, t->admin, t->id};
}

Result<std::string> namespace_for(const Principal& who, const std::string& requested,
                                  bool listing) {
  if (who.admin) return requested.empty() && !listing ? who.ns : requested;
  if (requested.empty() || requested == who.ns) return who.ns;
  return NotFound("no namespace '" + requested + "' is visible to this token");
}

}  // namespace slipway::api
