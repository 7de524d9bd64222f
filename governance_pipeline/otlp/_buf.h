/* A growable byte buffer, shared by the compiled OTLP parts (_spanscan.c, _jsonspans.c). */
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
#define PYERR (-2)    /* a Python exception is set */

typedef struct { char *b; Py_ssize_t len, cap; } Buf;

static inline int buf_grow(Buf *o, Py_ssize_t extra) {
    if (o->len + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + extra) cap *= 2;
    char *b = PyMem_Realloc(o->b, cap);
    if (!b) { PyErr_NoMemory(); return PYERR; }
    o->b = b;
    o->cap = cap;
    return 0;
}

static inline int put(Buf *o, const char *s, Py_ssize_t n) {
    if (n == 0) return 0; /* also keeps a still-empty buffer's NULL out of memcpy */
    if (buf_grow(o, n)) return PYERR;
    memcpy(o->b + o->len, s, n);
    o->len += n;
    return 0;
}

#define PUTS(o, s) put((o), (s), (Py_ssize_t)(sizeof(s) - 1))

#endif
