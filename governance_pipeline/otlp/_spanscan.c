/* Columns of serialized OTLP ExportTraceServiceRequests, read straight off the protobuf wire.

   scan(payloads, wanted) -> (taken, counts, n, trace_id, span_id, parent_span_id, name, raw, start, end, code,
                              wanted, exceptions)
     reads the payloads in order into one batch of columns and stops at the first it leaves to the protobuf
     library: ``taken`` payloads were read, ``counts`` holds each one's number of spans, and every column is n
     (their sum) long, in the buffers Arrow arrays are made of:
     trace_id .. raw   (UTF-8 data, int32 offsets): ids in lower-case hex ("" when empty), the span name, and its
                       raw_payload JSON (the same text orjson makes of SpanRecord.raw())
     start, end        uint64 nanoseconds; code: int32 status codes
     wanted            {index in ``wanted``: (types, int64s, doubles, (UTF-8 data, int32 offsets), {row: value})}
                       for each wanted attribute key some span has (its own value, else its resource's). types is
                       one byte per span: 0 absent, 1 no value, 2 text (bytes as base64, as spans.any_value gives
                       them), 3 bool, 4 int, 5 double, 6 array, 7 kvlist; int64s, doubles and the text column hold
                       the rows of their type, and the dict the other values as spans.any_value gives them
     exceptions        list: None, or the ``exception.type`` values of the span's events named "exception"

   A payload is left to the protobuf library when this reader does not handle it exactly as upb would (a field it
   does not know, a wire type other than the schema's, a singular message given twice, invalid UTF-8, attributes
   with a repeated key, values nested deeper than MAX_DEPTH): the Python path is the reference (otlp/spans.py,
   otlp/normalize.py) and also knows how to salvage a damaged file.
*/
#include "_wire.h"

/* ---- columns ---- */

typedef struct { Buf data, offs; int overflow; } StrCol;

static int col_end_row(StrCol *c) {
    if (c->data.len > INT32_MAX) {  /* without the GIL, OverflowError is raised once it is back */
        c->overflow = 1;
        if (PyGILState_Check()) PyErr_SetString(PyExc_OverflowError, "column over 2 GiB");
        return PYERR;
    }
    int32_t end = (int32_t)c->data.len;
    return put(&c->offs, (const char *)&end, 4);
}
static int col_init(StrCol *c) { return col_end_row(c); }
static PyObject *col_take(StrCol *c) {
    PyObject *data = buf_take(&c->data), *offs = data ? buf_take(&c->offs) : NULL;
    PyObject *out = offs ? PyTuple_Pack(2, data, offs) : NULL;
    Py_XDECREF(data); Py_XDECREF(offs);
    return out;
}
static void col_free(StrCol *c) { buf_free(&c->data); buf_free(&c->offs); }

static int col_hex(StrCol *c, Slice s) {
    return put_hex_digits(&c->data, s.p, s.n) || col_end_row(c) ? PYERR : 0;
}


/* ---- the scan ---- */

typedef struct {
    const Wanted *w;
    Py_ssize_t n;
    StrCol str[5];  /* trace_id, span_id, parent_span_id, name, raw */
    Buf start, end, code;
    Buf exc;  /* ExcVal: the exception.type of each span's "exception" events, in row order */
    Slice **cols;  /* per wanted key: each span's value, or NULL until some span has the key */
    Py_ssize_t cap;  /* rows allocated in each column */
    Hit res_hits[MAX_MAP_KEYS];  /* the wanted keys of the current resource */
    int n_res_hits;
    Buf res_json, scratch;
    Slice scope_name, scope_version;
} Scan;

typedef struct { Py_ssize_t row; Slice v; } ExcVal;  /* v.p NULL: the event has no exception.type */

/* an "exception" event of the span being read (it gets row sc->n) */
static int exc_push(Scan *sc, Slice v) {
    ExcVal e = {sc->n, v};
    return put(&sc->exc, (const char *)&e, sizeof e);
}

/* per row: None, or the list of its exception events' exception.type values (spans.iter_spans) */
static PyObject *exceptions_list(const Scan *sc) {
    PyObject *out = PyList_New(sc->n);
    const ExcVal *e = (const ExcVal *)sc->exc.b, *end = sc->exc.len ? e + sc->exc.len / (Py_ssize_t)sizeof(ExcVal) : e;
    for (Py_ssize_t r = 0; out && r < sc->n; r++) {
        PyObject *row = Py_None;
        Py_INCREF(row);
        for (; e < end && e->row == r; e++) {
            if (row == Py_None) { Py_DECREF(row); if (!(row = PyList_New(0))) break; }
            PyObject *x = e->v.p ? py_any(e->v) : (Py_INCREF(Py_None), Py_None);
            if (!x || PyList_Append(row, x)) { Py_XDECREF(x); Py_CLEAR(row); break; }
            Py_DECREF(x);
        }
        if (!row) Py_CLEAR(out);
        else PyList_SET_ITEM(out, r, row);
    }
    return out;
}

static int scan_span(Scan *sc, Slice span) {
    Slice trace_id = {0}, span_id = {0}, parent = {0}, name = {(const uint8_t *)"", 0}, status = {0};
    Slice trace_state = {0};
    uint64_t kind = 0, start = 0, end_ns = 0, code = 0;
    int has_status = 0, rc;
    const uint8_t *p = span.p, *end = span.p + span.n;
    Field f;
    while ((rc = next_field(&p, end, &f)) == 1) {
        switch (f.field) {
        case 1: case 2: case 3: case 4: case 5: case 9: case 11: case 13: case 15:
            if (f.wt != 2) return FALLBACK;
            break;
        case 6: case 10: case 12: case 14: if (f.wt != 0) return FALLBACK; break;
        case 7: case 8: if (f.wt != 1) return FALLBACK; break;
        case 16: if (f.wt != 5) return FALLBACK; break;
        default: return FALLBACK;
        }
        switch (f.field) {
        case 1: trace_id = f.s; break;
        case 2: span_id = f.s; break;
        case 3: trace_state = f.s; break;
        case 4: parent = f.s; break;
        case 5: name = f.s; break;
        case 6: kind = f.v; break;
        case 7: start = f.v; break;
        case 8: end_ns = f.v; break;
        case 15: if (has_status++) return FALLBACK; status = f.s; break;
        }
    }
    if (rc) return rc;
    if (!utf8_ok(name.p, name.n) || (trace_state.p && !utf8_ok(trace_state.p, trace_state.n))) return FALLBACK;
    Slice message = {(const uint8_t *)"", 0};
    if (has_status) {
        const uint8_t *q = status.p, *qend = status.p + status.n;
        Field g;
        while ((rc = next_field(&q, qend, &g)) == 1) {
            if (g.field == 2 && g.wt == 2) message = g.s;
            else if (g.field == 3 && g.wt == 0) code = g.v;
            else return FALLBACK;
        }
        if (rc) return rc;
        if (!utf8_ok(message.p, message.n)) return FALLBACK;
    }
    Buf *o = &sc->str[4].data;  /* raw_payload, written in place (a payload left to protobuf is rolled back) */
    if (PUTS(o, "{\"traceId\":") || put_hex(o, trace_id) || PUTS(o, ",\"spanId\":") || put_hex(o, span_id))
        return PYERR;
    if (PUTS(o, ",\"parentSpanId\":") || (parent.n ? put_hex(o, parent) : PUTS(o, "null"))) return PYERR;
    if (PUTS(o, ",\"name\":") || put_json_str(o, name) || PUTS(o, ",\"kind\":")) return PYERR;
    if (put_i64(o, (int32_t)kind) || PUTS(o, ",\"startTimeUnixNano\":\"") || put_u64(o, start)) return PYERR;
    if (PUTS(o, "\",\"endTimeUnixNano\":\"") || put_u64(o, end_ns) || PUTS(o, "\"")) return PYERR;
    if (PUTS(o, ",\"status\":{\"code\":") || put_i64(o, (int32_t)code)) return PYERR;
    if (PUTS(o, ",\"message\":") || put_json_str(o, message) || PUTS(o, "},\"attributes\":")) return PYERR;
    Hit hits[MAX_MAP_KEYS];
    int nhits = 0;
    if ((rc = json_kvs(o, span, 9, 0, 0, sc->w, hits, &nhits))) return rc;
    if (PUTS(o, ",\"events\":[")) return PYERR;
    int i = 0;
    p = span.p;
    while (next_field(&p, end, &f) == 1) {
        if (f.field != 11) continue;
        Slice ename = {(const uint8_t *)"", 0};
        uint64_t t = 0;
        const uint8_t *q = f.s.p, *qend = f.s.p + f.s.n;
        Field g;
        while ((rc = next_field(&q, qend, &g)) == 1) {
            if (g.field == 1 && g.wt == 1) t = g.v;
            else if (g.field == 2 && g.wt == 2) ename = g.s;
            else if (g.field == 3 && g.wt == 2) continue;
            else if (g.field == 4 && g.wt == 0) continue;
            else rc = FALLBACK;
            if (rc != 1) break;
        }
        if (rc == 0 && !utf8_ok(ename.p, ename.n)) rc = FALLBACK;
        if (rc == 0 && (i++ && PUTS(o, ","))) rc = PYERR;
        if (rc == 0 && (PUTS(o, "{\"name\":") || put_json_str(o, ename))) rc = PYERR;
        if (rc == 0 && (PUTS(o, ",\"timeUnixNano\":\"") || put_u64(o, t) || PUTS(o, "\",\"attributes\":")))
            rc = PYERR;
        if (rc == 0) rc = json_kvs(o, f.s, 3, 0, 0, NULL, NULL, NULL);
        if (rc == 0 && PUTS(o, "}")) rc = PYERR;
        if (rc == 0 && ename.n == 9 && memcmp(ename.p, "exception", 9) == 0) {
            /* the value of this event's exception.type (None when it has none) */
            Slice val = {NULL, 0};
            q = f.s.p;
            while (next_field(&q, qend, &g) == 1) {
                if (g.field != 3) continue;
                Slice key = {(const uint8_t *)"", 0}, v = {(const uint8_t *)"", 0};
                const uint8_t *r = g.s.p, *rend = g.s.p + g.s.n;
                Field h;
                while (next_field(&r, rend, &h) == 1) {
                    if (h.field == 1) key = h.s; else v = h.s;
                }
                if (key.n == 14 && memcmp(key.p, "exception.type", 14) == 0) val = v;
            }
            rc = exc_push(sc, val);
        }
        if (rc) return rc;
    }
    if (PUTS(o, "],\"links\":[")) rc = PYERR;
    i = 0;
    p = span.p;
    while (rc == 0 && next_field(&p, end, &f) == 1) {
        if (f.field != 13) continue;
        Slice lt = {0}, ls = {0};
        const uint8_t *q = f.s.p, *qend = f.s.p + f.s.n;
        Field g;
        while ((rc = next_field(&q, qend, &g)) == 1) {
            if (g.field == 1 && g.wt == 2) lt = g.s;
            else if (g.field == 2 && g.wt == 2) ls = g.s;
            else if (g.field == 3 && g.wt == 2) { if (!utf8_ok(g.s.p, g.s.n)) rc = FALLBACK; }
            else if (g.field == 4 && g.wt == 2) continue;
            else if ((g.field == 5 && g.wt == 0) || (g.field == 6 && g.wt == 5)) continue;
            else rc = FALLBACK;
            if (rc != 1) break;
        }
        if (rc == 0 && ((i++ && PUTS(o, ",")) || PUTS(o, "{\"traceId\":") || put_hex(o, lt) ||
                        PUTS(o, ",\"spanId\":") || put_hex(o, ls) || PUTS(o, ",\"attributes\":")))
            rc = PYERR;
        if (rc == 0) rc = json_kvs(o, f.s, 4, 0, 0, NULL, NULL, NULL);
        if (rc == 0 && PUTS(o, "}")) rc = PYERR;
    }
    if (rc == 0 && (PUTS(o, "],\"resource\":{\"attributes\":") || put(o, sc->res_json.b, sc->res_json.len) ||
                    PUTS(o, "},\"scope\":{\"name\":") || put_json_str(o, sc->scope_name) ||
                    PUTS(o, ",\"version\":") || put_json_str(o, sc->scope_version) || PUTS(o, "}}")))
        rc = PYERR;
    if (rc) return rc;

    /* every check passed: the span's columns; its wanted keys are its resource's values, its own over them */
    if (sc->n == sc->cap) {
        Py_ssize_t cap = sc->cap ? sc->cap * 2 : 256;
        for (int k = 0; k < sc->w->n; k++) {
            if (!sc->cols[k]) continue;
            Slice *c = PyMem_RawRealloc(sc->cols[k], cap * sizeof(Slice));
            if (!c) return PYERR;  /* MemoryError once the GIL is back */
            memset(c + sc->cap, 0, (cap - sc->cap) * sizeof(Slice));
            sc->cols[k] = c;
        }
        sc->cap = cap;
    }
    for (int pass = 0; pass < 2; pass++) {
        const Hit *h = pass ? hits : sc->res_hits;
        for (int i = 0, nh = pass ? nhits : sc->n_res_hits; i < nh; i++) {
            if (!sc->cols[h[i].k] && !(sc->cols[h[i].k] = PyMem_RawCalloc(sc->cap, sizeof(Slice)))) return PYERR;
            sc->cols[h[i].k][sc->n] = h[i].v;
        }
    }
    sc->n++;
    if (col_hex(&sc->str[0], trace_id) || col_hex(&sc->str[1], span_id) || col_hex(&sc->str[2], parent)) return PYERR;
    if (put(&sc->str[3].data, (const char *)name.p, name.n) || col_end_row(&sc->str[3])) return PYERR;
    if (col_end_row(&sc->str[4])) return PYERR;
    int32_t code32 = (int32_t)code;
    if (put(&sc->start, (const char *)&start, 8) || put(&sc->end, (const char *)&end_ns, 8) ||
        put(&sc->code, (const char *)&code32, 4))
        return PYERR;
    return 0;
}

static int scan_scope_spans(Scan *sc, Slice msg) {
    Scope scope;
    int rc = scope_of(msg, &scope, &sc->scratch);
    if (rc) return rc;
    sc->scope_name = scope.name;
    sc->scope_version = scope.version;
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    while (next_field(&p, end, &f) == 1)
        if (f.field == 2 && (rc = scan_span(sc, f.s))) return rc;
    return 0;
}

static int scan_resource_spans(Scan *sc, Slice msg) {
    Slice resource;
    uint64_t dropped;
    int rc = resource_of(msg, &resource, &dropped);
    if (rc) return rc;
    sc->res_json.len = 0;
    sc->n_res_hits = 0;
    if ((rc = json_kvs(&sc->res_json, resource, 1, 0, 0, sc->w, sc->res_hits, &sc->n_res_hits))) return rc;
    const uint8_t *p = msg.p, *end = msg.p + msg.n;
    Field f;
    while (next_field(&p, end, &f) == 1)
        if (f.field == 2 && (rc = scan_scope_spans(sc, f.s))) return rc;
    return 0;
}

/* one wanted key's column: (types, int64s, doubles, (text data, offsets), {row: other value}) */
static PyObject *wanted_column(const Scan *sc, int k) {
    Py_ssize_t n = sc->n;
    PyObject *types = PyBytes_FromStringAndSize(NULL, n), *ints = PyBytes_FromStringAndSize(NULL, n * 8);
    PyObject *dbls = PyBytes_FromStringAndSize(NULL, n * 8), *others = PyDict_New(), *out = NULL, *text = NULL;
    StrCol col = {0};
    if (!types || !ints || !dbls || !others || col_init(&col)) goto done;
    char *t = PyBytes_AS_STRING(types);
    int64_t *iv = (int64_t *)PyBytes_AS_STRING(ints);
    double *dv = (double *)PyBytes_AS_STRING(dbls);
    for (Py_ssize_t i = 0; i < n; i++) {
        Slice v = sc->cols[k][i];
        Field f;
        int kind = v.p ? any_field(v, &f) : -9;
        iv[i] = 0;
        dv[i] = 0;
        static const char TYPE_OF_FIELD[] = {0, 2, 3, 4, 5, 6, 7, 2};  /* AnyValue field -> type byte */
        t[i] = kind == -9 ? 0 : kind == 0 ? 1 : TYPE_OF_FIELD[f.field];
        if (kind == 1 && f.field == 1 && put(&col.data, (const char *)f.s.p, f.s.n)) goto done;
        if (kind == 1 && f.field == 7 && put_b64_raw(&col.data, f.s)) goto done;
        if (col_end_row(&col)) goto done;
        if (kind == 1 && f.field == 3) iv[i] = (int64_t)f.v;
        if (kind == 1 && f.field == 4) memcpy(&dv[i], &f.v, 8);
        if (kind == 1 && (f.field == 2 || f.field == 5 || f.field == 6)) {
            PyObject *row = PyLong_FromSsize_t(i), *x = py_any(v);
            int bad = !row || !x || PyDict_SetItem(others, row, x);
            Py_XDECREF(row); Py_XDECREF(x);
            if (bad) goto done;
        }
    }
    if (!(text = col_take(&col))) goto done;
    out = PyTuple_Pack(5, types, ints, dbls, text, others);
done:
    Py_XDECREF(types); Py_XDECREF(ints); Py_XDECREF(dbls); Py_XDECREF(others); Py_XDECREF(text);
    col_free(&col);
    return out;
}

/* what a payload's spans added, to be taken back when a later span of it is left to the protobuf library */
typedef struct { Py_ssize_t n, data[5], offs[5], start, end, code, exc; } Mark;

static Mark mark(const Scan *sc, char *had) {
    Mark m = {sc->n, {0}, {0}, sc->start.len, sc->end.len, sc->code.len, sc->exc.len};
    for (int i = 0; i < 5; i++) { m.data[i] = sc->str[i].data.len; m.offs[i] = sc->str[i].offs.len; }
    for (int k = 0; k < sc->w->n; k++) had[k] = sc->cols[k] != NULL;
    return m;
}

static void roll_back(Scan *sc, const Mark *m, const char *had) {
    for (int k = 0; k < sc->w->n; k++) {
        if (!sc->cols[k]) continue;
        if (!had[k]) { PyMem_RawFree(sc->cols[k]); sc->cols[k] = NULL; }
        else memset(sc->cols[k] + m->n, 0, (sc->n - m->n) * sizeof(Slice));
    }
    for (int i = 0; i < 5; i++) { sc->str[i].data.len = m->data[i]; sc->str[i].offs.len = m->offs[i]; }
    sc->start.len = m->start; sc->end.len = m->end; sc->code.len = m->code;
    sc->exc.len = m->exc;
    sc->n = m->n;
}

static int scan_payload(Scan *sc, const Py_buffer *payload) {
    const uint8_t *p = payload->buf, *end = p + payload->len;
    Field f;
    int rc;
    while ((rc = next_field(&p, end, &f)) == 1) {
        if (f.field != 1 || f.wt != 2) return FALLBACK;
        if ((rc = scan_resource_spans(sc, f.s))) return rc;
    }
    return rc;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *given, *keys;
    if (!PyArg_ParseTuple(args, "OO!", &given, &PyTuple_Type, &keys)) return NULL;
    PyObject *payloads = PySequence_Fast(given, "payloads must be a sequence of bytes");
    if (!payloads) return NULL;
    Py_ssize_t n_payloads = PySequence_Fast_GET_SIZE(payloads), held = 0, taken = 0;
    PyObject *result = NULL, *wanted = NULL, *counts = NULL, *exceptions = NULL, *cols[5] = {0};
    Py_ssize_t *counts_c = NULL;
    Py_buffer *bufs = PyMem_Calloc(n_payloads ? n_payloads : 1, sizeof(Py_buffer));
    Scan sc = {0};
    Wanted w = {0};
    char *had = NULL;
    w.n = (int)PyTuple_GET_SIZE(keys);
    w.size = 16;
    while (w.size < 2 * w.n) w.size *= 2;
    w.keys = PyMem_Calloc(w.n ? w.n : 1, sizeof(Slice));
    w.slot = PyMem_Malloc(w.size * sizeof(int));
    sc.cols = PyMem_Calloc(w.n ? w.n : 1, sizeof(Slice *));
    had = PyMem_Malloc(w.n ? w.n : 1);
    if (!bufs || !w.keys || !w.slot || !sc.cols || !had) { PyErr_NoMemory(); goto done; }
    for (int i = 0; i < w.size; i++) w.slot[i] = -1;
    for (int i = 0; i < w.n; i++) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(keys, i), &n);
        if (!s) goto done;
        w.keys[i] = (Slice){(const uint8_t *)s, n};
        uint32_t h = hash_bytes(w.keys[i].p, n) & (w.size - 1);
        while (w.slot[h] >= 0) h = (h + 1) & (w.size - 1);
        w.slot[h] = i;
    }
    sc.w = &w;
    /* the spans' columns point into the payloads: every payload stays held until the columns are made */
    Py_ssize_t total = 0;
    for (; held < n_payloads; held++) {
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(payloads, held), &bufs[held], PyBUF_SIMPLE)) goto done;
        total += bufs[held].len;
    }
    /* raw_payload lives in the bytes object it is handed over in, made about as large as it will be: JSON text
       takes two to three times a span's protobuf bytes (untouched pages cost nothing) */
    if (buf_bytes(&sc.str[4].data, total / 2 * 5 + 4096)) goto done;
    for (int i = 0; i < 5; i++) if (col_init(&sc.str[i])) goto done;
    if (!(counts_c = PyMem_Calloc(n_payloads ? n_payloads : 1, sizeof(Py_ssize_t)))) { PyErr_NoMemory(); goto done; }

    /* reading the wire and writing the columns needs no Python object: other threads run meanwhile */
    int rc = 0;
    Py_BEGIN_ALLOW_THREADS
    for (; taken < n_payloads; taken++) {
        Mark m = mark(&sc, had);
        rc = scan_payload(&sc, &bufs[taken]);
        if (rc == FALLBACK) { roll_back(&sc, &m, had); rc = 0; break; }
        if (rc) break;
        counts_c[taken] = sc.n - m.n;
    }
    Py_END_ALLOW_THREADS
    if (rc) {  /* PYERR: its exception is set now that the GIL is back */
        int too_big = 0;
        for (int i = 0; i < 5; i++) too_big |= sc.str[i].overflow;
        if (!PyErr_Occurred()) {
            if (too_big) PyErr_SetString(PyExc_OverflowError, "column over 2 GiB");
            else PyErr_NoMemory();
        }
        goto done;
    }
    if (!(counts = PyList_New(taken))) goto done;
    for (Py_ssize_t i = 0; i < taken; i++) {
        PyObject *c = PyLong_FromSsize_t(counts_c[i]);
        if (!c) goto done;
        PyList_SET_ITEM(counts, i, c);
    }
    if (!(exceptions = exceptions_list(&sc))) goto done;

    if (!(wanted = PyDict_New())) goto done;
    for (int k = 0; k < w.n; k++) {
        if (!sc.cols[k]) continue;
        PyObject *key = PyLong_FromLong(k), *col = key ? wanted_column(&sc, k) : NULL;
        int bad = !col || PyDict_SetItem(wanted, key, col);
        Py_XDECREF(key); Py_XDECREF(col);
        if (bad) goto done;
    }
    for (int i = 0; i < 5; i++) if (!(cols[i] = col_take(&sc.str[i]))) goto done;
    result = Py_BuildValue("(nOnOOOOOy#y#y#OO)", taken, counts, sc.n, cols[0], cols[1], cols[2], cols[3], cols[4],
                           sc.start.b ? sc.start.b : "", sc.start.len, sc.end.b ? sc.end.b : "", sc.end.len,
                           sc.code.b ? sc.code.b : "", sc.code.len, wanted, exceptions);
done:
    for (int i = 0; i < 5; i++) { Py_XDECREF(cols[i]); col_free(&sc.str[i]); }
    Py_XDECREF(wanted);
    Py_XDECREF(counts);
    Py_XDECREF(exceptions);
    buf_free(&sc.exc);
    PyMem_Free(counts_c);
    buf_free(&sc.start); buf_free(&sc.end); buf_free(&sc.code);
    for (int k = 0; sc.cols && k < w.n; k++) PyMem_RawFree(sc.cols[k]);
    PyMem_Free(sc.cols);
    buf_free(&sc.res_json); buf_free(&sc.scratch);
    PyMem_Free(w.keys); PyMem_Free(w.slot); PyMem_Free(had);
    for (Py_ssize_t i = 0; i < held; i++) PyBuffer_Release(&bufs[i]);
    PyMem_Free(bufs);
    Py_DECREF(payloads);
    return result;
}

static PyMethodDef METHODS[] = {
    {"scan", scan, METH_VARARGS, "Columns of serialized ExportTraceServiceRequests, up to the first left to protobuf (see the module)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_spanscan", NULL, -1, METHODS};

PyMODINIT_FUNC PyInit__spanscan(void) { return PyModule_Create(&MODULE); }
