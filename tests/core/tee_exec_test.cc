#include "core/tee_exec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace slipway {
namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TeeExec : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tee_exec_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(TeeExec, KeepsStreamsApartAndTheExitStatus) {
  TeeOptions o{
      dir_ + "/logs/a.out", dir_ + "/logs/a.err", dir_ + "/logs/a.exit", {dir_ + "/outputs"}};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int rc = run_teed({"sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"}, o);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(slurp(o.out_path), "out1\nout2\n");
  EXPECT_EQ(slurp(o.err_path), "err1\n");
  EXPECT_EQ(out, "out1\nout2\n") << "the pod's log gets the same bytes";
  EXPECT_EQ(err, "err1\n");
  EXPECT_EQ(slurp(o.exit_path), "3\n");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/outputs"));
}

TEST_F(TeeExec, SignalDeathIs128PlusSignal) {
  TeeOptions o{dir_ + "/b.out", dir_ + "/b.err", "", {}};
  EXPECT_EQ(run_teed({"sh", "-c", "kill -KILL $$"}, o), 137);
}

TEST_F(TeeExec, ACommandThatCannotStartIs127) {
  TeeOptions o{dir_ + "/c.out", dir_ + "/c.err", dir_ + "/c.exit", {}};
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_teed({"/nonexistent/program"}, o), 127);
  testing::internal::GetCapturedStderr();
  EXPECT_NE(slurp(o.err_path).find("cannot run /nonexistent/program"), std::string::npos);
  EXPECT_EQ(slurp(o.exit_path), "127\n");
}

}  // namespace
}  // namespace slipway
