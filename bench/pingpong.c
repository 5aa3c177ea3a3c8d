/*
 * PingPong (shared/BENCH.md, row 1): two actors pass one message back and forth. Reports the
 * time per round trip, from the first send to the last reply, for 1,000,000 round trips.
 *
 * The pinger numbers its pings; the ponger echoes each number back to the sender; the pinger
 * checks that every pong answers the ping it sent last, and both count, so a lost, duplicated
 * or reordered message fails the run.
 *
 * usage: pingpong [--workers N] [--runs R] [--n ROUND_TRIPS]
 */
#include <semaphore.h>
#include <stdatomic.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_ROUND_TRIPS 1000000

enum { MSG_START = 1, MSG_PING, MSG_PONG };

/* States are the benchmark's (state_size 0), read by main after the run has signalled `done`:
 * sem_post/sem_wait order the actors' writes before main's reads. */
typedef struct pinger {
  art_pid ponger;
  uint64_t rounds;   /* round trips of this run */
  uint64_t received; /* pongs of this run */
  bool out_of_order;
  int64_t end_ns;
  sem_t done;
} pinger;

typedef struct ponger {
  uint64_t pings; /* since the start of the program */
} ponger;

static int pinger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  pinger *p = state;
  art_system *sys = art_ctx_system(ctx);
  uint64_t seq;
  switch (msg->type) {
  case MSG_START:
    memcpy(&p->rounds, msg->data, sizeof p->rounds);
    p->received = 0;
    p->out_of_order = false;
    seq = 0;
    return art_send(sys, p->ponger, MSG_PING, &seq, sizeof seq);
  case MSG_PONG:
    memcpy(&seq, msg->data, sizeof seq);
    if (seq != p->received)
      p->out_of_order = true;
    if (++p->received == p->rounds) {
      p->end_ns = art_now_monotonic();
      sem_post(&p->done);
      return 0;
    }
    seq = p->received;
    return art_send(sys, p->ponger, MSG_PING, &seq, sizeof seq);
  default:
    return ART_EINVAL;
  }
}

static int ponger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  ponger *p = state;
  if (msg->type != MSG_PING)
    return ART_EINVAL;
  p->pings++;
  return art_send(art_ctx_system(ctx), msg->sender, MSG_PONG, msg->data, msg->size);
}

static const art_actor_ops pinger_ops = {.handle = pinger_handle};
static const art_actor_ops ponger_ops = {.handle = ponger_handle};

typedef struct bench {
  art_system *sys;
  art_pid pinger_pid;
  pinger pinger;
  ponger ponger;
} bench;

static double run(void *ctx, uint64_t rounds) {
  bench *b = ctx;
  uint64_t pings_before = b->ponger.pings;
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->pinger_pid, MSG_START, &rounds, sizeof rounds), "start");
  bench_wait(&b->pinger.done);
  uint64_t pings = b->ponger.pings - pings_before;
  if (b->pinger.received != rounds || pings != rounds || b->pinger.out_of_order) {
    fprintf(stderr,
            "pingpong: wrong result: %" PRIu64 " pings, %" PRIu64 " pongs%s, expected %" PRIu64
            "\n",
            pings, b->pinger.received, b->pinger.out_of_order ? " (out of order)" : "", rounds);
    return -1;
  }
  return (double)(b->pinger.end_ns - start) / (double)rounds;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_ROUND_TRIPS))
    return 2;
  static bench b;
  if (sem_init(&b.pinger.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  art_spawn_opts ponger_opts = {.ops = &ponger_ops, .state = &b.ponger, .name = "ponger"};
  bench_check(art_spawn(b.sys, &ponger_opts, &b.pinger.ponger), "spawn ponger");
  art_spawn_opts pinger_opts = {.ops = &pinger_ops, .state = &b.pinger, .name = "pinger"};
  bench_check(art_spawn(b.sys, &pinger_opts, &b.pinger_pid), "spawn pinger");
  fprintf(stderr, "pingpong: start-up (system, 2 spawns): %.1f us\n",
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main("pingpong", "ns/roundtrip", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  /* Each run: the start message, then a ping and a pong per round trip. */
  uint64_t expected = (uint64_t)(o.runs + 1) * (2 * o.n + 1);
  if (stats.messages_handled < expected) {
    fprintf(stderr, "pingpong: the system handled %" PRIu64 " messages, expected %" PRIu64 "\n",
            stats.messages_handled, expected);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.pinger.done);
  return status;
}
