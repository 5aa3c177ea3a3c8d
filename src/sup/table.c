/*
 * The supervisor's tables: memory, child records (a list in start order, and hash maps by pid
 * and by reference, so that no message costs a scan of the children), and its events.
 */
#include <stdlib.h>
#include <string.h>

#include "sup.h"

void *art__sup_alloc(const art_allocator *a, size_t size) {
  void *p = a->alloc ? a->alloc(a->ctx, size) : malloc(size);
  if (p)
    memset(p, 0, size);
  return p;
}

void art__sup_free(const art_allocator *a, void *p) {
  if (!p)
    return;
  if (a->free)
    a->free(a->ctx, p);
  else
    free(p);
}

/* ---- the hash map ------------------------------------------------------------------------ */

static uint32_t slot_of(const sup_map *m, uint64_t key) {
  return (uint32_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (m->cap - 1);
}

static int map_grow(const art_allocator *a, sup_map *m, uint32_t cap) {
  sup_map bigger = {.cap = cap};
  if (!(bigger.slots = art__sup_alloc(a, cap * sizeof *bigger.slots)))
    return ART_ENOMEM;
  for (uint32_t i = 0; i < m->cap; i++)
    if (m->slots[i].key)
      art__sup_map_put(&bigger, m->slots[i].key, m->slots[i].value);
  art__sup_map_free(a, m);
  *m = bigger;
  return 0;
}

int art__sup_map_reserve(const art_allocator *a, sup_map *m, size_t n) {
  if (n > UINT32_MAX / 4)
    return ART_ENOMEM;
  uint32_t cap = m->cap ? m->cap : 16;
  while (cap < 2 * n)
    cap *= 2;
  return cap == m->cap ? 0 : map_grow(a, m, cap);
}

void art__sup_map_put(sup_map *m, uint64_t key, void *value) {
  uint32_t i = slot_of(m, key);
  while (m->slots[i].key && m->slots[i].key != key)
    i = (i + 1) & (m->cap - 1);
  if (!m->slots[i].key)
    m->count++;
  m->slots[i] = (sup_map_entry){key, value};
}

void *art__sup_map_get(const sup_map *m, uint64_t key) {
  if (!m->cap || !key)
    return NULL;
  for (uint32_t i = slot_of(m, key); m->slots[i].key; i = (i + 1) & (m->cap - 1))
    if (m->slots[i].key == key)
      return m->slots[i].value;
  return NULL;
}

/* Removes @p key; the entries after it in its run move back so that no probe stops early. */
void *art__sup_map_take(sup_map *m, uint64_t key) {
  if (!m->cap || !key)
    return NULL;
  uint32_t mask = m->cap - 1, i = slot_of(m, key);
  while (m->slots[i].key != key) {
    if (!m->slots[i].key)
      return NULL;
    i = (i + 1) & mask;
  }
  void *value = m->slots[i].value;
  m->count--;
  for (uint32_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
    uint32_t home = slot_of(m, m->slots[j].key);
    /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  m->slots[i] = (sup_map_entry){0, NULL};
  return value;
}

void art__sup_map_free(const art_allocator *a, sup_map *m) {
  art__sup_free(a, m->slots);
  memset(m, 0, sizeof *m);
}

/* ---- child records ------------------------------------------------------------------------ */

/* A child with its own spec: the record, the spec and the id in one block. */
typedef struct sup_owned_child {
  sup_child child;
  art_child_spec spec;
  char id[ART_SUP_ID_MAX + 1];
} sup_owned_child;

static void child_init(sup_state *s, sup_child *c, const art_child_spec *spec) {
  c->spec = spec;
  c->uid = ++s->next_uid;
  c->window.limit = spec->max_restarts;
  c->window.period = spec->restart_window;
}

sup_child *art__sup_child_new(sup_state *s, const art_child_spec *spec) {
  sup_owned_child *o = art__sup_alloc(&s->alloc, sizeof *o);
  if (!o)
    return NULL;
  o->spec = *spec;
  strcpy(o->id, spec->id);
  o->spec.id = o->id;
  child_init(s, &o->child, &o->spec);
  return &o->child;
}

sup_child *art__sup_instance_new(sup_state *s, void *arg) {
  sup_child *c = art__sup_alloc(&s->alloc, sizeof *c);
  if (!c)
    return NULL;
  child_init(s, c, &s->simple_spec);
  c->arg = arg;
  return c;
}

const char *art__sup_child_id(const sup_child *c) {
  return c->spec->id ? c->spec->id : "";
}

bool art__sup_is_custom(const sup_child *c) {
  return c->spec->type == ART_CHILD_WORKER && c->spec->ops;
}

void art__sup_child_append(sup_state *s, sup_child *c) {
  c->prev = s->last;
  c->next = NULL;
  if (s->last)
    s->last->next = c;
  else
    s->first = c;
  s->last = c;
  s->nchildren++;
}

/* FNV-1a; 0 is the map's empty key, so it becomes 1. */
static uint64_t id_hash(const char *id) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (; *id; id++)
    h = (h ^ (unsigned char)*id) * UINT64_C(0x100000001b3);
  return h ? h : 1;
}

int art__sup_child_add(sup_state *s, sup_child *c) {
  if (art__sup_map_reserve(&s->alloc, &s->by_id, s->by_id.count + 1) != 0)
    return ART_ENOMEM;
  uint64_t h = id_hash(c->spec->id);
  sup_child *head = art__sup_map_get(&s->by_id, h);
  for (sup_child *same = head; same; same = same->same_hash)
    if (strcmp(same->spec->id, c->spec->id) == 0)
      return ART_EEXIST;
  c->same_hash = head;
  art__sup_map_put(&s->by_id, h, c);
  c->indexed = true;
  art__sup_child_append(s, c);
  return 0;
}

static void unindex(sup_state *s, sup_child *c) {
  uint64_t h = id_hash(c->spec->id);
  sup_child *head = art__sup_map_get(&s->by_id, h);
  if (head == c) {
    if (c->same_hash)
      art__sup_map_put(&s->by_id, h, c->same_hash);
    else
      art__sup_map_take(&s->by_id, h);
  } else {
    while (head->same_hash != c)
      head = head->same_hash;
    head->same_hash = c->same_hash;
  }
  c->same_hash = NULL;
  c->indexed = false;
}

void art__sup_child_detach(sup_state *s, sup_child *c) {
  if (c->indexed)
    unindex(s, c);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->first = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    s->last = c->prev;
  c->prev = c->next = NULL;
  s->nchildren--;
}

void art__sup_child_free(sup_state *s, sup_child *c) {
  art__sup_child_down(s, c);
  art__sup_clear_pid(s, c);
  art__sup_set_restarting(s, c, false);
  art__sup_window_free(&s->alloc, &c->window);
  art__sup_free(&s->alloc, c); /* an owned child's block starts with its record */
}

void art__sup_child_remove(sup_state *s, sup_child *c) {
  if (s->op.cursor == c)
    s->op.cursor = c->next;
  art__sup_child_detach(s, c);
  art__sup_child_free(s, c);
}

sup_child *art__sup_child_by_id(sup_state *s, const char *id) {
  for (sup_child *c = art__sup_map_get(&s->by_id, id_hash(id)); c; c = c->same_hash)
    if (strcmp(c->spec->id, id) == 0)
      return c;
  return NULL;
}

sup_child *art__sup_child_by_pid(sup_state *s, art_pid pid) {
  sup_child *c = art__sup_map_get(&s->by_pid, pid);
  return c && c->pid == pid ? c : NULL; /* not a pid a shutdown left behind (ops.c) */
}

sup_child *art__sup_instance_by_pid(sup_state *s, art_pid pid) {
  sup_child *c = art__sup_map_get(&s->by_pid, pid);
  if (c && c->pid != pid && !(c->status == CHILD_RESTARTING && c->last_pid == pid))
    return NULL;
  return c;
}

sup_child *art__sup_child_by_uid(sup_state *s, uint64_t uid) {
  return art__sup_map_get(&s->by_ref, uid);
}

/* Whether a restarting @p c is found by the pid of its last run: simple_one_for_one's
 * instances, which have no id to be named by. */
static bool by_last_pid(const sup_state *s, const sup_child *c) {
  return c->spec == &s->simple_spec && c->last_pid != ART_PID_NONE;
}

bool art__sup_set_restarting(sup_state *s, sup_child *c, bool on) {
  if (!on) {
    if (c->status == CHILD_RESTARTING) {
      art__sup_map_take(&s->by_ref, c->uid);
      if (by_last_pid(s, c) && art__sup_map_get(&s->by_pid, c->last_pid) == c)
        art__sup_map_take(&s->by_pid, c->last_pid);
      c->status = CHILD_DOWN;
    }
    art__sup_timer_cancel(s, &c->backoff_timer);
    return true;
  }
  if (c->status != CHILD_RESTARTING) {
    if (art__sup_map_reserve(&s->alloc, &s->by_ref, s->by_ref.count + 1) != 0 ||
        (by_last_pid(s, c) && art__sup_reserve_pid(s) != 0))
      return false;
    art__sup_map_put(&s->by_ref, c->uid, c);
    if (by_last_pid(s, c))
      art__sup_map_put(&s->by_pid, c->last_pid, c);
  }
  c->status = CHILD_RESTARTING;
  return true;
}

int art__sup_reserve_pid(sup_state *s) {
  return art__sup_map_reserve(&s->alloc, &s->by_pid, s->by_pid.count + 1);
}

void art__sup_set_pid(sup_state *s, sup_child *c, art_pid pid) {
  c->pid = pid;
  art__sup_map_put(&s->by_pid, pid, c);
}

void art__sup_clear_pid(sup_state *s, sup_child *c) {
  if (c->status == CHILD_RUNNING)
    c->last_pid = c->pid;
  if (c->pid != ART_PID_NONE)
    art__sup_map_take(&s->by_pid, c->pid);
  c->pid = ART_PID_NONE;
  if (c->status == CHILD_RUNNING || c->status == CHILD_STARTING)
    c->status = CHILD_DOWN;
}

void art__sup_state_free(sup_state *s) {
  art__sup_map_free(&s->alloc, &s->by_id); /* all go: no need to take them out one by one */
  for (sup_child *c = s->first; c; c = c->next)
    c->indexed = false;
  while (s->first)
    art__sup_child_remove(s, s->first);
  while (s->pending) {
    sup_pending *p = s->pending;
    s->pending = p->next;
    art__sup_free(&s->alloc, p);
  }
  art__sup_free(&s->alloc, s->op.stops);
  art__sup_window_free(&s->alloc, &s->window);
  art__sup_map_free(&s->alloc, &s->by_pid);
  art__sup_map_free(&s->alloc, &s->by_ref);
  art_allocator a = s->alloc;
  art__sup_free(&a, s);
}

/* ---- events ------------------------------------------------------------------------------- */

void art__sup_emit(sup_state *s, art_event_kind kind, const sup_child *c, art_pid pid,
                   const art_exit_reason *reason, int err, uint64_t count) {
  ART_MONITOR_EVENT(art_system_monitor(s->sys), kind, art_event_kind_severity(kind), ev, {
    ev.pid = pid;
    ev.other = s->self;
    if (c) {
      art_event_copy_text(ev.child_id, sizeof ev.child_id, art__sup_child_id(c));
      ev.restart_count = c->restarts;
    }
    if (reason) {
      ev.reason = (uint8_t)reason->kind;
      ev.error_code = reason->code;
      art_event_copy_text(ev.text, sizeof ev.text, reason->text);
    }
    if (err) {
      ev.error_code = err;
      art_event_copy_text(ev.text, sizeof ev.text, art_strerror(err));
    }
    ev.count = count;
    switch (kind) {
    case ART_EVENT_SUPERVISION_STRATEGY_APPLIED:
      art_event_copy_text(ev.strategy, sizeof ev.strategy, art_sup_strategy_name(s->strategy));
      break;
    case ART_EVENT_SUPERVISION_RESTART_LIMIT_EXCEEDED:
      /* count: restarts in the window; the supervisor's when it is exceeded (see give_up),
       * else the child's */
      ev.restart_count = (uint32_t)count;
      ev.count = 0;
      ev.duration_ns =
          s->window.count > s->window.limit || !c ? s->window.period : c->window.period;
      break;
    case ART_EVENT_SUPERVISION_CHILD_RESTARTED:
      ev.duration_ns = c ? c->delay : 0;
      break;
    case ART_EVENT_SUPERVISION_CHILD_STARTED: /* emitted when it runs: `since` is now */
      ev.duration_ns = c ? c->since - c->start_began : 0;
      break;
    case ART_EVENT_SUPERVISION_CHILD_STOPPED: /* 0 for an exit the supervisor did not ask for */
      ev.duration_ns = c && c->stop_timed ? art_system_now(s->sys) - c->stop_began : 0;
      break;
    default:
      break;
    }
  });
}
