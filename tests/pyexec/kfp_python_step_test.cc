#include "pyexec/kfp_python_step.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>

#include "core/files.h"
#include "core/yaml_json.h"

namespace slipway::pyexec {
namespace {

// The prelude and run script exactly as KFP 2.x compiles a @dsl.component.
const std::string kPrelude =
    "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip "
    "--user || apt-get install python3-pip\nfi\n\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip "
    "install --quiet --no-warn-script-location 'kfp==2.17.3' '--no-deps' "
    "'typing-extensions>=3.7.4,<5; python_version<\"3.9\"'  &&  python3 -m pip install --quiet "
    "--no-warn-script-location 'pandas==2.2.0' && \"$0\" \"$@\"\n";
const std::string kRun =
    "program_path=$(mktemp -d)\n\nprintf \"%s\" \"$0\" > \"$program_path/ephemeral_component.py\"\n"
    "_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main                         "
    "--component_module_path                         \"$program_path/ephemeral_component.py\"      "
    "                   \"$@\"\n";
const std::string kSource =
    "import kfp\nfrom kfp import dsl\n\ndef add(a: int) -> int:\n    return a\n";

std::vector<std::string> sdk_command(const std::string& prelude, const std::string& run) {
  return {"sh",         "-c",
          prelude,      "sh",
          "-ec",        run,
          kSource,      "--executor_input",
          "{\"x\": 1}", "--function_to_execute",
          "add"};
}

TEST(KfpPythonStep, ReadsTheSdkForm) {
  auto step = parse_kfp_python_step(sdk_command(kPrelude, kRun));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->module, "kfp.dsl.executor_main");
  EXPECT_TRUE(step->kfp_runtime);
  EXPECT_EQ(step->source, kSource);
  EXPECT_EQ(step->args, (std::vector<std::string>{"--executor_input", "{\"x\": 1}",
                                                  "--function_to_execute", "add"}));
  // Both installs, flags dropped, and a spec whose environment marker holds a `;`.
  EXPECT_EQ(step->packages,
            (std::vector<std::string>{"kfp==2.17.3", "pandas==2.2.0",
                                      "typing-extensions>=3.7.4,<5; python_version<\"3.9\""}));
}

TEST(KfpPythonStep, ReadsTheRunScriptAloneAndOlderExecutors) {
  std::string old_run = kRun;
  old_run.replace(old_run.find("_KFP_RUNTIME=true "), 18, "");
  old_run.replace(old_run.find("kfp.dsl.executor_main"), 21, "kfp.components.executor_main");
  auto step = parse_kfp_python_step({"sh", "-ec", old_run, kSource, "--executor_input", "{}"});
  ASSERT_TRUE(step);
  EXPECT_EQ(step->module, "kfp.components.executor_main");
  EXPECT_FALSE(step->kfp_runtime);
  EXPECT_EQ(step->args, (std::vector<std::string>{"--executor_input", "{}"}));
  EXPECT_EQ(environment_packages({"sh", "-ec", old_run, kSource}), std::vector<std::string>{"kfp"});
}

TEST(KfpPythonStep, AnythingElseRunsAsWritten) {
  // A prelude that makes a venv of its own (use_venv=True components).
  std::string venv_prelude = kPrelude;
  venv_prelude.replace(venv_prelude.find("&& \"$0\""), 2,
                       "&& python3 -m venv \"$tmp/venv\" && . \"$tmp/venv/bin/activate\" &&");
  EXPECT_FALSE(parse_kfp_python_step(sdk_command(venv_prelude, kRun)));
  // A run script that does one more thing.
  EXPECT_FALSE(parse_kfp_python_step(sdk_command(kPrelude, "rm -rf /tmp/x\n" + kRun)));
  EXPECT_FALSE(parse_kfp_python_step(sdk_command(kPrelude, kRun + "echo done\n")));
  // The containerized form: the module is in the image.
  EXPECT_FALSE(
      parse_kfp_python_step({"python3", "-m", "kfp.dsl.executor_main", "--executor_input"}));
  // No source after the run script.
  EXPECT_FALSE(parse_kfp_python_step({"sh", "-ec", kRun}));
  EXPECT_FALSE(parse_kfp_python_step({}));
}

TEST(KfpPythonStep, ImportedModules) {
  EXPECT_EQ(imported_modules("import kfp\nfrom kfp import dsl\ndef f():\n    import numpy as np, "
                             "sklearn.ensemble\n    from pandas.io import json\n    from . import "
                             "sibling\n    x = 'import notamodule'\n"),
            (std::vector<std::string>{"kfp", "numpy", "sklearn.ensemble", "pandas.io"}));
  EXPECT_EQ(executor_support_module("kfp.dsl.executor_main"), "kfp.dsl.executor");
  EXPECT_EQ(executor_support_module("kfp.v2.components.executor_main"),
            "kfp.v2.components.executor");
}

// Long sources and inputs are scanned, not matched by a recursive regex: no stack overflow.
TEST(KfpPythonStep, LongTextIsScannedNotRecursed) {
  std::string huge = "# pip install " + std::string(2'000'000, 'x') + "\nimport " +
                     std::string(2'000'000, 'y') + "\n";
  auto command = sdk_command(kPrelude, kRun);
  command[6] = huge;
  command[8] = std::string(2'000'000, '{');
  auto step = parse_kfp_python_step(command);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->packages.size(), 3u);
  EXPECT_EQ(imported_modules(huge).size(), 1u);
  EXPECT_FALSE(parse_kfp_python_step(sdk_command(kPrelude, kRun + std::string(100'000, ' '))));
}

// Every Python executor of the KFP corpus: the SDK's forms are read, the others are left alone.
TEST(KfpPythonStep, TheKfpCorpus) {
  const std::filesystem::path dir = std::string(SLIPWAY_SOURCE_DIR) + "/../shared/corpora/kfp-ir";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no corpus at " << dir;
  int read = 0, left = 0;
  std::map<std::string, int> modules;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      const YAML::Node c = n["container"];
      if (c && c.IsMap()) {
        std::vector<std::string> cmd;
        bool python = false;
        for (const char* key : {"command", "args"})
          if (c[key] && c[key].IsSequence())
            for (const auto& a : c[key]) {
              cmd.push_back(a.IsScalar() ? a.Scalar() : "");
              python = python || cmd.back().find("executor_main") != std::string::npos;
            }
        if (python) {
          if (auto step = parse_kfp_python_step(cmd)) {
            ++read;
            ++modules[step->module];
            EXPECT_FALSE(step->source.empty());
            EXPECT_FALSE(environment_packages(cmd).empty());
          } else {
            ++left;
          }
        }
      }
      for (const auto& kv : n) walk(kv.second);
    } else if (n.IsSequence()) {
      for (const auto& e : n) walk(e);
    }
  };
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    auto text = read_file(f.path());
    if (!text.ok()) continue;
    try {
      for (const auto& d : load_yaml_documents(*text)) walk(d);
    } catch (const YAML::Exception&) {  // the corpus's invalid files
    }
  }
  // 6 left: 2 containerized components (their module is in the image), 2 that make a venv of
  // their own in the prelude, 2 of an early SDK whose prelude has an unbalanced parenthesis.
  EXPECT_EQ(read, 506);
  EXPECT_EQ(left, 6);
  EXPECT_EQ(modules["kfp.dsl.executor_main"], 386);
  EXPECT_EQ(modules["kfp.components.executor_main"], 117);
  EXPECT_EQ(modules["kfp.v2.components.executor_main"], 3);
}

}  // namespace
}  // namespace slipway::pyexec
