/*
 * Request and reply over topics.
 *
 * A request is registered under its correlation id in the pending hash before it is published,
 * so no reply can come too early. Whoever takes the entry out of the hash (under req_lock)
 * decides how the request ends: the first reply, the timeout, or the requester giving up. The
 * others find nothing: a reply then is late (counted, dropped), a timeout does nothing.
 *
 * From an actor (art_broker_ask), the timeout is a timer that sends BROKER_MSG_TIMEOUT to the
 * broker's actor, which takes the entry and sends the requester ART_MSG_TIMEOUT; a reply takes
 * the entry, sends the requester the reply with the request's correlation and cancels the
 * timer. Either puts the entry back when its send fails for lack of memory (the timeout with a
 * new timer), so the requester never gets nothing. The timer is armed after the publish, so a
 * request that nobody took never has one. From a plain thread (art_broker_request), the entry
 * points to a waiter on the caller's stack: the reply is copied into the caller's buffer by the
 * replier, which then posts the waiter's token; a caller that times out takes the entry itself, and
 * one that finds it taken waits for the post, which is on its way.
 */
#include <string.h>

#include "broker/broker.h"

#define INITIAL_BUCKETS 16u

typedef struct broker_waiter {
  art__token done;
  art_call_reply *reply;
  int rc;
} broker_waiter;

struct broker_request {
  broker_request *next;
  uint64_t correlation;
  art_pid requester;     /* art_broker_ask: the actor */
  art_timer timer;       /* art_broker_ask: its timeout, 0 until armed */
  broker_waiter *waiter; /* art_broker_request: the blocked caller */
};

static uint64_t new_correlation(art_system *sys) {
  uint64_t id = atomic_fetch_add_explicit(&sys->next_ref, 1, memory_order_relaxed);
  return ART_CORRELATION_REQUEST | (id & ~ART_CORRELATION_RESERVED);
}

static uint32_t bucket_of(const art_broker *b, uint64_t correlation) {
  return (uint32_t)(correlation * UINT64_C(0x9e3779b97f4a7c15) >> 32) & b->req_mask;
}

/* req_lock held. Doubles the buckets when the hash is as full as it has buckets. */
static int grow(art_broker *b) {
  if (b->req_buckets && b->req_count < b->req_mask + 1)
    return 0;
  uint32_t n = b->req_buckets ? 2 * (b->req_mask + 1) : INITIAL_BUCKETS;
  broker_request **buckets = art__calloc(&b->alloc, n * sizeof *buckets);
  if (!buckets)
    return b->req_buckets ? 0 : ART_ENOMEM; /* a fuller hash still works */
  broker_request **old = b->req_buckets;
  uint32_t old_n = old ? b->req_mask + 1 : 0;
  b->req_buckets = buckets;
  b->req_mask = n - 1;
  for (uint32_t i = 0; i < old_n; i++) {
    for (broker_request *r = old[i], *next; r; r = next) {
      next = r->next;
      broker_request **head = &buckets[bucket_of(b, r->correlation)];
      r->next = *head;
      *head = r;
    }
  }
  art__free(&b->alloc, old);
  return 0;
}

static int insert(art_broker *b, broker_request *r) {
  pthread_mutex_lock(&b->req_lock);
  int rc = grow(b);
  if (rc == 0) {
    broker_request **head = &b->req_buckets[bucket_of(b, r->correlation)];
    r->next = *head;
    *head = r;
    b->req_count++;
  }
  pthread_mutex_unlock(&b->req_lock);
  return rc;
}

/* req_lock held. The link that points to the entry of @p correlation, or NULL. */
static broker_request **find_locked(art_broker *b, uint64_t correlation) {
  if (!b->req_buckets)
    return NULL;
  for (broker_request **p = &b->req_buckets[bucket_of(b, correlation)]; *p; p = &(*p)->next)
    if ((*p)->correlation == correlation)
      return p;
  return NULL;
}

/* req_lock held. Unlinks the entry that @p link points to and returns it. */
static broker_request *unlink_locked(art_broker *b, broker_request **link) {
  broker_request *r = *link;
  *link = r->next;
  b->req_count--;
  return r;
}

static broker_request *take(art_broker *b, uint64_t correlation) {
  pthread_mutex_lock(&b->req_lock);
  broker_request **link = find_locked(b, correlation);
  broker_request *r = link ? unlink_locked(b, link) : NULL;
  pthread_mutex_unlock(&b->req_lock);
  return r;
}

static void count(art_broker *b, size_t offset) {
  broker_counters *c = art__broker_counters(b);
  atomic_fetch_add_explicit((_Atomic uint64_t *)(void *)((char *)c + offset), 1,
                            memory_order_relaxed);
}
#define COUNT(b, field) count((b), offsetof(broker_counters, field))

/* Registers a request and publishes it. Returns 0 with the entry still registered, or an error
 * with the entry freed (ART_ESRCH if nobody took the request). */
static int publish_request(art_broker *b, broker_request *r, const char *topic, art_pid sender,
                           uint32_t type, const void *data, size_t size) {
  int rc = insert(b, r);
  if (rc) {
    art__free(&b->alloc, r);
    return rc;
  }
  size_t delivered;
  rc = art__broker_route(b, topic, sender, type, data, size, r->correlation, &delivered);
  if (rc || delivered == 0) {
    /* Nobody has it, so nobody can have replied: the entry is still there. */
    art__free(&b->alloc, take(b, r->correlation));
    return rc ? rc : ART_ESRCH;
  }
  COUNT(b, requests);
  return 0;
}

int art_broker_ask(art_ctx *ctx, art_broker *broker, const char *topic, uint32_t type,
                   const void *data, size_t size, art_duration timeout, uint64_t *correlation) {
  if (!ctx || !broker || art_ctx_system(ctx) != broker->sys || timeout < 0)
    return ART_EINVAL;
  art_broker *b = broker;
  int rc = art_broker_topic_check(topic, 0);
  if (rc)
    return rc;
  broker_request *r = art__calloc(&b->alloc, sizeof *r);
  if (!r)
    return ART_ENOMEM;
  uint64_t corr = new_correlation(b->sys);
  r->correlation = corr;
  r->requester = art_self(ctx);
  if ((rc = publish_request(b, r, topic, r->requester, type, data, size)) != 0)
    return rc;
  art_timer timer;
  rc = art_send_after(b->sys, b->actor, timeout, BROKER_MSG_TIMEOUT, &corr, sizeof corr, &timer);
  pthread_mutex_lock(&b->req_lock);
  broker_request **still = find_locked(b, corr); /* the entry, if no reply came yet */
  if (still && rc == 0)
    (*still)->timer = timer;
  else if (still) /* no timer: end the request now; a reply will be late */
    art__free(&b->alloc, unlink_locked(b, still));
  pthread_mutex_unlock(&b->req_lock);
  if (!still) { /* answered already: the reply is on its way */
    if (rc == 0)
      art_timer_cancel(b->sys, timer);
    rc = 0;
  }
  if (rc)
    return rc;
  if (correlation)
    *correlation = corr;
  return 0;
}

int art_broker_request(art_broker *broker, const char *topic, uint32_t type, const void *data,
                       size_t size, art_duration timeout, art_call_reply *reply) {
  if (!broker || !reply || (!reply->data && reply->capacity))
    return ART_EINVAL;
  art_broker *b = broker;
  art_system *sys = b->sys;
  if (art__actor_current() || art__sched_current(&sys->sched))
    return ART_EDEADLK;
  broker_waiter w = {.reply = reply};
  broker_request *r = art__calloc(&b->alloc, sizeof *r);
  if (!r)
    return ART_ENOMEM;
  r->correlation = new_correlation(sys);
  r->waiter = &w;
  uint64_t corr = r->correlation;
  int rc = publish_request(b, r, topic, ART_PID_NONE, type, data, size);
  if (rc)
    return rc;
  int posted = 0;
  if (sys->cfg.deterministic)
    art__system_drive(sys);
  else
    posted = art__token_wait(&w.done, timeout);
  if (!posted) {
    broker_request *mine = take(b, corr);
    if (mine) {
      art__free(&b->alloc, mine);
      COUNT(b, timeouts);
      return ART_ETIMEDOUT;
    }
    art__token_wait(&w.done, -1); /* a replier took it: its post is on its way */
  }
  return w.rc;
}

int art_broker_reply(art_broker *broker, const art_msg *request, uint32_t type, const void *data,
                     size_t size) {
  /* Only the correlation is needed, so a copy of the request kept for a later answer will do. */
  if (!broker || !request || !(request->correlation & ART_CORRELATION_REQUEST) ||
      type >= ART_MSG_RESERVED || size > UINT32_MAX || (!data && size))
    return ART_EINVAL;
  art_broker *b = broker;
  broker_request *r = take(b, request->correlation);
  if (!r) {
    COUNT(b, late_replies);
    return ART_ENOENT;
  }
  COUNT(b, replies);
  int rc = 0;
  if (r->waiter) {
    broker_waiter *w = r->waiter;
    art_call_reply *out = w->reply;
    out->type = type;
    out->size = size;
    size_t n = size < out->capacity ? size : out->capacity;
    if (n)
      memcpy(out->data, data, n);
    w->rc = size > out->capacity ? ART_ERANGE : 0;
    art__token_post(&w->done); /* the last touch of the waiter, which may return at once */
  } else {
    art_send_args args = {.data = data, .size = size, .correlation = r->correlation};
    rc = art__send(b->sys, r->requester, art__sender(b->sys), type, &args);
    if (rc == ART_ENOMEM && insert(b, r) == 0) {
      /* Pending again, its timer still armed: the requester gets a later reply or the
       * timeout, never nothing. */
      return rc;
    }
    if (r->timer)
      art_timer_cancel(b->sys, r->timer);
  }
  art__free(&b->alloc, r);
  return rc;
}

/* Ends an ask that ran out of time. The broker's actor calls it (@p self) when the ask's timer
 * fires. */
void art__broker_request_timeout(art_broker *b, art_pid self, uint64_t correlation) {
  broker_request *r = take(b, correlation);
  if (!r)
    return; /* answered first */
  int rc = art__send(b->sys, r->requester, ART_PID_NONE, ART_MSG_TIMEOUT,
                     &(art_send_args){.correlation = correlation});
  if (rc == ART_ENOMEM) {
    /* Try again in a millisecond, with the request pending meanwhile (a reply may still win).
     * The timer is set before the entry is back in the hash, where a reply could take it: its
     * message comes to this actor, which is busy here until then. */
    art_timer timer;
    if (art_send_after(b->sys, self, ART_MSEC(1), BROKER_MSG_TIMEOUT, &correlation,
                       sizeof correlation, &timer) == 0) {
      r->timer = timer;
      if (insert(b, r) == 0)
        return;
      art_timer_cancel(b->sys, timer);
    }
  }
  COUNT(b, timeouts);
  art__free(&b->alloc, r);
}

void art__broker_requests_cancel_timers(art_broker *b) {
  pthread_mutex_lock(&b->req_lock);
  for (uint32_t i = 0; b->req_buckets && i <= b->req_mask; i++)
    for (broker_request *r = b->req_buckets[i]; r; r = r->next)
      if (r->timer) {
        art_timer_cancel(b->sys, r->timer);
        r->timer = 0;
      }
  pthread_mutex_unlock(&b->req_lock);
}

void art__broker_requests_free(art_broker *b) {
  for (uint32_t i = 0; b->req_buckets && i <= b->req_mask; i++) {
    for (broker_request *r = b->req_buckets[i], *next; r; r = next) {
      next = r->next;
      art__free(&b->alloc, r);
    }
  }
  art__free(&b->alloc, b->req_buckets);
  b->req_buckets = NULL;
}
