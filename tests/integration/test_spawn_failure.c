/*
 * A failed pre_start: what it set up itself (links, monitors) is signalled as for any exit,
 * while the spawner's own link or monitor (ART_SPAWN_LINK / ART_SPAWN_MONITOR) is removed
 * without a signal.
 */
#include <stdatomic.h>

#include "integration.h"

typedef struct record {
  _Atomic int child_stops;
  art_exit_reason child_reason;
  _Atomic int parent_downs;
  art_pid child;
} record;

static int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0;
}

static void child_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  record *r = state;
  r->child_reason = *reason;
  atomic_fetch_add(&r->child_stops, 1);
}

static const art_actor_ops child_ops = {.handle = child_handle, .post_stop = child_stop};

/* pre_start spawns a linked child, then fails. */
static int failing_start(art_ctx *ctx, void *state, void *args) {
  (void)state;
  record *r = args;
  art_spawn_opts opts = {.ops = &child_ops, .state = r, .flags = ART_SPAWN_LINK};
  assert_int_equal(art_spawn(art_ctx_system(ctx), &opts, &r->child), 0);
  return ART_EINVAL;
}

static const art_actor_ops failing_ops = {.pre_start = failing_start, .handle = child_handle};

static void test_links_of_failed_pre_start_are_signalled(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  record r;
  memset(&r, 0, sizeof r);
  art_pid pid;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &failing_ops, .args = &r}, &pid),
                   ART_EINVAL);
  /* The child linked to the failed actor exits with its reason (it does not trap exits). */
  assert_int_equal(art_system_wait(sys, ART_SEC(5)), 0);
  assert_int_equal(atomic_load(&r.child_stops), 1);
  assert_int_equal(r.child_reason.kind, ART_EXIT_ERROR);
  assert_int_equal(r.child_reason.code, ART_EINVAL);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

/* A parent whose ART_SPAWN_LINK child fails in pre_start is not signalled: it gets the error
 * code, and keeps running. */
typedef struct parent_state {
  record *r;
  int spawn_rc;
} parent_state;

static int failing_child_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)state;
  (void)args;
  return ART_ECANCELED;
}

static const art_actor_ops failing_child_ops = {.pre_start = failing_child_start,
                                                .handle = child_handle};

static int parent_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  parent_state *p = state;
  if (msg->type == 1) {
    art_pid child;
    art_spawn_opts opts = {.ops = &failing_child_ops, .flags = ART_SPAWN_LINK};
    p->spawn_rc = art_spawn(art_ctx_system(ctx), &opts, &child);
    return 0;
  }
  return ART_STOP; /* type 2: the test is done */
}

static void parent_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  parent_state *p = state;
  p->r->child_reason = *reason;
  atomic_fetch_add(&p->r->child_stops, 1);
}

static const art_actor_ops parent_ops = {.handle = parent_handle, .post_stop = parent_stop};

static void test_spawner_link_removed_silently(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  record r;
  memset(&r, 0, sizeof r);
  parent_state ps = {.r = &r};
  art_pid parent;
  assert_int_equal(art_spawn(sys, &(art_spawn_opts){.ops = &parent_ops, .state = &ps}, &parent), 0);
  assert_int_equal(art_send(sys, parent, 1, NULL, 0), 0);
  assert_int_equal(art_send(sys, parent, 2, NULL, 0), 0);
  assert_int_equal(art_system_wait(sys, ART_SEC(5)), 0);
  assert_int_equal(ps.spawn_rc, ART_ECANCELED);
  assert_int_equal(atomic_load(&r.child_stops), 1);
  assert_int_equal(r.child_reason.kind, ART_EXIT_NORMAL); /* it stopped on type 2, not killed */
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_links_of_failed_pre_start_are_signalled),
      cmocka_unit_test(test_spawner_link_removed_silently),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
