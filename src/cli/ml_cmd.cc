// `slipway ml ...`: the built-in steps of the demo pipeline (load, validate, train, evaluate,
// register), real enough to run the seeds' iris pipeline with no Python.
#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "core/files.h"
#include "ml/mlp_checkpoint_eval.h"
#include "ml/model_registry.h"
#include "ml/softmax_classifier.h"
#include "ml/table.h"

namespace slipway::cli {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

int fail(const std::string& msg) {
  std::fprintf(stderr, "slipway ml: %s\n", msg.c_str());
  return 1;
}

int ml_load(const po::variables_map& vm) {
  auto t = ml::read_csv(vm["input"].as<std::string>());
  if (!t.ok()) return fail(t.status().message());
  Status st = ml::write_csv(vm["output"].as<std::string>(), *t);
  if (!st.ok()) return fail(st.message());
  std::printf("loaded %zu rows x %zu columns from %s\n", t->rows.size(), t->header.size(),
              vm["input"].as<std::string>().c_str());
  return 0;
}

int ml_validate(const po::variables_map& vm) {
  auto t = ml::read_csv(vm["input"].as<std::string>());
  if (!t.ok()) return fail(t.status().message());
  size_t empty = 0;
  for (const auto& r : t->rows)
    for (const auto& f : r) empty += f.empty() || f == "NA" || f == "nan";
  if (empty > 0) return fail("dataset has " + std::to_string(empty) + " missing values");
  int min_rows = vm["min-rows"].as<int>();
  if (static_cast<int>(t->rows.size()) < min_rows)
    return fail("dataset too small: " + std::to_string(t->rows.size()) + " rows, need " +
                std::to_string(min_rows));
  auto d = ml::to_dataset(*t, vm["label"].as<std::string>());
  if (!d.ok()) return fail(d.status().message());
  if (d->classes.size() < 2) return fail("the label has fewer than 2 classes");
  Status st = ml::write_csv(vm["output"].as<std::string>(), *t);
  if (!st.ok()) return fail(st.message());
  std::printf("validated %zu rows, %zu features, %zu classes\n", d->x.size(), d->features.size(),
              d->classes.size());
  return 0;
}

Result<ml::Dataset> load_dataset(const po::variables_map& vm) {
  auto t = ml::read_csv(vm["input"].as<std::string>());
  if (!t.ok()) return t.status();
  return ml::to_dataset(*t, vm["label"].as<std::string>());
}

int ml_train(const po::variables_map& vm) {
  auto d = load_dataset(vm);
  if (!d.ok()) return fail(d.status().message());
  std::vector<size_t> train, test;
  std::uint64_t seed = vm["seed"].as<std::uint64_t>();
  double test_fraction = vm["test-fraction"].as<double>();
  ml::split_indices(d->x.size(), test_fraction, seed, &train, &test);
  ml::TrainOptions o;
  o.epochs = vm["epochs"].as<int>();
  o.learning_rate = vm["learning-rate"].as<double>();
  ml::SoftmaxModel m;
  double loss = ml::train_softmax(*d, train, o, &m);
  ml::Scores tr = ml::score(m, *d, train), te = ml::score(m, *d, test);
  Json model = m.to_json();
  model["split"] = {{"seed", seed}, {"test_fraction", test_fraction}};
  Status st = write_file_atomic(vm["model-out"].as<std::string>(), dump_json(model, 2));
  if (!st.ok()) return fail(st.message());
  Json metrics = {
      {"accuracy", te.accuracy}, {"f1_macro", te.f1_macro}, {"train_accuracy", tr.accuracy},
      {"train_loss", loss},      {"epochs", o.epochs},      {"learning_rate", o.learning_rate}};
  if (vm.count("metrics-out")) {
    st = write_file_atomic(vm["metrics-out"].as<std::string>(), dump_json(metrics, 2));
    if (!st.ok()) return fail(st.message());
  }
  // Katib's StdOut collector reads name=value lines.
  std::printf("accuracy=%.6f\nf1_macro=%.6f\ntrain_loss=%.6f\n", te.accuracy, te.f1_macro, loss);
  return 0;
}

// Scores of the model on its held-out rows: a softmax model of `ml train` (JSON) or an MLP
// checkpoint of `slipway train` (HDF5).
Result<ml::Scores> score_model(const std::string& path, const ml::Dataset& d) {
  if (ml::is_hdf5_file(path)) return ml::evaluate_mlp_checkpoint(path, d);
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text, nullptr, false);
  auto m = ml::SoftmaxModel::from_json(j);
  if (!m.ok()) return m.status();
  std::vector<size_t> train, test;
  ml::split_indices(d.x.size(), j["split"].value("test_fraction", 0.2),
                    j["split"].value("seed", std::uint64_t{42}), &train, &test);
  return ml::score(*m, d, test);
}

int ml_evaluate(const po::variables_map& vm) {
  auto d = load_dataset(vm);
  if (!d.ok()) return fail(d.status().message());
  auto scored = score_model(vm["model"].as<std::string>(), *d);
  if (!scored.ok()) return fail(scored.status().message());
  ml::Scores s = *scored;
  double threshold = vm["threshold"].as<double>();
  bool passed = s.accuracy >= threshold;
  Json metrics = {{"accuracy", s.accuracy}, {"f1_macro", s.f1_macro}, {"threshold", threshold}};
  for (auto [option, text] : {std::pair{"metrics-out", dump_json(metrics, 2)},
                              std::pair{"passed-out", std::string(passed ? "true" : "false")},
                              std::pair{"accuracy-out", std::to_string(s.accuracy)}}) {
    if (!vm.count(option)) continue;
    if (Status w = write_file_atomic(vm[option].as<std::string>(), text); !w.ok())
      return fail(std::string("--") + option + ": " + w.message());
  }
  std::printf("test accuracy %.4f (threshold %.4f): %s\n", s.accuracy, threshold,
              passed ? "passed" : "below threshold");
  return 0;
}

int ml_register(const po::variables_map& vm) {
  int rc = 0;
  auto store = open_store_or_die(&rc);
  if (!store) return rc;
  ml::RegisterRequest r;
  r.model_file = vm["model"].as<std::string>();
  r.name = vm["name"].as<std::string>();
  r.repository =
      vm.count("repo") ? fs::path(vm["repo"].as<std::string>()) : slipway_home() / "models";
  if (vm.count("metrics")) r.metrics_file = vm["metrics"].as<std::string>();
  if (vm.count("reference")) r.reference_data = vm["reference"].as<std::string>();
  r.stage = vm["stage"].as<std::string>();
  if (vm.count("format")) r.format = vm["format"].as<std::string>();
  if (const char* run = std::getenv("SLIPWAY_RUN_ID")) r.run_id = run;
  if (const char* task = std::getenv("SLIPWAY_TASK")) r.task = task;
  auto v = ml::register_model(*store, r);
  if (!v.ok()) {
    std::fprintf(stderr, "slipway ml register: %s\n", v.status().message().c_str());
    return v.status().code() == ErrorCode::kInvalidInput ? 2 : 1;
  }
  if (vm.count("version-out"))
    if (Status w =
            write_file_atomic(vm["version-out"].as<std::string>(), std::to_string(v->version));
        !w.ok()) {
      std::fprintf(stderr, "slipway ml register: --version-out: %s\n", w.message().c_str());
      return 1;
    }
  std::printf("registered %s version %d in %s (stage %s)\n", r.name.c_str(), v->version,
              r.repository.string().c_str(), v->stage.c_str());
  return 0;
}

}  // namespace

int cmd_ml(const Args& args) {
  po::options_description opts("ml options");
  opts.add_options()("step", po::value<std::string>()->required(),
                     "load-csv, validate, train, evaluate, register")(
      "input", po::value<std::string>(), "input CSV")("output", po::value<std::string>(),
                                                      "output CSV")(
      "label", po::value<std::string>()->default_value("species"), "label column")(
      "min-rows", po::value<int>()->default_value(50), "validate: fewest rows accepted")(
      "epochs", po::value<int>()->default_value(300), "train: gradient steps")(
      "learning-rate", po::value<double>()->default_value(0.5), "train: step size")(
      "test-fraction", po::value<double>()->default_value(0.2), "train: held-out share")(
      "seed", po::value<std::uint64_t>()->default_value(42), "train: split seed")(
      "model", po::value<std::string>(), "evaluate/register: model file")(
      "model-out", po::value<std::string>(), "train: where to write the model")(
      "metrics-out", po::value<std::string>(), "where to write metrics JSON")(
      "threshold", po::value<double>()->default_value(0.85), "evaluate: accuracy needed to pass")(
      "passed-out", po::value<std::string>(), "evaluate: where to write true/false")(
      "accuracy-out", po::value<std::string>(), "evaluate: where to write the accuracy")(
      "name", po::value<std::string>()->default_value("model"), "register: model name")(
      "repo", po::value<std::string>(),
      "register: model repository (default $SLIPWAY_HOME/models)")(
      "version-out", po::value<std::string>(), "register: where to write the new version number")(
      "metrics", po::value<std::string>(), "register: the model's metrics (a JSON object file)")(
      "reference", po::value<std::string>(),
      "register: its training data (HDF5 table), for drift monitoring")(
      "format", po::value<std::string>(),
      "register: the model's format when its file name does not say (sklearn, xgboost, lightgbm, "
      "onnx, pytorch)")("stage", po::value<std::string>()->default_value("none"),
                        "register: none, staging, production or archived");
  po::positional_options_description pos;
  pos.add("step", 1);
  po::variables_map vm;
  int rc = 0;
  if (!parse_args(args, "slipway ml STEP [options]", opts, pos, &vm, &rc)) return rc;
  std::string step = vm["step"].as<std::string>();
  auto need = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (!vm.count(n)) {
        std::fprintf(stderr, "slipway ml %s: --%s is required\n", step.c_str(), n);
        return false;
      }
    return true;
  };
  if (step == "load-csv") return need({"input", "output"}) ? ml_load(vm) : 2;
  if (step == "validate") return need({"input", "output"}) ? ml_validate(vm) : 2;
  if (step == "train") return need({"input", "model-out"}) ? ml_train(vm) : 2;
  if (step == "evaluate") return need({"input", "model"}) ? ml_evaluate(vm) : 2;
  if (step == "register") return need({"model"}) ? ml_register(vm) : 2;
  std::fprintf(
      stderr,
      "slipway ml: unknown step '%s'; one of load-csv, validate, train, evaluate, register\n",
      step.c_str());
  return 2;
}

}  // namespace slipway::cli
