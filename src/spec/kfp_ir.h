// Reading KFP IR, shared by the files of the KFP importer (not used outside src/spec): safe
// lookups in yaml-cpp nodes, source locations, and what a task input is bound to while the DAGs
// are walked.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec::kfp {

// A key of at(): a mapping key or a sequence index.
struct Key {
  Key(const char* k) : key(k) {}         // NOLINT: implicit by design
  Key(const std::string& k) : key(k) {}  // NOLINT
  Key(int i) : index(i) {}               // NOLINT
  std::string key;
  int index = -1;
};

// A lookup through nested mappings that yields an undefined node, never yaml-cpp's throwing
// "zombie" node, when a key is missing.
YAML::Node at(const YAML::Node& node, std::initializer_list<Key> path);

// The entries of a mapping (none for anything else), keys as text.
std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map);

SourceLoc yaml_loc(const YAML::Node& n, const std::string& file);

// Where an input of a DAG gets its value: a literal, or a slipway placeholder text.
struct Source {
  bool literal = false;
  Json value;
  std::string text;
  bool absent = false;  // an optional input of a sub-DAG that its caller does not pass
};

// A source as a task input binding; nullopt (with an error in `d`) for a bad template.
std::optional<Binding> binding_of(const Source& src, const SourceLoc& where, Diagnostics* d);

// KFP writes an f-string of task inputs (f"{a}-{b}", a format string in a parameter) as a
// constant holding {{$.inputs.parameters['pipelinechannel--a']}}, and passes `a` to the task as
// an extra input; its driver fills the constant in, and the job identity placeholders
// ({{$.pipeline_job_uuid}}) too. Done here for every literal source of a task; a constant that
// then depends on a run-time value becomes a template.
void fill_format_strings(std::map<std::string, Source>* sources, const SourceLoc& where,
                         Diagnostics* d);

// The executor's container resources, with placeholders of the task's inputs filled in: limits
// known now go to task->resources, those known at run time to task->resource_inputs.
void read_resources(const YAML::Node& res, const std::map<std::string, Source>& sources,
                    const std::string& file, Task* task, Diagnostics* d);

// The slipway placeholder of an output of a task in the DAG being imported.
using OutputRef = std::function<Result<std::string>(const std::string& producer_task,
                                                    const std::string& output_key)>;

// A task's kfp-kubernetes settings (platforms.kubernetes.deploymentSpec.executors.X) onto the
// task: node selector, tolerations and deadline onto its placement and timeout; all of them,
// each parameter reference replaced by {"value": literal-or-template}, into task->kubernetes.
// A componentInputParameter there names an input of the task's DAG (`scope`).
void read_platform_settings(const YAML::Node& k8s, const std::map<std::string, Source>& scope,
                            const OutputRef& output_ref, const std::string& file, Task* task,
                            Diagnostics* d);

}  // namespace slipway::spec::kfp
