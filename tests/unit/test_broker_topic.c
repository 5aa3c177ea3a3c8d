/*
 * Broker topics: the NATS subject rules (art_broker_topic_check) and wildcard matching
 * (art_broker_topic_matches), each as a table of cases, plus the length and segment limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "art.h"

#include <cmocka.h>

typedef struct check_case {
  const char *text;
  int topic_rc;   /* as a topic */
  int pattern_rc; /* as a pattern */
} check_case;

static const check_case check_cases[] = {
    {"a", 0, 0},
    {"orders", 0, 0},
    {"orders.eu.paid", 0, 0},
    {"a-b_c.D9.$sys", 0, 0},
    {"caf\xc3\xa9.menu", 0, 0}, /* UTF-8 is fine */
    {"*", ART_EINVAL, 0},
    {">", ART_EINVAL, 0},
    {"a.*", ART_EINVAL, 0},
    {"*.b", ART_EINVAL, 0},
    {"a.*.c", ART_EINVAL, 0},
    {"a.>", ART_EINVAL, 0},
    {"*.>", ART_EINVAL, 0},
    {"*.*.*", ART_EINVAL, 0},
    {"", ART_EINVAL, ART_EINVAL},     /* empty */
    {".", ART_EINVAL, ART_EINVAL},    /* two empty segments */
    {".a", ART_EINVAL, ART_EINVAL},   /* empty first segment */
    {"a.", ART_EINVAL, ART_EINVAL},   /* empty last segment */
    {"a..b", ART_EINVAL, ART_EINVAL}, /* empty middle segment */
    {"a b", ART_EINVAL, ART_EINVAL},  /* space */
    {"a\tb", ART_EINVAL, ART_EINVAL}, /* tab */
    {"a\nb", ART_EINVAL, ART_EINVAL}, /* line feed */
    {"a\rb", ART_EINVAL, ART_EINVAL}, /* carriage return */
    {"a\x01"
     "b",
     ART_EINVAL, ART_EINVAL},           /* control character */
    {"a\x7f", ART_EINVAL, ART_EINVAL},  /* DEL */
    {"a*", ART_EINVAL, ART_EINVAL},     /* wildcard inside a segment */
    {"*a", ART_EINVAL, ART_EINVAL},     /* wildcard inside a segment */
    {"a.b*.c", ART_EINVAL, ART_EINVAL}, /* wildcard inside a segment */
    {"a.>b", ART_EINVAL, ART_EINVAL},   /* wildcard inside a segment */
    {"a>", ART_EINVAL, ART_EINVAL},     /* wildcard inside a segment */
    {"**", ART_EINVAL, ART_EINVAL},     /* not a whole-segment wildcard */
    {">.a", ART_EINVAL, ART_EINVAL},    /* `>` must be last */
    {"a.>.b", ART_EINVAL, ART_EINVAL},  /* `>` must be last */
    {">.>", ART_EINVAL, ART_EINVAL},    /* `>` must be last */
    {"a.>.", ART_EINVAL, ART_EINVAL},   /* empty segment after `>` */
};

static void test_check_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
    const check_case *c = &check_cases[i];
    int topic_rc = art_broker_topic_check(c->text, 0);
    int pattern_rc = art_broker_topic_check(c->text, ART_TOPIC_PATTERN);
    if (topic_rc != c->topic_rc || pattern_rc != c->pattern_rc)
      fail_msg("case %zu \"%s\": topic %s (want %s), pattern %s (want %s)", i, c->text,
               art_err_name(topic_rc), art_err_name(c->topic_rc), art_err_name(pattern_rc),
               art_err_name(c->pattern_rc));
  }
}

static void test_check_arguments(void **state) {
  (void)state;
  assert_int_equal(art_broker_topic_check(NULL, 0), ART_EINVAL);
  assert_int_equal(art_broker_topic_check(NULL, ART_TOPIC_PATTERN), ART_EINVAL);
  assert_int_equal(art_broker_topic_check("a", 0x2u), ART_EINVAL);
}

/* A topic of exactly @p len bytes in segments of @p seg_len bytes ("aaa.aaa.a"). */
static void make_topic(char *buf, size_t len, size_t seg_len) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (i + 1) % (seg_len + 1) == 0 ? '.' : 'a';
  if (len && buf[len - 1] == '.')
    buf[len - 1] = 'a';
  buf[len] = '\0';
}

static void test_limits(void **state) {
  (void)state;
  char buf[ART_BROKER_TOPIC_MAX + 64];
  make_topic(buf, ART_BROKER_TOPIC_MAX, 20);
  assert_int_equal(art_broker_topic_check(buf, 0), 0);
  make_topic(buf, ART_BROKER_TOPIC_MAX + 1, 20);
  assert_int_equal(art_broker_topic_check(buf, 0), ART_ERANGE);
  assert_int_equal(art_broker_topic_check(buf, ART_TOPIC_PATTERN), ART_ERANGE);
  /* Too long wins over invalid: the length is checked first. */
  memset(buf, ' ', ART_BROKER_TOPIC_MAX + 10);
  buf[ART_BROKER_TOPIC_MAX + 10] = '\0';
  assert_int_equal(art_broker_topic_check(buf, 0), ART_ERANGE);

  /* Segments: "a.a.a..." with exactly the maximum, then one more. */
  char segs[2 * ART_BROKER_SEGMENTS_MAX + 4];
  make_topic(segs, 2 * ART_BROKER_SEGMENTS_MAX - 1, 1);
  assert_int_equal(art_broker_topic_check(segs, 0), 0);
  make_topic(segs, 2 * ART_BROKER_SEGMENTS_MAX + 1, 1);
  assert_int_equal(art_broker_topic_check(segs, 0), ART_ERANGE);
  assert_int_equal(art_broker_topic_check(segs, ART_TOPIC_PATTERN), ART_ERANGE);
  segs[2 * ART_BROKER_SEGMENTS_MAX - 2] = '>'; /* "a.a....>" with the maximum of segments */
  segs[2 * ART_BROKER_SEGMENTS_MAX - 1] = '\0';
  assert_int_equal(art_broker_topic_check(segs, ART_TOPIC_PATTERN), 0);
  assert_int_equal(art_broker_topic_matches(segs, "a"), 0);
}

typedef struct match_case {
  const char *pattern;
  const char *topic;
  int want; /* 1, 0 or an error */
} match_case;

static const match_case match_cases[] = {
    {"a", "a", 1},
    {"a", "b", 0},
    {"a", "a.b", 0},
    {"a.b", "a", 0},
    {"a.b", "a.b", 1},
    {"a.b", "a.bc", 0},
    {"a.bc", "a.b", 0},
    {"ab.c", "a.bc", 0}, /* same bytes, other segments */
    {"*", "a", 1},
    {"*", "a.b", 0},
    {"a.*", "a.b", 1},
    {"a.*", "a", 0},
    {"a.*", "a.b.c", 0},
    {"*.b", "a.b", 1},
    {"*.b", "a.c", 0},
    {"a.*.c", "a.b.c", 1},
    {"a.*.c", "a.b.d", 0},
    {"a.*.c", "a.c", 0},
    {"*.*", "a.b", 1},
    {"*.*", "a", 0},
    {">", "a", 1},
    {">", "a.b.c", 1},
    {"a.>", "a", 0}, /* `>` takes at least one segment */
    {"a.>", "a.b", 1},
    {"a.>", "a.b.c.d", 1},
    {"a.>", "b.c", 0},
    {"*.>", "a", 0},
    {"*.>", "a.b", 1},
    {"a.*.>", "a.b.c", 1},
    {"a.*.>", "a.b", 0},
    {"orders.*.paid", "orders.eu.paid", 1},
    {"orders.*.paid", "orders.eu.refunded", 0},
    {"a.b", "a.*", ART_EINVAL},  /* a wildcard in a topic */
    {"a.b", "a.>", ART_EINVAL},  /* a wildcard in a topic */
    {"a..b", "a.b", ART_EINVAL}, /* invalid pattern */
    {"a.b>", "a.b", ART_EINVAL}, /* invalid pattern */
    {"a", "", ART_EINVAL},       /* invalid topic */
    {NULL, "a", ART_EINVAL},
    {"a", NULL, ART_EINVAL},
};

static void test_match_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
    const match_case *c = &match_cases[i];
    int got = art_broker_topic_matches(c->pattern, c->topic);
    if (got != c->want)
      fail_msg("case %zu: \"%s\" ~ \"%s\" gave %d, want %d", i, c->pattern ? c->pattern : "(null)",
               c->topic ? c->topic : "(null)", got, c->want);
  }
}

/* Every pattern made of the segments of a topic, or of `*` in their place, or cut short by `>`,
 * matches it; changing one literal segment makes it miss. */
static void test_match_generated(void **state) {
  (void)state;
  const char *segs[] = {"x", "yy", "z", "w"};
  const size_t n = 4;
  char topic[32] = "x.yy.z.w";
  for (unsigned mask = 0; mask < (1u << n); mask++) {
    for (size_t cut = 0; cut <= n; cut++) { /* cut < n: `>` replaces segments cut.. */
      if (cut == 0)
        continue; /* ">" alone is in the table */
      char pattern[64] = "";
      for (size_t i = 0; i < n && i <= cut; i++) {
        if (i)
          strcat(pattern, ".");
        if (i == cut) {
          strcat(pattern, ">");
          break;
        }
        strcat(pattern, mask & (1u << i) ? "*" : segs[i]);
      }
      assert_int_equal(art_broker_topic_matches(pattern, topic), 1);
      char other[32] = "x.yy.q.w"; /* the third segment differs */
      bool literal_z = !(mask & 4u) && cut > 2;
      assert_int_equal(art_broker_topic_matches(pattern, other), literal_z ? 0 : 1);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_table),     cmocka_unit_test(test_check_arguments),
      cmocka_unit_test(test_limits),          cmocka_unit_test(test_match_table),
      cmocka_unit_test(test_match_generated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
