/*
 * Skynet (shared/BENCH.md, row 6): a tree of actors with fan-out 10 and 1,000,000 leaves
 * (1,111,111 actors). Each leaf sends its number to its parent; each parent sums what its ten
 * children send and sends the sum up; the root gets 0 + 1 + ... + 999,999 = 499,999,500,000.
 * Reports the time per tree in ns (the table shows seconds), from the root's start message to
 * the root's sum, and the peak RSS of the process as peak_rss_kb on the result line.
 *
 * A node learns its first leaf number and its leaf count from its start message (the sender is
 * its parent), spawns its ten children, sends each its start message, and exits once it has
 * sent its sum up. Checked: the sum, and that every actor of the tree has exited.
 *
 * usage: skynet [--workers N] [--runs R] [--n LEAVES]   (LEAVES a power of 10)
 */
#include <semaphore.h>
#include <stdatomic.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_LEAVES 1000000
#define FAN_OUT 10

enum { MSG_START = 1, MSG_SUM };

typedef struct range {
  uint64_t first; /* the first leaf number under the node */
  uint64_t count; /* leaves under the node */
} range;

/* A node's state: inline in the actor block (state_size), except the root's (in bench). */
typedef struct node {
  art_pid parent; /* ART_PID_NONE for the root, started from main */
  uint32_t pending;
  uint64_t sum;
} node;

typedef struct bench {
  art_system *sys;
  node root;
  uint64_t result;
  _Atomic int error; /* a failed spawn or send */
  int64_t end_ns;
  sem_t done;
} bench;

static bench the_bench;

static void fail(int rc) {
  int none = 0;
  if (atomic_compare_exchange_strong(&the_bench.error, &none, rc))
    sem_post(&the_bench.done);
}

static int node_handle(art_ctx *ctx, void *state, const art_msg *msg);
static const art_actor_ops node_ops = {.handle = node_handle};

static int node_start(art_ctx *ctx, node *self, const art_msg *msg) {
  art_system *sys = art_ctx_system(ctx);
  range r;
  if (msg->size != sizeof r)
    return ART_EINVAL;
  memcpy(&r, msg->data, sizeof r);
  self->parent = msg->sender;
  if (r.count == 1) {
    int rc = art_send(sys, self->parent, MSG_SUM, &r.first, sizeof r.first);
    return rc ? rc : ART_STOP;
  }
  art_spawn_opts opts = {.ops = &node_ops, .state_size = sizeof(node)};
  uint64_t step = r.count / FAN_OUT;
  for (int i = 0; i < FAN_OUT; i++) {
    range child_range = {.first = r.first + (uint64_t)i * step, .count = step};
    art_pid child;
    int rc = art_spawn(sys, &opts, &child);
    if (rc == 0)
      rc = art_send(sys, child, MSG_START, &child_range, sizeof child_range);
    if (rc)
      return rc;
  }
  self->pending = FAN_OUT;
  self->sum = 0;
  return 0;
}

static int node_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  node *self = state;
  int rc;
  if (msg->type == MSG_START) {
    rc = node_start(ctx, self, msg);
  } else if (msg->type == MSG_SUM && msg->size == sizeof(uint64_t) && self->pending > 0) {
    uint64_t value;
    memcpy(&value, msg->data, sizeof value);
    self->sum += value;
    if (--self->pending > 0)
      return 0;
    if (self->parent == ART_PID_NONE) {
      the_bench.result = self->sum;
      the_bench.end_ns = art_now_monotonic();
      sem_post(&the_bench.done);
      return ART_STOP;
    }
    rc = art_send(art_ctx_system(ctx), self->parent, MSG_SUM, &self->sum, sizeof self->sum);
    if (rc == 0)
      return ART_STOP;
  } else {
    rc = ART_EINVAL;
  }
  if (rc < 0)
    fail(rc);
  return rc;
}

static double run(void *ctx, uint64_t leaves) {
  bench *b = ctx;
  b->result = 0;
  int64_t start = art_now_monotonic();
  art_spawn_opts opts = {.ops = &node_ops, .state = &b->root, .name = "root"};
  art_pid root;
  bench_check(art_spawn(b->sys, &opts, &root), "spawn root");
  range all = {.first = 0, .count = leaves};
  bench_check(art_send(b->sys, root, MSG_START, &all, sizeof all), "start");
  bench_wait(&b->done);
  int err = atomic_load(&b->error);
  if (err) {
    fprintf(stderr, "skynet: a spawn or send failed: %s\n", art_strerror(err));
    return -1;
  }
  uint64_t expected = leaves * (leaves - 1) / 2;
  if (b->result != expected) {
    fprintf(stderr, "skynet: wrong result: sum %" PRIu64 ", expected %" PRIu64 "\n", b->result,
            expected);
    return -1;
  }
  int rc = art_system_wait(b->sys, ART_SEC(10));
  if (rc) {
    fprintf(stderr, "skynet: the tree's actors did not all exit: %s\n", art_strerror(rc));
    return -1;
  }
  return (double)(b->end_ns - start);
}

static void peak_rss(void *ctx, char *buf, size_t len) {
  (void)ctx;
  snprintf(buf, len, " peak_rss_kb=%ld", bench_peak_rss_kb());
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_LEAVES))
    return 2;
  uint64_t power = 1;
  while (power < o.n)
    power *= FAN_OUT;
  if (power != o.n || o.n < FAN_OUT) {
    fprintf(stderr, "skynet: --n must be a power of %d, at least %d\n", FAN_OUT, FAN_OUT);
    return 2;
  }
  bench *b = &the_bench;
  if (sem_init(&b->done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b->sys = bench_system_create(o.workers);
  fprintf(stderr, "skynet: start-up (system): %.1f us\n",
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main_extra("skynet", "ns/tree", &o, run, b, peak_rss);
  fprintf(stderr, "skynet: peak RSS %ld KiB\n", bench_peak_rss_kb());

  bench_check(art_system_shutdown(b->sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b->sys, &stats);
  /* A tree with L leaves has (10L - 1) / 9 nodes. */
  uint64_t actors = (uint64_t)(o.runs + 1) * ((FAN_OUT * o.n - 1) / (FAN_OUT - 1));
  if (status == 0 && (stats.actors_spawned != actors || stats.exits_normal != actors)) {
    fprintf(stderr,
            "skynet: %" PRIu64 " spawns and %" PRIu64 " normal exits, expected %" PRIu64 "\n",
            stats.actors_spawned, stats.exits_normal, actors);
    status = 1;
  }
  art_system_destroy(b->sys);
  sem_destroy(&b->done);
  return status;
}
