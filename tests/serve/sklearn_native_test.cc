// scikit-learn models evaluated in the daemon: the exports a worker sends are read back into trees
// and linear models whose predictions match arithmetic worked out here by hand; inputs the daemon
// leaves to the worker return nothing; malformed exports are refused with what is wrong.
#include "serve/sklearn_native.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace slipway::serve {
namespace {

template <typename T>
void put(std::string* data, std::vector<T> values) {
  data->append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

Tensor rows(std::vector<std::vector<double>> r) {
  Tensor t;
  t.name = "x";
  t.datatype = "FP64";
  t.shape = {static_cast<std::int64_t>(r.size()), static_cast<std::int64_t>(r[0].size())};
  for (const auto& row : r) t.numbers.insert(t.numbers.end(), row.begin(), row.end());
  return t;
}

// One stump: feature 1 <= 0.5 goes left (node 1), else right (node 2); `left`/`right` are the
// leaves' values.
void stump(std::string* data, std::vector<double> left, std::vector<double> right) {
  put<std::int64_t>(data, {1, -1, -1});
  put<std::int64_t>(data, {2, -1, -1});
  put<std::int64_t>(data, {1, -2, -2});
  put<double>(data, {0.5, -2, -2});
  std::vector<double> values(left.size(), 0.0);  // the root's values are not read
  values.insert(values.end(), left.begin(), left.end());
  values.insert(values.end(), right.begin(), right.end());
  put<double>(data, values);
}

TEST(SklearnNative, ATreeClassifierTakesTheLeafsLargestCount) {
  std::string data;
  stump(&data, {3, 1}, {0, 5});
  Json header = {{"estimator", "DecisionTreeClassifier"},
                 {"kind", "tree"},
                 {"n_features", 2},
                 {"classes", {"setosa", "virginica"}},
                 {"datatype", "BYTES"},
                 {"values_per_node", 2},
                 {"trees", {{{"nodes", 3}}}}};
  auto m = SklearnNative::parse(header, data);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = (*m)->predict(rows({{9, 0.5}, {9, 0.51}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->name, "output-0");
  EXPECT_EQ(out->datatype, "BYTES");
  EXPECT_EQ(out->strings, (std::vector<std::string>{"setosa", "virginica"}));
}

TEST(SklearnNative, ATreeComparesTheInputAsFloat32) {
  // 0.50000001 is above the threshold 0.5 as a double, equal to it as a float32: scikit-learn
  // casts the input to float32, so the row goes left.
  std::string data;
  stump(&data, {1}, {2});
  Json header = {{"estimator", "DecisionTreeRegressor"},
                 {"kind", "tree"},
                 {"n_features", 2},
                 {"values_per_node", 1},
                 {"trees", {{{"nodes", 3}}}}};
  auto m = SklearnNative::parse(header, data);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = (*m)->predict(rows({{0, 0.50000001}, {0, 0.5001}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->datatype, "FP64");
  EXPECT_EQ(out->numbers, (std::vector<double>{1, 2}));
}

TEST(SklearnNative, AForestClassifierAveragesItsTreesAndTakesTheFirstLargest) {
  // Two stumps with normalized leaves; a row going left in both averages (0.5, 0.5): a tie, which
  // numpy's argmax gives to the first class.
  std::string data;
  stump(&data, {0.75, 0.25}, {0.0, 1.0});
  stump(&data, {0.25, 0.75}, {0.5, 0.5});
  Json header = {{"estimator", "RandomForestClassifier"},
                 {"kind", "forest"},
                 {"n_features", 2},
                 {"classes", {3, 7}},
                 {"datatype", "INT64"},
                 {"values_per_node", 2},
                 {"trees", {{{"nodes", 3}}, {{"nodes", 3}}}}};
  auto m = SklearnNative::parse(header, data);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = (*m)->predict(rows({{0, 0}, {0, 1}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->datatype, "INT64");
  EXPECT_EQ(out->numbers, (std::vector<double>{3, 7}));  // (0.5, 0.5) → 3; (0.25, 0.75) → 7
}

TEST(SklearnNative, AForestRegressorIsTheMeanOfItsTrees) {
  std::string data;
  stump(&data, {1}, {10});
  stump(&data, {2}, {20});
  Json header = {{"estimator", "RandomForestRegressor"},
                 {"kind", "forest"},
                 {"n_features", 2},
                 {"values_per_node", 1},
                 {"trees", {{{"nodes", 3}}, {{"nodes", 3}}}}};
  auto m = SklearnNative::parse(header, data);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = (*m)->predict(rows({{0, 0}, {0, 1}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->numbers, (std::vector<double>{1.5, 15}));
}

TEST(SklearnNative, LinearModelsScoreTheDotProductPlusTheIntercept) {
  std::string binary;
  put<double>(&binary, {1, -1});  // coef
  put<double>(&binary, {0.5});    // intercept
  Json header = {{"estimator", "LogisticRegression"},
                 {"kind", "linear"},
                 {"n_features", 2},
                 {"classes", {0, 1}},
                 {"datatype", "INT64"},
                 {"outputs", 1}};
  auto m = SklearnNative::parse(header, binary);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto out = (*m)->predict(rows({{1, 2}, {2, 1}, {0, 0.5}}));  // scores -0.5, 1.5, 0 (not > 0)
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->numbers, (std::vector<double>{0, 1, 0}));

  std::string multi;
  put<double>(&multi, {1, 0, 0, 1, -1, -1});  // three classes, two features
  put<double>(&multi, {0, 0, 1});
  header = {{"estimator", "LogisticRegression"}, {"kind", "linear"},    {"n_features", 2},
            {"classes", {"a", "b", "c"}},        {"datatype", "BYTES"}, {"outputs", 3}};
  m = SklearnNative::parse(header, multi);
  ASSERT_TRUE(m.ok()) << m.status().message();
  out = (*m)->predict(rows({{2, 1}, {1, 2}, {-1, -1}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->strings, (std::vector<std::string>{"a", "b", "c"}));

  std::string regression;
  put<double>(&regression, {2, 3});
  put<double>(&regression, {1});
  header = {
      {"estimator", "LinearRegression"}, {"kind", "linear"}, {"n_features", 2}, {"outputs", 1}};
  m = SklearnNative::parse(header, regression);
  ASSERT_TRUE(m.ok()) << m.status().message();
  out = (*m)->predict(rows({{1, 1}, {0.5, -1}}));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->numbers, (std::vector<double>{6, -1}));
}

TEST(SklearnNative, InputsItDoesNotEvaluateAreLeftToTheWorker) {
  std::string data;
  put<double>(&data, {1, 1});
  put<double>(&data, {0});
  Json header = {
      {"estimator", "LinearRegression"}, {"kind", "linear"}, {"n_features", 2}, {"outputs", 1}};
  auto m = SklearnNative::parse(header, data);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE((*m)->predict(rows({{1, 2, 3}})).has_value());  // the wrong width
  EXPECT_FALSE((*m)->predict(rows({{1, std::numeric_limits<double>::quiet_NaN()}})).has_value());
  EXPECT_FALSE((*m)->predict(rows({{1, std::numeric_limits<double>::infinity()}})).has_value());
  Tensor flat = rows({{1, 2}});
  flat.shape = {2};
  EXPECT_FALSE((*m)->predict(flat).has_value());
  Tensor text;
  text.datatype = "BYTES";
  text.shape = {1, 2};
  text.strings = {"1", "2"};
  EXPECT_FALSE((*m)->predict(text).has_value());
}

TEST(SklearnNative, MalformedExportsAreRefusedWithWhatIsWrong) {
  Json tree = {{"estimator", "DecisionTreeRegressor"},
               {"kind", "tree"},
               {"n_features", 2},
               {"values_per_node", 1},
               {"trees", {{{"nodes", 3}}}}};
  std::string data;
  stump(&data, {1}, {2});
  auto truncated = SklearnNative::parse(tree, data.substr(0, data.size() - 8));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);

  std::string loop;  // node 1 points back at the root: a walk would never end
  put<std::int64_t>(&loop, {1, 0, -1});
  put<std::int64_t>(&loop, {2, 2, -1});
  put<std::int64_t>(&loop, {0, 0, -2});
  put<double>(&loop, {0.5, 0.5, -2});
  put<double>(&loop, {0, 0, 1});
  auto cyclic = SklearnNative::parse(tree, loop);
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.status().message().find("node 1 of a tree is malformed"), std::string::npos);

  std::string wide = data;  // feature 1 of a 1-feature model
  tree["n_features"] = 1;
  EXPECT_FALSE(SklearnNative::parse(tree, wide).ok());
  tree["n_features"] = 2;
  EXPECT_FALSE(SklearnNative::parse(tree, data + "x").ok());  // more than it describes
  tree["kind"] = "svm";
  auto unknown = SklearnNative::parse(tree, data);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown kind 'svm'"), std::string::npos);
}

TEST(SklearnNative, FieldsOfTheWrongTypeAreRefusedNotThrown) {
  // Found by fuzz/sklearn_native_fuzzer.cc: a number where a string belongs threw from the JSON
  // library; classes that disagree with their datatype threw at predict.
  std::string data;
  put<double>(&data, {1, -1});
  put<double>(&data, {0.5});
  Json header = {{"estimator", "LogisticRegression"},
                 {"kind", 1},
                 {"n_features", 2},
                 {"classes", {0, 1}},
                 {"datatype", "INT64"},
                 {"outputs", 1}};
  EXPECT_FALSE(SklearnNative::parse(header, data).ok());
  header["kind"] = "linear";
  header["classes"] = {0, "b"};
  auto mixed = SklearnNative::parse(header, data);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("not all of datatype INT64"), std::string::npos);
  header["classes"] = {0, 1};
  header["n_features"] = "2";
  EXPECT_FALSE(SklearnNative::parse(header, data).ok());
  header["n_features"] = 2;
  header["outputs"] = 1LL << 62;  // far more weights than the data holds
  EXPECT_FALSE(SklearnNative::parse(header, data).ok());
  EXPECT_FALSE(SklearnNative::parse(Json::array(), data).ok());
  header["outputs"] = 1;  // one score needs two classes: its sign picks one of them
  header["classes"] = {0};
  EXPECT_FALSE(SklearnNative::parse(header, data).ok());
}

}  // namespace
}  // namespace slipway::serve
