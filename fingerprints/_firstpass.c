/* The scanner's first pass, compiled: one pass over a document's text (the str's own code
 * points, never a copy in UTF-8) that folds, cuts chunks, keyed-hashes their tokens and tests
 * them against the dataset's prefilter keys, and returns the lines worth a closer look (see
 * first_pass.py, which wraps it, and scan.py, whose pure-Python _Scanner.candidate_lines
 * gives the same results).
 *
 * Keys are the same keyed BLAKE2b (64-bit digests) as keys.KeyedHasher's: BLAKE2b is
 * implemented here (RFC 7693), with the key block compressed once per scanner, so a token
 * costs one compression; new words of letters (most new chunks of a cold pass) wait for their
 * keys until four do, and are keyed at once, one message per lane of AVX2 registers, where the
 * processor has AVX2 (asked at run time; the same keys one at a time elsewhere). Each distinct chunk's prefilter strength is kept in a bounded memo
 * (an open-addressing table, a chunk of up to 8 bytes its own key, longer ones in an arena;
 * dropped whole when full), so common words cost a table probe, and a million distinct
 * chunks cost bounded memory. In front of it, a small table of the chunks met last stays in
 * the processor's cache (most text is a few thousand words met again and again), and the
 * tokens of chunks of several (x86, garcia2) are keyed through a table of their own.
 *
 * Chunks holding non-ASCII characters are folded as normalize.fold_text does (Unicode NFKD,
 * case folding, marks) character by character, from a table of what each character folds
 * to, learnt from Python the first time it is seen. A chunk holding a character that does
 * not fold alone (see first_pass.fold_character) is handed whole to Python: folding is local
 * between ASCII separators, so a chunk folded alone reads as it does in the folded document.
 *
 * No numpy headers: arrays come in through the buffer protocol. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_growable.h"

/* ---------------------------------------------------------------- BLAKE2b (RFC 7693) */

static const uint64_t BLAKE2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t BLAKE2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

static inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load64_le(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#define B2_G(a, b, c, d, x, y)          \
    do {                                \
        v[a] = v[a] + v[b] + (x);       \
        v[d] = rotr64(v[d] ^ v[a], 32); \
        v[c] = v[c] + v[d];             \
        v[b] = rotr64(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y);       \
        v[d] = rotr64(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];             \
        v[b] = rotr64(v[b] ^ v[c], 63); \
    } while (0)

static inline __attribute__((always_inline)) void blake2b_rounds(uint64_t h[8], const uint64_t m[16], uint64_t counter,
                                                                  int last) {
    uint64_t v[16];
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = BLAKE2B_IV[i];
    }
    v[12] ^= counter; /* messages here are far below 2**64 bytes: the high word stays 0 */
    if (last) v[14] = ~v[14];
    /* Rounds written out: with constant message indices the compiler keeps m in registers
     * (about twice as fast as a loop over the rounds). */
#define B2_ROUND(r)                                                                       \
    do {                                                                                  \
        B2_G(0, 4, 8, 12, m[BLAKE2B_SIGMA[r][0]], m[BLAKE2B_SIGMA[r][1]]);                \
        B2_G(1, 5, 9, 13, m[BLAKE2B_SIGMA[r][2]], m[BLAKE2B_SIGMA[r][3]]);                \
        B2_G(2, 6, 10, 14, m[BLAKE2B_SIGMA[r][4]], m[BLAKE2B_SIGMA[r][5]]);               \
        B2_G(3, 7, 11, 15, m[BLAKE2B_SIGMA[r][6]], m[BLAKE2B_SIGMA[r][7]]);               \
        B2_G(0, 5, 10, 15, m[BLAKE2B_SIGMA[r][8]], m[BLAKE2B_SIGMA[r][9]]);               \
        B2_G(1, 6, 11, 12, m[BLAKE2B_SIGMA[r][10]], m[BLAKE2B_SIGMA[r][11]]);             \
        B2_G(2, 7, 8, 13, m[BLAKE2B_SIGMA[r][12]], m[BLAKE2B_SIGMA[r][13]]);              \
        B2_G(3, 4, 9, 14, m[BLAKE2B_SIGMA[r][14]], m[BLAKE2B_SIGMA[r][15]]);              \
    } while (0)
    B2_ROUND(0);
    B2_ROUND(1);
    B2_ROUND(2);
    B2_ROUND(3);
    B2_ROUND(4);
    B2_ROUND(5);
    B2_ROUND(6);
    B2_ROUND(7);
    B2_ROUND(8);
    B2_ROUND(9);
    B2_ROUND(10);
    B2_ROUND(11);
#undef B2_ROUND
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

static void blake2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t counter, int last) {
    uint64_t m[16];
    for (int i = 0; i < 16; i++) m[i] = load64_le(block + 8 * i);
    blake2b_rounds(h, m, counter, last);
}

/* The last (and only) block of a message of up to 16 bytes: its words after the first two are
 * zero, and with them known the compiler leaves out a third of the rounds' additions (most
 * tokens: "t:" and up to 14 bytes). */
static void blake2b_compress_short(uint64_t h[8], uint64_t m0, uint64_t m1, uint64_t counter) {
    const uint64_t m[16] = {m0, m1};
    blake2b_rounds(h, m, counter, 1);
}

/* The state after the key block of keyed BLAKE2b with an 8-byte digest: what every
 * message of this key starts from. */
typedef struct {
    uint64_t h[8];
} KeyState;

static void key_state_init(KeyState *ks, const uint8_t *key, size_t key_len) {
    uint8_t block[128] = {0};
    memcpy(ks->h, BLAKE2B_IV, sizeof ks->h);
    ks->h[0] ^= 0x01010000ULL ^ ((uint64_t)key_len << 8) ^ 8; /* fanout 1, depth 1, digest 8 */
    memcpy(block, key, key_len);
    blake2b_compress(ks->h, block, 128, 0);
}

/* A PyArg "O&" converter: a bytes-like BLAKE2b key (1 to 64 bytes) -> its KeyState. */
static int parse_key(PyObject *obj, void *out) {
    Py_buffer key;
    if (PyObject_GetBuffer(obj, &key, PyBUF_SIMPLE) < 0) return 0;
    int ok = key.len >= 1 && key.len <= 64;
    if (ok) key_state_init((KeyState *)out, (const uint8_t *)key.buf, (size_t)key.len);
    else PyErr_SetString(PyExc_ValueError, "BLAKE2b keys are 1 to 64 bytes");
    PyBuffer_Release(&key);
    return ok;
}

/* keyed BLAKE2b-64 of prefix ':' data, as int.from_bytes(digest, "little") (keys.py: the
 * message of a token is "t:" + token, of an id number "n:" + digits, of a date "d:" + iso). */
static uint64_t keyed_hash(const KeyState *ks, char prefix, const uint8_t *data, size_t len) {
    uint64_t h[8];
    uint8_t block[128];
    size_t total = len + 2, done = 0;
    uint64_t counter = 128; /* the key block */
    memcpy(h, ks->h, sizeof h);
    if (total <= 16) {
        memset(block, 0, 16);
        block[0] = (uint8_t)prefix;
        block[1] = ':';
        memcpy(block + 2, data, len);
        blake2b_compress_short(h, load64_le(block), load64_le(block + 8), counter + total);
        return h[0];
    }
    block[0] = (uint8_t)prefix;
    block[1] = ':';
    size_t first = len < 126 ? len : 126;
    memcpy(block + 2, data, first);
    size_t in_block = first + 2;
    const uint8_t *rest = data + first;
    size_t rest_len = len - first;
    /* The last block (even a full one) is compressed with the final flag. */
    while (done + in_block < total) {
        counter += 128;
        blake2b_compress(h, block, counter, 0);
        done += 128;
        size_t take = rest_len < 128 ? rest_len : 128;
        memcpy(block, rest, take);
        rest += take;
        rest_len -= take;
        in_block = take;
    }
    memset(block + in_block, 0, 128 - in_block);
    counter += in_block;
    blake2b_compress(h, block, counter, 1);
    return h[0];
}

/* ------------------------------------------------ four short messages at once (AVX2) */

#define SHORT_MESSAGE_DATA 14 /* data bytes of a one-block message of at most 16 bytes */
#define HASH_LANES 4

/* A message of up to 16 bytes (prefix ':' data, zero-padded) as BLAKE2b's first two message
 * words, and its length. */
typedef struct {
    uint64_t m0, m1;
    uint64_t length;
} ShortMessage;

static inline ShortMessage short_message(char prefix, const uint8_t *data, size_t len) {
    uint8_t block[16] = {0};
    block[0] = (uint8_t)prefix;
    block[1] = ':';
    memcpy(block + 2, data, len); /* len <= SHORT_MESSAGE_DATA */
    return (ShortMessage){load64_le(block), load64_le(block + 8), len + 2};
}

/* Does the processor run the AVX2 path (asked once, when the module is loaded), and is it used
 * (vector_hashing(False) turns it off: for tests and same-run A/Bs)? */
static int have_avx2, vector_hashing;

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* keyed_hash of four short messages at once, one message per 64-bit lane of AVX2 registers:
 * the same rounds as blake2b_rounds (all four start from the key's state; each has its own
 * counter; the last block), so the same keys. Message words after the first two are zero, and
 * the compiler leaves out their additions. Only the first output word is kept (8-byte digests). */
__attribute__((target("avx2"))) static void keyed_hash_short_x4(const KeyState *ks, const ShortMessage msg[HASH_LANES],
                                                                uint64_t out[HASH_LANES]) {
    const __m256i rot24 = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4, 5, 6, 7, 0, 1,
                                           2, 11, 12, 13, 14, 15, 8, 9, 10);
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3, 4, 5, 6, 7, 0,
                                           1, 10, 11, 12, 13, 14, 15, 8, 9);
    __m256i v[16], m[16];
    for (int i = 0; i < 8; i++) {
        v[i] = _mm256_set1_epi64x((long long)ks->h[i]);
        v[i + 8] = _mm256_set1_epi64x((long long)BLAKE2B_IV[i]);
    }
    /* the counter: the key block and the message; the last block's flag */
    v[12] = _mm256_xor_si256(v[12], _mm256_setr_epi64x((long long)(128 + msg[0].length), (long long)(128 + msg[1].length),
                                                       (long long)(128 + msg[2].length), (long long)(128 + msg[3].length)));
    v[14] = _mm256_xor_si256(v[14], _mm256_set1_epi64x(-1));
    for (int i = 0; i < 16; i++) m[i] = _mm256_setzero_si256();
    m[0] = _mm256_setr_epi64x((long long)msg[0].m0, (long long)msg[1].m0, (long long)msg[2].m0, (long long)msg[3].m0);
    m[1] = _mm256_setr_epi64x((long long)msg[0].m1, (long long)msg[1].m1, (long long)msg[2].m1, (long long)msg[3].m1);
#define X4_ROTR32(x) _mm256_shuffle_epi32((x), _MM_SHUFFLE(2, 3, 0, 1))
#define X4_ROTR24(x) _mm256_shuffle_epi8((x), rot24)
#define X4_ROTR16(x) _mm256_shuffle_epi8((x), rot16)
#define X4_ROTR63(x) _mm256_or_si256(_mm256_srli_epi64((x), 63), _mm256_add_epi64((x), (x)))
#define X4_G(a, b, c, d, x, y)                                                      \
    do {                                                                            \
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), (x));                 \
        v[d] = X4_ROTR32(_mm256_xor_si256(v[d], v[a]));                             \
        v[c] = _mm256_add_epi64(v[c], v[d]);                                        \
        v[b] = X4_ROTR24(_mm256_xor_si256(v[b], v[c]));                             \
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), (y));                 \
        v[d] = X4_ROTR16(_mm256_xor_si256(v[d], v[a]));                             \
        v[c] = _mm256_add_epi64(v[c], v[d]);                                        \
        v[b] = X4_ROTR63(_mm256_xor_si256(v[b], v[c]));                             \
    } while (0)
#define X4_ROUND(r)                                                                 \
    do {                                                                            \
        X4_G(0, 4, 8, 12, m[BLAKE2B_SIGMA[r][0]], m[BLAKE2B_SIGMA[r][1]]);          \
        X4_G(1, 5, 9, 13, m[BLAKE2B_SIGMA[r][2]], m[BLAKE2B_SIGMA[r][3]]);          \
        X4_G(2, 6, 10, 14, m[BLAKE2B_SIGMA[r][4]], m[BLAKE2B_SIGMA[r][5]]);         \
        X4_G(3, 7, 11, 15, m[BLAKE2B_SIGMA[r][6]], m[BLAKE2B_SIGMA[r][7]]);         \
        X4_G(0, 5, 10, 15, m[BLAKE2B_SIGMA[r][8]], m[BLAKE2B_SIGMA[r][9]]);         \
        X4_G(1, 6, 11, 12, m[BLAKE2B_SIGMA[r][10]], m[BLAKE2B_SIGMA[r][11]]);       \
        X4_G(2, 7, 8, 13, m[BLAKE2B_SIGMA[r][12]], m[BLAKE2B_SIGMA[r][13]]);        \
        X4_G(3, 4, 9, 14, m[BLAKE2B_SIGMA[r][14]], m[BLAKE2B_SIGMA[r][15]]);        \
    } while (0)
    X4_ROUND(0);
    X4_ROUND(1);
    X4_ROUND(2);
    X4_ROUND(3);
    X4_ROUND(4);
    X4_ROUND(5);
    X4_ROUND(6);
    X4_ROUND(7);
    X4_ROUND(8);
    X4_ROUND(9);
    X4_ROUND(10);
    X4_ROUND(11);
#undef X4_ROUND
#undef X4_G
#undef X4_ROTR63
#undef X4_ROTR16
#undef X4_ROTR24
#undef X4_ROTR32
    __m256i h0 = _mm256_xor_si256(_mm256_set1_epi64x((long long)ks->h[0]), _mm256_xor_si256(v[0], v[8]));
    _mm256_storeu_si256((__m256i *)out, h0);
}
#endif

/* The keys of count <= HASH_LANES short messages: in AVX2 lanes when there are two or more and
 * vector_hashing is on, else one by one (the same keys). */
static void keyed_hash_short_many(const KeyState *ks, const ShortMessage *msg, int count, uint64_t *out) {
#ifdef HAVE_AVX2_PATH
    if (vector_hashing && count >= 2) {
        ShortMessage lanes[HASH_LANES];
        uint64_t keys[HASH_LANES];
        for (int k = 0; k < HASH_LANES; k++) lanes[k] = msg[k < count ? k : 0];
        keyed_hash_short_x4(ks, lanes, keys);
        memcpy(out, keys, (size_t)count * sizeof *out);
        return;
    }
#endif
    for (int k = 0; k < count; k++) {
        uint64_t h[8];
        memcpy(h, ks->h, sizeof h);
        blake2b_compress_short(h, msg[k].m0, msg[k].m1, 128 + msg[k].length);
        out[k] = h[0];
    }
}

/* ---------------------------------------------------------------- byte classes */

/* normalize.token_bytes on ASCII: letters lowercased, digits kept, "-./'" deleted, newline
 * kept, every other ASCII byte a separator; bytes >= 0x80 start a chunk to fold in Python. */
enum { C_SEP = 0, C_NEWLINE = 1, C_DELETED = 2, C_HIGH = 3 };
static uint8_t BYTE_CLASS[256]; /* a normalized byte ('0'-'9', 'a'-'z') or one of the above */

static void init_byte_classes(void) {
    for (int b = 0; b < 256; b++) {
        uint8_t c = C_SEP;
        if (b >= 0x80) c = C_HIGH;
        else if (b >= 'a' && b <= 'z') c = (uint8_t)b;
        else if (b >= 'A' && b <= 'Z') c = (uint8_t)(b + 32);
        else if (b >= '0' && b <= '9') c = (uint8_t)b;
        else if (b == '\n') c = C_NEWLINE;
        else if (b == '-' || b == '.' || b == '/' || b == '\'') c = C_DELETED;
        BYTE_CLASS[b] = c;
    }
}

static inline int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif

/* FNV-1a over chunk bytes (a hash, not a key). */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* A chunk of up to SHORT_CHUNK bytes (most words) is its own key in the memo: its bytes in a
 * uint64, zero-padded (no chunk holds a zero byte), compared without reading its bytes again. */
#define SHORT_CHUNK 8

static inline uint64_t short_key(const uint8_t *c, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)c[i] << (8 * i);
    return v;
}

/* The memo's and the hit sets' hash of a chunk: its short key mixed; its two halves' (up to
 * 16 bytes); FNV-1a mixed. */
static inline uint64_t chunk_hash(const uint8_t *c, size_t n) {
    if (n <= SHORT_CHUNK) return mix64(short_key(c, n));
    if (n <= 2 * SHORT_CHUNK) return mix64(short_key(c, SHORT_CHUNK) ^ mix64(short_key(c + SHORT_CHUNK, n - SHORT_CHUNK)));
    return mix64(fnv1a(c, n));
}

/* ---------------------------------------------------------------- the chunk memo */

#define MEMO_MAX_CHUNK 64 /* longer chunks (rare, mostly unique) are not remembered */

/* What the pass knows of a chunk, in one byte (chunks.py's INFO_* are the same bits): its
 * prefilter strength (0, 1 or id_hit); whether it holds a date the prefilter looks for, or is
 * a word some record holds; and what the matcher may read as an id number or a date there:
 * a number of min_id_digits digits or more, letters and digits that OCR look-alikes read as
 * a number, a month name, a 4-digit number (a spelled date needs both of the last two);
 * and whether some of that is more than a digit date (INFO_OTHER_NUMBER). */
#define INFO_STRENGTH 3
#define INFO_DATE 4
#define INFO_WORD 8
#define INFO_NUMBER 16
#define INFO_MONTH 32
#define INFO_YEAR 64
#define INFO_OTHER_NUMBER 128 /* an id of the dataset, a number that reads as no date, an OCR reading */

typedef struct {
    uint64_t key;    /* a short chunk's short_key, a longer one's chunk_hash */
    uint32_t offset; /* a longer chunk's bytes in the arena */
    uint8_t length;  /* 0: an empty slot */
    uint8_t raw;     /* a raw chunk folded in Python and found to be nothing, not a normalized one */
    uint8_t info;
} MemoSlot;

static inline uint64_t slot_hash(const MemoSlot *s) {
    return s->length <= SHORT_CHUNK ? mix64(s->key) : s->key;
}

/* The table starts small and doubles while at most half full, up to max_count chunks (so
 * its memory follows the distinct chunks seen, at most ~32 + 16 bytes a chunk); when full it
 * takes no more, and is dropped whole before the next document. */
#define MEMO_FIRST_SLOTS 4096

typedef struct {
    MemoSlot *slots;
    size_t mask, count, max_count;
    Bytes arena;
    size_t arena_limit;
} Memo;

static int memo_init(Memo *m, size_t max_count) {
    m->slots = PyMem_Calloc(MEMO_FIRST_SLOTS, sizeof(MemoSlot));
    if (!m->slots) {
        PyErr_NoMemory();
        return -1;
    }
    m->mask = MEMO_FIRST_SLOTS - 1;
    m->count = 0;
    m->max_count = max_count;
    m->arena = (Bytes){0};
    m->arena_limit = max_count * 16;
    return 0;
}

static int memo_clear(Memo *m) {
    MemoSlot *slots = PyMem_Calloc(MEMO_FIRST_SLOTS, sizeof(MemoSlot));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    PyMem_Free(m->slots);
    m->slots = slots;
    m->mask = MEMO_FIRST_SLOTS - 1;
    m->count = 0;
    bytes_free(&m->arena);
    return 0;
}

static inline int memo_full(const Memo *m) {
    return m->count >= m->max_count || m->arena.size + MEMO_MAX_CHUNK > m->arena_limit;
}

/* Room for one more chunk: doubles the table when it would be more than half full. */
static int memo_make_room(Memo *m) {
    if (2 * (m->count + 1) <= m->mask + 1) return 0;
    size_t n = 2 * (m->mask + 1);
    MemoSlot *slots = PyMem_Calloc(n, sizeof(MemoSlot));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        MemoSlot *s = &m->slots[i];
        if (s->length == 0) continue;
        size_t j = (size_t)slot_hash(s) & (n - 1);
        while (slots[j].length != 0) j = (j + 1) & (n - 1);
        slots[j] = *s;
    }
    PyMem_Free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 0;
}

/* The slot holding the chunk (of n <= MEMO_MAX_CHUNK bytes, hash its chunk_hash; raw or
 * normalized), or the empty slot where it would go. */
static inline MemoSlot *memo_find(Memo *m, const uint8_t *chunk, size_t n, uint64_t hash, int raw) {
    uint64_t key = n <= SHORT_CHUNK ? short_key(chunk, n) : hash;
    size_t i = (size_t)hash & m->mask;
    for (;;) {
        MemoSlot *s = &m->slots[i];
        if (s->length == 0) return s;
        if (s->key == key && s->length == n && s->raw == raw &&
            (n <= SHORT_CHUNK || memcmp(m->arena.data + s->offset, chunk, n) == 0))
            return s;
        i = (i + 1) & m->mask;
    }
}

/* ---------------------------------------------------------------- hit sets */

/* Distinct hit chunks (a chunk counts once per line and once per document): entries keep
 * their normalized bytes in a per-document arena; an open-addressing index finds them. */
typedef struct {
    uint64_t hash;
    size_t offset, length;
} Hit;

typedef struct {
    Hit *hits;
    size_t count, capacity;
    uint32_t *index; /* entry + 1, 0 empty */
    size_t index_mask;
} HitSet;

static int hitset_init(HitSet *s) {
    s->count = 0;
    s->capacity = 16;
    s->hits = PyMem_Malloc(s->capacity * sizeof(Hit));
    s->index_mask = 63;
    s->index = PyMem_Calloc(64, sizeof(uint32_t));
    if (!s->hits || !s->index) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void hitset_free(HitSet *s) {
    PyMem_Free(s->hits);
    PyMem_Free(s->index);
    s->hits = NULL;
    s->index = NULL;
}

static void hitset_clear(HitSet *s) {
    if (s->count == 0) return;
    if (s->count * 8 < s->index_mask) {
        for (size_t k = 0; k < s->count; k++) {
            size_t i = (size_t)mix64(s->hits[k].hash) & s->index_mask;
            while (s->index[i] != 0) {
                s->index[i] = 0;
                i = (i + 1) & s->index_mask;
            }
        }
    } else {
        memset(s->index, 0, (s->index_mask + 1) * sizeof(uint32_t));
    }
    s->count = 0;
}

static int hitset_grow(HitSet *s, const uint8_t *arena) {
    size_t n = (s->index_mask + 1) * 2;
    uint32_t *index = PyMem_Calloc(n, sizeof(uint32_t));
    if (!index) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < s->count; k++) {
        size_t i = (size_t)mix64(s->hits[k].hash) & (n - 1);
        while (index[i] != 0) i = (i + 1) & (n - 1);
        index[i] = (uint32_t)(k + 1);
    }
    (void)arena;
    PyMem_Free(s->index);
    s->index = index;
    s->index_mask = n - 1;
    return 0;
}

/* 1 when added, 0 when already there, -1 on error. */
static int hitset_add(HitSet *s, Bytes *arena, const uint8_t *chunk, size_t n, uint64_t hash) {
    size_t i = (size_t)mix64(hash) & s->index_mask;
    while (s->index[i] != 0) {
        Hit *h = &s->hits[s->index[i] - 1];
        if (h->hash == hash && h->length == n && memcmp(arena->data + h->offset, chunk, n) == 0) return 0;
        i = (i + 1) & s->index_mask;
    }
    if (s->count == s->capacity) {
        Hit *hits = PyMem_Realloc(s->hits, 2 * s->capacity * sizeof(Hit));
        if (!hits) {
            PyErr_NoMemory();
            return -1;
        }
        s->hits = hits;
        s->capacity *= 2;
    }
    if (bytes_reserve(arena, n) < 0) return -1;
    memcpy(arena->data + arena->size, chunk, n);
    s->hits[s->count] = (Hit){hash, arena->size, n};
    arena->size += n;
    s->index[i] = (uint32_t)(++s->count);
    if (s->count * 2 > s->index_mask && hitset_grow(s, arena->data) < 0) return -1;
    return 1;
}

/* ---------------------------------------------------------------- folding non-ASCII characters */

/* What normalize.fold_text and token_bytes make of one non-ASCII character, learnt from
 * Python (first_pass.fold_character) the first time the character is seen, and kept in pages
 * of 256 code points. A chunk whose characters are all FOLD_SAFE is folded here, character by
 * character: the folded chunk is the concatenation of its characters' folded bytes (see
 * fold_character for why that holds). A chunk holding any other character goes to Python whole.
 * token_class is the character's own class in normalize.chunk_tokens (its regex): a letter of
 * a letter run, a digit of a digit run, or other (dropped, it ends a token). */
enum { FOLD_UNKNOWN = 0, FOLD_SAFE = 1, FOLD_UNSAFE = 2 };
enum { TOKEN_LETTER = 0, TOKEN_DIGIT = 1, TOKEN_OTHER = 2 };
#define FOLD_MAX_BYTES 29
#define CHAR_PAGES (0x110000 >> 8)
#define HOT_SLOTS (1 << 14)
#define TOKEN_SLOTS (1 << 13)

typedef struct {
    uint64_t low, high; /* short_key of a chunk's first 8 bytes, of the rest */
} HotSlot;

/* A chunk of letters met for the first time, waiting for its key. */
typedef struct {
    uint64_t hash; /* chunk_hash */
    size_t length;
    uint8_t bytes[SHORT_MESSAGE_DATA];
} PendingChunk;

typedef struct {
    uint8_t state, token_class, length;
    uint8_t bytes[FOLD_MAX_BYTES];
} CharFold;

/* What fold_char said of each code point seen, by page. One table for the process: what a
 * character folds to depends on Unicode alone (Python's unicodedata), not on a fingerprint
 * set or key, so every scanner shares what one learnt (a few thousand characters at most,
 * 8 kB a page of 256). */
static CharFold *char_pages[CHAR_PAGES];

/* ---------------------------------------------------------------- the FirstPass object */

/* A word that spelled dates are read around (normalize.MONTHS, its month's number) or that
 * is skipped when reading them (normalize.DATE_FILLER_WORDS, number 0). */
#define FEW_KEYS_BITS 4096 /* (512 bytes: ~2% of keys pass it with ~90 month names and extra keys) */

#define MAX_DATE_WORD 15
#define MAX_DATE_WORDS 160
typedef struct {
    uint8_t length, number;
    uint8_t bytes[MAX_DATE_WORD];
} DateWord;

typedef struct {
    PyObject_HEAD
    KeyState key;
    Py_buffer prefilter; /* uint64, sorted unique: the file's prefilter keys */
    Py_buffer extra;     /* uint64, sorted unique: keys the scanner adds (month names) */
    Py_buffer months;    /* uint64, sorted unique: token keys of every month name (normalize.MONTHS) */
    Py_buffer known;     /* uint64, sorted unique: every key some record has (known_keys) */
    Py_buffer bits;      /* uint8: arrays.KeyBitset over known (known_bits) */
    int have_buffers;
    int busy; /* in lines(): the fold callbacks run Python, so another thread could call in */
    uint64_t bits_mask;
    PyObject *fold;      /* raw chunk (UTF-8) -> [(normalized chunk, INFO_ bits)] of those with any */
    PyObject *fold_char; /* code point -> (its normalized bytes or None, its TOKEN_ class) */
    /* A filter of the few keys of months and extra (their bits at key % FEW_KEYS_BITS): most
     * keys are neither, and are told so without a search of either array. */
    uint64_t few_keys[FEW_KEYS_BITS / 64];
    int id_hit, min_id_digits, min_word_bytes, date_min_year, date_max_year;
    DateWord date_words[MAX_DATE_WORDS]; /* month names (normalize.MONTHS), then fillers */
    int month_count, date_word_count;
    Memo memo;
    HotSlot *hot; /* HOT_SLOTS chunks (0, 0: empty) and their infos: see known_info */
    uint8_t *hot_info;
    HotSlot *token_keys; /* TOKEN_SLOTS tokens (0, 0: empty) and their TOKEN_ bits: cached_token_bits */
    uint8_t *token_bits;
    /* per document */
    PendingChunk pending[HASH_LANES]; /* new chunks of letters, keyed HASH_LANES at once: end_chunk */
    int pending_count;
    Bytes norm, hit_arena, out, raw, pieces;
    HitSet line_hits, doc_hits;
} FirstPass;

static inline int maybe_few(const FirstPass *fp, uint64_t key) {
    uint64_t bit = key & (FEW_KEYS_BITS - 1);
    return fp->few_keys[bit >> 6] >> (bit & 63) & 1;
}

static inline int sorted_has(const Py_buffer *b, uint64_t key) {
    const uint64_t *a = (const uint64_t *)b->buf;
    Py_ssize_t lo = 0, hi = b->len / 8;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) >> 1;
        if (a[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < b->len / 8 && a[lo] == key;
}

static inline int maybe_known(const FirstPass *fp, uint64_t key) {
    uint64_t bit = key & fp->bits_mask;
    return !fp->bits.len || ((const uint8_t *)fp->bits.buf)[bit >> 3] >> (bit & 7) & 1;
}

static inline int is_prefilter_key(const FirstPass *fp, uint64_t key) {
    if (maybe_known(fp, key) && sorted_has(&fp->prefilter, key)) return 1;
    return fp->extra.len && maybe_few(fp, key) && sorted_has(&fp->extra, key);
}

static inline int is_month_key(const FirstPass *fp, uint64_t key) {
    return maybe_few(fp, key) && sorted_has(&fp->months, key);
}

static inline int is_known_key(const FirstPass *fp, uint64_t key) {
    return maybe_known(fp, key) && sorted_has(&fp->known, key);
}

static int days_in_month(int year, int month) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
    return days[month - 1];
}

static int number_of(const uint8_t *p, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
    return v;
}

/* The valid dates a 6-8 digit token reads as (normalize.digit_date_readings: YYYYMMDD,
 * DDMMYYYY and MMDDYYYY, each part of 1-2 digits, years in range), sorted and unique, as
 * year * 10000 + month * 100 + day (the order of their ISO strings). */
static int date_readings(const uint8_t *d, size_t n, int min_year, int max_year, int out[6]) {
    int raw[6][3], count = 0, valid = 0;
    if (n < 6 || n > 8) return 0;
    /* year first: the 2-4 digits after it split into month and day */
    int year = number_of(d, 4);
    for (size_t i = 1; i <= 2; i++) {
        if (n - 4 >= i + 1 && n - 4 - i <= 2) {
            raw[count][0] = year;
            raw[count][1] = number_of(d + 4, i);
            raw[count][2] = number_of(d + 4 + i, n - 4 - i);
            count++;
        }
    }
    /* year last: the 2-4 digits before it are day and month, or month and day */
    year = number_of(d + n - 4, 4);
    for (size_t i = 1; i <= 2; i++) {
        if (n - 4 >= i + 1 && n - 4 - i <= 2) {
            int first = number_of(d, i), second = number_of(d + i, n - 4 - i);
            raw[count][0] = year;
            raw[count][1] = second;
            raw[count][2] = first;
            count++;
            raw[count][0] = year;
            raw[count][1] = first;
            raw[count][2] = second;
            count++;
        }
    }
    for (int r = 0; r < count; r++) {
        int y = raw[r][0], m = raw[r][1], day = raw[r][2];
        if (y < min_year || y > max_year || m < 1 || m > 12 || day < 1 || day > days_in_month(y, m)) continue;
        int v = y * 10000 + m * 100 + day, at = valid;
        for (int k = 0; k < valid; k++) {
            if (out[k] >= v) {
                at = k;
                break;
            }
        }
        if (at < valid && out[at] == v) continue;
        memmove(out + at + 1, out + at, (size_t)(valid - at) * sizeof(int));
        out[at] = v;
        valid++;
    }
    return valid;
}

/* Does normalize.ocr_readings find a number in a normalized ASCII chunk of letters and
 * digits: a run of [0-9olis] of min_id_digits or more with two digits, not all digits? */
static int ocr_number_readable(const uint8_t *c, size_t n, int min_id_digits) {
    for (size_t i = 0; i < n;) {
        size_t j = i, digits = 0;
        while (j < n && (is_digit(c[j]) || c[j] == 'o' || c[j] == 'l' || c[j] == 'i' || c[j] == 's')) {
            digits += is_digit(c[j]);
            j++;
        }
        if (j - i >= (size_t)min_id_digits && digits >= 2 && digits < j - i) return 1;
        i = j > i ? j : i + 1;
    }
    return 0;
}

/* Does normalize.ocr_readings find anything in it: a number, or a word (a run of [a-z015]
 * with two letters, not all letters)? */
static int ocr_readable(const uint8_t *c, size_t n, int min_id_digits) {
    if (ocr_number_readable(c, n, min_id_digits)) return 1;
    for (size_t i = 0; i < n;) {
        size_t j = i, letters = 0;
        while (j < n && (!is_digit(c[j]) || c[j] == '0' || c[j] == '1' || c[j] == '5')) {
            letters += !is_digit(c[j]);
            j++;
        }
        if (letters >= 2 && letters < j - i) return 1;
        i = j > i ? j : i + 1;
    }
    return 0;
}

/* A date (yyyymmdd) as its ISO string, YYYY-MM-DD. */
static void iso_of_date(int date, uint8_t iso[10]) {
    int y = date / 10000, m = date / 100 % 100, day = date % 100;
    iso[0] = (uint8_t)('0' + y / 1000);
    iso[1] = (uint8_t)('0' + y / 100 % 10);
    iso[2] = (uint8_t)('0' + y / 10 % 10);
    iso[3] = (uint8_t)('0' + y % 10);
    iso[4] = '-';
    iso[5] = (uint8_t)('0' + m / 10);
    iso[6] = (uint8_t)('0' + m % 10);
    iso[7] = '-';
    iso[8] = (uint8_t)('0' + day / 10);
    iso[9] = (uint8_t)('0' + day % 10);
}

/* keyed hash of a date's ISO string, "d:YYYY-MM-DD" */
static uint64_t date_key(const KeyState *ks, int date) {
    uint8_t iso[10];
    iso_of_date(date, iso);
    return keyed_hash(ks, 'd', iso, 10);
}

/* ------------------------------------------------ normalized chunks holding non-ASCII letters */

/* The CharFold of a non-ASCII code point, asked of Python (fold_char) the first time; NULL
 * on error. */
static CharFold *char_fold(FirstPass *fp, uint32_t cp) {
    CharFold **page = &char_pages[cp >> 8];
    if (*page == NULL) {
        *page = PyMem_Calloc(256, sizeof(CharFold));
        if (*page == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
    }
    CharFold *f = &(*page)[cp & 255];
    if (f->state != FOLD_UNKNOWN) return f;
    PyObject *answer = PyObject_CallFunction(fp->fold_char, "I", (unsigned int)cp);
    if (answer == NULL) return NULL;
    PyObject *folded;
    int token_class;
    if (!PyArg_ParseTuple(answer, "Oi", &folded, &token_class)) {
        Py_DECREF(answer);
        return NULL;
    }
    if (token_class < TOKEN_LETTER || token_class > TOKEN_OTHER) {
        Py_DECREF(answer);
        PyErr_SetString(PyExc_ValueError, "fold_char: a token class is 0, 1 or 2");
        return NULL;
    }
    uint8_t state = FOLD_UNSAFE;
    if (folded != Py_None) {
        char *bytes;
        Py_ssize_t length;
        if (PyBytes_AsStringAndSize(folded, &bytes, &length) < 0) {
            Py_DECREF(answer);
            return NULL;
        }
        /* only what token_bytes leaves: a-z, 0-9, space, non-ASCII UTF-8 */
        int plain = length <= FOLD_MAX_BYTES;
        for (Py_ssize_t i = 0; plain && i < length; i++) {
            uint8_t b = (uint8_t)bytes[i];
            plain = b >= 0x80 || b == ' ' || BYTE_CLASS[b] > C_HIGH;
        }
        if (plain) {
            memcpy(f->bytes, bytes, (size_t)length);
            f->length = (uint8_t)length;
            state = FOLD_SAFE;
        }
    }
    Py_DECREF(answer);
    f->token_class = (uint8_t)token_class;
    f->state = state;
    return f;
}

/* The code point of the valid UTF-8 character at c (made by Python), and its length. */
static inline uint32_t utf8_char(const uint8_t *c, size_t *length) {
    if (c[0] < 0x80) {
        *length = 1;
        return c[0];
    }
    if (c[0] < 0xE0) {
        *length = 2;
        return (uint32_t)(c[0] & 0x1F) << 6 | (c[1] & 0x3F);
    }
    if (c[0] < 0xF0) {
        *length = 3;
        return (uint32_t)(c[0] & 0x0F) << 12 | (uint32_t)(c[1] & 0x3F) << 6 | (c[2] & 0x3F);
    }
    *length = 4;
    return (uint32_t)(c[0] & 0x07) << 18 | (uint32_t)(c[1] & 0x3F) << 12 | (uint32_t)(c[2] & 0x3F) << 6 |
           (c[3] & 0x3F);
}

/* The TOKEN_ class of the character at c[i] of a normalized chunk and its length in bytes;
 * -1 on error. */
static inline int char_class(FirstPass *fp, const uint8_t *c, size_t i, size_t *length) {
    if (c[i] < 0x80) {
        *length = 1;
        return is_digit(c[i]) ? TOKEN_DIGIT : TOKEN_LETTER;
    }
    CharFold *f = char_fold(fp, utf8_char(c + i, length));
    return f ? f->token_class : -1;
}

/* What the prefilter finds of one token (TOKEN_ bits): its key is a prefilter key; it is a
 * month name; as digits, its id number or one of its date readings is a prefilter key. Its
 * key goes to *key. */
enum { TOKEN_IS_KEY = 1, TOKEN_IS_MONTH = 2, TOKEN_ID_IS_KEY = 4, TOKEN_DATE_IS_KEY = 8 };

/* token_bits of a token of at most SHORT_MESSAGE_DATA digits: the messages of its key, its id
 * number and its date readings (at most eight, all short) keyed HASH_LANES at once. */
static int digit_token_bits(FirstPass *fp, const uint8_t *c, size_t len, uint64_t *key) {
    ShortMessage messages[2 + 6];
    uint64_t keys[2 + 6];
    int count = 0, dates[6];
    messages[count++] = short_message('t', c, len);
    int id = (int)len >= fp->min_id_digits;
    if (id) messages[count++] = short_message('n', c, len);
    int readings = len >= 6 && len <= 8 ? date_readings(c, len, fp->date_min_year, fp->date_max_year, dates) : 0;
    for (int r = 0; r < readings; r++) {
        uint8_t iso[10];
        iso_of_date(dates[r], iso);
        messages[count++] = short_message('d', iso, 10);
    }
    for (int k = 0; k < count; k += HASH_LANES)
        keyed_hash_short_many(&fp->key, messages + k, count - k < HASH_LANES ? count - k : HASH_LANES, keys + k);
    *key = keys[0];
    int bits = is_prefilter_key(fp, keys[0]) ? TOKEN_IS_KEY : 0;
    if (id && is_prefilter_key(fp, keys[1])) bits |= TOKEN_ID_IS_KEY;
    for (int r = 1 + id; r < count; r++) {
        if (is_prefilter_key(fp, keys[r])) {
            bits |= TOKEN_DATE_IS_KEY;
            break;
        }
    }
    return bits;
}

static int token_bits(FirstPass *fp, const uint8_t *c, size_t len, int digits, uint64_t *key) {
    if (digits && len <= SHORT_MESSAGE_DATA) return digit_token_bits(fp, c, len, key);
    *key = keyed_hash(&fp->key, 't', c, len);
    int bits = is_prefilter_key(fp, *key) ? TOKEN_IS_KEY : 0;
    if (!digits) return bits | (is_month_key(fp, *key) ? TOKEN_IS_MONTH : 0);
    /* (a token of more than SHORT_MESSAGE_DATA digits reads as no date) */
    if ((int)len >= fp->min_id_digits && is_prefilter_key(fp, keyed_hash(&fp->key, 'n', c, len))) bits |= TOKEN_ID_IS_KEY;
    return bits;
}

/* token_bits through the token table (up to 16 bytes, the last token met in each slot). */
static int cached_token_bits(FirstPass *fp, const uint8_t *c, size_t len, int digits) {
    uint64_t key;
    if (len > 2 * SHORT_CHUNK) return token_bits(fp, c, len, digits, &key);
    uint64_t low = short_key(c, len < SHORT_CHUNK ? len : SHORT_CHUNK);
    uint64_t high = len > SHORT_CHUNK ? short_key(c + SHORT_CHUNK, len - SHORT_CHUNK) : 0;
    size_t h = (size_t)mix64(low ^ mix64(high + len)) & (TOKEN_SLOTS - 1);
    HotSlot *slot = &fp->token_keys[h];
    if (slot->low == low && slot->high == high) return fp->token_bits[h];
    int bits = token_bits(fp, c, len, digits, &key);
    *slot = (HotSlot){low, high};
    fp->token_bits[h] = (uint8_t)bits;
    return bits;
}

/* What chunks.chunk_prefilter_info finds of a normalized chunk (``normalize.token_bytes``
 * of folded text: a-z, 0-9 and non-ASCII characters): strength id_hit when one of its id
 * numbers is a prefilter key, 1 when a token or a date is, else 0; INFO_DATE when a date
 * is; INFO_WORD when it is one token of at least min_word_bytes bytes, not all digits, that
 * some record holds; INFO_NUMBER, INFO_MONTH, INFO_YEAR, INFO_OTHER_NUMBER as
 * chunks.number_traits. (With an id number found, the other flags no longer matter: the
 * line is a candidate.) Tokens are chunk_tokens': runs of letters, runs of digits, other
 * characters dropped. -1 on error; -2 for a non-ASCII digit, which this pass leaves to
 * Python (ids and dates are read from ASCII digits here). */
static int chunk_info(FirstPass *fp, const uint8_t *c, size_t n) {
    int strength = 0, date = 0, tokens = 0, traits = 0, other = 0, all_digits = n > 0;
    uint64_t first_key = 0;
    size_t i = 0, step, first = 0, first_length = 0;
    while (i < n) {
        int kind = char_class(fp, c, i, &step);
        if (kind < 0) return -1;
        all_digits &= c[i] < 0x80 && kind == TOKEN_DIGIT;
        if (kind == TOKEN_OTHER) {
            other = 1;
            i += step;
            continue;
        }
        if (kind == TOKEN_DIGIT && c[i] >= 0x80) return -2;
        size_t j = i + step;
        while (j < n) {
            int next = char_class(fp, c, j, &step);
            if (next < 0) return -1;
            if (next != kind) break;
            if (kind == TOKEN_DIGIT && c[j] >= 0x80) return -2;
            j += step;
        }
        size_t len = j - i;
        /* a token alone in its chunk is keyed here (its key may be a word's, below); one of
         * several through the token table (many chunks share their tokens: x86, 0x1f, v2) */
        int bits = i == 0 && j == n ? token_bits(fp, c, len, kind == TOKEN_DIGIT, &first_key)
                                    : cached_token_bits(fp, c + i, len, kind == TOKEN_DIGIT);
        if (tokens++ == 0) {
            first = i;
            first_length = len;
        }
        if (bits & TOKEN_IS_KEY) strength = 1;
        if (kind == TOKEN_DIGIT) {
            if (len == 4) traits |= INFO_YEAR;
            if ((int)len >= fp->min_id_digits) {
                traits |= INFO_NUMBER;
                if (bits & TOKEN_ID_IS_KEY) return fp->id_hit | INFO_NUMBER | INFO_OTHER_NUMBER;
                int dates[6];
                if (date_readings(c + i, len, fp->date_min_year, fp->date_max_year, dates) == 0)
                    traits |= INFO_OTHER_NUMBER;
            }
            if (bits & TOKEN_DATE_IS_KEY) date = strength = 1;
        } else if (bits & TOKEN_IS_MONTH) {
            traits |= INFO_MONTH;
        }
        i = j;
    }
    if (tokens >= 2) {
        /* OCR look-alikes are read in the tokens joined (normalize.number_traits) */
        int readable;
        if (!other) {
            readable = ocr_number_readable(c, n, fp->min_id_digits);
        } else {
            uint8_t *joined = PyMem_Malloc(n);
            if (joined == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            size_t m = 0;
            for (i = 0; i < n; i += step) {
                int kind = char_class(fp, c, i, &step);
                if (kind < 0) {
                    PyMem_Free(joined);
                    return -1;
                }
                if (kind != TOKEN_OTHER) {
                    memcpy(joined + m, c + i, step);
                    m += step;
                }
            }
            readable = ocr_number_readable(joined, m, fp->min_id_digits);
            PyMem_Free(joined);
        }
        if (readable) traits |= INFO_NUMBER | INFO_OTHER_NUMBER;
    }
    int word = tokens == 1 && !all_digits && (int)n >= fp->min_word_bytes;
    if (word && first_length != n) first_key = keyed_hash(&fp->key, 't', c + first, first_length);
    word = word && is_known_key(fp, first_key);
    return strength | traits | (date ? INFO_DATE : 0) | (word ? INFO_WORD : 0);
}

/* Remember a chunk that memo_find did not find (its slot may move when the table grows). */
static int memo_put(Memo *m, const uint8_t *c, size_t n, uint64_t hash, int raw, int info) {
    if (memo_full(m)) return 0;
    if (memo_make_room(m) < 0) return -1;
    MemoSlot *slot = memo_find(m, c, n, hash, raw);
    *slot = (MemoSlot){n <= SHORT_CHUNK ? short_key(c, n) : hash, 0, (uint8_t)n, (uint8_t)raw, (uint8_t)info};
    if (n > SHORT_CHUNK) {
        if (bytes_reserve(&m->arena, n) < 0) return -1;
        memcpy(m->arena.data + m->arena.size, c, n);
        slot->offset = (uint32_t)m->arena.size;
        m->arena.size += n;
    }
    m->count++;
    return 0;
}

/* A chunk of up to 16 bytes is remembered in the hot table too: the chunks met last (most
 * text is a few thousand words, met again and again), in a table small enough to stay in the
 * processor's cache (the memo's table outgrows it), keyed by their bytes (two short keys). */
static inline void remember_hot(FirstPass *fp, const uint8_t *c, size_t n, uint64_t hash, int info) {
    if (n > 2 * SHORT_CHUNK) return;
    size_t i = (size_t)hash & (HOT_SLOTS - 1);
    fp->hot[i] = (HotSlot){short_key(c, n < SHORT_CHUNK ? n : SHORT_CHUNK),
                           n > SHORT_CHUNK ? short_key(c + SHORT_CHUNK, n - SHORT_CHUNK) : 0};
    fp->hot_info[i] = (uint8_t)info;
}

#define NOT_REMEMBERED (-3)

/* The chunk_info of a normalized chunk (hash: its chunk_hash) that the hot table holds, else
 * NOT_REMEMBERED. */
static inline int hot_info(const FirstPass *fp, const uint8_t *c, size_t n, uint64_t hash) {
    if (n > 2 * SHORT_CHUNK) return NOT_REMEMBERED;
    uint64_t low = short_key(c, n < SHORT_CHUNK ? n : SHORT_CHUNK);
    uint64_t high = n > SHORT_CHUNK ? short_key(c + SHORT_CHUNK, n - SHORT_CHUNK) : 0;
    size_t i = (size_t)hash & (HOT_SLOTS - 1);
    return fp->hot[i].low == low && fp->hot[i].high == high ? fp->hot_info[i] : NOT_REMEMBERED;
}

/* The chunk_info of a normalized chunk (hash: its chunk_hash) that the memo holds (the hot
 * table learns it), else NOT_REMEMBERED. */
static inline int memo_held_info(FirstPass *fp, const uint8_t *c, size_t n, uint64_t hash) {
    if (n > MEMO_MAX_CHUNK) return NOT_REMEMBERED;
    MemoSlot *slot = memo_find(&fp->memo, c, n, hash, 0);
    if (slot->length == 0) return NOT_REMEMBERED;
    remember_hot(fp, c, n, hash, slot->info);
    return slot->info;
}

/* chunk_info of a chunk not remembered, remembered (-1 on error, -2 as chunk_info). */
static int learn_info(FirstPass *fp, const uint8_t *c, size_t n, uint64_t hash) {
    int info = chunk_info(fp, c, n);
    if (info < 0) return info;
    if (n <= MEMO_MAX_CHUNK && memo_put(&fp->memo, c, n, hash, 0, info) < 0) return -1;
    remember_hot(fp, c, n, hash, info);
    return info;
}

/* chunk_info of a normalized chunk, through the hot table and the memo. */
static inline int known_info(FirstPass *fp, const uint8_t *c, size_t n, uint64_t hash) {
    int info = hot_info(fp, c, n, hash);
    if (info == NOT_REMEMBERED) info = memo_held_info(fp, c, n, hash);
    return info != NOT_REMEMBERED ? info : learn_info(fp, c, n, hash);
}

/* chunk_info of a chunk of letters (one token) from its token key: a prefilter key, a month
 * name, a word some record holds. */
static inline int letters_info(const FirstPass *fp, uint64_t key, size_t n) {
    int info = is_prefilter_key(fp, key) ? 1 : 0;
    if (is_month_key(fp, key)) info |= INFO_MONTH;
    if ((int)n >= fp->min_word_bytes && is_known_key(fp, key)) info |= INFO_WORD;
    return info;
}

static inline int all_letters(const uint8_t *c, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (c[i] < 'a') return 0; /* a digit: normalized ASCII chunks hold a-z and 0-9 */
    return 1;
}

/* Per-document state of the pass. */
typedef struct {
    long long line_strength, doc_strength, strongest_line, strongest_numbered_line, strongest_dated_line;
    size_t doc_distinct;
    int line_flags, doc_flags; /* the INFO_ flags of the line's chunks, of the document's */
} Tally;

#define DOC_DISTINCT_CAP 1024 /* distinct hit chunks counted per document (the caller needs 17) */

static int count_hit(FirstPass *fp, Tally *t, const uint8_t *c, size_t n, uint64_t hash, int info) {
    int strength = info & INFO_STRENGTH;
    t->line_flags |= info;
    t->doc_flags |= info;
    if (!strength) return 0;
    int added = hitset_add(&fp->line_hits, &fp->hit_arena, c, n, hash);
    if (added < 0) return -1;
    if (added) t->line_strength += strength;
    if (t->doc_distinct < DOC_DISTINCT_CAP) {
        added = hitset_add(&fp->doc_hits, &fp->hit_arena, c, n, hash);
        if (added < 0) return -1;
        if (added) {
            t->doc_distinct++;
            t->doc_strength += strength;
        }
    }
    return 0;
}

/* The chunks waiting for their keys (queue_chunk), keyed at once, then remembered and counted
 * in the order they came: before any later hit is counted (a document's distinct hits are
 * counted up to DOC_DISTINCT_CAP, in order), before a line ends, before a chunk with non-ASCII
 * characters. */
static __attribute__((noinline)) int flush_pending(FirstPass *fp, Tally *t) {
    int count = fp->pending_count;
    if (count == 0) return 0;
    fp->pending_count = 0;
    ShortMessage messages[HASH_LANES] = {{0}};
    uint64_t keys[HASH_LANES];
    for (int k = 0; k < count; k++) messages[k] = short_message('t', fp->pending[k].bytes, fp->pending[k].length);
    keyed_hash_short_many(&fp->key, messages, count, keys);
    /* each key's byte of the bitset of known keys (a cache miss each, most of this function's
     * time), asked for at once */
    for (int k = 0; k < count && fp->bits.len; k++) PREFETCH((const uint8_t *)fp->bits.buf + ((keys[k] & fp->bits_mask) >> 3));
    for (int k = 0; k < count; k++) {
        const PendingChunk *p = &fp->pending[k];
        int info = letters_info(fp, keys[k], p->length);
        if (memo_put(&fp->memo, p->bytes, p->length, p->hash, 0, info) < 0) return -1;
        remember_hot(fp, p->bytes, p->length, p->hash, info);
        if (info && count_hit(fp, t, p->bytes, p->length, p->hash, info) < 0) return -1;
    }
    return 0;
}

/* flush_pending when some chunk waits (most of the time none does: a call saved a line). */
static inline int flushed(FirstPass *fp, Tally *t) { return fp->pending_count ? flush_pending(fp, t) : 0; }

/* A new chunk of letters (not in the hot table nor the memo) of at most SHORT_MESSAGE_DATA
 * bytes waits for its key until HASH_LANES of them do (most new chunks of a cold pass are such
 * words); the same chunk met again meanwhile is counted once, where it was first met, as it
 * would be once remembered. */
static int queue_chunk(FirstPass *fp, Tally *t, const uint8_t *c, size_t n, uint64_t hash) {
    for (int k = 0; k < fp->pending_count; k++) {
        const PendingChunk *p = &fp->pending[k];
        if (p->hash == hash && p->length == n && memcmp(p->bytes, c, n) == 0) return 0;
    }
    PendingChunk *p = &fp->pending[fp->pending_count++];
    p->hash = hash;
    p->length = n;
    memcpy(p->bytes, c, n);
    return fp->pending_count == HASH_LANES ? flush_pending(fp, t) : 0;
}

/* A raw chunk (UTF-8) with a character this pass does not fold: Python's fold tells what
 * its normalized chunks are. A raw chunk that is nothing to the prefilter is remembered. */
static int fold_in_python(FirstPass *fp, Tally *t, const uint8_t *raw, size_t n) {
    MemoSlot *slot = NULL;
    uint64_t hash = 0;
    if (n <= MEMO_MAX_CHUNK) {
        hash = chunk_hash(raw, n);
        slot = memo_find(&fp->memo, raw, n, hash, 1);
        if (slot->length != 0) return 0; /* only raw chunks that are nothing are remembered */
    }
    PyObject *hits = PyObject_CallFunction(fp->fold, "y#", (const char *)raw, (Py_ssize_t)n);
    if (!hits) return -1;
    PyObject *seq = PySequence_Fast(hits, "fold must return a sequence");
    Py_DECREF(hits);
    if (!seq) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count == 0 && slot != NULL && memo_put(&fp->memo, raw, n, hash, 1, 0) < 0) {
        Py_DECREF(seq);
        return -1;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, k);
        const char *chunk;
        Py_ssize_t length;
        int info;
        if (!PyArg_ParseTuple(item, "y#i", &chunk, &length, &info)) {
            Py_DECREF(seq);
            return -1;
        }
        if (info != 0 &&
            count_hit(fp, t, (const uint8_t *)chunk, (size_t)length, chunk_hash((const uint8_t *)chunk, length),
                      info) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

/* Code points [start, end) of a str in UTF-8, lone surrogates as three bytes (Python's
 * "surrogatepass"), into out. */
static int utf8_of(Bytes *out, const void *text, int kind, size_t start, size_t end) {
    out->size = 0;
    if (bytes_reserve(out, 4 * (end - start)) < 0) return -1;
    uint8_t *o = out->data;
    for (size_t i = start; i < end; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, text, i);
        if (cp < 0x80) {
            *o++ = (uint8_t)cp;
        } else if (cp < 0x800) {
            *o++ = (uint8_t)(0xC0 | cp >> 6);
            *o++ = (uint8_t)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *o++ = (uint8_t)(0xE0 | cp >> 12);
            *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
            *o++ = (uint8_t)(0x80 | (cp & 0x3F));
        } else {
            *o++ = (uint8_t)(0xF0 | cp >> 18);
            *o++ = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
            *o++ = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
            *o++ = (uint8_t)(0x80 | (cp & 0x3F));
        }
    }
    out->size = (size_t)(o - out->data);
    return 0;
}

/* A raw chunk, code points [start, end) of the text, holding non-ASCII characters: folded
 * here when each of them folds alone (char_fold), into normalized chunks (a folded character
 * may hold spaces: "⑴" is " 1 "), each counted as the main loop counts ASCII chunks; else
 * folded whole in Python. */
static int fold_high_chunk(FirstPass *fp, Tally *t, const void *text, int kind, size_t start, size_t end) {
    Bytes *folded = &fp->pieces;
    folded->size = 0;
    for (size_t i = start; i < end; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, text, i);
        if (cp < 0x80) {
            uint8_t c = BYTE_CLASS[cp];
            if (c > C_HIGH) { /* else a deleted byte: the raw chunk holds no separator */
                if (bytes_reserve(folded, 1) < 0) return -1;
                folded->data[folded->size++] = c;
            }
            continue;
        }
        CharFold *f = char_fold(fp, cp);
        if (f == NULL) return -1;
        if (f->state != FOLD_SAFE) goto in_python;
        if (bytes_reserve(folded, f->length) < 0) return -1;
        memcpy(folded->data + folded->size, f->bytes, f->length);
        folded->size += f->length;
    }
    /* the infos first (a non-ASCII digit sends the whole raw chunk to Python), then the hits */
    for (int counting = 0; counting <= 1; counting++) {
        const uint8_t *c = folded->data;
        size_t n = folded->size;
        for (size_t i = 0; i < n;) {
            if (c[i] == ' ') {
                i++;
                continue;
            }
            size_t j = i;
            while (j < n && c[j] != ' ') j++;
            uint64_t hash = chunk_hash(c + i, j - i);
            int info = known_info(fp, c + i, j - i, hash);
            if (info == -2) goto in_python;
            if (info < 0) return -1;
            if (counting && info && count_hit(fp, t, c + i, j - i, hash, info) < 0) return -1;
            i = j;
        }
    }
    return 0;
in_python:
    if (utf8_of(&fp->raw, text, kind, start, end) < 0) return -1;
    return fold_in_python(fp, t, fp->raw.data, fp->raw.size);
}

/* A row of lines(): line, start, end (code points), strength, number flags (int64 each). */
#define ROW_FIELDS 5
/* Number flags (chunks.line_number_flags), and one of this pass (first_pass.py's
 * LINE_NO_DATASET_DATE): the line's only numbers are dates, and none of the dates
 * DateWordTest reads in it (digit dates, spelled dates) is a date the prefilter looks for,
 * so no record holds one of its dates (every date of the dataset is a prefilter key) and
 * DateWordTest drops it. */
#define LINE_NUMBERED 1
#define LINE_ONLY_DATES 2
#define LINE_NO_DATASET_DATE 4

static int spelled_date_of_dataset(FirstPass *fp, const void *text, int kind, size_t start, size_t end);

static int end_line(FirstPass *fp, Tally *t, const void *text, int kind, long long line, size_t start, size_t end) {
    if (flushed(fp, t) < 0) return -1;
    /* a date of the dataset beside a word of the dataset, however common (J. Sezer, 1986-11-15) */
    if ((t->line_flags & (INFO_DATE | INFO_WORD)) == (INFO_DATE | INFO_WORD) && t->line_strength < fp->id_hit)
        t->line_strength = fp->id_hit;
    if (t->line_strength > 0) {
        /* what the matcher may read as an id number or a date, and whether only dates
         * (chunks.line_number_flags) */
        int spelled = (t->line_flags & (INFO_MONTH | INFO_YEAR)) == (INFO_MONTH | INFO_YEAR);
        int numbered = (t->line_flags & INFO_NUMBER) || spelled ? LINE_NUMBERED : 0;
        if (numbered && !(t->line_flags & INFO_OTHER_NUMBER)) {
            numbered |= LINE_ONLY_DATES;
            /* its digit dates (INFO_DATE: one is a prefilter key), then its spelled dates
             * (only around a month name: read in the line, a few such lines a document) */
            int of_dataset = (t->line_flags & INFO_DATE) != 0;
            if (!of_dataset && (t->line_flags & INFO_MONTH)) of_dataset = spelled_date_of_dataset(fp, text, kind, start, end);
            if (of_dataset < 0) return -1;
            if (!of_dataset) numbered |= LINE_NO_DATASET_DATE;
        }
        if (bytes_reserve(&fp->out, ROW_FIELDS * sizeof(int64_t)) < 0) return -1;
        int64_t row[ROW_FIELDS] = {line, (int64_t)start, (int64_t)end, t->line_strength, numbered};
        if (t->line_strength > t->strongest_line) t->strongest_line = t->line_strength;
        if ((numbered & LINE_NUMBERED) && t->line_strength > t->strongest_numbered_line)
            t->strongest_numbered_line = t->line_strength;
        if ((numbered & LINE_NUMBERED) && !(numbered & LINE_NO_DATASET_DATE) && t->line_strength > t->strongest_dated_line)
            t->strongest_dated_line = t->line_strength;
        memcpy(fp->out.data + fp->out.size, row, sizeof row);
        fp->out.size += sizeof row;
    }
    t->line_strength = 0;
    t->line_flags = 0;
    hitset_clear(&fp->line_hits);
    return 0;
}

/* The class (BYTE_CLASS) of the code point at text[i]. */
static inline __attribute__((always_inline)) uint8_t class_at(const void *text, const int kind, size_t i) {
    if (kind == PyUnicode_1BYTE_KIND) return BYTE_CLASS[((const uint8_t *)text)[i]]; /* >= 0x80: C_HIGH */
    Py_UCS4 cp = PyUnicode_READ(kind, text, i);
    return cp < 0x80 ? BYTE_CLASS[cp] : C_HIGH;
}

/* The hit of a chunk, counted after the chunks waiting for their keys (the rare path). */
static __attribute__((noinline)) int count_in_order(FirstPass *fp, Tally *t, const uint8_t *c, size_t n, uint64_t hash,
                                                     int info) {
    return flushed(fp, t) < 0 ? -1 : count_hit(fp, t, c, n, hash, info);
}

/* A chunk the hot table does not hold (out of the main loop: most chunks are in the hot table):
 * found in the memo, or new: a new word of letters waits for its key (queue_chunk), any other
 * chunk is learnt at once. */
static __attribute__((noinline)) int end_chunk_not_hot(FirstPass *fp, Tally *t, const uint8_t *c, size_t n,
                                                        uint64_t hash) {
    int info = memo_held_info(fp, c, n, hash);
    if (info == NOT_REMEMBERED) {
        if (vector_hashing && n <= SHORT_MESSAGE_DATA && all_letters(c, n)) return queue_chunk(fp, t, c, n, hash);
        info = learn_info(fp, c, n, hash);
        if (info < 0) return -1; /* (an ASCII chunk has no non-ASCII digit) */
    }
    return info ? count_in_order(fp, t, c, n, hash, info) : 0;
}

/* A chunk ended: its normalized bytes are in fp->norm (high: it holds non-ASCII characters,
 * code points [start, end) of the text). */
static inline __attribute__((always_inline)) int end_chunk(FirstPass *fp, Tally *t, const void *text, int kind,
                                                           size_t start, size_t end, int high) {
    if (high) return flushed(fp, t) < 0 ? -1 : fold_high_chunk(fp, t, text, kind, start, end);
    const uint8_t *c = fp->norm.data;
    size_t n = fp->norm.size;
    if (n == 0) return 0; /* only deleted bytes ("--") */
    uint64_t hash = chunk_hash(c, n);
    int info = hot_info(fp, c, n, hash);
    if (info == NOT_REMEMBERED) return end_chunk_not_hot(fp, t, c, n, hash);
    return info ? count_in_order(fp, t, c, n, hash, info) : 0;
}

/* One pass over the code points of a str of one PyUnicode kind (inlined for each, so that
 * the kind is a constant): separators skipped, then a chunk's characters normalized into
 * fp->norm in a tight loop; rows (line, start, end, strength, number flags) of lines with
 * hits go to out, start and end in code points. */
static inline __attribute__((always_inline)) int first_pass(FirstPass *fp, const void *text, const int kind,
                                                             size_t size, Tally *t) {
    long long line = 0;
    size_t line_start = 0, i = 0;
    if (bytes_reserve(&fp->norm, size > 4096 ? 4096 : size + 1) < 0) return -1;
    for (;;) {
        uint8_t c = C_SEP;
        while (i < size && (c = class_at(text, kind, i)) == C_SEP) i++;
        if (i == size) break;
        if (c == C_NEWLINE) {
            if (end_line(fp, t, text, kind, line, line_start, i) < 0) return -1;
            line++;
            line_start = ++i;
            continue;
        }
        size_t start = i;
        int high = 0;
        uint8_t *norm = fp->norm.data;
        size_t n = 0, room = fp->norm.capacity;
        for (; i < size; i++) {
            c = class_at(text, kind, i);
            if (c > C_HIGH) { /* a normalized letter or digit */
                if (n == room) {
                    fp->norm.size = n;
                    if (bytes_reserve(&fp->norm, 1) < 0) return -1;
                    norm = fp->norm.data;
                    room = fp->norm.capacity;
                }
                norm[n++] = c;
            } else if (c == C_HIGH) {
                high = 1;
            } else if (c != C_DELETED) {
                break; /* a separator or a newline ends the chunk */
            }
        }
        fp->norm.size = n;
        if (end_chunk(fp, t, text, kind, start, i, high) < 0) return -1;
    }
    return end_line(fp, t, text, kind, line, line_start, size);
}

static int first_pass_ucs1(FirstPass *fp, const void *text, size_t size, Tally *t) {
    return first_pass(fp, text, PyUnicode_1BYTE_KIND, size, t);
}

static int first_pass_ucs2(FirstPass *fp, const void *text, size_t size, Tally *t) {
    return first_pass(fp, text, PyUnicode_2BYTE_KIND, size, t);
}

static int first_pass_ucs4(FirstPass *fp, const void *text, size_t size, Tally *t) {
    return first_pass(fp, text, PyUnicode_4BYTE_KIND, size, t);
}

static PyObject *FirstPass_lines(FirstPass *fp, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "lines() takes the document's text (str)");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(arg) < 0) return NULL;
#endif
    if (fp->busy) {
        PyErr_SetString(PyExc_RuntimeError, "FirstPass.lines is already running (one thread at a time)");
        return NULL;
    }
    if (memo_full(&fp->memo) && memo_clear(&fp->memo) < 0) return NULL;
    fp->busy = 1;
    fp->pending_count = 0;
    fp->out.size = fp->hit_arena.size = 0;
    hitset_clear(&fp->line_hits);
    hitset_clear(&fp->doc_hits);
    Tally t = {0};
    const void *text = PyUnicode_DATA(arg);
    size_t size = (size_t)PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg), failed;
    Py_INCREF(arg); /* the fold callbacks run Python */
    if (kind == PyUnicode_1BYTE_KIND) failed = first_pass_ucs1(fp, text, size, &t) < 0;
    else if (kind == PyUnicode_2BYTE_KIND) failed = first_pass_ucs2(fp, text, size, &t) < 0;
    else failed = first_pass_ucs4(fp, text, size, &t) < 0;
    Py_DECREF(arg);
    fp->busy = 0;
    PyObject *result = NULL;
    if (!failed)
        result = Py_BuildValue("nLNy#(LLL)", (Py_ssize_t)t.doc_distinct, t.doc_strength,
                               PyBool_FromLong((t.doc_flags & (INFO_DATE | INFO_WORD)) == (INFO_DATE | INFO_WORD)),
                               fp->out.data ? (const char *)fp->out.data : "", (Py_ssize_t)fp->out.size,
                               t.strongest_line, t.strongest_numbered_line, t.strongest_dated_line);
    /* what one huge document needed is not kept for the next */
    if (fp->out.capacity > (1 << 20)) bytes_free(&fp->out);
    if (fp->hit_arena.capacity > (1 << 20)) bytes_free(&fp->hit_arena);
    if (fp->norm.capacity > (1 << 16)) bytes_free(&fp->norm);
    if (fp->raw.capacity > (1 << 16)) bytes_free(&fp->raw);
    if (fp->pieces.capacity > (1 << 16)) bytes_free(&fp->pieces);
    if (fp->line_hits.capacity > 4096 || fp->doc_hits.capacity > 4096) {
        hitset_free(&fp->line_hits);
        hitset_free(&fp->doc_hits);
        if (hitset_init(&fp->line_hits) < 0 || hitset_init(&fp->doc_hits) < 0) {
            Py_XDECREF(result);
            return NULL;
        }
    }
    return result;
}

/* token_bytes(fold_text(...)) of code points [start, end) of a text holding no newline, into
 * out: 1, or 0 when a character does not fold alone (the caller folds it in Python), -1 on
 * error. */
static int normalized_line(FirstPass *fp, Bytes *out, const void *text, int kind, size_t start, size_t end) {
    out->size = 0;
    if (bytes_reserve(out, end - start) < 0) return -1;
    for (size_t i = start; i < end; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, text, i);
        if (cp < 0x80) {
            uint8_t c = BYTE_CLASS[cp];
            if (c == C_DELETED) continue;
            if (bytes_reserve(out, 1) < 0) return -1;
            out->data[out->size++] = c > C_HIGH ? c : c == C_NEWLINE ? '\n' : ' ';
            continue;
        }
        CharFold *f = char_fold(fp, cp);
        if (f == NULL) return -1;
        if (f->state != FOLD_SAFE) return 0;
        if (bytes_reserve(out, f->length) < 0) return -1;
        memcpy(out->data + out->size, f->bytes, f->length);
        out->size += f->length;
    }
    return 1;
}

/* ---------------------------------------------------------------- spelled dates */

/* normalize.textual_dates reads a month name's day and year among the DATE_WINDOW tokens on
 * each side of it (fillers skipped): the nearest before it, the first two after it. The
 * tokens (chunks.tokens_of_line: runs of letters, runs of digits of the line's token_bytes)
 * are read as the line goes, the last DATE_RING of them kept: memory does not grow with the
 * line, however long. */
#define DATE_WINDOW 4
#define DATE_RING 16 /* more than the 2 * DATE_WINDOW + 1 tokens a month name is read among */

/* A token: letters or digits, its length, and its first bytes (a longer one is no month
 * name, filler, day or year). */
typedef struct {
    size_t length;
    int digits;
    uint8_t bytes[MAX_DATE_WORD];
} DateToken;

typedef struct {
    DateToken ring[DATE_RING];
    size_t count; /* tokens read (the last DATE_RING of them in ring) */
} DateTokens;

static inline const DateToken *date_token(const DateTokens *d, size_t k) { return &d->ring[k % DATE_RING]; }

/* The DateWord a token is, or NULL: among the month names (months) or the fillers. */
static const DateWord *date_word(const FirstPass *fp, const DateToken *t, int months) {
    if (t->digits || t->length > MAX_DATE_WORD) return NULL;
    int from = months ? 0 : fp->month_count, to = months ? fp->month_count : fp->date_word_count;
    for (int k = from; k < to; k++) {
        const DateWord *w = &fp->date_words[k];
        if (w->length == t->length && memcmp(w->bytes, t->bytes, t->length) == 0) return w;
    }
    return NULL;
}

/* The date (yyyymmdd) of a day and a year token (NULL: none) in a month, or 0: a day of one
 * or two digits, a year of four, a valid date of a year in range. */
static int spelled_date(const FirstPass *fp, const DateToken *day, const DateToken *year, int month) {
    if (!day || !year || !day->digits || day->length > 2 || !year->digits || year->length != 4) return 0;
    int dd = number_of(day->bytes, day->length), yy = number_of(year->bytes, 4);
    if (yy < fp->date_min_year || yy > fp->date_max_year || dd < 1 || dd > days_in_month(yy, month)) return 0;
    return yy * 10000 + month * 100 + dd;
}

/* The dates around the token at index m when it is a month name, the tokens after it read
 * up to index last (exclusive), each handed to found (in textual_dates' order): 1 as soon as
 * found says so, else 0, -1 on error. */
static int dates_around(const FirstPass *fp, const DateTokens *d, size_t m, size_t last,
                        int (*found)(const FirstPass *, int, void *), void *state) {
    const DateWord *month = date_word(fp, date_token(d, m), 1);
    if (month == NULL) return 0;
    const DateToken *before = NULL, *after[2] = {NULL, NULL};
    for (size_t k = 1; k <= DATE_WINDOW && k <= m && before == NULL; k++)
        if (!date_word(fp, date_token(d, m - k), 0)) before = date_token(d, m - k);
    int n = 0;
    for (size_t k = m + 1; k <= m + DATE_WINDOW && k < last && n < 2; k++)
        if (!date_word(fp, date_token(d, k), 0)) after[n++] = date_token(d, k);
    const DateToken *pairs[3][2] = {{before, after[0]}, {after[0], after[1]}, {after[0], before}};
    for (int p = 0; p < 3; p++) {
        int date = spelled_date(fp, pairs[p][0], pairs[p][1], month->number);
        int stop = date ? found(fp, date, state) : 0;
        if (stop) return stop;
    }
    return 0;
}

/* The reading of a line's tokens: the last DATE_RING of them and the one being read. */
typedef struct {
    DateTokens d;
    DateToken *t; /* the token being read, or NULL */
    int (*found)(const FirstPass *, int, void *);
    void *state;
} DateReading;

/* One byte of the line's token_bytes (a normalized letter or digit, or a separator class)
 * into the reading: a token ended reads the dates around the month name DATE_WINDOW tokens
 * before it. What found says (1 stop, -1 error), else 0. */
static inline int read_date_byte(const FirstPass *fp, DateReading *r, uint8_t c) {
    int digits = is_digit(c);
    if (r->t != NULL && (c <= C_HIGH || r->t->digits != digits)) { /* the token ends */
        r->t = NULL;
        if (r->d.count > DATE_WINDOW) {
            int stop = dates_around(fp, &r->d, r->d.count - 1 - DATE_WINDOW, r->d.count, r->found, r->state);
            if (stop) return stop;
        }
    }
    if (c <= C_HIGH) return 0; /* a separator */
    if (r->t == NULL) {
        r->t = &r->d.ring[r->d.count++ % DATE_RING];
        r->t->length = 0;
        r->t->digits = digits;
    }
    if (r->t->length < MAX_DATE_WORD) r->t->bytes[r->t->length] = c;
    r->t->length++;
    return 0;
}

/* Reads the spelled dates of code points [start, end) of a text (as its token_bytes, then
 * tokens_of_line), in textual_dates' order, handing each to found: 1 as soon as found says so,
 * else 0, -1 on error. A line with a character that does not fold here to ASCII (one that
 * does not fold alone, or folds to a letter of another script) is not read: 1, as if a date
 * were found (the date-word test reads it). */
static int read_spelled_dates(FirstPass *fp, const void *text, int kind, size_t start, size_t end,
                              int (*found)(const FirstPass *, int, void *), void *state) {
    DateReading r;
    r.d.count = 0;
    r.t = NULL;
    r.found = found;
    r.state = state;
    for (size_t i = start; i < end; i++) {
        Py_UCS4 cp = PyUnicode_READ(kind, text, i);
        int stop = 0;
        if (cp < 0x80) {
            uint8_t c = BYTE_CLASS[cp];
            if (c != C_DELETED) stop = read_date_byte(fp, &r, c); /* "ma-rch" is march */
        } else {
            CharFold *f = char_fold(fp, cp);
            if (f == NULL) return -1;
            if (f->state != FOLD_SAFE) return 1;
            for (int k = 0; k < f->length && !stop; k++) {
                if (f->bytes[k] >= 0x80) return 1;
                stop = read_date_byte(fp, &r, BYTE_CLASS[f->bytes[k]]);
            }
        }
        if (stop) return stop;
    }
    int stop = read_date_byte(fp, &r, C_SEP); /* the last token ends */
    for (size_t m = r.d.count > DATE_WINDOW ? r.d.count - DATE_WINDOW : 0; !stop && m < r.d.count; m++)
        stop = dates_around(fp, &r.d, m, r.d.count, found, state);
    return stop;
}

/* found() callbacks of read_spelled_dates: is the date a prefilter key (stop); keep it. */
static int date_is_prefilter_key(const FirstPass *fp, int date, void *state) {
    (void)state;
    return is_prefilter_key(fp, date_key(&fp->key, date));
}

static int keep_date(const FirstPass *fp, int date, void *state) {
    (void)fp;
    return bytes_put((Bytes *)state, &date, sizeof date);
}

/* Does a line of code points [start, end) hold a spelled date that is a prefilter key (or
 * one this pass does not read): 1, 0, -1 on error. */
static int spelled_date_of_dataset(FirstPass *fp, const void *text, int kind, size_t start, size_t end) {
    return read_spelled_dates(fp, text, kind, start, end, date_is_prefilter_key, NULL);
}

/* The rows' lines as (line number, token_bytes(fold_text(line))) tuples, made here: building them
 * in Python (a list of ranges in, a zip of two lists out) cost more than folding the lines. */
static PyObject *FirstPass_line_bytes(FirstPass *fp, PyObject *args) {
    PyObject *text;
    Py_buffer view;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &view)) return NULL;
    PyObject *result = NULL, *unfolded = NULL;
    Bytes out = {0};
    if (view.len % (ROW_FIELDS * 8)) {
        PyErr_SetString(PyExc_ValueError, "rows must be int64 rows of lines() (line, start, end, strength, flags)");
        goto done;
    }
    const int64_t *rows = view.buf;
    Py_ssize_t count = view.len / (ROW_FIELDS * 8), length = PyUnicode_GET_LENGTH(text);
    if (!(result = PyList_New(count)) || !(unfolded = PyList_New(0))) goto failed;
    for (Py_ssize_t k = 0; k < count; k++) {
        const int64_t *row = rows + k * ROW_FIELDS;
        if (row[1] < 0 || row[2] < row[1] || row[2] > length) {
            PyErr_SetString(PyExc_ValueError, "a range out of the text");
            goto failed;
        }
        int folded = normalized_line(fp, &out, PyUnicode_DATA(text), PyUnicode_KIND(text), (size_t)row[1], (size_t)row[2]);
        if (folded < 0) goto failed;
        PyObject *line = folded ? PyBytes_FromStringAndSize(out.data ? (const char *)out.data : "", (Py_ssize_t)out.size)
                                : Py_NewRef(Py_None);
        PyObject *pair = line ? Py_BuildValue("(LN)", (long long)row[0], line) : NULL;
        if (!pair) goto failed;
        PyList_SET_ITEM(result, k, pair);
        if (!folded) {
            PyObject *at = PyLong_FromSsize_t(k);
            if (!at || PyList_Append(unfolded, at) < 0) {
                Py_XDECREF(at);
                goto failed;
            }
            Py_DECREF(at);
        }
    }
    {
        PyObject *both = Py_BuildValue("(OO)", result, unfolded);
        Py_DECREF(result);
        result = both;
    }
    goto done;
failed:
    Py_CLEAR(result);
done:
    Py_XDECREF(unfolded);
    bytes_free(&out);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *FirstPass_chunk_info(FirstPass *fp, PyObject *arg) {
    Py_buffer chunk;
    if (PyObject_GetBuffer(arg, &chunk, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *c = (const uint8_t *)chunk.buf;
    int plain = 1;
    for (Py_ssize_t i = 0; plain && i < chunk.len; i++) plain = c[i] >= 0x80 || BYTE_CLASS[c[i]] > C_HIGH;
    PyObject *valid = plain ? PyUnicode_DecodeUTF8((const char *)c, chunk.len, "strict") : NULL;
    if (valid == NULL) {
        PyBuffer_Release(&chunk);
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "not a normalized chunk (a-z, 0-9 and non-ASCII UTF-8)");
        return NULL;
    }
    Py_DECREF(valid);
    int info = chunk.len ? chunk_info(fp, c, (size_t)chunk.len) : 0;
    PyBuffer_Release(&chunk);
    if (info == -2) PyErr_SetString(PyExc_ValueError, "a chunk with non-ASCII digits is folded in Python");
    return info < 0 ? NULL : PyLong_FromLong(info);
}

static PyObject *FirstPass_is_prefilter_key(FirstPass *fp, PyObject *arg) {
    unsigned long long key = PyLong_AsUnsignedLongLong(arg);
    if (key == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    return PyBool_FromLong(is_prefilter_key(fp, (uint64_t)key));
}

static PyObject *FirstPass_is_known_key(FirstPass *fp, PyObject *arg) {
    unsigned long long key = PyLong_AsUnsignedLongLong(arg);
    if (key == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    return PyBool_FromLong(is_known_key(fp, (uint64_t)key));
}

static PyObject *FirstPass_spelled_dates(FirstPass *fp, PyObject *arg) {
    Py_buffer line;
    if (PyObject_GetBuffer(arg, &line, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *c = (const uint8_t *)line.buf;
    int plain = 1;
    for (Py_ssize_t i = 0; plain && i < line.len; i++) plain = c[i] == ' ' || is_digit(c[i]) || (c[i] >= 'a' && c[i] <= 'z');
    PyObject *result = NULL;
    Bytes dates = {0};
    if (!plain) PyErr_SetString(PyExc_ValueError, "not a normalized ASCII line (a-z, 0-9, spaces)");
    else if (read_spelled_dates(fp, c, PyUnicode_1BYTE_KIND, 0, (size_t)line.len, keep_date, &dates) == 0 &&
             (result = PyList_New(0)) != NULL) {
        for (size_t k = 0; k < dates.size / sizeof(int); k++) {
            int date;
            memcpy(&date, dates.data + k * sizeof date, sizeof date);
            PyObject *value = PyLong_FromLong(date);
            if (!value || PyList_Append(result, value) < 0) {
                Py_XDECREF(value);
                Py_CLEAR(result);
                break;
            }
            Py_DECREF(value);
        }
    }
    bytes_free(&dates);
    PyBuffer_Release(&line);
    return result;
}

static PyObject *FirstPass_memo_size(FirstPass *fp, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSize_t(fp->memo.count);
}

static int get_u64_array(PyObject *obj, Py_buffer *view, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->itemsize != 8 || (view->format && strchr("QL", view->format[strlen(view->format) - 1]) == NULL)) {
        PyErr_Format(PyExc_TypeError, "%s must be a contiguous uint64 array", what);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The words of a sequence of (bytes, month number) pairs (months) or of bytes (fillers) into
 * fp->date_words: lowercase ASCII letters, as normalize folds them. */
static int add_date_words(FirstPass *fp, PyObject *words, int months) {
    PyObject *seq = PySequence_Fast(words, "month_names and date_fillers are sequences");
    if (!seq) return -1;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, k);
        const char *word;
        Py_ssize_t length;
        int number = 0;
        if (months ? !PyArg_Parse(item, "(y#i)", &word, &length, &number) : PyBytes_AsStringAndSize(item, (char **)&word, &length) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        int plain = length >= 1 && length <= MAX_DATE_WORD && fp->date_word_count < MAX_DATE_WORDS &&
                    (months ? number >= 1 && number <= 12 : 1);
        for (Py_ssize_t i = 0; plain && i < length; i++) plain = word[i] >= 'a' && word[i] <= 'z';
        if (!plain) {
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "a month name or filler of a-z (at most 15), months 1 to 12");
            return -1;
        }
        DateWord *w = &fp->date_words[fp->date_word_count++];
        w->length = (uint8_t)length;
        w->number = (uint8_t)number;
        memcpy(w->bytes, word, (size_t)length);
    }
    Py_DECREF(seq);
    return 0;
}

static int FirstPass_init(FirstPass *fp, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"key",           "prefilter_keys", "extra_keys",    "month_keys",   "known_keys",
                            "bits",          "fold",           "fold_char",     "id_hit",       "min_id_digits",
                            "min_word_bytes", "date_min_year", "date_max_year", "month_names", "date_fillers",
                            "memo_chunks",   NULL};
    PyObject *prefilter, *extra, *months, *known, *bits, *fold, *fold_char, *month_names, *date_fillers;
    Py_ssize_t memo_chunks = 1 << 19;
    if (fp->have_buffers) {
        PyErr_SetString(PyExc_RuntimeError, "FirstPass is initialized once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O&OOOOOOOiiiiiOO|n", names, parse_key, &fp->key, &prefilter, &extra, &months, &known, &bits,
                                     &fold, &fold_char, &fp->id_hit, &fp->min_id_digits, &fp->min_word_bytes,
                                     &fp->date_min_year, &fp->date_max_year, &month_names, &date_fillers,
                                     &memo_chunks))
        return -1;
    fp->date_word_count = 0;
    if (add_date_words(fp, month_names, 1) < 0) return -1;
    fp->month_count = fp->date_word_count;
    if (add_date_words(fp, date_fillers, 0) < 0) return -1;
    if (!PyCallable_Check(fold) || !PyCallable_Check(fold_char)) {
        PyErr_SetString(PyExc_TypeError, "fold and fold_char must be callable");
        return -1;
    }
    if (memo_chunks < 1 || memo_chunks > (1 << 26)) {
        PyErr_SetString(PyExc_ValueError, "memo_chunks out of range");
        return -1;
    }
    if (get_u64_array(prefilter, &fp->prefilter, "prefilter_keys") < 0) return -1;
    if (get_u64_array(extra, &fp->extra, "extra_keys") < 0) {
        PyBuffer_Release(&fp->prefilter);
        return -1;
    }
    if (get_u64_array(months, &fp->months, "month_keys") < 0) {
        PyBuffer_Release(&fp->prefilter);
        PyBuffer_Release(&fp->extra);
        return -1;
    }
    if (get_u64_array(known, &fp->known, "known_keys") < 0) {
        PyBuffer_Release(&fp->prefilter);
        PyBuffer_Release(&fp->extra);
        PyBuffer_Release(&fp->months);
        return -1;
    }
    if (PyObject_GetBuffer(bits, &fp->bits, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&fp->prefilter);
        PyBuffer_Release(&fp->extra);
        PyBuffer_Release(&fp->months);
        PyBuffer_Release(&fp->known);
        return -1;
    }
    fp->have_buffers = 1;
    if (fp->bits.len & (fp->bits.len - 1)) {
        PyErr_SetString(PyExc_ValueError, "bits must be a power of two of bytes");
        return -1;
    }
    fp->bits_mask = fp->bits.len ? (uint64_t)fp->bits.len * 8 - 1 : 0;
    const Py_buffer *few[2] = {&fp->months, &fp->extra};
    for (int b = 0; b < 2; b++) {
        for (Py_ssize_t k = 0; k < few[b]->len / 8; k++) {
            uint64_t bit = ((const uint64_t *)few[b]->buf)[k] & (FEW_KEYS_BITS - 1);
            fp->few_keys[bit >> 6] |= 1ULL << (bit & 63);
        }
    }
    Py_INCREF(fold);
    fp->fold = fold;
    Py_INCREF(fold_char);
    fp->fold_char = fold_char;
    if (memo_init(&fp->memo, (size_t)memo_chunks) < 0) return -1;
    fp->hot = PyMem_Calloc(HOT_SLOTS, sizeof(HotSlot));
    fp->hot_info = PyMem_Calloc(HOT_SLOTS, 1);
    fp->token_keys = PyMem_Calloc(TOKEN_SLOTS, sizeof(HotSlot));
    fp->token_bits = PyMem_Calloc(TOKEN_SLOTS, 1);
    if (!fp->hot || !fp->hot_info || !fp->token_keys || !fp->token_bits) {
        PyErr_NoMemory();
        return -1;
    }
    if (hitset_init(&fp->line_hits) < 0 || hitset_init(&fp->doc_hits) < 0) return -1;
    return 0;
}

static void FirstPass_dealloc(FirstPass *fp) {
    if (fp->have_buffers) {
        PyBuffer_Release(&fp->prefilter);
        PyBuffer_Release(&fp->extra);
        PyBuffer_Release(&fp->months);
        PyBuffer_Release(&fp->known);
        PyBuffer_Release(&fp->bits);
    }
    Py_XDECREF(fp->fold);
    Py_XDECREF(fp->fold_char);
    PyMem_Free(fp->memo.slots);
    PyMem_Free(fp->hot);
    PyMem_Free(fp->token_keys);
    PyMem_Free(fp->token_bits);
    PyMem_Free(fp->hot_info);
    bytes_free(&fp->memo.arena);
    bytes_free(&fp->norm);
    bytes_free(&fp->hit_arena);
    bytes_free(&fp->out);
    bytes_free(&fp->raw);
    bytes_free(&fp->pieces);
    hitset_free(&fp->line_hits);
    hitset_free(&fp->doc_hits);
    Py_TYPE(fp)->tp_free((PyObject *)fp);
}

static PyMethodDef FirstPass_methods[] = {
    {"lines", (PyCFunction)FirstPass_lines, METH_O,
     "lines(text) -> (distinct hit chunks (capped), their summed strength, dated, rows, (the strongest\n"
     "row's strength, the strongest row's with a number, the strongest row's with a number and\n"
     "without LINE_NO_DATASET_DATE)): dated when the text holds a date and a word of the dataset;\n"
     "rows are int64 (line, start, end, strength, number flags) of every line with a hit (start and\n"
     "end in code points), strength summed over its distinct chunks (id_hit at least for a line with\n"
     "a date and a word of the dataset), number flags as chunks.line_number_flags, and\n"
     "LINE_NO_DATASET_DATE."},
    {"line_bytes", (PyCFunction)FirstPass_line_bytes, METH_VARARGS,
     "line_bytes(text, rows) -> ([(line, token_bytes(fold_text(text[start:end])) or None)], [index of each\n"
     "None]) for rows of lines() (int64 line, start, end, strength, flags): None where a character\n"
     "does not fold alone (fold the line in Python)."},
    {"chunk_info", (PyCFunction)FirstPass_chunk_info, METH_O,
     "The INFO_ flags (chunks.py) of one normalized chunk (no memo)."},
    {"is_known_key", (PyCFunction)FirstPass_is_known_key, METH_O, "Does some record have this key?"},
    {"is_prefilter_key", (PyCFunction)FirstPass_is_prefilter_key, METH_O,
     "Is the key one the prefilter looks for (the file's or an extra key)?"},
    {"memo_size", (PyCFunction)FirstPass_memo_size, METH_NOARGS, "Chunks in the memo."},
    {"spelled_dates", (PyCFunction)FirstPass_spelled_dates, METH_O,
     "spelled_dates(line) -> [yyyymmdd]: the dates normalize.textual_dates reads in a normalized ASCII\n"
     "line (its tokens, chunks.tokens_of_line), in its order."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FirstPassType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "leaktrack.fingerprints._firstpass.FirstPass",
    .tp_basicsize = sizeof(FirstPass),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The compiled first pass of one fingerprint set and key.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FirstPass_init,
    .tp_dealloc = (destructor)FirstPass_dealloc,
    .tp_methods = FirstPass_methods,
};

/* ---------------------------------------------------------------- module functions */

/* A key into a little-endian uint64 array. */
static inline void put_key(uint64_t *keys, Py_ssize_t at, uint64_t key) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    key = __builtin_bswap64(key);
#endif
    memcpy(&keys[at], &key, 8);
}

/* The keys of count <= HASH_LANES short messages into keys[at[k]]. */
static void put_short_keys(uint64_t *keys, const KeyState *ks, const ShortMessage *messages, const Py_ssize_t *at,
                           int count) {
    uint64_t made[HASH_LANES];
    keyed_hash_short_many(ks, messages, count, made);
    for (int k = 0; k < count; k++) put_key(keys, at[k], made[k]);
}

static PyObject *keyed_hashes(PyObject *self, PyObject *args) {
    KeyState ks;
    const char *prefix;
    Py_ssize_t prefix_len;
    PyObject *items;
    if (!PyArg_ParseTuple(args, "O&s#O", parse_key, &ks, &prefix, &prefix_len, &items)) return NULL;
    if (prefix_len != 1) {
        PyErr_SetString(PyExc_ValueError, "a one-letter prefix");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(items, "items must be a sequence of bytes");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!out) {
        Py_DECREF(seq);
        return NULL;
    }
    uint64_t *keys = (uint64_t *)PyBytes_AS_STRING(out);
    /* short items wait to be keyed HASH_LANES at once (their places in short_at) */
    ShortMessage waiting[HASH_LANES];
    Py_ssize_t short_at[HASH_LANES];
    int count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char *data;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(seq, i), &data, &len) < 0) {
            Py_DECREF(seq);
            Py_DECREF(out);
            return NULL;
        }
        if (len <= SHORT_MESSAGE_DATA) {
            waiting[count] = short_message(prefix[0], (const uint8_t *)data, (size_t)len);
            short_at[count++] = i;
            if (count == HASH_LANES) {
                put_short_keys(keys, &ks, waiting, short_at, count);
                count = 0;
            }
            continue;
        }
        put_key(keys, i, keyed_hash(&ks, prefix[0], (const uint8_t *)data, (size_t)len));
    }
    if (count) put_short_keys(keys, &ks, waiting, short_at, count);
    Py_DECREF(seq);
    return out;
}

/* A growable array of fixed-size items in a bytes-like buffer. */
static int put_u64(Bytes *b, uint64_t v) { return bytes_put(b, &v, 8); }

static int put_i64(Bytes *b, int64_t v) { return put_u64(b, (uint64_t)v); }

static int put_u8(Bytes *b, uint8_t v) {
    if (bytes_reserve(b, 1) < 0) return -1;
    b->data[b->size++] = v;
    return 0;
}

/* What chunks.ChunkTable learns of normalized ASCII chunks, for many at once. */
static PyObject *chunk_keys(PyObject *self, PyObject *args) {
    KeyState ks;
    PyObject *items;
    int min_id_digits, min_year, max_year;
    if (!PyArg_ParseTuple(args, "O&Oiii", parse_key, &ks, &items, &min_id_digits, &min_year, &max_year))
        return NULL;
    PyObject *seq = PySequence_Fast(items, "chunks must be a sequence of bytes");
    if (!seq) return NULL;
    Bytes token_keys = {0}, token_counts = {0}, token_digits = {0}, special_keys = {0}, special_counts = {0},
          id_counts = {0}, numbers = {0}, chunk_dates = {0}, traits = {0};
    PyObject *result = NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t k = 0; k < n; k++) {
        char *data;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(seq, k), &data, &len) < 0) goto done;
        const uint8_t *c = (const uint8_t *)data;
        int year = 0;
        for (Py_ssize_t i = 0; i < len; i++) {
            if (BYTE_CLASS[c[i]] <= C_HIGH) {
                PyErr_SetString(PyExc_ValueError, "not a normalized ASCII chunk (a-z, 0-9)");
                goto done;
            }
        }
        int64_t tokens = 0, ids = 0;
        int number = 0;
        chunk_dates.size = 0; /* a chunk's specials: its ids, then its tokens' date readings */
        for (Py_ssize_t i = 0; i < len;) {
            int digits = is_digit(c[i]);
            Py_ssize_t j = i + 1;
            while (j < len && is_digit(c[j]) == digits) j++;
            size_t tl = (size_t)(j - i);
            if (put_u64(&token_keys, keyed_hash(&ks, 't', c + i, tl)) < 0 || put_u8(&token_digits, (uint8_t)digits) < 0)
                goto done;
            tokens++;
            year |= digits && tl == 4;
            if (digits) {
                int dates[6];
                int count = date_readings(c + i, tl, min_year, max_year, dates);
                if ((int)tl >= min_id_digits) {
                    if (put_u64(&special_keys, keyed_hash(&ks, 'n', c + i, tl)) < 0) goto done;
                    ids++;
                    number |= count == 0;
                }
                for (int r = 0; r < count; r++)
                    if (put_u64(&chunk_dates, date_key(&ks, dates[r])) < 0) goto done;
            }
            i = j;
        }
        if (bytes_reserve(&special_keys, chunk_dates.size) < 0) goto done;
        if (chunk_dates.size) memcpy(special_keys.data + special_keys.size, chunk_dates.data, chunk_dates.size);
        special_keys.size += chunk_dates.size;
        int64_t dates_count = (int64_t)(chunk_dates.size / 8);
        if (put_i64(&token_counts, tokens) < 0 || put_i64(&special_counts, ids + dates_count) < 0 ||
            put_i64(&id_counts, ids) < 0 || put_u8(&numbers, (uint8_t)number) < 0 ||
            put_u8(&traits, (uint8_t)((tokens >= 2 && ocr_readable(c, (size_t)len, min_id_digits)) | (year << 1) |
                                      ((tokens >= 2 && ocr_number_readable(c, (size_t)len, min_id_digits)) << 2))) < 0)
            goto done;
    }
    result = Py_BuildValue("y#y#y#y#y#y#y#y#", token_keys.data ? (char *)token_keys.data : "",
                           (Py_ssize_t)token_keys.size, token_counts.data ? (char *)token_counts.data : "",
                           (Py_ssize_t)token_counts.size, token_digits.data ? (char *)token_digits.data : "",
                           (Py_ssize_t)token_digits.size, special_keys.data ? (char *)special_keys.data : "",
                           (Py_ssize_t)special_keys.size, special_counts.data ? (char *)special_counts.data : "",
                           (Py_ssize_t)special_counts.size, id_counts.data ? (char *)id_counts.data : "",
                           (Py_ssize_t)id_counts.size, numbers.data ? (char *)numbers.data : "",
                           (Py_ssize_t)numbers.size, traits.data ? (char *)traits.data : "", (Py_ssize_t)traits.size);
done:
    Py_DECREF(seq);
    bytes_free(&token_keys);
    bytes_free(&token_counts);
    bytes_free(&token_digits);
    bytes_free(&special_keys);
    bytes_free(&special_counts);
    bytes_free(&id_counts);
    bytes_free(&numbers);
    bytes_free(&chunk_dates);
    bytes_free(&traits);
    return result;
}

/* Keyed hashes ("v:" + digits) of the id-like numbers of a normalized ASCII line that read
 * as no date, and of each of their one-digit deletions (scan._EncodedLines.id_variants). */
static PyObject *id_variant_keys(PyObject *self, PyObject *args) {
    KeyState ks;
    Py_buffer line;
    int min_id_digits, min_year, max_year;
    (void)self;
    if (!PyArg_ParseTuple(args, "O&y*iii", parse_key, &ks, &line, &min_id_digits, &min_year, &max_year))
        return NULL;
    PyObject *result = NULL;
    Bytes out = {0}, deletion = {0};
    const uint8_t *c = (const uint8_t *)line.buf;
    size_t n = (size_t)line.len;
    for (size_t i = 0; i < n;) {
        if (!is_digit(c[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && is_digit(c[j])) j++;
        size_t len = j - i;
        int dates[6];
        if ((int)len >= min_id_digits && date_readings(c + i, len, min_year, max_year, dates) == 0) {
            if (put_u64(&out, keyed_hash(&ks, 'v', c + i, len)) < 0) goto done;
            if (bytes_reserve(&deletion, len) < 0) goto done;
            for (size_t d = 0; d < len; d++) {
                memcpy(deletion.data, c + i, d);
                memcpy(deletion.data + d, c + i + d + 1, len - d - 1);
                if (put_u64(&out, keyed_hash(&ks, 'v', deletion.data, len - 1)) < 0) goto done;
            }
        }
        i = j;
    }
    result = bytes_take(&out);
done:
    PyBuffer_Release(&line);
    bytes_free(&out);
    bytes_free(&deletion);
    return result;
}

static PyObject *set_vector_hashing(PyObject *self, PyObject *arg) {
    (void)self;
    int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
    int was = vector_hashing;
    vector_hashing = on && have_avx2;
    return PyBool_FromLong(was);
}

static PyMethodDef module_methods[] = {
    {"keyed_hashes", keyed_hashes, METH_VARARGS,
     "keyed_hashes(key, prefix, items) -> bytes: little-endian uint64 keyed BLAKE2b-64 of\n"
     "prefix + ':' + item for each item (as keys.KeyedHasher)."},
    {"vector_hashing", set_vector_hashing, METH_O,
     "vector_hashing(on) -> whether it was on: key short messages four at a time in AVX2 lanes (on\n"
     "by default where the processor has AVX2; it stays off elsewhere). The keys are the same."},
    {"chunk_keys", chunk_keys, METH_VARARGS,
     "chunk_keys(key, chunks, min_id_digits, date_min_year, date_max_year) -> 8 byte strings:\n"
     "token keys (uint64), tokens per chunk (int64), token is digits (uint8), special keys (uint64:\n"
     "each chunk's id numbers, then its date readings), specials per chunk (int64), ids per chunk\n"
     "(int64), holds an id-like number that reads as no date (uint8), traits (uint8: 1 OCR look-alikes\n"
     "read as something, 2 holds a 4-digit number, 4 OCR look-alikes read as a number); as\n"
     "chunks.ChunkTable."},
    {"id_variant_keys", id_variant_keys, METH_VARARGS,
     "id_variant_keys(key, line, min_id_digits, date_min_year, date_max_year) -> bytes: uint64 keyed\n"
     "hashes of the line's id-like numbers that read as no date and of their one-digit deletions."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_firstpass", "The scanner's compiled first pass (see first_pass.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__firstpass(void) {
    init_byte_classes();
#ifdef HAVE_AVX2_PATH
    __builtin_cpu_init();
    have_avx2 = __builtin_cpu_supports("avx2") != 0;
#endif
    vector_hashing = have_avx2;
    if (PyType_Ready(&FirstPassType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&FirstPassType);
    if (PyModule_AddObject(m, "FirstPass", (PyObject *)&FirstPassType) < 0) {
        Py_DECREF(&FirstPassType);
        Py_DECREF(m);
        return NULL;
    }
    /* the chunk flags, for a test that they are chunks.py's */
    if (PyModule_AddIntConstant(m, "INFO_DATE", INFO_DATE) < 0 || PyModule_AddIntConstant(m, "INFO_WORD", INFO_WORD) < 0 ||
        PyModule_AddIntConstant(m, "INFO_OTHER_NUMBER", INFO_OTHER_NUMBER) < 0 ||
        PyModule_AddIntConstant(m, "INFO_NUMBER", INFO_NUMBER) < 0 ||
        PyModule_AddIntConstant(m, "INFO_MONTH", INFO_MONTH) < 0 || PyModule_AddIntConstant(m, "INFO_YEAR", INFO_YEAR) < 0 ||
        PyModule_AddIntConstant(m, "LINE_NUMBERED", LINE_NUMBERED) < 0 ||
        PyModule_AddIntConstant(m, "LINE_ONLY_DATES", LINE_ONLY_DATES) < 0 ||
        PyModule_AddIntConstant(m, "LINE_NO_DATASET_DATE", LINE_NO_DATASET_DATE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
