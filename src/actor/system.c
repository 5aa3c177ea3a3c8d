/* The system: creation, statistics, waiting, shutdown and destruction. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "actor/actor.h"

#ifndef ART_POOL_DEFAULT
#define ART_POOL_DEFAULT 1
#endif

#define MAX_WORKERS 256u
#define DEFAULT_MAX_ACTORS (1u << 24)
/* After the kill, how long stopped actors get to leave their current handler. */
#define KILL_GRACE_NS ART_SEC(2)

/* The system's own monitor unless the configuration brought one. */
static int create_monitor(art_system *sys) {
  if (sys->cfg.monitor) {
    sys->monitor = sys->cfg.monitor;
    return 0;
  }
  art_monitor_config mc;
  art_monitor_config_init(&mc);
  mc.allocator = sys->alloc.user;
  int rc = art_memory_monitor_create(&sys->monitor, &mc);
  sys->owns_monitor = rc == 0;
  return rc;
}

void art_system_config_init(art_system_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_actors = DEFAULT_MAX_ACTORS;
  cfg->batch = 128;
  cfg->spin_ns = ART_USEC(50);
  cfg->pool = ART_POOL_DEFAULT;
  cfg->name = "art";
}

static uint32_t online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > (long)MAX_WORKERS ? MAX_WORKERS : (uint32_t)n;
}

static void free_system(art_system *sys) {
  art__allocator alloc = sys->alloc;
  art__free_aligned(&alloc, sys->worker_epochs);
  art__free_aligned(&alloc, sys->workers);
  art__free_aligned(&alloc, sys);
}

int art_system_create(art_system **out, const art_system_config *cfg_in) {
  art_system_config cfg;
  if (cfg_in)
    cfg = *cfg_in;
  else
    art_system_config_init(&cfg);
  if (!out || cfg.workers > MAX_WORKERS || cfg.max_actors == 0 || cfg.max_actors > (1u << 31) ||
      cfg.batch == 0 || cfg.spin_ns < 0 ||
      (cfg.allocator.alloc == NULL) != (cfg.allocator.free == NULL))
    return ART_EINVAL;
  if (cfg.deterministic)
    cfg.workers = 1; /* worker 0 is whichever thread drives the system */
  else if (cfg.workers == 0)
    cfg.workers = online_cpus();

  art__allocator alloc;
  art__allocator_init(&alloc, &cfg.allocator);
  art_system *sys = art__alloc_aligned(&alloc, sizeof *sys);
  if (!sys)
    return ART_ENOMEM;
  sys->alloc = alloc;
  sys->cfg = cfg;
  snprintf(sys->name, sizeof sys->name, "%s", cfg.name ? cfg.name : "art");
  sys->cfg.name = sys->name;
  atomic_init(&sys->state, ART__SYS_RUNNING);

  int rc = ART_ENOMEM;
  sys->workers = art__alloc_aligned(&sys->alloc, cfg.workers * sizeof *sys->workers);
  sys->worker_epochs = art__alloc_aligned(&sys->alloc, cfg.workers * sizeof *sys->worker_epochs);
  if (!sys->workers || !sys->worker_epochs)
    goto fail_alloc;
  art__epoch_init(&sys->epoch, sys->worker_epochs, cfg.workers);
  if ((rc = art__pidtable_init(&sys->pids, &sys->alloc, cfg.max_actors)) != 0)
    goto fail_alloc;
  if ((rc = art__pool_init(&sys->actor_pools[0], &sys->alloc, sizeof(art__actor), cfg.pool)) != 0)
    goto fail_pids;
  if ((rc = art__pool_init(&sys->actor_pools[1], &sys->alloc,
                           sizeof(art__actor) + ART__ACTOR_INLINE_STATE, cfg.pool)) != 0) {
    art__pool_fini(&sys->actor_pools[0]);
    goto fail_pids;
  }
  if ((rc = art__pool_init(&sys->env_pool, &sys->alloc, sizeof(art__env), cfg.pool)) != 0)
    goto fail_actor_pool;
  rc = ART_ENOMEM;
  if (pthread_mutex_init(&sys->wait_lock, NULL))
    goto fail_env_pool;
  if (pthread_cond_init(&sys->wait_cond, NULL))
    goto fail_wait_lock;
  if (pthread_mutex_init(&sys->shutdown_lock, NULL))
    goto fail_wait_cond;
  if ((rc = art__timers_init(&sys->timers, &sys->alloc, cfg.deterministic, art__timer_fire, sys,
                             sys->name)) != 0)
    goto fail_shutdown_lock;
  if ((rc = art__registry_create(sys)) != 0)
    goto fail_timers;
  atomic_init(&sys->next_ref, 1);
  uint64_t seed = cfg.seed;
  if (!seed && !cfg.deterministic)
    seed = (uint64_t)art__clock_mono() ^ (uint64_t)(uintptr_t)sys;
  atomic_init(&sys->random, seed);
  if ((rc = art__sched_init(&sys->sched, sys->workers, cfg.workers, sys->name, cfg.spin_ns,
                            &sys->epoch, &sys->alloc, art__actor_run, art__actor_reclaim, sys)) !=
      0)
    goto fail_registry;
  if ((rc = create_monitor(sys)) != 0)
    goto fail_sched;
  if (!cfg.deterministic && (rc = art__sched_start(&sys->sched)) != 0)
    goto fail_monitor;
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_SYSTEM_STARTED, ART_SEVERITY_INFO, ev, {
    ev.count = cfg.workers;
    art_event_copy_text(ev.name, sizeof ev.name, sys->name);
    snprintf(ev.text, sizeof ev.text, "workers=%u batch=%u deterministic=%d", cfg.workers,
             cfg.batch, (int)cfg.deterministic);
  });
  *out = sys;
  return 0;

fail_monitor:
  if (sys->owns_monitor)
    art_monitor_destroy(sys->monitor);
fail_sched:
  art__sched_fini(&sys->sched);
fail_registry:
  art__registry_destroy(sys);
fail_timers:
  art__timers_fini(&sys->timers);
fail_shutdown_lock:
  pthread_mutex_destroy(&sys->shutdown_lock);
fail_wait_cond:
  pthread_cond_destroy(&sys->wait_cond);
fail_wait_lock:
  pthread_mutex_destroy(&sys->wait_lock);
fail_env_pool:
  art__pool_fini(&sys->env_pool);
fail_actor_pool:
  art__pool_fini(&sys->actor_pools[1]);
  art__pool_fini(&sys->actor_pools[0]);
fail_pids:
  art__pidtable_fini(&sys->pids);
fail_alloc:
  free_system(sys);
  return rc;
}

uint32_t art_system_workers(const art_system *sys) {
  return sys ? sys->cfg.workers : 0;
}

art_event_monitor *art_system_monitor(art_system *sys) {
  return sys ? sys->monitor : NULL;
}

int art_system_set_event_filter(art_system *sys, uint32_t family_mask, int min_severity) {
  if (!sys)
    return ART_EINVAL;
  int rc = art_monitor_set_filter(sys->monitor, family_mask, (art_severity)min_severity);
  if (rc)
    return rc;
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_SYSTEM_CONFIGURATION_CHANGED, ART_SEVERITY_INFO, ev, {
    art_event_copy_text(ev.name, sizeof ev.name, "event_filter");
    snprintf(ev.text, sizeof ev.text, "families=0x%x min_severity=%s", family_mask,
             art_severity_name((art_severity)min_severity));
  });
  return 0;
}

static bool on_actor_thread(art_system *sys) {
  art__actor *a = art__actor_current();
  return art__sched_current(&sys->sched) != NULL || (a && a->sys == sys);
}

int64_t art__system_drive(art_system *sys) {
  return art__sched_drive(&sys->sched);
}

/* Waits until no actor is alive or @p timeout passes. Returns 0 or ART_ETIMEDOUT. In
 * deterministic mode it runs the actors instead, and time does not pass. */
static int wait_none_alive(art_system *sys, art_duration timeout) {
  if (sys->cfg.deterministic) {
    art__system_drive(sys);
    return atomic_load(&sys->alive) ? ART_ETIMEDOUT : 0;
  }
  int64_t deadline = timeout < 0 ? INT64_MAX : art__clock_mono() + timeout;
  atomic_fetch_add(&sys->waiters, 1);
  pthread_mutex_lock(&sys->wait_lock);
  int rc = 0;
  while (atomic_load(&sys->alive) != 0) {
    int64_t now = art__clock_mono();
    if (now >= deadline) {
      rc = ART_ETIMEDOUT;
      break;
    }
    /* The condition variable uses CLOCK_REALTIME; wait in slices so a clock jump or a missed
     * broadcast costs at most one slice. */
    int64_t slice = deadline - now < ART_MSEC(100) ? deadline - now : ART_MSEC(100);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + slice;
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_cond_timedwait(&sys->wait_cond, &sys->wait_lock, &ts);
  }
  pthread_mutex_unlock(&sys->wait_lock);
  atomic_fetch_sub(&sys->waiters, 1);
  return rc;
}

int art_system_wait(art_system *sys, art_duration timeout) {
  if (!sys)
    return ART_EINVAL;
  if (on_actor_thread(sys))
    return ART_EDEADLK;
  return wait_none_alive(sys, timeout);
}

typedef struct live_actor {
  art_pid pid;
  uint64_t seq;
} live_actor;

static int by_seq_desc(const void *x, const void *y) {
  const live_actor *a = x, *b = y;
  return a->seq < b->seq ? 1 : a->seq > b->seq ? -1 : 0;
}

typedef struct live_actors {
  live_actor *list;
  uint64_t count, cap;
  art_system *sys;
  const art_exit_reason *reason;
} live_actors;

static void collect(art__actor *a, void *arg) {
  live_actors *l = arg;
  if (l->list && l->count < l->cap)
    l->list[l->count++] = (live_actor){a->pid, a->seq};
  else /* out of memory or spawned meanwhile: signal in table order */
    art_send_exit(l->sys, a->pid, l->reason);
}

/* Sends an exit signal with @p reason to every living actor, newest first. */
static void signal_all(art_system *sys, const art_exit_reason *reason) {
  live_actors l = {.sys = sys, .reason = reason, .cap = atomic_load(&sys->alive) + 64};
  l.list = art__alloc(&sys->alloc, l.cap * sizeof *l.list);
  art__actor_for_each(sys, collect, &l);
  if (!l.list)
    return;
  qsort(l.list, l.count, sizeof *l.list, by_seq_desc);
  for (uint64_t i = 0; i < l.count; i++)
    art_send_exit(sys, l.list[i].pid, reason);
  art__free(&sys->alloc, l.list);
}

int art_system_shutdown(art_system *sys, art_duration timeout) {
  if (!sys)
    return ART_EINVAL;
  if (on_actor_thread(sys))
    return ART_EDEADLK;
  pthread_mutex_lock(&sys->shutdown_lock);
  int state = atomic_load(&sys->state);
  if (state == ART__SYS_STOPPED) {
    pthread_mutex_unlock(&sys->shutdown_lock);
    return 0;
  }
  atomic_store(&sys->state, ART__SYS_STOPPING);
  int64_t started = art__clock_mono();
  art_exit_reason shutdown = art_reason_shutdown("system shutdown");
  signal_all(sys, &shutdown);
  int rc = wait_none_alive(sys, timeout);
  if (rc) {
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    signal_all(sys, &killed);
    rc = wait_none_alive(sys, KILL_GRACE_NS);
  }
  if (rc == 0) {
    art__sched_stop(&sys->sched);
    atomic_store(&sys->state, ART__SYS_STOPPED);
  }
  ART_MONITOR_EVENT(sys->monitor, ART_EVENT_SYSTEM_SHUTDOWN, ART_SEVERITY_INFO, ev, {
    ev.error_code = rc;
    ev.count = atomic_load(&sys->alive);
    ev.duration_ns = art__clock_mono() - started;
    art_event_copy_text(ev.name, sizeof ev.name, sys->name);
  });
  sys->shutdown_rc = rc;
  pthread_mutex_unlock(&sys->shutdown_lock);
  return rc;
}

void art_system_destroy(art_system *sys) {
  if (!sys)
    return;
  if (art_system_shutdown(sys, ART_SEC(5)) != 0) {
    /* An actor is stuck in a handler: its memory is in use, so wait for it. */
    wait_none_alive(sys, ART_FOREVER);
    art__sched_stop(&sys->sched);
  }
  /* Threads of dedicated actors leave right after their actor exits. */
  while (atomic_load(&sys->dedicated_running))
    sched_yield();
  /* No timer can fire into the actors any more once its thread is gone. */
  art__timers_fini(&sys->timers);
  /* No thread can read the pid table any more: free every retired actor, then the caches. */
  art__sched_reclaim_all(&sys->sched);
  art__registry_destroy(sys);
  if (sys->owns_monitor)
    art_monitor_destroy(sys->monitor);
  for (uint32_t i = 0; i < sys->cfg.workers; i++) {
    art__worker *w = &sys->workers[i];
    art__pool_cache_flush(&sys->env_pool, &w->envs);
    art__pool_cache_flush(&sys->actor_pools[0], &w->actors[0]);
    art__pool_cache_flush(&sys->actor_pools[1], &w->actors[1]);
  }
  for (uint32_t i = 0; i < ART__EPOCH_EXT_RECORDS; i++)
    art__pool_cache_flush(&sys->env_pool, &sys->ext_caches[i].envs);
  art__sched_fini(&sys->sched);
  pthread_mutex_destroy(&sys->shutdown_lock);
  pthread_cond_destroy(&sys->wait_cond);
  pthread_mutex_destroy(&sys->wait_lock);
  art__pool_fini(&sys->env_pool);
  art__pool_fini(&sys->actor_pools[1]);
  art__pool_fini(&sys->actor_pools[0]);
  art__pidtable_fini(&sys->pids);
  free_system(sys);
}

static uint64_t load(_Atomic uint64_t *c) {
  return atomic_load_explicit(c, memory_order_relaxed);
}

int art_system_stats_get(art_system *sys, art_system_stats *out) {
  if (!sys || !out)
    return ART_EINVAL;
  memset(out, 0, sizeof *out);
  out->workers = sys->cfg.workers;
  out->messages_sent = load(&sys->ext_sent);
  out->actors_spawned = load(&sys->ext_spawned);
  out->messages_handled = load(&sys->ext_handled);
  out->exits_normal = load(&sys->ext_exits_by_kind[ART_EXIT_NORMAL]);
  out->exits_shutdown = load(&sys->ext_exits_by_kind[ART_EXIT_SHUTDOWN]);
  out->exits_killed = load(&sys->ext_exits_by_kind[ART_EXIT_KILLED]);
  for (int k = ART_EXIT_ERROR; k < 8; k++)
    out->exits_error += load(&sys->ext_exits_by_kind[k]);
  for (uint32_t i = 0; i < sys->cfg.workers; i++) {
    art__worker_stats *s = &sys->workers[i].stats;
    out->messages_sent += load(&s->sent);
    out->messages_handled += load(&s->handled);
    out->actors_spawned += load(&s->spawned);
    out->exits_normal += load(&s->exits_by_kind[ART_EXIT_NORMAL]);
    out->exits_shutdown += load(&s->exits_by_kind[ART_EXIT_SHUTDOWN]);
    out->exits_killed += load(&s->exits_by_kind[ART_EXIT_KILLED]);
    for (int k = ART_EXIT_ERROR; k < 8; k++)
      out->exits_error += load(&s->exits_by_kind[k]);
    out->steals += load(&s->steals);
    out->parks += load(&s->parks);
  }
  out->actors_exited =
      out->exits_normal + out->exits_shutdown + out->exits_killed + out->exits_error;
  out->spawn_failures = load(&sys->spawn_failures);
  out->dead_letters = load(&sys->dead_letters);
  out->actors_alive = atomic_load(&sys->alive);
  return 0;
}
