/*
 * Test support: condition-based waits, seeds and a PRNG for replayable stress tests, and a
 * counting allocator that can fail a chosen allocation.
 *
 * Waits scale their bound by ART_TEST_TIME_SCALE (the sanitizer presets set it above 1), so a
 * bound tuned for a release build holds under ASan and TSan. Nothing here sleeps for a fixed
 * time: tests wait for a condition, with a bound.
 */
#ifndef ART_TEST_SUPPORT_H
#define ART_TEST_SUPPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "art/system.h"

/** The factor from env ART_TEST_TIME_SCALE; 1.0 if unset or not a positive number. */
double art_test_time_scale(void);

/**
 * Polls @p pred(@p arg) with short sleeps (at most 1 ms) until it returns true or
 * @p timeout_ms (multiplied by art_test_time_scale()) has passed. The predicate is evaluated
 * once more at the deadline.
 * @return whether @p pred became true.
 */
bool art_test_wait_until(bool (*pred)(void *), void *arg, int64_t timeout_ms);

/* Used by ART_WAIT_UNTIL: a deadline, and one step of waiting (false once it has passed). */
typedef struct art_test_deadline {
  int64_t end_ns;   /**< CLOCK_MONOTONIC */
  int64_t sleep_ns; /**< the next sleep; grows up to 1 ms */
} art_test_deadline;
art_test_deadline art_test__deadline(int64_t timeout_ms);
bool art_test__deadline_wait(art_test_deadline *deadline);

/**
 * Evaluates @p expr on the calling thread until it is true or @p timeout_ms (scaled) has
 * passed (it is evaluated once more at the deadline); the whole macro is a bool expression:
 *   assert_true(ART_WAIT_UNTIL(atomic_load(&count) == 3, 1000));
 */
#define ART_WAIT_UNTIL(expr, timeout_ms)                                                           \
  __extension__({                                                                                  \
    art_test_deadline art__wait_deadline = art_test__deadline(timeout_ms);                         \
    bool art__wait_ok;                                                                             \
    while (!(art__wait_ok = (expr)) && art_test__deadline_wait(&art__wait_deadline)) {             \
    }                                                                                              \
    art__wait_ok;                                                                                  \
  })

/**
 * The seed of a randomised test: `--seed N` (or `--seed=N`) from the command line, else env
 * ART_TEST_SEED, else one derived from the clock. Prints "seed: N (replay with --seed N)" to
 * stderr, so that a failing run can be replayed.
 */
uint64_t art_test_seed(int argc, char **argv);

/** xoshiro256** seeded through splitmix64: fast, small, and the same sequence everywhere. */
typedef struct art_test_rng {
  uint64_t s[4];
} art_test_rng;

static inline uint64_t art_test__splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline void art_test_rng_init(art_test_rng *rng, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    rng->s[i] = art_test__splitmix64(&seed);
}

static inline uint64_t art_test__rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

/** The next 64 random bits. */
static inline uint64_t art_test_rng_next(art_test_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = art_test__rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = art_test__rotl(s[3], 45);
  return result;
}

/** A uniform value in [0, n), without modulo bias; 0 when n is 0. */
static inline uint64_t art_test_rng_below(art_test_rng *rng, uint64_t n) {
  if (n == 0)
    return 0;
  uint64_t threshold = -n % n; /* 2^64 mod n: values below it would bias the result */
  for (;;) {
    uint64_t r = art_test_rng_next(rng);
    if (r >= threshold)
      return r % n;
  }
}

/**
 * A malloc-backed allocator that counts, for leak checks and fault injection:
 *
 *   art_test_alloc ta;
 *   art_test_alloc_init(&ta);
 *   cfg.allocator = art_test_alloc_allocator(&ta);
 *   ... art_system_destroy(sys);
 *   assert_int_equal(art_test_alloc_live(&ta), 0);
 *
 * Thread-safe. The counters are exact once the threads that allocate have been joined (for a
 * system: after art_system_destroy()).
 */
typedef struct art_test_alloc {
  atomic_size_t live;             /**< allocations not yet freed */
  atomic_size_t live_bytes;       /**< bytes requested by those allocations */
  atomic_uint_least64_t total;    /**< successful allocations since init */
  atomic_uint_least64_t failures; /**< allocations failed on purpose */
  /**
   * Fail the Nth allocation counted from when this was armed with art_test_alloc_fail_at();
   * 0 = never. Set back to 0 when it fires, so each arming fails one allocation.
   */
  atomic_uint_least64_t fail_at;
  atomic_uint_least64_t armed_count; /**< allocations seen since armed */
} art_test_alloc;

/** Zeroes the counters and disarms. */
void art_test_alloc_init(art_test_alloc *ta);

/** The allocator to put in art_system_config.allocator; @p ta must outlive its use. */
art_allocator art_test_alloc_allocator(art_test_alloc *ta);

/**
 * Arms fault injection: the @p n th allocation from now returns NULL (0 disarms). Exact when
 * no allocation runs concurrently with this call; otherwise "from now" is approximate.
 */
void art_test_alloc_fail_at(art_test_alloc *ta, uint64_t n);

/** Allocations not yet freed. */
size_t art_test_alloc_live(art_test_alloc *ta);

/** Bytes of the allocations not yet freed (as requested, without the allocator's header). */
size_t art_test_alloc_live_bytes(art_test_alloc *ta);

#endif /* ART_TEST_SUPPORT_H */
