#include "train/data_import.h"

#include <filesystem>

#include "core/files.h"
#include "core/json.h"
#include "core/status.h"
#include "h5/h5file.h"
#include "ml/table.h"

namespace slipway::train {

namespace {

// Written next to the target and renamed over it: a reader never sees half a file.
template <typename F>
Status write_atomically(const std::string& out, F&& fill) {
  std::string tmp = out + ".tmp";
  {
    auto f = h5::File::create(tmp);
    if (!f.ok()) return f.status();
    Status s = fill(*f);
    if (!s.ok()) {
      std::filesystem::remove(tmp);
      return s;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) return Failed("cannot move " + tmp + " to " + out + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<ImportSummary> import_table(const std::string& csv, const std::string& label,
                                   const std::string& out, double valid_fraction,
                                   std::uint64_t seed) {
  if (valid_fraction < 0 || valid_fraction >= 1)
    return InvalidInput("the validation fraction must be in [0, 1)");
  auto table = ml::read_csv(csv);
  if (!table.ok()) return table.status();
  auto ds = ml::to_dataset(*table, label);
  if (!ds.ok()) return ds.status();
  std::vector<size_t> train, valid;
  ml::split_indices(ds->x.size(), valid_fraction, seed, &train, &valid);
  const size_t nf = ds->features.size();
  auto pack = [&](const std::vector<size_t>& idx, std::vector<float>* x,
                  std::vector<std::int32_t>* y) {
    for (size_t i : idx) {
      for (double v : ds->x[i]) x->push_back(static_cast<float>(v));
      y->push_back(ds->y[i]);
    }
  };
  std::vector<float> xt, xv;
  std::vector<std::int32_t> yt, yv;
  pack(train, &xt, &yt);
  pack(valid, &xv, &yv);
  Status s = write_atomically(out, [&](h5::File& f) -> Status {
    SLIPWAY_RETURN_IF_ERROR(f.write("train/features", xt, {train.size(), nf}));
    SLIPWAY_RETURN_IF_ERROR(f.write("train/labels", yt, {train.size()}));
    SLIPWAY_RETURN_IF_ERROR(f.write("valid/features", xv, {valid.size(), nf}));
    SLIPWAY_RETURN_IF_ERROR(f.write("valid/labels", yv, {valid.size()}));
    SLIPWAY_RETURN_IF_ERROR(f.set_attr("kind", std::string("table")));
    SLIPWAY_RETURN_IF_ERROR(f.set_attr("features", Json(ds->features).dump()));
    SLIPWAY_RETURN_IF_ERROR(f.set_attr("classes", Json(ds->classes).dump()));
    SLIPWAY_RETURN_IF_ERROR(
        f.set_attr("split", Json{{"valid_fraction", valid_fraction}, {"seed", seed}}.dump()));
    return f.set_attr("label", label);
  });
  if (!s.ok()) return s;
  return ImportSummary{train.size(), valid.size(), static_cast<int>(nf),
                       static_cast<int>(ds->classes.size())};
}

Result<ImportSummary> import_text(const std::string& text_file, const std::string& out,
                                  double valid_fraction) {
  if (valid_fraction < 0 || valid_fraction >= 1)
    return InvalidInput("the validation fraction must be in [0, 1)");
  auto text = read_file(text_file);
  if (!text.ok()) return text.status();
  if (text->size() < 2) return InvalidInput(text_file + " holds too little text to train on");
  // The last part is held out (not shuffled bytes: the model learns sequences).
  size_t n_valid = static_cast<size_t>(static_cast<double>(text->size()) * valid_fraction);
  size_t n_train = text->size() - n_valid;
  std::vector<std::uint8_t> train(text->begin(),
                                  text->begin() + static_cast<std::ptrdiff_t>(n_train));
  std::vector<std::uint8_t> valid(text->begin() + static_cast<std::ptrdiff_t>(n_train),
                                  text->end());
  Status s = write_atomically(out, [&](h5::File& f) -> Status {
    SLIPWAY_RETURN_IF_ERROR(f.write("train/tokens", train, {train.size()}));
    SLIPWAY_RETURN_IF_ERROR(f.write("valid/tokens", valid, {valid.size()}));
    SLIPWAY_RETURN_IF_ERROR(f.set_attr("kind", std::string("text")));
    return f.set_attr("vocab", static_cast<std::int64_t>(256));
  });
  if (!s.ok()) return s;
  return ImportSummary{train.size(), valid.size(), 0, 256};
}

}  // namespace slipway::train
