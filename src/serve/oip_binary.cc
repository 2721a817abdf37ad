#include "serve/oip_binary.h"

#include <charconv>

#include "serve/tensor_codec.h"

namespace slipway::serve {

Result<V2Body> split_v2_body(const std::string& body, const std::string& header_length) {
  size_t json_size = body.size();
  if (!header_length.empty()) {
    size_t n = 0;
    auto [end, ec] =
        std::from_chars(header_length.data(), header_length.data() + header_length.size(), n);
    if (ec != std::errc() || end != header_length.data() + header_length.size())
      return InvalidInput("Inference-Header-Content-Length '" + header_length +
                          "' is not a byte count");
    if (n > body.size())
      return InvalidInput("Inference-Header-Content-Length is " + header_length +
                          " but the body is only " + std::to_string(body.size()) + " bytes");
    json_size = n;
  }
  // The JSON parser ends a document at a NUL byte: binary data sent without the header (or a
  // header length that runs into it) would be silently ignored.
  if (std::string_view(body).substr(0, json_size).find('\0') != std::string_view::npos)
    return InvalidInput(header_length.empty()
                            ? "the request body holds binary data but no "
                              "Inference-Header-Content-Length header says where its JSON ends"
                            : "the first " + header_length +
                                  " bytes (Inference-Header-Content-Length) run into binary data");
  V2Body out;
  out.head = Json::parse(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(json_size),
                         nullptr, false);
  if (out.head.is_discarded())
    return InvalidInput(
        header_length.empty()
            ? "the request body is not valid JSON (a body with binary tensor data needs the "
              "Inference-Header-Content-Length header)"
            : "the first " + header_length +
                  " bytes (Inference-Header-Content-Length) are not valid JSON");
  if (!out.head.is_object()) return InvalidInput("the request body must be a JSON object");
  out.tail = std::string_view(body).substr(json_size);
  return out;
}

Result<std::vector<Tensor>> v2_inputs(const Json& inputs, std::string_view tail) {
  std::vector<Tensor> out;
  size_t at = 0;
  for (const auto& in : inputs) {
    const Json* size = nullptr;
    if (in.is_object() && in.contains("parameters") && in["parameters"].is_object() &&
        in["parameters"].contains("binary_data_size"))
      size = &in["parameters"]["binary_data_size"];
    if (!size) {
      auto t = tensor_from_json(in);
      if (!t.ok()) return t.status();
      out.push_back(std::move(*t));
      continue;
    }
    const std::string name = in.value("name", std::string());
    const std::string where = "input '" + name + "'";
    if (!size->is_number_unsigned())
      return InvalidInput(where + ": binary_data_size must be a non-negative integer");
    if (in.contains("data"))
      return InvalidInput(where + ": has both data and binary_data_size; send one");
    if (!in.contains("datatype") || !in["datatype"].is_string() || !in.contains("shape") ||
        !in["shape"].is_array())
      return InvalidInput(where + ": needs a datatype and a shape");
    std::vector<std::int64_t> shape;
    for (const auto& d : in["shape"]) {
      if (!d.is_number_integer()) return InvalidInput(where + ": shape must be integers");
      shape.push_back(d.get<std::int64_t>());
    }
    const size_t n = size->get<size_t>();
    if (n > tail.size() - at)
      return InvalidInput(where + ": binary_data_size is " + std::to_string(n) + " but only " +
                          std::to_string(tail.size() - at) + " bytes of binary data remain");
    auto t = tensor_from_raw(name, in["datatype"], std::move(shape), tail.substr(at, n), where);
    if (!t.ok()) return t.status();
    if (in["parameters"].size() > 1) {
      t->parameters = in["parameters"];
      t->parameters.erase("binary_data_size");
    }
    at += n;
    out.push_back(std::move(*t));
  }
  if (at != tail.size())
    return InvalidInput(std::to_string(tail.size() - at) +
                        " bytes of binary data after the JSON belong to no input (check each "
                        "input's binary_data_size)");
  return out;
}

Result<BinaryOutputs> binary_outputs(const Json& request) {
  BinaryOutputs b;
  if (request.contains("parameters") && request["parameters"].is_object() &&
      request["parameters"].contains("binary_data_output")) {
    const Json& v = request["parameters"]["binary_data_output"];
    if (!v.is_boolean()) return InvalidInput("parameters.binary_data_output must be true or false");
    b.all = v.get<bool>();
  }
  if (request.contains("outputs") && request["outputs"].is_array())
    for (const auto& o : request["outputs"]) {
      if (!o.is_object() || !o.contains("parameters")) continue;
      const Json& p = o["parameters"];
      if (!p.is_object() || !p.contains("binary_data")) continue;
      if (!p["binary_data"].is_boolean())
        return InvalidInput("output '" + o.value("name", std::string()) +
                            "': parameters.binary_data must be true or false");
      if (p["binary_data"].get<bool>() && o.contains("name") && o["name"].is_string())
        b.names.insert(o["name"].get<std::string>());
    }
  return b;
}

HttpResponse v2_response(Json head, const std::vector<Tensor>& outputs,
                         const BinaryOutputs& binary) {
  std::string tail;
  head["outputs"] = Json::array();
  for (const auto& t : outputs) {
    if (!binary.wanted(t.name)) {
      head["outputs"].push_back(tensor_to_json(t));
      continue;
    }
    const size_t before = tail.size();
    append_raw(t, &tail);
    Json o = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
    o["parameters"] = t.parameters.is_object() ? t.parameters : Json::object();
    o["parameters"]["binary_data_size"] = tail.size() - before;
    head["outputs"].push_back(std::move(o));
  }
  std::string json = head.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (tail.empty() && !binary.all && binary.names.empty())
    return {200, "application/json", std::move(json), {}};
  HttpResponse r{200, "application/octet-stream", json + tail, {}};
  r.headers.emplace_back("Inference-Header-Content-Length", std::to_string(json.size()));
  return r;
}

}  // namespace slipway::serve
