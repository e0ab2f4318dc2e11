/* The scanner's second pass, compiled: the keys of candidate lines (see line_keys.py, which
 * wraps it and holds the numpy code that gives the same results when this is not built).
 *
 * In leak-heavy text every line is a candidate, and the second pass turns some ten chunks a
 * line into a few dozen keys (tokens, every run of up to MAX_VALUE_TOKENS tokens, id numbers
 * and dates) of which a quarter is some record's. numpy did it in a dozen passes over arrays
 * four times the size of what is kept; here it is one walk over the chunks that keeps only the
 * keys the fingerprint file knows (its bitset, then a binary search of its sorted keys).
 *
 * What a chunk's keys are stays chunks.ChunkTable's to say (chunk -> id, per id its token and
 * special keys, in flat arrays handed over through the buffer protocol):
 *
 * - ChunkIds.occurrences(table, text, lookup): the ids of the batch's chunks (token_bytes
 *   lines joined by newlines) in the table, and the line of each. A bounded mirror of the
 *   table's chunk -> id dict answers most of them (one probe; a Python dict lookup of a fresh
 *   bytes object cost ~0.4 us); the chunks it lacks, each distinct one once, go to ``lookup``
 *   (the table's own lookup, which learns new chunks). It mirrors one dict object: when the
 *   table is cleared (a new ids dict), the mirror is dropped, and the call answers None when
 *   that happened during its own lookup (the caller then asks the table for every chunk).
 * - line_keys(...): per line, its tokens' keys, the chain key of every run of 1..max_tokens
 *   tokens (keys.combine_keys), and its chunks' id and date keys, of those the ones some record
 *   has, with their line; and how many tokens each line holds.
 * - held_entries(...): for each (line, record) pair, which of the record's evidence entries are
 *   keys of the line, and which are name forms; numpy expanded every entry of every pair (some
 *   sixty) into arrays, and looked each up in a set of all the batch's keys salted with their
 *   line, to keep a handful. Here a pair's entries meet its line's few keys, sorted.
 * - candidate_pairs(...): per line, the records its keys propose (the file's candidate
 *   postings), counted per record in a small sort of the line's own proposals. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_growable.h"

#define CHAIN_OFFSET 0xcbf29ce484222325ULL /* keys.py's _CHAIN_OFFSET and _CHAIN_PRIME */
#define CHAIN_PRIME 0x100000001b3ULL
#define MAX_RUN 16 /* the longest run of tokens keyed (params.MAX_VALUE_TOKENS is 4) */
#define PREFETCH_FAR 16 /* items ahead whose offsets are asked for, and whose data */
#define PREFETCH_NEAR 6

/* ---------------------------------------------------------------- ChunkIds */

/* The bytes bytes.split() cuts at; token_bytes leaves only space and newline of them. */
static inline int is_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static inline uint64_t chunk_hash(const uint8_t *p, Py_ssize_t n) {
    uint64_t h = CHAIN_OFFSET;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * CHAIN_PRIME;
    h ^= h >> 29;
    return h | 1; /* 0 marks an empty slot */
}

#define MIRROR_MAX_CHUNK 255 /* longer chunks (rare, mostly unique) are looked up every time */
#define MIRROR_MEAN_BYTES 32 /* the mirror's arena holds at most this many bytes a chunk */
#define FIRST_SLOTS 4096

/* An open-addressing table of chunks (bytes in an arena, length first) -> int64 value. */
typedef struct {
    uint64_t hash; /* 0: empty */
    uint32_t offset;
    uint32_t length;
    int64_t value;
} Slot;

typedef struct {
    Slot *slots;
    size_t mask, count;
    Bytes arena;
} Table;

static int table_init(Table *t) {
    t->slots = PyMem_Calloc(FIRST_SLOTS, sizeof(Slot));
    if (!t->slots) {
        PyErr_NoMemory();
        return -1;
    }
    t->mask = FIRST_SLOTS - 1;
    t->count = 0;
    t->arena.size = 0;
    return 0;
}

static void table_free(Table *t) {
    PyMem_Free(t->slots);
    PyMem_Free(t->arena.data);
    *t = (Table){0};
}

static int table_clear(Table *t) {
    table_free(t);
    return table_init(t);
}

/* The slot holding the chunk, or the empty slot where it would go. */
static inline Slot *table_find(const Table *t, const uint8_t *chunk, Py_ssize_t n, uint64_t hash) {
    size_t i = (size_t)hash & t->mask;
    for (;;) {
        Slot *s = &t->slots[i];
        if (s->hash == 0) return s;
        if (s->hash == hash && s->length == (uint32_t)n && memcmp(t->arena.data + s->offset, chunk, (size_t)n) == 0)
            return s;
        i = (i + 1) & t->mask;
    }
}

/* Puts a chunk that table_find did not find; the table doubles while at most half full. */
static int table_put(Table *t, const uint8_t *chunk, Py_ssize_t n, uint64_t hash, int64_t value) {
    if (2 * (t->count + 1) > t->mask + 1) {
        size_t size = 2 * (t->mask + 1);
        Slot *slots = PyMem_Calloc(size, sizeof(Slot));
        if (!slots) {
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i <= t->mask; i++) {
            if (t->slots[i].hash == 0) continue;
            size_t j = (size_t)t->slots[i].hash & (size - 1);
            while (slots[j].hash != 0) j = (j + 1) & (size - 1);
            slots[j] = t->slots[i];
        }
        PyMem_Free(t->slots);
        t->slots = slots;
        t->mask = size - 1;
    }
    if (t->arena.size + (size_t)n > UINT32_MAX) {
        PyErr_SetString(PyExc_MemoryError, "chunk table arena full");
        return -1;
    }
    Slot *s = table_find(t, chunk, n, hash);
    *s = (Slot){hash, (uint32_t)t->arena.size, (uint32_t)n, value};
    t->count++;
    return bytes_put(&t->arena, chunk, (size_t)n);
}

typedef struct {
    PyObject_HEAD
    PyObject *mirrored; /* the chunks.ChunkTable ids dict the mirror holds ids of */
    Table mirror;
    Py_ssize_t max_chunks;
} ChunkIds;

static PyObject *table_ids_dict(PyObject *table) { return PyObject_GetAttrString(table, "ids"); }

/* Follows the table's ids dict: a new one (the table was cleared) drops the mirror. */
static int follow(ChunkIds *self, PyObject *table) {
    PyObject *ids = table_ids_dict(table);
    if (!ids) return -1;
    int same = ids == self->mirrored;
    /* (No slots: the last clearing ran out of memory; the mirror is made again, not read.) */
    if (!same || !self->mirror.slots || (Py_ssize_t)self->mirror.count >= self->max_chunks) {
        Py_XSETREF(self->mirrored, ids);
        return table_clear(&self->mirror);
    }
    Py_DECREF(ids);
    return 0;
}

static int value_error(void) {
    PyErr_SetString(PyExc_ValueError, "match_lines takes lines as normalize.token_bytes makes them");
    return -1;
}

/* A chunk of the batch's text: where it is, its hash and its line. */
typedef struct {
    Py_ssize_t start, length;
    uint64_t hash;
    int64_t line;
} Cut;

#define CUTS_AT_ONCE 4096 /* chunks cut and hashed before they are looked up (128 kB) */

/* The next chunks of text from *at (up to CUTS_AT_ONCE, into cuts), cut and hashed ahead of their
 * look-up, so that the mirror's slot of a chunk some way ahead is asked for while this one is
 * looked up: the slots are all over a table larger than the cache, and one miss a chunk was most
 * of the time. The count, or -1 with ValueError (a control byte). */
static Py_ssize_t cut_chunks(const uint8_t *text, Py_ssize_t size, Py_ssize_t *at, int64_t *line, Cut *cuts) {
    Py_ssize_t count = 0, i = *at;
    while (i < size && count < CUTS_AT_ONCE) {
        uint8_t c = text[i];
        if (is_space(c)) {
            *line += c == '\n';
            i++;
            continue;
        }
        Py_ssize_t start = i;
        for (; i < size && !is_space(text[i]); i++)
            if (text[i] < ' ') return value_error();
        cuts[count++] = (Cut){start, i - start, chunk_hash(text + start, i - start), *line};
    }
    *at = i;
    return count;
}

/* The id of each chunk of cuts in the mirror, or -1 - its number among the chunks the mirror lacks
 * (listed, each once, in missing and missing_list), into ids; the lines into lines. */
static int look_up_cuts(ChunkIds *self, const uint8_t *text, const Cut *cut, Py_ssize_t count, Table *missing,
                        PyObject *missing_list, Bytes *ids, Bytes *lines) {
    const Table *mirror = &self->mirror;
    if (bytes_reserve(ids, (size_t)count * 8) < 0 || bytes_reserve(lines, (size_t)count * 8) < 0) return -1;
    for (Py_ssize_t k = 0; k < count; k++) {
        /* the slot of a chunk far ahead, and the bytes of a nearer one (its slot has come) */
        if (k + PREFETCH_FAR < count) __builtin_prefetch(&mirror->slots[cut[k + PREFETCH_FAR].hash & mirror->mask]);
        if (k + PREFETCH_NEAR < count) {
            const Slot *near = &mirror->slots[cut[k + PREFETCH_NEAR].hash & mirror->mask];
            if (near->hash) __builtin_prefetch(mirror->arena.data + near->offset);
        }
        const uint8_t *chunk = text + cut[k].start;
        Py_ssize_t n = cut[k].length;
        uint64_t hash = cut[k].hash;
        int64_t id;
        Slot *s = n <= MIRROR_MAX_CHUNK ? table_find(&self->mirror, chunk, n, hash) : NULL;
        if (s && s->hash) {
            id = s->value;
        } else {
            Slot *m = table_find(missing, chunk, n, hash);
            if (!m->hash) {
                PyObject *bytes = PyBytes_FromStringAndSize((const char *)chunk, n);
                if (!bytes || PyList_Append(missing_list, bytes) < 0) {
                    Py_XDECREF(bytes);
                    return -1;
                }
                Py_DECREF(bytes);
                if (table_put(missing, chunk, n, hash, (int64_t)missing->count) < 0) return -1;
                m = table_find(missing, chunk, n, hash);
            }
            id = -1 - m->value;
        }
        memcpy(ids->data + ids->size, &id, 8);
        memcpy(lines->data + lines->size, &cut[k].line, 8);
        ids->size += 8;
        lines->size += 8;
    }
    return 0;
}

static PyObject *ChunkIds_occurrences(ChunkIds *self, PyObject *args) {
    PyObject *table, *lookup;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Oy*O", &table, &view, &lookup)) return NULL;
    const uint8_t *text = view.buf;
    Bytes ids = {0}, lines = {0};
    Table missing = {0}; /* distinct chunks the mirror lacks -> their number */
    PyObject *missing_list = NULL, *found = NULL, *result = NULL, *mirrored = NULL;
    Py_buffer found_view = {0};
    int64_t line = 0;
    Cut *cuts = PyMem_Malloc(CUTS_AT_ONCE * sizeof(Cut));
    if (!cuts) {
        PyErr_NoMemory();
        goto done;
    }
    if (follow(self, table) < 0 || table_init(&missing) < 0) goto done;
    if (!(missing_list = PyList_New(0))) goto done;
    mirrored = Py_NewRef(self->mirrored); /* the dict whose ids the mirror gives below */
    for (Py_ssize_t at = 0; at < view.len;) {
        Py_ssize_t count = cut_chunks(text, view.len, &at, &line, cuts);
        if (count < 0 || look_up_cuts(self, text, cuts, count, &missing, missing_list, &ids, &lines) < 0) goto done;
    }
    if (PyList_GET_SIZE(missing_list)) {
        found = PyObject_CallOneArg(lookup, missing_list);
        if (!found || PyObject_GetBuffer(found, &found_view, PyBUF_C_CONTIGUOUS) < 0) goto done;
        if (found_view.itemsize != 8 || found_view.len != PyList_GET_SIZE(missing_list) * 8) {
            PyErr_SetString(PyExc_ValueError, "lookup must give one int64 id per chunk");
            goto done;
        }
        PyObject *after = table_ids_dict(table);
        if (!after) goto done;
        int cleared = after != mirrored;
        Py_DECREF(after);
        if (cleared) { /* the ids the mirror gave are the old table's */
            if (follow(self, table) < 0) goto done;
            result = Py_NewRef(Py_None);
            goto done;
        }
        const int64_t *looked_up = found_view.buf;
        int64_t *out = (int64_t *)ids.data;
        for (size_t k = 0; k < ids.size / 8; k++)
            if (out[k] < 0) out[k] = looked_up[-1 - out[k]];
        /* the new chunks join the mirror, while it has room */
        for (size_t j = 0; j <= missing.mask; j++) {
            Slot *m = &missing.slots[j];
            if (!m->hash || m->length > MIRROR_MAX_CHUNK || (Py_ssize_t)self->mirror.count >= self->max_chunks ||
                self->mirror.arena.size > (size_t)self->max_chunks * MIRROR_MEAN_BYTES || self->mirrored != mirrored)
                continue;
            const uint8_t *chunk = (const uint8_t *)missing.arena.data + m->offset;
            Slot *s = table_find(&self->mirror, chunk, m->length, m->hash);
            if (!s->hash && table_put(&self->mirror, chunk, m->length, m->hash, looked_up[m->value]) < 0) goto done;
        }
    }
    {
        PyObject *id_bytes = bytes_take(&ids), *line_bytes = bytes_take(&lines);
        if (id_bytes && line_bytes) result = Py_BuildValue("(OOn)", id_bytes, line_bytes, (Py_ssize_t)line + 1);
        Py_XDECREF(id_bytes);
        Py_XDECREF(line_bytes);
    }
done:
    Py_XDECREF(mirrored);
    if (found_view.obj) PyBuffer_Release(&found_view);
    Py_XDECREF(found);
    Py_XDECREF(missing_list);
    table_free(&missing);
    PyMem_Free(ids.data);
    PyMem_Free(lines.data);
    PyMem_Free(cuts);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *ChunkIds_size(ChunkIds *self, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSize_t(self->mirror.count);
}

static int ChunkIds_init(ChunkIds *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"max_chunks", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n", names, &self->max_chunks)) return -1;
    if (self->max_chunks < 1 || self->max_chunks > (1 << 26)) {
        PyErr_SetString(PyExc_ValueError, "max_chunks out of range");
        return -1;
    }
    table_free(&self->mirror);
    return table_init(&self->mirror);
}

static void ChunkIds_dealloc(ChunkIds *self) {
    Py_XDECREF(self->mirrored);
    table_free(&self->mirror);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef ChunkIds_methods[] = {
    {"occurrences", (PyCFunction)ChunkIds_occurrences, METH_VARARGS,
     "occurrences(table, text, lookup) -> (ids int64 bytes, lines int64 bytes, line count), or None\n"
     "when lookup cleared the table: the chunk table's id and the line of each chunk of text (as\n"
     "bytes.split() cuts it); lookup(list of distinct chunks the mirror lacks) -> int64 ids."},
    {"size", (PyCFunction)ChunkIds_size, METH_NOARGS, "Chunks the mirror holds."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ChunkIdsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "leaktrack.fingerprints._linekeys.ChunkIds",
    .tp_basicsize = sizeof(ChunkIds),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A bounded mirror of a chunks.ChunkTable's chunk -> id dict (see line_keys.py).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ChunkIds_init,
    .tp_dealloc = (destructor)ChunkIds_dealloc,
    .tp_methods = ChunkIds_methods,
};

/* ---------------------------------------------------------------- sorted keys */

/* The first index in [lo, hi) of sorted keys whose key is not below ``key`` (hi when none), without
 * a branch per step: which half goes on is a conditional move, where a branch would be mispredicted
 * every other step (the keys looked for are random). */
static inline int64_t lower_bound(const uint64_t *keys, int64_t lo, int64_t hi, uint64_t key) {
    if (lo >= hi) return hi;
    const uint64_t *base = keys + lo;
    int64_t n = hi - lo;
    while (n > 1) {
        int64_t half = n >> 1;
        base = base[half] < key ? base + half : base;
        n -= half;
    }
    return (base - keys) + (*base < key);
}

static int compare_keys(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts keys in place: a line's few keys by insertion (qsort's calls through a pointer cost more
 * than the sort), many by qsort. */
static void sort_keys(uint64_t *keys, size_t count) {
    if (count > 32) {
        qsort(keys, count, 8, compare_keys);
        return;
    }
    for (size_t i = 1; i < count; i++) {
        uint64_t key = keys[i];
        size_t j = i;
        for (; j > 0 && keys[j - 1] > key; j--) keys[j] = keys[j - 1];
        keys[j] = key;
    }
}

/* ---------------------------------------------------------------- line_keys */

typedef struct {
    const uint8_t *bits;
    uint64_t bits_mask;
    int have_bits;
    const uint64_t *known;
    int64_t known_count;
    const int64_t *buckets; /* known[buckets[b]:buckets[b + 1]] are the keys whose top bits are b */
    int shift;
    Bytes keys, lines;
} Kept;

/* arrays.KeyBitset.may_contain, then the exact test of scan._sorted_in. */
static inline int is_known(const Kept *k, uint64_t key) {
    if (k->have_bits) {
        uint64_t bit = key & k->bits_mask;
        if (!(k->bits[bit >> 3] >> (bit & 7) & 1)) return 0;
    }
    uint64_t bucket = key >> k->shift;
    /* clamped: offsets that are not known_keys' cannot make it read outside it */
    int64_t lo = k->buckets[bucket], end = k->buckets[bucket + 1];
    if (lo < 0) lo = 0;
    if (end > k->known_count) end = k->known_count;
    lo = lower_bound(k->known, lo, end, key);
    return lo < end && k->known[lo] == key;
}

/* The known-key test of the bitset (a power of two of bytes, or none) and the sorted known keys
 * with their bucket index (2 ** bucket_bits + 1 offsets): line_keys' and known's. */
static int kept_from(Kept *k, const Py_buffer *bits, const Py_buffer *known, const Py_buffer *buckets,
                     int bucket_bits) {
    if (bits->len & (bits->len - 1)) {
        PyErr_SetString(PyExc_ValueError, "bits must be a power of two of bytes");
        return -1;
    }
    if (buckets->len != (((Py_ssize_t)1 << bucket_bits) + 1) * 8) {
        PyErr_SetString(PyExc_ValueError, "known_buckets must have 2 ** bucket_bits + 1 offsets");
        return -1;
    }
    k->bits = bits->buf;
    k->have_bits = bits->len > 0;
    k->bits_mask = k->have_bits ? (uint64_t)bits->len * 8 - 1 : 0;
    k->known = known->buf;
    k->known_count = known->len / 8;
    k->buckets = buckets->buf;
    k->shift = 64 - bucket_bits;
    return 0;
}

static inline int keep_if_known(Kept *k, uint64_t key, int64_t line) {
    if (!is_known(k, key)) return 0;
    if (bytes_put(&k->keys, &key, 8) < 0 || bytes_put(&k->lines, &line, 8) < 0) return -1;
    return 0;
}

static int get_array(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous array of %zd-byte items", what, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Start and end of chunk c's keys in a chunks.ChunkTable _KeyColumn (``ends``: end offsets). */
static inline int key_range(const int64_t *ends, Py_ssize_t chunks, Py_ssize_t key_count, int64_t c,
                            int64_t *start, int64_t *end) {
    if (c < 0 || c >= chunks) return -1;
    *start = c ? ends[c - 1] : 0;
    *end = ends[c];
    return (*start < 0 || *end < *start || *end > key_count) ? -1 : 0;
}

static PyObject *line_keys(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[9];
    Py_ssize_t line_count;
    int max_tokens, bucket_bits;
    if (!PyArg_ParseTuple(args, "OOnOOOOOOOii", &objects[0], &objects[1], &line_count, &objects[2], &objects[3],
                          &objects[4], &objects[5], &objects[6], &objects[7], &objects[8], &bucket_bits, &max_tokens))
        return NULL;
    if (bucket_bits < 1 || bucket_bits > 32) {
        PyErr_SetString(PyExc_ValueError, "bucket_bits out of range");
        return NULL;
    }
    if (max_tokens < 1 || max_tokens > MAX_RUN || line_count < 0) {
        PyErr_SetString(PyExc_ValueError, "max_tokens out of range");
        return NULL;
    }
    static const Py_ssize_t sizes[9] = {8, 8, 8, 8, 8, 8, 1, 8, 8};
    static const char *names[9] = {"chunk_ids", "chunk_lines", "token_ends", "token_keys", "special_ends",
                                   "special_keys", "bits", "known_keys", "known_buckets"};
    Py_buffer views[9];
    int taken = 0;
    PyObject *result = NULL;
    int64_t *per_line = NULL;
    Kept kept = {0};
    for (; taken < 9; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *chunk_ids = views[0].buf, *chunk_lines = views[1].buf;
    const int64_t *token_ends = views[2].buf, *special_ends = views[4].buf;
    const uint64_t *token_keys = views[3].buf, *special_keys = views[5].buf;
    Py_ssize_t chunks = views[0].len / 8, table_chunks = views[2].len / 8, token_count = views[3].len / 8;
    Py_ssize_t special_chunks = views[4].len / 8, special_count = views[5].len / 8;
    if (views[1].len != views[0].len) {
        PyErr_SetString(PyExc_ValueError, "chunk_ids and chunk_lines differ in length");
        goto done;
    }
    if (kept_from(&kept, &views[6], &views[7], &views[8], bucket_bits) < 0) goto done;
    per_line = PyMem_Calloc((size_t)line_count + 1, 8);
    if (!per_line) {
        PyErr_NoMemory();
        goto done;
    }
    /* runs[s]: chain key of the tokens from the s-th of the last max_tokens to the current one */
    uint64_t runs[MAX_RUN];
    int open = 0; /* tokens of the current line so far, up to max_tokens */
    int64_t line = -1;
    for (Py_ssize_t n = 0; n < chunks; n++) {
        int64_t chunk = chunk_ids[n], start, end;
        /* The table is larger than the cache and a batch's chunks are all over it: ask for the
         * offsets of a chunk some way ahead, and for the keys of a nearer one (its offsets have
         * come by then), so that the loads overlap. */
        if (n + PREFETCH_FAR < chunks) {
            int64_t ahead = chunk_ids[n + PREFETCH_FAR];
            if (ahead > 0 && ahead < table_chunks && ahead < special_chunks) {
                __builtin_prefetch(&token_ends[ahead - 1]);
                __builtin_prefetch(&special_ends[ahead - 1]);
            }
        }
        if (n + PREFETCH_NEAR < chunks) {
            int64_t near = chunk_ids[n + PREFETCH_NEAR];
            if (near > 0 && near < table_chunks && near < special_chunks) {
                if (token_ends[near - 1] < token_count) __builtin_prefetch(&token_keys[token_ends[near - 1]]);
                if (special_ends[near - 1] < special_count) __builtin_prefetch(&special_keys[special_ends[near - 1]]);
            }
        }
        if (chunk_lines[n] < line || chunk_lines[n] >= line_count) {
            PyErr_SetString(PyExc_ValueError, "chunk_lines must be increasing line numbers below line_count");
            goto done;
        }
        if (chunk_lines[n] != line) {
            line = chunk_lines[n];
            open = 0;
        }
        if (key_range(token_ends, table_chunks, token_count, chunk, &start, &end) < 0) goto out_of_table;
        for (int64_t t = start; t < end; t++) {
            uint64_t key = token_keys[t];
            per_line[line]++;
            if (keep_if_known(&kept, key, line) < 0) goto done;
            /* every run ending at this token: the open ones grow by it, and a new one starts */
            if (open < max_tokens) open++;
            for (int s = open - 1; s > 0; s--) runs[s] = (runs[s - 1] ^ key) * CHAIN_PRIME;
            runs[0] = (CHAIN_OFFSET ^ key) * CHAIN_PRIME;
            for (int s = 0; s < open; s++)
                if (keep_if_known(&kept, runs[s], line) < 0) goto done;
        }
        if (key_range(special_ends, special_chunks, special_count, chunk, &start, &end) < 0) goto out_of_table;
        for (int64_t t = start; t < end; t++)
            if (keep_if_known(&kept, special_keys[t], line) < 0) goto done;
    }
    {
        PyObject *keys = bytes_take(&kept.keys), *lines = bytes_take(&kept.lines);
        PyObject *tokens = PyBytes_FromStringAndSize((const char *)per_line, line_count * 8);
        if (keys && lines && tokens) result = Py_BuildValue("(OOO)", keys, lines, tokens);
        Py_XDECREF(keys);
        Py_XDECREF(lines);
        Py_XDECREF(tokens);
    }
    goto done;
out_of_table:
    PyErr_SetString(PyExc_ValueError, "a chunk id is not in the chunk table");
done:
    PyMem_Free(per_line);
    PyMem_Free(kept.keys.data);
    PyMem_Free(kept.lines.data);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- known */

/* Which of the keys some record has: line_keys' test (the bitset, then the bucketed sorted keys)
 * for keys made elsewhere (the evidence report's words and runs of words). */
static PyObject *known(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[4];
    int bucket_bits;
    if (!PyArg_ParseTuple(args, "OOOOi", &objects[0], &objects[1], &objects[2], &objects[3], &bucket_bits)) return NULL;
    if (bucket_bits < 1 || bucket_bits > 32) {
        PyErr_SetString(PyExc_ValueError, "bucket_bits out of range");
        return NULL;
    }
    static const Py_ssize_t sizes[4] = {8, 1, 8, 8};
    static const char *names[4] = {"keys", "bits", "known_keys", "known_buckets"};
    Py_buffer views[4];
    int taken = 0;
    PyObject *result = NULL;
    Kept kept = {0};
    for (; taken < 4; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    if (kept_from(&kept, &views[1], &views[2], &views[3], bucket_bits) < 0) goto done;
    const uint64_t *keys = views[0].buf;
    Py_ssize_t count = views[0].len / 8;
    result = PyBytes_FromStringAndSize(NULL, count);
    if (!result) goto done;
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < count; i++) out[i] = (uint8_t)is_known(&kept, keys[i]);
done:
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- held_entries */

/* One line's keys, sorted: a copy remade only when the line changes (pairs come grouped by
 * line), so that each of a record's keys is looked up by bisection. A line may hold hundreds
 * of thousands of keys (a one-line CSV): comparing pairwise would cost keys x keys a pair. */
typedef struct {
    uint64_t *keys;
    int64_t count, line;
    size_t capacity;
} SortedLine;

/* 1 when the copy was remade, 0 when it is the same line's, -1 with MemoryError. */
static int sorted_line_take(SortedLine *sorted, int64_t line, const uint64_t *keys, int64_t count) {
    if (line == sorted->line) return 0;
    if ((size_t)count > sorted->capacity) {
        uint64_t *grown = PyMem_Realloc(sorted->keys, (size_t)count * 8);
        if (!grown) {
            PyErr_NoMemory();
            return -1;
        }
        sorted->keys = grown;
        sorted->capacity = (size_t)count;
    }
    if (count) memcpy(sorted->keys, keys, (size_t)count * 8);
    sort_keys(sorted->keys, (size_t)count);
    sorted->count = count;
    sorted->line = line;
    return 1;
}

static int sorted_line_holds(const SortedLine *sorted, uint64_t key) {
    int64_t lo = lower_bound(sorted->keys, 0, sorted->count, key);
    return lo < sorted->count && sorted->keys[lo] == key;
}

static PyObject *held_entries(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[6];
    int bag_flag;
    if (!PyArg_ParseTuple(args, "OOOOOOi", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &bag_flag))
        return NULL;
    static const Py_ssize_t sizes[6] = {8, 8, 8, 1, 8, 8};
    static const char *names[6] = {"pairs", "entry_offsets", "entry_keys", "entry_flags", "line_offsets", "line_keys"};
    Py_buffer views[6];
    int taken = 0;
    PyObject *result = NULL;
    Bytes held = {0}, held_pairs = {0}, forms = {0}, form_pairs = {0};
    SortedLine mine = {.line = -1}; /* the current line's keys */
    for (; taken < 6; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *pairs = views[0].buf, *offsets = views[1].buf, *line_offsets = views[4].buf;
    const uint64_t *entry_keys = views[2].buf, *line_keys = views[5].buf;
    const uint8_t *entry_flags = views[3].buf;
    Py_ssize_t pair_count = views[0].len / 8, records = views[1].len / 8 - 1, entries = views[2].len / 8;
    Py_ssize_t lines = views[4].len / 8 - 1, key_count = views[5].len / 8;
    if (views[3].len != entries) {
        PyErr_SetString(PyExc_ValueError, "entry_flags must match entry_keys");
        goto done;
    }
    uint64_t mask = 0; /* bit k >> 58 of each of the line's keys k: rules out most entries at once */
    for (int64_t p = 0; p < pair_count; p++) {
        int64_t line = pairs[p] >> 32, record = pairs[p] & 0xffffffff;
        /* records are all over the file: their offsets asked for ahead, then their entries */
        if (p + PREFETCH_FAR < pair_count) {
            int64_t ahead = pairs[p + PREFETCH_FAR] & 0xffffffff;
            if (ahead < records) __builtin_prefetch(&offsets[ahead]);
        }
        if (p + PREFETCH_NEAR < pair_count) {
            int64_t near = pairs[p + PREFETCH_NEAR] & 0xffffffff;
            if (near < records && offsets[near] >= 0 && offsets[near] < entries) {
                __builtin_prefetch(&entry_keys[offsets[near]]);
                __builtin_prefetch(&entry_keys[offsets[near]] + 8);
                __builtin_prefetch(&entry_flags[offsets[near]]);
            }
        }
        if (line < 0 || line >= lines || record >= records || offsets[record] < 0 ||
            offsets[record + 1] < offsets[record] || offsets[record + 1] > entries) {
            PyErr_SetString(PyExc_ValueError, "a pair's line or record is out of range");
            goto done;
        }
        if (line != mine.line) {
            int64_t first = line_offsets[line], end = line_offsets[line + 1];
            if (first < 0 || end < first || end > key_count) {
                PyErr_SetString(PyExc_ValueError, "line_offsets must be offsets into line_keys");
                goto done;
            }
            if (sorted_line_take(&mine, line, line_keys + first, end - first) < 0) goto done;
            mask = 0;
            for (int64_t i = 0; i < mine.count; i++) mask |= (uint64_t)1 << (mine.keys[i] >> 58);
        }
        for (int64_t e = offsets[record]; e < offsets[record + 1]; e++) {
            if ((entry_flags[e] & bag_flag) && (bytes_put(&forms, &e, 8) < 0 || bytes_put(&form_pairs, &p, 8) < 0))
                goto done;
            uint64_t key = entry_keys[e];
            if (!(mask >> (key >> 58) & 1)) continue;
            if (sorted_line_holds(&mine, key) && (bytes_put(&held, &e, 8) < 0 || bytes_put(&held_pairs, &p, 8) < 0))
                goto done;
        }
    }
    {
        PyObject *out[4] = {bytes_take(&held), bytes_take(&held_pairs), bytes_take(&forms), bytes_take(&form_pairs)};
        if (out[0] && out[1] && out[2] && out[3]) result = Py_BuildValue("(OOOO)", out[0], out[1], out[2], out[3]);
        for (int i = 0; i < 4; i++) Py_XDECREF(out[i]);
    }
done:
    PyMem_Free(mine.keys);
    PyMem_Free(held.data);
    PyMem_Free(held_pairs.data);
    PyMem_Free(forms.data);
    PyMem_Free(form_pairs.data);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- candidate_pairs */

static PyObject *candidate_pairs(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[6];
    int bucket_bits;
    if (!PyArg_ParseTuple(args, "OOOOOOi", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &bucket_bits))
        return NULL;
    if (bucket_bits < 1 || bucket_bits > 32) {
        PyErr_SetString(PyExc_ValueError, "bucket_bits out of range");
        return NULL;
    }
    static const Py_ssize_t sizes[6] = {8, 8, 8, 8, 4, 1};
    static const char *names[6] = {"line_offsets", "line_keys", "candidate_keys", "candidate_buckets",
                                   "candidate_records", "candidate_is_token"};
    Py_buffer views[6];
    int taken = 0;
    PyObject *result = NULL;
    Bytes out = {0};
    uint64_t *proposals = NULL; /* one line's: record << 1 | is_token */
    size_t capacity = 0;
    for (; taken < 6; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *line_offsets = views[0].buf, *buckets = views[3].buf;
    const uint64_t *line_keys = views[1].buf, *keys = views[2].buf;
    const int32_t *records = views[4].buf;
    const uint8_t *is_token = views[5].buf;
    Py_ssize_t lines = views[0].len / 8 - 1, key_count = views[1].len / 8;
    int64_t candidates = views[2].len / 8;
    int shift = 64 - bucket_bits;
    if (views[3].len != (((Py_ssize_t)1 << bucket_bits) + 1) * 8 || views[4].len / 4 != candidates ||
        views[5].len != candidates) {
        PyErr_SetString(PyExc_ValueError, "candidate arrays of different lengths");
        goto done;
    }
    for (Py_ssize_t line = 0; line < lines; line++) {
        int64_t first = line_offsets[line], end = line_offsets[line + 1];
        if (first < 0 || end < first || end > key_count) {
            PyErr_SetString(PyExc_ValueError, "line_offsets must be offsets into line_keys");
            goto done;
        }
        size_t count = 0;
        for (int64_t k = first; k < end; k++) {
            /* the bucket of a key far ahead (in this line or the next), and the keys of a nearer
             * one's bucket: the postings are larger than the cache, and the keys random */
            if (k + PREFETCH_FAR < key_count) __builtin_prefetch(&buckets[line_keys[k + PREFETCH_FAR] >> shift]);
            if (k + PREFETCH_NEAR < key_count) {
                int64_t near = buckets[line_keys[k + PREFETCH_NEAR] >> shift];
                if (near >= 0 && near < candidates) __builtin_prefetch(&keys[near]);
            }
            uint64_t key = line_keys[k], bucket = key >> shift;
            int64_t lo = buckets[bucket], stop = buckets[bucket + 1]; /* clamped: no read outside keys */
            if (lo < 0) lo = 0;
            if (stop > candidates) stop = candidates;
            for (lo = lower_bound(keys, lo, stop, key); lo < stop && keys[lo] == key; lo++) {
                if (count == capacity) {
                    size_t grown = capacity ? 2 * capacity : 64;
                    uint64_t *more = PyMem_Realloc(proposals, grown * 8);
                    if (!more) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    proposals = more;
                    capacity = grown;
                }
                proposals[count++] = (uint64_t)(uint32_t)records[lo] << 1 | (is_token[lo] != 0);
            }
        }
        if (!count) continue;
        sort_keys(proposals, count);
        /* a record proposed twice, or once by a key that is more than one token of a value */
        for (size_t i = 0; i < count;) {
            size_t j = i;
            while (j < count && proposals[j] >> 1 == proposals[i] >> 1) j++;
            if (j - i >= 2 || !(proposals[i] & 1)) {
                int64_t pair = (int64_t)line << 32 | (int64_t)(proposals[i] >> 1);
                if (bytes_put(&out, &pair, 8) < 0) goto done;
            }
            i = j;
        }
    }
    result = bytes_take(&out);
done:
    PyMem_Free(proposals);
    PyMem_Free(out.data);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- field_weights */

/* Per (pair, column) of held entries (held_entries' entries and pairs, in their order): the
 * highest weight of a whole value found (not FLAG_TOKEN), and the weights of its tokens found,
 * summed in the entries' order (as numpy's maximum.at and bincount, which took a dozen passes
 * over the entries). */
static PyObject *field_weights(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[5];
    Py_ssize_t pairs, n_columns;
    int token_flag;
    if (!PyArg_ParseTuple(args, "OOnOOOni", &objects[0], &objects[1], &pairs, &objects[2], &objects[3], &objects[4],
                          &n_columns, &token_flag))
        return NULL;
    static const Py_ssize_t sizes[5] = {8, 8, 2, 4, 1};
    static const char *names[5] = {"held_entries", "held_pairs", "entry_columns", "entry_weights", "entry_flags"};
    Py_buffer views[5];
    int taken = 0;
    PyObject *result = NULL, *whole = NULL, *partial = NULL;
    for (; taken < 5; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *held = views[0].buf, *held_pairs = views[1].buf;
    const uint16_t *columns = views[2].buf;
    const float *weights = views[3].buf;
    const uint8_t *flags = views[4].buf;
    Py_ssize_t held_count = views[0].len / 8, entries = views[2].len / 2;
    if (views[1].len != views[0].len || views[3].len / 4 != entries || views[4].len != entries || pairs < 0 ||
        n_columns < 1 || n_columns > 65536) {
        PyErr_SetString(PyExc_ValueError, "field_weights: arrays of different lengths");
        goto done;
    }
    if (pairs > PY_SSIZE_T_MAX / 8 / n_columns) { /* (the bytes' size would wrap round, to too few) */
        PyErr_SetString(PyExc_ValueError, "field_weights: pair_count too large");
        goto done;
    }
    Py_ssize_t groups = pairs * n_columns;
    whole = PyBytes_FromStringAndSize(NULL, groups * 8);
    partial = PyBytes_FromStringAndSize(NULL, groups * 8);
    if (!whole || !partial) goto done;
    double *best = (double *)PyBytes_AS_STRING(whole), *sums = (double *)PyBytes_AS_STRING(partial);
    for (Py_ssize_t g = 0; g < groups; g++) best[g] = sums[g] = 0.0;
    for (Py_ssize_t i = 0; i < held_count; i++) {
        int64_t e = held[i], p = held_pairs[i];
        if (e < 0 || e >= entries || p < 0 || p >= pairs || columns[e] >= n_columns) {
            PyErr_SetString(PyExc_ValueError, "field_weights: an entry or pair out of range");
            goto done;
        }
        Py_ssize_t g = p * n_columns + columns[e];
        double weight = (double)weights[e];
        if (flags[e] & token_flag) sums[g] += weight;
        else if (weight > best[g]) best[g] = weight;
    }
    result = Py_BuildValue("(OO)", whole, partial);
done:
    Py_XDECREF(whole);
    Py_XDECREF(partial);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- name_forms */

#define BAG_GOLDEN 0x9E3779B97F4A7C15ULL /* keys.py's _BAG_GOLDEN and bag_keys' splitmix64 finalizer */

static inline uint64_t bag_key(uint64_t sum, uint64_t count) {
    uint64_t h = sum + count * BAG_GOLDEN;
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 31;
    return h;
}

/* scan._Scanner._name_forms: per (pair, column) group of a row-sized pair, the sum and number of
 * the keys of the name tokens held (FLAG_TOKEN), and with the initials held (FLAG_INITIAL) too;
 * a group of two or more whose order-free key is one of the record's name forms there gets
 * that form's weight, as a whole or an abbreviated (FLAG_ABBREVIATED) name. None when a group
 * holds two forms of the found key that weigh differently: which one counts is then numpy's
 * sort's choice, and numpy answers. */
static PyObject *name_forms(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[9];
    Py_ssize_t n_columns;
    int token_flag, initial_flag, abbreviated_flag;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOniii", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &objects[6], &objects[7], &objects[8], &n_columns, &token_flag, &initial_flag,
                          &abbreviated_flag))
        return NULL;
    static const Py_ssize_t sizes[9] = {8, 8, 8, 8, 1, 8, 1, 2, 4};
    static const char *names[9] = {"held_entries", "held_pairs", "forms", "form_pairs", "row_sized",
                                   "entry_keys", "entry_flags", "entry_columns", "entry_weights"};
    Py_buffer views[9];
    int taken = 0;
    PyObject *result = NULL;
    uint64_t *sums = NULL;
    int64_t *counts = NULL, *chosen = NULL;
    double *whole = NULL, *abbreviated = NULL;
    for (; taken < 9; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *held = views[0].buf, *held_pairs = views[1].buf, *forms = views[2].buf, *form_pairs = views[3].buf;
    const uint8_t *row_sized = views[4].buf, *flags = views[6].buf;
    const uint64_t *keys = views[5].buf;
    const uint16_t *columns = views[7].buf;
    const float *weights = views[8].buf;
    Py_ssize_t held_count = views[0].len / 8, form_count = views[2].len / 8, pairs = views[4].len;
    Py_ssize_t entries = views[5].len / 8;
    if (views[1].len != views[0].len || views[3].len != views[2].len || views[6].len != entries ||
        views[7].len / 2 != entries || views[8].len / 4 != entries || n_columns < 1 || n_columns > 65536) {
        PyErr_SetString(PyExc_ValueError, "name_forms: arrays of different lengths");
        goto done;
    }
    size_t groups = (size_t)pairs * (size_t)n_columns;
    /* [0, groups): tokens only; [groups, 2 groups): with the initials */
    sums = PyMem_Calloc(2 * groups + 1, 8);
    counts = PyMem_Calloc(2 * groups + 1, 8);
    chosen = PyMem_Malloc((2 * groups + 1) * 8);
    whole = PyMem_Calloc(groups + 1, 8);
    abbreviated = PyMem_Calloc(groups + 1, 8);
    if (!sums || !counts || !chosen || !whole || !abbreviated) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t g = 0; g < 2 * groups; g++) chosen[g] = -1;
    for (Py_ssize_t i = 0; i < held_count; i++) {
        int64_t e = held[i], p = held_pairs[i];
        if (e < 0 || e >= entries || p < 0 || p >= pairs || columns[e] >= n_columns) goto out_of_range;
        if (!row_sized[p]) continue;
        size_t g = (size_t)p * (size_t)n_columns + columns[e];
        if (flags[e] & token_flag) {
            sums[g] += keys[e];
            counts[g]++;
            sums[groups + g] += keys[e];
            counts[groups + g]++;
        }
        if (flags[e] & initial_flag) {
            sums[groups + g] += keys[e];
            counts[groups + g]++;
        }
    }
    for (Py_ssize_t i = 0; i < form_count; i++) {
        int64_t e = forms[i], p = form_pairs[i];
        if (e < 0 || e >= entries || p < 0 || p >= pairs || columns[e] >= n_columns) goto out_of_range;
        size_t g = (size_t)p * (size_t)n_columns + columns[e];
        for (size_t at = g; at < 2 * groups; at += groups) { /* tokens only, then with the initials */
            if (counts[at] < 2 || bag_key(sums[at], (uint64_t)counts[at]) != keys[e]) continue;
            int64_t before = chosen[at];
            if (before >= 0 && (weights[before] != weights[e] ||
                                ((flags[before] ^ flags[e]) & abbreviated_flag))) {
                result = Py_NewRef(Py_None);
                goto done;
            }
            chosen[at] = e;
        }
    }
    for (size_t at = 0; at < 2 * groups; at++) {
        int64_t e = chosen[at];
        if (e < 0) continue;
        double *to = (flags[e] & abbreviated_flag) ? abbreviated : whole;
        size_t g = at % groups;
        if ((double)weights[e] > to[g]) to[g] = (double)weights[e];
    }
    {
        PyObject *w = PyBytes_FromStringAndSize((const char *)whole, (Py_ssize_t)(groups * 8));
        PyObject *a = PyBytes_FromStringAndSize((const char *)abbreviated, (Py_ssize_t)(groups * 8));
        if (w && a) result = Py_BuildValue("(OO)", w, a);
        Py_XDECREF(w);
        Py_XDECREF(a);
    }
    goto done;
out_of_range:
    PyErr_SetString(PyExc_ValueError, "name_forms: an entry, pair or column is out of range");
done:
    PyMem_Free(sums);
    PyMem_Free(counts);
    PyMem_Free(chosen);
    PyMem_Free(whole);
    PyMem_Free(abbreviated);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

/* ---------------------------------------------------------------- shares_id_variant */

/* scan._Scanner._shares_id_variant: per (line, record) suspect, whether one of the line's id-like
 * numbers and their one-digit deletions (keys grouped by line) is one of the record's
 * (FingerprintSet.id_variant_keys): the record's few dozen keys looked up in the line's, sorted. */
static PyObject *shares_id_variant(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[6];
    if (!PyArg_ParseTuple(args, "OOOOOO", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5]))
        return NULL;
    static const Py_ssize_t sizes[6] = {8, 8, 8, 8, 8, 8};
    static const char *names[6] = {"lines", "records", "line_offsets", "line_keys", "record_offsets", "record_keys"};
    Py_buffer views[6];
    int taken = 0;
    PyObject *result = NULL;
    SortedLine sorted = {.line = -1};
    for (; taken < 6; taken++)
        if (get_array(objects[taken], &views[taken], sizes[taken], names[taken]) < 0) goto done;
    const int64_t *lines = views[0].buf, *records = views[1].buf, *line_offsets = views[2].buf;
    const int64_t *record_offsets = views[4].buf;
    const uint64_t *line_keys = views[3].buf, *record_keys = views[5].buf;
    Py_ssize_t count = views[0].len / 8, line_count = views[2].len / 8 - 1, record_count = views[4].len / 8 - 1;
    Py_ssize_t line_key_count = views[3].len / 8, record_key_count = views[5].len / 8;
    if (views[1].len != views[0].len) {
        PyErr_SetString(PyExc_ValueError, "shares_id_variant: lines and records differ in length");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count);
    if (!result) goto done;
    uint8_t *shares = (uint8_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t line = lines[i], record = records[i];
        if (line < 0 || line >= line_count || record < 0 || record >= record_count) goto out_of_range;
        int64_t l0 = line_offsets[line], l1 = line_offsets[line + 1];
        int64_t r0 = record_offsets[record], r1 = record_offsets[record + 1];
        if (l0 < 0 || l1 < l0 || l1 > line_key_count || r0 < 0 || r1 < r0 || r1 > record_key_count) goto out_of_range;
        if (sorted_line_take(&sorted, line, line_keys + l0, l1 - l0) < 0) {
            Py_CLEAR(result);
            goto done;
        }
        uint8_t found = 0;
        for (int64_t a = r0; a < r1 && !found; a++) found = (uint8_t)sorted_line_holds(&sorted, record_keys[a]);
        shares[i] = found;
    }
    goto done;
out_of_range:
    Py_CLEAR(result);
    PyErr_SetString(PyExc_ValueError, "shares_id_variant: a line, record or offset is out of range");
done:
    PyMem_Free(sorted.keys);
    for (int v = 0; v < taken; v++) PyBuffer_Release(&views[v]);
    return result;
}

static PyMethodDef module_methods[] = {
    {"line_keys", line_keys, METH_VARARGS,
     "line_keys(chunk_ids, chunk_lines, line_count, token_ends, token_keys, special_ends, special_keys,\n"
     "bits, known_keys, known_buckets, bucket_bits, max_tokens) -> (keys uint64 bytes, their lines\n"
     "int64 bytes, tokens per line int64 bytes): the token, run and special keys of the lines that\n"
     "the bitset and the sorted known keys hold (known_buckets: where each value of the keys' top\n"
     "bucket_bits bits starts in known_keys; see line_keys.py)."},
    {"known", known, METH_VARARGS,
     "known(keys, bits, known_keys, known_buckets, bucket_bits) -> uint8 bytes: per key, whether the\n"
     "bitset and the sorted known keys hold it (as line_keys tests the keys it keeps)."},
    {"held_entries", held_entries, METH_VARARGS,
     "held_entries(pairs, entry_offsets, entry_keys, entry_flags, line_offsets, line_keys, bag_flag) ->\n"
     "(held entries, their pairs, form entries, their pairs; int64 bytes each): of each (line << 32 |\n"
     "record) pair, in order, the record's entries whose key is one of the line's keys\n"
     "(line_keys[line_offsets[line]:line_offsets[line + 1]]), and the entries with bag_flag."},
    {"candidate_pairs", candidate_pairs, METH_VARARGS,
     "candidate_pairs(line_offsets, line_keys, candidate_keys, candidate_buckets, candidate_records,\n"
     "candidate_is_token, bucket_bits) -> int64 bytes: sorted unique line << 32 | record of the records\n"
     "the lines' keys propose (candidate_keys, sorted, with their postings) twice, or once by a key\n"
     "that is not one token of a longer value."},
    {"field_weights", field_weights, METH_VARARGS,
     "field_weights(held_entries, held_pairs, pair_count, entry_columns, entry_weights, entry_flags, n_columns,\n"
     "token_flag) -> (whole, partial) float64 bytes per (pair, column): the highest weight of a whole value\n"
     "held, the summed weights of the tokens held (scan._Scanner._field_weights)."},
    {"name_forms", name_forms, METH_VARARGS,
     "name_forms(held_entries, held_pairs, forms, form_pairs, row_sized, entry_keys, entry_flags,\n"
     "entry_columns, entry_weights, n_columns, token_flag, initial_flag, abbreviated_flag) -> (whole,\n"
     "abbreviated: float64 bytes, pairs x columns), or None when a group holds two forms of its found\n"
     "key that weigh differently: the weights of names found in another form (scan._Scanner._name_forms)."},
    {"shares_id_variant", shares_id_variant, METH_VARARGS,
     "shares_id_variant(lines, records, line_offsets, line_keys, record_offsets, record_keys) -> uint8 bytes:\n"
     "per (line, record), whether one of the line's keys (line_keys[line_offsets[line]:...]) is one of\n"
     "the record's (record_keys[record_offsets[record]:...])."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_linekeys", "The keys of candidate lines, compiled (see line_keys.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__linekeys(void) {
    if (PyType_Ready(&ChunkIdsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "ChunkIds", (PyObject *)&ChunkIdsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
