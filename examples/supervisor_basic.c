/*
 * Supervisor basics: a one_for_one supervisor over three ordinary actors.
 *
 * Actors need no extra code to be children: a child spec names the actor's ops like
 * art_spawn_opts does, and the actor's pre_start and post_stop are the child's start and stop.
 * The children here are counters; "counter" is told to crash (its handler returns an error),
 * and the supervisor restarts it with a fresh state while its siblings run on untouched. Then
 * which_children and count_children describe the tree, a child is added, stopped and removed
 * at run time (start_child, terminate_child, delete_child), and art_sup_stop stops the
 * children in reverse start order.
 *
 * The main thread is not an actor: it reads a counter with art_call (request/reply), and the
 * supervisor's dynamic API works from it because those calls block until the supervisor has
 * done the work. Every step is checked; the program exits non-zero if a check fails.
 *
 * Run: build/release/examples/supervisor_basic
 */
#include <art.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "check failed at line %d: %s\n", __LINE__, #cond);                           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

enum { MSG_ADD = 1, MSG_GET, MSG_CRASH };

/* ---- the child: a counter actor ------------------------------------------------------------ */

/* Each (re)start gets a fresh zeroed state (state_size > 0 in the spec); pre_start fills it from
 * the args, which the supervisor passes again on every restart. */
typedef struct counter {
  const char *id;
  int64_t total;
} counter;

/* The order in which children stopped, written by their post_stop (on worker threads). */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static char stop_order[128];

static int counter_start(art_ctx *ctx, void *state, void *args) {
  counter *c = state;
  c->id = args;
  printf("  %-8s started as %#" PRIx64 "\n", c->id, art_self(ctx));
  return 0;
}

static int counter_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  counter *c = state;
  switch (msg->type) {
  case MSG_ADD:
    c->total += 1;
    return 0;
  case MSG_GET:
    return art_reply(art_ctx_system(ctx), msg, MSG_GET, &c->total, sizeof c->total);
  case MSG_CRASH: /* the failure: the actor exits with this error as its reason */
    return art_fail(ctx, ART_EINVAL, "bad request after %" PRId64 " adds", c->total);
  default:
    return 0;
  }
}

static void counter_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  counter *c = state;
  char why[160];
  art_reason_format(reason, why, sizeof why);
  printf("  %-8s stopped: %s\n", c->id, why);
  pthread_mutex_lock(&stop_lock);
  size_t n = strlen(stop_order);
  snprintf(stop_order + n, sizeof stop_order - n, "%s%s", n ? " " : "", c->id);
  pthread_mutex_unlock(&stop_lock);
}

static const art_actor_ops counter_ops = {
    .pre_start = counter_start, .handle = counter_handle, .post_stop = counter_stop};

/* A permanent worker running a counter; the zero values of the rest are OTP's defaults
 * (graceful shutdown with a 5 s timeout). */
static art_child_spec counter_child(const char *id, art_restart restart) {
  art_child_spec c = {.id = id, .restart = restart};
  c.actor.ops = &counter_ops;
  c.actor.state_size = sizeof(counter);
  c.actor.args = (void *)id;
  return c;
}

/* ---- helpers for the main thread ------------------------------------------------------------ */

static const char *state_name(art_child_state s) {
  return s == ART_CHILD_RUNNING ? "running" : s == ART_CHILD_RESTARTING ? "restarting" : "stopped";
}

static void show_children(art_system *sys, art_pid sup) {
  art_sup_child_info info[8];
  size_t n = 0;
  int rc = art_sup_which_children(sys, sup, info, 8, &n);
  CHECK(rc == 0);
  printf("  which_children:\n");
  for (size_t i = 0; rc == 0 && i < n; i++)
    printf("    %-8s %-10s pid %#-12" PRIx64 " restarts %" PRIu32 "\n", info[i].id,
           state_name(info[i].state), info[i].pid, info[i].restarts);
}

/* The pid under which the supervisor runs @p id (ART_PID_NONE: no such child, or stopped), and
 * its restarts so far if @p restarts is not NULL. */
static art_pid pid_of(art_system *sys, art_pid sup, const char *id, uint32_t *restarts) {
  art_sup_child_info info[8];
  size_t n = 0;
  if (art_sup_which_children(sys, sup, info, 8, &n) != 0)
    return ART_PID_NONE;
  for (size_t i = 0; i < n; i++)
    if (strcmp(info[i].id, id) == 0) {
      if (restarts)
        *restarts = info[i].restarts;
      return info[i].pid;
    }
  return ART_PID_NONE;
}

/* Waits (at most 2 s) until the supervisor runs @p id under a pid other than @p old. */
static art_pid wait_for_new_pid(art_system *sys, art_pid sup, const char *id, art_pid old) {
  for (int i = 0; i < 2000; i++) {
    art_pid now = pid_of(sys, sup, id, NULL);
    if (now != ART_PID_NONE && now != old)
      return now;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  return ART_PID_NONE;
}

static int64_t read_counter(art_system *sys, art_pid pid) {
  int64_t total = -1;
  art_call_reply reply = {.data = &total, .capacity = sizeof total};
  CHECK(art_call(sys, pid, MSG_GET, NULL, 0, ART_SEC(2), &reply) == 0);
  return total;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "art_system_create: %s\n", art_strerror(rc));
    return 1;
  }

  /* 1. Start: one_for_one, at most 3 restarts in 5 s, three children started in order. */
  art_child_spec children[3] = {counter_child("config", ART_RESTART_PERMANENT),
                                counter_child("counter", ART_RESTART_PERMANENT),
                                counter_child("audit", ART_RESTART_TRANSIENT)};
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.strategy = ART_SUP_ONE_FOR_ONE;
  spec.intensity = 3;
  spec.period = ART_SEC(5);
  spec.children = children;
  spec.child_count = 3;
  spec.name = "app_sup";
  art_pid sup;
  printf("starting a one_for_one supervisor (intensity 3 in 5 s):\n");
  rc = art_sup_start(sys, &spec, &sup);
  CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "art_sup_start: %s\n", art_strerror(rc));
    art_system_destroy(sys);
    return 1;
  }
  show_children(sys, sup);
  art_pid config = pid_of(sys, sup, "config", NULL);
  art_pid audit = pid_of(sys, sup, "audit", NULL);
  art_pid count = pid_of(sys, sup, "counter", NULL);
  CHECK(config != ART_PID_NONE && audit != ART_PID_NONE && count != ART_PID_NONE);

  /* 2. A failure: "counter" counts to 3, then crashes. */
  for (int i = 0; i < 3; i++)
    CHECK(art_send(sys, count, MSG_ADD, NULL, 0) == 0);
  int64_t total = read_counter(sys, count);
  printf("counter holds %" PRId64 "; now it crashes:\n", total);
  CHECK(total == 3);
  CHECK(art_send(sys, count, MSG_CRASH, NULL, 0) == 0);
  art_pid restarted = wait_for_new_pid(sys, sup, "counter", count);
  CHECK(restarted != ART_PID_NONE);
  total = read_counter(sys, restarted);
  printf("restarted with a fresh state: counter holds %" PRId64 "\n", total);
  CHECK(total == 0);
  show_children(sys, sup);
  uint32_t restarts = 0;
  CHECK(pid_of(sys, sup, "counter", &restarts) == restarted && restarts == 1);
  /* one_for_one: the siblings were not touched. */
  CHECK(pid_of(sys, sup, "config", NULL) == config);
  CHECK(pid_of(sys, sup, "audit", NULL) == audit);

  /* 3. count_children: specs, running, and how many are workers and supervisors. */
  art_sup_counts counts;
  CHECK(art_sup_count_children(sys, sup, &counts) == 0);
  printf("count_children: specs %" PRIu32 ", active %" PRIu32 ", workers %" PRIu32
         ", supervisors %" PRIu32 "\n",
         counts.specs, counts.active, counts.workers, counts.supervisors);
  CHECK(counts.specs == 3 && counts.active == 3 && counts.workers == 3 && counts.supervisors == 0);

  /* 4. The dynamic API: add a child, stop it (its spec stays), remove its spec. */
  printf("start_child \"metrics\":\n");
  art_child_spec metrics = counter_child("metrics", ART_RESTART_PERMANENT);
  art_pid metrics_pid;
  CHECK(art_sup_start_child(sys, sup, &metrics, &metrics_pid) == 0);
  CHECK(art_sup_start_child(sys, sup, &metrics, NULL) == ART_EEXIST); /* already_started */
  rc = art_sup_delete_child(sys, sup, "metrics");
  printf("delete_child while it runs: %s (OTP's running)\n", art_err_name(rc));
  CHECK(rc == ART_EBUSY);
  printf("terminate_child \"metrics\":\n");
  CHECK(art_sup_terminate_child(sys, sup, "metrics") == 0);
  CHECK(!art_is_alive(sys, metrics_pid));
  show_children(sys, sup);
  CHECK(art_sup_count_children(sys, sup, &counts) == 0);
  CHECK(counts.specs == 4 && counts.active == 3);
  CHECK(art_sup_delete_child(sys, sup, "metrics") == 0);
  CHECK(art_sup_count_children(sys, sup, &counts) == 0);
  printf("delete_child \"metrics\": specs %" PRIu32 ", active %" PRIu32 "\n", counts.specs,
         counts.active);
  CHECK(counts.specs == 3 && counts.active == 3);
  CHECK(art_sup_terminate_child(sys, sup, "metrics") == ART_ENOENT);

  /* 5. Stop: the children go in reverse start order, then the supervisor exits. */
  pthread_mutex_lock(&stop_lock);
  stop_order[0] = '\0';
  pthread_mutex_unlock(&stop_lock);
  printf("art_sup_stop:\n");
  CHECK(art_sup_stop(sys, sup, ART_SEC(5)) == 0);
  pthread_mutex_lock(&stop_lock);
  printf("stopped in this order: %s\n", stop_order);
  CHECK(strcmp(stop_order, "audit counter config") == 0);
  pthread_mutex_unlock(&stop_lock);
  CHECK(art_system_wait(sys, ART_SEC(2)) == 0); /* the supervisor itself has exited */
  CHECK(!art_is_alive(sys, sup));

  art_system_destroy(sys);
  if (failures) {
    fprintf(stderr, "supervisor_basic: %d check(s) failed\n", failures);
    return 1;
  }
  printf("supervisor_basic: all checks passed\n");
  return 0;
}
