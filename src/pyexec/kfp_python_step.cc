#include "pyexec/kfp_python_step.h"

#include <algorithm>
#include <regex>
#include <set>

#include "core/strings.h"

namespace slipway::pyexec {

namespace {

std::string collapse_whitespace(const std::string& s) {
  static const std::regex kSpace(R"(\s+)");
  return trim(std::regex_replace(s, kSpace, " "));
}

// The SDK's pip prelude (kfp/dsl/component_factory.py), with each install replaced by INSTALL:
// KFP 2.x writes one install, or two when kfp itself comes from a second index.
bool is_pip_prelude(const std::string& script) {
  static const std::regex kInstall(R"(python3 -m pip install(?:\s+(?:'[^']*'|[^\s'&|;]+))*\s*&&)");
  static const std::regex kRepeated(R"((INSTALL&& *)+)");
  std::string s = std::regex_replace(script, kInstall, "INSTALL&&");
  s = collapse_whitespace(std::regex_replace(s, kRepeated, "INSTALL&& "));
  static const std::string kPrelude =
      "if ! [ -x \"$(command -v pip)\" ]; then python3 -m ensurepip || python3 -m ensurepip "
      "--user || apt-get install python3-pip fi PIP_DISABLE_PIP_VERSION_CHECK=1 INSTALL&& \"$0\" "
      "\"$@\"";
  return s == kPrelude;
}

// The run script: the source into a fresh temporary file, then the executor module on it.
bool parse_run_script(const std::string& script, KfpPythonStep* step) {
  static const std::regex kRun(
      R"(program_path=\$\(mktemp -d\) printf "%s" "\$0" > "\$program_path/ephemeral_component\.py" )"
      R"((_KFP_RUNTIME=true )?python3 -m (kfp\.dsl\.executor_main|kfp\.components\.executor_main|kfp\.v2\.components\.executor_main) )"
      R"(--component_module_path "\$program_path/ephemeral_component\.py" "\$@")");
  std::smatch m;
  const std::string s = collapse_whitespace(script);
  if (!std::regex_match(s, m, kRun)) return false;
  step->kfp_runtime = m[1].matched;
  step->module = m[2];
  return true;
}

}  // namespace

std::vector<std::string> pip_install_specs(const std::vector<std::string>& command) {
  std::set<std::string> specs;
  // Its words up to the shell's next operator; a quoted spec may hold `;` (an environment marker).
  static const std::regex kInstall(R"(pip install((?:\s+(?:'[^']*'|[^\s'&|;]+))*))");
  static const std::regex kQuoted(R"('([^']+)')");
  for (const auto& a : command) {
    for (auto it = std::sregex_iterator(a.begin(), a.end(), kInstall); it != std::sregex_iterator();
         ++it) {
      std::string seg = (*it)[1];
      for (auto q = std::sregex_iterator(seg.begin(), seg.end(), kQuoted);
           q != std::sregex_iterator(); ++q) {
        std::string s = (*q)[1];
        if (!starts_with(s, "-")) specs.insert(s);
      }
    }
  }
  return {specs.begin(), specs.end()};
}

std::vector<std::string> environment_packages(const std::vector<std::string>& command) {
  std::vector<std::string> specs = pip_install_specs(command);
  if (specs.empty()) specs = {"kfp"};
  return specs;
}

std::string executor_support_module(const std::string& executor_main) {
  const std::string suffix = "_main";
  return executor_main.size() > suffix.size() &&
                 executor_main.compare(executor_main.size() - suffix.size(), suffix.size(),
                                       suffix) == 0
             ? executor_main.substr(0, executor_main.size() - suffix.size())
             : executor_main;
}

std::optional<KfpPythonStep> parse_kfp_python_step(const std::vector<std::string>& command) {
  size_t i = 0;
  // `sh -c PRELUDE sh -ec ...`: the prelude's "$0" "$@" is `sh -ec RUN SOURCE ARGS...`.
  if (command.size() > 3 && command[0] == "sh" && command[1] == "-c" && command[3] == "sh") {
    if (!is_pip_prelude(command[2])) return std::nullopt;
    i = 3;
  }
  if (command.size() < i + 4 || command[i] != "sh" || command[i + 1] != "-ec") return std::nullopt;
  KfpPythonStep step;
  if (!parse_run_script(command[i + 2], &step)) return std::nullopt;
  step.source = command[i + 3];
  step.args.assign(command.begin() + static_cast<std::ptrdiff_t>(i + 4), command.end());
  step.packages = pip_install_specs(command);
  return step;
}

std::vector<std::string> imported_modules(const std::string& source) {
  // `import a.b as c, d` and `from a.b import c`, one statement per line.
  static const std::regex kImport(R"(^\s*import\s+(.+)$)");
  static const std::regex kFrom(R"(^\s*from\s+([A-Za-z_][\w.]*)\s+import\b.*$)");
  static const std::regex kName(R"(^\s*([A-Za-z_][\w.]*))");
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const auto& line : split(source, '\n')) {
    std::smatch m;
    if (std::regex_match(line, m, kFrom)) {
      add(m[1]);
    } else if (std::regex_match(line, m, kImport)) {
      for (const auto& part : split(m[1].str(), ',')) {
        std::smatch n;
        if (std::regex_search(part, n, kName)) add(n[1]);
      }
    }
  }
  return out;
}

}  // namespace slipway::pyexec
