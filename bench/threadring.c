/*
 * ThreadRing (shared/BENCH.md, row 3): 100 actors in a ring pass one token 10,000,000 times.
 * Reports the time per hop, from the injection of the token to the actor that sees it reach 0.
 *
 * The token is a countdown: member 0 receives n, each member passes the value less one to the
 * next, and the member that receives 0 ends the run. So the run ends at member n % 100, after
 * n hops; each member also counts the tokens it received, and the counts must add up to n + 1
 * (the injected token and the n hops) and be spread evenly around the ring.
 *
 * usage: threadring [--workers N] [--runs R] [--n HOPS]
 */
#include <semaphore.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_HOPS 10000000
#define RING_SIZE 100

enum { MSG_TOKEN = 1 };

typedef struct bench bench;

/* States are the benchmark's (state_size 0), read by main after `done`. */
typedef struct member {
  bench *bench;
  uint32_t index;
  art_pid next;
  uint64_t tokens; /* tokens received since the start of the program */
} member;

struct bench {
  art_system *sys;
  member ring[RING_SIZE];
  art_pid pids[RING_SIZE];
  uint32_t finisher; /* the member that received 0 */
  int error;         /* a failed send */
  int64_t end_ns;
  sem_t done;
};

static int member_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  member *m = state;
  if (msg->type != MSG_TOKEN || msg->size != sizeof(uint64_t))
    return ART_EINVAL;
  uint64_t token;
  memcpy(&token, msg->data, sizeof token);
  m->tokens++;
  if (token == 0) {
    m->bench->end_ns = art_now_monotonic();
    m->bench->finisher = m->index;
    sem_post(&m->bench->done);
    return 0;
  }
  token--;
  int rc = art_send(art_ctx_system(ctx), m->next, MSG_TOKEN, &token, sizeof token);
  if (rc) {
    m->bench->error = rc;
    sem_post(&m->bench->done);
  }
  return rc;
}

static const art_actor_ops member_ops = {.handle = member_handle};

static double run(void *ctx, uint64_t hops) {
  bench *b = ctx;
  uint64_t before[RING_SIZE];
  for (uint32_t i = 0; i < RING_SIZE; i++)
    before[i] = b->ring[i].tokens;
  b->finisher = UINT32_MAX;
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->pids[0], MSG_TOKEN, &hops, sizeof hops), "inject");
  bench_wait(&b->done);
  if (b->error) {
    fprintf(stderr, "threadring: a send failed: %s\n", art_strerror(b->error));
    return -1;
  }
  /* Member i received the tokens n - i, n - i - 100, ... down to 0 or 1..99. */
  uint64_t total = 0;
  bool uneven = false;
  for (uint32_t i = 0; i < RING_SIZE; i++) {
    uint64_t got = b->ring[i].tokens - before[i];
    uint64_t expected = hops >= i ? (hops - i) / RING_SIZE + 1 : 0;
    uneven |= got != expected;
    total += got;
  }
  if (b->finisher != hops % RING_SIZE || total != hops + 1 || uneven) {
    fprintf(stderr,
            "threadring: wrong result: the token reached 0 at member %" PRIu32 " (expected %" PRIu64
            "), %" PRIu64 " tokens received (expected %" PRIu64 ")%s\n",
            b->finisher, hops % RING_SIZE, total, hops + 1, uneven ? ", unevenly" : "");
    return -1;
  }
  return (double)(b->end_ns - start) / (double)hops;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_HOPS))
    return 2;
  static bench b;
  if (sem_init(&b.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  for (uint32_t i = 0; i < RING_SIZE; i++) {
    b.ring[i] = (member){.bench = &b, .index = i};
    art_spawn_opts opts = {.ops = &member_ops, .state = &b.ring[i]};
    bench_check(art_spawn(b.sys, &opts, &b.pids[i]), "spawn member");
  }
  /* No token moves before the links are set: the first one is injected by run(). */
  for (uint32_t i = 0; i < RING_SIZE; i++)
    b.ring[i].next = b.pids[(i + 1) % RING_SIZE];
  fprintf(stderr, "threadring: start-up (system, %d spawns): %.1f us\n", RING_SIZE,
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main("threadring", "ns/hop", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  uint64_t expected = (uint64_t)(o.runs + 1) * (o.n + 1);
  if (stats.messages_handled < expected) {
    fprintf(stderr, "threadring: the system handled %" PRIu64 " messages, expected %" PRIu64 "\n",
            stats.messages_handled, expected);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.done);
  return status;
}
