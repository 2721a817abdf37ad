// What a KFP lightweight Python component's command does, read from the command itself. The KFP
// SDK compiles a @dsl.component to `sh -c PIP_PRELUDE sh -ec RUN_SCRIPT SOURCE ARGS...`: the
// prelude pip-installs the component's packages, the run script writes SOURCE to a file and runs
// `python3 -m kfp.dsl.executor_main --component_module_path FILE ARGS...`. Only the forms the SDK
// writes are recognized, word for word apart from whitespace and the installed packages; any other
// command (a prelude that also makes its own venv, a hand-edited script) is run as written.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace slipway::pyexec {

struct KfpPythonStep {
  std::vector<std::string> packages;  // every `pip install` requirement spec, flags dropped
  std::string module;                 // kfp.dsl.executor_main, or an older SDK's executor module
  std::string source;                 // the component's Python source
  std::vector<std::string> args;      // the executor's arguments (--executor_input ...)
  bool kfp_runtime = false;           // the script sets _KFP_RUNTIME=true for the interpreter
};

// The requirement specs of every `pip install` in `command`: the quoted words, flags dropped. So
// kfp itself is installed with its dependencies: the compiled command says --no-deps because it
// expects an image that has them.
std::vector<std::string> pip_install_specs(const std::vector<std::string>& command);

// The packages of the Python environment `command` runs in: its pip installs, or kfp alone (a
// component built into its own image installs nothing at run time, but still needs the executor).
std::vector<std::string> environment_packages(const std::vector<std::string>& command);

// The module the executor module runs the component with (kfp.dsl.executor for
// kfp.dsl.executor_main): what a warm server imports ahead of the step.
std::string executor_support_module(const std::string& executor_main);

// `command` (what follows `slipway __pyenv --`) as a KFP Python step, or nothing when it is not
// one of the SDK's forms.
std::optional<KfpPythonStep> parse_kfp_python_step(const std::vector<std::string>& command);

// The top-level modules `source` imports (`import a.b`, `from a.b import c` give "a.b"), in order
// of first appearance, relative imports left out.
std::vector<std::string> imported_modules(const std::string& source);

}  // namespace slipway::pyexec
