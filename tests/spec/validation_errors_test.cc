// One case per validation error a user can hit, each checked for its message and location.
#include <gtest/gtest.h>

#include "spec/native_parser.h"
#include "spec/validate.h"

namespace slipway {
namespace {

struct Case {
  const char* name;
  const char* yaml;
  const char* expected;  // a substring of the diagnostics
};

const char* kHead = R"(name: x
params: {p: {type: int, default: 1}, l: {type: list, default: [1]}}
components:
  c: {command: [echo, "{{inputs.a}}"], inputs: {a: {type: string, optional: true}}, outputs: {o: int, m: Model}}
)";

class ValidationErrors : public ::testing::TestWithParam<Case> {};

TEST_P(ValidationErrors, ReportsTheProblem) {
  std::string yaml = GetParam().yaml;
  if (yaml.rfind("tasks:\n", 0) == 0) yaml = kHead + yaml;  // cases that need the shared components
  spec::ParseOutcome out = spec::parse_native_pipeline(yaml, "p.yaml", "/tmp");
  if (out.spec) spec::validate_pipeline(*out.spec, &out.diagnostics);
  std::string all = out.diagnostics.to_string();
  EXPECT_TRUE(out.diagnostics.has_errors() ||
              std::string(GetParam().expected).find("warning") != std::string::npos)
      << GetParam().name;
  EXPECT_NE(all.find(GetParam().expected), std::string::npos)
      << "expected: " << GetParam().expected << "\ngot:\n"
      << all;
}

INSTANTIATE_TEST_SUITE_P(
    All, ValidationErrors,
    ::testing::Values(
        Case{"no_name", "tasks: {t: {component: c}}\ncomponents: {c: {command: [a]}}\n",
             "missing 'name'"},
        Case{"no_tasks", "name: x\n", "missing 'tasks'"},
        Case{"bad_api", "apiVersion: v2\nname: x\ntasks: {}\n", "apiVersion must be slipway/v1"},
        Case{"top_level_typo", "name: x\ntask: {}\n",
             "unknown key 'task' in pipeline (did you mean 'tasks'?)"},
        Case{"component_typo", "name: x\ncomponents:\n  c: {comand: [a]}\ntasks: {}\n",
             "unknown key 'comand' in component 'c' (did you mean 'command'?)"},
        Case{"no_command", "name: x\ncomponents:\n  c: {args: [a]}\ntasks: {}\n",
             "component 'c' has no 'command'"},
        Case{"bad_name",
             "name: x\ncomponents:\n  c: {command: [a]}\ntasks:\n  'a b': {component: c}\n",
             "may use only letters, digits"},
        Case{"no_component", "tasks:\n  t: {inputs: {}}\n", "task 't' has no 'component'"},
        Case{"after_unknown", "tasks:\n  t: {component: c, after: [u]}\n",
             "'after' names no task 'u'"},
        Case{"after_self", "tasks:\n  t: {component: c, after: [t]}\n", "cannot run after itself"},
        Case{"for_each_scalar", "tasks:\n  t: {component: c, for_each: 3}\n", "must be a list"},
        Case{"for_each_int_param", "tasks:\n  t: {component: c, for_each: \"{{params.p}}\"}\n",
             "needs a list"},
        Case{"parallelism_alone", "tasks:\n  t: {component: c, parallelism: 2}\n",
             "warning: task 't': 'parallelism' has no effect"},
        Case{"parallelism_zero", "tasks:\n  t: {component: c, for_each: [1], parallelism: 0}\n",
             "'parallelism' must be a whole number >= 1"},
        Case{"retry_negative", "tasks:\n  t: {component: c, retry: -1}\n",
             "'retry' must be a count"},
        Case{"retry_factor", "tasks:\n  t: {component: c, retry: {limit: 1, factor: 0.5}}\n",
             "'factor' must be a number from 1 to 100"},
        Case{"cache_not_bool", "tasks:\n  t: {component: c, cache: maybe}\n",
             "'cache' must be true or false"},
        Case{"memory", "tasks:\n  t: {component: c, resources: {memory: lots}}\n",
             "is not an amount of memory"},
        Case{"when_syntax", "tasks:\n  t: {component: c, when: \"{{params.p}} >\"}\n",
             "in condition"},
        Case{"when_artifact",
             "tasks:\n  u: {component: c}\n  t: {component: c, when: \"{{tasks.u.outputs.m}} == "
             "1\"}\n",
             "conditions compare parameters"},
        Case{"finally_read_by_main",
             "tasks:\n  t: {component: c, inputs: {a: \"{{tasks.f.outputs.o}}\"}}\nfinally:\n  f: "
             "{component: c}\n",
             "is a finally task and runs last"},
        Case{"status_in_input",
             "tasks:\n  u: {component: c}\n  t: {component: c, inputs: {a: "
             "\"{{tasks.u.status}}\"}}\n",
             "can be read only in 'when' and by finally tasks"},
        Case{"self_output", "tasks:\n  t: {component: c, inputs: {a: \"{{tasks.t.outputs.o}}\"}}\n",
             "cannot read its own outputs"},
        Case{"artifact_in_text",
             "tasks:\n  u: {component: c}\n  t: {component: c, inputs: {a: \"x "
             "{{tasks.u.outputs.m}}\"}}\n",
             "cannot be embedded in text"},
        Case{"component_scope_in_task",
             "tasks:\n  t: {component: c, inputs: {a: \"{{inputs.a}}\"}}\n",
             "inputs.*, outputs.* and executor.input are for component command lines"},
        Case{"command_unknown_input",
             "name: x\ncomponents:\n  c: {command: [echo, \"{{inputs.zz}}\"]}\ntasks:\n  t: "
             "{component: c}\n",
             "names no input of the component"},
        Case{"command_param_path",
             "name: x\ncomponents:\n  c: {command: [echo, \"{{inputs.a.path}}\"], inputs: {a: "
             "string}}\ntasks:\n  t: {component: c, inputs: {a: s}}\n",
             "'a' is a parameter; .path applies to artifacts"},
        Case{"command_params_scope",
             "name: x\ncomponents:\n  c: {command: [echo, \"{{params.p}}\"]}\ntasks:\n  t: "
             "{component: c}\n",
             "components see only inputs.*"},
        Case{"param_bad_default",
             "name: x\nparams: {n: {type: int, default: abc}}\ncomponents:\n  c: {command: "
             "[a]}\ntasks:\n  t: {component: c}\n",
             "default of parameter 'n': expected a int"},
        Case{"param_artifact_type",
             "name: x\nparams: {n: {type: Dataset}}\ncomponents:\n  c: {command: [a]}\ntasks:\n  "
             "t: {component: c}\n",
             "pipeline parameters take parameter types"},
        Case{"output_default",
             "name: x\ncomponents:\n  c: {command: [a], outputs: {o: {type: int, default: "
             "1}}}\ntasks:\n  t: {component: c}\n",
             "output 'o' cannot have a default"},
        Case{"list_of_param",
             "name: x\ncomponents:\n  c: {command: [a], inputs: {i: list of int}}\ntasks:\n  t: "
             "{component: c}\n",
             "'list of' applies to artifact types"},
        Case{"loop_other_items",
             "name: x\ncomponents:\n  c: {command: [a]}\ntasks:\n  a: {component: c, for_each: [1, "
             "2], loop: l}\n  b: {component: c, for_each: [1, 3], loop: l}\n",
             "tasks of one loop share their for_each"},
        Case{"loop_without_for_each",
             "name: x\ncomponents:\n  c: {command: [a]}\ntasks:\n  a: {component: c, loop: l}\n",
             "names loop 'l' but has no for_each"},
        Case{"not_a_mapping", "- a\n- b\n", "a pipeline file is a mapping"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace slipway
