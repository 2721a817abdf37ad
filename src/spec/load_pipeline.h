// A pipeline from its text, whichever front door it needs (KFP IR or the native YAML), parsed
// and validated, with every diagnostic kept: what `run`, `validate`, the server and the sweeps read
// a pipeline file with.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/diagnostics.h"
#include "spec/pipeline_spec.h"

namespace slipway::spec {

// Reads, parses and validates a pipeline file; diagnostics are printed to stderr.
struct LoadedPipeline {
  std::optional<PipelineSpec> spec;
  Diagnostics diagnostics;
  // The file's text, as read once, and what it refers to elsewhere (a TrainJob's runtime), so a
  // run can be read again from it alone.
  std::string source;
};
struct LoadOptions {
  // Files holding the runtimes TrainJobs name (`--runtime`), besides the job's own file and the
  // YAML files beside it.
  std::vector<std::string> runtime_files;
};
LoadedPipeline load_pipeline_file(const std::string& path, const LoadOptions& options = {});
LoadedPipeline load_pipeline_text(const std::string& text, const std::string& file,
                                  const LoadOptions& options = {});

}  // namespace slipway::spec
