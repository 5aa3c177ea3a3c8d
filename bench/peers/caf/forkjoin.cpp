// Fork-join create with CAF 0.17 (shared/BENCH.md, row 5): spawn 1,000,000 actors, each
// handles one message and exits; time per actor, and the peak RSS (getrusage). As in
// bench/forkjoin.c: a driver actor spawns 1,000 children per activation (then sends itself a
// "continue" message) and sends each child its number; a child adds it to a shared sum and
// quits; the child that brings the shared count to n ends the run. Checked: count, sum, and
// that every child has gone before the next run.
#include <atomic>

#include "harness.hpp"

using namespace caf;

using start_atom = atom_constant<atom("start")>;
using cont_atom = atom_constant<atom("continue")>;
using work_atom = atom_constant<atom("work")>;

namespace {

constexpr uint64_t chunk = 1000;

struct shared {
  uint64_t total = 0; // set by main before the start message
  std::atomic<uint64_t> handled{0}, sum{0};
  int64_t end_ns = 0;
  bench::signal done;
};

behavior child(event_based_actor *self, shared *s) {
  return {[=](work_atom, uint64_t number) {
    s->sum.fetch_add(number, std::memory_order_relaxed);
    if (s->handled.fetch_add(1) + 1 == s->total) {
      s->end_ns = bench::now_ns();
      s->done.post();
    }
    self->quit();
  }};
}

struct driver_state {
  uint64_t quota = 0, spawned = 0;
};

behavior driver(stateful_actor<driver_state> *self, shared *s) {
  auto spawn_chunk = [=] {
    auto &st = self->state;
    uint64_t end = std::min(st.spawned + chunk, st.quota);
    for (; st.spawned < end; st.spawned++) {
      auto c = self->spawn(child, s);
      self->send(c, work_atom::value, st.spawned);
    }
    if (st.spawned < st.quota)
      self->send(self, cont_atom::value);
  };
  return {
      [=](start_atom, uint64_t quota) {
        self->state.quota = quota;
        self->state.spawned = 0;
        spawn_chunk();
      },
      [=](cont_atom) { spawn_chunk(); },
  };
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 1000000))
    return 2;
  actor_system_config cfg;
  bench::configure(cfg, o);
  // One message per activation, so that the driver lets the children run after each chunk of
  // 1,000 spawns, as in ours (and as Erlang's preemption does). With CAF's default (no limit)
  // the driver finds its next "continue" message at once and never gives up its worker; the
  // other worker can then only steal the children one at a time, which measured 50-160 us per
  // actor and a quarter of an hour per run. The children handle one message anyway.
  cfg.set("scheduler.max-throughput", size_t{1});
  int status;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    shared s;
    auto d = sys.spawn(driver, &s);
    size_t running = sys.registry().running();
    status = bench::main_loop(
        "forkjoin", "ns/actor", o,
        [&](uint64_t total) {
          s.total = total;
          s.handled = 0;
          s.sum = 0;
          int64_t start = bench::now_ns();
          anon_send(d, start_atom::value, total);
          s.done.wait();
          if (s.handled != total || s.sum != total * (total - 1) / 2) {
            fprintf(stderr, "forkjoin (caf): wrong result\n");
            return -1.0;
          }
          sys.registry().await_running_count_equal(running);
          return double(s.end_ns - start) / double(total);
        },
        [] { return " peak_rss_kb=" + std::to_string(bench::peak_rss_kb()); });
    anon_send_exit(d, exit_reason::user_shutdown);
  }
  return status;
}
