/*
 * Counting (shared/BENCH.md, row 2): one sender actor sends 10,000,000 messages to one counter
 * actor. Reports the time per message, from the first send to the last message counted.
 *
 * The sender sends a chunk of messages per activation, then sends itself a "continue" message,
 * so it never holds a worker for long and the counter can run beside it. Each message carries
 * its sequence number; the counter checks that they arrive in order (the per-pair FIFO rule)
 * and that none is missing.
 *
 * usage: counting [--workers N] [--runs R] [--n MESSAGES]
 */
#include <semaphore.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_MESSAGES 10000000
#define CHUNK 1000 /* messages the sender sends per activation */

enum { MSG_START = 1, MSG_CONTINUE, MSG_COUNT };

/* States are the benchmark's (state_size 0), read by main after `done`. */
typedef struct sender {
  art_pid counter;
  uint64_t total; /* messages of this run */
  uint64_t next;  /* sequence number of the next message */
  int error;      /* a failed send */
} sender;

typedef struct counter {
  uint64_t total;
  uint64_t count;
  bool out_of_order;
  int64_t end_ns;
  sem_t done;
} counter;

static int sender_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  sender *s = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == MSG_START) {
    memcpy(&s->total, msg->data, sizeof s->total);
    s->next = 0;
    /* The counter learns the total first: one sender's messages arrive in order. */
    int rc = art_send(sys, s->counter, MSG_START, &s->total, sizeof s->total);
    if (rc) {
      s->error = rc;
      return rc;
    }
  } else if (msg->type != MSG_CONTINUE) {
    return ART_EINVAL;
  }
  uint64_t end = s->next + CHUNK < s->total ? s->next + CHUNK : s->total;
  for (; s->next < end; s->next++) {
    int rc = art_send(sys, s->counter, MSG_COUNT, &s->next, sizeof s->next);
    if (rc) {
      s->error = rc;
      return rc;
    }
  }
  if (s->next < s->total)
    return art_send(sys, art_self(ctx), MSG_CONTINUE, NULL, 0);
  return 0;
}

static int counter_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  counter *c = state;
  if (msg->type == MSG_START) {
    memcpy(&c->total, msg->data, sizeof c->total);
    c->count = 0;
    c->out_of_order = false;
    return 0;
  }
  if (msg->type != MSG_COUNT)
    return ART_EINVAL;
  uint64_t seq;
  memcpy(&seq, msg->data, sizeof seq);
  if (seq != c->count)
    c->out_of_order = true;
  if (++c->count == c->total) {
    c->end_ns = art_now_monotonic();
    sem_post(&c->done);
  }
  return 0;
}

static const art_actor_ops sender_ops = {.handle = sender_handle};
static const art_actor_ops counter_ops = {.handle = counter_handle};

typedef struct bench {
  art_system *sys;
  art_pid sender_pid, counter_pid;
  sender sender;
  counter counter;
} bench;

static double run(void *ctx, uint64_t total) {
  bench *b = ctx;
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->sender_pid, MSG_START, &total, sizeof total), "start");
  bench_wait(&b->counter.done);
  if (b->counter.count != total || b->counter.out_of_order || b->sender.error) {
    fprintf(stderr, "counting: wrong result: %" PRIu64 " counted%s, expected %" PRIu64 " (%s)\n",
            b->counter.count, b->counter.out_of_order ? " out of order" : "", total,
            art_strerror(b->sender.error));
    return -1;
  }
  return (double)(b->counter.end_ns - start) / (double)total;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_MESSAGES))
    return 2;
  static bench b;
  if (sem_init(&b.counter.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  art_spawn_opts counter_opts = {.ops = &counter_ops, .state = &b.counter, .name = "counter"};
  bench_check(art_spawn(b.sys, &counter_opts, &b.counter_pid), "spawn counter");
  b.sender.counter = b.counter_pid;
  art_spawn_opts sender_opts = {.ops = &sender_ops, .state = &b.sender, .name = "sender"};
  bench_check(art_spawn(b.sys, &sender_opts, &b.sender_pid), "spawn sender");
  fprintf(stderr, "counting: start-up (system, 2 spawns): %.1f us\n",
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main("counting", "ns/msg", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  /* Each run: a start message to each actor, the counted messages, a continue per further
   * chunk. */
  uint64_t per_run = 2 + o.n + (o.n - 1) / CHUNK;
  uint64_t expected = (uint64_t)(o.runs + 1) * per_run;
  if (stats.messages_handled < expected) {
    fprintf(stderr, "counting: the system handled %" PRIu64 " messages, expected %" PRIu64 "\n",
            stats.messages_handled, expected);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.counter.done);
  return status;
}
