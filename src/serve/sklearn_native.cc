#include "serve/sklearn_native.h"

#include <cmath>
#include <cstring>

namespace slipway::serve {

namespace {

// Reads `count` little-endian values of T from `data` at `*at`, advancing it.
template <typename T>
bool take(std::string_view data, size_t* at, size_t count, std::vector<T>* out) {
  if (count > (data.size() - *at) / sizeof(T)) return false;
  out->resize(count);
  if (count) std::memcpy(out->data(), data.data() + *at, count * sizeof(T));
  *at += count * sizeof(T);
  return true;
}

// A field of the export, or the fallback when it is absent or of another type: the export is
// read defensively (it comes from unpickled code), and a wrong type then fails a check below.
std::string text_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_field(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

size_t argmax(const double* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;  // the first of equal maxima, as numpy's argmax
  return best;
}

}  // namespace

Result<std::unique_ptr<SklearnNative>> SklearnNative::parse(const Json& header,
                                                            std::string_view data) {
  if (!header.is_object()) return InvalidInput("the worker's export is not a JSON object");
  auto bad = [&](const std::string& why) {
    return InvalidInput("the worker's export of the " + text_field(header, "estimator") +
                        " model: " + why);
  };
  std::unique_ptr<SklearnNative> m(new SklearnNative());
  m->estimator_ = text_field(header, "estimator");
  const std::string kind = text_field(header, "kind");
  m->n_features_ = int_field(header, "n_features");
  if (m->n_features_ <= 0) return bad("n_features must be positive");
  if (header.contains("classes")) {
    const Json& classes = header["classes"];
    m->datatype_ = text_field(header, "datatype");
    if (!classes.is_array() || classes.empty()) return bad("classes must be a list");
    if (!known_datatype(m->datatype_)) return bad("unknown datatype '" + m->datatype_ + "'");
    const bool bytes = m->datatype_ == "BYTES";
    for (const auto& c : classes) {
      if (bytes ? !c.is_string() : !c.is_number())
        return bad("the classes are not all of datatype " + m->datatype_);
      if (bytes)
        m->class_names_.push_back(c.get<std::string>());
      else
        m->class_values_.push_back(c.get<double>());
    }
  }
  const size_t n_classes = m->class_names_.size() + m->class_values_.size();
  const bool classifier = n_classes > 0;
  size_t at = 0;
  const auto n = static_cast<size_t>(m->n_features_);
  if (kind == "linear") {
    m->kind_ = Kind::kLinear;
    m->outputs_ = int_field(header, "outputs");
    if (m->outputs_ <= 0) return bad("outputs must be positive");
    const auto outs = static_cast<size_t>(m->outputs_);
    // One score for two classes (its sign picks), else one per class.
    if (classifier && !(outs == 1 ? n_classes == 2 : outs == n_classes))
      return bad("a classifier has one score per class (or one for two classes)");
    size_t weights = 0;
    if (__builtin_mul_overflow(outs, n, &weights) || !take(data, &at, weights, &m->coef_) ||
        !take(data, &at, outs, &m->intercept_))
      return bad("the coefficients are truncated");
  } else if (kind == "tree" || kind == "forest") {
    m->kind_ = kind == "tree" ? Kind::kTree : Kind::kForest;
    m->values_per_node_ = int_field(header, "values_per_node");
    if (m->values_per_node_ <= 0 ||
        (classifier && static_cast<size_t>(m->values_per_node_) != n_classes))
      return bad("values_per_node must be the number of classes (1 for a regressor)");
    const auto per = static_cast<size_t>(m->values_per_node_);
    auto trees = header.find("trees");
    if (trees == header.end() || !trees->is_array() || trees->empty()) return bad("no trees");
    for (const auto& spec : *trees) {
      const auto nodes = spec.is_object() ? int_field(spec, "nodes") : 0;
      if (nodes <= 0) return bad("a tree has no nodes");
      const auto count = static_cast<size_t>(nodes);
      size_t values = 0;
      if (__builtin_mul_overflow(count, per, &values)) return bad("a tree is too large");
      Tree t;
      if (!take(data, &at, count, &t.left) || !take(data, &at, count, &t.right) ||
          !take(data, &at, count, &t.feature) || !take(data, &at, count, &t.threshold) ||
          !take(data, &at, values, &t.values))
        return bad("a tree's arrays are truncated");
      // scikit-learn numbers a node's children after it; holding the export to that makes every
      // walk end.
      for (std::int64_t i = 0; i < nodes; ++i) {
        const bool leaf = t.left[i] == -1;
        if (leaf ? t.right[i] != -1
                 : (t.left[i] <= i || t.left[i] >= nodes || t.right[i] <= i ||
                    t.right[i] >= nodes || t.feature[i] < 0 || t.feature[i] >= m->n_features_))
          return bad("node " + std::to_string(i) + " of a tree is malformed");
      }
      m->trees_.push_back(std::move(t));
    }
    if (m->kind_ == Kind::kTree && m->trees_.size() != 1) return bad("a tree is one tree");
  } else {
    return bad("unknown kind '" + kind + "'");
  }
  if (at != data.size()) return bad("it holds more data than it describes");
  return m;
}

const double* SklearnNative::leaf_values(const Tree& tree, const double* row) const {
  std::int64_t node = 0;
  while (tree.left[node] != -1) {
    // scikit-learn casts the input to float32 before it walks a tree.
    const double x = static_cast<float>(row[tree.feature[node]]);
    node = x <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
  return tree.values.data() + node * values_per_node_;
}

Tensor SklearnNative::labels(const std::vector<size_t>& indices) const {
  Tensor out;
  out.name = "output-0";
  out.datatype = datatype_;
  out.shape = {static_cast<std::int64_t>(indices.size())};
  for (size_t i : indices) {
    if (out.is_bytes())
      out.strings.push_back(class_names_[i]);
    else
      out.numbers.push_back(class_values_[i]);
  }
  return out;
}

std::optional<Tensor> SklearnNative::predict(const Tensor& x) const {
  if (x.is_bytes() || x.shape.size() != 2 || x.shape[1] != n_features_) return std::nullopt;
  for (double v : x.numbers)
    if (!std::isfinite(v)) return std::nullopt;
  const auto rows = static_cast<size_t>(x.shape[0]);
  const auto n = static_cast<size_t>(n_features_);
  if (x.shape[0] < 0 || x.numbers.size() != rows * n) return std::nullopt;
  std::vector<size_t> indices;
  Tensor values;
  values.name = "output-0";
  values.datatype = "FP64";
  values.shape = {x.shape[0]};
  std::vector<double> scores;
  for (size_t r = 0; r < rows; ++r) {
    const double* row = x.numbers.data() + r * n;
    if (kind_ == Kind::kLinear) {
      scores.assign(static_cast<size_t>(outputs_), 0);
      for (size_t o = 0; o < scores.size(); ++o) {
        double dot = 0;
        for (size_t j = 0; j < n; ++j) dot += row[j] * coef_[o * n + j];
        scores[o] = dot + intercept_[o];
      }
      if (!classifier())
        values.numbers.push_back(scores[0]);
      else
        indices.push_back(scores.size() == 1 ? (scores[0] > 0 ? 1 : 0)
                                             : argmax(scores.data(), scores.size()));
      continue;
    }
    scores.assign(static_cast<size_t>(values_per_node_), 0);
    for (const Tree& t : trees_) {
      const double* leaf = leaf_values(t, row);
      for (size_t k = 0; k < scores.size(); ++k) scores[k] += leaf[k];
    }
    if (kind_ == Kind::kForest)
      for (double& s : scores) s /= static_cast<double>(trees_.size());
    if (classifier())
      indices.push_back(argmax(scores.data(), scores.size()));
    else
      values.numbers.push_back(scores[0]);
  }
  return classifier() ? labels(indices) : values;
}

}  // namespace slipway::serve
