// Counting with CAF 0.17 (shared/BENCH.md, row 2): one sender actor sends 10,000,000 numbered
// messages to one counter actor; time per message. As in bench/counting.c, the sender sends
// 1,000 messages per activation and then a "continue" message to itself; the counter checks
// that the numbers arrive in order and that none is missing.
#include "harness.hpp"

using namespace caf;

using start_atom = atom_constant<atom("start")>;
using cont_atom = atom_constant<atom("continue")>;
using count_atom = atom_constant<atom("count")>;

namespace {

constexpr uint64_t chunk = 1000;

struct shared {
  uint64_t total = 0, count = 0;
  bool out_of_order = false;
  int64_t end_ns = 0;
  bench::signal done;
};

behavior counter(event_based_actor *, shared *s) {
  return {
      [=](start_atom, uint64_t total) {
        s->total = total;
        s->count = 0;
        s->out_of_order = false;
      },
      [=](count_atom, uint64_t seq) {
        if (seq != s->count)
          s->out_of_order = true;
        if (++s->count == s->total) {
          s->end_ns = bench::now_ns();
          s->done.post();
        }
      },
  };
}

struct sender_state {
  uint64_t total = 0, next = 0;
};

behavior sender(stateful_actor<sender_state> *self, actor target) {
  auto send_chunk = [=] {
    auto &st = self->state;
    uint64_t end = std::min(st.next + chunk, st.total);
    for (; st.next < end; st.next++)
      self->send(target, count_atom::value, st.next);
    if (st.next < st.total)
      self->send(self, cont_atom::value);
  };
  return {
      [=](start_atom, uint64_t total) {
        self->state.total = total;
        self->state.next = 0;
        self->send(target, start_atom::value, total);
        send_chunk();
      },
      [=](cont_atom) { send_chunk(); },
  };
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 10000000))
    return 2;
  actor_system_config cfg;
  bench::configure(cfg, o);
  int status;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    shared s;
    auto c = sys.spawn(counter, &s);
    auto snd = sys.spawn(sender, c);
    status = bench::main_loop("counting", "ns/msg", o, [&](uint64_t total) {
      int64_t start = bench::now_ns();
      anon_send(snd, start_atom::value, total);
      s.done.wait();
      if (s.count != total || s.out_of_order) {
        fprintf(stderr, "counting (caf): wrong result: %" PRIu64 " counted%s\n", s.count,
                s.out_of_order ? " out of order" : "");
        return -1.0;
      }
      return double(s.end_ns - start) / double(total);
    });
    anon_send_exit(snd, exit_reason::user_shutdown);
    anon_send_exit(c, exit_reason::user_shutdown);
  }
  return status;
}
