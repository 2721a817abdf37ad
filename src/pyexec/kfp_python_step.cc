#include "pyexec/kfp_python_step.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <string_view>

#include "core/strings.h"

namespace slipway::pyexec {

namespace {

// No std::regex over what may be long (a component's source, an executor input): libstdc++'s
// matcher recurses per character and can run out of stack. The scripts are scanned by hand, and
// regexes see only the short run script once its whitespace is collapsed.

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// One `pip install` found in a script: where its words end, and its quoted words.
struct PipInstall {
  size_t begin = 0, end = 0;
  std::vector<std::string> quoted;
};

// The `pip install` at or after `from`: its words run to the shell's next operator (& | ; or a
// newline); a quoted word may hold any of them (an environment marker's `;`).
std::optional<PipInstall> next_pip_install(std::string_view script, size_t from) {
  static constexpr std::string_view kVerb = "pip install";
  const size_t at = script.find(kVerb, from);
  if (at == std::string_view::npos) return std::nullopt;
  PipInstall p;
  p.begin = at;
  size_t i = at + kVerb.size();
  for (;;) {
    const size_t word = i;
    while (i < script.size() && (script[i] == ' ' || script[i] == '\t')) ++i;
    if (i == script.size() || std::string_view("&|;\n").find(script[i]) != std::string_view::npos ||
        (i == word && i > at + kVerb.size())) {
      p.end = word;
      return p;
    }
    if (script[i] == '\'') {
      const size_t close = script.find('\'', i + 1);
      if (close == std::string_view::npos) {  // unbalanced: the shell would refuse it
        p.end = i;
        return p;
      }
      p.quoted.emplace_back(script.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      while (i < script.size() && !std::isspace(static_cast<unsigned char>(script[i])) &&
             std::string_view("&|;'").find(script[i]) == std::string_view::npos)
        ++i;
    }
  }
}

// The SDK's pip prelude (kfp/dsl/component_factory.py), with each `python3 -m pip install ...`
// replaced by INSTALL: KFP 2.x writes one install, or two when kfp itself comes from a second
// index.
bool is_pip_prelude(std::string_view script) {
  static constexpr std::string_view kCommand = "python3 -m ";
  std::string s;
  size_t from = 0;
  while (auto p = next_pip_install(script, from)) {
    if (p->begin < kCommand.size() ||
        script.substr(p->begin - kCommand.size(), kCommand.size()) != kCommand)
      return false;
    s.append(script.substr(from, p->begin - kCommand.size() - from));
    s += " INSTALL ";
    from = p->end;
  }
  s.append(script.substr(from));
  s = collapse_whitespace(s);
  // Two installs chained are one here.
  for (size_t twice; (twice = s.find("INSTALL && INSTALL")) != std::string::npos;)
    s.replace(twice, 18, "INSTALL");
  static const std::string kPrelude =
      "if ! [ -x \"$(command -v pip)\" ]; then python3 -m ensurepip || python3 -m ensurepip "
      "--user || apt-get install python3-pip fi PIP_DISABLE_PIP_VERSION_CHECK=1 INSTALL && \"$0\" "
      "\"$@\"";
  return s == kPrelude;
}

// The run script: the source into a fresh temporary file, then the executor module on it.
bool parse_run_script(std::string_view script, KfpPythonStep* step) {
  if (script.size() > 4096) return false;  // the SDK's is a few lines
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
  for (const auto& a : command) {
    size_t from = 0;
    while (auto p = next_pip_install(a, from)) {
      for (const auto& q : p->quoted)
        if (!q.empty() && !starts_with(q, "-")) specs.insert(q);
      from = p->end > p->begin ? p->end : p->begin + 1;
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
  // A dotted module name at the start of `s` (after blanks), or "" (a relative import, text).
  auto dotted_name = [](std::string_view s) {
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t start = i;
    if (i == s.size() || !(std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == '_'))
      return std::string();
    while (i < s.size() &&
           (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '.'))
      ++i;
    return std::string(s.substr(start, i - start));
  };
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  // `import a.b as c, d` and `from a.b import c`, one statement per line.
  for (const auto& raw : split(source, '\n')) {
    std::string_view line = raw;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (starts_with(line, "from ")) {
      const std::string name = dotted_name(line.substr(5));
      const size_t rest = line.find(name) + name.size();
      if (!name.empty() && line.substr(rest).find(" import") != std::string_view::npos) add(name);
    } else if (starts_with(line, "import ")) {
      for (const auto& part : split(line.substr(7), ',')) add(dotted_name(part));
    }
  }
  return out;
}

}  // namespace slipway::pyexec
