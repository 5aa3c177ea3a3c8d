/*
 * Publishing: route a message to the subscribers of its topic, dead letters, and the topic of a
 * delivered message.
 *
 * The payload and the topic are copied once into a block shared by every delivery of the
 * publish: [broker_payload][payload][topic NUL]. Each envelope moves a pointer to the payload
 * with payload_release as its free_fn, which is also how art_broker_topic() recognises a
 * broker's message and finds the header just before the payload. The block's count starts at
 * the number of deliveries plus the publisher's own hold, so it cannot be freed during the
 * fan-out; the publisher gives back its hold and the shares of failed deliveries at the end.
 */
#include <string.h>

#include "broker/broker.h"

typedef struct broker_payload {
  _Atomic uint32_t refs;
  uint32_t size;
  art__allocator alloc; /* a copy: the block may outlive the broker */
} broker_payload;

/* The payload right after the header keeps the allocator's alignment (malloc's 16 bytes). */
_Static_assert(sizeof(broker_payload) % 16 == 0, "the payload stays aligned");

static void payload_put(broker_payload *p, uint32_t n) {
  if (n == 0)
    return;
  /* acq_rel: every holder's reads of the block happen before the last one frees it. */
  if (atomic_fetch_sub_explicit(&p->refs, n, memory_order_acq_rel) == n) {
    art__allocator alloc = p->alloc;
    art__free(&alloc, p);
  }
}

/* The free_fn of every broker envelope. */
static void payload_release(void *data) {
  payload_put((broker_payload *)data - 1, 1);
}

static broker_payload *payload_new(art_broker *b, const char *topic, size_t topic_len,
                                   const void *data, size_t size, uint32_t refs) {
  broker_payload *p = art__alloc(&b->alloc, sizeof *p + size + topic_len + 1);
  if (!p)
    return NULL;
  atomic_init(&p->refs, refs);
  p->size = (uint32_t)size;
  p->alloc = b->alloc;
  char *body = (char *)(p + 1);
  if (size)
    memcpy(body, data, size);
  memcpy(body + size, topic, topic_len + 1);
  return p;
}

const char *art_broker_topic(const art_msg *msg) {
  if (!msg)
    return NULL;
  /* A handler's message is the msg field of its envelope. */
  const art__env *env = ART__CONTAINER_OF(msg, const art__env, msg);
  if (env->free_fn != payload_release)
    return NULL;
  const broker_payload *p = (const broker_payload *)msg->data - 1;
  return (const char *)msg->data + p->size;
}

bool art_broker_is_request(const art_msg *msg) {
  return art_broker_topic(msg) != NULL && (msg->correlation & ART_CORRELATION_REQUEST) != 0;
}

broker_counters *art__broker_counters(art_broker *b) {
  static _Atomic uint32_t next_stripe;
  static ART__THREAD_LOCAL uint32_t stripe; /* 1 + the stripe of this thread, 0 until chosen */
  if (ART__UNLIKELY(!stripe))
    stripe = 1 + atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) % BROKER_STRIPES;
  return &b->counters[stripe - 1];
}

/* Reports a publish nobody took (@p to is ART_PID_NONE) or a delivery to @p to that failed with
 * @p err, and forwards it to the dead-letter actor. Returns whether the forward took the
 * caller's share of the payload. */
static bool dead_letter(art_broker *b, art__fanout *f, const char *topic, art_pid to,
                        art_pid sender, uint32_t type, int err, const art_send_args *args) {
  art_event_monitor *mon = b->sys->monitor;
  if (err)
    ART_MONITOR_EVENT(mon, ART_EVENT_BROKER_ROUTING_FAILED, ART_SEVERITY_WARNING, ev, {
      ev.pid = to;
      ev.other = sender;
      ev.error_code = err;
      ev.count = type;
      art_event_copy_text(ev.topic, sizeof ev.topic, topic);
      art_event_copy_text(ev.text, sizeof ev.text, art_strerror(err));
    });
  else
    ART_MONITOR_EVENT(mon, ART_EVENT_BROKER_DEAD_LETTER, ART_SEVERITY_WARNING, ev, {
      ev.other = sender;
      ev.count = type;
      art_event_copy_text(ev.topic, sizeof ev.topic, topic);
    });
  if (b->dead_letter == ART_PID_NONE || b->dead_letter == to)
    return false;
  int rc = art__fanout_send(f, b->dead_letter, sender, type, args);
  return rc == 0 || rc == ART__FANOUT_DROPPED;
}

int art__broker_route(art_broker *b, const char *topic, art_pid sender, uint32_t type,
                      const void *data, size_t size, uint64_t correlation, size_t *delivered) {
  if (delivered)
    *delivered = 0;
  broker_topic_info info;
  int rc = art__broker_topic_scan(topic, 0, &info);
  if (rc)
    return rc;
  if (type >= ART_MSG_RESERVED || (!data && size))
    return ART_EINVAL;
  if (size > UINT32_MAX)
    return ART_ERANGE;
  art__fanout f;
  if ((rc = art__fanout_begin(&f, b->sys)) != 0)
    return rc;
  /* seq_cst: the epoch protocol's pair with the writer's swap (see core/epoch.h). */
  broker_table *t = atomic_load(&b->table);
  broker_match m;
  void *owned;
  int route = art__broker_table_route(&b->alloc, t, topic, &info, &m, &owned);
  if (route < 0) {
    art__fanout_end(&f);
    return route;
  }
  /* Shares: one per subscriber, the publisher's hold, and one for the dead letter of a publish
   * nobody took. */
  uint32_t shares = m.count + 1 + (m.count == 0);
  broker_payload *p = NULL;
  if (m.count || b->dead_letter != ART_PID_NONE) {
    p = payload_new(b, topic, info.len, data, size, shares);
    if (!p) {
      art__fanout_end(&f);
      art__free(&b->alloc, owned);
      return ART_ENOMEM;
    }
  }
  art_send_args args = {.data = p ? p + 1 : NULL,
                        .size = size,
                        .free_fn = payload_release,
                        .correlation = correlation};
  art_event_monitor *mon = b->sys->monitor;
  bool routed_event = ART_MONITOR_WANTS(mon, ART_EVENT_BROKER_MESSAGE_ROUTED, ART_SEVERITY_TRACE);
  uint32_t kept = 1, done = 0, failed = 0; /* shares still held; deliveries; failures */
  for (uint32_t i = 0; i < m.count; i++) {
    art_pid to = m.pids[i];
    rc = art__fanout_send(&f, to, sender, type, &args);
    if (ART__LIKELY(rc == 0)) {
      done++;
      if (ART__UNLIKELY(routed_event))
        ART_MONITOR_EVENT(mon, ART_EVENT_BROKER_MESSAGE_ROUTED, ART_SEVERITY_TRACE, ev, {
          ev.pid = to;
          ev.other = sender;
          ev.count = type;
          art_event_copy_text(ev.topic, sizeof ev.topic, topic);
        });
    } else if (rc < 0) {
      failed++;
      if (!dead_letter(b, &f, topic, to, sender, type, rc, &args))
        kept++;
    } /* else dropped by a full mailbox's policy: its share was given back */
  }
  if (m.count == 0 && !(p && dead_letter(b, &f, topic, ART_PID_NONE, sender, type, 0, &args)))
    kept++;
  art__fanout_end(&f);
  if (p)
    payload_put(p, kept);
  art__free(&b->alloc, owned);

  broker_counters *c = art__broker_counters(b);
  atomic_fetch_add_explicit(&c->published, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(route == BROKER_ROUTE_SCAN ? &c->cache_misses : &c->cache_hits, 1,
                            memory_order_relaxed);
  if (done)
    atomic_fetch_add_explicit(&c->delivered, done, memory_order_relaxed);
  if (failed || m.count == 0)
    atomic_fetch_add_explicit(&c->dead_letters, failed + (m.count == 0), memory_order_relaxed);
  if (failed)
    atomic_fetch_add_explicit(&c->routing_failures, failed, memory_order_relaxed);
  ART_MONITOR_EVENT(mon, ART_EVENT_BROKER_MESSAGE_PUBLISHED, ART_SEVERITY_TRACE, ev, {
    ev.pid = sender;
    ev.count = done;
    art_event_copy_text(ev.topic, sizeof ev.topic, topic);
  });
  if (delivered)
    *delivered = done;
  return 0;
}

int art_publish(art_broker *broker, const char *topic, uint32_t type, const void *data, size_t size,
                size_t *delivered) {
  if (delivered)
    *delivered = 0;
  if (!broker)
    return ART_EINVAL;
  return art__broker_route(broker, topic, art__sender(broker->sys), type, data, size, 0, delivered);
}
