// The raw limit a local engine is measured against: posix_spawn of /bin/true, N times, with a
// fixed number in flight, and nothing else (no store, no logs, no bookkeeping).
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

extern char** environ;

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  int in_flight = argc > 2 ? std::atoi(argv[2]) : 2;
  char arg0[] = "/bin/true";
  char* args[] = {arg0, nullptr};
  auto t0 = std::chrono::steady_clock::now();
  int started = 0, running = 0;
  while (started < n || running > 0) {
    while (running < in_flight && started < n) {
      pid_t pid;
      if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, args, environ) != 0) return 1;
      ++started;
      ++running;
    }
    if (waitpid(-1, nullptr, 0) > 0) --running;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"tasks\": %d, \"in_flight\": %d, \"seconds\": %.3f, \"tasks_per_s\": %.0f}\n", n, in_flight, s, n / s);
  return 0;
}
