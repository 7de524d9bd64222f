/* What the compiled OTLP readers (_spanscan.c, _logscan.c) share: the protobuf wire format, OTLP attribute values
   and key-value lists checked and written as JSON the way orjson writes what otlp/spans.py makes of them, or made
   into those Python values, and the resource and scope around them. */
#ifndef GOVPIPE_WIRE_H
#define GOVPIPE_WIRE_H

#include "_buf.h"
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_DEPTH 32
#define MAX_MAP_KEYS 256

typedef struct { const uint8_t *p; Py_ssize_t n; } Slice;

/* ---- wire format ---- */

static int varint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    uint64_t r = 0; int shift = 0; const uint8_t *p = *pp;
    while (p < end && shift <= 63) {
        uint8_t b = *p++;
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) { *pp = p; *out = r; return 0; }
        shift += 7;
    }
    return FALLBACK;
}

typedef struct { uint32_t field; int wt; uint64_t v; Slice s; } Field;

/* the next field of a message: 1 read, 0 at the end, FALLBACK when malformed */
static int next_field(const uint8_t **pp, const uint8_t *end, Field *f) {
    if (*pp >= end) return 0;
    uint64_t key;
    if (varint(pp, end, &key)) return FALLBACK;
    if ((key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF) return FALLBACK;
    f->field = (uint32_t)(key >> 3); f->wt = (int)(key & 7);
    const uint8_t *p = *pp;
    switch (f->wt) {
    case 0: if (varint(pp, end, &f->v)) return FALLBACK; return 1;
    case 1:
        if (end - p < 8) return FALLBACK;
        memcpy(&f->v, p, 8); *pp = p + 8; return 1;  /* little-endian hosts only (x86_64, aarch64) */
    case 5: {
        uint32_t v32; if (end - p < 4) return FALLBACK;
        memcpy(&v32, p, 4); f->v = v32; *pp = p + 4; return 1;
    }
    case 2: {
        uint64_t n; if (varint(pp, end, &n)) return FALLBACK;
        if (n > (uint64_t)(end - *pp)) return FALLBACK;
        f->s.p = *pp; f->s.n = (Py_ssize_t)n; *pp += n; return 1;
    }
    default: return FALLBACK;
    }
}

static int utf8_ok(const uint8_t *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {  /* ASCII, eight bytes at a time */
            uint64_t chunk;
            memcpy(&chunk, s + i, 8);
            if (chunk & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= n) break;
        if (s[i] < 0x80) { i++; continue; }
        Py_ssize_t len = utf8_sequence(s + i, n - i);
        if (!len) return 0;
        i += len;
    }
    return 1;
}

/* ---- JSON text, as orjson writes it ---- */

static int put_json_str(Buf *o, Slice s) {
    if (buf_grow(o, s.n * 6 + 2)) return PYERR;
    char *w = o->b + o->len;
    *w++ = '"';
    for (Py_ssize_t i = 0; i < s.n; i++) {
        Py_ssize_t run = i;
        while (run < s.n && s.p[run] >= 0x20 && s.p[run] != '"' && s.p[run] != '\\') run++;
        if (run > i) { memcpy(w, s.p + i, run - i); w += run - i; i = run; if (i == s.n) break; }
        uint8_t c = s.p[i];
        *w++ = '\\';
        switch (c) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\b': *w++ = 'b'; break;
        case '\t': *w++ = 't'; break;
        case '\n': *w++ = 'n'; break;
        case '\f': *w++ = 'f'; break;
        case '\r': *w++ = 'r'; break;
        default: *w++ = 'u'; *w++ = '0'; *w++ = '0'; *w++ = "0123456789abcdef"[c >> 4]; *w++ = "0123456789abcdef"[c & 15];
        }
    }
    *w++ = '"';
    o->len = w - o->b;
    return 0;
}

static int put_hex(Buf *o, Slice s) {
    return PUTS(o, "\"") || put_hex_digits(o, s.p, s.n) || PUTS(o, "\"") ? PYERR : 0;
}

static int put_u64(Buf *o, uint64_t v) {
    char tmp[20], *w = tmp + sizeof tmp;
    do { *--w = (char)('0' + v % 10); v /= 10; } while (v);
    return put(o, w, tmp + sizeof tmp - w);
}
static int put_i64(Buf *o, int64_t v) {
    if (v >= 0) return put_u64(o, (uint64_t)v);
    return PUTS(o, "-") || put_u64(o, (uint64_t)0 - (uint64_t)v) ? PYERR : 0;
}

/* ``d`` with ``p`` significant digits, rounded as ``mode`` says (the floating-point environment is per thread) */
static void print_digits(char *buf, size_t n, int p, double d, int mode) {
    int was = fegetround();
    fesetround(mode);
    snprintf(buf, n, "%.*e", p - 1, d);
    fesetround(was);
}

/* the common case, a decimal with few places (a cost, a ratio): the fewest places ``k`` whose integer ``m``
   (d = m / 10**k, exactly as division rounds) is the only one of its neighbours that reads back as ``d``. That
   decimal reads back (strtod rounds m / 10**k as the division does), nothing with fewer places does (the
   nearest integer of each did not, and d is not a power of two, so the range that reads back is even around it),
   and with the same places it is the only one: so it is repr's. 0 when there is none up to 8 places. */
static int few_places(double d, char digits[24], int *exp10) {
    static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    int e2;
    if (frexp(d, &e2) == 0.5) return 0;  /* a power of two reads back from a narrower range below it than above */
    for (int k = 0; k <= 8; k++) {
        double scaled = d * POW10[k];
        if (!(scaled < 9007199254740992.0)) return 0;  /* 2**53: m must be exact */
        double m = nearbyint(scaled);
        if (m < 1 || m / POW10[k] != d) continue;
        if ((m - 1) / POW10[k] == d || (m + 1) / POW10[k] == d) return 0;  /* not the only one: the slow way */
        char tmp[24];
        int n = snprintf(tmp, sizeof tmp, "%.0f", m);
        if (n <= 0 || n >= 24) return 0;
        memcpy(digits, tmp, (size_t)n + 1);
        *exp10 = n - 1 - k;
        while (n > 1 && digits[n - 1] == '0') n--;
        digits[n] = 0;
        return n;
    }
    return 0;
}

/* the shortest decimal digits that read back as ``d`` (finite, > 0), as Python's repr finds them: ``digits``
   without trailing zeros, and the exponent of the first. Without the GIL: snprintf and strtod are thread-safe, and
   PyOS_double_to_string is not. With ``p`` digits, only the two decimals either side of ``d`` can read back as it:
   the nearest first (repr's choice), else the other. For a normal double the first ``p`` to try is 15: a shorter
   decimal that reads back is within a 15th-digit unit of ``d``, so the 15-digit one is it with zeros after. */
static int shortest_digits(double d, char digits[24], int *exp10) {
    int fast = few_places(d, digits, exp10);
    if (fast) return fast;
    char buf[48], below[48], above[48];
    for (int p = isnormal(d) ? 15 : 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d) break;
        print_digits(below, sizeof below, p, d, FE_DOWNWARD);
        print_digits(above, sizeof above, p, d, FE_UPWARD);
        const char *other = strcmp(buf, below) == 0 ? above : below;
        if (strtod(other, NULL) == d) { memcpy(buf, other, sizeof buf); break; }
    }
    int n = 0;
    const char *c = buf;
    for (; *c && *c != 'e' && *c != 'E'; c++)  /* the decimal point is the locale's: whatever is not a digit */
        if (*c >= '0' && *c <= '9') digits[n++] = *c;
    while (n > 1 && digits[n - 1] == '0') n--;
    digits[n] = 0;
    *exp10 = *c ? atoi(c + 1) : 0;
    return n;
}

/* a double as orjson writes it: Python's shortest repr, but fixed notation from 1e-5 to below 1e16 and no
   zero-padded exponent; NaN and infinities are null */
static int put_double(Buf *o, double d) {
    if (d != d || d == Py_HUGE_VAL || d == -Py_HUGE_VAL) return PUTS(o, "null");
    if (signbit(d) && PUTS(o, "-")) return PYERR;
    d = fabs(d);
    if (d == 0) return PUTS(o, "0.0");
    char digits[24];
    int x, n = shortest_digits(d, digits, &x);
    if (x < -5 || x > 15) {  /* d.ddd e±x */
        if (put(o, digits, 1) || (n > 1 && (PUTS(o, ".") || put(o, digits + 1, n - 1)))) return PYERR;
        return (x < 0 ? PUTS(o, "e-") : PUTS(o, "e+")) || put_u64(o, (uint64_t)(x < 0 ? -x : x)) ? PYERR : 0;
    }
    if (x < 0) {  /* 0.000ddd */
        if (PUTS(o, "0.")) return PYERR;
        for (int i = 0; i < -x - 1; i++) if (PUTS(o, "0")) return PYERR;
        return put(o, digits, n);
    }
    if (n <= x + 1) {  /* ddd000.0 */
        if (put(o, digits, n)) return PYERR;
        for (int i = n; i <= x; i++) if (PUTS(o, "0")) return PYERR;
        return PUTS(o, ".0");
    }
    return put(o, digits, x + 1) || PUTS(o, ".") || put(o, digits + x + 1, n - x - 1) ? PYERR : 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_b64_raw(Buf *o, Slice s) {
    if (buf_grow(o, (s.n + 2) / 3 * 4)) return PYERR;
    char *w = o->b + o->len;
    Py_ssize_t i = 0;
    for (; i + 2 < s.n; i += 3) {
        uint32_t v = (uint32_t)s.p[i] << 16 | (uint32_t)s.p[i + 1] << 8 | s.p[i + 2];
        *w++ = B64[v >> 18]; *w++ = B64[(v >> 12) & 63]; *w++ = B64[(v >> 6) & 63]; *w++ = B64[v & 63];
    }
    if (i < s.n) {
        uint32_t v = (uint32_t)s.p[i] << 16 | (i + 1 < s.n ? (uint32_t)s.p[i + 1] << 8 : 0);
        *w++ = B64[v >> 18]; *w++ = B64[(v >> 12) & 63];
        *w++ = i + 1 < s.n ? B64[(v >> 6) & 63] : '=';
        *w++ = '=';
    }
    o->len = w - o->b;
    return 0;
}

/* ---- the wanted keys: a small open-addressing table over their UTF-8 bytes ---- */

typedef struct { Slice *keys; int *slot; int size, n; } Wanted;

static uint32_t hash_bytes(const uint8_t *p, Py_ssize_t n) {
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int wanted_find(const Wanted *w, Slice key) {
    uint32_t i = hash_bytes(key.p, key.n) & (w->size - 1);
    while (w->slot[i] >= 0) {
        Slice k = w->keys[w->slot[i]];
        if (k.n == key.n && memcmp(k.p, key.p, key.n) == 0) return w->slot[i];
        i = (i + 1) & (w->size - 1);
    }
    return -1;
}

/* ---- AnyValue and KeyValue lists ---- */

/* one AnyValue, checked and written as JSON */
static int json_any(Buf *o, Slice v, int depth);

typedef struct { int k; Slice v; } Hit;  /* a wanted key's value (an attribute without one: an empty AnyValue) */

/* a repeated KeyValue (fields of number ``field`` in ``msg``) as a JSON object; keys must be distinct. With
   ``w``, the wanted keys among them are added to ``hits`` */
static int json_kvs(Buf *o, Slice msg, uint32_t field, int depth, int strict_other, const Wanted *w, Hit *hits,
                    int *nhits) {
    Slice keys[MAX_MAP_KEYS];
    int nkeys = 0, rc;
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    if (PUTS(o, "{")) return PYERR;
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (f.field != field) {
            if (strict_other) return FALLBACK;
            continue;
        }
        if (f.wt != 2 || nkeys >= MAX_MAP_KEYS) return FALLBACK;
        Slice key = {(const uint8_t *)"", 0}, val = {NULL, 0};
        int seen_val = 0;
        const uint8_t *q = f.s.p, *qend = f.s.p + f.s.n;
        Field g;
        while ((rc = next_field(&q, qend, &g)) == 1) {
            if (g.field == 1 && g.wt == 2) key = g.s;
            else if (g.field == 2 && g.wt == 2) { if (seen_val++) return FALLBACK; val = g.s; }
            else return FALLBACK;
        }
        if (rc) return rc;
        if (!utf8_ok(key.p, key.n)) return FALLBACK;
        for (int i = 0; i < nkeys; i++)
            if (keys[i].n == key.n && memcmp(keys[i].p, key.p, key.n) == 0) return FALLBACK;
        keys[nkeys++] = key;
        if (w) {
            int k = wanted_find(w, key);
            if (k >= 0) hits[(*nhits)++] = (Hit){k, val.p ? val : (Slice){(const uint8_t *)"", 0}};
        }
        if (nkeys > 1 && PUTS(o, ",")) return PYERR;
        if (put_json_str(o, key) || PUTS(o, ":")) return PYERR;
        if (val.p == NULL) { if (PUTS(o, "null")) return PYERR; }
        else if ((rc = json_any(o, val, depth + 1))) return rc;
    }
    if (rc) return rc;
    return PUTS(o, "}");
}

/* the one field an AnyValue sets: 1 found, 0 empty, FALLBACK when malformed or more than one */
static int any_field(Slice v, Field *out) {
    const uint8_t *p = v.p, *end = v.p + v.n;
    Field f;
    int rc, found = 0;
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (found++) return FALLBACK;
        static const int WT[] = {0, 2, 0, 0, 1, 2, 2, 2};
        if (f.field < 1 || f.field > 7 || f.wt != WT[f.field]) return FALLBACK;
        *out = f;
    }
    return rc ? rc : found;
}

static int json_any(Buf *o, Slice v, int depth) {
    if (depth > MAX_DEPTH) return FALLBACK;
    Field f;
    int rc = any_field(v, &f);
    if (rc <= 0) return rc ? rc : PUTS(o, "null");
    switch (f.field) {
    case 1: return utf8_ok(f.s.p, f.s.n) ? put_json_str(o, f.s) : FALLBACK;
    case 2: return f.v ? PUTS(o, "true") : PUTS(o, "false");
    case 3: return put_i64(o, (int64_t)f.v);
    case 4: { double d; memcpy(&d, &f.v, 8); return put_double(o, d); }
    case 5: {
        const uint8_t *p = f.s.p, *end = f.s.p + f.s.n;
        Field g;
        int n = 0;
        if (PUTS(o, "[")) return PYERR;
        while ((rc = next_field(&p, end, &g)) == 1) {
            if (g.field != 1 || g.wt != 2) return FALLBACK;
            if (n++ && PUTS(o, ",")) return PYERR;
            if ((rc = json_any(o, g.s, depth + 1))) return rc;
        }
        return rc ? rc : PUTS(o, "]");
    }
    case 6: return json_kvs(o, f.s, 1, depth + 1, 1, NULL, NULL, NULL);
    case 7: return PUTS(o, "\"") || put_b64_raw(o, f.s) || PUTS(o, "\"") ? PYERR : 0;
    }
    return FALLBACK;
}

static PyObject *py_kvs(Slice msg, uint32_t field);

/* an AnyValue already checked by json_any, as spans.any_value gives it */
static PyObject *py_any(Slice v) {
    Field f;
    int rc = any_field(v, &f);
    if (rc <= 0) Py_RETURN_NONE;
    switch (f.field) {
    case 1: return PyUnicode_DecodeUTF8((const char *)f.s.p, f.s.n, "strict");
    case 2: return PyBool_FromLong(f.v != 0);
    case 3: return PyLong_FromLongLong((long long)f.v);
    case 4: { double d; memcpy(&d, &f.v, 8); return PyFloat_FromDouble(d); }
    case 5: {
        PyObject *list = PyList_New(0);
        const uint8_t *p = f.s.p, *end = f.s.p + f.s.n;
        Field g;
        while (list && next_field(&p, end, &g) == 1) {
            PyObject *x = py_any(g.s);
            if (!x || PyList_Append(list, x)) { Py_XDECREF(x); Py_CLEAR(list); }
            else Py_DECREF(x);
        }
        return list;
    }
    case 6: return py_kvs(f.s, 1);
    case 7: {
        Buf b = {0};
        if (put_b64_raw(&b, f.s)) { buf_free(&b); return NULL; }
        PyObject *s = PyUnicode_FromStringAndSize(b.b ? b.b : "", b.len);
        buf_free(&b);
        return s;
    }
    }
    Py_RETURN_NONE;
}

/* the KeyValue fields numbered ``field`` of ``msg`` as a dict (json_kvs has checked them: keys distinct), as
   spans.attributes gives them */
static PyObject *py_kvs(Slice msg, uint32_t field) {
    PyObject *d = PyDict_New();
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    while (d && next_field(&p, end, &f) == 1) {
        if (f.field != field) continue;
        Slice key = {(const uint8_t *)"", 0}, val = {NULL, 0};
        const uint8_t *q = f.s.p, *qend = f.s.p + f.s.n;
        Field g;
        while (next_field(&q, qend, &g) == 1) {
            if (g.field == 1) key = g.s; else val = g.s;
        }
        PyObject *k = PyUnicode_DecodeUTF8((const char *)key.p, key.n, "strict");
        PyObject *x = val.p ? py_any(val) : (Py_INCREF(Py_None), Py_None);
        if (!k || !x || PyDict_SetItem(d, k, x)) Py_CLEAR(d);
        Py_XDECREF(k); Py_XDECREF(x);
    }
    return d;
}

/* ---- resources and scopes: what ResourceSpans / ResourceLogs and ScopeSpans / ScopeLogs share ---- */

/* the one Resource of a ResourceSpans or ResourceLogs (fields: 1 the resource, 2 its scopes, 3 schema_url),
   checked: only its attributes (1) and their dropped count (2, in ``dropped``) */
static int resource_of(Slice msg, Slice *resource, uint64_t *dropped) {
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    int rc, resources = 0;
    *resource = (Slice){(const uint8_t *)"", 0};
    *dropped = 0;
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (f.wt != 2 || f.field > 3) return FALLBACK;
        if (f.field == 3 && !utf8_ok(f.s.p, f.s.n)) return FALLBACK;
        if (f.field == 1) { if (resources++) return FALLBACK; *resource = f.s; }
    }
    if (rc) return rc;
    const uint8_t *q = resource->p, *qend = resource->p + resource->n;
    while ((rc = next_field(&q, qend, &f)) == 1) {
        if (f.field == 2 && f.wt == 0) *dropped = f.v;
        else if (!(f.field == 1 && f.wt == 2)) return FALLBACK;
    }
    return rc;
}

/* the one InstrumentationScope of a ScopeSpans or ScopeLogs (1 the scope, 2 its spans or records, 3 schema_url) */
typedef struct { Slice scope, name, version; uint64_t dropped; } Scope;

/* ``out`` checked: UTF-8 name and version, well-formed attributes (written to ``scratch``, not kept) */
static int scope_of(Slice msg, Scope *out, Buf *scratch) {
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    int rc, scopes = 0;
    const Slice empty = {(const uint8_t *)"", 0};
    *out = (Scope){empty, empty, empty, 0};
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (f.wt != 2 || f.field > 3) return FALLBACK;
        if (f.field == 3 && !utf8_ok(f.s.p, f.s.n)) return FALLBACK;
        if (f.field == 1) { if (scopes++) return FALLBACK; out->scope = f.s; }
    }
    if (rc) return rc;
    const uint8_t *q = out->scope.p, *qend = out->scope.p + out->scope.n;
    while ((rc = next_field(&q, qend, &f)) == 1) {
        if (f.field == 1 && f.wt == 2) out->name = f.s;
        else if (f.field == 2 && f.wt == 2) out->version = f.s;
        else if (f.field == 3 && f.wt == 2) continue;
        else if (f.field == 4 && f.wt == 0) out->dropped = f.v;
        else return FALLBACK;
    }
    if (rc) return rc;
    if (!utf8_ok(out->name.p, out->name.n) || !utf8_ok(out->version.p, out->version.n)) return FALLBACK;
    scratch->len = 0;
    return json_kvs(scratch, out->scope, 3, 0, 0, NULL, NULL, NULL);
}

#endif
