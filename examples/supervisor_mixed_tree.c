/*
 * A mixed supervision tree (the seed's pattern 4): one supervisor over an actor and two
 * children that are not actors at all.
 *
 *   files (one_for_one)
 *   ├── collector   an actor: counts the files the watcher reports (registered by name)
 *   ├── worker      a custom child: a background thread squaring numbers from a job queue
 *   └── watcher     a custom child: a thread watching a directory with inotify
 *
 * A custom child is an art_child_ops table (start, stop, health_check, destroy) over an object
 * the spec's factory makes afresh for every (re)start. The supervisor hosts each object in an
 * actor of its own, on a dedicated thread, so start and stop may block; the host's pid is the
 * child's pid, linked to the supervisor like any child.
 *
 * - worker: start creates the thread; stop tells it to finish and joins it within the shutdown
 *   timeout; health_check reports a long backlog as degraded.
 * - watcher: start sets up inotify on a temporary directory and a thread that reads it and
 *   sends each new file's name to the collector. A file it cannot handle ("bad-*") makes it
 *   fail with art_child_fail(); the supervisor stops it and the factory makes a fresh watcher,
 *   which keeps reporting.
 *
 * Run: build/release/examples/supervisor_mixed_tree
 */
#include <art.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int failures; /* the watcher thread checks too */

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "check failed at line %d: %s\n", __LINE__, #cond);                           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

enum { MSG_FILE_SEEN = 1, MSG_COUNT };

/* What the watcher sends the collector, and what the collector answers MSG_COUNT with. */
typedef struct file_report {
  int watcher; /* which watcher object saw it: 1 for the first, 2 after a restart, ... */
  char name[64];
} file_report;

typedef struct file_count {
  int files;
  int last_watcher;
} file_count;

/* ---- the collector: an actor --------------------------------------------------------------- */

static int collector_start(art_ctx *ctx, void *state, void *args) {
  (void)state;
  (void)args;
  /* The watcher finds it by name, so a restart of either side needs no pid passed around. */
  return art_register(art_ctx_system(ctx), "collector", art_self(ctx));
}

static int collector_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  file_count *count = state;
  if (msg->type == MSG_FILE_SEEN && msg->size == sizeof(file_report)) {
    file_report report;
    memcpy(&report, msg->data, sizeof report);
    count->files++;
    count->last_watcher = report.watcher;
    printf("  collector: %s (from watcher #%d)\n", report.name, report.watcher);
    return 0;
  }
  if (msg->type == MSG_COUNT)
    return art_reply(art_ctx_system(ctx), msg, MSG_COUNT, count, sizeof *count);
  return 0;
}

static const art_actor_ops collector_ops = {.pre_start = collector_start,
                                            .handle = collector_handle};

/* ---- the background worker: a custom child --------------------------------------------------- */

#define QUEUE_MAX 64
#define BACKLOG_DEGRADED 32

/* The job queue outlives the worker objects (it is the factory's argument): jobs queued while
 * a worker restarts wait for the next one. */
typedef struct job_queue {
  pthread_mutex_t lock;
  pthread_cond_t changed; /* a job queued or done, or a worker told to stop */
  int jobs[QUEUE_MAX];
  size_t head, count;
  int done;
  int64_t sum;
  int made, stopped, destroyed; /* worker objects, for the leak check at the end */
  int health_checks;
} job_queue;

typedef struct bg_worker {
  job_queue *queue;
  pthread_t thread;
  bool stopping; /* under queue->lock */
} bg_worker;

static void *worker_thread(void *arg) {
  bg_worker *w = arg;
  job_queue *q = w->queue;
  pthread_mutex_lock(&q->lock);
  for (;;) {
    while (!w->stopping && q->count == 0)
      pthread_cond_wait(&q->changed, &q->lock);
    if (w->stopping)
      break;
    int job = q->jobs[q->head];
    q->head = (q->head + 1) % QUEUE_MAX;
    q->count--;
    pthread_mutex_unlock(&q->lock);
    int64_t result = (int64_t)job * job; /* the work */
    pthread_mutex_lock(&q->lock);
    q->sum += result;
    q->done++;
    pthread_cond_broadcast(&q->changed);
  }
  pthread_mutex_unlock(&q->lock);
  return NULL;
}

static void *worker_factory(void *arg) {
  job_queue *q = arg;
  bg_worker *w = calloc(1, sizeof *w);
  if (w) {
    w->queue = q;
    pthread_mutex_lock(&q->lock);
    q->made++;
    pthread_mutex_unlock(&q->lock);
  }
  return w;
}

static int worker_start(void *obj, art_child_ctx *cctx) {
  (void)cctx;
  bg_worker *w = obj;
  int err = pthread_create(&w->thread, NULL, worker_thread, w);
  return err ? -err : 0;
}

/* Tells the thread to stop after its current job and joins it within @p timeout. A thread that
 * overruns is still joined (it must not outlive the object); the supervisor has recorded the
 * overrun and moved on by then. */
static int worker_stop(void *obj, art_duration timeout) {
  bg_worker *w = obj;
  job_queue *q = w->queue;
  pthread_mutex_lock(&q->lock);
  w->stopping = true;
  q->stopped++;
  pthread_cond_broadcast(&q->changed);
  pthread_mutex_unlock(&q->lock);
  int rc = 0;
  if (timeout != ART_FOREVER) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    int64_t ns = deadline.tv_nsec + timeout % ART_SEC(1);
    deadline.tv_sec += (time_t)(timeout / ART_SEC(1) + ns / ART_SEC(1));
    deadline.tv_nsec = (long)(ns % ART_SEC(1));
    if (pthread_timedjoin_np(w->thread, NULL, &deadline) == 0)
      return 0;
    rc = ART_ETIMEDOUT;
  }
  pthread_join(w->thread, NULL);
  return rc;
}

static art_health_status worker_health(void *obj, char *detail, size_t detail_size) {
  bg_worker *w = obj;
  pthread_mutex_lock(&w->queue->lock);
  size_t backlog = w->queue->count;
  w->queue->health_checks++;
  pthread_mutex_unlock(&w->queue->lock);
  if (backlog < BACKLOG_DEGRADED)
    return ART_HEALTH_HEALTHY;
  snprintf(detail, detail_size, "backlog of %zu jobs", backlog);
  return ART_HEALTH_DEGRADED;
}

static void worker_destroy(void *obj) {
  bg_worker *w = obj;
  pthread_mutex_lock(&w->queue->lock);
  w->queue->destroyed++;
  pthread_mutex_unlock(&w->queue->lock);
  free(w);
}

static const art_child_ops worker_ops = {.start = worker_start,
                                         .stop = worker_stop,
                                         .health_check = worker_health,
                                         .destroy = worker_destroy};

/* ---- the file watcher: a custom child ------------------------------------------------------- */

/* The factory's argument: the directory, and counts of the watcher objects. */
typedef struct watch_dir {
  char path[64];
  atomic_int made, stopped, destroyed;
  atomic_int health_checks;
} watch_dir;

typedef struct file_watcher {
  watch_dir *dir;
  int number; /* 1 for the first object, 2 for the one after a restart, ... */
  int inotify_fd, wake_fd;
  pthread_t thread;
  art_child_ctx *cctx; /* valid until destroy: the thread may use it */
} file_watcher;

/* Reads the events in one read() and reports them; false once the watcher has failed. */
static bool watcher_read(file_watcher *fw) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  ssize_t len = read(fw->inotify_fd, buf, sizeof buf);
  if (len <= 0)
    return true;
  for (char *p = buf; p < buf + len;) {
    const struct inotify_event *ev = (const struct inotify_event *)p;
    p += sizeof *ev + ev->len;
    if (ev->len == 0)
      continue;
    if (strncmp(ev->name, "bad-", 4) == 0) {
      printf("  watcher #%d: cannot handle %s: failing\n", fw->number, ev->name);
      art_exit_reason why = art_reason_error(ART_EINVAL, "cannot handle a bad- file");
      CHECK(art_child_fail(fw->cctx, &why) == 0);
      return false; /* the supervisor stops this object and starts a fresh one */
    }
    file_report report = {.watcher = fw->number};
    snprintf(report.name, sizeof report.name, "%s", ev->name);
    printf("  watcher #%d: new file %s\n", fw->number, report.name);
    CHECK(art_send_named(art_child_system(fw->cctx), "collector", MSG_FILE_SEEN, &report,
                         sizeof report) == 0);
  }
  return true;
}

static void *watcher_thread(void *arg) {
  file_watcher *fw = arg;
  struct pollfd fds[2] = {{.fd = fw->inotify_fd, .events = POLLIN},
                          {.fd = fw->wake_fd, .events = POLLIN}};
  while (poll(fds, 2, -1) >= 0 || errno == EINTR) {
    if (fds[1].revents) /* stop() wrote to wake_fd */
      break;
    if (fds[0].revents && !watcher_read(fw))
      break;
  }
  return NULL;
}

static void *watcher_factory(void *arg) {
  watch_dir *dir = arg;
  file_watcher *fw = calloc(1, sizeof *fw);
  if (fw) {
    fw->dir = dir;
    fw->number = atomic_fetch_add(&dir->made, 1) + 1;
    fw->inotify_fd = fw->wake_fd = -1;
  }
  return fw;
}

/* On failure destroy() closes what was opened. */
static int watcher_start(void *obj, art_child_ctx *cctx) {
  file_watcher *fw = obj;
  fw->cctx = cctx;
  fw->inotify_fd = inotify_init1(IN_CLOEXEC);
  if (fw->inotify_fd < 0 ||
      inotify_add_watch(fw->inotify_fd, fw->dir->path, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
    return -errno;
  fw->wake_fd = eventfd(0, EFD_CLOEXEC);
  if (fw->wake_fd < 0)
    return -errno;
  int err = pthread_create(&fw->thread, NULL, watcher_thread, fw);
  if (err)
    return -err;
  printf("  watcher #%d: watching %s\n", fw->number, fw->dir->path);
  return 0;
}

/* The thread wakes at once, so the join is short whatever the timeout. */
static int watcher_stop(void *obj, art_duration timeout) {
  (void)timeout;
  file_watcher *fw = obj;
  uint64_t one = 1;
  if (write(fw->wake_fd, &one, sizeof one) != sizeof one)
    return -errno;
  pthread_join(fw->thread, NULL);
  atomic_fetch_add(&fw->dir->stopped, 1);
  return 0;
}

static art_health_status watcher_health(void *obj, char *detail, size_t detail_size) {
  file_watcher *fw = obj;
  atomic_fetch_add(&fw->dir->health_checks, 1);
  struct stat st;
  if (stat(fw->dir->path, &st) == 0 && S_ISDIR(st.st_mode))
    return ART_HEALTH_HEALTHY;
  snprintf(detail, detail_size, "%s is gone", fw->dir->path);
  return ART_HEALTH_FAILED;
}

static void watcher_destroy(void *obj) {
  file_watcher *fw = obj;
  if (fw->inotify_fd >= 0)
    close(fw->inotify_fd);
  if (fw->wake_fd >= 0)
    close(fw->wake_fd);
  atomic_fetch_add(&fw->dir->destroyed, 1);
  free(fw);
}

static const art_child_ops watcher_ops = {.start = watcher_start,
                                          .stop = watcher_stop,
                                          .health_check = watcher_health,
                                          .destroy = watcher_destroy};

/* ---- the main thread ------------------------------------------------------------------------ */

static void sleep_ms(long ms) {
  nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000}, NULL);
}

static const char *health_name(art_health_status h) {
  return h == ART_HEALTH_HEALTHY ? "healthy" : h == ART_HEALTH_DEGRADED ? "degraded" : "failed";
}

static void show_children(art_system *sys, art_pid sup) {
  art_sup_child_info info[3];
  size_t n = 0;
  CHECK(art_sup_which_children(sys, sup, info, 3, &n) == 0 && n == 3);
  for (size_t i = 0; i < n && i < 3; i++)
    printf("    %-9s pid %#-12" PRIx64 " %-8s restarts %" PRIu32 ", health %s\n", info[i].id,
           info[i].pid, info[i].state == ART_CHILD_RUNNING ? "running" : "stopped",
           info[i].restarts, health_name(info[i].health));
}

static art_pid child_pid(art_system *sys, art_pid sup, const char *id) {
  art_sup_child_info info[3];
  size_t n = 0;
  CHECK(art_sup_which_children(sys, sup, info, 3, &n) == 0);
  for (size_t i = 0; i < n && i < 3; i++)
    if (strcmp(info[i].id, id) == 0)
      return info[i].pid;
  return ART_PID_NONE;
}

static file_count collector_count(art_system *sys) {
  file_count count = {0};
  art_call_reply reply = {.data = &count, .capacity = sizeof count};
  CHECK(art_call(sys, art_whereis(sys, "collector"), MSG_COUNT, NULL, 0, ART_SEC(1), &reply) == 0);
  return count;
}

static void create_file(const watch_dir *dir, const char *name) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir->path, name);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("42\n", f);
    fclose(f);
  }
}

/* Waits (at most 2 s) until the collector holds @p files files. */
static file_count wait_for_files(art_system *sys, int files) {
  file_count count = collector_count(sys);
  for (int i = 0; i < 2000 && count.files < files; i++) {
    sleep_ms(1);
    count = collector_count(sys);
  }
  return count;
}

/* Queues the jobs 1..@p n and waits (at most 2 s) until the worker has done them all. */
static void run_jobs(job_queue *q, int n) {
  pthread_mutex_lock(&q->lock);
  for (int j = 1; j <= n; j++)
    q->jobs[(q->head + q->count++) % QUEUE_MAX] = j;
  pthread_cond_broadcast(&q->changed);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  while (q->done < n && pthread_cond_timedwait(&q->changed, &q->lock, &deadline) == 0)
    ;
  pthread_mutex_unlock(&q->lock);
}

static void remove_dir(const watch_dir *dir) {
  const char *names[] = {"report-1.txt", "report-2.txt", "bad-report.txt", "report-3.txt"};
  char path[128];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir->path, names[i]);
    unlink(path);
  }
  rmdir(dir->path);
}

int main(void) {
  static job_queue queue = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
  static watch_dir dir = {.path = "/tmp/art-watch-XXXXXX"};
  if (!mkdtemp(dir.path)) {
    perror("mkdtemp");
    return 1;
  }
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "art_system_create: %s\n", art_strerror(rc));
    remove_dir(&dir);
    return 1;
  }

  /* Custom children: ops and a factory instead of actor ops. Both are health-checked every
   * 50 ms; the watcher is transient (restarted only after a failure), as in the seed. */
  art_health_spec checks = {.interval = ART_MSEC(50), .timeout = ART_SEC(1), .threshold = 3};
  art_child_spec children[3] = {
      {.id = "collector", .actor = {.ops = &collector_ops, .state_size = sizeof(file_count)}},
      {.id = "worker",
       .ops = &worker_ops,
       .factory = worker_factory,
       .factory_arg = &queue,
       .shutdown = {.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_SEC(1)},
       .health = checks},
      {.id = "watcher",
       .restart = ART_RESTART_TRANSIENT,
       .ops = &watcher_ops,
       .factory = watcher_factory,
       .factory_arg = &dir,
       .shutdown = {.kind = ART_SHUTDOWN_GRACEFUL, .timeout = ART_MSEC(500)},
       .health = checks},
  };
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.intensity = 3;
  spec.children = children;
  spec.child_count = 3;
  spec.name = "files";
  printf("starting the tree: collector (actor), worker and watcher (custom children)\n");
  art_pid sup;
  rc = art_sup_start(sys, &spec, &sup);
  CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "art_sup_start: %s\n", art_strerror(rc));
    art_system_destroy(sys);
    remove_dir(&dir);
    return 1;
  }
  show_children(sys, sup);
  art_pid collector = child_pid(sys, sup, "collector");
  art_pid worker = child_pid(sys, sup, "worker");
  art_pid watcher = child_pid(sys, sup, "watcher");

  /* 1. The worker squares 1..20 on its thread. */
  run_jobs(&queue, 20);
  pthread_mutex_lock(&queue.lock);
  printf("worker: %d jobs done, sum of squares %" PRId64 "\n", queue.done, queue.sum);
  CHECK(queue.done == 20 && queue.sum == 2870);
  pthread_mutex_unlock(&queue.lock);

  /* 2. The watcher reports new files to the collector. */
  printf("two files appear:\n");
  create_file(&dir, "report-1.txt");
  create_file(&dir, "report-2.txt");
  file_count count = wait_for_files(sys, 2);
  CHECK(count.files == 2 && count.last_watcher == 1);

  /* 3. A file the watcher cannot handle: it fails, the factory makes watcher #2. */
  printf("a bad file appears:\n");
  create_file(&dir, "bad-report.txt");
  art_pid watcher2 = ART_PID_NONE;
  for (int i = 0; i < 2000 && (watcher2 == ART_PID_NONE || watcher2 == watcher); i++) {
    sleep_ms(1);
    watcher2 = child_pid(sys, sup, "watcher");
  }
  CHECK(watcher2 != ART_PID_NONE && watcher2 != watcher);
  CHECK(atomic_load(&dir.made) == 2);

  /* 4. The new watcher carries on. */
  printf("another file appears:\n");
  create_file(&dir, "report-3.txt");
  count = wait_for_files(sys, 3);
  CHECK(count.files == 3 && count.last_watcher == 2);
  printf("the tree now (only the watcher was restarted: one_for_one):\n");
  show_children(sys, sup);
  CHECK(child_pid(sys, sup, "collector") == collector);
  CHECK(child_pid(sys, sup, "worker") == worker);

  /* 5. Health checks run every 50 ms on the custom children's host threads. */
  int worker_checks = 0;
  for (int i = 0; i < 2000 && (worker_checks == 0 || atomic_load(&dir.health_checks) == 0); i++) {
    sleep_ms(1);
    pthread_mutex_lock(&queue.lock);
    worker_checks = queue.health_checks;
    pthread_mutex_unlock(&queue.lock);
  }
  printf("health checks answered so far: worker %d, watcher %d\n", worker_checks,
         atomic_load(&dir.health_checks));
  CHECK(worker_checks > 0 && atomic_load(&dir.health_checks) > 0);

  /* 6. Stop: every object that started is stopped once and destroyed once. */
  CHECK(art_sup_stop(sys, sup, ART_SEC(5)) == 0);
  art_system_destroy(sys);
  printf("stopped: worker objects made %d, stopped %d, destroyed %d; "
         "watcher objects made %d, stopped %d, destroyed %d\n",
         queue.made, queue.stopped, queue.destroyed, atomic_load(&dir.made),
         atomic_load(&dir.stopped), atomic_load(&dir.destroyed));
  CHECK(queue.made == 1 && queue.stopped == 1 && queue.destroyed == 1);
  CHECK(atomic_load(&dir.made) == 2 && atomic_load(&dir.stopped) == 2 &&
        atomic_load(&dir.destroyed) == 2);
  remove_dir(&dir);
  if (failures) {
    fprintf(stderr, "supervisor_mixed_tree: %d check(s) failed\n", failures);
    return 1;
  }
  printf("supervisor_mixed_tree: all checks passed\n");
  return 0;
}
