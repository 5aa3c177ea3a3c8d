/*
 * The monitoring module: event names and metadata (event.c), the monitor front-end with its
 * filter and the no-op monitor (monitor.c), the lock-free in-memory monitor (memory.c), and
 * the JSON and Prometheus writers (json.c, prometheus.c).
 *
 * Owns: each monitor's filter word and filtered count (in art_event_monitor), and, for an
 * in-memory monitor, its counters and history ring. Nothing global except the no-op monitor,
 * which is constant.
 *
 * Locking: none. Recording is lock-free from any thread: the filter is one atomic word, the
 * counters are atomic and striped per thread, and the ring is claimed with one fetch_add and a
 * per-slot sequence number (see memory.c for the protocol and its memory orders). Snapshots
 * and resets run concurrently with recording and never block it.
 *
 * Lifetime: a monitor lives from its create call to art_monitor_destroy(), which must not run
 * while any thread can still record into it (the runtime owner destroys its systems first).
 * A monitor of ops owns its `self` and destroys it with ops->destroy. Snapshots own their
 * events only when art_monitor_snapshot_alloc() allocated them.
 */
#ifndef ART_MONITOR_MONITOR_H
#define ART_MONITOR_MONITOR_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "art/monitor.h"

/* art_event_monitor.flags */
#define ART__MONITOR_EMBEDDED 0x1u /* the struct lives inside self: ops->destroy frees both */
#define ART__MONITOR_NOOP 0x2u     /* the shared no-op monitor */

/* The filter word: bit family * 8 + severity = wanted, then the settings. */
#define ART__FILTER_WANT_BITS ((UINT64_C(1) << (8 * ART_EVENT_FAMILY_COUNT)) - 1)
#define ART__FILTER_MASK_SHIFT 40
#define ART__FILTER_SEVERITY_SHIFT 48
#define ART__FILTER_ENABLED_BIT (UINT64_C(1) << 56)

/* The filter word for these settings (arguments already checked). */
uint64_t art__monitor_filter_word(bool enabled, uint32_t family_mask, art_severity min_severity);

/* Whether the filter settings of @p cfg (min_severity, family_mask) are in range. */
bool art__monitor_config_valid(const art_monitor_config *cfg);

/* Fills @p mon, which lives inside the allocation of @p self (the in-memory monitor): then
 * art_monitor_destroy() leaves all the freeing to ops->destroy. @p cfg is checked. */
void art__monitor_setup_embedded(art_event_monitor *mon, const art_monitor_ops *ops, void *self,
                                 const art_monitor_config *cfg);

/* Which optional fields a kind uses (art__event_meta.fields). */
#define ART__FIELD_REASON 0x01u
#define ART__FIELD_ERROR 0x02u /* error_code, and text as "error" */
#define ART__FIELD_RESTARTS 0x04u
#define ART__FIELD_CAPACITY 0x08u
#define ART__FIELD_DURATION 0x10u
#define ART__FIELD_STRATEGY 0x20u

/* How a kind uses the fields of art_event, for the JSON writer. A NULL key means the kind does
 * not use the field; the writer then prints it under a generic key only if it is set. */
typedef struct art__event_meta {
  const char *other_key; /* the related pid: "supervisor", "parent", "sender"... */
  const char *name_key;  /* "child_id", "topic", "name", "key" */
  const char *count_key; /* "queue_size", "message_type", "children"... */
  const char *text_key;  /* "detail", "value" ("error" when ART__FIELD_ERROR) */
  uint32_t fields;       /* ART__FIELD_* */
} art__event_meta;

/* The metadata of @p kind, or NULL if it is not a kind. */
const art__event_meta *art__event_meta_of(unsigned kind);

/* The dense kind index tables of event.c, for an inline art_event_kind_index() (the exported one
 * is called through the PLT inside the shared library). */
extern const uint8_t art__event_family_kinds[ART_EVENT_FAMILY_COUNT];
extern const uint8_t art__event_family_first[ART_EVENT_FAMILY_COUNT];

static inline int art__event_kind_index(unsigned kind) {
  unsigned family = kind >> 8, number = kind & 0xffu;
  if (family >= ART_EVENT_FAMILY_COUNT || number >= art__event_family_kinds[family])
    return -1;
  return art__event_family_first[family] + (int)number;
}

/* Whether @p ev's kind, family and severity are in range and agree; its dense kind index in
 * *index. Used by every record path. */
static inline bool art__event_valid(const art_event *ev, int *index) {
  if (ev->severity >= ART_SEVERITY_COUNT || ev->family != ((unsigned)ev->kind >> 8))
    return false;
  *index = art__event_kind_index(ev->kind);
  return *index >= 0;
}

/*
 * A text being written into a caller's buffer with snprintf semantics: bytes go into buf while
 * they fit (one byte is kept for the NUL), `len` counts every byte, written or not, so that at
 * the end it is the length the whole text needs.
 */
typedef struct art__text {
  char *buf;
  size_t size;
  size_t len;
} art__text;

static inline void art__text_init(art__text *t, char *buf, size_t size) {
  t->buf = buf;
  t->size = size;
  t->len = 0;
  if (size)
    buf[0] = '\0';
}

void art__text_append(art__text *t, const char *s, size_t n);
void art__text_puts(art__text *t, const char *s);
void art__text_putc(art__text *t, char c);
void art__text_u64(art__text *t, uint64_t v);
void art__text_i64(art__text *t, int64_t v);
/* NUL-terminates and returns the length for the snprintf-style return: ART_ERANGE if it does
 * not fit an int. */
int art__text_finish(art__text *t);

/* Appends @p n bytes of @p s as a JSON string, quotes included (escaping and UTF-8 repair as
 * art_event_to_json() documents). */
void art__json_string(art__text *t, const char *s, size_t n);
/* Appends the JSON object of @p ev. */
void art__json_event(art__text *t, const art_event *ev);

/* Appends @p s escaped for the Prometheus text format: a label value (\\, \", \n) or, with
 * @p label_value false, HELP text (\\, \n). */
void art__prometheus_escape(art__text *t, const char *s, bool label_value);
/* Appends the HELP (escaped) and TYPE lines of the metric family @p name. */
void art__prometheus_header(art__text *t, const char *name, const char *type, const char *help);
/* Appends the sample @p series (a name, with its labels if any) of value @p value. */
void art__prometheus_sample(art__text *t, const char *series, uint64_t value);
/* Appends the counters of @p snap, as art_event_snapshot_to_prometheus() writes them. */
void art__prometheus_snapshot(art__text *t, const art_event_snapshot *snap);

#endif /* ART_MONITOR_MONITOR_H */
