// kfp-kubernetes secrets, config maps and pod fields as environment variables
// (use_secret_as_env, use_config_map_as_env, use_field_path_as_env), outside Kubernetes. A secret
// is a directory with one file per key: $SLIPWAY_SECRETS/NAME/KEY (default $SLIPWAY_HOME/secrets),
// and a config map likewise under $SLIPWAY_CONFIGMAPS (default $SLIPWAY_HOME/configmaps). A file's
// content is the value, less one trailing newline, so `echo value > KEY` works.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "dag/resolve.h"

namespace slipway::dag {

// Where kfp-kubernetes objects of one kind live here: $ENV_VAR, or $SLIPWAY_HOME/UNDER_HOME
// (secrets, configmaps, volumes).
std::filesystem::path local_objects_root(const char* env_var, const char* under_home);

// Whether `name` can name one of them: a single path component under that root.
bool valid_local_object_name(const std::string& name);

// The name of the object a setting names: a literal field (secretName, the older form) or the
// parameter the importer turned into {"value": literal or template}, resolved now. "" when an
// optional parameter was not given.
Result<std::string> kubernetes_object_name(const ResolveContext& ctx, const Json& entry,
                                           const char* literal_key, const char* param_key);

// Adds the variables a task's kubernetes settings (spec::Task::kubernetes: secretAsEnv,
// configMapAsEnv, fieldPathAsEnv) ask for to `env`. A missing secret, config map or key fails with
// a message saying which file to create, unless the setting is `optional`.
Status add_kubernetes_env(const ResolveContext& ctx, const Json& kubernetes,
                          std::map<std::string, std::string>* env);

}  // namespace slipway::dag
