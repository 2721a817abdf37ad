// The OIP binary tensor data extension and the raw tensor codec it shares with the Python worker
// hop: every datatype round-trips, bodies split at Inference-Header-Content-Length, and malformed
// binary data is a 400 that says what is wrong.
#include "serve/oip_binary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/files.h"
#include "serve/tensor_codec.h"

namespace slipway::serve {
namespace {

Tensor numeric(const std::string& datatype, std::vector<double> values) {
  Tensor t;
  t.name = "x";
  t.datatype = datatype;
  t.shape = {static_cast<std::int64_t>(values.size())};
  t.numbers = std::move(values);
  return t;
}

TEST(TensorCodec, EveryDatatypeRoundTripsThroughItsRawBytes) {
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"BOOL", {0, 1, 1}},
      {"UINT8", {0, 7, 255}},
      {"INT8", {-128, 0, 127}},
      {"UINT16", {0, 65535}},
      {"INT16", {-32768, 32767}},
      {"UINT32", {0, 4294967295.0}},
      {"INT32", {-2147483648.0, 2147483647.0}},
      {"UINT64", {0, 9007199254740992.0}},
      {"INT64", {-9007199254740992.0, 42}},
      {"FP16", {0, 1, -2, 0.5, 65504, 6.103515625e-05, 5.960464477539063e-08}},
      {"FP32", {1.5, -3.25, 1048576.0}},
      {"FP64", {1e-300, -2.5, 3.141592653589793}},
  };
  for (const auto& [dt, values] : cases) {
    std::string raw;
    append_raw(numeric(dt, values), &raw);
    EXPECT_EQ(raw.size(), values.size() * element_size(dt)) << dt;
    auto back = tensor_from_raw("x", dt, {static_cast<std::int64_t>(values.size())}, raw, "x");
    ASSERT_TRUE(back.ok()) << dt << ": " << back.status().message();
    EXPECT_EQ(back->numbers, values) << dt;
  }
  // A float's bytes are the IEEE ones (what numpy writes).
  std::string raw;
  append_raw(numeric("FP32", {1.0}), &raw);
  float one;
  std::memcpy(&one, raw.data(), 4);
  EXPECT_EQ(one, 1.0f);
  // FP16 rounds to the nearest half, and overflows to infinity.
  raw.clear();
  append_raw(numeric("FP16", {1.0009765625 + 1e-7, 1e6}), &raw);
  auto half = tensor_from_raw("x", "FP16", {2}, raw, "x");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->numbers[0], 1.0009765625);
  EXPECT_TRUE(std::isinf(half->numbers[1]));
}

TEST(TensorCodec, BytesElementsAreLengthPrefixedAndCheckedAgainstTheShape) {
  Tensor t;
  t.name = "s";
  t.datatype = "BYTES";
  t.shape = {2};
  t.strings = {"hello", std::string("w\0rld", 5)};
  std::string raw;
  append_raw(t, &raw);
  EXPECT_EQ(raw.size(), 4u + 5 + 4 + 5);
  auto back = tensor_from_raw("s", "BYTES", {2}, raw, "input 's'");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->strings, t.strings);
  auto wrong_count = tensor_from_raw("s", "BYTES", {3}, raw, "input 's'");
  ASSERT_FALSE(wrong_count.ok());
  EXPECT_NE(wrong_count.status().message().find("holds 2 BYTES elements; the shape says 3"),
            std::string::npos);
  auto truncated = tensor_from_raw("s", "BYTES", {2}, raw.substr(0, raw.size() - 1), "input 's'");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("says 5 bytes but only 4 remain"), std::string::npos);
}

TEST(TensorCodec, MalformedRawDataIsRefusedWithTheReason) {
  auto size = tensor_from_raw("x", "FP32", {2, 2}, std::string(12, '\0'), "input 'x'");
  ASSERT_FALSE(size.ok());
  EXPECT_EQ(size.status().message(),
            "input 'x': the binary data is 12 bytes; 4 FP32 elements take 16");
  auto boolean = tensor_from_raw("x", "BOOL", {1}, std::string(1, '\2'), "input 'x'");
  ASSERT_FALSE(boolean.ok());
  EXPECT_NE(boolean.status().message().find("0 or 1"), std::string::npos);
  EXPECT_FALSE(tensor_from_raw("x", "FP8", {1}, "a", "input 'x'").ok());
  EXPECT_FALSE(tensor_from_raw("x", "FP32", {-1}, "", "input 'x'").ok());
}

// A body as tritonclient sends it: the JSON header, then each binary input's bytes in order.
std::string binary_body(const Json& head, const std::string& tail, std::string* header_length) {
  std::string json = head.dump();
  *header_length = std::to_string(json.size());
  return json + tail;
}

TEST(OipBinary, InputsMixJsonDataAndBinaryDataInOrder) {
  std::string tail;
  append_raw(numeric("FP32", {1, 2, 3, 4}), &tail);
  append_raw(numeric("BOOL", {1, 0, 1}), &tail);
  Json head = Json::parse(R"({"inputs": [
      {"name": "a", "datatype": "FP32", "shape": [2, 2], "parameters": {"binary_data_size": 16}},
      {"name": "b", "datatype": "UINT32", "shape": [2], "data": [5, 6]},
      {"name": "c", "datatype": "BOOL", "shape": [3], "parameters": {"binary_data_size": 3}}]})");
  std::string length;
  const std::string body = binary_body(head, tail, &length);
  auto split = split_v2_body(body, length);
  ASSERT_TRUE(split.ok()) << split.status().message();
  auto inputs = v2_inputs(split->head["inputs"], split->tail);
  ASSERT_TRUE(inputs.ok()) << inputs.status().message();
  ASSERT_EQ(inputs->size(), 3u);
  EXPECT_EQ((*inputs)[0].numbers, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ((*inputs)[0].shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ((*inputs)[1].numbers, (std::vector<double>{5, 6}));
  EXPECT_EQ((*inputs)[2].numbers, (std::vector<double>{1, 0, 1}));
}

TEST(OipBinary, MalformedBinaryRequestsSayWhatIsWrong) {
  std::string length;
  Json head = Json::parse(
      R"({"inputs": [{"name": "a", "datatype": "FP32", "shape": [2], "parameters": {"binary_data_size": 8}}]})");
  struct Case {
    std::string body, header_length, expected;
  };
  const std::string ok_body = binary_body(head, std::string(8, '\0'), &length);
  std::vector<Case> cases = {
      {ok_body, "abc", "is not a byte count"},
      {ok_body, std::to_string(ok_body.size() + 1), "but the body is only"},
      {ok_body, "3", "are not valid JSON"},
      {ok_body, "", "no Inference-Header-Content-Length header says where its JSON ends"},
      {"{\"inputs\": []} trailing", "", "needs the Inference-Header-Content-Length header"},
  };
  for (const auto& c : cases) {
    auto split = split_v2_body(c.body, c.header_length);
    ASSERT_FALSE(split.ok()) << c.expected;
    EXPECT_NE(split.status().message().find(c.expected), std::string::npos)
        << split.status().message();
  }
  // (The tail is a view into the body: each body outlives its split.)
  const std::string short_body = binary_body(head, std::string(4, '\0'), &length);
  auto short_tail = split_v2_body(short_body, length);
  ASSERT_TRUE(short_tail.ok());
  auto in = v2_inputs(short_tail->head["inputs"], short_tail->tail);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("binary_data_size is 8 but only 4 bytes"),
            std::string::npos);
  const std::string extra_body = binary_body(head, std::string(12, '\0'), &length);
  auto extra = split_v2_body(extra_body, length);
  ASSERT_TRUE(extra.ok());
  in = v2_inputs(extra->head["inputs"], extra->tail);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("4 bytes of binary data after the JSON belong to no input"),
            std::string::npos);
}

TEST(OipBinary, ResponsesCarryTheOutputsAskedForAsRawBytesAfterTheJson) {
  // kserve/test/e2e/data/iris_input_v2_binary.json asks for output-0 in binary.
  auto request = read_file(std::string(SLIPWAY_SOURCE_DIR) +
                           "/../shared/corpora/kserve/v2-json/"
                           "kserve@test__e2e__data__iris_input_v2_binary.json");
  ASSERT_TRUE(request.ok());
  auto binary = binary_outputs(Json::parse(*request));
  ASSERT_TRUE(binary.ok());
  EXPECT_FALSE(binary->all);
  EXPECT_TRUE(binary->wanted("output-0"));
  Tensor out = numeric("INT64", {1, 2});
  out.name = "output-0";
  Tensor other = numeric("FP32", {0.5});
  other.name = "other";
  HttpResponse r = v2_response(Json{{"model_name", "m"}}, {out, other}, *binary);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Inference-Header-Content-Length");
  const size_t json_size = std::stoul(r.headers[0].second);
  Json head = Json::parse(r.body.substr(0, json_size));
  EXPECT_EQ(head["outputs"][0]["parameters"]["binary_data_size"], 16);
  EXPECT_FALSE(head["outputs"][0].contains("data"));
  EXPECT_EQ(head["outputs"][1]["data"], Json::parse("[0.5]"));
  auto back = tensor_from_raw("output-0", "INT64", {2}, r.body.substr(json_size), "output");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->numbers, (std::vector<double>{1, 2}));
  // all_binary: binary_data_output in the request's parameters.
  auto all = binary_outputs(Json::parse(R"({"parameters": {"binary_data_output": true}})"));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->wanted("anything"));
  EXPECT_FALSE(binary_outputs(Json::parse(R"({"parameters": {"binary_data_output": 1}})")).ok());
  // No binary asked for: plain JSON.
  HttpResponse plain = v2_response(Json{{"model_name", "m"}}, {out}, BinaryOutputs{});
  EXPECT_TRUE(plain.headers.empty());
  EXPECT_EQ(plain.content_type, "application/json");
}

}  // namespace
}  // namespace slipway::serve
