#include "spec/load_pipeline.h"

#include <filesystem>

#include "core/files.h"
#include "spec/kfp_importer.h"
#include "spec/native_parser.h"
#include "spec/training_job.h"
#include "spec/validate.h"

namespace slipway::spec {

static LoadedPipeline finish_load(ParseOutcome parsed) {
  LoadedPipeline out;
  out.diagnostics = std::move(parsed.diagnostics);
  if (parsed.spec) validate_pipeline(*parsed.spec, &out.diagnostics);
  if (!out.diagnostics.has_errors()) out.spec = std::move(parsed.spec);
  out.source = std::move(parsed.appended_source);
  return out;
}

LoadedPipeline load_pipeline_text(const std::string& text, const std::string& file,
                                  const LoadOptions& options) {
  std::string base = std::filesystem::absolute(file).parent_path().string();
  LoadedPipeline out = finish_load(looks_like_kfp_ir(text) ? parse_kfp_pipeline(text, file, base)
                                   : looks_like_training_job(text)
                                       ? parse_training_job(text, file, base, options.runtime_files)
                                       : parse_native_pipeline(text, file, base));
  out.source = text + out.source;
  return out;
}

LoadedPipeline load_pipeline_file(const std::string& path, const LoadOptions& options) {
  auto text = read_file(path);
  if (!text.ok()) {
    LoadedPipeline out;
    out.diagnostics.error({path, 0, 0}, text.status().message());
    return out;
  }
  return load_pipeline_text(*text, path, options);
}

}  // namespace slipway::spec
