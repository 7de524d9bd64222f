/* What the compiled OTLP parts (_spanscan.c, _jsonspans.c) share: a growable byte buffer, the UTF-8 check and hex
   digits. */
#ifndef GOVPIPE_BUF_H
#define GOVPIPE_BUF_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* protobuf's fixed-width fields are little-endian and are copied as they are: on another host the extensions are
   not built (setup.py then installs without them) */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the compiled OTLP parts need a little-endian host"
#endif

#define FALLBACK (-1) /* "leave this input to the Python path" */
#define PYERR (-2)    /* a Python exception is set; or, where the GIL was released, the error is set once it is back */

/* a growable byte buffer (PyMem_Raw*: it may grow without the GIL); one made by buf_bytes lives in a bytes object,
   which buf_take hands over without a copy */
typedef struct { char *b; Py_ssize_t len, cap; PyObject *bytes; } Buf;

static inline int buf_grow(Buf *o, Py_ssize_t extra) {
    if (o->len + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + extra) cap *= 2;
    if (o->bytes) {  /* a bytes object needs the GIL: taken back for this (rare: the buffer is made large) */
        int held = PyGILState_Check();
        PyGILState_STATE gil = held ? PyGILState_UNLOCKED : PyGILState_Ensure();
        int failed = _PyBytes_Resize(&o->bytes, cap);
        if (!held) { PyErr_Clear(); PyGILState_Release(gil); }
        if (failed) { o->b = NULL; o->len = o->cap = 0; return PYERR; }
        o->b = PyBytes_AS_STRING(o->bytes);
    } else {
        char *b = PyMem_RawRealloc(o->b, cap);
        if (!b) { if (PyGILState_Check()) PyErr_NoMemory(); return PYERR; }
        o->b = b;
    }
    o->cap = cap;
    return 0;
}

static inline int buf_bytes(Buf *o, Py_ssize_t cap) {
    if (!(o->bytes = PyBytes_FromStringAndSize(NULL, cap > 0 ? cap : 1))) return PYERR;
    o->b = PyBytes_AS_STRING(o->bytes);
    o->len = 0;
    o->cap = cap > 0 ? cap : 1;
    return 0;
}

/* the buffer's bytes as a bytes object (a new reference); the buffer is left empty */
static inline PyObject *buf_take(Buf *o) {
    PyObject *out;
    if (o->bytes) {
        out = o->bytes;
        o->bytes = NULL;
        if (_PyBytes_Resize(&out, o->len)) out = NULL;
    } else {
        out = PyBytes_FromStringAndSize(o->b ? o->b : "", o->len);
        PyMem_RawFree(o->b);
    }
    o->b = NULL;
    o->len = o->cap = 0;
    return out;
}

static inline void buf_free(Buf *o) {
    if (o->bytes) Py_CLEAR(o->bytes);
    else PyMem_RawFree(o->b);
    o->b = NULL;
    o->len = o->cap = 0;
}

static inline int put(Buf *o, const char *s, Py_ssize_t n) {
    if (n == 0) return 0; /* also keeps a still-empty buffer's NULL out of memcpy */
    if (buf_grow(o, n)) return PYERR;
    memcpy(o->b + o->len, s, n);
    o->len += n;
    return 0;
}

#define PUTS(o, s) put((o), (s), (Py_ssize_t)(sizeof(s) - 1))

/* ``s`` (n bytes) in lower-case hex, appended */
static inline int put_hex_digits(Buf *o, const unsigned char *s, Py_ssize_t n) {
    static const char HEX[] = "0123456789abcdef";
    if (buf_grow(o, n * 2)) return PYERR;
    char *w = o->b + o->len;
    for (Py_ssize_t i = 0; i < n; i++) { *w++ = HEX[s[i] >> 4]; *w++ = HEX[s[i] & 15]; }
    o->len = w - o->b;
    return 0;
}

static inline int unhex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* the length of the well-formed UTF-8 sequence that starts with the non-ASCII byte at ``s`` (``n`` bytes left),
   or 0: no overlong forms, surrogates or code points past U+10FFFF, as upb and orjson require */
static inline Py_ssize_t utf8_sequence(const unsigned char *s, Py_ssize_t n) {
    unsigned char c = s[0];
    Py_ssize_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (c < 0xC2 || c > 0xF4 || n < len) return 0;
    for (Py_ssize_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

#endif
