/* An OTLP/JSON trace body, as text, straight to the protobuf encoding of an ExportTraceServiceRequest, in one
   pass and without building Python objects.

   encode(body) -> bytes, or None: "decode this one with otlp/json_decode.py". The encoding is a serialization
   of the request json_decode.request_from_json(orjson.loads(body)) builds (fields in the body's key order;
   tests/otlp/test_json_spans.py checks both parse to the same request), for the forms OpenTelemetry exporters
   send: camelCase or snake_case keys, lower- or upper-case hex ids, int64s as JSON integers or decimal strings,
   enums as integers, keys in any order, unknown keys. Everything else (text that is not strict JSON, a key given
   twice or in both spellings, enum names, base64 ids, bytes values, a number with a fraction or in a string with
   spaces, two values in one AnyValue, a value of the wrong type, nesting near the limit) is left to the Python
   decoder, which also words the errors and leaves out just the spans that cannot be decoded.
*/
#include "_buf.h"
#include <stdint.h>

#define MAX_DEPTH 20 /* arrayValue/kvlistValue levels taken here; json_decode.MAX_VALUE_DEPTH is 24 */

static int put_varint(Buf *o, uint64_t v) {
    if (buf_grow(o, 10)) return PYERR;
    char *w = o->b + o->len;
    while (v >= 0x80) { *w++ = (char)(v | 0x80); v >>= 7; }
    *w++ = (char)v;
    o->len = w - o->b;
    return 0;
}

static int put_bytes(Buf *o, uint32_t field, const char *p, Py_ssize_t n) {
    if (put_varint(o, (uint64_t)field << 3 | 2) || put_varint(o, (uint64_t)n)) return PYERR;
    return put(o, p, n);
}

static int put_fixed64(Buf *o, uint32_t field, uint64_t v) {
    if (put_varint(o, (uint64_t)field << 3 | 1) || buf_grow(o, 8)) return PYERR;
    memcpy(o->b + o->len, &v, 8); /* little-endian hosts only (x86_64, aarch64) */
    o->len += 8;
    return 0;
}

static int put_fixed32(Buf *o, uint32_t field, uint32_t v) {
    if (put_varint(o, (uint64_t)field << 3 | 5) || buf_grow(o, 4)) return PYERR;
    memcpy(o->b + o->len, &v, 4);
    o->len += 4;
    return 0;
}

static int put_uvarint_field(Buf *o, uint32_t field, uint64_t v) {
    return put_varint(o, (uint64_t)field << 3) || put_varint(o, v) ? PYERR : 0;
}

/* one Buf per nesting level: a message is written into its level, then copied into its parent with its length.
   MAX_DEPTH bounds the levels (at most three per arrayValue/kvlistValue level, below the span's), so they never move. */
#define LEVELS (3 * MAX_DEPTH + 16)
typedef struct { Buf lv[LEVELS]; } Enc;

static Buf *level(Enc *e, int i) {
    if (i >= LEVELS) { PyErr_SetString(PyExc_RuntimeError, "OTLP/JSON nested beyond the encoder's levels"); return NULL; }
    e->lv[i].len = 0;
    return &e->lv[i];
}

static int close_into(Enc *e, int i, uint32_t field) {
    return put_bytes(&e->lv[i - 1], field, e->lv[i].b ? e->lv[i].b : "", e->lv[i].len);
}

/* ---- the JSON text ---- */

typedef struct {
    const unsigned char *p, *end;
    Enc *e;
    Buf key, str; /* the current object key, and a string value */
} P;

static void ws(P *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t')) s->p++;
}

static int expect(P *s, char c) {
    ws(s);
    if (s->p >= s->end || *s->p != (unsigned char)c) return FALLBACK;
    s->p++;
    return 0;
}

static int peek(P *s) {
    ws(s);
    return s->p < s->end ? *s->p : -1;
}

static int literal(P *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n)) return FALLBACK;
    s->p += n;
    return 0;
}

static int hex4(const unsigned char *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = unhex((char)p[i]);
        if (d < 0) return FALLBACK;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* a JSON string (at its opening quote) decoded into ``out``: strict UTF-8, no control characters, escapes
   including surrogate pairs; anything orjson would refuse gives FALLBACK */
static int string(P *s, Buf *out) {
    out->len = 0;
    if (s->p >= s->end || *s->p != '"') return FALLBACK;
    s->p++;
    for (;;) {
        const unsigned char *run = s->p;
        while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 && *s->p != '"' && *s->p != '\\') s->p++;
        if (s->p > run && put(out, (const char *)run, s->p - run)) return PYERR;
        if (s->p >= s->end) return FALLBACK;
        unsigned char c = *s->p;
        if (c == '"') { s->p++; return 0; }
        if (c < 0x20) return FALLBACK;
        if (c >= 0x80) { /* one UTF-8 sequence */
            Py_ssize_t n = utf8_sequence(s->p, s->end - s->p);
            if (!n) return FALLBACK;
            if (put(out, (const char *)s->p, n)) return PYERR;
            s->p += n;
            continue;
        }
        /* an escape */
        if (s->end - s->p < 2) return FALLBACK;
        char e = (char)s->p[1], one = 0;
        s->p += 2;
        switch (e) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (s->end - s->p < 4 || hex4(s->p, &cp)) return FALLBACK;
            s->p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return FALLBACK;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo)) return FALLBACK;
                if (lo < 0xDC00 || lo > 0xDFFF) return FALLBACK;
                s->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            char u[4];
            int n;
            if (cp < 0x80) { u[0] = (char)cp; n = 1; }
            else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
            else if (cp < 0x10000) {
                u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63)); u[2] = (char)(0x80 | (cp & 63));
                n = 3;
            } else {
                u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63));
                u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63));
                n = 4;
            }
            if (put(out, u, n)) return PYERR;
            continue;
        }
        default: return FALLBACK;
        }
        if (put(out, &one, 1)) return PYERR;
    }
}

/* a JSON number's text: its grammar checked, whether it is an integer, and its end */
static int number(P *s, const unsigned char **start, Py_ssize_t *n, int *is_int) {
    const unsigned char *p = s->p;
    *start = p;
    *is_int = 1;
    if (p < s->end && *p == '-') p++;
    if (p >= s->end) return FALLBACK;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < s->end && *p >= '0' && *p <= '9') p++;
    else return FALLBACK;
    if (p < s->end && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= s->end || *p < '0' || *p > '9') return FALLBACK;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < s->end && (*p == '+' || *p == '-')) p++;
        if (p >= s->end || *p < '0' || *p > '9') return FALLBACK;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    *n = p - *start;
    s->p = p;
    return 0;
}

/* decimal digits (a '-' first when ``sign``) as an integer within [lo, hi] */
static int digits(const unsigned char *p, Py_ssize_t n, int sign, int64_t lo, uint64_t hi, uint64_t *out) {
    int neg = sign && n > 0 && p[0] == '-';
    if (n - neg < 1 || n - neg > 20) return FALLBACK;
    uint64_t r = 0;
    for (Py_ssize_t i = neg; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return FALLBACK;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (r > (UINT64_MAX - d) / 10) return FALLBACK;
        r = r * 10 + d;
    }
    if (neg) {
        if (r > (uint64_t)INT64_MAX + 1 || (r && -(int64_t)(r - 1) - 1 < lo)) return FALLBACK;
        *out = r ? (uint64_t)(-(int64_t)(r - 1) - 1) : 0;
        return 0;
    }
    if (r > hi) return FALLBACK;
    *out = r;
    return 0;
}

static int skip(P *s, int depth);

/* walk one object: ``on_key`` is called at each key (in s->key) with the value next; it consumes the value */
typedef int (*OnKey)(P *s, void *ctx);

static int object(P *s, OnKey on_key, void *ctx) {
    int rc;
    if ((rc = expect(s, '{'))) return rc;
    if (peek(s) == '}') { s->p++; return 0; }
    for (;;) {
        if (peek(s) != '"') return FALLBACK;
        if ((rc = string(s, &s->key)) || (rc = expect(s, ':'))) return rc;
        ws(s);
        if ((rc = on_key(s, ctx))) return rc;
        int c = peek(s);
        if (c == ',') { s->p++; continue; }
        if (c == '}') { s->p++; return 0; }
        return FALLBACK;
    }
}

/* walk one array (or null): ``on_item`` consumes each item */
static int array(P *s, OnKey on_item, void *ctx) {
    int rc;
    if (peek(s) == 'n') return literal(s, "null");
    if ((rc = expect(s, '['))) return rc;
    if (peek(s) == ']') { s->p++; return 0; }
    for (;;) {
        ws(s);
        if ((rc = on_item(s, ctx))) return rc;
        int c = peek(s);
        if (c == ',') { s->p++; continue; }
        if (c == ']') { s->p++; return 0; }
        return FALLBACK;
    }
}

typedef struct { int depth; } SkipCtx;
static int skip_member(P *s, void *ctx) { return skip(s, ((SkipCtx *)ctx)->depth); }

/* any JSON value, checked and passed over */
static int skip(P *s, int depth) {
    if (depth > 64) return FALLBACK;
    SkipCtx inner = {depth + 1};
    const unsigned char *start;
    Py_ssize_t n;
    int is_int;
    switch (peek(s)) {
    case '{': return object(s, skip_member, &inner);
    case '[': return array(s, skip_member, &inner);
    case '"': return string(s, &s->str);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return number(s, &start, &n, &is_int);
    }
}

static int is_null(P *s) {
    if (peek(s) != 'n') return 0;
    return literal(s, "null") == 0 ? 1 : FALLBACK;
}

static int key_is(P *s, const char *name) {
    size_t n = strlen(name);
    return (size_t)s->key.len == n && memcmp(s->key.b, name, n) == 0;
}

/* which field a key names, by its camelCase or snake_case spelling (-1: a key json_decode does not read) */
static int field_of(P *s, const char *const *names, int count) {
    for (int i = 0; i < count; i++) {
        const char *camel = names[2 * i], *snake = names[2 * i + 1];
        if (key_is(s, camel) || (snake && key_is(s, snake))) return i;
    }
    return -1;
}

/* each field once: a key repeated, or given in both spellings, is left to Python */
static int once(unsigned *seen, int field) {
    if (*seen & (1u << field)) return FALLBACK;
    *seen |= 1u << field;
    return 0;
}

/* a string or null; its text in s->str (empty for null) */
static int str_or_null(P *s) {
    int rc = is_null(s);
    if (rc) { s->str.len = 0; return rc < 0 ? rc : 0; }
    if (peek(s) != '"') return FALLBACK;
    return string(s, &s->str);
}

static int text_field(P *s, Buf *o, uint32_t field) {
    int rc = str_or_null(s);
    if (rc) return rc;
    return s->str.len ? put_bytes(o, field, s->str.b, s->str.len) : 0;
}

static int hex_id(P *s, Buf *o, uint32_t field, Py_ssize_t size) {
    int rc = str_or_null(s);
    if (rc) return rc;
    if (s->str.len == 0) return 0;
    if (s->str.len != 2 * size) return FALLBACK;
    char raw[16];
    for (Py_ssize_t i = 0; i < size; i++) {
        int hi = unhex(s->str.b[2 * i]), lo = unhex(s->str.b[2 * i + 1]);
        if (hi < 0 || lo < 0) return FALLBACK;
        raw[i] = (char)(hi << 4 | lo);
    }
    return put_bytes(o, field, raw, size);
}

/* an integer given as a JSON integer or a string of digits (null: 0) */
static int int_value(P *s, int sign, int64_t lo, uint64_t hi, int allow_string, uint64_t *out) {
    int rc = is_null(s);
    if (rc) { *out = 0; return rc < 0 ? rc : 0; }
    if (peek(s) == '"') {
        if (!allow_string) return FALLBACK;
        if ((rc = string(s, &s->str))) return rc;
        return digits((const unsigned char *)s->str.b, s->str.len, sign, lo, hi, out);
    }
    const unsigned char *start;
    Py_ssize_t n;
    int is_int;
    if ((rc = number(s, &start, &n, &is_int))) return rc;
    if (!is_int || n > 20 || (!sign && start[0] == '-')) return FALLBACK;
    return digits(start, n, sign, lo, hi, out);
}

/* ---- the OTLP shapes, as json_decode reads them ---- */

static int attributes(P *s, int lv, uint32_t field, int depth);
static int any_member(P *s, void *vctx);

typedef struct { int lv, depth, set, seen_member; } AnyCtx;

static const char *const AV_NAMES[] = {
    "stringValue", "string_value", "boolValue", "bool_value", "intValue", "int_value", "doubleValue",
    "double_value", "arrayValue", "array_value", "kvlistValue", "kvlist_value", "bytesValue", "bytes_value",
};

typedef struct { int lv, depth; } ItemsCtx;

static int array_item(P *s, void *vctx) {
    ItemsCtx *c = vctx;
    int rc;
    if (!level(s->e, c->lv + 1)) return PYERR;
    if ((rc = is_null(s)) < 0) return rc;
    if (!rc) { /* an object: an AnyValue (null is an empty one) */
        AnyCtx inner = {c->lv + 1, c->depth, 0, 0};
        if ((rc = object(s, any_member, &inner))) return rc;
    }
    return close_into(s->e, c->lv + 1, 1) ? PYERR : 0;
}

typedef struct { int lv, depth, is_kvlist, seen; } ValuesCtx;

static int values_member(P *s, void *vctx) {
    ValuesCtx *c = vctx;
    int rc;
    if (!key_is(s, "values")) return skip(s, 0);
    if ((rc = once((unsigned *)&c->seen, 0))) return rc;
    if (c->is_kvlist) return attributes(s, c->lv, 1, c->depth);
    ItemsCtx items = {c->lv, c->depth};
    return array(s, array_item, &items);
}

/* one member of an AnyValue object; at most one member may have a value (json_decode takes them in a fixed
   order, the text may give them in any) */
static int any_member(P *s, void *vctx) {
    AnyCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    int member = field_of(s, AV_NAMES, 7), rc;
    if (member < 0) return skip(s, 0);
    if ((rc = once((unsigned *)&c->seen_member, member))) return rc;
    if ((rc = is_null(s))) return rc < 0 ? rc : 0; /* null: as if absent */
    if (c->set) return FALLBACK;
    c->set = 1;
    switch (member) {
    case 0:
        if (peek(s) != '"') return FALLBACK;
        if ((rc = string(s, &s->str))) return rc;
        return put_bytes(o, 1, s->str.b ? s->str.b : "", s->str.len);
    case 1: {
        int truth = peek(s) == 't';
        if ((rc = literal(s, truth ? "true" : "false"))) return rc;
        return put_uvarint_field(o, 2, (uint64_t)truth);
    }
    case 2: {
        uint64_t i;
        if ((rc = int_value(s, 1, INT64_MIN, INT64_MAX, 1, &i))) return rc;
        return put_uvarint_field(o, 3, i);
    }
    case 3: {
        const unsigned char *start;
        Py_ssize_t n;
        int is_int;
        char text[400];
        if (peek(s) == '"' || (rc = number(s, &start, &n, &is_int))) return FALLBACK;
        if (n >= (Py_ssize_t)sizeof text) return FALLBACK;
        memcpy(text, start, n);
        text[n] = 0;
        double d = PyOS_string_to_double(text, NULL, NULL);
        if (d == -1.0 && PyErr_Occurred()) { PyErr_Clear(); return FALLBACK; }
        if (Py_IS_INFINITY(d)) return FALLBACK; /* orjson refuses numbers beyond a double */
        if (is_int && d == 0) d = 0.0;         /* "-0" is orjson's integer 0, which float() makes +0.0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return put_fixed64(o, 4, bits);
    }
    case 4: case 5: { /* arrayValue / kvlistValue: set only when it holds something */
        if (c->depth >= MAX_DEPTH || peek(s) != '{') return FALLBACK;
        Buf *inner = level(s->e, c->lv + 1);
        if (!inner) return PYERR;
        ValuesCtx vc = {c->lv + 1, c->depth + 1, member == 5, 0};
        if ((rc = object(s, values_member, &vc))) return rc;
        if (s->e->lv[c->lv + 1].len == 0) return 0;
        return close_into(s->e, c->lv + 1, member == 4 ? 5 : 6) ? PYERR : 0;
    }
    default: return FALLBACK; /* bytesValue: base64, left to Python */
    }
}

typedef struct { int lv, depth; unsigned seen; int has_key; } KvCtx;

static int kv_member(P *s, void *vctx) {
    KvCtx *c = vctx;
    int rc;
    if (key_is(s, "key")) {
        if ((rc = once(&c->seen, 0))) return rc;
        if (peek(s) != '"' || (rc = string(s, &s->str))) return FALLBACK;
        c->has_key = 1;
        return s->str.len ? put_bytes(&s->e->lv[c->lv], 1, s->str.b, s->str.len) : 0;
    }
    if (key_is(s, "value")) {
        if ((rc = once(&c->seen, 1))) return rc;
        if ((rc = is_null(s))) return rc < 0 ? rc : 0;
        if (peek(s) != '{') return FALLBACK;
        if (!level(s->e, c->lv + 1)) return PYERR;
        AnyCtx any = {c->lv + 1, c->depth, 0, 0};
        if ((rc = object(s, any_member, &any))) return rc;
        /* set once a member was written (an empty arrayValue or kvlistValue leaves it unset) */
        return s->e->lv[c->lv + 1].len && close_into(s->e, c->lv + 1, 2) ? PYERR : 0;
    }
    return skip(s, 0);
}

typedef struct { int lv, depth; uint32_t field; } AttrsCtx;

static int attribute(P *s, void *vctx) {
    AttrsCtx *c = vctx;
    int rc;
    if (peek(s) != '{') return FALLBACK;
    if (!level(s->e, c->lv + 1)) return PYERR;
    KvCtx kv = {c->lv + 1, c->depth, 0, 0};
    if ((rc = object(s, kv_member, &kv))) return rc;
    if (!kv.has_key) return FALLBACK; /* json_decode refuses an attribute without a string key */
    return close_into(s->e, c->lv + 1, c->field) ? PYERR : 0;
}

/* json_decode._attributes: an array of {"key", "value"} (or null) as repeated KeyValue ``field`` of level lv */
static int attributes(P *s, int lv, uint32_t field, int depth) {
    AttrsCtx c = {lv, depth, field};
    return array(s, attribute, &c);
}

typedef struct { int lv; unsigned seen; int keys; } MsgCtx;

static const char *const EVENT_NAMES[] = {"timeUnixNano", "time_unix_nano", "name", NULL, "attributes", NULL};

static int event_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    uint64_t u;
    int f = field_of(s, EVENT_NAMES, 3), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    switch (f) {
    case 0:
        if ((rc = int_value(s, 0, 0, UINT64_MAX, 1, &u))) return rc;
        return u ? put_fixed64(o, 1, u) : 0;
    case 1: return text_field(s, o, 2);
    default: return attributes(s, c->lv, 3, 0);
    }
}

static const char *const LINK_NAMES[] = {"traceId", "trace_id", "spanId", "span_id", "attributes", NULL};

static int link_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    int f = field_of(s, LINK_NAMES, 3), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    switch (f) {
    case 0: return hex_id(s, o, 1, 16);
    case 1: return hex_id(s, o, 2, 8);
    default: return attributes(s, c->lv, 4, 0);
    }
}

static const char *const STATUS_NAMES[] = {"code", NULL, "message", NULL};

static int status_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    int f = field_of(s, STATUS_NAMES, 2), rc;
    c->keys++; /* any key at all makes json_decode set the status */
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    if (f == 1) return text_field(s, o, 2);
    uint64_t code;
    if ((rc = int_value(s, 1, INT32_MIN, INT32_MAX, 0, &code))) return rc;
    return code ? put_uvarint_field(o, 3, code) : 0;
}

typedef struct { int lv; OnKey member; uint32_t field; int always; } SubCtx;

/* an array of objects (null items as empty ones), each a message ``field`` of level lv */
static int sub_item(P *s, void *vctx) {
    SubCtx *c = vctx;
    int rc;
    if (!level(s->e, c->lv + 1)) return PYERR;
    if ((rc = is_null(s)) < 0) return rc;
    if (!rc) {
        MsgCtx m = {c->lv + 1, 0, 0};
        if ((rc = object(s, c->member, &m))) return rc;
    }
    return close_into(s->e, c->lv + 1, c->field) ? PYERR : 0;
}

static const char *const SPAN_NAMES[] = {
    "traceId", "trace_id", "spanId", "span_id", "traceState", "trace_state", "parentSpanId", "parent_span_id",
    "name", NULL, "kind", NULL, "startTimeUnixNano", "start_time_unix_nano", "endTimeUnixNano",
    "end_time_unix_nano", "attributes", NULL, "events", NULL, "links", NULL, "status", NULL, "flags", NULL,
};

static int span_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    uint64_t u;
    int f = field_of(s, SPAN_NAMES, 13), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    switch (f) {
    case 0: return hex_id(s, o, 1, 16);
    case 1: return hex_id(s, o, 2, 8);
    case 2: /* traceState: a string (null: unset) */
        if ((rc = str_or_null(s))) return rc;
        return s->str.len ? put_bytes(o, 3, s->str.b, s->str.len) : 0;
    case 3: return hex_id(s, o, 4, 8);
    case 4: return text_field(s, o, 5);
    case 5:
        if ((rc = int_value(s, 1, INT32_MIN, INT32_MAX, 0, &u))) return rc;
        return u ? put_uvarint_field(o, 6, u) : 0;
    case 6: case 7:
        if ((rc = int_value(s, 0, 0, UINT64_MAX, 1, &u))) return rc;
        return u ? put_fixed64(o, f == 6 ? 7 : 8, u) : 0;
    case 8: return attributes(s, c->lv, 9, 0);
    case 9: { SubCtx e = {c->lv, event_member, 11, 0}; return array(s, sub_item, &e); }
    case 10: { SubCtx l = {c->lv, link_member, 13, 0}; return array(s, sub_item, &l); }
    case 11: {
        if ((rc = is_null(s))) return rc < 0 ? rc : 0;
        if (!level(s->e, c->lv + 1)) return PYERR;
        MsgCtx m = {c->lv + 1, 0, 0};
        if ((rc = object(s, status_member, &m))) return rc;
        return m.keys && close_into(s->e, c->lv + 1, 15) ? PYERR : 0;
    }
    default:
        if ((rc = int_value(s, 0, 0, UINT32_MAX, 1, &u))) return rc;
        return u ? put_fixed32(o, 16, (uint32_t)u) : 0;
    }
}

static const char *const SCOPE_NAMES[] = {"name", NULL, "version", NULL, "attributes", NULL};

static int scope_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    Buf *o = &s->e->lv[c->lv];
    int f = field_of(s, SCOPE_NAMES, 3), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    if (f == 2) return attributes(s, c->lv, 3, 0);
    return text_field(s, o, f == 0 ? 1 : 2);
}

static const char *const SCOPE_SPANS_NAMES[] = {"scope", NULL, "spans", NULL, "schemaUrl", "schema_url"};

static int scope_spans_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    int f = field_of(s, SCOPE_SPANS_NAMES, 3), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    if (f == 0) { /* the scope: written when the object ends (json_decode always sets it) */
        if ((rc = is_null(s))) return rc < 0 ? rc : 0;
        if (!level(s->e, c->lv + 1)) return PYERR;
        MsgCtx m = {c->lv + 1, 0, 0};
        if ((rc = object(s, scope_member, &m))) return rc;
        c->keys = 1;
        return close_into(s->e, c->lv + 1, 1) ? PYERR : 0;
    }
    if (f == 1) { SubCtx sp = {c->lv, span_member, 2, 0}; return array(s, sub_item, &sp); }
    return text_field(s, &s->e->lv[c->lv], 3);
}

static const char *const RESOURCE_NAMES[] = {"attributes", NULL};

static int resource_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    int rc;
    if (field_of(s, RESOURCE_NAMES, 1) < 0) return skip(s, 0);
    if ((rc = once(&c->seen, 0))) return rc;
    return attributes(s, c->lv, 1, 0);
}

static const char *const RESOURCE_SPANS_NAMES[] = {"resource", NULL, "scopeSpans", "scope_spans", "schemaUrl", "schema_url"};

static int scope_spans_item(P *s, void *vctx) {
    SubCtx *c = vctx;
    int rc;
    if (!level(s->e, c->lv + 1)) return PYERR;
    if ((rc = is_null(s)) < 0) return rc;
    MsgCtx m = {c->lv + 1, 0, 0};
    if (!rc && (rc = object(s, scope_spans_member, &m))) return rc;
    if (!m.keys) { /* no scope given: json_decode still sets an empty one */
        if (!level(s->e, c->lv + 2) || close_into(s->e, c->lv + 2, 1)) return PYERR;
    }
    return close_into(s->e, c->lv + 1, 2) ? PYERR : 0;
}

static int resource_spans_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    int f = field_of(s, RESOURCE_SPANS_NAMES, 3), rc;
    if (f < 0) return skip(s, 0);
    if ((rc = once(&c->seen, f))) return rc;
    if (f == 0) { /* the resource: set once it has an attribute */
        if ((rc = is_null(s))) return rc < 0 ? rc : 0;
        if (!level(s->e, c->lv + 1)) return PYERR;
        MsgCtx m = {c->lv + 1, 0, 0};
        if ((rc = object(s, resource_member, &m))) return rc;
        return s->e->lv[c->lv + 1].len && close_into(s->e, c->lv + 1, 1) ? PYERR : 0;
    }
    if (f == 1) { SubCtx ss = {c->lv, NULL, 2, 0}; return array(s, scope_spans_item, &ss); }
    return text_field(s, &s->e->lv[c->lv], 3);
}

static const char *const REQUEST_NAMES[] = {"resourceSpans", "resource_spans"};

static int request_member(P *s, void *vctx) {
    MsgCtx *c = vctx;
    int rc;
    if (field_of(s, REQUEST_NAMES, 1) < 0) return skip(s, 0);
    if ((rc = once(&c->seen, 0))) return rc;
    SubCtx rs = {0, resource_spans_member, 1, 0};
    return array(s, sub_item, &rs);
}

static PyObject *encode(PyObject *self, PyObject *arg) {
    Py_buffer body;
    if (PyObject_GetBuffer(arg, &body, PyBUF_SIMPLE)) return NULL;
    Enc *e = PyMem_Calloc(1, sizeof(Enc));
    PyObject *out = NULL;
    if (!e) { PyErr_NoMemory(); goto done; }
    P s = {body.buf, (const unsigned char *)body.buf + body.len, e, {0}, {0}};
    MsgCtx top = {0, 0, 0};
    int rc = level(e, 0) ? 0 : PYERR;
    if (!rc && peek(&s) != '{') rc = FALLBACK; /* also an empty body: json_decode takes it as {} */
    if (!rc) rc = object(&s, request_member, &top);
    if (!rc && peek(&s) != -1) rc = FALLBACK; /* trailing text */
    if (rc == FALLBACK) { out = Py_None; Py_INCREF(out); }
    else if (rc == 0) out = PyBytes_FromStringAndSize(e->lv[0].b ? e->lv[0].b : "", e->lv[0].len);
    for (int i = 0; i < LEVELS; i++) buf_free(&e->lv[i]);
    buf_free(&s.key);
    buf_free(&s.str);
done:
    PyMem_Free(e);
    PyBuffer_Release(&body);
    return out;
}

static PyMethodDef METHODS[] = {
    {"encode", encode, METH_O, "An OTLP/JSON trace body as a protobuf ExportTraceServiceRequest, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_jsonspans", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__jsonspans(void) { return PyModule_Create(&MODULE); }
