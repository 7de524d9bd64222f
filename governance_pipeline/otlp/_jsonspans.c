/* OTLP/JSON traces, as orjson parsed them, straight to the protobuf encoding of an ExportTraceServiceRequest.

   encode(doc) -> bytes, or None: "decode this one with otlp/json_decode.py". The encoding is the request
   json_decode.request_from_json builds from the same document (tests/otlp/test_json_spans.py checks it), for the
   forms OpenTelemetry exporters send: camelCase or snake_case keys, lower- or upper-case hex ids, int64s as JSON
   numbers or decimal strings, enums as numbers. Everything else (enum names, base64 ids, bytes values, a
   number in a string with spaces, a value of the wrong type, nesting near the limit) is left to the Python
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
    if (put_varint(o, (uint64_t)field << 3 | 2) || put_varint(o, (uint64_t)n) || buf_grow(o, n)) return PYERR;
    memcpy(o->b + o->len, p, n);
    o->len += n;
    return 0;
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

/* ---- reading the parsed document as json_decode does ---- */

static PyObject *K[40];
enum {
    RESOURCE_SPANS, RESOURCE_SPANS_, RESOURCE, ATTRIBUTES, SCHEMA_URL, SCHEMA_URL_, SCOPE_SPANS, SCOPE_SPANS_,
    SCOPE, NAME, VERSION, SPANS, TRACE_ID, TRACE_ID_, SPAN_ID, SPAN_ID_, PARENT, PARENT_, TRACE_STATE,
    TRACE_STATE_, KIND, START, START_, END, END_, FLAGS, EVENTS, LINKS, STATUS, CODE, MESSAGE, TIME, TIME_, KEY,
    VALUE, VALUES, NKEYS
};
static const char *KEY_TEXT[NKEYS] = {
    "resourceSpans", "resource_spans", "resource", "attributes", "schemaUrl", "schema_url", "scopeSpans",
    "scope_spans", "scope", "name", "version", "spans", "traceId", "trace_id", "spanId", "span_id",
    "parentSpanId", "parent_span_id", "traceState", "trace_state", "kind", "startTimeUnixNano",
    "start_time_unix_nano", "endTimeUnixNano", "end_time_unix_nano", "flags", "events", "links", "status",
    "code", "message", "timeUnixNano", "time_unix_nano", "key", "value", "values",
};
static PyObject *AV[14]; /* AnyValue keys: camelCase, then snake_case, in json_decode's order */
static const char *AV_TEXT[14] = {
    "stringValue", "string_value", "boolValue", "bool_value", "intValue", "int_value", "doubleValue",
    "double_value", "arrayValue", "array_value", "kvlistValue", "kvlist_value", "bytesValue", "bytes_value",
};

/* d[key] (borrowed), None and absent alike giving NULL; -1 (with an exception) on a lookup error */
static int get1(PyObject *d, PyObject *key, PyObject **out) {
    PyObject *v = PyDict_GetItemWithError(d, key);
    if (!v && PyErr_Occurred()) return PYERR;
    *out = v == Py_None ? NULL : v;
    return 0;
}

/* json_decode._get: the camelCase key's value, else the snake_case one's */
static int get2(PyObject *d, PyObject *camel, PyObject *snake, PyObject **out) {
    if (get1(d, camel, out)) return PYERR;
    return *out ? 0 : get1(d, snake, out);
}

/* json_decode._obj / _list: NULL for None (treated as empty); FALLBACK for another type */
static int as_dict(PyObject *v) { return !v || PyDict_CheckExact(v) ? 0 : FALLBACK; }
static int as_list(PyObject *v) { return !v || PyList_CheckExact(v) ? 0 : FALLBACK; }

static int utf8(PyObject *v, const char **p, Py_ssize_t *n) {
    *p = PyUnicode_AsUTF8AndSize(v, n);
    if (*p) return 0;
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) return PYERR;
    PyErr_Clear(); /* a lone surrogate: protobuf refuses it, and the Python decoder says so */
    return FALLBACK;
}

/* an int64/uint64 given as a JSON integer, or as a string of decimal digits (a '-' first when ``sign``) */
static int integer(PyObject *v, int sign, int64_t lo, uint64_t hi, uint64_t *out) {
    if (!v) { *out = 0; return 0; }
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long s = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (s == -1 && PyErr_Occurred()) return PYERR;
        if (overflow > 0) {
            unsigned long long u = PyLong_AsUnsignedLongLong(v);
            if (u == (unsigned long long)-1 && PyErr_Occurred()) { PyErr_Clear(); return FALLBACK; }
            if (u > hi) return FALLBACK;
            *out = u;
            return 0;
        }
        if (overflow < 0 || s < lo || (s > 0 && (uint64_t)s > hi)) return FALLBACK;
        *out = (uint64_t)s;
        return 0;
    }
    if (!PyUnicode_CheckExact(v)) return FALLBACK;
    Py_ssize_t n;
    const char *p;
    int rc = utf8(v, &p, &n);
    if (rc) return rc;
    int neg = sign && n > 0 && p[0] == '-';
    if (n - neg < 1 || n - neg > 20) return FALLBACK;
    uint64_t r = 0;
    for (Py_ssize_t i = neg; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return FALLBACK;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (r > (UINT64_MAX - d) / 10) return FALLBACK; /* beyond uint64 */
        r = r * 10 + d;
    }
    if (neg) {
        if (r > (uint64_t)INT64_MAX + 1 || -(int64_t)(r - 1) - 1 < lo) return FALLBACK;
        *out = (uint64_t)(-(int64_t)(r - 1) - 1);
        return 0;
    }
    if (r > hi) return FALLBACK;
    *out = r;
    return 0;
}

/* a string, with json_decode's str(x or "") for names: None or absent as "", another type left to Python */
static int text(PyObject *v, const char **p, Py_ssize_t *n) {
    if (!v) { *p = ""; *n = 0; return 0; }
    if (!PyUnicode_CheckExact(v)) return FALLBACK;
    return utf8(v, p, n);
}

static int unhex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* json_decode._id for exactly 2 * size hex digits (or none) */
static int id_field(Buf *o, uint32_t field, PyObject *v, Py_ssize_t size) {
    if (!v) return 0;
    if (!PyUnicode_CheckExact(v)) return FALLBACK;
    Py_ssize_t n;
    const char *p;
    int rc = utf8(v, &p, &n);
    if (rc) return rc;
    if (n == 0) return 0;
    if (n != 2 * size) return FALLBACK;
    char raw[16];
    for (Py_ssize_t i = 0; i < size; i++) {
        int hi = unhex(p[2 * i]), lo = unhex(p[2 * i + 1]);
        if (hi < 0 || lo < 0) return FALLBACK;
        raw[i] = (char)(hi << 4 | lo);
    }
    return put_bytes(o, field, raw, size);
}

static int str_field(Buf *o, uint32_t field, PyObject *v) {
    const char *p;
    Py_ssize_t n;
    int rc = text(v, &p, &n);
    if (rc) return rc;
    return n ? put_bytes(o, field, p, n) : 0;
}

/* an enum given as a JSON number (names are left to Python) */
static int enum_field(Buf *o, uint32_t field, PyObject *v) {
    uint64_t x;
    if (v && !PyLong_CheckExact(v)) return FALLBACK;
    int rc = integer(v, 0, INT32_MIN, INT32_MAX, &x);
    if (rc) return rc;
    return x ? put_uvarint_field(o, field, (uint64_t)(int64_t)(int32_t)x) : 0;
}

static int attributes(Enc *e, int lv, uint32_t field, PyObject *items, int depth);

/* json_decode._any_value into level ``lv`` (an AnyValue's fields); *set tells whether it set one */
static int any_value(Enc *e, int lv, PyObject *v, int depth, int *set) {
    Buf *o = &e->lv[lv];
    PyObject *x;
    int rc;
    *set = 0;
    if (!PyDict_CheckExact(v)) return FALLBACK;
    for (int member = 0; member < 7; member++) {
        if ((rc = get2(v, AV[2 * member], AV[2 * member + 1], &x))) return rc;
        if (!x) continue;
        switch (member) {
        case 0: { /* stringValue: set even when empty (a oneof member) */
            const char *p;
            Py_ssize_t n;
            if ((rc = text(x, &p, &n))) return rc;
            *set = 1;
            return put_bytes(o, 1, p, n);
        }
        case 1:
            if (x != Py_True && x != Py_False) return FALLBACK;
            *set = 1;
            return put_uvarint_field(o, 2, x == Py_True);
        case 2: {
            uint64_t i;
            if ((rc = integer(x, 1, INT64_MIN, INT64_MAX, &i))) return rc;
            *set = 1;
            return put_uvarint_field(o, 3, i);
        }
        case 3: {
            double d;
            if (PyFloat_CheckExact(x)) d = PyFloat_AS_DOUBLE(x);
            else if (PyLong_CheckExact(x)) {
                d = PyLong_AsDouble(x);
                if (d == -1.0 && PyErr_Occurred()) { PyErr_Clear(); return FALLBACK; }
            } else return FALLBACK;
            uint64_t bits;
            memcpy(&bits, &d, 8);
            *set = 1;
            return put_fixed64(o, 4, bits);
        }
        case 4: case 5: { /* arrayValue / kvlistValue: only when it holds something (else nothing is set) */
            if (depth >= MAX_DEPTH || !PyDict_CheckExact(x)) return FALLBACK;
            PyObject *values;
            if ((rc = get1(x, K[VALUES], &values)) || (rc = as_list(values))) return rc;
            if (!values || PyList_GET_SIZE(values) == 0) return 0;
            Buf *inner = level(e, lv + 1);
            if (!inner) return PYERR;
            if (member == 4) {
                for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values); i++) {
                    int item_set;
                    if (!level(e, lv + 2)) return PYERR;
                    PyObject *item = PyList_GET_ITEM(values, i);
                    if (!item) item = Py_None;
                    if (item == Py_None) item_set = 0; /* _obj(None) is {}: an empty AnyValue */
                    else if ((rc = any_value(e, lv + 2, item, depth + 1, &item_set))) return rc;
                    if (close_into(e, lv + 2, 1)) return PYERR;
                }
            } else if ((rc = attributes(e, lv + 1, 1, values, depth + 1))) return rc;
            *set = 1;
            return close_into(e, lv + 1, member == 4 ? 5 : 6);
        }
        default: return FALLBACK; /* bytesValue: base64, left to Python */
        }
    }
    return 0;
}

/* json_decode._attributes: a list of {"key", "value"} into repeated KeyValue ``field`` of level ``lv`` */
static int attributes(Enc *e, int lv, uint32_t field, PyObject *items, int depth) {
    int rc;
    if ((rc = as_list(items))) return rc;
    if (!items) return 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i), *key, *value;
        if (!PyDict_CheckExact(item)) return FALLBACK;
        key = PyDict_GetItemWithError(item, K[KEY]);
        if (!key && PyErr_Occurred()) return PYERR;
        if (!key || !PyUnicode_CheckExact(key)) return FALLBACK;
        if ((rc = get1(item, K[VALUE], &value))) return rc;
        Buf *kv = level(e, lv + 1);
        if (!kv) return PYERR;
        Py_ssize_t n;
        const char *p;
        if ((rc = utf8(key, &p, &n))) return rc;
        if (n && put_bytes(kv, 1, p, n)) return PYERR;
        if (value) {
            int set;
            if (!level(e, lv + 2)) return PYERR;
            if ((rc = any_value(e, lv + 2, value, depth, &set))) return rc;
            if (set && close_into(e, lv + 2, 2)) return PYERR;
        }
        if (close_into(e, lv + 1, field)) return PYERR;
    }
    return 0;
}

static int span(Enc *e, int lv, PyObject *s) {
    Buf *o = &e->lv[lv];
    PyObject *x;
    int rc;
    uint64_t u;
    if ((rc = get2(s, K[TRACE_ID], K[TRACE_ID_], &x)) || (rc = id_field(o, 1, x, 16))) return rc;
    if ((rc = get2(s, K[SPAN_ID], K[SPAN_ID_], &x)) || (rc = id_field(o, 2, x, 8))) return rc;
    if ((rc = get2(s, K[TRACE_STATE], K[TRACE_STATE_], &x)) || (rc = str_field(o, 3, x))) return rc;
    if ((rc = get2(s, K[PARENT], K[PARENT_], &x)) || (rc = id_field(o, 4, x, 8))) return rc;
    if ((rc = get1(s, K[NAME], &x)) || (rc = str_field(o, 5, x))) return rc;
    if ((rc = get1(s, K[KIND], &x)) || (rc = enum_field(o, 6, x))) return rc;
    if ((rc = get2(s, K[START], K[START_], &x)) || (rc = integer(x, 0, 0, UINT64_MAX, &u))) return rc;
    if (u && put_fixed64(o, 7, u)) return PYERR;
    if ((rc = get2(s, K[END], K[END_], &x)) || (rc = integer(x, 0, 0, UINT64_MAX, &u))) return rc;
    if (u && put_fixed64(o, 8, u)) return PYERR;
    if ((rc = get1(s, K[ATTRIBUTES], &x)) || (rc = attributes(e, lv, 9, x, 0))) return rc;
    if ((rc = get1(s, K[EVENTS], &x)) || (rc = as_list(x))) return rc;
    for (Py_ssize_t i = 0; x && i < PyList_GET_SIZE(x); i++) {
        PyObject *ev = PyList_GET_ITEM(x, i), *y;
        if (ev == Py_None) ev = NULL;
        if ((rc = as_dict(ev))) return rc;
        Buf *eo = level(e, lv + 1);
        if (!eo) return PYERR;
        if (ev) {
            if ((rc = get2(ev, K[TIME], K[TIME_], &y)) || (rc = integer(y, 0, 0, UINT64_MAX, &u))) return rc;
            if (u && put_fixed64(eo, 1, u)) return PYERR;
            if ((rc = get1(ev, K[NAME], &y)) || (rc = str_field(eo, 2, y))) return rc;
            if ((rc = get1(ev, K[ATTRIBUTES], &y)) || (rc = attributes(e, lv + 1, 3, y, 0))) return rc;
        }
        if (close_into(e, lv + 1, 11)) return PYERR;
    }
    if ((rc = get1(s, K[LINKS], &x)) || (rc = as_list(x))) return rc;
    for (Py_ssize_t i = 0; x && i < PyList_GET_SIZE(x); i++) {
        PyObject *ln = PyList_GET_ITEM(x, i), *y;
        if (ln == Py_None) ln = NULL;
        if ((rc = as_dict(ln))) return rc;
        Buf *lo = level(e, lv + 1);
        if (!lo) return PYERR;
        if (ln) {
            if ((rc = get2(ln, K[TRACE_ID], K[TRACE_ID_], &y)) || (rc = id_field(lo, 1, y, 16))) return rc;
            if ((rc = get2(ln, K[SPAN_ID], K[SPAN_ID_], &y)) || (rc = id_field(lo, 2, y, 8))) return rc;
            if ((rc = get1(ln, K[ATTRIBUTES], &y)) || (rc = attributes(e, lv + 1, 4, y, 0))) return rc;
        }
        if (close_into(e, lv + 1, 13)) return PYERR;
    }
    if ((rc = get1(s, K[STATUS], &x)) || (rc = as_dict(x))) return rc;
    if (x && PyDict_GET_SIZE(x)) { /* a status object that says anything is set, even to its defaults */
        Buf *so = level(e, lv + 1);
        PyObject *y;
        if (!so) return PYERR;
        if ((rc = get1(x, K[MESSAGE], &y)) || (rc = str_field(so, 2, y))) return rc;
        if ((rc = get1(x, K[CODE], &y)) || (rc = enum_field(so, 3, y))) return rc;
        if (close_into(e, lv + 1, 15)) return PYERR;
    }
    if ((rc = get1(s, K[FLAGS], &x))) return rc;
    if (x) {
        if (!PyLong_CheckExact(x) && !PyUnicode_CheckExact(x)) return FALLBACK;
        if ((rc = integer(x, 0, 0, UINT32_MAX, &u))) return rc;
        if (u && put_fixed32(o, 16, (uint32_t)u)) return PYERR;
    }
    return 0;
}

static int request(Enc *e, PyObject *doc) {
    PyObject *rss, *x;
    int rc;
    if (!PyDict_CheckExact(doc)) return FALLBACK;
    if (!level(e, 0)) return PYERR;
    if ((rc = get2(doc, K[RESOURCE_SPANS], K[RESOURCE_SPANS_], &rss)) || (rc = as_list(rss))) return rc;
    for (Py_ssize_t r = 0; rss && r < PyList_GET_SIZE(rss); r++) {
        PyObject *rs = PyList_GET_ITEM(rss, r);
        if (rs == Py_None) rs = NULL;
        if ((rc = as_dict(rs))) return rc;
        Buf *ro = level(e, 1);
        if (!ro) return PYERR;
        if (rs) {
            PyObject *resource, *attrs, *sss;
            if ((rc = get1(rs, K[RESOURCE], &resource)) || (rc = as_dict(resource))) return rc;
            if (resource) {
                if ((rc = get1(resource, K[ATTRIBUTES], &attrs)) || (rc = as_list(attrs))) return rc;
                if (attrs && PyList_GET_SIZE(attrs)) { /* a resource is set once it has an attribute */
                    if (!level(e, 2)) return PYERR;
                    if ((rc = attributes(e, 2, 1, attrs, 0))) return rc;
                    if (close_into(e, 2, 1)) return PYERR;
                }
            }
            if ((rc = get2(rs, K[SCOPE_SPANS], K[SCOPE_SPANS_], &sss)) || (rc = as_list(sss))) return rc;
            for (Py_ssize_t c = 0; sss && c < PyList_GET_SIZE(sss); c++) {
                PyObject *ss = PyList_GET_ITEM(sss, c), *scope, *spans;
                if (ss == Py_None) ss = NULL;
                if ((rc = as_dict(ss))) return rc;
                Buf *so = level(e, 2);
                if (!so) return PYERR;
                Buf *sc = level(e, 3); /* the scope: always set (json_decode assigns its name) */
                if (!sc) return PYERR;
                scope = NULL;
                if (ss && ((rc = get1(ss, K[SCOPE], &scope)) || (rc = as_dict(scope)))) return rc;
                if (scope) {
                    if ((rc = get1(scope, K[NAME], &x)) || (rc = str_field(sc, 1, x))) return rc;
                    if ((rc = get1(scope, K[VERSION], &x)) || (rc = str_field(sc, 2, x))) return rc;
                    if ((rc = get1(scope, K[ATTRIBUTES], &x)) || (rc = attributes(e, 3, 3, x, 0))) return rc;
                }
                if (close_into(e, 3, 1)) return PYERR;
                spans = NULL;
                if (ss && ((rc = get1(ss, K[SPANS], &spans)) || (rc = as_list(spans)))) return rc;
                for (Py_ssize_t i = 0; spans && i < PyList_GET_SIZE(spans); i++) {
                    PyObject *s = PyList_GET_ITEM(spans, i);
                    if (s == Py_None) s = NULL;
                    if ((rc = as_dict(s))) return rc;
                    if (!level(e, 3)) return PYERR;
                    if (s && (rc = span(e, 3, s))) return rc;
                    if (close_into(e, 3, 2)) return PYERR;
                }
                if (ss && ((rc = get2(ss, K[SCHEMA_URL], K[SCHEMA_URL_], &x)) || (rc = str_field(so, 3, x)))) return rc;
                if (close_into(e, 2, 2)) return PYERR;
            }
            if ((rc = get2(rs, K[SCHEMA_URL], K[SCHEMA_URL_], &x)) || (rc = str_field(ro, 3, x))) return rc;
        }
        if (close_into(e, 1, 1)) return PYERR;
    }
    return 0;
}

static PyObject *encode(PyObject *self, PyObject *doc) {
    Enc *e = PyMem_Calloc(1, sizeof(Enc));
    if (!e) return PyErr_NoMemory();
    PyObject *out = NULL;
    int rc = request(e, doc);
    if (rc == FALLBACK) { out = Py_None; Py_INCREF(out); }
    else if (rc == 0) out = PyBytes_FromStringAndSize(e->lv[0].b ? e->lv[0].b : "", e->lv[0].len);
    for (int i = 0; i < LEVELS; i++) PyMem_Free(e->lv[i].b);
    PyMem_Free(e);
    return out;
}

static PyMethodDef METHODS[] = {
    {"encode", encode, METH_O, "OTLP/JSON traces (parsed) as a protobuf ExportTraceServiceRequest, or None."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_jsonspans", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__jsonspans(void) {
    for (int i = 0; i < NKEYS; i++)
        if (!(K[i] = PyUnicode_InternFromString(KEY_TEXT[i]))) return NULL;
    for (int i = 0; i < 14; i++)
        if (!(AV[i] = PyUnicode_InternFromString(AV_TEXT[i]))) return NULL;
    return PyModule_Create(&MODULE);
}
