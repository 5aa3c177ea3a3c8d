// ThreadRing with CAF 0.17 (shared/BENCH.md, row 3): 100 actors in a ring pass a countdown
// token 10,000,000 times; time per hop. As in bench/threadring.c: member 0 gets n, each member
// passes the value less one, the member that gets 0 ends the run; it must be member n % 100,
// and the members' token counts must add up to n + 1, spread evenly.
#include "harness.hpp"

using namespace caf;

using next_atom = atom_constant<atom("next")>;
using token_atom = atom_constant<atom("token")>;

namespace {

constexpr uint32_t ring_size = 100;

struct shared {
  uint64_t tokens[ring_size] = {};
  uint32_t finisher = 0;
  int64_t end_ns = 0;
  bench::signal done;
};

struct member_state {
  actor next;
};

behavior member(stateful_actor<member_state> *self, uint32_t index, shared *s) {
  return {
      [=](next_atom, actor next) { self->state.next = std::move(next); },
      [=](token_atom, uint64_t token) {
        s->tokens[index]++;
        if (token == 0) {
          s->end_ns = bench::now_ns();
          s->finisher = index;
          s->done.post();
          return;
        }
        self->send(self->state.next, token_atom::value, token - 1);
      },
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
    std::vector<actor> ring;
    for (uint32_t i = 0; i < ring_size; i++)
      ring.push_back(sys.spawn(member, i, &s));
    for (uint32_t i = 0; i < ring_size; i++)
      anon_send(ring[i], next_atom::value, ring[(i + 1) % ring_size]);
    status = bench::main_loop("threadring", "ns/hop", o, [&](uint64_t hops) {
      uint64_t before[ring_size];
      std::copy(s.tokens, s.tokens + ring_size, before);
      s.finisher = UINT32_MAX;
      int64_t start = bench::now_ns();
      anon_send(ring[0], token_atom::value, hops);
      s.done.wait();
      uint64_t total = 0;
      bool uneven = false;
      for (uint32_t i = 0; i < ring_size; i++) {
        uint64_t got = s.tokens[i] - before[i];
        uneven |= got != (hops >= i ? (hops - i) / ring_size + 1 : 0);
        total += got;
      }
      if (s.finisher != hops % ring_size || total != hops + 1 || uneven) {
        fprintf(stderr, "threadring (caf): wrong result: ended at %u, %" PRIu64 " tokens\n",
                s.finisher, total);
        return -1.0;
      }
      return double(s.end_ns - start) / double(hops);
    });
    for (auto &m : ring)
      anon_send_exit(m, exit_reason::user_shutdown);
  }
  return status;
}
