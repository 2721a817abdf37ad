// For engine tests: a native pipeline parsed, validated and stored as a PENDING run under `home`,
// ready for an Engine to drive.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/clock.h"
#include "spec/native_parser.h"
#include "spec/validate.h"
#include "store/store.h"

namespace slipway {

// Parses `yaml` (as file `file`) into *spec and inserts its run; the test fails on any error.
inline store::RunRecord insert_native_run(store::Store& store, const std::string& yaml,
                                          const std::string& file,
                                          const std::filesystem::path& home,
                                          spec::PipelineSpec* spec) {
  spec::ParseOutcome out = spec::parse_native_pipeline(yaml, file, home.string());
  EXPECT_TRUE(out.spec);
  if (!out.spec) return {};
  spec::validate_pipeline(*out.spec, &out.diagnostics);
  EXPECT_FALSE(out.diagnostics.has_errors()) << out.diagnostics.to_string();
  *spec = *out.spec;
  auto params = spec::resolve_params(*spec, {});
  EXPECT_TRUE(params.ok());
  store::RunRecord r;
  r.id = "r" + random_hex(6);
  r.pipeline = spec->name;
  r.pipeline_file = file;
  r.format = "native";
  r.source = yaml;
  r.params = params.ok() ? Json(*params) : Json::object();
  r.state = "PENDING";
  r.root = (home / "runs" / r.id).string();
  r.created_ms = now_ms();
  EXPECT_TRUE(store.insert_run(r).ok());
  return r;
}

}  // namespace slipway
