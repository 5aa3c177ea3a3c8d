/*
 * Monitors: a build runner watches its jobs.
 *
 * The watcher starts three jobs and monitors each with art_monitor(): "compile" finishes
 * normally, "link" fails with an error, and "test" hangs until the watcher kills it with
 * art_send_exit(killed). Each exit reaches the watcher as one ART_MSG_DOWN carrying the
 * monitor reference, the pid and the exit reason; unlike a link, a monitor never kills the
 * watcher. Monitors stack: the watcher monitors "compile" a second time for a progress display,
 * closes the display at once with art_demonitor(), and that reference's DOWN never comes.
 *
 * Run: build/release/examples/monitors
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { MSG_RUN = 1 };
enum { JOB_COMPILE, JOB_LINK, JOB_TEST, JOBS };

static const char *const job_names[JOBS] = {"compile", "link", "test"};

/* ---- the jobs -------------------------------------------------------------------------- */

static int compile_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  printf("compile:  3 files compiled\n");
  return ART_STOP; /* reason normal */
}

static int link_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  (void)msg;
  return art_fail(ctx, ART_ENOENT, "undefined reference to 'main'"); /* reason error */
}

static int test_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  printf("test:     waiting for a server that never answers...\n");
  return 0; /* it hangs: only an exit signal ends it */
}

static const art_actor_ops job_ops[JOBS] = {
    [JOB_COMPILE] = {.handle = compile_handle},
    [JOB_LINK] = {.handle = link_handle},
    [JOB_TEST] = {.handle = test_handle},
};

/* ---- the watcher --------------------------------------------------------------------------- */

typedef struct down_record {
  art_ref ref;
  art_pid pid;
  art_exit_reason reason;
  uint64_t correlation;
} down_record;

/* The watcher's state, read by main after every actor has exited. */
typedef struct watcher {
  art_pid jobs[JOBS];
  art_ref refs[JOBS];
  art_ref progress_ref; /* the second monitor on compile, removed at once */
  int demonitor_rc, demonitor_again_rc;
  bool killed_test;
  int downs;
  down_record seen[8];
} watcher;

static int job_index(const watcher *w, art_pid pid) {
  for (int i = 0; i < JOBS; i++)
    if (w->jobs[i] == pid)
      return i;
  return -1;
}

static int watcher_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  watcher *w = state;
  art_system *sys = art_ctx_system(ctx);
  int rc;
  for (int i = 0; i < JOBS; i++) {
    art_spawn_opts opts = {.ops = &job_ops[i], .name = job_names[i]};
    if ((rc = art_spawn(sys, &opts, &w->jobs[i])) != 0 ||
        (rc = art_monitor(ctx, w->jobs[i], &w->refs[i])) != 0)
      return rc;
    printf("watcher:  monitoring %-7s pid %#" PRIx64 " ref %" PRIu64 "\n", job_names[i], w->jobs[i],
           w->refs[i]);
  }
  /* A second, independent monitor on compile; dropping it leaves the first one in place. */
  if ((rc = art_monitor(ctx, w->jobs[JOB_COMPILE], &w->progress_ref)) != 0)
    return rc;
  w->demonitor_rc = art_demonitor(ctx, w->progress_ref);
  w->demonitor_again_rc = art_demonitor(ctx, w->progress_ref);
  printf("watcher:  monitored compile again (ref %" PRIu64 "), then art_demonitor: %d, again: %s\n",
         w->progress_ref, w->demonitor_rc, art_err_name(w->demonitor_again_rc));
  for (int i = 0; i < JOBS; i++)
    if ((rc = art_send(sys, w->jobs[i], MSG_RUN, NULL, 0)) != 0)
      return rc;
  return 0;
}

static int watcher_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  watcher *w = state;
  if (msg->type != ART_MSG_DOWN)
    return 0;
  const art_down_msg *down = msg->data;
  if (w->downs < (int)(sizeof w->seen / sizeof w->seen[0]))
    w->seen[w->downs] = (down_record){down->ref, down->pid, down->reason, msg->correlation};
  w->downs++;
  int job = job_index(w, down->pid);
  char reason[192];
  art_reason_format(&down->reason, reason, sizeof reason);
  printf("watcher:  DOWN ref %" PRIu64 " pid %#" PRIx64 " (%s): %s\n", down->ref, down->pid,
         job >= 0 ? job_names[job] : "?", reason);
  if (w->downs == 2 && !w->killed_test) {
    /* compile and link are done; the test job is still stuck. `killed` cannot be trapped and
     * overtakes whatever is queued. */
    printf("watcher:  build finished, test still running: killing it\n");
    art_exit_reason killed = art_reason(ART_EXIT_KILLED);
    int rc = art_send_exit(art_ctx_system(ctx), w->jobs[JOB_TEST], &killed);
    if (rc)
      return rc;
    w->killed_test = true;
  }
  return w->downs == JOBS ? ART_STOP : 0;
}

static const art_actor_ops watcher_ops = {.pre_start = watcher_start, .handle = watcher_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "monitors: FAILED: %s\n", what);
    failures++;
  }
}

/* The DOWN main expects for job @p i, or NULL. */
static const down_record *down_for(const watcher *w, int i) {
  for (int k = 0; k < w->downs && k < (int)(sizeof w->seen / sizeof w->seen[0]); k++)
    if (w->seen[k].ref == w->refs[i])
      return &w->seen[k];
  return NULL;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "monitors: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  watcher w = {0};
  rc = art_spawn(sys, &(art_spawn_opts){.ops = &watcher_ops, .state = &w, .name = "watcher"}, NULL);
  check(rc == 0, "spawn the watcher");
  check(rc == 0 && art_system_wait(sys, ART_SEC(3)) == 0, "all actors exit within 3 s");
  art_system_destroy(sys);

  check(w.downs == JOBS, "exactly one DOWN per job");
  check(w.demonitor_rc == 0 && w.demonitor_again_rc == ART_ENOENT,
        "art_demonitor returns 0, then ART_ENOENT for the same reference");
  for (int k = 0; k < w.downs && k < (int)(sizeof w.seen / sizeof w.seen[0]); k++) {
    check(w.seen[k].ref != w.progress_ref, "no DOWN for the demonitored reference");
    check(w.seen[k].correlation == w.seen[k].ref, "msg.correlation is the reference");
  }
  const down_record *compile = down_for(&w, JOB_COMPILE), *link = down_for(&w, JOB_LINK),
                    *test = down_for(&w, JOB_TEST);
  check(compile && compile->pid == w.jobs[JOB_COMPILE] && compile->reason.kind == ART_EXIT_NORMAL,
        "compile: DOWN with reason normal");
  check(link && link->pid == w.jobs[JOB_LINK] && link->reason.kind == ART_EXIT_ERROR &&
            link->reason.code == ART_ENOENT &&
            strcmp(link->reason.text, "undefined reference to 'main'") == 0,
        "link: DOWN with the error and its text");
  check(test && test->pid == w.jobs[JOB_TEST] && test->reason.kind == ART_EXIT_KILLED,
        "test: DOWN with reason killed");
  if (failures)
    return 1;
  printf("monitors: OK: 3 DOWNs (normal, error, killed), none for the demonitored reference\n");
  return 0;
}
