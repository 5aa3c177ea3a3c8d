// Big with CAF 0.17 (shared/BENCH.md, row 4): 100 actors, each pinging random peers (never
// itself) one ping at a time and answering every ping it gets, 10,000,000 messages in all;
// time per message. As in bench/big.c: n / 200 pings per actor, the run ends when every actor
// has had its last pong; each actor must get exactly its pongs and the pings answered must add
// up to the pings sent.
#include <atomic>

#include "harness.hpp"

using namespace caf;

using start_atom = atom_constant<atom("start")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;

namespace {

constexpr uint32_t actors = 100;

struct shared {
  std::vector<actor> peers; // set before the first run, read-only afterwards
  uint64_t answered[actors] = {};
  uint64_t pongs[actors] = {};
  std::atomic<uint32_t> finished{0};
  int64_t end_ns = 0;
  bench::signal done;
};

struct peer_state {
  uint64_t rng = 0, quota = 0;
};

behavior peer(stateful_actor<peer_state> *self, uint32_t index, shared *s) {
  self->state.rng = 0x9E3779B97F4A7C15u * (index + 1);
  auto ping_someone = [=] {
    uint64_t x = self->state.rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->state.rng = x;
    uint32_t to = static_cast<uint32_t>(x % (actors - 1));
    if (to >= index)
      to++;
    self->send(s->peers[to], ping_atom::value);
  };
  return {
      [=](start_atom, uint64_t quota) {
        self->state.quota = quota;
        s->pongs[index] = 0;
        ping_someone();
      },
      [=](ping_atom) {
        s->answered[index]++;
        self->send(actor_cast<actor>(self->current_sender()), pong_atom::value);
      },
      [=](pong_atom) {
        if (++s->pongs[index] < self->state.quota) {
          ping_someone();
        } else if (s->finished.fetch_add(1) + 1 == actors) {
          s->end_ns = bench::now_ns();
          s->done.post();
        }
      },
  };
}

} // namespace

int main(int argc, char **argv) {
  bench::options o;
  if (!bench::parse(o, argc, argv, 10000000))
    return 2;
  if (o.n % (2 * actors) != 0) {
    fprintf(stderr, "big (caf): --n must be a multiple of %u\n", 2 * actors);
    return 2;
  }
  actor_system_config cfg;
  bench::configure(cfg, o);
  int status;
  {
    actor_system sys{cfg};
    bench::check_workers(sys, o);
    shared s;
    for (uint32_t i = 0; i < actors; i++)
      s.peers.push_back(sys.spawn(peer, i, &s));
    status = bench::main_loop("big", "ns/msg", o, [&](uint64_t messages) {
      uint64_t quota = messages / (2 * actors);
      uint64_t answered_before = 0;
      for (uint32_t i = 0; i < actors; i++)
        answered_before += s.answered[i];
      s.finished = 0;
      int64_t start = bench::now_ns();
      for (auto &p : s.peers)
        anon_send(p, start_atom::value, quota);
      s.done.wait();
      uint64_t answered = 0;
      bool short_pongs = false;
      for (uint32_t i = 0; i < actors; i++) {
        answered += s.answered[i];
        short_pongs |= s.pongs[i] != quota;
      }
      if (answered - answered_before != quota * actors || short_pongs) {
        fprintf(stderr, "big (caf): wrong result\n");
        return -1.0;
      }
      return double(s.end_ns - start) / double(messages);
    });
    for (auto &p : s.peers)
      anon_send_exit(p, exit_reason::user_shutdown);
  }
  return status;
}
