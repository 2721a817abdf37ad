// A Katib trial that is an Argo Workflow (argoproj.io/v1alpha1 Workflow), run as the slipway
// pipeline that does what it says: the entrypoint's steps (groups in sequence, the steps of a
// group side by side) or DAG tasks (with their dependencies) become tasks; a container
// template's command and args, or a script template's source run by its command, become their
// components; inputs.parameters and arguments become task inputs; {{steps.X.outputs.result}}
// and {{tasks.X.outputs.result}} (the step's standard output) become a string output read by the
// tasks that use it; {{workflow.parameters.X}} the Workflow's arguments. Images are recorded, not
// pulled, as everywhere on the local and Slurm backends. The step that runs the template whose
// metadata.labels carry Katib's primaryPodLabels is the one whose output the metrics collector
// reads. What this subset does not cover (nested steps or DAGs, resource, suspend or http
// templates, loops, retries, when) is refused, naming the template.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "core/json.h"
#include "core/status.h"
#include "core/yaml_reader.h"

namespace slipway::tune {

struct ArgoTrial {
  Json pipeline;             // slipway's pipeline (apiVersion slipway/v1), as JSON
  std::string metrics_task;  // the task whose output holds the trial's metrics
};

// `workdir` is where the commands run (the Experiment's folder), as a trial's command does;
// errors are placed at the Workflow's lines through `r`.
Result<ArgoTrial> argo_trial_pipeline(const YamlReader& r, const YAML::Node& workflow,
                                      const std::map<std::string, std::string>& primary_labels,
                                      const std::string& name, const std::string& workdir);

}  // namespace slipway::tune
