// PingPong with CAF 0.17 (shared/BENCH.md, row 1): two actors pass one message back and forth,
// 1,000,000 round trips; time per round trip. Same checks as bench/pingpong.c: the pinger
// numbers its pings, the ponger echoes the number, the pinger checks order and count.
#include "harness.hpp"

using namespace caf;

using start_atom = atom_constant<atom("start")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;

namespace {

struct shared {
  uint64_t rounds = 0, received = 0, pings = 0;
  bool out_of_order = false;
  int64_t end_ns = 0;
  bench::signal done;
};

behavior ponger(event_based_actor *self, shared *s) {
  return {[=](ping_atom, uint64_t seq) {
    s->pings++;
    self->send(actor_cast<actor>(self->current_sender()), pong_atom::value, seq);
  }};
}

behavior pinger(event_based_actor *self, actor partner, shared *s) {
  return {
      [=](start_atom, uint64_t rounds) {
        s->rounds = rounds;
        s->received = 0;
        s->out_of_order = false;
        self->send(partner, ping_atom::value, uint64_t{0});
      },
      [=](pong_atom, uint64_t seq) {
        if (seq != s->received)
          s->out_of_order = true;
        if (++s->received == s->rounds) {
          s->end_ns = bench::now_ns();
          s->done.post();
          return;
        }
        self->send(partner, ping_atom::value, s->received);
      },
  };
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 1000000))
    return 2;
  actor_system_config cfg;
  bench::configure(cfg, o);
  int status;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    shared s;
    auto pong = sys.spawn(ponger, &s);
    auto ping = sys.spawn(pinger, pong, &s);
    status = bench::main_loop("pingpong", "ns/roundtrip", o, [&](uint64_t rounds) {
      uint64_t pings_before = s.pings;
      int64_t start = bench::now_ns();
      anon_send(ping, start_atom::value, rounds);
      s.done.wait();
      if (s.received != rounds || s.pings - pings_before != rounds || s.out_of_order) {
        fprintf(stderr, "pingpong (caf): wrong result\n");
        return -1.0;
      }
      return double(s.end_ns - start) / double(rounds);
    });
    anon_send_exit(ping, exit_reason::user_shutdown);
    anon_send_exit(pong, exit_reason::user_shutdown);
  }
  return status;
}
