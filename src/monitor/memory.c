/*
 * The in-memory monitor: striped atomic counters and a lock-free ring of the most recent events.
 *
 * Counters. One counter per (kind, severity) pair; the per-kind, per-severity, per-family
 * counts and the total are sums of them, computed by snapshots, so a record touches one
 * counter. Every thread adds to the counters of its stripe (threads are dealt stripes in turn),
 * so two threads recording the same kind do not fight over a cache line. Adds are relaxed:
 * counters are statistics and order nothing.
 *
 * The ring. `ring_size` (a power of two >= history capacity) slots of 256 bytes, each one
 * 64-byte aligned, so writers of neighbouring slots share no cache line. A slot is 32 atomic
 * words: word 0 is the slot's sequence word, words 1..31 hold the event's bytes 8..255 (bytes
 * 0..7 are art_event.seq, which the position replaces). For the writer of position p:
 *
 *   1. p = fetch_add(write_pos, 1)                               relaxed: only hands out p
 *   2. claim: CAS word[0] from an even value below 2p+1 to 2p+1  acquire: the previous
 *      writer's publish (release, step 4) happens-before our stores, so they come after its
 *      stores in every word's modification order. If word[0] is odd (a writer one lap behind,
 *      preempted for a whole lap, is still writing) or already above 2p+1 (a newer lap took
 *      the slot), the event does not enter the ring and counts as lost.
 *   3. store words 1..31                                         release each: a reader whose
 *      acquire load reads one of them also sees the claim of step 2
 *   4. publish: store word[0] = 2p+2                             release: pairs with the
 *      reader's acquire load of word[0]
 *
 * A reader (snapshot) wants position q in slot q & mask: it loads word[0] (acquire) and takes
 * the slot only if it reads 2q+2; it loads words 1..31 (acquire, so the next load cannot move
 * above them), then word[0] again. If that is still 2q+2 the copy is whole: any store of a
 * later writer that the reader saw would have made it see that writer's claim (step 3), and
 * the claim changes word[0]. Otherwise the position is left out (counted as skipped). This is
 * a seqlock with the data accessed atomically (Boehm, "Can seqlocks get along with programming
 * language memory models?", 2012), which needs no standalone fence and which TSan can check.
 * On x86-64 every one of these loads and stores is a plain mov.
 *
 * Overflow drops the oldest: position p overwrites p - ring_size. A snapshot reads only the
 * last `capacity` positions since the last reset (`history_base`), oldest first, so the events
 * it returns are in sequence order. Reset zeroes the counters and moves `history_base` to the
 * write position, which hides the history without touching the slots.
 */
#include <string.h>

#include "monitor/monitor.h"
#include "platform/platform.h"

#define STRIPES 8
#define SLOT_WORDS (sizeof(art_event) / sizeof(uint64_t))
#define COUNTERS (ART_EVENT_KIND_COUNT * ART_SEVERITY_COUNT)

_Static_assert(offsetof(art_event, seq) == 0 && sizeof(((art_event *)0)->seq) == 8,
               "art_event.seq is the word the slot's sequence replaces");

typedef struct memory_slot {
  _Atomic uint64_t word[SLOT_WORDS];
} memory_slot;

typedef struct memory_stripe {
  ART__ALIGNED_LINE _Atomic uint64_t counts[COUNTERS]; /* [kind index][severity] */
  _Atomic uint64_t lost;
} memory_stripe;

typedef struct memory_monitor {
  art_event_monitor monitor;                    /* first: the front-end, two lines */
  ART__ALIGNED_LINE _Atomic uint64_t write_pos; /* fetch_add by every writer: a line of its own */
  ART__ALIGNED_LINE _Atomic uint64_t history_base; /* written by reset only */
  /* Read-only after creation. */
  memory_slot *slots; /* NULL when the history capacity is 0 */
  uint64_t ring_mask;
  uint64_t capacity;
  art__allocator alloc;
  memory_stripe stripes[STRIPES];
} memory_monitor;

static const art_monitor_ops memory_ops;

/* The stripe of the calling thread, plus one (0: not dealt yet). */
static ART__THREAD_LOCAL uint32_t thread_stripe;
static _Atomic uint32_t next_stripe;

static inline memory_stripe *stripe_of_thread(memory_monitor *m) {
  uint32_t s = thread_stripe;
  if (ART__UNLIKELY(s == 0)) {
    /* Relaxed: only deals stripes out in turn; any value is correct. */
    s = atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) % STRIPES + 1;
    thread_stripe = s;
  }
  return &m->stripes[s - 1];
}

static inline void history_write(memory_monitor *m, const art_event *ev, memory_stripe *stripe) {
  /* Relaxed: the position only has to be unique; the slot's sequence word publishes. */
  uint64_t pos = atomic_fetch_add_explicit(&m->write_pos, 1, memory_order_relaxed);
  memory_slot *slot = &m->slots[pos & m->ring_mask];
  uint64_t claim = 2 * pos + 1;
  /* Relaxed: only a first guess for the CAS, which checks it. */
  uint64_t seen = atomic_load_explicit(&slot->word[0], memory_order_relaxed);
  do {
    if (ART__UNLIKELY((seen & 1) || seen > claim)) {
      /* Relaxed: a statistic. */
      atomic_fetch_add_explicit(&stripe->lost, 1, memory_order_relaxed);
      return;
    }
    /* Acquire on success: pairs with the release publish of the slot's previous writer (see
     * the comment at the top). Relaxed on failure: we only look at the value again. */
  } while (!atomic_compare_exchange_weak_explicit(&slot->word[0], &seen, claim,
                                                  memory_order_acquire, memory_order_relaxed));
  const char *bytes = (const char *)ev;
#pragma GCC unroll 32
  for (size_t i = 1; i < SLOT_WORDS; i++) {
    uint64_t word;
    memcpy(&word, bytes + i * sizeof word, sizeof word);
    /* Release: pairs with the reader's acquire loads of the words, so that a reader who sees
     * one of ours also sees our claim when it checks word[0] again. */
    atomic_store_explicit(&slot->word[i], word, memory_order_release);
  }
  /* Release: pairs with the reader's acquire load of word[0], publishing words 1..31. */
  atomic_store_explicit(&slot->word[0], claim + 1, memory_order_release);
}

static inline int memory_record(memory_monitor *m, const art_event *ev) {
  int index;
  if (ART__UNLIKELY(!art__event_valid(ev, &index)))
    return ART_EINVAL;
  memory_stripe *stripe = stripe_of_thread(m);
  /* Relaxed: a statistic; snapshots sum the counters with relaxed loads. */
  atomic_fetch_add_explicit(&stripe->counts[(size_t)index * ART_SEVERITY_COUNT + ev->severity], 1,
                            memory_order_relaxed);
  if (m->slots)
    history_write(m, ev, stripe);
  return 0;
}

static int memory_record_op(void *self, const art_event *ev) {
  return memory_record(self, ev);
}

/* Copies position @p q into @p out if its slot holds it, whole. Returns 1 if copied, 0 if the
 * slot holds something else: in progress, lost, or older; -1 if a newer lap overwrote it. */
static int history_read(memory_monitor *m, uint64_t q, art_event *out) {
  memory_slot *slot = &m->slots[q & m->ring_mask];
  uint64_t expect = 2 * q + 2;
  /* Acquire: pairs with the writer's release publish (step 4). */
  uint64_t seq = atomic_load_explicit(&slot->word[0], memory_order_acquire);
  if (seq != expect)
    return seq > expect ? -1 : 0;
  uint64_t words[SLOT_WORDS];
  words[0] = q;
  for (size_t i = 1; i < SLOT_WORDS; i++) {
    /* Acquire: pairs with the writers' release stores of the words (step 3); it also keeps
     * the check below from moving above these loads. */
    words[i] = atomic_load_explicit(&slot->word[i], memory_order_acquire);
  }
  /* Relaxed: ordered after the acquire loads above; see the comment at the top. */
  seq = atomic_load_explicit(&slot->word[0], memory_order_relaxed);
  if (seq != expect)
    return seq > expect ? -1 : 0;
  memcpy(out, words, sizeof *out);
  return 1;
}

static int memory_snapshot(void *self, art_event_snapshot *snap, art_event *events,
                           size_t capacity) {
  memory_monitor *m = self;
  for (size_t s = 0; s < STRIPES; s++) {
    memory_stripe *stripe = &m->stripes[s];
    for (size_t k = 0; k < ART_EVENT_KIND_COUNT; k++) {
      for (size_t sev = 0; sev < ART_SEVERITY_COUNT; sev++) {
        /* Relaxed: a statistic. */
        snap->by_kind_severity[k][sev] += atomic_load_explicit(
            &stripe->counts[k * ART_SEVERITY_COUNT + sev], memory_order_relaxed);
      }
    }
    /* Relaxed: a statistic. */
    snap->history_lost += atomic_load_explicit(&stripe->lost, memory_order_relaxed);
  }
  for (size_t k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    unsigned family = ART_EVENT_KIND_FAMILY(art_event_kind_at((int)k));
    for (size_t sev = 0; sev < ART_SEVERITY_COUNT; sev++) {
      uint64_t n = snap->by_kind_severity[k][sev];
      snap->by_kind[k] += n;
      snap->by_severity[sev] += n;
      snap->by_family[family] += n;
      snap->total += n;
    }
  }
  snap->history_capacity = m->capacity;
  if (!m->slots)
    return 0;

  /* Acquire: pairs with reset's release store, so the write position read below is at least
   * the one reset read. */
  uint64_t base = atomic_load_explicit(&m->history_base, memory_order_acquire);
  /* Relaxed: the slots' sequence words say what is complete. */
  uint64_t end = atomic_load_explicit(&m->write_pos, memory_order_relaxed);
  uint64_t recorded = end > base ? end - base : 0;
  uint64_t kept = recorded < m->capacity ? recorded : m->capacity;
  snap->history_dropped = recorded - kept;
  uint64_t want = kept < capacity ? kept : (uint64_t)capacity;
  size_t count = 0;
  for (uint64_t q = end - want; q < end; q++) {
    int rc = history_read(m, q, &events[count]);
    if (rc > 0)
      count++;
    else if (rc == 0)
      snap->history_skipped++;
  }
  snap->count = count;
  return 0;
}

static int memory_reset(void *self) {
  memory_monitor *m = self;
  for (size_t s = 0; s < STRIPES; s++) {
    for (size_t i = 0; i < COUNTERS; i++) {
      /* Relaxed: a statistic; an add racing with the reset is kept or lost, whole. */
      atomic_store_explicit(&m->stripes[s].counts[i], 0, memory_order_relaxed);
    }
    atomic_store_explicit(&m->stripes[s].lost, 0, memory_order_relaxed);
  }
  /* Relaxed load, release store: pairs with the snapshot's acquire load of history_base. */
  uint64_t end = atomic_load_explicit(&m->write_pos, memory_order_relaxed);
  atomic_store_explicit(&m->history_base, end, memory_order_release);
  return 0;
}

/* The front-end's record (see monitor.c), here so that the in-memory monitor's path inlines. */
int art_monitor_record(art_event_monitor *mon, const art_event *event) {
  if (ART__UNLIKELY(!mon || !event))
    return ART_EINVAL;
  unsigned family = event->family, severity = event->severity;
  if (ART__UNLIKELY(family >= ART_EVENT_FAMILY_COUNT || severity >= ART_SEVERITY_COUNT))
    return ART_EINVAL;
  /* Relaxed: see art_monitor_wants(). */
  uint64_t filter = __atomic_load_n(&mon->filter, __ATOMIC_RELAXED);
  if (!((filter >> (family * 8 + severity)) & 1u)) {
    if (mon->flags & ART__MONITOR_NOOP)
      return 0;
    /* Relaxed: a statistic; snapshots read it with a relaxed load and order nothing by it. */
    __atomic_fetch_add(&mon->filtered, 1, __ATOMIC_RELAXED);
    return 0;
  }
  if (ART__LIKELY(mon->ops == &memory_ops))
    return memory_record(mon->self, event);
  int index;
  if (!art__event_valid(event, &index))
    return ART_EINVAL;
  return mon->ops->record(mon->self, event);
}

static void memory_destroy(void *self) {
  memory_monitor *m = self;
  art__allocator alloc = m->alloc;
  art__free_aligned(&alloc, m->slots);
  art__free_aligned(&alloc, m);
}

static const art_monitor_ops memory_ops = {
    .record = memory_record_op,
    .snapshot = memory_snapshot,
    .reset = memory_reset,
    .destroy = memory_destroy,
};

int art_memory_monitor_create(art_event_monitor **out, const art_monitor_config *cfg) {
  art_monitor_config defaults;
  if (!cfg) {
    art_monitor_config_init(&defaults);
    cfg = &defaults;
  }
  if (!out || !art__monitor_config_valid(cfg) || cfg->history_capacity > ART_MONITOR_HISTORY_MAX)
    return ART_EINVAL;
  art__allocator alloc;
  art__allocator_init(&alloc, &cfg->allocator);
  memory_monitor *m = art__alloc_aligned(&alloc, sizeof *m);
  if (!m)
    return ART_ENOMEM;
  m->alloc = alloc;
  m->capacity = cfg->history_capacity;
  if (cfg->history_capacity) {
    uint64_t ring_size = 1;
    while (ring_size < cfg->history_capacity)
      ring_size <<= 1;
    /* Zeroed: sequence word 0 is "empty", below every position's claim. */
    m->slots = art__alloc_aligned(&alloc, (size_t)ring_size * sizeof(memory_slot));
    if (!m->slots) {
      art__free_aligned(&alloc, m);
      return ART_ENOMEM;
    }
    m->ring_mask = ring_size - 1;
  }
  art__monitor_setup_embedded(&m->monitor, &memory_ops, m, cfg);
  *out = &m->monitor;
  return 0;
}
