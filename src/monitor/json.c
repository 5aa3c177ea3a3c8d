/*
 * A small JSON writer for events and snapshots, and the text buffer it shares with the
 * Prometheus writer. Output goes straight into the caller's buffer with snprintf semantics; no
 * allocation, no external library.
 */
#include <limits.h>
#include <string.h>

#include "art/actor.h"
#include "monitor/monitor.h"

/* ---- the text buffer ------------------------------------------------------------------------ */

void art__text_append(art__text *t, const char *s, size_t n) {
  if (t->len < t->size) {
    size_t room = t->size - 1 - t->len; /* one byte stays for the NUL */
    memcpy(t->buf + t->len, s, n < room ? n : room);
  }
  t->len += n;
}

void art__text_puts(art__text *t, const char *s) {
  art__text_append(t, s, strlen(s));
}

void art__text_putc(art__text *t, char c) {
  art__text_append(t, &c, 1);
}

void art__text_u64(art__text *t, uint64_t v) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  art__text_append(t, digits + sizeof digits - n, n);
}

void art__text_i64(art__text *t, int64_t v) {
  if (v < 0) {
    art__text_putc(t, '-');
    art__text_u64(t, (uint64_t)0 - (uint64_t)v); /* also right for INT64_MIN */
  } else {
    art__text_u64(t, (uint64_t)v);
  }
}

int art__text_finish(art__text *t) {
  if (t->size)
    t->buf[t->len < t->size ? t->len : t->size - 1] = '\0';
  return t->len > INT_MAX ? ART_ERANGE : (int)t->len;
}

/* ---- RFC 3339 times ------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days). */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static void put_digits(char *out, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    out[i] = (char)('0' + v % 10);
    v /= 10;
  }
}

#define RFC3339_LEN 30 /* 2025-10-06T12:34:56.123456789Z */

/* int64 nanoseconds span 1677-09-21 to 2262-04-11, so the year always has four digits. */
static void format_rfc3339(int64_t ns, char out[RFC3339_LEN]) {
  int64_t secs = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    secs--;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t year;
  unsigned month, day;
  civil_from_days(days, &year, &month, &day);
  memcpy(out, "0000-00-00T00:00:00.000000000Z", RFC3339_LEN);
  put_digits(out, (uint64_t)year, 4);
  put_digits(out + 5, month, 2);
  put_digits(out + 8, day, 2);
  put_digits(out + 11, (uint64_t)(rem / 3600), 2);
  put_digits(out + 14, (uint64_t)(rem / 60 % 60), 2);
  put_digits(out + 17, (uint64_t)(rem % 60), 2);
  put_digits(out + 20, (uint64_t)frac, 9);
}

int art_time_format_rfc3339(int64_t ns, char *buf, size_t len) {
  if (!buf && len)
    return ART_EINVAL;
  char text[RFC3339_LEN];
  format_rfc3339(ns, text);
  art__text t;
  art__text_init(&t, buf, len);
  art__text_append(&t, text, sizeof text);
  return art__text_finish(&t);
}

/* ---- strings -------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at @p s (at most @p n bytes, s[0] >= 0x80), or 0 if
 * it is not one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; /* overlong below */
    else if (c == 0xED)
      hi = 0x9F; /* surrogates above */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; /* overlong below */
    else if (c == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else {
    return 0; /* a continuation byte, C0, C1 or F5..FF */
  }
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return len;
}

void art__json_string(art__text *t, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  art__text_putc(t, '"');
  size_t i = 0;
  while (i < n) {
    /* Copy the run of bytes that need nothing done in one go. */
    size_t start = i;
    while (i < n && u[i] >= 0x20 && u[i] < 0x7F && u[i] != '"' && u[i] != '\\')
      i++;
    art__text_append(t, s + start, i - start);
    if (i == n)
      break;
    unsigned char c = u[i];
    if (c >= 0x80) {
      size_t len = utf8_sequence(u + i, n - i);
      if (len) {
        art__text_append(t, s + i, len);
        i += len;
      } else {
        art__text_append(t, "\\ufffd", 6);
        i++;
      }
      continue;
    }
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t esc_len = 2;
    switch (c) {
    case '"':
      esc[1] = '"';
      break;
    case '\\':
      esc[1] = '\\';
      break;
    case '\b':
      esc[1] = 'b';
      break;
    case '\f':
      esc[1] = 'f';
      break;
    case '\n':
      esc[1] = 'n';
      break;
    case '\r':
      esc[1] = 'r';
      break;
    case '\t':
      esc[1] = 't';
      break;
    default: /* the other control characters and DEL */
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 0xF];
      esc_len = 6;
      break;
    }
    art__text_append(t, esc, esc_len);
    i++;
  }
  art__text_putc(t, '"');
}

/* ---- events --------------------------------------------------------------------------------- */

static void key(art__text *t, const char *name) {
  art__text_putc(t, ',');
  art__text_putc(t, '"');
  art__text_puts(t, name);
  art__text_append(t, "\":", 2);
}

static void field_string(art__text *t, const char *name, const char *value) {
  key(t, name);
  art__json_string(t, value, strlen(value));
}

/* A fixed-size text field: it ends at the first NUL or at the end of the array. */
static void field_text(art__text *t, const char *name, const char *value, size_t size) {
  key(t, name);
  art__json_string(t, value, strnlen(value, size));
}

static void field_u64(art__text *t, const char *name, uint64_t value) {
  key(t, name);
  art__text_u64(t, value);
}

static void field_i64(art__text *t, const char *name, int64_t value) {
  key(t, name);
  art__text_i64(t, value);
}

/* Pids use all 64 bits: as strings, so that parsers that read numbers as doubles keep them. */
static void field_pid(art__text *t, const char *name, art_pid pid) {
  key(t, name);
  if (pid == ART_PID_NONE) {
    art__text_puts(t, "null");
    return;
  }
  art__text_putc(t, '"');
  art__text_u64(t, pid);
  art__text_putc(t, '"');
}

void art__json_event(art__text *t, const art_event *ev) {
  static const art__event_meta none = {NULL, NULL, NULL, NULL, 0};
  const art__event_meta *meta = art__event_meta_of(ev->kind);
  if (!meta)
    meta = &none;
  char time[RFC3339_LEN];
  format_rfc3339(ev->timestamp, time);

  art__text_puts(t, "{\"seq\":");
  art__text_u64(t, ev->seq);
  art__text_puts(t, ",\"timestamp\":\"");
  art__text_append(t, time, sizeof time);
  art__text_putc(t, '"');
  field_i64(t, "timestamp_ns", ev->timestamp);
  field_string(t, "family", art_event_family_name((art_event_family)ev->family));
  field_string(t, "kind", art_event_kind_name((art_event_kind)ev->kind));
  field_string(t, "severity", art_severity_name((art_severity)ev->severity));

  /* The fields the kind uses always appear (under the kind's keys); any other field appears,
   * under a generic key, only when it is set. */
  if (ev->pid != ART_PID_NONE)
    field_pid(t, "pid", ev->pid);
  if (meta->other_key)
    field_pid(t, meta->other_key, ev->other);
  else if (ev->other != ART_PID_NONE)
    field_pid(t, "other", ev->other);
  if (meta->name_key)
    field_text(t, meta->name_key, ev->name, sizeof ev->name);
  else if (ev->name[0])
    field_text(t, "name", ev->name, sizeof ev->name);
  if ((meta->fields & ART__FIELD_STRATEGY) || ev->strategy[0])
    field_text(t, "strategy", ev->strategy, sizeof ev->strategy);
  if (meta->fields & ART__FIELD_REASON)
    field_string(t, "reason", art_exit_kind_name((art_exit_kind)ev->reason));
  if ((meta->fields & ART__FIELD_ERROR) || ev->error_code) {
    field_i64(t, "error_code", ev->error_code);
    field_string(t, "error_name", art_err_name(ev->error_code));
  }
  if ((meta->fields & ART__FIELD_RESTARTS) || ev->restart_count)
    field_u64(t, "restart_count", ev->restart_count);
  if (meta->count_key)
    field_u64(t, meta->count_key, ev->count);
  else if (ev->count)
    field_u64(t, "count", ev->count);
  if ((meta->fields & ART__FIELD_CAPACITY) || ev->capacity)
    field_u64(t, "capacity", ev->capacity);
  if ((meta->fields & ART__FIELD_DURATION) || ev->duration_ns)
    field_i64(t, "duration_ns", ev->duration_ns);
  if (meta->fields & ART__FIELD_ERROR)
    field_text(t, "error", ev->text, sizeof ev->text);
  else if (meta->text_key)
    field_text(t, meta->text_key, ev->text, sizeof ev->text);
  else if (ev->text[0])
    field_text(t, "detail", ev->text, sizeof ev->text);
  if (ev->user) {
    key(t, "user");
    art__text_putc(t, '"');
    art__text_u64(t, ev->user);
    art__text_putc(t, '"');
  }
  art__text_putc(t, '}');
}

int art_event_to_json(const art_event *event, char *buf, size_t len) {
  if (!event || (!buf && len))
    return ART_EINVAL;
  art__text t;
  art__text_init(&t, buf, len);
  art__json_event(&t, event);
  return art__text_finish(&t);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

int art_event_snapshot_to_json(const art_event_snapshot *snap, char *buf, size_t len) {
  if (!snap || (!buf && len) || (!snap->events && snap->count))
    return ART_EINVAL;
  art__text t;
  art__text_init(&t, buf, len);
  char time[RFC3339_LEN];
  format_rfc3339(snap->timestamp, time);
  art__text_puts(&t, "{\"timestamp\":\"");
  art__text_append(&t, time, sizeof time);
  art__text_putc(&t, '"');
  field_u64(&t, "total", snap->total);
  field_u64(&t, "filtered", snap->filtered);

  art__text_puts(&t, ",\"history\":{\"capacity\":");
  art__text_u64(&t, snap->history_capacity);
  field_u64(&t, "size", snap->count);
  field_u64(&t, "dropped", snap->history_dropped);
  field_u64(&t, "lost", snap->history_lost);
  field_u64(&t, "skipped", snap->history_skipped);
  art__text_putc(&t, '}');

  art__text_puts(&t, ",\"by_severity\":{");
  for (int s = 0; s < ART_SEVERITY_COUNT; s++) {
    art__text_puts(&t, s ? ",\"" : "\"");
    art__text_puts(&t, art_severity_name((art_severity)s));
    art__text_append(&t, "\":", 2);
    art__text_u64(&t, snap->by_severity[s]);
  }
  art__text_puts(&t, "},\"by_family\":{");
  for (int f = 0; f < ART_EVENT_FAMILY_COUNT; f++) {
    art__text_puts(&t, f ? ",\"" : "\"");
    art__text_puts(&t, art_event_family_name((art_event_family)f));
    art__text_append(&t, "\":", 2);
    art__text_u64(&t, snap->by_family[f]);
  }
  art__text_puts(&t, "},\"by_kind\":{");
  int family = -1;
  for (int k = 0; k < ART_EVENT_KIND_COUNT; k++) {
    art_event_kind kind = art_event_kind_at(k);
    int f = (int)ART_EVENT_KIND_FAMILY(kind);
    if (f != family) {
      art__text_puts(&t, family < 0 ? "\"" : "},\"");
      art__text_puts(&t, art_event_family_name((art_event_family)f));
      art__text_append(&t, "\":{\"", 4);
      family = f;
    } else {
      art__text_append(&t, ",\"", 2);
    }
    art__text_puts(&t, art_event_kind_name(kind));
    art__text_append(&t, "\":", 2);
    art__text_u64(&t, snap->by_kind[k]);
  }
  art__text_puts(&t, "}},\"events\":[");
  for (size_t i = 0; i < snap->count; i++) {
    if (i)
      art__text_putc(&t, ',');
    art__json_event(&t, &snap->events[i]);
  }
  art__text_puts(&t, "]}");
  return art__text_finish(&t);
}
