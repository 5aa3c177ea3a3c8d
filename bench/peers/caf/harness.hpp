// The CAF 0.17 side of the benchmark suite: the same command line (--workers, --runs, --n),
// run loop (one warm-up, then the measured runs) and result line as bench/harness.h, so that
// scripts/bench.sh reads every implementation with one parser:
//
//   pingpong workers=2 runs=5 n=1000000 median_ns=541.0 min_ns=530.2 unit=ns/roundtrip
//
// Only that line goes to stdout. Each benchmark verifies its result on every run and exits
// non-zero if one is wrong. Written against CAF 0.17 (Debian 12's libcaf-dev), not 0.18.
#pragma once

#include <semaphore.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "caf/all.hpp"

namespace bench {

struct options {
  uint32_t workers = 2; // scheduler.max-threads: as many workers as our runtime gets
  uint32_t runs = 5;
  uint64_t n = 0;
};

inline bool parse_u64(const char *text, uint64_t min, uint64_t *out) {
  if (!text || *text < '0' || *text > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno || *end || value < min)
    return false;
  *out = value;
  return true;
}

inline bool parse(options &o, int argc, char **argv, uint64_t n) {
  o.n = n;
  for (int i = 1; i < argc; i++) {
    uint64_t value;
    const char *arg = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (strcmp(arg, "--workers") == 0 && parse_u64(next, 1, &value) && value <= 256)
      o.workers = static_cast<uint32_t>(value);
    else if (strcmp(arg, "--runs") == 0 && parse_u64(next, 1, &value) && value <= 1000)
      o.runs = static_cast<uint32_t>(value);
    else if (strcmp(arg, "--n") == 0 && parse_u64(next, 1, &value))
      o.n = value;
    else {
      fprintf(stderr,
              "usage: %s [--workers N] [--runs R] [--n COUNT]   (defaults 2, 5, %" PRIu64 ")\n",
              argv[0], n);
      return false;
    }
    i++;
  }
  return true;
}

// CAF's scheduler defaults to max(4, cores) workers; the comparison needs ours.
inline void configure(caf::actor_system_config &cfg, const options &o) {
  cfg.set("scheduler.max-threads", static_cast<size_t>(o.workers));
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline long peak_rss_kb() {
  struct rusage usage;
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : -1;
}

// A one-shot "the run is over" from an actor to the main thread.
struct signal {
  sem_t sem;
  signal() {
    sem_init(&sem, 0, 0);
  }
  ~signal() {
    sem_destroy(&sem);
  }
  void post() {
    sem_post(&sem);
  }
  void wait() {
    while (sem_wait(&sem) != 0 && errno == EINTR) {
    }
  }
};

// Checks that the scheduler has the worker count asked for.
inline void check_workers(caf::actor_system &sys, const options &o) {
  size_t got = sys.scheduler().num_workers();
  if (got != o.workers) {
    fprintf(stderr, "caf: %zu scheduler workers, expected %u\n", got, o.workers);
    exit(1);
  }
}

// One warm-up and o.runs measured runs of run(n), which returns the figure per unit or a
// negative value if the run's result was wrong; prints the result line (with `extra` at its
// end) and returns the exit status for main.
inline int main_loop(const char *name, const char *unit, const options &o,
                     const std::function<double(uint64_t)> &run,
                     const std::function<std::string()> &extra = nullptr) {
  if (run(o.n) < 0)
    return 1;
  std::vector<double> figures;
  for (uint32_t i = 0; i < o.runs; i++) {
    double x = run(o.n);
    if (x < 0)
      return 1;
    fprintf(stderr, "%s (caf): run %u: %.1f %s\n", name, i + 1, x, unit);
    figures.push_back(x);
  }
  std::sort(figures.begin(), figures.end());
  size_t k = figures.size();
  double median = k % 2 ? figures[k / 2] : (figures[k / 2 - 1] + figures[k / 2]) / 2.0;
  std::string fields = extra ? extra() : std::string();
  printf("%s workers=%u runs=%u n=%" PRIu64 " median_ns=%.1f min_ns=%.1f unit=%s%s\n", name,
         o.workers, o.runs, o.n, median, figures[0], unit, fields.c_str());
  fflush(stdout);
  return 0;
}

} // namespace bench
