/*
 * The timer service: one per system, a binary min-heap of deadlines plus a hash from timer id
 * to timer, under one mutex. A thread sleeps until the earliest deadline (started on first
 * use; no timers, no wake-ups, no cost). With a manual clock there is no thread: time moves
 * only when art__timers_advance() is called, and due timers fire inside that call.
 *
 * A timer stays in the id hash from creation until its message is delivered (one-shot) or it
 * is cancelled (periodic), so delivery can check, under the lock, that it was not cancelled:
 * after art__timers_cancel() returns 0 its message is never delivered.
 *
 * Lock order: the timer lock may be held while sending (fire callback); nothing that a send
 * takes ever takes the timer lock.
 */
#ifndef ART_CORE_TIMER_H
#define ART_CORE_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "art/common.h"
#include "platform/platform.h"

typedef struct art__timer {
  uint64_t id;
  int64_t deadline;
  int64_t interval; /* 0: one-shot */
  art_pid target;
  uint32_t type; /* the message type delivered */
  uint32_t kind; /* user timer or an internal one (ask timeout) */
  uint64_t correlation;
  uint32_t heap_index; /* ART__TIMER_NOT_QUEUED once a one-shot fired */
  uint32_t size;
  struct art__timer *hash_next;
  unsigned char payload[]; /* copied at creation */
} art__timer;

#define ART__TIMER_NOT_QUEUED UINT32_MAX

/* Called with the lock held for each firing; returns nonzero if the message could not be sent
 * (the timer is then dropped, even a periodic one). */
typedef int (*art__timer_fire_fn)(void *ctx, art__timer *t);

typedef struct art__timers {
  pthread_mutex_t lock;
  pthread_cond_t cond; /* CLOCK_MONOTONIC; signalled when the earliest deadline moves up */
  art__timer **heap;
  uint32_t len, cap;
  art__timer **buckets;
  uint32_t nbuckets, count;
  uint64_t next_id;
  bool manual;
  int64_t manual_now;
  bool thread_started, stopping;
  /* The deadline the thread waits for (INT64_MAX: none, it waits for a signal); 0 while it
   * is not waiting. A new timer signals the thread only if it is due before that: the
   * thread looks at the heap again whenever it wakes, so a later timer needs no wake-up
   * (a cancelled timer leaves its deadline here, and the thread wakes once for nothing). */
  int64_t sleeping_until;
  pthread_t thread;
  art__timer_fire_fn fire;
  void *ctx;
  const art__allocator *alloc;
  char name[16];
} art__timers;

int art__timers_init(art__timers *ts, const art__allocator *alloc, bool manual,
                     art__timer_fire_fn fire, void *ctx, const char *name);
/* Stops the thread and frees every timer. */
void art__timers_fini(art__timers *ts);

int64_t art__timers_now(art__timers *ts);

/* Creates a timer that fires after @p delay (then every @p interval if > 0). The payload is
 * copied. Returns 0 and the id, or ART_ENOMEM / an error starting the thread. */
int art__timers_add(art__timers *ts, int64_t delay, int64_t interval, art_pid target, uint32_t type,
                    uint32_t kind, uint64_t correlation, const void *payload, uint32_t size,
                    uint64_t *id);
/* 0: cancelled, its message will never be delivered; ART_ENOENT: already delivered (one-shot),
 * unknown, or (with @p kind >= 0) of another kind. Gives the timer's message type in *type if
 * @p type is not NULL. */
int art__timers_cancel(art__timers *ts, uint64_t id, int kind, uint32_t *type);
/* At delivery of a message of timer @p id: returns false if the timer was cancelled (drop the
 * message). Otherwise fills *type, *kind, *correlation; a one-shot timer is removed. */
bool art__timers_claim(art__timers *ts, uint64_t id, uint32_t *type, uint32_t *kind,
                       uint64_t *correlation);
/* Manual clock only: moves time forward by @p ns and fires what came due, in deadline order.
 * Returns the number of firings, or ART_EINVAL on a real clock or negative @p ns. */
int art__timers_advance(art__timers *ts, int64_t ns);
/* The earliest deadline queued, or -1 if none. */
int64_t art__timers_next_deadline(art__timers *ts);

#endif /* ART_CORE_TIMER_H */
