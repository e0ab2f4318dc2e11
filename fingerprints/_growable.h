/* The growable byte buffer of the compiled modules (_firstpass.c, _linekeys.c): PyMem memory,
 * doubled when full, handed to Python as a bytes object. Include after Python.h, stdint.h and
 * string.h. */
#ifndef LEAKTRACK_GROWABLE_H
#define LEAKTRACK_GROWABLE_H

typedef struct {
    uint8_t *data;
    size_t size, capacity;
} Bytes;

static inline int bytes_reserve(Bytes *b, size_t extra) {
    if (b->size + extra <= b->capacity) return 0;
    size_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->size + extra) capacity *= 2;
    uint8_t *data = PyMem_Realloc(b->data, capacity);
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

static inline int bytes_put(Bytes *b, const void *item, size_t n) {
    if (bytes_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->size, item, n);
    b->size += n;
    return 0;
}

static inline void bytes_free(Bytes *b) {
    PyMem_Free(b->data);
    b->data = NULL;
    b->size = b->capacity = 0;
}

/* The buffer's bytes as a bytes object (NULL with an exception set); the buffer is emptied. */
static inline PyObject *bytes_take(Bytes *b) {
    PyObject *out = PyBytes_FromStringAndSize(b->data ? (const char *)b->data : "", (Py_ssize_t)b->size);
    bytes_free(b);
    return out;
}

#endif
