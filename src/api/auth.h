// Who is calling: the namespace (Kubeflow's profile) an API token belongs to, and whether it is
// an admin token (every namespace). A member token reaches only its own namespace's runs,
// experiments, artifacts, sweeps, schedules and models; anything else answers 404, as if it did
// not exist, so one namespace cannot learn another's run ids.
#pragma once

#include <string>

#include "core/status.h"
#include "store/store.h"

namespace slipway::api {

struct Principal {
  std::string ns = "default";
  bool admin = false;
  std::string token_id;  // "" when authentication is off

  bool can_access(const std::string& owner_ns) const { return admin || owner_ns == ns; }
};

// With auth off everyone is the admin of "default". With it on, `authorization` must be
// "Bearer TOKEN" for an unrevoked token; anything else is Unauthenticated (401).
Result<Principal> authenticate(store::Store& store, const std::string& authorization,
                               bool auth_enabled);

// The namespace a request acts in: its ?namespace= for an admin (empty: every namespace when
// listing), else the token's own; a member asking for another namespace gets NotFound.
Result<std::string> namespace_for(const Principal& who, const std::string& requested, bool listing);

}  // namespace slipway::api
