// Kubeflow Pipelines' wire details: list requests (filters, sort_by, page tokens), timestamps,
// its cron, the multipart upload, and refusing unknown fields.
#include "api/kfp_wire.h"

#include <gtest/gtest.h>

#include "api/kfp_list.h"
#include "api/multipart.h"
#include "api/request.h"

namespace slipway {
namespace {

using api::Json;
using api::kfp::KeyColumn;
using api::kfp::KeyMap;

api::ApiRequest get(const std::string& query) {
  std::string target = "/apis/v2beta1/runs?";
  for (char c : query) {  // URL-encode what a client encodes
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '=' || c == '&' || c == '_' || c == '-')
      target += c;
    else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      target += buf;
    }
  }
  return api::ApiRequest::from({"GET", target, "", "", "", ""});
}

const KeyMap& keys() {
  static const KeyMap kKeys = {
      {"display_name", {"display_name"}},
      {"created_at", {"created_ms", KeyColumn::Kind::kTime}},
      {"storage_state", {"archived", KeyColumn::Kind::kCustom, api::kfp::storage_state_value}}};
  return kKeys;
}

TEST(KfpList, FiltersInEitherSpellingBecomeConditions) {
  auto q = api::kfp::list_query(
      get(R"(filter={"predicates":[{"operation":"EQUALS","key":"display_name","stringValue":"a"},)"
          R"({"operation":"IN","key":"display_name","string_values":{"values":["b","c"]}},)"
          R"({"operation":"GREATER_THAN","key":"created_at","timestamp_value":"2026-12-06T10:00:00Z"},)"
          R"({"operation":"IS_SUBSTRING","key":"display_name","stringValue":"5%_off"},)"
          R"({"operation":1,"key":"storage_state","stringValue":"ARCHIVED"}]}&page_size=7)"),
      keys());
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(q->where.size(), 5u);
  EXPECT_EQ(q->limit, 7);
  EXPECT_EQ(q->sort, "created_ms") << "KFP sorts by created_at when not told";
  EXPECT_FALSE(q->desc);
  EXPECT_EQ(q->where[0].op, "=");
  EXPECT_EQ(std::get<std::string>(q->where[0].values[0]), "a");
  EXPECT_EQ(q->where[1].op, "IN");
  EXPECT_EQ(q->where[1].values.size(), 2u);
  EXPECT_EQ(std::get<std::int64_t>(q->where[2].values[0]), 1796551200000);
  EXPECT_EQ(std::get<std::string>(q->where[3].values[0]), "%5\\%\\_off%") << "LIKE escaped";
  EXPECT_EQ(std::get<std::int64_t>(q->where[4].values[0]), 1);
}

TEST(KfpList, WhatCannotBeHonouredIsAnErrorNamingIt) {
  auto msg = [](const std::string& query) {
    auto q = api::kfp::list_query(get(query), keys());
    EXPECT_FALSE(q.ok()) << query;
    return q.ok() ? std::string() : q.status().message();
  };
  EXPECT_NE(
      msg(R"(filter={"predicates":[{"operation":"EQUALS","key":"colour","stringValue":"x"}]})")
          .find("cannot filter on 'colour'"),
      std::string::npos);
  EXPECT_NE(
      msg(R"(filter={"predicates":[{"operation":"LIKE","key":"display_name","stringValue":"x"}]})")
          .find("not one of"),
      std::string::npos);
  EXPECT_NE(
      msg(R"(filter={"predicates":[{"operation":"IN","key":"display_name","stringValue":"x"}]})")
          .find("IN takes a list"),
      std::string::npos);
  EXPECT_NE(msg(R"(filter={"predicates":[{"operation":"EQUALS","key":"display_name"}]})")
                .find("exactly one value"),
            std::string::npos);
  EXPECT_NE(
      msg(R"(filter={"predicates":[{"operation":"EQUALS","key":"created_at","stringValue":"yesterday"}]})")
          .find("RFC 3339"),
      std::string::npos);
  EXPECT_NE(
      msg(R"(filter={"predicates":[{"operation":"EQUALS","key":"storage_state","stringValue":"GONE"}]})")
          .find("AVAILABLE or ARCHIVED"),
      std::string::npos);
  EXPECT_NE(msg("filter=not json").find("not a JSON object"), std::string::npos);
  EXPECT_NE(msg(R"(filter={"predicates":[],"extra":1})").find("unknown field 'extra'"),
            std::string::npos);
  EXPECT_NE(msg("sort_by=colour").find("cannot sort by 'colour'"), std::string::npos);
  EXPECT_NE(msg("sort_by=created_at sideways").find("asc or desc"), std::string::npos);
  EXPECT_NE(msg("page_token=zz").find("not one this server gave out"), std::string::npos);
  EXPECT_NE(msg("page_size=5000").find("page_size"), std::string::npos);
}

TEST(KfpList, APageTokenCarriesTheWholeQuery) {
  auto q = api::kfp::list_query(
      get(R"(sort_by=display_name desc&page_size=3&filter={"predicates":[{"operation":"NOT_EQUALS","key":"display_name","stringValue":"x"}]})"),
      keys());
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_TRUE(q->desc);
  EXPECT_EQ(q->sort, "display_name");
  std::string token = api::kfp::next_page_token(*q, std::string("run-7"), "id-7");
  // The next request may give only the token, as KFP's clients do.
  auto next = api::kfp::list_query(get("page_token=" + token), keys());
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->sort, "display_name");
  EXPECT_TRUE(next->desc);
  EXPECT_EQ(next->limit, 3);
  ASSERT_EQ(next->where.size(), 1u);
  EXPECT_EQ(next->where[0].op, "!=");
  EXPECT_EQ(std::get<std::string>(*next->after_value), "run-7");
  EXPECT_EQ(next->after_id, "id-7");
}

TEST(KfpWire, Timestamps) {
  EXPECT_EQ(*api::kfp::parse_timestamp("2026-12-06T10:00:00Z", "t"), 1796551200000);
  EXPECT_EQ(*api::kfp::parse_timestamp("2026-12-06T10:00:00.25Z", "t"), 1796551200250);
  EXPECT_EQ(*api::kfp::parse_timestamp("2026-12-06T11:30:00+01:30", "t"), 1796551200000);
  EXPECT_FALSE(api::kfp::parse_timestamp("2026-12-06 10:00", "t").ok());
  EXPECT_FALSE(api::kfp::parse_timestamp("2026-12-06T10:00:00Zjunk", "t").ok());
  EXPECT_EQ(api::kfp::timestamp(0), "1970-01-01T00:00:00Z") << "KFP's 'not yet'";
  EXPECT_EQ(api::kfp::timestamp(1796551200250), "2026-12-06T10:00:00.250Z");
}

TEST(KfpWire, CronIsReadTheWayKfpsSchedulerReadsIt) {
  // robfig/cron v1: seconds first, day of week optional. The seed's "0 2 * * *" is minute 2 of
  // every hour on KFP, and here.
  EXPECT_EQ(api::kfp::kfp_cron("0 2 * * *")->cron, "2 * * * *");
  EXPECT_EQ(api::kfp::kfp_cron("0 0 9 ? * 2-6")->cron, "0 9 * * 2-6");
  EXPECT_EQ(api::kfp::kfp_cron("@daily")->cron, "@daily");
  EXPECT_EQ(api::kfp::kfp_cron("@every 1h")->every, "1h");
  auto every_second = api::kfp::kfp_cron("* * * * * *");
  ASSERT_FALSE(every_second.ok());
  EXPECT_NE(every_second.status().message().find("whole minutes"), std::string::npos);
  EXPECT_FALSE(api::kfp::kfp_cron("0 2 *").ok());
}

TEST(KfpWire, UnknownFieldsAreNamed) {
  Status st = api::kfp::check_fields(Json{{"display_name", "x"}, {"colour", "red"}}, "run",
                                     {"display_name", "description"});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("unknown field 'colour' in run"), std::string::npos);
  EXPECT_TRUE(api::kfp::check_fields(Json{{"display_name", "x"}}, "run", {"display_name"}).ok());
}

TEST(KfpWire, PipelineSpecsRoundTripThroughText) {
  Json spec = {{"pipelineInfo", {{"name", "p"}}}, {"root", Json::object()}};
  EXPECT_EQ(api::kfp::pipeline_spec_json(api::kfp::pipeline_spec_text(spec)), spec);
  Json wrapped = {{"pipeline_spec", spec}, {"platform_spec", {{"platforms", Json::object()}}}};
  EXPECT_NE(api::kfp::pipeline_spec_text(wrapped).find("platform_spec"), std::string::npos);
  EXPECT_TRUE(api::kfp::pipeline_spec_json("key: [unclosed").is_null());
}

TEST(Multipart, FormPartsAndTheirFiles) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"p.yaml\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\npipelineInfo:\r\n  name: p\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ--\r\n";
  auto parts = api::parse_multipart("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "uploadfile");
  EXPECT_EQ((*parts)[0].filename, "p.yaml");
  EXPECT_EQ((*parts)[0].data, "pipelineInfo:\r\n  name: p");
  EXPECT_EQ((*parts)[1].name, "note");
  EXPECT_EQ((*parts)[1].filename, "");
  EXPECT_EQ((*parts)[1].data, "hello");
  EXPECT_FALSE(api::parse_multipart("application/json", body).ok());
  EXPECT_FALSE(api::parse_multipart("multipart/form-data", body).ok()) << "no boundary";
  auto cut = api::parse_multipart("multipart/form-data; boundary=XyZ",
                                  body.substr(0, body.find("hello") + 3));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("ends inside a part"), std::string::npos);
}

}  // namespace
}  // namespace slipway
