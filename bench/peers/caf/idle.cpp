// Idle memory with CAF 0.17 (shared/BENCH.md, row 7): spawn 1,000,000 actors that wait for a
// message that never comes; bytes per actor of resident-set growth (/proc/self/statm) from
// before the spawns to after they have all started. As in bench/idle.c, each run happens in a
// child process of its own (forked before any actor system exists). The handles needed to
// stop the actors afterwards live in a vector that is filled with empty handles, and so is
// resident, before the first measurement.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "harness.hpp"

using namespace caf;

using wake_atom = atom_constant<atom("wake")>;

namespace {

long resident_pages() {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return -1;
  long size, resident;
  int got = fscanf(f, "%ld %ld", &size, &resident);
  fclose(f);
  return got == 2 ? resident : -1;
}

behavior idler(event_based_actor *, std::atomic<uint64_t> *started) {
  started->fetch_add(1, std::memory_order_relaxed);
  return {[](wake_atom) {}};
}

double measure(const bench::options &o, uint64_t n) {
  actor_system_config cfg;
  bench::configure(cfg, o);
  double bytes;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    std::vector<actor> actors(n);
    std::atomic<uint64_t> started{0};
    size_t running = sys.registry().running();
    long before = resident_pages();
    for (uint64_t i = 0; i < n; i++)
      actors[i] = sys.spawn(idler, &started);
    while (started.load() < n)
      usleep(1000);
    long after = resident_pages();
    bool all_alive = sys.registry().running() == running + n;
    for (auto &a : actors)
      anon_send_exit(a, exit_reason::user_shutdown);
    actors.clear();
    if (before < 0 || after < 0 || !all_alive) {
      fprintf(stderr, "idle (caf): wrong result (statm unreadable, or not all alive)\n");
      return -1;
    }
    bytes = double(after - before) * double(sysconf(_SC_PAGESIZE)) / double(n);
  }
  return bytes;
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 1000000))
    return 2;
  return bench::main_loop("idle", "bytes/actor", o, [&](uint64_t n) {
    int fds[2];
    if (pipe(fds) != 0)
      return -1.0;
    fflush(nullptr);
    pid_t child = fork();
    if (child < 0)
      return -1.0;
    if (child == 0) {
      close(fds[0]);
      double bytes = measure(o, n);
      ssize_t written = write(fds[1], &bytes, sizeof bytes);
      _exit(bytes >= 0 && written == ssize_t(sizeof bytes) ? 0 : 1);
    }
    close(fds[1]);
    double bytes = -1;
    ssize_t got = read(fds[0], &bytes, sizeof bytes);
    close(fds[0]);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != ssize_t(sizeof bytes)) {
      fprintf(stderr, "idle (caf): the measuring process failed\n");
      return -1.0;
    }
    return bytes;
  });
}
