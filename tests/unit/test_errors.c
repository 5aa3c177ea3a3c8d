/*
 * Unit tests of the error codes (art_strerror, art_err_name), exit reasons, the version string,
 * the configuration defaults and the argument checks of art_system_create().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "art.h"
#include "test_support.h"

#include <cmocka.h>

/* Every code of the map, with what the library must say about it. */
typedef struct code_info {
  int value;
  int errno_value;
  const char *name;
  const char *text;
} code_info;

static const code_info codes[] = {
#define CODE_INFO(name, value, text) {ART_##name, name, "ART_" #name, text},
    ART_ERRNO_MAP(CODE_INFO)
#undef CODE_INFO
};
#define NCODES (sizeof codes / sizeof codes[0])

static void strerror_and_name_cover_every_code(void **state) {
  (void)state;
  assert_int_equal(NCODES, 14);
  for (size_t i = 0; i < NCODES; i++) {
    assert_string_equal(art_strerror(codes[i].value), codes[i].text);
    assert_string_equal(art_err_name(codes[i].value), codes[i].name);
    assert_true(strlen(codes[i].text) > 0);
  }
  assert_string_equal(art_strerror(0), "success");
  assert_string_equal(art_err_name(0), "ART_OK");
}

static void codes_are_negative_errno_and_distinct(void **state) {
  (void)state;
  for (size_t i = 0; i < NCODES; i++) {
    assert_true(codes[i].value < 0);
    assert_int_equal(codes[i].value, -codes[i].errno_value);
    for (size_t j = i + 1; j < NCODES; j++)
      assert_int_not_equal(codes[i].value, codes[j].value);
  }
  /* A few spelled out, so that a wrong map cannot agree with itself. */
  assert_int_equal(ART_EINVAL, -EINVAL);
  assert_int_equal(ART_ENOMEM, -ENOMEM);
  assert_int_equal(ART_ESRCH, -ESRCH);
  assert_int_equal(ART_ETIMEDOUT, -ETIMEDOUT);
  assert_int_equal(ART_ESHUTDOWN, -ESHUTDOWN);
  assert_int_equal(ART_ENOPROC, ART_ESRCH);
}

static void unknown_codes(void **state) {
  (void)state;
  /* Positive errno values are not our codes: ours are negative. */
  const int unknown[] = {1, EINVAL, -9999, -1000, INT_MIN, INT_MAX, -EDOM, -ENOTDIR};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    assert_string_equal(art_strerror(unknown[i]), "unknown error");
    assert_string_equal(art_err_name(unknown[i]), "ART_UNKNOWN");
  }
}

static void reason_helpers(void **state) {
  (void)state;
  art_exit_reason r = art_reason(ART_EXIT_KILLED);
  assert_int_equal(r.kind, ART_EXIT_KILLED);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.flags, 0);
  assert_int_equal(r.reserved, 0);
  assert_string_equal(r.text, "");
  assert_int_equal(sizeof r, 128);

  r = art_reason_error(ART_EINVAL, "bad input");
  assert_int_equal(r.kind, ART_EXIT_ERROR);
  assert_int_equal(r.code, ART_EINVAL);
  assert_int_equal(r.flags, 0);
  assert_string_equal(r.text, "bad input");

  /* No text: the description of the code. */
  r = art_reason_error(ART_ETIMEDOUT, NULL);
  assert_int_equal(r.code, ART_ETIMEDOUT);
  assert_string_equal(r.text, art_strerror(ART_ETIMEDOUT));

  r = art_reason_shutdown(NULL);
  assert_int_equal(r.kind, ART_EXIT_SHUTDOWN);
  assert_int_equal(r.code, 0);
  assert_string_equal(r.text, "");

  r = art_reason_shutdown("supervisor stopping");
  assert_int_equal(r.kind, ART_EXIT_SHUTDOWN);
  assert_string_equal(r.text, "supervisor stopping");
}

static void reason_text_is_truncated(void **state) {
  (void)state;
  char long_text[3 * ART_REASON_TEXT_MAX];
  for (size_t i = 0; i < sizeof long_text - 1; i++)
    long_text[i] = (char)('a' + i % 26);
  long_text[sizeof long_text - 1] = '\0';

  art_exit_reason r = art_reason_error(ART_EBUSY, long_text);
  assert_int_equal(strlen(r.text), ART_REASON_TEXT_MAX - 1);
  assert_memory_equal(r.text, long_text, ART_REASON_TEXT_MAX - 1);

  r = art_reason_shutdown(long_text);
  assert_int_equal(strlen(r.text), ART_REASON_TEXT_MAX - 1);
  assert_memory_equal(r.text, long_text, ART_REASON_TEXT_MAX - 1);

  /* Exactly one byte short of the limit fits whole. */
  long_text[ART_REASON_TEXT_MAX - 1] = '\0';
  r = art_reason_error(ART_EINVAL, long_text);
  assert_string_equal(r.text, long_text);
}

static void kind_names(void **state) {
  (void)state;
  assert_string_equal(art_exit_kind_name(ART_EXIT_NORMAL), "normal");
  assert_string_equal(art_exit_kind_name(ART_EXIT_SHUTDOWN), "shutdown");
  assert_string_equal(art_exit_kind_name(ART_EXIT_KILLED), "killed");
  assert_string_equal(art_exit_kind_name(ART_EXIT_ERROR), "error");
  assert_string_equal(art_exit_kind_name(ART_EXIT_NOPROC), "noproc");
  assert_string_equal(art_exit_kind_name(ART_EXIT_TIMEOUT), "timeout");
  assert_string_equal(art_exit_kind_name(ART_EXIT_HEALTH_CHECK_FAILED), "health_check_failed");
  assert_string_equal(art_exit_kind_name((art_exit_kind)(ART_EXIT_HEALTH_CHECK_FAILED + 1)),
                      "unknown");
  assert_string_equal(art_exit_kind_name((art_exit_kind)-1), "unknown");
}

static void reason_format(void **state) {
  (void)state;
  char buf[256];
  art_exit_reason r = art_reason_error(ART_EINVAL, "bad input");
  int n = art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "error(-22 ART_EINVAL: bad input)");
  assert_int_equal(n, strlen(buf));

  r.flags |= ART_REASON_ESCALATE;
  n = art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "error(-22 ART_EINVAL: bad input, escalate)");
  assert_int_equal(n, strlen(buf));

  r = art_reason(ART_EXIT_NORMAL);
  n = art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "normal");
  assert_int_equal(n, 6);

  r = art_reason_shutdown("bye");
  n = art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "shutdown(bye)");
  assert_int_equal(n, strlen(buf));

  r = art_reason(ART_EXIT_KILLED);
  r.flags = ART_REASON_ESCALATE; /* no text: the kind alone */
  art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "killed");

  r = art_reason_error(-9999, "odd");
  art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "error(-9999 ART_UNKNOWN: odd)");

  r = art_reason(ART_EXIT_TIMEOUT);
  snprintf(r.text, sizeof r.text, "%s", "call");
  art_reason_format(&r, buf, sizeof buf);
  assert_string_equal(buf, "timeout(call)");
}

static void reason_format_truncates_and_measures(void **state) {
  (void)state;
  art_exit_reason r = art_reason_error(ART_ENOMEM, "no room");
  const char *full = "error(-12 ART_ENOMEM: no room)";
  char small[8];
  memset(small, 'z', sizeof small);
  int n = art_reason_format(&r, small, sizeof small);
  assert_int_equal(n, strlen(full));
  assert_string_equal(small, "error(-");

  /* NULL with length 0 only measures. */
  assert_int_equal(art_reason_format(&r, NULL, 0), strlen(full));
}

static void reason_format_bounds_unterminated_text(void **state) {
  (void)state;
  /* A reason built by hand without a NUL in text: the output stops at the field's end. */
  art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
  memset(r.text, 'x', sizeof r.text);
  char buf[512];
  int n = art_reason_format(&r, buf, sizeof buf);
  assert_int_equal(n, strlen("shutdown()") + ART_REASON_TEXT_MAX);
  assert_int_equal(strlen(buf), (size_t)n);
  assert_int_equal(strspn(buf + strlen("shutdown("), "x"), ART_REASON_TEXT_MAX);
}

static void reason_format_rejects_null(void **state) {
  (void)state;
  char buf[32];
  art_exit_reason r = art_reason(ART_EXIT_NORMAL);
  assert_int_equal(art_reason_format(NULL, buf, sizeof buf), ART_EINVAL);
  assert_int_equal(art_reason_format(&r, NULL, 10), ART_EINVAL);
}

static void version_string(void **state) {
  (void)state;
  const char *v = art_version();
  assert_non_null(v);
  assert_true(strlen(v) > 0);
  /* MAJOR.MINOR.PATCH */
  int dots = 0;
  for (const char *p = v; *p; p++) {
    if (*p == '.')
      dots++;
    else
      assert_true(isdigit((unsigned char)*p));
  }
  assert_int_equal(dots, 2);
  assert_true(isdigit((unsigned char)v[0]));
  assert_true(isdigit((unsigned char)v[strlen(v) - 1]));
}

static void config_defaults(void **state) {
  (void)state;
  art_system_config cfg;
  memset(&cfg, 0xa5, sizeof cfg);
  art_system_config_init(&cfg);
  assert_int_equal(cfg.workers, 0);
  assert_int_equal(cfg.max_actors, 16777216u);
  assert_int_equal(cfg.batch, 128);
  assert_int_equal(cfg.spin_ns, ART_USEC(50));
  assert_null(cfg.allocator.alloc);
  assert_null(cfg.allocator.free);
  assert_null(cfg.allocator.ctx);
  assert_int_equal(cfg.pool, ART_POOL_DEFAULT);
  assert_non_null(cfg.name);
  assert_string_equal(cfg.name, "art");
  art_system_config_init(NULL); /* ignored */
}

/* A config that art_system_create() accepts, drawing from @p ta. */
static art_system_config valid_config(art_test_alloc *ta) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 1;
  cfg.max_actors = 4096;
  cfg.allocator = art_test_alloc_allocator(ta);
  return cfg;
}

/* Creation with @p cfg must fail with EINVAL, leave *out alone and allocate nothing. */
static void expect_einval(const art_system_config *cfg, art_test_alloc *ta) {
  art_system *sys = (art_system *)(uintptr_t)0x1234;
  uint64_t before = atomic_load(&ta->total);
  assert_int_equal(art_system_create(&sys, cfg), ART_EINVAL);
  assert_ptr_equal(sys, (art_system *)(uintptr_t)0x1234);
  assert_int_equal(atomic_load(&ta->total), before);
  assert_int_equal(art_test_alloc_live(ta), 0);
}

static void system_create_rejects_bad_config(void **state) {
  (void)state;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_system_config cfg = valid_config(&ta);

  assert_int_equal(art_system_create(NULL, &cfg), ART_EINVAL);
  assert_int_equal(atomic_load(&ta.total), 0);

  cfg = valid_config(&ta);
  cfg.workers = 257;
  expect_einval(&cfg, &ta);
  cfg.workers = UINT32_MAX;
  expect_einval(&cfg, &ta);

  cfg = valid_config(&ta);
  cfg.batch = 0;
  expect_einval(&cfg, &ta);

  cfg = valid_config(&ta);
  cfg.spin_ns = -1;
  expect_einval(&cfg, &ta);

  cfg = valid_config(&ta);
  cfg.max_actors = 0;
  expect_einval(&cfg, &ta);
  cfg.max_actors = (1u << 31) + 1;
  expect_einval(&cfg, &ta);

  cfg = valid_config(&ta);
  cfg.allocator.free = NULL;
  expect_einval(&cfg, &ta);
  cfg = valid_config(&ta);
  cfg.allocator.alloc = NULL;
  expect_einval(&cfg, &ta);
}

static void system_create_accepts_valid_config(void **state) {
  (void)state;
  /* The control for the test above: the same config without the bad field works. */
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_system_config cfg = valid_config(&ta);
  art_system *sys = NULL;
  assert_int_equal(art_system_create(&sys, &cfg), 0);
  assert_non_null(sys);
  assert_int_equal(art_system_workers(sys), 1);
  assert_true(art_test_alloc_live(&ta) > 0);
  art_system_destroy(sys);
  assert_int_equal(art_test_alloc_live(&ta), 0);
}

static void system_create_with_defaults(void **state) {
  (void)state;
  /* NULL config: the defaults, with one worker per online CPU. */
  art_system *sys = NULL;
  assert_int_equal(art_system_create(&sys, NULL), 0);
  assert_non_null(sys);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  assert_int_equal(art_system_workers(sys), cpus < 1 ? 1 : cpus > 256 ? 256 : cpus);
  art_system_stats stats;
  assert_int_equal(art_system_stats_get(sys, &stats), 0);
  assert_int_equal(stats.workers, art_system_workers(sys));
  assert_int_equal(stats.actors_alive, 0);
  art_system_destroy(sys);
  assert_int_equal(art_system_workers(NULL), 0);
  art_system_destroy(NULL); /* ignored */
}

/* Fails each allocation of art_system_create() in turn: each must give ENOMEM, leave *out
 * alone and leak nothing; once every allocation is allowed, creation succeeds. */
static void system_create_fails_each_allocation(void **state) {
  (void)state;
  art_test_alloc ta;
  art_test_alloc_init(&ta);
  art_system_config cfg = valid_config(&ta);
  bool created = false;
  for (uint64_t k = 1; k <= 200 && !created; k++) {
    art_test_alloc_fail_at(&ta, k);
    art_system *sys = (art_system *)(uintptr_t)0x1234;
    int rc = art_system_create(&sys, &cfg);
    if (rc == 0) {
      assert_int_equal(atomic_load(&ta.failures), k - 1);
      assert_true(k > 3); /* the system, its workers, the pid table at least */
      print_message("creation succeeded with allocation %llu allowed\n", (unsigned long long)k);
      art_test_alloc_fail_at(&ta, 0);
      art_system_destroy(sys);
      created = true;
    } else {
      assert_int_equal(rc, ART_ENOMEM);
      assert_ptr_equal(sys, (art_system *)(uintptr_t)0x1234);
      assert_int_equal(atomic_load(&ta.failures), k);
    }
    assert_int_equal(art_test_alloc_live(&ta), 0);
  }
  assert_true(created);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(strerror_and_name_cover_every_code),
      cmocka_unit_test(codes_are_negative_errno_and_distinct),
      cmocka_unit_test(unknown_codes),
      cmocka_unit_test(reason_helpers),
      cmocka_unit_test(reason_text_is_truncated),
      cmocka_unit_test(kind_names),
      cmocka_unit_test(reason_format),
      cmocka_unit_test(reason_format_truncates_and_measures),
      cmocka_unit_test(reason_format_bounds_unterminated_text),
      cmocka_unit_test(reason_format_rejects_null),
      cmocka_unit_test(version_string),
      cmocka_unit_test(config_defaults),
      cmocka_unit_test(system_create_rejects_bad_config),
      cmocka_unit_test(system_create_accepts_valid_config),
      cmocka_unit_test(system_create_with_defaults),
      cmocka_unit_test(system_create_fails_each_allocation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
