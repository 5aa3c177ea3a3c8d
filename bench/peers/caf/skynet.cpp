// Skynet with CAF 0.17 (shared/BENCH.md, row 6): a tree of actors with fan-out 10 and
// 1,000,000 leaves; each leaf sends its number to its parent, each parent sums its ten
// children's sums and sends the sum up, the root must get 499,999,500,000. Time per tree in ns
// (the table shows seconds), and the peak RSS. As in bench/skynet.c, a node spawns its ten
// children when it starts and quits once it has sent its sum up; every actor of the tree must
// have gone before the next run.
#include "harness.hpp"

using namespace caf;

using sum_atom = atom_constant<atom("sum")>;

namespace {

constexpr uint64_t fan_out = 10;

struct shared {
  uint64_t result = 0;
  int64_t end_ns = 0;
  bench::signal done;
};

struct node_state {
  uint64_t pending = 0, sum = 0;
};

// The root has no parent: it reports to `s`.
behavior node(stateful_actor<node_state> *self, actor parent, uint64_t first, uint64_t count,
              shared *s) {
  if (count == 1) {
    self->send(parent, sum_atom::value, first);
    self->quit();
    return {};
  }
  uint64_t step = count / fan_out;
  for (uint64_t i = 0; i < fan_out; i++)
    self->spawn(node, actor_cast<actor>(self), first + i * step, step, s);
  self->state.pending = fan_out;
  return {[=](sum_atom, uint64_t value) {
    auto &st = self->state;
    st.sum += value;
    if (--st.pending > 0)
      return;
    if (parent) {
      self->send(parent, sum_atom::value, st.sum);
    } else {
      s->result = st.sum;
      s->end_ns = bench::now_ns();
      s->done.post();
    }
    self->quit();
  }};
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 1000000))
    return 2;
  uint64_t power = 1;
  while (power < o.n)
    power *= fan_out;
  if (power != o.n || o.n < fan_out) {
    fprintf(stderr, "skynet (caf): --n must be a power of 10, at least 10\n");
    return 2;
  }
  actor_system_config cfg;
  bench::configure(cfg, o);
  int status;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    shared s;
    size_t running = sys.registry().running();
    status = bench::main_loop(
        "skynet", "ns/tree", o,
        [&](uint64_t leaves) {
          s.result = 0;
          int64_t start = bench::now_ns();
          sys.spawn(node, actor{}, uint64_t{0}, leaves, &s);
          s.done.wait();
          if (s.result != leaves * (leaves - 1) / 2) {
            fprintf(stderr, "skynet (caf): wrong result: sum %" PRIu64 "\n", s.result);
            return -1.0;
          }
          sys.registry().await_running_count_equal(running);
          return double(s.end_ns - start);
        },
        [] { return " peak_rss_kb=" + std::to_string(bench::peak_rss_kb()); });
  }
  return status;
}
