/*
 * Supervisor scale (shared/BENCH.md, project-specific rows): start a supervisor with 100,000
 * children, then stop it, in ns per child each way; then the same with simple_one_for_one,
 * OTP's usual way to have many children. The one_for_one start is the figure of the result
 * line; the others are extra fields: stop_median_ns / stop_min_ns, simple_start_median_ns /
 * simple_start_min_ns, simple_stop_median_ns / simple_stop_min_ns.
 *
 * one_for_one: n permanent workers (ids "w0000000"...) with the default shutdown (graceful,
 * 5 s: the supervisor sets a kill timer for each stop, as OTP's does), started and stopped from
 * the main thread: art_sup_start returns when every child has started (each spawned in spec
 * order, its pre_start run), art_sup_stop when every child has stopped, one after the other
 * in reverse order.
 *
 * simple_one_for_one: the same worker as the template; art_sup_start_simple_children starts
 * the n instances in one request (one call per instance would measure n round trips of a
 * plain thread's call, tens of microseconds each with its thread wake-ups); art_sup_stop stops
 * them all at once. The Erlang peer (bench/peers/erlang/sup_scale.erl) does both with an OTP
 * supervisor and gen_server children; OTP has no batch start, so it makes n start_child calls.
 *
 * Checked: every child ran its pre_start and post_stop once per run (one_for_one: in spec
 * order up, in reverse order down), count_children saw n active children, and nothing is left
 * alive after the stop.
 *
 * usage: sup_scale [--workers N] [--runs R] [--n CHILDREN]
 */
#include <stdatomic.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_CHILDREN 100000
#define ID_SIZE 12 /* "w" + up to 10 digits + NUL */

/* Figures of one kind, one per run (the warm-up's first). */
typedef struct figures {
  double *ns;
  uint32_t count;
} figures;

typedef struct bench {
  art_system *sys;
  art_sup_spec spec, simple_spec;
  art_child_spec simple_template;
  uint64_t n;
  /* Atomic: the simple_one_for_one instances stop at once, on both workers. */
  _Atomic uint64_t started, stopped; /* this run */
  _Atomic bool out_of_order;         /* a start or stop out of (reverse) spec order, or a stop
                                        with a reason other than shutdown */
  figures stop, simple_start, simple_stop;
} bench;

/* Each one_for_one child's own state (state_size 0): which child it is. The starts run in the
 * supervisor's pre_start and the stops one after the other, so started and stopped count in
 * order. */
typedef struct child {
  bench *b;
  uint64_t index;
} child;

static int child_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)args;
  child *c = state;
  if (atomic_fetch_add(&c->b->started, 1) != c->index)
    atomic_store(&c->b->out_of_order, true);
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
  if (c->index != b->n - 1 - atomic_fetch_add(&b->stopped, 1) || reason->kind != ART_EXIT_SHUTDOWN)
    atomic_store(&b->out_of_order, true);
}

static const art_actor_ops child_ops = {
    .pre_start = child_pre_start, .handle = child_handle, .post_stop = child_post_stop};

/* The simple_one_for_one instances share the bench as their state. */
static int instance_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)args;
  atomic_fetch_add(&((bench *)state)->started, 1);
  return 0;
}

static void instance_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  bench *b = state;
  atomic_fetch_add(&b->stopped, 1);
  if (reason->kind != ART_EXIT_SHUTDOWN)
    atomic_store(&b->out_of_order, true);
}

static const art_actor_ops instance_ops = {
    .pre_start = instance_pre_start, .handle = child_handle, .post_stop = instance_post_stop};

static void reset(bench *b) {
  atomic_store(&b->started, 0);
  atomic_store(&b->stopped, 0);
  atomic_store(&b->out_of_order, false);
}

/* Checks the run of @p variant; false (and why, on stderr) if it went wrong. */
static bool verify(bench *b, const char *variant, const art_sup_counts *counts) {
  bench_check(art_system_wait(b->sys, ART_SEC(10)), "art_system_wait");
  if (counts->active == b->n && atomic_load(&b->started) == b->n &&
      atomic_load(&b->stopped) == b->n && !atomic_load(&b->out_of_order))
    return true;
  fprintf(stderr,
          "sup_scale (%s): wrong result: %" PRIu32 " active, %" PRIu64 " started, %" PRIu64
          " stopped of %" PRIu64 "%s\n",
          variant, counts->active, atomic_load(&b->started), atomic_load(&b->stopped), b->n,
          atomic_load(&b->out_of_order) ? ", out of order or a wrong reason" : "");
  return false;
}

static void record(figures *f, int64_t ns, uint64_t n) {
  f->ns[f->count++] = (double)ns / (double)n;
}

/* One run of each variant; returns the one_for_one start's figure. */
static double run(void *ctx, uint64_t n) {
  bench *b = ctx;
  art_pid sup;
  art_sup_counts counts;
  reset(b);
  int64_t t0 = art_now_monotonic();
  bench_check(art_sup_start(b->sys, &b->spec, &sup), "art_sup_start");
  int64_t t1 = art_now_monotonic();
  bench_check(art_sup_count_children(b->sys, sup, &counts), "art_sup_count_children");
  int64_t t2 = art_now_monotonic();
  bench_check(art_sup_stop(b->sys, sup, ART_FOREVER), "art_sup_stop");
  int64_t t3 = art_now_monotonic();
  if (!verify(b, "one_for_one", &counts))
    return -1;
  record(&b->stop, t3 - t2, n);
  double start = (double)(t1 - t0) / (double)n;

  reset(b);
  bench_check(art_sup_start(b->sys, &b->simple_spec, &sup), "art_sup_start (simple)");
  t0 = art_now_monotonic();
  bench_check(art_sup_start_simple_children(b->sys, sup, NULL, n, NULL, NULL),
              "art_sup_start_simple_children");
  t1 = art_now_monotonic();
  bench_check(art_sup_count_children(b->sys, sup, &counts), "art_sup_count_children");
  t2 = art_now_monotonic();
  bench_check(art_sup_stop(b->sys, sup, ART_FOREVER), "art_sup_stop (simple)");
  t3 = art_now_monotonic();
  if (!verify(b, "simple_one_for_one", &counts))
    return -1;
  record(&b->simple_start, t1 - t0, n);
  record(&b->simple_stop, t3 - t2, n);
  return start;
}

/* " <name>_median_ns=... <name>_min_ns=..." of the measured runs (the warm-up's left out). */
static size_t print_figures(char *buf, size_t len, const char *name, figures *f) {
  uint32_t k = f->count - 1;
  double *v = f->ns + 1;
  double median = bench_median(v, k);
  int written = snprintf(buf, len, " %s_median_ns=%.1f %s_min_ns=%.1f", name, median, name, v[0]);
  return written < 0 ? 0 : (size_t)written < len ? (size_t)written : len;
}

static void extra_fields(void *ctx, char *buf, size_t len) {
  bench *b = ctx;
  size_t used = print_figures(buf, len, "stop", &b->stop);
  used += print_figures(buf + used, len - used, "simple_start", &b->simple_start);
  print_figures(buf + used, len - used, "simple_stop", &b->simple_stop);
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
  double *ns = calloc(3 * ((size_t)o.runs + 1), sizeof *ns);
  if (!children || !states || !ids || !ns)
    return 1;
  b.stop.ns = ns;
  b.simple_start.ns = ns + o.runs + 1;
  b.simple_stop.ns = ns + 2 * (o.runs + 1);
  for (uint64_t i = 0; i < o.n; i++) {
    char *id = ids + i * ID_SIZE;
    snprintf(id, ID_SIZE, "w%07" PRIu32, (uint32_t)i);
    states[i] = (child){.b = &b, .index = i};
    children[i] = (art_child_spec){.id = id, .actor = {.ops = &child_ops, .state = &states[i]}};
  }
  art_sup_spec_init(&b.spec);
  b.spec.children = children;
  b.spec.child_count = o.n;
  b.simple_template = (art_child_spec){.actor = {.ops = &instance_ops, .state = &b}};
  art_sup_spec_init(&b.simple_spec);
  b.simple_spec.strategy = ART_SUP_SIMPLE_ONE_FOR_ONE;
  b.simple_spec.children = &b.simple_template;
  b.simple_spec.child_count = 1;
  b.sys = bench_system_create(o.workers);

  int status = bench_main_extra("sup_scale", "ns/child", &o, run, &b, extra_fields);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_destroy(b.sys);
  free(children);
  free(states);
  free(ids);
  free(ns);
  return status;
}
