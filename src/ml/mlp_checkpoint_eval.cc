#include "ml/mlp_checkpoint_eval.h"

#include <fstream>

#include "core/strings.h"
#include "models/checkpoint.h"
#include "models/mlp.h"

namespace slipway::ml {

bool is_hdf5_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8] = {};
  in.read(magic, 8);
  return in.gcount() == 8 && std::string(magic, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

Result<Scores> evaluate_mlp_checkpoint(const std::string& path, const Dataset& d) {
  auto ck = models::read_checkpoint(path);
  if (!ck.ok()) return ck.status();
  std::vector<std::string> dims = split(ck->signature, ':');
  if (dims.size() < 3 || dims[0] != "mlp")
    return InvalidInput(path + " holds a " + ck->signature + " model, not an MLP classifier");
  std::vector<int> sizes;
  for (size_t i = 1; i < dims.size(); ++i) sizes.push_back(std::stoi(dims[i]));
  Json meta = Json::parse(ck->meta, nullptr, false);
  if (!meta.is_object()) return InvalidInput(path + " has no readable metadata");
  std::vector<std::string> features = meta.value("features", std::vector<std::string>{});
  std::vector<std::string> classes = meta.value("classes", std::vector<std::string>{});
  if (features != d.features)
    return InvalidInput("the model was trained on features [" + join(features, ", ") +
                        "], the data has [" + join(d.features, ", ") + "]");
  if (classes != d.classes)
    return InvalidInput("the model knows classes [" + join(classes, ", ") + "], the data has [" +
                        join(d.classes, ", ") + "]");
  models::Mlp<float, models::RefOps> model(
      sizes.front(), std::vector<int>(sizes.begin() + 1, sizes.end() - 1), sizes.back());
  if (model.num_params() != ck->params.size())
    return InvalidInput(path + " is inconsistent: its parameters do not fit " + ck->signature);
  Json split_info = meta.value("split", Json::object());
  std::vector<size_t> train, held_out;
  split_indices(d.x.size(), split_info.value("valid_fraction", 0.2),
                split_info.value("seed", std::uint64_t{1}), &train, &held_out);
  std::vector<float> x;
  std::vector<int> truth;
  for (size_t r : held_out) {
    for (double v : d.x[r]) x.push_back(static_cast<float>(v));
    truth.push_back(d.y[r]);
  }
  std::vector<int> predicted =
      model.predict(x.data(), static_cast<int>(held_out.size()), ck->params.data());
  return score_predictions(predicted, truth, classes.size());
}

}  // namespace slipway::ml
