/*
 * The broker object, its actor, subscriptions and statistics (see broker.h for the locking and
 * lifetime rules).
 *
 * The broker's actor monitors every subscription's pid (one monitor per subscription, set when
 * the actor takes the BROKER_MSG_WATCH that art_subscribe sends it) and removes all of a pid's
 * subscriptions when its DOWN arrives; it also turns the timers of art_broker_ask into timeouts.
 * Removing a subscription sends the actor BROKER_MSG_UNWATCH so that its monitor goes too.
 */
#include <string.h>

#include "broker/broker.h"

#define NAME_MAX_LEN 63
#define DEFAULT_CACHE 1024

void art_broker_config_init(art_broker_config *cfg) {
  if (!cfg)
    return;
  memset(cfg, 0, sizeof *cfg);
  cfg->dead_letter = ART_PID_NONE;
  cfg->cache_capacity = DEFAULT_CACHE;
  cfg->name = "broker";
}

/* ---- freeing -------------------------------------------------------------------------------- */

static void reclaim_table(art__retired *item, void *arg) {
  art_broker *b = arg;
  art__broker_table_free(&b->alloc, ART__CONTAINER_OF(item, broker_table, retired));
}

/* Frees everything: no thread can read the broker any more. */
static void broker_free(art_broker *b) {
  broker_table *t = atomic_load_explicit(&b->table, memory_order_relaxed);
  for (uint32_t i = 0; i < t->nsubs; i++)
    art__free(&b->alloc, t->subs[i]);
  art__broker_table_free(&b->alloc, t);
  while (b->retired.head) {
    art__retired *item = b->retired.head;
    b->retired.head = item->next;
    reclaim_table(item, b);
  }
  art__broker_requests_free(b);
  pthread_mutex_destroy(&b->req_lock);
  pthread_mutex_destroy(&b->lock);
  art__allocator alloc = b->alloc;
  art__free_aligned(&alloc, b);
}

static void broker_put(art_broker *b) {
  /* acq_rel: the last one to let go sees everything the other did before it let go. */
  if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
    broker_free(b);
}

/* ---- versions of the table (lock held) ------------------------------------------------------ */

/* Makes @p t the current version and retires the previous one, which takes @p doomed with it. */
static void swap_table(art_broker *b, broker_table *t, broker_sub *doomed) {
  /* seq_cst: the epoch protocol's unpublish (see core/epoch.h); publishers load it seq_cst. */
  broker_table *old = atomic_exchange(&b->table, t);
  old->doomed = doomed;
  art_system *sys = b->sys;
  art__epoch_retire(&sys->epoch, &b->retired, &old->retired);
  art__epoch_reclaim(&sys->epoch, &b->retired, reclaim_table, b);
}

typedef struct removal {
  art_sub id;  /* remove this subscription, or */
  art_pid pid; /* every subscription of this pid */
} removal;

static bool removed(const broker_sub *s, void *arg) {
  const removal *r = arg;
  return r->id ? s->id == r->id : s->pid == r->pid;
}

/*
 * Removes what @p r names, with @p reason in the events. From the broker's actor (@p ctx not
 * NULL) the monitors of the removed subscriptions are dropped directly, otherwise through a
 * message to the actor. Returns the number removed, or ART_ENOMEM (nothing changed).
 */
static int remove_subs(art_broker *b, removal *r, art_exit_kind reason, art_ctx *ctx) {
  broker_table *old = atomic_load_explicit(&b->table, memory_order_relaxed);
  broker_sub *doomed = NULL;
  broker_table *t =
      art__broker_table_build(&b->alloc, old, NULL, removed, r, b->cache_capacity, &doomed);
  if (!t)
    return ART_ENOMEM;
  int count = (int)(old->nsubs - t->nsubs);
  if (count == 0) {
    art__broker_table_free(&b->alloc, t);
    return 0;
  }
  for (broker_sub *s = doomed; s; s = s->next_doomed) {
    if (s->ref && ctx)
      art_demonitor(ctx, s->ref);
    else if (s->ref && !atomic_load(&b->actor_gone))
      art__send(b->sys, b->actor, art__sender(b->sys), BROKER_MSG_UNWATCH,
                &(art_send_args){.data = &s->ref, .size = sizeof s->ref});
    ART_MONITOR_EVENT(b->sys->monitor, ART_EVENT_BROKER_SUBSCRIBER_REMOVED, ART_SEVERITY_DEBUG, ev,
                      {
                        ev.pid = s->pid;
                        ev.reason = (uint8_t)reason;
                        art_event_copy_text(ev.topic, sizeof ev.topic, s->pattern);
                      });
  }
  b->unsubscribed += (uint64_t)count;
  swap_table(b, t, doomed);
  return count;
}

/* ---- the broker's actor --------------------------------------------------------------------- */

/* Monitors the pid of subscription @p id, if it is still subscribed. */
static void watch(art_ctx *ctx, art_broker *b, art_sub id) {
  pthread_mutex_lock(&b->lock);
  broker_sub *s = art__broker_table_find(atomic_load_explicit(&b->table, memory_order_relaxed), id);
  art_ref ref;
  if (s && !s->ref && art_monitor(ctx, s->pid, &ref) == 0)
    s->ref = ref;
  pthread_mutex_unlock(&b->lock);
}

static void subscriber_down(art_ctx *ctx, art_broker *b, const art_down_msg *down) {
  removal r = {.pid = down->pid};
  pthread_mutex_lock(&b->lock);
  int n = remove_subs(b, &r, down->reason.kind, ctx);
  if (n > 0)
    b->removed_on_exit += (uint64_t)n;
  pthread_mutex_unlock(&b->lock);
  art_ref retry;
  if (n == ART_ENOMEM) /* try again later: a monitor of a dead pid is a DOWN at once */
    art_monitor(ctx, down->pid, &retry);
}

static int actor_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  art_broker *b = state;
  switch (msg->type) {
  case BROKER_MSG_WATCH: {
    art_sub id;
    memcpy(&id, msg->data, sizeof id);
    watch(ctx, b, id);
    break;
  }
  case BROKER_MSG_UNWATCH: {
    art_ref ref;
    memcpy(&ref, msg->data, sizeof ref);
    art_demonitor(ctx, ref);
    break;
  }
  case BROKER_MSG_TIMEOUT: {
    uint64_t correlation;
    memcpy(&correlation, msg->data, sizeof correlation);
    art__broker_request_timeout(b, art_self(ctx), correlation);
    break;
  }
  case ART_MSG_DOWN:
    subscriber_down(ctx, b, msg->data);
    break;
  default:
    break;
  }
  return 0;
}

static void actor_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  art_broker *b = state;
  art__broker_requests_cancel_timers(b);
  atomic_store(&b->actor_gone, true);
  broker_put(b);
}

static const art_actor_ops actor_ops = {.handle = actor_handle, .post_stop = actor_stop};

/* ---- create and destroy --------------------------------------------------------------------- */

int art_broker_create(art_system *sys, const art_broker_config *cfg_in, art_broker **out) {
  art_broker_config cfg;
  if (cfg_in)
    cfg = *cfg_in;
  else
    art_broker_config_init(&cfg);
  if (!sys || !out || (cfg.name && strlen(cfg.name) > NAME_MAX_LEN) ||
      (cfg.allocator.alloc == NULL) != (cfg.allocator.free == NULL))
    return ART_EINVAL;
  art__allocator alloc;
  if (cfg.allocator.alloc)
    art__allocator_init(&alloc, &cfg.allocator);
  else
    alloc = sys->alloc;
  art_broker *b = art__alloc_aligned(&alloc, sizeof *b);
  if (!b)
    return ART_ENOMEM;
  b->sys = sys;
  b->alloc = alloc;
  b->dead_letter = cfg.dead_letter;
  b->cache_capacity = cfg.cache_capacity;
  art__retire_list_init(&b->retired);
  int rc = ART_ENOMEM;
  broker_sub *none = NULL;
  broker_table *empty = art__broker_table_build(&alloc, NULL, NULL, NULL, NULL, 0, &none);
  if (!empty)
    goto fail_block;
  atomic_init(&b->table, empty);
  if (pthread_mutex_init(&b->lock, NULL))
    goto fail_table;
  if (pthread_mutex_init(&b->req_lock, NULL))
    goto fail_lock;
  atomic_init(&b->refs, 2); /* the user's and the actor's */
  art_spawn_opts opts = {.ops = &actor_ops, .state = b, .name = cfg.name ? cfg.name : "broker"};
  if ((rc = art_spawn(sys, &opts, &b->actor)) != 0)
    goto fail_req_lock;
  *out = b;
  return 0;

fail_req_lock:
  pthread_mutex_destroy(&b->req_lock);
fail_lock:
  pthread_mutex_destroy(&b->lock);
fail_table:
  art__broker_table_free(&alloc, empty);
fail_block:
  art__free_aligned(&alloc, b);
  return rc;
}

void art_broker_destroy(art_broker *broker) {
  if (!broker)
    return;
  /* Once the actor is gone the system may be too: touch it only while the actor lives. */
  if (!atomic_load(&broker->actor_gone)) {
    art_exit_reason shutdown = art_reason_shutdown("broker destroyed");
    art_send_exit(broker->sys, broker->actor, &shutdown);
  }
  broker_put(broker);
}

/* ---- subscriptions -------------------------------------------------------------------------- */

int art_subscribe(art_broker *broker, const char *pattern, art_pid pid, art_sub *out) {
  broker_topic_info info;
  if (!broker || pid == ART_PID_NONE)
    return ART_EINVAL;
  int rc = art__broker_topic_scan(pattern, ART_TOPIC_PATTERN, &info);
  if (rc)
    return rc;
  art_broker *b = broker;
  if (atomic_load(&b->actor_gone))
    return ART_ESHUTDOWN;
  if (!art_is_alive(b->sys, pid))
    return ART_ESRCH;
  broker_sub *s = art__alloc(&b->alloc, sizeof *s + info.len + 1);
  if (!s)
    return ART_ENOMEM;
  memset(s, 0, sizeof *s);
  s->pid = pid;
  s->hash = info.hash;
  s->len = (uint16_t)info.len;
  s->wildcard = info.wildcard;
  memcpy(s->pattern, pattern, info.len + 1);

  pthread_mutex_lock(&b->lock);
  s->id = ++b->next_id;
  broker_sub *none = NULL;
  broker_table *old = atomic_load_explicit(&b->table, memory_order_relaxed);
  broker_table *t =
      art__broker_table_build(&b->alloc, old, s, NULL, NULL, b->cache_capacity, &none);
  rc = t ? 0 : ART_ENOMEM;
  /* The actor learns of the subscription before it is published; it takes the lock to look at
   * it, so it sees it (or sees it gone). */
  if (rc == 0) {
    art_send_args args = {.data = &s->id, .size = sizeof s->id};
    rc = art__send(b->sys, b->actor, art__sender(b->sys), BROKER_MSG_WATCH, &args);
    if (rc == ART_ESRCH)
      rc = ART_ESHUTDOWN;
  }
  if (rc) {
    pthread_mutex_unlock(&b->lock);
    art__broker_table_free(&b->alloc, t);
    art__free(&b->alloc, s);
    return rc;
  }
  art_sub id = s->id;
  b->subscribed++;
  ART_MONITOR_EVENT(b->sys->monitor, ART_EVENT_BROKER_SUBSCRIBER_ADDED, ART_SEVERITY_DEBUG, ev, {
    ev.pid = pid;
    art_event_copy_text(ev.topic, sizeof ev.topic, pattern);
  });
  swap_table(b, t, NULL);
  pthread_mutex_unlock(&b->lock);
  if (out)
    *out = id;
  return 0;
}

static int remove_locked(art_broker *b, removal *r) {
  pthread_mutex_lock(&b->lock);
  int n = remove_subs(b, r, ART_EXIT_NORMAL, NULL);
  pthread_mutex_unlock(&b->lock);
  return n;
}

int art_unsubscribe(art_broker *broker, art_sub sub) {
  if (!broker)
    return ART_EINVAL;
  if (sub == 0)
    return ART_ENOENT;
  removal r = {.id = sub};
  int n = remove_locked(broker, &r);
  return n < 0 ? n : n == 0 ? ART_ENOENT : 0;
}

int art_unsubscribe_pid(art_broker *broker, art_pid pid) {
  if (!broker || pid == ART_PID_NONE)
    return ART_EINVAL;
  removal r = {.pid = pid};
  return remove_locked(broker, &r);
}

/* ---- statistics ----------------------------------------------------------------------------- */

static uint64_t sum(art_broker *b, size_t offset) {
  uint64_t total = 0;
  for (int i = 0; i < BROKER_STRIPES; i++)
    total += atomic_load_explicit((_Atomic uint64_t *)(void *)((char *)&b->counters[i] + offset),
                                  memory_order_relaxed);
  return total;
}

int art_broker_stats_get(art_broker *broker, art_broker_stats *out) {
  if (!broker || !out)
    return ART_EINVAL;
  art_broker *b = broker;
  memset(out, 0, sizeof *out);
#define SUM(field) out->field = sum(b, offsetof(broker_counters, field))
  SUM(published);
  SUM(delivered);
  SUM(dead_letters);
  SUM(routing_failures);
  SUM(requests);
  SUM(replies);
  SUM(late_replies);
  SUM(timeouts);
  SUM(cache_hits);
  SUM(cache_misses);
#undef SUM
  pthread_mutex_lock(&b->lock);
  out->subscriptions = atomic_load_explicit(&b->table, memory_order_relaxed)->nsubs;
  out->subscribed = b->subscribed;
  out->unsubscribed = b->unsubscribed;
  out->removed_on_exit = b->removed_on_exit;
  pthread_mutex_unlock(&b->lock);
  return 0;
}
