/*
 * Test support; see test_support.h. None of this is part of the library: it runs on the test
 * thread except the allocator, which any thread of a system may call.
 */
#include "test_support.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLEEP_NS INT64_C(1000000)
#define FIRST_SLEEP_NS INT64_C(20000)

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double art_test_time_scale(void) {
  const char *text = getenv("ART_TEST_TIME_SCALE");
  if (text == NULL || *text == '\0')
    return 1.0;
  char *end;
  double scale = strtod(text, &end);
  if (*end != '\0' || !(scale > 0.0) || scale > 1000.0)
    return 1.0;
  return scale;
}

art_test_deadline art_test__deadline(int64_t timeout_ms) {
  if (timeout_ms < 0)
    timeout_ms = 0;
  double scaled_ns = (double)timeout_ms * 1e6 * art_test_time_scale();
  art_test_deadline deadline = {
      .end_ns = monotonic_ns() + (int64_t)scaled_ns,
      .sleep_ns = FIRST_SLEEP_NS,
  };
  return deadline;
}

/*
 * Sleeps one step and returns true, or returns false if the deadline has passed. The last sleep
 * ends at the deadline, so the caller's final check happens there and not a step later.
 */
bool art_test__deadline_wait(art_test_deadline *deadline) {
  int64_t left = deadline->end_ns - monotonic_ns();
  if (left <= 0)
    return false;
  int64_t step = deadline->sleep_ns < left ? deadline->sleep_ns : left;
  struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
  if (deadline->sleep_ns < MAX_SLEEP_NS)
    deadline->sleep_ns =
        deadline->sleep_ns * 2 < MAX_SLEEP_NS ? deadline->sleep_ns * 2 : MAX_SLEEP_NS;
  return true;
}

bool art_test_wait_until(bool (*pred)(void *), void *arg, int64_t timeout_ms) {
  art_test_deadline deadline = art_test__deadline(timeout_ms);
  for (;;) {
    if (pred(arg))
      return true;
    if (!art_test__deadline_wait(&deadline))
      return false;
  }
}

static bool parse_seed(const char *text, uint64_t *out) {
  if (text == NULL || *text == '\0' || *text == '-')
    return false;
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 0);
  if (errno != 0 || *end != '\0')
    return false;
  *out = (uint64_t)value;
  return true;
}

uint64_t art_test_seed(int argc, char **argv) {
  uint64_t seed = 0;
  bool found = false;
  for (int i = 1; i < argc && !found; i++) {
    const char *text = NULL;
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      text = argv[i + 1];
    else if (strncmp(argv[i], "--seed=", 7) == 0)
      text = argv[i] + 7;
    else
      continue;
    found = parse_seed(text, &seed);
    if (!found)
      fprintf(stderr, "ignoring invalid seed '%s'\n", text);
  }
  if (!found) {
    const char *env = getenv("ART_TEST_SEED");
    if (env != NULL && *env != '\0') {
      found = parse_seed(env, &seed);
      if (!found)
        fprintf(stderr, "ignoring invalid ART_TEST_SEED '%s'\n", env);
    }
  }
  if (!found) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t mix = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 48);
    seed = art_test__splitmix64(&mix);
  }
  fprintf(stderr, "seed: %" PRIu64 " (replay with --seed %" PRIu64 ")\n", seed, seed);
  return seed;
}

/*
 * Every block carries its size in a header, so live_bytes is exact. The union keeps the block
 * after it aligned for any type, as malloc's is.
 */
typedef union alloc_header {
  size_t size;
  max_align_t align;
} alloc_header;

/*
 * The counters are statistics read after the allocating threads are joined (the join orders
 * them), so they are relaxed. The acquire load of fail_at pairs with the release store in
 * art_test_alloc_fail_at(): an allocation that sees the new fail_at also sees armed_count reset.
 */
static void *test_alloc(void *ctx, size_t size) {
  art_test_alloc *ta = ctx;
  uint64_t fail_at = atomic_load_explicit(&ta->fail_at, memory_order_acquire);
  if (fail_at != 0) {
    uint64_t n = atomic_fetch_add_explicit(&ta->armed_count, 1, memory_order_relaxed) + 1;
    if (n == fail_at) {
      /* Disarm unless someone re-armed in between. */
      atomic_compare_exchange_strong_explicit(&ta->fail_at, &fail_at, 0, memory_order_relaxed,
                                              memory_order_relaxed);
      atomic_fetch_add_explicit(&ta->failures, 1, memory_order_relaxed);
      return NULL;
    }
  }
  if (size > SIZE_MAX - sizeof(alloc_header))
    return NULL;
  alloc_header *header = malloc(sizeof(alloc_header) + size);
  if (header == NULL)
    return NULL;
  header->size = size;
  atomic_fetch_add_explicit(&ta->live, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&ta->live_bytes, size, memory_order_relaxed);
  atomic_fetch_add_explicit(&ta->total, 1, memory_order_relaxed);
  return header + 1;
}

static void test_free(void *ctx, void *ptr) {
  art_test_alloc *ta = ctx;
  if (ptr == NULL)
    return;
  alloc_header *header = (alloc_header *)ptr - 1;
  atomic_fetch_sub_explicit(&ta->live, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&ta->live_bytes, header->size, memory_order_relaxed);
  free(header);
}

void art_test_alloc_init(art_test_alloc *ta) {
  atomic_init(&ta->live, 0);
  atomic_init(&ta->live_bytes, 0);
  atomic_init(&ta->total, 0);
  atomic_init(&ta->failures, 0);
  atomic_init(&ta->fail_at, 0);
  atomic_init(&ta->armed_count, 0);
}

art_allocator art_test_alloc_allocator(art_test_alloc *ta) {
  art_allocator allocator = {.alloc = test_alloc, .free = test_free, .ctx = ta};
  return allocator;
}

/*
 * Disarm, reset the count, then publish the new fail_at with release (pairs with the acquire
 * load in test_alloc), so an allocation that sees it counts from zero.
 */
void art_test_alloc_fail_at(art_test_alloc *ta, uint64_t n) {
  atomic_store_explicit(&ta->fail_at, 0, memory_order_relaxed);
  atomic_store_explicit(&ta->armed_count, 0, memory_order_relaxed);
  atomic_store_explicit(&ta->fail_at, n, memory_order_release);
}

size_t art_test_alloc_live(art_test_alloc *ta) {
  return atomic_load_explicit(&ta->live, memory_order_relaxed);
}

size_t art_test_alloc_live_bytes(art_test_alloc *ta) {
  return atomic_load_explicit(&ta->live_bytes, memory_order_relaxed);
}
