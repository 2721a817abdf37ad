#include "spec/kfp_importer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/files.h"
#include "spec/validate.h"

namespace slipway {
namespace {

spec::ParseOutcome import_fixture(const std::string& name) {
  std::string path = std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/kfp/" + name;
  auto text = read_file(path);
  EXPECT_TRUE(text.ok());
  EXPECT_TRUE(spec::looks_like_kfp_ir(*text));
  spec::ParseOutcome out = spec::parse_kfp_pipeline(*text, path, "/tmp");
  if (out.spec) spec::validate_pipeline(*out.spec, &out.diagnostics);
  return out;
}

TEST(KfpPlaceholders, ConvertToSlipwayPlaceholders) {
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.inputs.parameters['n']}}"), "{{inputs.n}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("x={{$.inputs.artifacts['data'].path}}"),
            "x={{inputs.data.path}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.outputs.artifacts['m'].path}}"), "{{outputs.m}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.outputs.parameters['c'].output_file}}"),
            "{{outputs.c}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.pipeline_job_name}}/{{$.pipeline_task_name}}"),
            "{{run.id}}/{{task.name}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$}}"), "{{executor.input}}");
  EXPECT_FALSE(spec::convert_kfp_placeholders("x{{$}}").ok());
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.inputs.artifacts['d'].metadata}}"),
            "{{inputs.d.metadata}}");
  EXPECT_FALSE(spec::convert_kfp_placeholders("{{$.inputs.artifacts['d'].name}}").ok());
  // One metadata key, a list of artifacts, output metadata, Vertex AI's escaped executor input.
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.inputs.artifacts['m'].metadata['resourceName']}}"),
            "{{inputs.m.metadata.resourceName}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.inputs.artifacts['ds']}}"), "{{inputs.ds}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("{{$.outputs.artifacts['m'].metadata}}"),
            "{{outputs.m.metadata}}");
  EXPECT_EQ(*spec::convert_kfp_placeholders("--in={{$.json_escape[1]}}"),
            "--in={{executor.input_escaped}}");
}

TEST(KfpConditions, CelBecomesAWhenExpression) {
  auto bind = [](const std::string& n) -> Result<std::string> {
    if (n == "pipelinechannel--make-count") return std::string("{{tasks.make.outputs.count}}");
    if (n == "pipelinechannel--t") return std::string("3");
    return InvalidInput("unknown " + n);
  };
  auto w = spec::convert_kfp_condition(
      "int(inputs.parameter_values['pipelinechannel--make-count']) > "
      "int(inputs.parameter_values['pipelinechannel--t'])",
      bind);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(*w, "({{tasks.make.outputs.count}}) > (3)");
  EXPECT_TRUE(spec::Expr::parse(*w).ok());
  EXPECT_TRUE(spec::convert_kfp_condition(
                  "!(inputs.parameter_values['pipelinechannel--t'] == 'a') && true", bind)
                  .ok());
  EXPECT_FALSE(spec::convert_kfp_condition("inputs.parameter_values['nope'] == 1", bind).ok());
}

TEST(KfpImporter, FlattensConditionGroups) {
  spec::ParseOutcome out = import_fixture("condition.yaml");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::PipelineSpec& s = *out.spec;
  EXPECT_EQ(s.format, "kfp");
  EXPECT_EQ(s.name, "demo");
  ASSERT_EQ(s.tasks.size(), 2u);
  EXPECT_EQ(s.tasks[0].name, "make");  // dependency order
  const spec::Task& use = s.tasks[1];
  ASSERT_TRUE(use.when);
  EXPECT_EQ(use.when->text(), "(({{tasks.make.outputs.count}}) > ({{params.threshold}}))");
  EXPECT_EQ(use.inputs.at("n").text, "{{tasks.make.outputs.count}}");
  EXPECT_EQ(use.inputs.at("data").text, "{{tasks.make.outputs.data}}");
  EXPECT_EQ(use.inputs.at("greeting").text, "{{params.greeting}}");
  EXPECT_EQ(use.retry.limit, 2);
  EXPECT_EQ(s.param("threshold")->type.param, ParamType::kInt);
  const spec::Component* make = s.component_of(s.tasks[0]);
  ASSERT_TRUE(make);
  EXPECT_EQ(make->image, "alpine");
  ASSERT_EQ(make->args.size(), 1u);
  EXPECT_EQ(make->args[0], "echo 5 > {{outputs.count}}; echo data > {{outputs.data}}");  // Concat
  EXPECT_TRUE(make->output("data")->type.is_artifact);
  EXPECT_EQ(make->output("data")->type.artifact, "Dataset");
}

TEST(KfpImporter, ExitHandlerBecomesAFinallyTask) {
  spec::ParseOutcome out = import_fixture("exit_handler.yaml");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Task* c = out.spec->task("cleanup");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->is_finally);
  EXPECT_EQ(out.spec->task("fail-step")->after, std::vector<std::string>{"step"});
}

TEST(KfpImporter, PythonComponentsRunInAManagedEnvironment) {
  spec::ParseOutcome out = import_fixture("python_component.yaml");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Component* add = out.spec->component_of(*out.spec->task("add"));
  ASSERT_TRUE(add);
  ASSERT_GE(add->command.size(), 3u);
  EXPECT_EQ(add->command[0], "slipway");
  EXPECT_EQ(add->command[1], "__pyenv");
  EXPECT_NE(std::find(add->args.begin(), add->args.end(), "{{executor.input}}"), add->args.end());
  EXPECT_EQ(add->output("Output")->type.param, ParamType::kInt);
}

TEST(KfpImporter, ParallelForBecomesAFanOut) {
  spec::ParseOutcome out = import_fixture("loop.yaml");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Task* sq = out.spec->task("square");
  ASSERT_TRUE(sq && sq->for_each);
  EXPECT_EQ(sq->for_each->text, "{{params.items}}");
  EXPECT_EQ(sq->parallelism, 2);
  EXPECT_EQ(sq->inputs.at("x").text, "{{item}}");
  EXPECT_EQ(out.spec->task("total")->inputs.at("values").text,
            "{{tasks.square.outputs.out}}");  // dsl.Collected

  spec::ParseOutcome st = import_fixture("loop_struct.yaml");
  ASSERT_TRUE(st.spec);
  EXPECT_FALSE(st.diagnostics.has_errors()) << st.diagnostics.to_string();
  EXPECT_EQ(st.spec->task("show")->inputs.at("name").text, "{{item.letter}}");
  EXPECT_TRUE(st.spec->task("show")->for_each->literal.is_array());

  // Tasks of one loop body share the loop, so the second reads the same iteration's output,
  // and the dsl.If on the item stays per item.
  spec::ParseOutcome chain = import_fixture("loop_chain.yaml");
  ASSERT_TRUE(chain.spec);
  EXPECT_FALSE(chain.diagnostics.has_errors()) << chain.diagnostics.to_string();
  const spec::Task* first = chain.spec->task("show");
  const spec::Task* second = chain.spec->task("show-2");
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(first->loop.empty());
  EXPECT_EQ(first->loop, second->loop);
  EXPECT_EQ(second->inputs.at("name").text, "{{tasks.show.outputs.out}}");
  ASSERT_TRUE(second->when);
  EXPECT_EQ(second->when->text(), "({{item}} != '2')");
  EXPECT_TRUE(chain.spec->task("join")->loop.empty());
}

TEST(KfpImporter, IfPresentPicksArgumentsPerTask) {
  spec::ParseOutcome out = import_fixture("features.yaml");
  ASSERT_TRUE(out.spec);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  // The same executor, called with and without its optional input: two components.
  const spec::Component* with = out.spec->component_of(*out.spec->task("greet"));
  const spec::Component* without = out.spec->component_of(*out.spec->task("greet-2"));
  ASSERT_TRUE(with && without);
  EXPECT_NE(with->name, without->name);
  EXPECT_EQ(with->args, (std::vector<std::string>{"{{outputs.out}}", "--name", "{{inputs.name}}"}));
  EXPECT_EQ(without->args, (std::vector<std::string>{"{{outputs.out}}", "--anonymous"}));
  const spec::Component* imp = out.spec->component_of(*out.spec->task("importer"));
  ASSERT_TRUE(imp);
  EXPECT_EQ(imp->command.at(1), "__import-artifact");
  EXPECT_FALSE(out.spec->task("importer")->cache);
  EXPECT_EQ(out.spec->task("stamp")->cache_key, "stamp-v1");
}

TEST(KfpImporter, BrokenFilesGetErrorsNotCrashes) {
  for (const char* text :
       {"pipelineInfo: {}\ndeploymentSpec: {}\nroot: {}\n",
        "pipelineInfo: {name: x}\ndeploymentSpec: 3\nroot: {dag: {tasks: {a: {componentRef: {name: "
        "nope}}}}}\nschemaVersion: 2.1.0\n",
        "pipelineInfo: [\n",
        // A component whose DAG uses itself (found by the fuzzer: it recursed until the stack ran
        // out).
        "pipelineInfo: {name: x}\nschemaVersion: 2.1.0\ndeploymentSpec: {}\n"
        "components: {comp-a: {dag: {tasks: {t: {componentRef: {name: comp-a}}}}}}\n"
        "root: {dag: {tasks: {t: {componentRef: {name: comp-a}}}}}\n"}) {
    spec::ParseOutcome out = spec::parse_kfp_pipeline(text, "bad.yaml", "/tmp");
    EXPECT_TRUE(out.diagnostics.has_errors()) << text;
  }
}

// A small two-task pipeline in the shapes KFP files arrive in.
const char* kTwoTasks = R"(
pipelineInfo: {name: two}
schemaVersion: 2.1.0
deploymentSpec:
  executors:
    exec-a: {container: {image: busybox, command: [echo, a]}}
    exec-b: {container: {image: busybox, command: [echo, '{{$.inputs.parameters[''x'']}}']}}
components:
  comp-a:
    executorLabel: exec-a
    outputDefinitions: {parameters: {out: {parameterType: STRING}}}
  comp-b:
    executorLabel: exec-b
    inputDefinitions: {parameters: {x: {parameterType: STRING}}}
root:
  dag:
    tasks:
      a: {componentRef: {name: comp-a}, taskInfo: {name: a}}
      b:
        componentRef: {name: comp-b}
        dependentTasks: [a]
        inputs:
          parameters:
            x: {runtimeValue: {constant: "{{$.inputs.parameters['pipelinechannel--a-out']}}-{{$.pipeline_job_uuid}}"}}
            pipelinechannel--a-out: {taskOutputParameter: {producerTask: a, outputParameterKey: out}}
        triggerPolicy: {strategy: ALL_UPSTREAM_TASKS_COMPLETED}
)";

spec::ParseOutcome import_text(const std::string& text) {
  EXPECT_TRUE(spec::looks_like_kfp_ir(text));
  spec::ParseOutcome out = spec::parse_kfp_pipeline(text, "p.yaml", "/tmp");
  if (out.spec) spec::validate_pipeline(*out.spec, &out.diagnostics);
  return out;
}

TEST(KfpImporter, FormatStringsAndIgnoreUpstreamFailure) {
  spec::ParseOutcome out = import_text(kTwoTasks);
  ASSERT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Task* b = out.spec->task("b");
  ASSERT_TRUE(b);
  // The f-string reads the upstream output through an input the component does not declare;
  // that input is gone and the constant became a template.
  EXPECT_EQ(b->inputs.count("pipelinechannel--a-out"), 0u);
  EXPECT_EQ(b->inputs.at("x").text, "{{tasks.a.outputs.out}}-{{run.id}}");
  // ALL_UPSTREAM_TASKS_COMPLETED after an ordinary task: ignore_upstream_failure, not an exit task.
  EXPECT_TRUE(b->ignore_upstream_failure);
  EXPECT_FALSE(b->is_finally);
  EXPECT_EQ(b->after, std::vector<std::string>{"a"});
}

TEST(KfpImporter, ReadsJsonProtoNamesAndApiObjects) {
  // The same pipeline as JSON inside a run object (`pipeline_spec`), with proto field names.
  std::string proto = R"({"run_id": "r1", "pipeline_spec": {
    "pipeline_info": {"name": "two"}, "schema_version": "2.1.0",
    "deployment_spec": {"executors": {"exec-a": {"container": {"image": "busybox",
        "command": ["echo", "a"]}}}},
    "components": {"comp-a": {"executor_label": "exec-a", "input_definitions": {"parameters": {
        "my_param": {"parameter_type": "NUMBER_INTEGER", "default_value": 3}}}}},
    "root": {"dag": {"tasks": {"a_task": {"component_ref": {"name": "comp-a"},
        "inputs": {"parameters": {"my_param": {"runtime_value": {"constant": 5}}}}}}}}}})";
  spec::ParseOutcome out = import_text(proto);
  ASSERT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  EXPECT_EQ(out.spec->name, "two");
  const spec::Task* t = out.spec->task("a_task");  // names the author chose keep their spelling
  ASSERT_TRUE(t);
  EXPECT_EQ(t->inputs.at("my_param").literal, 5);
  EXPECT_EQ(out.spec->components.at("a").input("my_param")->default_value, Json(3));
}

TEST(KfpImporter, SecondDocumentKeepsItsLineNumbers) {
  // The platform spec is the second YAML document; an error in it points at its own line.
  std::string text = std::string(kTwoTasks) +
                     "---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors:\n"
                     "        exec-a:\n          activeDeadlineSeconds: soon\n";
  size_t at = text.find("activeDeadlineSeconds");
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  spec::ParseOutcome out = import_text(text);
  ASSERT_TRUE(out.diagnostics.has_errors());
  EXPECT_NE(out.diagnostics.to_string().find("p.yaml:" + std::to_string(line) + ":"),
            std::string::npos)
      << out.diagnostics.to_string();
}

TEST(KfpImporter, MalformedStreamsEnd) {
  // yaml-cpp's LoadAll never returned on this input (found by the fuzzer); documents are split
  // by slipway now.
  auto text =
      read_file(std::string(SLIPWAY_SOURCE_DIR) + "/tests/fixtures/fuzz/kfp_loadall_hang.yaml");
  ASSERT_TRUE(text.ok());
  spec::ParseOutcome out = spec::parse_kfp_pipeline(*text, "hang.yaml", "/tmp");
  EXPECT_TRUE(out.diagnostics.has_errors());
}

TEST(KfpImporter, KfpRefusalsSayWhy) {
  spec::ParseOutcome platform_only =
      import_text(R"({"platforms": {"kubernetes": {"deploymentSpec": {"executors": {}}}}})");
  EXPECT_NE(platform_only.diagnostics.to_string().find("platform spec without a pipeline spec"),
            std::string::npos);
  std::string unnamed = kTwoTasks;
  unnamed.replace(unnamed.find("{name: two}"), 11, "{name: }");
  EXPECT_NE(import_text(unnamed).diagnostics.to_string().find("name is empty"), std::string::npos);
}

// A file of the shared KFP corpus (beside the source tree, as CI lays it out).
std::string corpus_file(const std::string& name) {
  return std::string(SLIPWAY_SOURCE_DIR) + "/../shared/corpora/kfp-ir/" + name;
}

TEST(KfpImporter, OneOfReadsWhicheverBranchRan) {
  auto text = read_file(
      corpus_file("test_data__sdk_compiled_pipelines__valid__if_else_with_oneof_parameters.yaml"));
  if (!text.ok()) GTEST_SKIP() << text.status().message();
  spec::ParseOutcome out = import_text(*text);
  ASSERT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Task* reader = out.spec->task("print-and-return-3");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->inputs.at("text").text,
            "{{tasks.print-and-return.outputs.Output | tasks.print-and-return-2.outputs.Output}}");
  EXPECT_EQ(spec::oneof_groups(*reader),
            (std::vector<std::vector<std::string>>{{"print-and-return", "print-and-return-2"}}));
}

TEST(KfpImporter, VolumesAndPlatformSettings) {
  auto text = read_file(
      corpus_file("backend__src__apiserver__template__testdata__pipeline_with_volume.yaml"));
  if (!text.ok()) GTEST_SKIP() << text.status().message();
  spec::ParseOutcome out = import_text(*text);
  ASSERT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  const spec::Task* create = out.spec->task("createpvc");
  ASSERT_TRUE(create);
  EXPECT_EQ(out.spec->component_of(*create)->command[1], "__kfp-volume");
  // The mount's claim name comes from the CreatePVC task's output, read from the second document.
  const spec::Task* comp = out.spec->task("comp");
  ASSERT_TRUE(comp);
  EXPECT_EQ(comp->kubernetes["pvcMount"][0]["mountPath"], "/data");
  EXPECT_EQ(comp->kubernetes["pvcMount"][0]["value"], "{{tasks.createpvc.outputs.name}}");
}

}  // namespace
}  // namespace slipway
