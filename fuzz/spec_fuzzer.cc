// Fuzzes the native pipeline parser, the KFP IR importer, the training job reader, the validator
// and the reader of KFP Python steps' commands (what the warm executors start): any bytes must
// yield a spec or diagnostics, never a crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pyexec/kfp_python_step.h"
#include "spec/kfp_importer.h"
#include "spec/native_parser.h"
#include "spec/training_job.h"
#include "spec/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  slipway::spec::ParseOutcome out =
      slipway::spec::parse_native_pipeline(text, "fuzz.yaml", "/nonexistent");
  if (out.spec) {
    slipway::spec::validate_pipeline(*out.spec, &out.diagnostics);
    (void)slipway::spec::resolve_params(*out.spec, {{"x", "1"}});
  }
  (void)out.diagnostics.to_string();
  // The KFP importer reads the same bytes as IR.
  slipway::spec::ParseOutcome kfp =
      slipway::spec::parse_kfp_pipeline(text, "fuzz.yaml", "/nonexistent");
  if (kfp.spec) {
    slipway::spec::validate_pipeline(*kfp.spec, &kfp.diagnostics);
    for (const auto& [name, c] : kfp.spec->components) {
      std::vector<std::string> command = c.command;
      command.insert(command.end(), c.args.begin(), c.args.end());
      if (command.size() > 3 && command[1] == "__pyenv")
        command.erase(command.begin(), command.begin() + 3);
      if (auto step = slipway::pyexec::parse_kfp_python_step(command))
        (void)slipway::pyexec::imported_modules(step->source);
      (void)slipway::pyexec::pip_install_specs(command);
    }
  }
  // And as a training job file (its runtimes looked for in a directory that does not exist).
  slipway::spec::ParseOutcome job =
      slipway::spec::parse_training_job(text, "/nonexistent/fuzz.yaml", "/nonexistent");
  if (job.spec) slipway::spec::validate_pipeline(*job.spec, &job.diagnostics);
  return 0;
}
