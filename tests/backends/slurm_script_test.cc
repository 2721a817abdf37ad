#include <gtest/gtest.h>

#include "backends/slurm/sbatch_script.h"
#include "backends/slurm/slurm_state.h"

namespace slipway {
namespace {

backends::TaskLaunch launch() {
  backends::TaskLaunch l;
  l.key = "train#2";
  l.run_id = "iris-1234";
  l.task = "train";
  l.attempt = 2;
  l.argv = {"/usr/bin/python3", "-c", "print('it''s')"};
  l.env = {{"SLIPWAY_RUN_ID", "iris-1234"}, {"A", "x y"}};
  l.workdir = "/runs/iris-1234/tasks/train";
  l.stdout_path = l.workdir + "/attempt-2.out";
  l.stderr_path = l.workdir + "/attempt-2.err";
  return l;
}

bool has(const std::string& script, const std::string& line) {
  return script.find(line + "\n") != std::string::npos;
}

TEST(SbatchScript, MapsResourcesToFlags) {
  backends::TaskLaunch l = launch();
  l.resources.millicpus = 1500;
  l.resources.memory_bytes = 3LL << 30;
  l.resources.gpus = 1;
  l.resources.time_limit_ms = 90 * 60 * 1000 + 1;
  l.resources.partition = "gpu";
  backends::SlurmConfig c;
  c.account = "ml";
  c.sbatch_args = {"--exclusive"};
  std::string s = backends::render_sbatch_script(l, c);
  EXPECT_TRUE(has(s, "#SBATCH --job-name=sw:iris-1234:train:2"))
      << s;  // no '#': sbatch reads it as a comment
  EXPECT_EQ(backends::launch_key_from_job_name("iris-1234", "sw:iris-1234:train:2"), "train#2");
  EXPECT_EQ(backends::launch_key_from_job_name("iris-1234", "sw:other:train:2"), "");
  EXPECT_TRUE(has(s, "#SBATCH --cpus-per-task=2")) << s;  // 1.5 CPUs round up
  EXPECT_TRUE(has(s, "#SBATCH --mem=3072M")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --gpus-per-task=1")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --time=0-01:30:01")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --partition=gpu")) << s;  // the task's own
  EXPECT_TRUE(has(s, "#SBATCH --account=ml")) << s;     // from the config
  EXPECT_TRUE(has(s, "#SBATCH --output=/runs/iris-1234/tasks/train/attempt-2.out")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --chdir=/runs/iris-1234/tasks/train")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --no-requeue")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --exclusive")) << s;
  EXPECT_TRUE(has(s, "export A='x y'")) << s;
  EXPECT_TRUE(has(s, "exec '/usr/bin/python3' '-c' 'print('\\''it'\\'''\\''s'\\'')'")) << s;
  EXPECT_EQ(s.find("--qos"), std::string::npos);
}

TEST(SbatchScript, MultiRankTasksRunUnderSrun) {
  backends::TaskLaunch l = launch();
  l.resources.nodes = 2;
  l.resources.tasks_per_node = 2;
  l.resources.memory_bytes = 1LL << 30;
  std::string s = backends::render_sbatch_script(l, backends::SlurmConfig{});
  EXPECT_TRUE(has(s, "#SBATCH --nodes=2")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --ntasks-per-node=2")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --mem=2048M")) << s;  // per node: two ranks of 1 GiB
  EXPECT_NE(s.find("exec srun --mpi=pmix '/usr/bin/python3'"), std::string::npos) << s;
}

TEST(SbatchScript, FanOutItemsShareOneArray) {
  std::vector<backends::TaskLaunch> items;
  for (int i : {0, 1, 2, 5}) {
    backends::TaskLaunch l = launch();
    l.task = "fan[" + std::to_string(i) + "]";
    l.key = l.task + "#1";
    l.attempt = 1;
    l.group = "fan";
    l.item_index = i;
    l.parallelism = 2;
    l.workdir = "/runs/r/tasks/fan." + std::to_string(i);
    l.stdout_path = l.workdir + "/attempt-1.out";
    l.stderr_path = l.workdir + "/attempt-1.err";
    l.argv = {"echo", std::to_string(i)};
    items.push_back(l);
  }
  std::string s = backends::render_sbatch_array_script(items, backends::SlurmConfig{});
  EXPECT_TRUE(has(s, "#SBATCH --array=0-2,5%2")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --output=/runs/r/tasks/fan.%a/attempt-1.out")) << s;
  EXPECT_TRUE(has(s, "#SBATCH --job-name=sw:iris-1234:fan:1")) << s;
  EXPECT_TRUE(has(s, "    cd '/runs/r/tasks/fan.5' || exit 1")) << s;
  EXPECT_TRUE(has(s, "    exec 'echo' '5'")) << s;
  EXPECT_EQ(backends::launch_key_for_element("iris-1234", "sw:iris-1234:fan:1", 5), "fan[5]#1");
  // Items whose logs do not follow one pattern cannot share an array.
  items[1].stdout_path = "/elsewhere/out";
  EXPECT_EQ(backends::render_sbatch_array_script(items, backends::SlurmConfig{}), "");
  EXPECT_EQ(backends::slurm_index_ranges({9, 1, 2, 3, 7}), "1-3,7,9");
}

TEST(SlurmState, ParsesSqueueAndScontrol) {
  auto q = backends::parse_squeue("12|RUNNING|None|sw:r:a#1\n13|PENDING|Resources|sw:r:b#1\n");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q["13"].state, "PENDING");
  EXPECT_EQ(q["13"].reason, "Resources");
  auto s = backends::parse_scontrol_jobs(
      "JobId=20 JobName=sw:r:a#1 UserId=root(0) JobState=FAILED Reason=NonZeroExitCode "
      "Dependency=(null) "
      "ExitCode=3:0 NodeList=n2 Comment=slipway,run=r\n"
      "JobId=21 ArrayJobId=21 ArrayTaskId=4 JobName=x JobState=TIMEOUT Reason=TimeLimit "
      "ExitCode=0:15 NodeList=n1\n"
      "JobId=22 JobName=y JobState=CANCELLED Reason=None ExitCode=0:15 NodeList=n1\n");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s["21_4"].array_index, 4);
  EXPECT_EQ(s["20"].exit_code, 3);
  EXPECT_EQ(s["20"].nodes, "n2");
  EXPECT_EQ(s["21_4"].state, "TIMEOUT");
  EXPECT_EQ(s["21_4"].signal, 15);
  // Pending elements of an array come as one record; each element gets its own entry.
  auto p = backends::parse_scontrol_jobs(
      "JobId=30 ArrayJobId=30 ArrayTaskId=5-7,9%2 JobName=sw:r:fan:1 JobState=PENDING "
      "Reason=JobArrayTaskLimit ExitCode=0:0\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p["30_9"].state, "PENDING");
  EXPECT_EQ(p["30_6"].array_index, 6);
}

TEST(SlurmState, MapsEveryTerminalState) {
  backends::SlurmJobState j;
  j.id = "7";
  j.nodes = "n1";
  j.state = "COMPLETED";
  j.exit_code = 0;
  EXPECT_EQ(backends::completion_from_slurm("k", j).exit_code, 0);
  j.state = "FAILED";
  j.exit_code = 2;
  auto c = backends::completion_from_slurm("k", j);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.message.find("exited with code 2"), std::string::npos);
  j.exit_code = 0;
  j.state = "TIMEOUT";
  EXPECT_TRUE(backends::completion_from_slurm("k", j).timed_out);
  EXPECT_NE(backends::completion_from_slurm("k", j).exit_code, 0);
  j.state = "CANCELLED";
  EXPECT_TRUE(backends::completion_from_slurm("k", j).terminated);
  j.state = "OUT_OF_MEMORY";
  EXPECT_NE(backends::completion_from_slurm("k", j).message.find("raise resources.memory"),
            std::string::npos);
  for (const char* s : {"NODE_FAIL", "PREEMPTED", "BOOT_FAIL"}) {
    j.state = s;
    EXPECT_TRUE(backends::completion_from_slurm("k", j).infrastructure) << s;
  }
  j.state = "DEADLINE";
  auto d = backends::completion_from_slurm("k", j);
  EXPECT_FALSE(d.infrastructure);
  EXPECT_NE(d.exit_code, 0);
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL",
                        "PREEMPTED", "BOOT_FAIL", "DEADLINE"})
    EXPECT_TRUE(backends::slurm_state_is_terminal(s)) << s;
  EXPECT_FALSE(backends::slurm_state_is_terminal("RUNNING"));
  EXPECT_FALSE(backends::slurm_state_is_terminal("COMPLETING"));
}

}  // namespace
}  // namespace slipway
