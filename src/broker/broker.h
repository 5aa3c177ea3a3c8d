/*
 * The broker, private part: topics (topic.c), versions of the subscription table with their
 * match caches (table.c), the broker object and its actor (broker.c), publishing (publish.c),
 * requests (request.c).
 *
 * Owns: the current table version and the versions retired but not yet freed, the subscription
 * records, the pending requests, and the counters.
 *
 * Locking: publishers take no lock. They read the current version (an immutable snapshot,
 * swapped with one atomic store) inside the system's epoch section, as pid lookups are read:
 * workers are always inside one, other threads hold an external epoch record for the length of
 * the publish. Writers (subscribe, unsubscribe, the broker actor removing an exited subscriber)
 * serialise on `lock`, build the next version, publish it, and retire the old one to the
 * system's epoch; it is freed once no publisher can still read it. Pending requests live in a
 * hash under `req_lock`, taken once per request, reply and timeout. Lock order: `lock`, then
 * `req_lock`; neither is held across a call that can take the other.
 *
 * Lifetime: the broker is shared by its user and its actor (`refs`); whichever lets go last frees
 * it. The actor lets go in post_stop (broker destroyed, or system shut down); once it is gone
 * (`actor_gone`), the broker never touches the system again, so it may be destroyed even after
 * art_system_destroy(). A payload block is shared by the deliveries of one publish and frees
 * itself when the last is handled; it owns a copy of the allocator, so it may outlive the
 * broker.
 */
#ifndef ART_BROKER_BROKER_H
#define ART_BROKER_BROKER_H

#include <pthread.h>

#include "actor/actor.h"
#include "art/broker.h"
#include "art/link.h"
#include "art/timer.h"

/* ---- topics (topic.c) ------------------------------------------------------------------- */

/* What a topic check learned in one pass. */
typedef struct broker_topic_info {
  size_t len;
  uint32_t segments;
  bool wildcard; /* holds `*` or `>` (patterns only) */
  uint64_t hash;
} broker_topic_info;

/* Checks @p topic (ART_TOPIC_PATTERN in @p flags for a pattern) and describes it. Returns 0,
 * ART_EINVAL or ART_ERANGE, as art_broker_topic_check(). */
int art__broker_topic_scan(const char *topic, uint32_t flags, broker_topic_info *info);
/* Whether the valid pattern @p p (length @p plen) matches the valid topic @p t (length @p tlen). */
bool art__broker_topic_match(const char *p, size_t plen, const char *t, size_t tlen);

/* ---- the subscription table (table.c) ------------------------------------------------------ */

/* A subscription: immutable once a version holds it, except `ref` (under the broker's lock).
 * Shared by the versions that hold it; freed with the first version retired without it. */
typedef struct broker_sub {
  art_sub id;
  art_pid pid;
  uint64_t hash; /* of the pattern */
  art_ref ref;   /* the broker actor's monitor of pid for this subscription; 0 until set */
  struct broker_sub *next_doomed;
  uint16_t len;
  bool wildcard;
  char pattern[];
} broker_sub;

/* The subscribers of one topic: a cache entry, or an entry of the index of exact patterns. */
typedef struct broker_match {
  uint64_t hash;
  const char *topic; /* for a cache entry, the copy after pids */
  uint32_t len;
  uint32_t count;
  art_pid *pids;
} broker_match;

/* One version of the subscription table; immutable once published, except the match cache,
 * whose slots the first publisher that misses allocates (one CAS on `cache`) and publishers
 * fill with one CAS per slot. */
typedef struct broker_table {
  art__retired retired;
  uint32_t nsubs;
  broker_sub **subs; /* every subscription, by id (ids only grow) */
  uint32_t nwild;
  broker_sub **wild; /* the subscriptions with wildcards, by id */
  uint32_t exact_mask;
  broker_match *exact;             /* open addressing by hash; entries with count 0 are free */
  uint32_t cache_mask, cache_room; /* cache_mask 0: no cache for this version */
  /* the slots, NULL until the first miss; NULL slots are free; entries freed with the version */
  _Atomic(_Atomic(broker_match *) *) cache;
  _Atomic uint32_t cache_used;
  broker_sub *doomed; /* subscriptions to free with this version (dropped by the next one) */
} broker_table;

/* Builds the version that follows @p old (may be NULL) with @p add (may be NULL) added and the
 * subscriptions for which @p drop returns true left out; doomed ones are linked to
 * *@p dropped. Returns NULL when out of memory (nothing changed). */
broker_table *art__broker_table_build(const art__allocator *a, const broker_table *old,
                                      broker_sub *add, bool (*drop)(const broker_sub *, void *),
                                      void *drop_arg, uint32_t cache_capacity,
                                      broker_sub **dropped);
/* Frees @p t, its cache entries and its doomed subscriptions. */
void art__broker_table_free(const art__allocator *a, broker_table *t);
/* The subscription @p id in @p t, or NULL. */
broker_sub *art__broker_table_find(const broker_table *t, art_sub id);

/* How art__broker_table_route found the subscribers. */
enum { BROKER_ROUTE_INDEX, BROKER_ROUTE_CACHE, BROKER_ROUTE_SCAN };

/*
 * The subscribers of @p topic in @p t: from the index of exact patterns when the version has
 * no wildcard, else from the match cache, else matched (and cached if there is room). *m
 * describes them; when the result is a temporary the caller frees *owned afterwards. Returns a
 * BROKER_ROUTE_*, or ART_ENOMEM.
 */
int art__broker_table_route(const art__allocator *a, broker_table *t, const char *topic,
                            const broker_topic_info *info, broker_match *m, void **owned);

/* ---- the broker --------------------------------------------------------------------------- */

/* Counters, striped over cache lines so that publishers on different threads do not share one. */
#define BROKER_STRIPES 8

typedef struct broker_counters {
  ART__ALIGNED_LINE _Atomic uint64_t published;
  _Atomic uint64_t delivered, dead_letters, routing_failures, requests, replies, late_replies,
      timeouts, cache_hits, cache_misses;
} broker_counters;

typedef struct broker_request broker_request;

struct art_broker {
  art_system *sys;
  art__allocator alloc;
  art_pid dead_letter;
  uint32_t cache_capacity;
  art_pid actor; /* the broker's actor */
  _Atomic int refs;
  _Atomic bool actor_gone;
  _Atomic(broker_table *) table;

  pthread_mutex_t lock; /* writers: the next version, retired versions, next_id, refs of subs */
  art__retire_list retired;
  art_sub next_id;
  uint64_t subscribed, unsubscribed, removed_on_exit;

  pthread_mutex_t req_lock; /* the pending requests */
  broker_request **req_buckets;
  uint32_t req_mask, req_count;

  broker_counters counters[BROKER_STRIPES];
};

/* Message types of the broker's actor (below ART_MSG_RESERVED, so that a timer can send one). */
enum {
  BROKER_MSG_WATCH = 0x42520001u, /* data: art_sub, a new subscription to monitor */
  BROKER_MSG_UNWATCH,             /* data: art_ref, a monitor no longer needed */
  BROKER_MSG_TIMEOUT,             /* data: uint64_t correlation, an art_broker_ask timed out */
};

/* The stripe of counters of the calling thread. */
broker_counters *art__broker_counters(art_broker *b);
/* Routes one message: the body of art_publish, art_broker_ask and art_broker_request. */
int art__broker_route(art_broker *b, const char *topic, art_pid sender, uint32_t type,
                      const void *data, size_t size, uint64_t correlation, size_t *delivered);

/* Requests (request.c): the broker actor's timeout, the cleanup when it stops, and freeing. */
void art__broker_request_timeout(art_broker *b, art_pid self, uint64_t correlation);
void art__broker_requests_cancel_timers(art_broker *b);
void art__broker_requests_free(art_broker *b);

#endif /* ART_BROKER_BROKER_H */
