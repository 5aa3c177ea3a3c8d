/*
 * Supervisor scale (shared/BENCH.md, project-specific rows): start a supervisor with 100,000
 * children, then stop it. Reports the start in ns per child as the figure of the result line,
 * and the stop in extra fields (stop_median_ns, stop_min_ns), also ns per child.
 *
 * One one_for_one supervisor with n permanent workers (ids "w0000000"...), default shutdown
 * (graceful, 5 s: the supervisor sets a kill timer for each stop, as OTP's does), started and
 * stopped from the main thread: art_sup_start returns when every child has started (each
 * spawned in spec order, its pre_start run), art_sup_stop when every child has stopped, one
 * after the other in reverse order. The Erlang peer (bench/peers/erlang/sup_scale.erl) starts
 * and stops an OTP supervisor with as many gen_server children.
 *
 * Checked: every child ran its pre_start and post_stop once per run, in reverse order on the
 * way down, count_children saw n active children, and nothing is left alive after the stop.
 *
 * usage: sup_scale [--workers N] [--runs R] [--n CHILDREN]
 */
#include "art.h"
#include "harness.h"

#define DEFAULT_CHILDREN 100000
#define ID_SIZE 12 /* "w" + up to 10 digits + NUL */

/* Written only by the supervisor's thread of the moment (the starts run in its pre_start, the
 * stops one after the other) and read by main after art_sup_start / art_sup_stop returned. */
typedef struct bench {
  art_system *sys;
  art_sup_spec spec;
  uint64_t n;
  uint64_t started, stopped; /* this run */
  bool out_of_order;         /* a start or stop out of spec order (resp. reverse order) */
  double *stop_ns;           /* per measured run: ns per child of the stop */
  uint32_t runs;             /* entries in stop_ns */
} bench;

/* Each child's own state (state_size 0): which child it is. */
typedef struct child {
  bench *b;
  uint64_t index;
} child;

static int child_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)args;
  child *c = state;
  if (c->index != c->b->started)
    c->b->out_of_order = true;
  c->b->started++;
  return 0;
}

static int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return ART_EINVAL; /* the children get no message */
}

static void child_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  child *c = state;
  bench *b = c->b;
  if (c->index != b->n - 1 - b->stopped || reason->kind != ART_EXIT_SHUTDOWN)
    b->out_of_order = true;
  b->stopped++;
}

static const art_actor_ops child_ops = {
    .pre_start = child_pre_start, .handle = child_handle, .post_stop = child_post_stop};

static double run(void *ctx, uint64_t n) {
  bench *b = ctx;
  b->started = b->stopped = 0;
  b->out_of_order = false;
  art_pid sup;
  int64_t t0 = art_now_monotonic();
  bench_check(art_sup_start(b->sys, &b->spec, &sup), "art_sup_start");
  int64_t t1 = art_now_monotonic();
  art_sup_counts counts;
  bench_check(art_sup_count_children(b->sys, sup, &counts), "art_sup_count_children");
  int64_t t2 = art_now_monotonic();
  bench_check(art_sup_stop(b->sys, sup, ART_FOREVER), "art_sup_stop");
  int64_t t3 = art_now_monotonic();
  bench_check(art_system_wait(b->sys, ART_SEC(10)), "art_system_wait");
  if (counts.active != n || b->started != n || b->stopped != n || b->out_of_order) {
    fprintf(stderr,
            "sup_scale: wrong result: %" PRIu32 " active, %" PRIu64 " started, %" PRIu64
            " stopped of %" PRIu64 "%s\n",
            counts.active, b->started, b->stopped, n, b->out_of_order ? ", out of order" : "");
    return -1;
  }
  if (b->runs < UINT32_MAX && b->stop_ns)
    b->stop_ns[b->runs++] = (double)(t3 - t2) / (double)n;
  return (double)(t1 - t0) / (double)n;
}

/* The stop figures of the measured runs (the warm-up's is the first one, left out). */
static void stop_fields(void *ctx, char *buf, size_t len) {
  bench *b = ctx;
  uint32_t k = b->runs - 1;
  double *v = b->stop_ns + 1;
  qsort(v, k, sizeof *v, bench_compare_double);
  double median = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2.0;
  snprintf(buf, len, " stop_median_ns=%.1f stop_min_ns=%.1f", median, v[0]);
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_CHILDREN))
    return 2;
  if (o.n > UINT32_MAX) {
    fprintf(stderr, "sup_scale: --n is at most %" PRIu32 "\n", UINT32_MAX);
    return 2;
  }
  static bench b;
  b.n = o.n;
  art_child_spec *children = calloc(o.n, sizeof *children);
  child *states = calloc(o.n, sizeof *states);
  char *ids = calloc(o.n, ID_SIZE);
  b.stop_ns = calloc(o.runs + 1, sizeof *b.stop_ns);
  if (!children || !states || !ids || !b.stop_ns)
    return 1;
  for (uint64_t i = 0; i < o.n; i++) {
    char *id = ids + i * ID_SIZE;
    snprintf(id, ID_SIZE, "w%07" PRIu32, (uint32_t)i);
    states[i] = (child){.b = &b, .index = i};
    children[i] = (art_child_spec){.id = id, .actor = {.ops = &child_ops, .state = &states[i]}};
  }
  art_sup_spec_init(&b.spec);
  b.spec.children = children;
  b.spec.child_count = o.n;
  b.sys = bench_system_create(o.workers);

  int status = bench_main_extra("sup_scale", "ns/child", &o, run, &b, stop_fields);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_destroy(b.sys);
  free(children);
  free(states);
  free(ids);
  free(b.stop_ns);
  return status;
}
