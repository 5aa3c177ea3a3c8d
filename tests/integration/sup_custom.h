/*
 * A custom child for the supervisor tests: an object made by a factory, whose start, stop and
 * health the test controls through a `ctl` (counters of every call, a start result, gates
 * that hold start and stop on the host's thread until the test opens them, a health answer
 * and a gate that holds health_check).
 *
 * In deterministic tests the object also logs "+name" at start and "-name" at stop in the
 * shared log of sup_test.h (the name is ctl.name).
 */
#ifndef ART_SUP_CUSTOM_H
#define ART_SUP_CUSTOM_H

#include <time.h>

#include "sup_test.h"

typedef struct ctl {
  const char *name; /* logged when set (deterministic tests only) */
  atomic_int made, started, stopped, destroyed;
  atomic_int start_rc;
  atomic_bool hold_start, in_start, hold_stop, in_stop, hold_health;
  atomic_int health;
  atomic_int seq;                     /* of the newest object */
  _Atomic(art_duration) stop_timeout; /* of the latest stop (an abandoned one may still run) */
  _Atomic(art_child_ctx *) cctx;      /* of the newest started object */
  atomic_bool no_object;              /* the factory fails */
} ctl;

typedef struct test_obj {
  ctl *ctl;
  int seq;
} test_obj;

/* Waits (bounded) while @p gate is set; the host's thread sits here while the test looks. */
static inline void gate_wait(atomic_bool *gate) {
  (void)ART_WAIT_UNTIL(!atomic_load(gate), IT_WAIT_MS);
}

static inline void *obj_factory(void *arg) {
  ctl *c = arg;
  if (atomic_load(&c->no_object))
    return NULL;
  test_obj *o = malloc(sizeof *o);
  assert_non_null(o);
  o->ctl = c;
  o->seq = atomic_fetch_add(&c->made, 1) + 1;
  atomic_store(&c->seq, o->seq);
  return o;
}

static inline int obj_start(void *obj, art_child_ctx *cctx) {
  test_obj *o = obj;
  ctl *c = o->ctl;
  atomic_store(&c->in_start, true);
  gate_wait(&c->hold_start);
  atomic_store(&c->in_start, false);
  int rc = atomic_load(&c->start_rc);
  if (rc == 0) {
    atomic_fetch_add(&c->started, 1);
    atomic_store(&c->cctx, cctx);
    if (c->name)
      log_add('+', c->name);
  }
  return rc;
}

static inline int obj_stop(void *obj, art_duration timeout) {
  test_obj *o = obj;
  ctl *c = o->ctl;
  atomic_store(&c->stop_timeout, timeout);
  atomic_store(&c->in_stop, true);
  gate_wait(&c->hold_stop);
  atomic_store(&c->in_stop, false);
  atomic_fetch_add(&c->stopped, 1);
  if (c->name)
    log_add('-', c->name);
  return 0;
}

static inline art_health_status obj_health(void *obj, char *detail, size_t size) {
  test_obj *o = obj;
  gate_wait(&o->ctl->hold_health);
  art_health_status h = (art_health_status)atomic_load(&o->ctl->health);
  snprintf(detail, size, "object %d says %d", o->seq, (int)h);
  return h;
}

static inline void obj_destroy(void *obj) {
  test_obj *o = obj;
  atomic_fetch_add(&o->ctl->destroyed, 1);
  free(o);
}

static const art_child_ops obj_ops = {
    .start = obj_start, .stop = obj_stop, .health_check = obj_health, .destroy = obj_destroy};

static inline art_child_spec custom(const char *id, ctl *c, art_restart restart) {
  art_child_spec s = {.id = id, .restart = restart, .ops = &obj_ops, .factory = obj_factory};
  s.factory_arg = c;
  return s;
}

/* Stop and destroy ran exactly once per start and per object. */
static inline void assert_balanced(ctl *c) {
  assert_int_equal(atomic_load(&c->started), atomic_load(&c->stopped));
  assert_int_equal(atomic_load(&c->made), atomic_load(&c->destroyed));
}

#endif /* ART_SUP_CUSTOM_H */
