/*
 * The demo end to end, as a user runs it: bad options are refused with a message; a short run
 * with injected failures serves Prometheus metrics over HTTP on 127.0.0.1 while it runs
 * (checked with promtool when it is installed), ends by itself with status 0, reports no job
 * lost and at least one failure and restart, and writes a monitor snapshot that parses as JSON
 * and counts those failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "http_client.h"

/* A running demo: its pid and its merged stdout and stderr. */
typedef struct run {
  pid_t pid;
  FILE *out;
} run;

static run start(const char *const *args) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    const char *argv[32] = {DEMO_BINARY};
    for (size_t i = 0; args[i] && i < 30; i++)
      argv[i + 1] = args[i];
    execv(DEMO_BINARY, (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  return (run){.pid = pid, .out = fdopen(fds[0], "r")};
}

/* Reads the rest of the output into @p text and returns the exit status. */
static int finish(run *r, char *text, size_t len) {
  size_t used = strlen(text);
  while (used + 1 < len && fgets(text + used, (int)(len - used), r->out))
    used += strlen(text + used);
  fclose(r->out);
  int status;
  assert_int_equal(waitpid(r->pid, &status, 0), r->pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_refused(const char *const *args, const char *message) {
  run r = start(args);
  char out[4096] = "";
  int status = finish(&r, out, sizeof out);
  if (status != 2 || !strstr(out, message))
    fail_msg("%s %s: status %d, output:\n%s", args[0], args[1] ? args[1] : "", status, out);
}

static void test_bad_options(void **state) {
  (void)state;
  expect_refused((const char *[]){"--metrics", "nonsense", "--duration", "1", NULL},
                 "--metrics: bad port");
  expect_refused((const char *[]){"--duration", "-1", NULL}, "bad value '-1' for --duration");
  expect_refused((const char *[]){"--failure-rate", "2", NULL}, "--failure-rate");
  expect_refused((const char *[]){"--workers", "0", NULL}, "--workers");
  expect_refused((const char *[]){"--bogus", NULL}, "unknown option --bogus");
  expect_refused((const char *[]){"--seed", NULL}, "--seed needs a value");
  run r = start((const char *[]){"--help", NULL});
  char out[4096] = "";
  assert_int_equal(finish(&r, out, sizeof out), 0);
  assert_non_null(strstr(out, "--failure-rate"));
}

static bool have_promtool(void) {
  if (DEMO_PROMTOOL[0] == '\0' || access(DEMO_PROMTOOL, X_OK) != 0) {
    print_message("promtool not found (Debian package prometheus, see scripts/deps.sh): "
                  "skipping the promtool check\n");
    return false;
  }
  return true;
}

static void assert_promtool_accepts(const char *text) {
  char path[] = "/tmp/demo_metrics_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  char command[512], out[4096];
  snprintf(command, sizeof command, "'%s' check metrics < '%s' 2>&1", DEMO_PROMTOOL, path);
  FILE *p = popen(command, "r");
  assert_non_null(p);
  size_t got = fread(out, 1, sizeof out - 1, p);
  out[got] = '\0';
  int status = pclose(p);
  unlink(path);
  if (status != 0 || out[0])
    fail_msg("promtool: %s", out);
}

static uint64_t json_count(json_t *root, const char *family, const char *kind) {
  json_t *v = json_object_get(json_object_get(json_object_get(root, "by_kind"), family), kind);
  return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static void test_run_with_failures(void **state) {
  (void)state;
  char json_path[] = "/tmp/demo_snapshot_XXXXXX";
  int fd = mkstemp(json_path);
  assert_true(fd >= 0);
  close(fd);
  run r = start((const char *[]){"--duration", "3", "--no-live", "--seed", "7", "--rate", "2000",
                                 "--failure-rate", "0.01", "--metrics", "127.0.0.1:0", "--json",
                                 json_path, NULL});
  static char out[1 << 16];
  out[0] = '\0';
  /* The first line names the metrics address. */
  unsigned port = 0;
  assert_non_null(fgets(out, sizeof out, r.out));
  if (sscanf(out, "metrics: http://127.0.0.1:%u/metrics", &port) != 1 || port == 0)
    fail_msg("no metrics address in: %s", out);

  /* Let some work happen, then scrape while it runs. */
  char line[512];
  assert_non_null(fgets(line, sizeof line, r.out)); /* the first status line, after 1 s */
  strncat(out, line, sizeof out - strlen(out) - 1);
  char *response;
  assert_int_equal(http_fetch((uint16_t)port, "GET", "/metrics", &response), 200);
  const char *body = http_body(response);
  assert_non_null(strstr(body, "demo_jobs_total{outcome=\"done\"}"));
  assert_non_null(strstr(body, "art_monitor_events_total"));
  unsigned long long done = 0;
  const char *at = strstr(body, "demo_jobs_total{outcome=\"done\"} ");
  assert_non_null(at);
  assert_int_equal(sscanf(at, "demo_jobs_total{outcome=\"done\"} %llu", &done), 1);
  assert_true(done > 0);
  if (have_promtool())
    assert_promtool_accepts(body);
  free(response);

  int status = finish(&r, out, sizeof out);
  if (status != 0)
    fail_msg("demo exited with %d:\n%s", status, out);
  assert_non_null(strstr(out, " 0 lost"));
  assert_non_null(strstr(out, "OK: every job was done or rejected"));
  assert_non_null(strstr(out, "results seen"));

  json_error_t err;
  json_t *root = json_load_file(json_path, 0, &err);
  if (!root)
    fail_msg("snapshot: %s (line %d)", err.text, err.line);
  unlink(json_path);
  assert_true(json_count(root, "supervision", "child_failed") > 0);
  assert_true(json_count(root, "supervision", "child_restarted") > 0);
  assert_true(json_count(root, "supervision", "child_started") > 0);
  json_decref(root);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_run_with_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
