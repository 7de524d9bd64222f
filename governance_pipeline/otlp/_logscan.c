/* Log records of a serialized OTLP ExportLogsServiceRequest, read straight off the protobuf wire.

   scan(payload) -> None, or a list with one tuple per log record, in the order of otlp.logs.LogRow's fields:
     (event_id, time_ns, observed_ns, severity_number, severity_text, event_name, body, trace_id, span_id, flags,
      attrs, record_attrs, resource_attrs, scope_name, scope_version, raw_payload)
   each the value otlp.logs.iter_logs gives, and raw_payload the text orjson makes of LogRow.raw().

   The event id is the BLAKE2b-128 digest of the deterministic protobuf encodings of the record's resource, its
   scope and the record (otlp/logs.py). A sender's encoding need not be that one (fields in declaration order,
   zeros written out), so this reader encodes each message again as upb serializes what it parsed: fields in
   number order, proto3 zeros left out, repeated fields in their order, the last of a repeated scalar.

   None means "read this payload with the protobuf library": anything this reader does not handle exactly as
   upb would (a field it does not know, a wire type other than the schema's, a singular message given twice,
   invalid UTF-8, attributes with a repeated key, values nested deeper than MAX_DEPTH, an ``event.name`` that is
   neither text, a bool nor an integer) is left to the Python path (otlp/logs.py), which is the reference.
*/
#include "_wire.h"

/* ---- BLAKE2b (RFC 7693), unkeyed, 16-byte digests ---- */

typedef struct { uint64_t h[8], t; uint8_t buf[128]; size_t n; } Blake2b;

static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};
static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define B2_G(a, b, c, d, x, y)                                                                                    \
    do {                                                                                                         \
        v[a] = v[a] + v[b] + (x); v[d] = rotr64(v[d] ^ v[a], 32);                                                \
        v[c] = v[c] + v[d]; v[b] = rotr64(v[b] ^ v[c], 24);                                                      \
        v[a] = v[a] + v[b] + (y); v[d] = rotr64(v[d] ^ v[a], 16);                                                \
        v[c] = v[c] + v[d]; v[b] = rotr64(v[b] ^ v[c], 63);                                                      \
    } while (0)

static void b2_compress(Blake2b *s, int last) {
    uint64_t v[16], m[16];
    memcpy(m, s->buf, 128);  /* little-endian words (the host is little-endian: _buf.h) */
    for (int i = 0; i < 8; i++) { v[i] = s->h[i]; v[i + 8] = B2_IV[i]; }
    v[12] ^= s->t;  /* inputs stay far below 2**64 bytes: the high counter word is 0 */
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *z = B2_SIGMA[r];
        B2_G(0, 4, 8, 12, m[z[0]], m[z[1]]); B2_G(1, 5, 9, 13, m[z[2]], m[z[3]]);
        B2_G(2, 6, 10, 14, m[z[4]], m[z[5]]); B2_G(3, 7, 11, 15, m[z[6]], m[z[7]]);
        B2_G(0, 5, 10, 15, m[z[8]], m[z[9]]); B2_G(1, 6, 11, 12, m[z[10]], m[z[11]]);
        B2_G(2, 7, 8, 13, m[z[12]], m[z[13]]); B2_G(3, 4, 9, 14, m[z[14]], m[z[15]]);
    }
    for (int i = 0; i < 8; i++) s->h[i] ^= v[i] ^ v[i + 8];
}

static void b2_init(Blake2b *s) {
    memcpy(s->h, B2_IV, sizeof s->h);
    s->h[0] ^= 0x01010000ULL ^ 16;  /* depth 1, fanout 1, no key, 16-byte digest */
    s->t = 0;
    s->n = 0;
}

static void b2_update(Blake2b *s, const uint8_t *p, size_t n) {
    while (n) {
        if (s->n == 128) { s->t += 128; b2_compress(s, 0); s->n = 0; }  /* the last block is kept for b2_final */
        size_t take = 128 - s->n < n ? 128 - s->n : n;
        memcpy(s->buf + s->n, p, take);
        s->n += take; p += take; n -= take;
    }
}

static void b2_final_hex(Blake2b *s, char out[32]) {
    static const char HEX[] = "0123456789abcdef";
    s->t += s->n;
    memset(s->buf + s->n, 0, 128 - s->n);
    b2_compress(s, 1);
    const uint8_t *d = (const uint8_t *)s->h;
    for (int i = 0; i < 16; i++) { out[2 * i] = HEX[d[i] >> 4]; out[2 * i + 1] = HEX[d[i] & 15]; }
}

static void b2_update_framed(Blake2b *s, const Buf *b) {  /* an 8-byte little-endian length, then the bytes */
    uint64_t n = (uint64_t)b->len;
    b2_update(s, (const uint8_t *)&n, 8);
    if (b->len) b2_update(s, (const uint8_t *)b->b, (size_t)b->len);
}

/* ---- the deterministic encoding, as upb serializes a parsed message ---- */

static int enc_varint(Buf *o, uint64_t v) {
    char tmp[10];
    int n = 0;
    do { tmp[n++] = (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0)); v >>= 7; } while (v);
    return put(o, tmp, n);
}
static int enc_tag(Buf *o, uint32_t field, int wt) { return enc_varint(o, (uint64_t)field << 3 | (uint64_t)wt); }
static int enc_len(Buf *o, uint32_t field, Slice s) {
    return enc_tag(o, field, 2) || enc_varint(o, (uint64_t)s.n) || put(o, (const char *)s.p, s.n) ? PYERR : 0;
}
static int enc_fixed(Buf *o, uint32_t field, int wt, uint64_t v) {
    return enc_tag(o, field, wt) || put(o, (const char *)&v, wt == 1 ? 8 : 4) ? PYERR : 0;
}

/* a nested message: its tag, then its length in front of what ``body`` encodes */
#define LEN_ROOM 5  /* a length below 2**35 */
typedef int (*Encode)(Buf *o, Slice msg, int depth);
static int enc_nested(Buf *o, uint32_t field, Slice msg, int depth, Encode body) {
    if (enc_tag(o, field, 2) || buf_grow(o, LEN_ROOM)) return PYERR;
    Py_ssize_t at = o->len;
    o->len += LEN_ROOM;
    int rc = body(o, msg, depth);
    if (rc) return rc;
    Py_ssize_t n = o->len - at - LEN_ROOM;
    char tmp[10];
    int k = 0;
    uint64_t v = (uint64_t)n;
    do { tmp[k++] = (char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0)); v >>= 7; } while (v);
    if (k > LEN_ROOM) return FALLBACK;
    memmove(o->b + at + k, o->b + at + LEN_ROOM, n);
    memcpy(o->b + at, tmp, k);
    o->len = at + k + n;
    return 0;
}

static int enc_any(Buf *o, Slice v, int depth);

static int enc_kv(Buf *o, Slice kv, int depth) {  /* KeyValue, already checked by json_kvs */
    const uint8_t *p = kv.p, *end = kv.p + kv.n;
    Slice key = {(const uint8_t *)"", 0}, val = {NULL, 0};
    Field f;
    while (next_field(&p, end, &f) == 1) {
        if (f.field == 1) key = f.s; else val = f.s;
    }
    if (key.n && enc_len(o, 1, key)) return PYERR;
    return val.p ? enc_nested(o, 2, val, depth + 1, enc_any) : 0;
}

static int enc_values(Buf *o, Slice list, int depth, Encode each) {  /* ArrayValue / KeyValueList: field 1 */
    const uint8_t *p = list.p, *end = list.p + list.n;
    Field f;
    int rc;
    while (next_field(&p, end, &f) == 1)
        if ((rc = enc_nested(o, 1, f.s, depth + 1, each))) return rc;
    return 0;
}
static int enc_array(Buf *o, Slice list, int depth) { return enc_values(o, list, depth, enc_any); }
static int enc_kvlist(Buf *o, Slice list, int depth) { return enc_values(o, list, depth, enc_kv); }

static int enc_any(Buf *o, Slice v, int depth) {  /* AnyValue, already checked by json_any */
    if (depth > MAX_DEPTH) return FALLBACK;
    Field f;
    int rc = any_field(v, &f);
    if (rc <= 0) return rc;
    switch (f.field) {
    case 1: case 7: return enc_len(o, f.field, f.s);
    case 2: return enc_tag(o, 2, 0) || enc_varint(o, f.v != 0) ? PYERR : 0;
    case 3: return enc_tag(o, 3, 0) || enc_varint(o, f.v) ? PYERR : 0;
    case 4: return enc_fixed(o, 4, 1, f.v);
    case 5: return enc_nested(o, 5, f.s, depth, enc_array);
    case 6: return enc_nested(o, 6, f.s, depth, enc_kvlist);
    }
    return FALLBACK;
}

/* the attributes (KeyValue fields numbered ``field``) of a message, in their order */
static int enc_attributes(Buf *o, Slice msg, uint32_t field) {
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    int rc;
    while (next_field(&p, end, &f) == 1)
        if (f.field == field && (rc = enc_nested(o, field, f.s, 0, enc_kv))) return rc;
    return 0;
}

/* a LogRecord's fields, as upb keeps them: the last of a repeated scalar; body.p NULL when it has none */
typedef struct {
    Slice msg, text, body, trace_id, span_id, event_name;
    uint64_t time_ns, observed, dropped, flags;
    int32_t severity;
} Record;

static int read_record(Slice msg, Record *r) {
    const Slice empty = {(const uint8_t *)"", 0};
    *r = (Record){msg, empty, {NULL, 0}, empty, empty, empty, 0, 0, 0, 0, 0};
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    int rc;
    while ((rc = next_field(&p, end, &f)) == 1) {
        static const int WT[] = {-1, 1, 0, 2, -1, 2, 2, 0, 5, 2, 2, 1, 2};
        if (f.field > 12 || WT[f.field] != f.wt) return FALLBACK;
        switch (f.field) {
        case 1: r->time_ns = f.v; break;
        case 2: r->severity = (int32_t)f.v; break;
        case 3: r->text = f.s; break;
        case 5: if (r->body.p) return FALLBACK; r->body = f.s; break;  /* upb would merge the two */
        case 7: r->dropped = (uint32_t)f.v; break;
        case 8: r->flags = (uint32_t)f.v; break;
        case 9: r->trace_id = f.s; break;
        case 10: r->span_id = f.s; break;
        case 11: r->observed = f.v; break;
        case 12: r->event_name = f.s; break;
        }
    }
    if (rc) return rc;
    return utf8_ok(r->text.p, r->text.n) && utf8_ok(r->event_name.p, r->event_name.n) ? 0 : FALLBACK;
}

static int enc_record(Buf *e, const Record *r) {
    int rc;
    e->len = 0;
    if (r->time_ns && enc_fixed(e, 1, 1, r->time_ns)) return PYERR;
    if (r->severity && (enc_tag(e, 2, 0) || enc_varint(e, (uint64_t)(int64_t)r->severity))) return PYERR;  /* sign-extended */
    if (r->text.n && enc_len(e, 3, r->text)) return PYERR;
    if (r->body.p && (rc = enc_nested(e, 5, r->body, 0, enc_any))) return rc;
    if ((rc = enc_attributes(e, r->msg, 6))) return rc;
    if (r->dropped && (enc_tag(e, 7, 0) || enc_varint(e, r->dropped))) return PYERR;
    if (r->flags && enc_fixed(e, 8, 5, r->flags)) return PYERR;
    if (r->trace_id.n && enc_len(e, 9, r->trace_id)) return PYERR;
    if (r->span_id.n && enc_len(e, 10, r->span_id)) return PYERR;
    if (r->observed && enc_fixed(e, 11, 1, r->observed)) return PYERR;
    if (r->event_name.n && enc_len(e, 12, r->event_name)) return PYERR;
    return 0;
}

/* ---- Python values ---- */

static PyObject *py_text(Slice s) { return PyUnicode_DecodeUTF8((const char *)s.p, s.n, "strict"); }

static PyObject *py_hex(Slice s) {
    Buf b = {0};
    if (put_hex_digits(&b, s.p, s.n)) { buf_free(&b); return NULL; }
    PyObject *x = PyUnicode_FromStringAndSize(b.b ? b.b : "", b.len);
    buf_free(&b);
    return x;
}

/* the event name as logs.event_name_of has it, written to ``name``: the record's ▸ its own ``event.name``
   attribute as precedence.first_text has it ▸ a text body (bytes as base64) ▸ "". FALLBACK for an ``event.name``
   this reader does not write as text (a double, a list, a map); what is not well-formed is found when the record
   is written as JSON */
static int event_name_text(const Record *r, Buf *name) {
    name->len = 0;
    if (r->event_name.n) return put(name, (const char *)r->event_name.p, r->event_name.n);
    const uint8_t *p = r->msg.p, *end = r->msg.p + r->msg.n;
    Field f, v;
    while (next_field(&p, end, &f) == 1) {
        if (f.field != 6) continue;
        Slice key = {(const uint8_t *)"", 0}, val = {NULL, 0};
        const uint8_t *q = f.s.p, *qend = f.s.p + f.s.n;
        Field g;
        while (next_field(&q, qend, &g) == 1) {
            if (g.field == 1) key = g.s; else val = g.s;
        }
        if (key.n != 10 || memcmp(key.p, "event.name", 10) != 0 || !val.p) continue;
        int rc = any_field(val, &v);
        if (rc < 0) return rc;
        if (rc == 0 || (v.field == 1 && !v.s.n)) break;  /* says nothing: the body's turn */
        if (v.field == 1) return put(name, (const char *)v.s.p, v.s.n);
        if (v.field == 2) return v.v ? PUTS(name, "true") : PUTS(name, "false");
        if (v.field == 3) return put_i64(name, (int64_t)v.v);
        return FALLBACK;
    }
    if (r->body.p && any_field(r->body, &v) == 1) {
        if (v.field == 1) return put(name, (const char *)v.s.p, v.s.n);
        if (v.field == 7) return put_b64_raw(name, v.s);
    }
    return 0;
}

/* ---- the scan ---- */

typedef struct {
    PyObject *rows;
    PyObject *res_attrs;  /* the current resource's attributes */
    Buf res_json, res_enc, scope_enc, rec_enc, json, name;
    Blake2b prefix;
} Scan;

static int scan_record(Scan *sc, Slice msg, PyObject *seen, Slice scope_name, Slice scope_version) {
    Record r;
    int rc = read_record(msg, &r);
    if (rc || (rc = event_name_text(&r, &sc->name))) return rc;

    /* raw_payload, which also checks the body and the attributes */
    Buf *o = &sc->json;
    o->len = 0;
    if (PUTS(o, "{\"timeUnixNano\":\"") || put_u64(o, r.time_ns) || PUTS(o, "\",\"observedTimeUnixNano\":\"") ||
        put_u64(o, r.observed) || PUTS(o, "\",\"severityNumber\":") || put_i64(o, r.severity) ||
        PUTS(o, ",\"severityText\":") || put_json_str(o, r.text) || PUTS(o, ",\"eventName\":") ||
        put_json_str(o, (Slice){(const uint8_t *)sc->name.b, sc->name.len}) || PUTS(o, ",\"body\":"))
        return PYERR;
    if (r.body.p) { if ((rc = json_any(o, r.body, 0))) return rc; }
    else if (PUTS(o, "null")) return PYERR;
    if (PUTS(o, ",\"attributes\":")) return PYERR;
    if ((rc = json_kvs(o, msg, 6, 0, 0, NULL, NULL, NULL))) return rc;
    if (PUTS(o, ",\"traceId\":") || put_hex(o, r.trace_id) || PUTS(o, ",\"spanId\":") || put_hex(o, r.span_id) ||
        PUTS(o, ",\"flags\":") || put_u64(o, r.flags) || PUTS(o, ",\"resource\":{\"attributes\":") ||
        put(o, sc->res_json.b, sc->res_json.len) || PUTS(o, "},\"scope\":{\"name\":") ||
        put_json_str(o, scope_name) || PUTS(o, ",\"version\":") || put_json_str(o, scope_version) || PUTS(o, "}}"))
        return PYERR;

    /* the event id: the digest of the resource, the scope and this record, ":k" for the k-th identical copy */
    if ((rc = enc_record(&sc->rec_enc, &r))) return rc;
    Blake2b h = sc->prefix;
    char hex[32];
    b2_update(&h, (const uint8_t *)sc->rec_enc.b, (size_t)sc->rec_enc.len);
    b2_final_hex(&h, hex);
    PyObject *digest = PyUnicode_FromStringAndSize(hex, 32), *before = NULL, *count = NULL, *event_id = NULL;
    if (digest && !(before = PyDict_GetItemWithError(seen, digest)) && PyErr_Occurred()) Py_CLEAR(digest);
    long k = before ? PyLong_AsLong(before) + 1 : 1;
    if (digest && (count = PyLong_FromLong(k)) && !PyDict_SetItem(seen, digest, count))
        event_id = k > 1 ? PyUnicode_FromFormat("%U:%ld", digest, k) : (Py_INCREF(digest), digest);
    Py_XDECREF(digest);
    Py_XDECREF(count);
    if (!event_id) return PYERR;

    PyObject *own = py_kvs(msg, 6), *attrs = NULL, *body = r.body.p ? py_any(r.body) : (Py_INCREF(Py_None), Py_None);
    if (own && PyDict_GET_SIZE(sc->res_attrs)) {
        if ((attrs = PyDict_Copy(sc->res_attrs)) && PyDict_Update(attrs, own)) Py_CLEAR(attrs);
    } else if (own) {
        attrs = own;
        Py_INCREF(attrs);
    }
    PyObject *row = NULL;
    if (own && attrs && body)
        row = Py_BuildValue("(NKKiNNONNkNOONNN)", event_id, (unsigned long long)r.time_ns,
                            (unsigned long long)r.observed, (int)r.severity, py_text(r.text),
                            PyUnicode_DecodeUTF8(sc->name.b, sc->name.len, "strict"), body, py_hex(r.trace_id),
                            py_hex(r.span_id), (unsigned long)r.flags, attrs, own, sc->res_attrs,
                            py_text(scope_name), py_text(scope_version),
                            PyUnicode_DecodeUTF8(o->b, o->len, "strict"));
    else { Py_DECREF(event_id); Py_XDECREF(attrs); }
    Py_XDECREF(own);
    Py_XDECREF(body);
    if (!row) return PYERR;
    rc = PyList_Append(sc->rows, row);
    Py_DECREF(row);
    return rc ? PYERR : 0;
}

static int scan_scope_logs(Scan *sc, Slice msg) {
    Scope scope;
    int rc = scope_of(msg, &scope, &sc->scope_enc);
    if (rc) return rc;
    Buf *e = &sc->scope_enc;
    e->len = 0;
    if ((scope.name.n && enc_len(e, 1, scope.name)) || (scope.version.n && enc_len(e, 2, scope.version))) return PYERR;
    if ((rc = enc_attributes(e, scope.scope, 3))) return rc;
    if ((uint32_t)scope.dropped && (enc_tag(e, 4, 0) || enc_varint(e, (uint32_t)scope.dropped))) return PYERR;

    Blake2b prefix;
    b2_init(&prefix);
    b2_update_framed(&prefix, &sc->res_enc);
    b2_update_framed(&prefix, e);
    sc->prefix = prefix;
    PyObject *seen = PyDict_New();
    if (!seen) return PYERR;
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    while (!rc && next_field(&p, end, &f) == 1)
        if (f.field == 2) rc = scan_record(sc, f.s, seen, scope.name, scope.version);
    Py_DECREF(seen);
    return rc;
}

static int scan_resource_logs(Scan *sc, Slice msg) {
    Slice resource;
    uint64_t dropped;
    int rc = resource_of(msg, &resource, &dropped);
    if (rc) return rc;
    sc->res_json.len = 0;
    if ((rc = json_kvs(&sc->res_json, resource, 1, 0, 0, NULL, NULL, NULL))) return rc;
    Buf *e = &sc->res_enc;
    e->len = 0;
    if ((rc = enc_attributes(e, resource, 1))) return rc;
    if ((uint32_t)dropped && (enc_tag(e, 2, 0) || enc_varint(e, (uint32_t)dropped))) return PYERR;
    Py_XSETREF(sc->res_attrs, py_kvs(resource, 1));
    if (!sc->res_attrs) return PYERR;
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    while (next_field(&p, end, &f) == 1)
        if (f.field == 2 && (rc = scan_scope_logs(sc, f.s))) return rc;
    return 0;
}

static PyObject *scan(PyObject *self, PyObject *arg) {
    Py_buffer payload;
    if (PyObject_GetBuffer(arg, &payload, PyBUF_SIMPLE)) return NULL;
    Scan sc = {0};
    PyObject *result = NULL;
    if (!(sc.rows = PyList_New(0))) goto done;
    const uint8_t *p = payload.buf, *end = p + payload.len;
    Field f;
    int rc;
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (f.field != 1 || f.wt != 2) { rc = FALLBACK; break; }
        if ((rc = scan_resource_logs(&sc, f.s))) break;
    }
    if (rc == FALLBACK) { result = Py_None; Py_INCREF(result); }
    else if (rc == 0) { result = sc.rows; Py_INCREF(result); }
done:
    Py_XDECREF(sc.rows);
    Py_XDECREF(sc.res_attrs);
    buf_free(&sc.res_json); buf_free(&sc.res_enc); buf_free(&sc.scope_enc); buf_free(&sc.rec_enc);
    buf_free(&sc.json); buf_free(&sc.name);
    PyBuffer_Release(&payload);
    return result;
}

static PyMethodDef METHODS[] = {
    {"scan", scan, METH_O, "The log records of a serialized ExportLogsServiceRequest, or None (see the module)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_logscan", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__logscan(void) { return PyModule_Create(&MODULE); }
