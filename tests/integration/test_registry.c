/*
 * The name registry: register, whereis, unregister, send by name, the error cases, names
 * released when their actor exits, and concurrent registrations.
 */
#include <sched.h>
#include <stdio.h>

#include "services.h"

static art_pid spawn(art_system *sys, svc_probe *p) {
  svc_probe_init(p);
  return svc_spawn_probe(sys, p, 0);
}

/* register, whereis, send_named, unregister; a name can be taken again after unregister. */
static void test_register_whereis_unregister(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe p1, p2;
  art_pid a = spawn(sys, &p1);
  art_pid b = spawn(sys, &p2);
  assert_int_equal(art_whereis(sys, "alpha"), ART_PID_NONE);
  assert_int_equal(art_register(sys, "alpha", a), 0);
  assert_int_equal(art_whereis(sys, "alpha"), a);
  assert_int_equal(art_send_named(sys, "alpha", SVC_PING, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&p1, pings) == 1, IT_WAIT_MS));
  assert_int_equal(SVC_GET(&p2, pings), 0);
  assert_int_equal(art_unregister(sys, "alpha"), 0);
  assert_int_equal(art_whereis(sys, "alpha"), ART_PID_NONE);
  assert_int_equal(art_unregister(sys, "alpha"), ART_ENOENT);
  assert_int_equal(art_send_named(sys, "alpha", SVC_PING, NULL, 0), ART_ENOENT);
  /* After unregister the name and the actor are both free again. */
  assert_int_equal(art_register(sys, "alpha", b), 0);
  assert_int_equal(art_register(sys, "beta", a), 0);
  assert_int_equal(art_whereis(sys, "alpha"), b);
  assert_int_equal(art_whereis(sys, "beta"), a);
  /* Names are compared whole: a prefix or a longer name is another name. */
  assert_int_equal(art_whereis(sys, "alph"), ART_PID_NONE);
  assert_int_equal(art_whereis(sys, "alpha2"), ART_PID_NONE);
  assert_int_equal(art_send_named(sys, "alpha", SVC_PING, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(SVC_GET(&p2, pings) == 1, IT_WAIT_MS));
  /* A 63-byte name is the longest allowed. */
  char longest[ART_NAME_MAX + 1];
  memset(longest, 'n', ART_NAME_MAX);
  longest[ART_NAME_MAX] = '\0';
  assert_int_equal(art_unregister(sys, "beta"), 0);
  assert_int_equal(art_register(sys, longest, a), 0);
  assert_int_equal(art_whereis(sys, longest), a);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(p1.pings, 1);
  assert_int_equal(p2.pings, 1);
  svc_probe_fini(&p1);
  svc_probe_fini(&p2);
}

/* Every documented error: a taken name, a second name for an actor, a dead pid, bad names. */
static void test_register_errors(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe p1, p2, p3;
  art_pid a = spawn(sys, &p1);
  art_pid b = spawn(sys, &p2);
  art_pid dead = spawn(sys, &p3);
  svc_send(sys, dead, SVC_STOP, NULL);
  svc_wait_alive(sys, 2);
  assert_int_equal(art_register(sys, "taken", a), 0);
  assert_int_equal(art_register(sys, "taken", b), ART_EEXIST);
  assert_int_equal(art_register(sys, "taken", a), ART_EEXIST);
  assert_int_equal(art_whereis(sys, "taken"), a);
  assert_int_equal(art_register(sys, "second", a), ART_EBUSY);
  assert_int_equal(art_whereis(sys, "second"), ART_PID_NONE);
  assert_int_equal(art_register(sys, "dead", dead), ART_ESRCH);
  assert_int_equal(art_register(sys, "none", ART_PID_NONE), ART_ESRCH);
  assert_int_equal(art_whereis(sys, "dead"), ART_PID_NONE);

  char too_long[ART_NAME_MAX + 2];
  memset(too_long, 'x', ART_NAME_MAX + 1);
  too_long[ART_NAME_MAX + 1] = '\0'; /* 64 bytes */
  assert_int_equal(art_register(sys, NULL, b), ART_EINVAL);
  assert_int_equal(art_register(sys, "", b), ART_EINVAL);
  assert_int_equal(art_register(sys, too_long, b), ART_EINVAL);
  assert_int_equal(art_register(NULL, "b", b), ART_EINVAL);
  assert_int_equal(art_unregister(sys, NULL), ART_EINVAL);
  assert_int_equal(art_unregister(sys, ""), ART_EINVAL);
  assert_int_equal(art_unregister(NULL, "taken"), ART_EINVAL);
  assert_int_equal(art_whereis(sys, NULL), ART_PID_NONE);
  assert_int_equal(art_whereis(sys, too_long), ART_PID_NONE);
  assert_int_equal(art_whereis(NULL, "taken"), ART_PID_NONE);
  assert_int_equal(art_send_named(sys, NULL, SVC_PING, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send_named(sys, "", SVC_PING, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send_named(NULL, "taken", SVC_PING, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send_named(sys, "nobody", SVC_PING, NULL, 0), ART_ENOENT);
  /* send_named passes art_send's own errors through */
  assert_int_equal(art_send_named(sys, "taken", ART_MSG_RESERVED, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send_named(sys, "taken", SVC_PING, NULL, 4), ART_EINVAL);
  /* b is still free for a name */
  assert_int_equal(art_register(sys, "b", b), 0);
  assert_int_equal(art_whereis(sys, "b"), b);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  assert_int_equal(p1.pings, 0);
  svc_probe_fini(&p1);
  svc_probe_fini(&p2);
  svc_probe_fini(&p3);
}

/* A name is released when its actor exits, however it exits; the name can then be registered
 * again, for a new actor; a send by name to the old one's name is ART_ENOENT meanwhile. */
static void test_name_released_on_exit(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  for (int how = 0; how < 3; how++) {
    svc_probe p, q;
    art_pid a = spawn(sys, &p);
    assert_int_equal(art_register(sys, "service", a), 0);
    if (how == 0) {
      svc_send(sys, a, SVC_STOP, NULL);
    } else if (how == 1) {
      svc_cmd fail = {.code = ART_EPERM};
      svc_send(sys, a, SVC_FAIL, &fail);
    } else {
      art_exit_reason killed = art_reason(ART_EXIT_KILLED);
      assert_int_equal(art_send_exit(sys, a, &killed), 0);
    }
    svc_wait_alive(sys, 0);
    assert_int_equal(art_whereis(sys, "service"), ART_PID_NONE);
    assert_int_equal(art_send_named(sys, "service", SVC_PING, NULL, 0), ART_ENOENT);
    assert_int_equal(art_unregister(sys, "service"), ART_ENOENT);
    art_pid b = spawn(sys, &q);
    assert_int_equal(art_register(sys, "service", b), 0);
    assert_int_equal(art_whereis(sys, "service"), b);
    assert_int_equal(art_send_named(sys, "service", SVC_PING, NULL, 0), 0);
    assert_true(ART_WAIT_UNTIL(SVC_GET(&q, pings) == 1, IT_WAIT_MS));
    svc_send(sys, b, SVC_STOP, NULL);
    svc_wait_alive(sys, 0);
    assert_int_equal(art_whereis(sys, "service"), ART_PID_NONE);
    svc_probe_fini(&p);
    svc_probe_fini(&q);
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
}

/* ---- concurrency ------------------------------------------------------------------------------
 */

enum { CONTENDERS = 4, CONTEST_ROUNDS = 200 };

typedef struct contest {
  art_system *sys;
  art_pid pids[CONTENDERS];
  atomic_int ready;
  atomic_int round; /* each thread starts round r when round == r */
  int rc[CONTEST_ROUNDS][CONTENDERS];
} contest;

typedef struct contender {
  contest *c;
  int index;
} contender;

static void *contender_main(void *arg) {
  contender *me = arg;
  contest *c = me->c;
  for (int r = 0; r < CONTEST_ROUNDS; r++) {
    atomic_fetch_add(&c->ready, 1);
    while (atomic_load(&c->round) < r)
      sched_yield();
    char name[32];
    snprintf(name, sizeof name, "contested-%d", r);
    c->rc[r][me->index] = art_register(c->sys, name, c->pids[me->index]);
  }
  return NULL;
}

/* Several threads register the same name for different actors at once: exactly one wins, the
 * others get ART_EEXIST, and whereis names the winner. */
static void test_concurrent_register_one_wins(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  static contest c;
  memset(&c, 0, sizeof c);
  c.sys = sys;
  atomic_init(&c.ready, 0);
  atomic_init(&c.round, -1);
  pthread_t threads[CONTENDERS];
  contender me[CONTENDERS];
  /* One actor per contender; the winner's name is removed after each round, so that every
   * actor is free to take a name in the next one. */
  svc_probe probes[CONTENDERS];
  for (int i = 0; i < CONTENDERS; i++)
    c.pids[i] = spawn(sys, &probes[i]);
  for (int i = 0; i < CONTENDERS; i++) {
    me[i] = (contender){&c, i};
    assert_int_equal(pthread_create(&threads[i], NULL, contender_main, &me[i]), 0);
  }
  for (int r = 0; r < CONTEST_ROUNDS; r++) {
    assert_true(ART_WAIT_UNTIL(atomic_load(&c.ready) == (r + 1) * CONTENDERS, IT_WAIT_MS));
    atomic_store(&c.round, r);
    /* wait until every contender finished round r: they announce r+1 as ready (or exit) */
    if (r + 1 < CONTEST_ROUNDS)
      assert_true(ART_WAIT_UNTIL(atomic_load(&c.ready) == (r + 2) * CONTENDERS, IT_WAIT_MS));
    else
      for (int i = 0; i < CONTENDERS; i++)
        pthread_join(threads[i], NULL);
    char name[32];
    snprintf(name, sizeof name, "contested-%d", r);
    int winners = 0, winner = -1;
    for (int i = 0; i < CONTENDERS; i++) {
      if (c.rc[r][i] == 0) {
        winners++;
        winner = i;
      } else {
        assert_int_equal(c.rc[r][i], ART_EEXIST);
      }
    }
    assert_int_equal(winners, 1);
    assert_int_equal(art_whereis(sys, name), c.pids[winner]);
    assert_int_equal(art_unregister(sys, name), 0); /* the winner may take a name again */
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  for (int i = 0; i < CONTENDERS; i++)
    svc_probe_fini(&probes[i]);
}

/* Actors that register themselves and exit, many at once, from the test thread and a second
 * thread: when all are gone, no name is left. */
enum { SELF_NAMERS = 400 };

typedef struct namer_args {
  int index;
  atomic_int *registered;
  atomic_int *failures;
} namer_args;

static int namer_pre_start(art_ctx *ctx, void *state, void *args) {
  namer_args *a = args;
  memcpy(state, a, sizeof *a);
  char name[32];
  snprintf(name, sizeof name, "self-%d", a->index);
  if (art_register(art_ctx_system(ctx), name, art_self(ctx)) == 0)
    atomic_fetch_add(a->registered, 1);
  else
    atomic_fetch_add(a->failures, 1);
  return art_send(art_ctx_system(ctx), art_self(ctx), 1, NULL, 0);
}

static int namer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return ART_STOP; /* exit at once, name and all */
}

static const art_actor_ops namer_ops = {.pre_start = namer_pre_start, .handle = namer_handle};

typedef struct spawner {
  art_system *sys;
  int first, count;
  namer_args *args;
  int failures;
} spawner;

static void *spawner_main(void *arg) {
  spawner *s = arg;
  for (int i = s->first; i < s->first + s->count; i++) {
    art_spawn_opts o = {.ops = &namer_ops, .state_size = sizeof(namer_args), .args = &s->args[i]};
    if (art_spawn(s->sys, &o, NULL) != 0)
      s->failures++;
  }
  return NULL;
}

static void test_registry_empty_after_exits(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  atomic_int registered, failures;
  atomic_init(&registered, 0);
  atomic_init(&failures, 0);
  namer_args *args = test_calloc(SELF_NAMERS, sizeof *args);
  for (int i = 0; i < SELF_NAMERS; i++)
    args[i] = (namer_args){i, &registered, &failures};
  spawner s1 = {sys, 0, SELF_NAMERS / 2, args, 0};
  spawner s2 = {sys, SELF_NAMERS / 2, SELF_NAMERS / 2, args, 0};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, spawner_main, &s2), 0);
  spawner_main(&s1);
  pthread_join(t, NULL);
  it_wait_all(sys);
  assert_int_equal(s1.failures + s2.failures, 0);
  assert_int_equal(atomic_load(&registered), SELF_NAMERS);
  assert_int_equal(atomic_load(&failures), 0);
  int left = 0;
  for (int i = 0; i < SELF_NAMERS; i++) {
    char name[32];
    snprintf(name, sizeof name, "self-%d", i);
    if (art_whereis(sys, name) != ART_PID_NONE)
      left++;
    assert_int_equal(art_unregister(sys, name), ART_ENOENT);
  }
  assert_int_equal(left, 0);
  /* Every name can be taken again. */
  svc_probe p;
  art_pid a = spawn(sys, &p);
  for (int i = 0; i < SELF_NAMERS; i += 37) {
    char name[32];
    snprintf(name, sizeof name, "self-%d", i);
    assert_int_equal(art_register(sys, name, a), 0);
    assert_int_equal(art_unregister(sys, name), 0);
  }
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  svc_probe_fini(&p);
  test_free(args);
}

/* Registering an actor while it exits, many times: either ART_ESRCH, or 0 and the name is
 * released with the exit; never a name left pointing at a dead actor. */
static void test_register_races_exit(void **unused) {
  (void)unused;
  enum { ROUNDS = 300 };
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  svc_probe keeper;
  art_pid k = spawn(sys, &keeper);
  int won = 0, lost = 0;
  for (int i = 0; i < ROUNDS; i++) {
    svc_probe p;
    art_pid a = spawn(sys, &p);
    char name[32];
    snprintf(name, sizeof name, "racer-%d", i);
    svc_send(sys, a, SVC_STOP, NULL);
    int rc = art_register(sys, name, a);
    assert_true(rc == 0 || rc == ART_ESRCH);
    if (rc == 0)
      won++;
    else
      lost++;
    svc_wait_alive(sys, 1);
    assert_int_equal(art_whereis(sys, name), ART_PID_NONE);
    assert_int_equal(art_register(sys, name, k), 0); /* the name is free */
    assert_int_equal(art_unregister(sys, name), 0);
    svc_probe_fini(&p);
  }
  print_message("register vs exit: %d registered first, %d too late\n", won, lost);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  it_destroy(sys, &ta);
  svc_probe_fini(&keeper);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register_whereis_unregister),
      cmocka_unit_test(test_register_errors),
      cmocka_unit_test(test_name_released_on_exit),
      cmocka_unit_test(test_concurrent_register_one_wins),
      cmocka_unit_test(test_registry_empty_after_exits),
      cmocka_unit_test(test_register_races_exit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
