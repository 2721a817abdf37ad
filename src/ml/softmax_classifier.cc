#include "ml/softmax_classifier.h"

#include <cmath>

namespace slipway::ml {

static std::vector<double> standardize(const SoftmaxModel& m, const std::vector<double>& x) {
  std::vector<double> z(x.size());
  for (size_t f = 0; f < x.size(); ++f) z[f] = (x[f] - m.mean[f]) / m.stddev[f];
  return z;
}

static std::vector<double> probabilities(const SoftmaxModel& m, const std::vector<double>& z) {
  std::vector<double> logits(m.classes.size());
  // Subtracting the largest logit before exp keeps it from overflowing; the probabilities are
  // unchanged.
  double mx = -1e300;
  for (size_t c = 0; c < logits.size(); ++c) {
    double s = m.bias[c];
    for (size_t f = 0; f < z.size(); ++f) s += m.weights[c][f] * z[f];
    logits[c] = s;
    mx = std::max(mx, s);
  }
  double sum = 0;
  for (double& l : logits) sum += (l = std::exp(l - mx));
  for (double& l : logits) l /= sum;
  return logits;
}

int SoftmaxModel::predict(const std::vector<double>& x) const {
  auto p = probabilities(*this, standardize(*this, x));
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

Json SoftmaxModel::to_json() const {
  return Json{{"kind", "softmax-classifier"},
              {"features", features},
              {"classes", classes},
              {"mean", mean},
              {"stddev", stddev},
              {"weights", weights},
              {"bias", bias}};
}

Result<SoftmaxModel> SoftmaxModel::from_json(const Json& j) {
  if (!j.is_object() || j.value("kind", "") != "softmax-classifier")
    return InvalidInput("not a slipway softmax-classifier model file");
  try {
    SoftmaxModel m;
    m.features = j.at("features").get<std::vector<std::string>>();
    m.classes = j.at("classes").get<std::vector<std::string>>();
    m.mean = j.at("mean").get<std::vector<double>>();
    m.stddev = j.at("stddev").get<std::vector<double>>();
    m.weights = j.at("weights").get<std::vector<std::vector<double>>>();
    m.bias = j.at("bias").get<std::vector<double>>();
    if (m.weights.size() != m.classes.size() || m.mean.size() != m.features.size())
      return InvalidInput(
          "model file is inconsistent: sizes of weights, classes and features disagree");
    return m;
  } catch (const Json::exception& e) {
    return InvalidInput(std::string("model file is malformed: ") + e.what());
  }
}

double train_softmax(const Dataset& d, const std::vector<size_t>& rows, const TrainOptions& o,
                     SoftmaxModel* m) {
  size_t nf = d.features.size(), nc = d.classes.size();
  m->features = d.features;
  m->classes = d.classes;
  m->mean.assign(nf, 0);
  m->stddev.assign(nf, 0);
  for (size_t r : rows)
    for (size_t f = 0; f < nf; ++f) m->mean[f] += d.x[r][f];
  for (double& v : m->mean) v /= static_cast<double>(rows.size());
  for (size_t r : rows)
    for (size_t f = 0; f < nf; ++f) m->stddev[f] += std::pow(d.x[r][f] - m->mean[f], 2);
  // The epsilon keeps a constant feature (stddev 0) from dividing by zero; it then standardizes to
  // 0 everywhere and the model ignores it.
  for (double& v : m->stddev) v = std::sqrt(v / static_cast<double>(rows.size())) + 1e-12;
  m->weights.assign(nc, std::vector<double>(nf, 0));
  m->bias.assign(nc, 0);
  std::vector<std::vector<double>> z;
  for (size_t r : rows) z.push_back(standardize(*m, d.x[r]));
  double loss = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    // Full-batch gradient descent on the cross-entropy: the demo's data is small, and a full batch
    // makes the result independent of row order (the same seed, the same model).
    std::vector<std::vector<double>> gw(nc, std::vector<double>(nf, 0));
    std::vector<double> gb(nc, 0);
    loss = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      auto p = probabilities(*m, z[i]);
      int y = d.y[rows[i]];
      loss -= std::log(std::max(p[static_cast<size_t>(y)], 1e-300));
      for (size_t c = 0; c < nc; ++c) {
        // d(loss)/d(logit c) of softmax cross-entropy: p_c - [c == y].
        double g = p[c] - (static_cast<int>(c) == y ? 1.0 : 0.0);
        gb[c] += g;
        for (size_t f = 0; f < nf; ++f) gw[c][f] += g * z[i][f];
      }
    }
    double inv = 1.0 / static_cast<double>(rows.size());
    loss *= inv;
    for (size_t c = 0; c < nc; ++c) {
      m->bias[c] -= o.learning_rate * gb[c] * inv;
      for (size_t f = 0; f < nf; ++f)
        m->weights[c][f] -= o.learning_rate * (gw[c][f] * inv + o.l2 * m->weights[c][f]);
    }
  }
  return loss;
}

Scores score(const SoftmaxModel& m, const Dataset& d, const std::vector<size_t>& rows) {
  std::vector<int> predicted, truth;
  for (size_t r : rows) {
    predicted.push_back(m.predict(d.x[r]));
    truth.push_back(d.y[r]);
  }
  return score_predictions(predicted, truth, m.classes.size());
}

Scores score_predictions(const std::vector<int>& predicted, const std::vector<int>& truth,
                         size_t nc) {
  std::vector<double> tp(nc, 0), fp(nc, 0), fn(nc, 0);
  size_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    int p = predicted[i];
    int y = truth[i];
    if (p == y) {
      ++correct;
      tp[static_cast<size_t>(y)] += 1;
    } else {
      fp[static_cast<size_t>(p)] += 1;
      fn[static_cast<size_t>(y)] += 1;
    }
  }
  Scores s;
  s.accuracy = truth.empty() ? 0 : static_cast<double>(correct) / static_cast<double>(truth.size());
  double f1 = 0;
  for (size_t c = 0; c < nc; ++c) {
    double denom = 2 * tp[c] + fp[c] + fn[c];
    f1 += denom > 0 ? 2 * tp[c] / denom : 0;
  }
  s.f1_macro = nc ? f1 / static_cast<double>(nc) : 0;
  return s;
}

}  // namespace slipway::ml
