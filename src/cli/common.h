// Helpers shared by the subcommands: option parsing conventions, loading pipelines, tables.
#pragma once

#include <boost/program_options.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "spec/diagnostics.h"
#include "spec/load_pipeline.h"
#include "spec/pipeline_spec.h"
#include "store/store.h"

namespace slipway::cli {

namespace po = boost::program_options;

enum class OutputMode { kText, kJson, kDot };

// Parses `args` with the given options and positionals. On --help prints usage and returns 0 in
// *exit_code; on a bad option prints the error and returns 2. Returns true to continue.
bool parse_args(const Args& args, const std::string& usage, po::options_description& opts,
                const po::positional_options_description& pos, po::variables_map* vm,
                int* exit_code);

// --output text|json (and dot where `allow_dot`), validated.
std::optional<OutputMode> output_mode(const po::variables_map& vm, bool allow_dot = false);

std::unique_ptr<store::Store> open_store_or_die(int* exit_code);

// The pipeline named by the "file" option, validated, with its parameter values from "param"
// options; diagnostics and errors are printed. nullopt means invalid input (exit code 2).
struct PipelineWithParams {
  std::string source;
  spec::PipelineSpec spec;
  std::map<std::string, nlohmann::json> params;
};
std::optional<PipelineWithParams> load_pipeline_with_params(const po::variables_map& vm);
// --runtime FILE... (the runtimes of a TrainJob), where the command takes it.
spec::LoadOptions load_options(const po::variables_map& vm);

// The pipeline's parameter values from its defaults and the -p NAME=VALUE options; prints what
// is wrong and returns nullopt on bad input.
std::optional<std::map<std::string, nlohmann::json>> params_from_options(
    const spec::PipelineSpec& spec, const po::variables_map& vm, const std::string& file);

// The -p NAME=VALUE options as a JSON object of strings (typed later against the pipeline's
// parameters); prints what is wrong and returns nullopt on a malformed one.
std::optional<nlohmann::json> param_options_json(const po::variables_map& vm);

// Prints rows as aligned columns; the first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

std::string format_age(std::int64_t ms);

void print_json(const nlohmann::json& j);

// Writes the port a daemon listens on to the file named by --port-file, if given, so a script
// that asked for port 0 learns it. False (with the reason on stderr, after `who`) when it fails.
bool write_port_file(const po::variables_map& vm, int port, const char* who);

// `validate --report DIR`.
int validate_report(const std::string& dir, OutputMode mode);

// Runs `slipway ARGS...` as a daemon that outlives this process, its output appended to log_path.
Status start_daemon(const std::string& log_path, const std::vector<std::string>& args);
// Drives `run` in a background daemon (`slipway __driver RUN [--resume]`), logging to its root.
Status start_detached_driver(const store::RunRecord& run, bool resume);

}  // namespace slipway::cli
