/*
 * The demo's metrics endpoint over real HTTP on 127.0.0.1: address parsing, the answers to
 * each path and method, a failing metrics callback, and a port already taken.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "http_client.h"

static void test_parse_address(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int rc;
    uint32_t host;
    uint16_t port;
  } cases[] = {
      {"127.0.0.1:9100", 0, 0x7f000001u, 9100},
      {":0", 0, 0x7f000001u, 0},
      {"8080", 0, 0x7f000001u, 8080},
      {"localhost:1", 0, 0x7f000001u, 1},
      {"0.0.0.0:65535", 0, 0, 65535},
      {"", -EINVAL, 0, 0},
      {"abc", -EINVAL, 0, 0},
      {"1.2.3:80", -EINVAL, 0, 0},
      {"127.0.0.1:65536", -EINVAL, 0, 0},
      {"127.0.0.1:-1", -EINVAL, 0, 0},
      {"127.0.0.1:", -EINVAL, 0, 0},
      {"example.com:80", -EINVAL, 0, 0},
      {"127.0.0.1:80x", -EINVAL, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t host = 1234;
    uint16_t port = 4321;
    char err[128] = "";
    int rc = demo_http_parse_address(cases[i].text, &host, &port, err, sizeof err);
    if (rc != cases[i].rc)
      fail_msg("'%s': got %d, want %d", cases[i].text, rc, cases[i].rc);
    if (rc == 0) {
      assert_int_equal(host, cases[i].host);
      assert_int_equal(port, cases[i].port);
    } else {
      assert_true(strlen(err) > 0);
    }
  }
}

typedef struct source {
  int calls;
  bool fail;
} source;

static int metrics(void *ctx, char **text, size_t *len) {
  source *s = ctx;
  s->calls++;
  if (s->fail)
    return -EIO;
  *text = strdup("# TYPE x_total counter\nx_total 42\n");
  *len = strlen(*text);
  return 0;
}

static void test_serves_metrics(void **state) {
  (void)state;
  source src = {0};
  demo_http *http = NULL;
  char err[128];
  assert_int_equal(demo_http_start("127.0.0.1:0", metrics, &src, &http, err, sizeof err), 0);
  uint16_t port = demo_http_port(http);
  assert_true(port > 0);

  char *r;
  assert_int_equal(http_fetch(port, "GET", "/metrics", &r), 200);
  assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
  assert_string_equal(http_body(r), "# TYPE x_total counter\nx_total 42\n");
  free(r);
  assert_int_equal(src.calls, 1);

  assert_int_equal(http_fetch(port, "HEAD", "/metrics", &r), 200);
  free(r);
  assert_int_equal(http_fetch(port, "GET", "/", &r), 200);
  assert_non_null(strstr(http_body(r), "/metrics"));
  free(r);
  assert_int_equal(http_fetch(port, "GET", "/other", &r), 404);
  free(r);
  assert_int_equal(http_fetch(port, "POST", "/metrics", &r), 405);
  assert_non_null(strstr(r, "Allow: GET, HEAD"));
  free(r);
  src.fail = true;
  assert_int_equal(http_fetch(port, "GET", "/metrics", &r), 500);
  free(r);
  assert_int_equal(demo_http_requests(http), 6);
  demo_http_stop(http);

  /* Stopped: nobody answers any more. */
  assert_int_equal(http_fetch(port, "GET", "/metrics", &r), -1);
  free(r);
}

static void test_port_taken(void **state) {
  (void)state;
  source src = {0};
  demo_http *first = NULL, *second = NULL;
  char err[128], address[32];
  assert_int_equal(demo_http_start("127.0.0.1:0", metrics, &src, &first, err, sizeof err), 0);
  snprintf(address, sizeof address, "127.0.0.1:%u", demo_http_port(first));
  int rc = demo_http_start(address, metrics, &src, &second, err, sizeof err);
  assert_true(rc < 0);
  assert_null(second);
  assert_non_null(strstr(err, "cannot listen"));
  assert_int_equal(demo_http_start("nonsense", metrics, &src, &second, err, sizeof err), -EINVAL);
  demo_http_stop(first);
  demo_http_stop(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_address),
      cmocka_unit_test(test_serves_metrics),
      cmocka_unit_test(test_port_taken),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
