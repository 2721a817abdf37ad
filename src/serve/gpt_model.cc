// The trainer's char (byte-level) transformer, served as a text generator. Input `text_input`
// BYTES [n] (prompts); output `text_output` BYTES [n] (each prompt's continuation). Request
// parameters: max_tokens (default the version's config `max_tokens`, 64; never above
// `max_tokens_limit`, 512), temperature (1.0; 0 is greedy), top_k (0: all), seed. KServe v1
// instances are prompts, or objects {"prompt": ..., "max_tokens": ...}.
#include <algorithm>
#include <cmath>
#include <random>

#include "core/strings.h"
#include "models/gpt.h"
#include "serve/model.h"

namespace slipway::serve {

namespace {

class GptModel : public Model {
 public:
  GptModel(models::GptShape shape, std::vector<float> params, const Json& config)
      : net_(shape), params_(std::move(params)) {
    default_tokens_ = config.value("max_tokens", 64);
    token_limit_ = config.value("max_tokens_limit", 512);
    info_.kind = "gpt";
    info_.platform = "slipway_gpt";
    info_.batchable = false;  // prompts of a batch would need one parameter set and padding
    info_.inputs = {{"text_input", "BYTES", {-1}}};
    info_.outputs = {{"text_output", "BYTES", {-1}}};
  }

  const ModelInfo& info() const override { return info_; }

  Result<std::vector<Tensor>> infer(const std::vector<Tensor>& inputs,
                                    const Json& parameters) override {
    const Json p = parameters.is_object() ? parameters : Json::object();
    auto number = [&](const char* key, double fallback) -> Result<double> {
      if (!p.contains(key)) return fallback;
      if (!p[key].is_number())
        return InvalidInput(std::string("parameter ") + key + " must be a number, got " +
                            p[key].dump());
      return p[key].get<double>();
    };
    auto max_tokens = number("max_tokens", default_tokens_);
    auto temperature = number("temperature", 1.0);
    auto top_k = number("top_k", 0);
    auto seed = number("seed", -1);
    for (const auto* r : {&max_tokens, &temperature, &top_k, &seed})
      if (!r->ok()) return r->status();
    if (*max_tokens < 0 || *max_tokens > token_limit_)
      return InvalidInput("max_tokens " + std::to_string(static_cast<long long>(*max_tokens)) +
                          " is outside this model's limit [0, " + std::to_string(token_limit_) +
                          "]");
    if (*temperature < 0) return InvalidInput("temperature must not be negative");
    std::mt19937_64 rng(*seed >= 0 ? static_cast<std::uint64_t>(*seed) : std::random_device{}());
    Tensor out{
        "text_output", "BYTES", {static_cast<std::int64_t>(inputs[0].strings.size())}, {}, {},
        Json::object()};
    for (const std::string& prompt : inputs[0].strings)
      out.strings.push_back(generate(prompt, static_cast<int>(*max_tokens), *temperature,
                                     static_cast<int>(*top_k), rng));
    return std::vector<Tensor>{std::move(out)};
  }

  Result<std::vector<Tensor>> from_instances(const Json& instances,
                                             Json* parameters) const override {
    Tensor t{"text_input", "BYTES", {static_cast<std::int64_t>(instances.size())},
             {},           {},      Json::object()};
    for (size_t i = 0; i < instances.size(); ++i) {
      const Json& in = instances[i];
      if (in.is_string()) {
        t.strings.push_back(in.get<std::string>());
      } else if (in.is_object() && in.contains("prompt") && in["prompt"].is_string()) {
        t.strings.push_back(in["prompt"].get<std::string>());
        for (const char* key : {"max_tokens", "temperature", "top_k", "seed"})
          if (in.contains(key)) (*parameters)[key] = in[key];
      } else {
        return InvalidInput("instance " + std::to_string(i) +
                            " must be a prompt string or {\"prompt\": ..., \"max_tokens\": ...}");
      }
    }
    return std::vector<Tensor>{std::move(t)};
  }

  Json to_predictions(const std::vector<Tensor>& outputs) const override {
    return outputs[0].strings;
  }

 private:
  std::string generate(const std::string& prompt, int max_tokens, double temperature, int top_k,
                       std::mt19937_64& rng) {
    const models::GptShape& s = net_.shape();
    std::vector<std::int32_t> tokens;
    for (unsigned char c : prompt) tokens.push_back(c);
    if (tokens.empty()) tokens.push_back('\n');
    std::string out;
    std::vector<double> probs(static_cast<size_t>(s.vocab));
    for (int n = 0; n < max_tokens; ++n) {
      const int Tn = std::min<int>(s.context, static_cast<int>(tokens.size()));
      const std::vector<float>& logits =
          net_.logits(tokens.data() + tokens.size() - static_cast<size_t>(Tn), Tn, params_.data());
      const float* last =
          logits.data() + static_cast<size_t>(Tn - 1) * static_cast<size_t>(s.vocab);
      int next;
      if (temperature == 0) {
        next = static_cast<int>(std::max_element(last, last + 256) - last);
      } else {
        // Only byte tokens are sampled (a vocabulary padded past 256 has no meaning for text).
        std::vector<std::pair<float, int>> order;
        for (int v = 0; v < 256; ++v) order.push_back({last[v], v});
        const size_t keep =
            top_k > 0 ? std::min<size_t>(static_cast<size_t>(top_k), order.size()) : order.size();
        // Only top-k needs an order; without it the largest logit is enough to keep exp in range.
        if (keep < order.size())
          std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep),
                            order.end(), std::greater<>());
        const float top =
            std::max_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep))
                ->first;
        std::vector<double> w(keep);
        for (size_t k = 0; k < keep; ++k) w[k] = std::exp((order[k].first - top) / temperature);
        next = order[std::discrete_distribution<size_t>(w.begin(), w.end())(rng)].second;
      }
      tokens.push_back(next);
      out.push_back(static_cast<char>(next));
    }
    return out;
  }

  ModelInfo info_;
  models::Gpt<float, models::FastOps> net_;
  std::vector<float> params_;
  int default_tokens_ = 64, token_limit_ = 512;
};

}  // namespace

Result<std::unique_ptr<Model>> make_gpt_model(models::CheckpointState ck,
                                              const std::string& checkpoint, const Json& config) {
  std::vector<std::string> f = split(ck.signature, ':');
  if (f.size() != 6 || f[0] != "gpt")
    return InvalidInput(checkpoint + ": signature '" + ck.signature + "' is not a GPT's");
  models::GptShape shape{std::atoi(f[1].c_str()), std::atoi(f[2].c_str()), std::atoi(f[3].c_str()),
                         std::atoi(f[4].c_str()), std::atoi(f[5].c_str())};
  if (shape.vocab < 256 || shape.context <= 0 || shape.layers <= 0 || shape.width <= 0 ||
      shape.heads <= 0 || shape.width % shape.heads)
    return InvalidInput(checkpoint + ": signature '" + ck.signature +
                        "' is not a usable GPT shape");
  models::Gpt<float, models::RefOps> probe(shape);
  if (probe.num_params() != ck.params.size())
    return InvalidInput(checkpoint + " is inconsistent: its parameters do not fit " + ck.signature);
  return std::unique_ptr<Model>(new GptModel(shape, std::move(ck.params), config));
}

}  // namespace slipway::serve
