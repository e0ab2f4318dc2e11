/* The line classification of plain text's record-block and fixed-width passes, compiled
 * (records.py and tables.py wrap it; their pure-Python code is the definition, gives the same
 * results when this extension is not built, and tests/test_formats_textshape.py compares the
 * two). One pass over the str's own code points (any kind: Latin-1, UCS-2, UCS-4), no copy.
 *
 * The regexes of the Python passes are Unicode-aware; here each of their classes is the
 * CPython predicate the regex engine itself uses for str patterns: \s is Py_UNICODE_ISSPACE,
 * \d Py_UNICODE_ISDECIMAL, [^\W\d_] Py_UNICODE_ISALNUM and not a decimal nor "_" (str.strip
 * and str.split use the same whitespace). The one case-insensitive pattern (the vCard frame,
 * BEGIN|END|VERSION) also matches the non-ASCII letters re.IGNORECASE folds onto I and S.
 *
 * It also finds the long stretches of base64 letters that base64text.py reads runs from,
 * counts the fields of csv.reader's rows for tabular.py's delimiter sniffing, and counts the
 * control characters of a text's head for textcodec.py's binary test.
 *
 * Where SSE2 is (every x86-64), the searches that skip text holding nothing a pass looks for
 * read 16 bytes at a time (next_in_range, next_double_space, find_char, holds_label_mark,
 * control_chars_in); each ends with the plain loop, which alone runs elsewhere.
 *
 * This file imports nothing of leaktrack and reads nothing but the str it is given: it is
 * part of the formats wing (untrusted bytes to lines). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t length;
} Text;

/* Functions reading a Text are inlined into each entry point, which calls them from one copy
 * per string kind (BY_KIND): there the kind is a constant, and reading a character is a load. */
#define TEXT_FN static inline __attribute__((always_inline))
#define BY_KIND(t, expression)                                                                        \
    switch ((t).kind) {                                                                         \
    case PyUnicode_1BYTE_KIND: {                                                                \
        const Text kind_text = {PyUnicode_1BYTE_KIND, (t).data, (t).length};                   \
        return (expression);                                                                    \
    }                                                                                           \
    case PyUnicode_2BYTE_KIND: {                                                                \
        const Text kind_text = {PyUnicode_2BYTE_KIND, (t).data, (t).length};                   \
        return (expression);                                                                    \
    }                                                                                           \
    default: {                                                                                  \
        const Text kind_text = {PyUnicode_4BYTE_KIND, (t).data, (t).length};                   \
        return (expression);                                                                    \
    }                                                                                           \
    }

static inline Py_UCS4 char_at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }

/* Classes of ASCII characters the passes look for (filled in by init_classes). */
enum {
    SPACE = 1,       /* \s (str.isspace) */
    LABEL_MARK = 2,  /* ":", "=" or TAB: where a label may end */
    RULE = 4,        /* _BOUNDARY's rule characters */
    BRACKET = 8,     /* _BOUNDARY's brackets and commas */
    TABLE_RULE = 16, /* _RULE_LINE's characters besides whitespace */
    BASE64 = 32,     /* base64text's letters: A-Z, a-z, 0-9, "+" and "/" */
};
static uint8_t ascii_class[128];
static const char LABEL_MARKS[] = ":=\t"; /* (the LABEL_MARK class, also searched for 16 bytes at a time) */

static void add_class(const char *members, int class) {
    for (const char *c = members; *c; c++) ascii_class[(unsigned char)*c] |= (uint8_t)class;
}

static void init_classes(void) {
    add_class(" \t\n\v\f\r\x1c\x1d\x1e\x1f", SPACE);
    add_class(LABEL_MARKS, LABEL_MARK);
    add_class("-=_*~#+.", RULE);
    add_class("[]{}(),", BRACKET);
    add_class("-=_+*|", TABLE_RULE);
    add_class("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", BASE64);
}

static inline int in_class(Py_UCS4 c, int class) { return c < 128 && (ascii_class[c] & class); }

static inline int is_space(Py_UCS4 c) { return c < 128 ? (ascii_class[c] & SPACE) != 0 : Py_UNICODE_ISSPACE(c); }

static inline int is_decimal(Py_UCS4 c) {
    if (c < 128) return c >= '0' && c <= '9';
    return Py_UNICODE_ISDECIMAL(c);
}

/* [^\W\d_]: a word character that is neither a decimal digit nor "_" (a letter, mostly). */
static inline int is_word_letter(Py_UCS4 c) {
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

static int text_of(PyObject *object, Text *t) {
    if (!PyUnicode_Check(object)) {
        PyErr_SetString(PyExc_TypeError, "a str is required");
        return -1;
    }
    if (PyUnicode_READY(object) < 0) return -1;
    t->kind = PyUnicode_KIND(object);
    t->data = PyUnicode_DATA(object);
    t->length = PyUnicode_GET_LENGTH(object);
    return 0;
}

TEXT_FN Py_ssize_t find_char(const Text *t, Py_UCS4 c, Py_ssize_t from, Py_ssize_t to) {
    if (from >= to) return -1;
    if (t->kind == PyUnicode_1BYTE_KIND) {
        if (c > 0xff) return -1; /* (memchr would look for c's low byte) */
        const char *found = memchr((const char *)t->data + from, (int)c, (size_t)(to - from));
        return found ? found - (const char *)t->data : -1;
    }
    Py_ssize_t i = from;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_2BYTE_KIND && c <= 0xffff) {
        const Py_UCS2 *units = t->data;
        const __m128i wanted = _mm_set1_epi16((short)c);
        for (; i + 8 <= to; i += 8) {
            int found = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(units + i)), wanted));
            if (found) return i + __builtin_ctz((unsigned)found) / 2;
        }
    }
#endif
    for (; i < to; i++)
        if (char_at(t, i) == c) return i;
    return -1;
}

/* Quick searches of a str's code units, 16 bytes at a time where SSE2 is (every x86-64), for
 * the passes' skips over text that holds nothing they look for. Each reads only the units of
 * [from, to) and gives what its plain loop (the last one, which also ends each search) gives. */

/* The first i in [from, to) with lo <= text[i] <= hi, or to. The 16-byte steps hold lo and hi in
 * a unit of the text's width, so they are taken only when hi fits in one (the passes' ranges do). */
TEXT_FN Py_ssize_t next_in_range(const Text *t, Py_ssize_t from, Py_ssize_t to, Py_UCS4 lo, Py_UCS4 hi) {
    Py_ssize_t i = from;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_1BYTE_KIND && hi <= 0xff) { /* (unsigned x - lo <= hi - lo, saturating: 0 inside) */
        const __m128i low = _mm_set1_epi8((char)lo), span = _mm_set1_epi8((char)(hi - lo)), zero = _mm_setzero_si128();
        for (; i + 16 <= to; i += 16) {
            __m128i shifted = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)((const Py_UCS1 *)t->data + i)), low);
            int inside = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_subs_epu8(shifted, span), zero));
            if (inside) return i + __builtin_ctz((unsigned)inside);
        }
    } else if (t->kind == PyUnicode_2BYTE_KIND && hi <= 0xffff) {
        const __m128i low = _mm_set1_epi16((short)lo), span = _mm_set1_epi16((short)(hi - lo)), zero = _mm_setzero_si128();
        for (; i + 8 <= to; i += 8) {
            __m128i shifted = _mm_sub_epi16(_mm_loadu_si128((const __m128i *)((const Py_UCS2 *)t->data + i)), low);
            int inside = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_subs_epu16(shifted, span), zero));
            if (inside) return i + __builtin_ctz((unsigned)inside) / 2;
        }
    }
#endif
    for (; i < to; i++)
        if (char_at(t, i) - lo <= hi - lo) return i;
    return to;
}

/* The first i in [from, to - 1) where text[i] and text[i + 1] are spaces, or -1. */
TEXT_FN Py_ssize_t next_double_space(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t i = from;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *units = t->data;
        const __m128i space = _mm_set1_epi8(' ');
        for (; i + 17 <= to; i += 16) {
            __m128i here = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(units + i)), space);
            __m128i next = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(units + i + 1)), space);
            int both = _mm_movemask_epi8(_mm_and_si128(here, next));
            if (both) return i + __builtin_ctz((unsigned)both);
        }
    } else if (t->kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *units = t->data;
        const __m128i space = _mm_set1_epi16(' ');
        for (; i + 9 <= to; i += 8) {
            __m128i here = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(units + i)), space);
            __m128i next = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(units + i + 1)), space);
            int both = _mm_movemask_epi8(_mm_and_si128(here, next));
            if (both) return i + __builtin_ctz((unsigned)both) / 2;
        }
    }
#endif
    for (; i + 1 < to; i++)
        if (char_at(t, i) == ' ' && char_at(t, i + 1) == ' ') return i;
    return -1;
}

TEXT_FN Py_ssize_t line_end(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t found = find_char(t, '\n', from, to);
    return found < 0 ? to : found;
}

/* Whether text[from:to] holds a LABEL_MARK (":", "=" or TAB), 16 bytes at a time where SSE2 is. */
TEXT_FN int holds_label_mark(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t i = from;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *units = t->data;
        const __m128i a = _mm_set1_epi8(LABEL_MARKS[0]), b = _mm_set1_epi8(LABEL_MARKS[1]),
                      c = _mm_set1_epi8(LABEL_MARKS[2]);
        for (; i + 16 <= to; i += 16) {
            __m128i chunk = _mm_loadu_si128((const __m128i *)(units + i));
            __m128i marks = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, a), _mm_cmpeq_epi8(chunk, b)),
                                         _mm_cmpeq_epi8(chunk, c));
            if (_mm_movemask_epi8(marks)) return 1;
        }
    } else if (t->kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *units = t->data;
        const __m128i a = _mm_set1_epi16(LABEL_MARKS[0]), b = _mm_set1_epi16(LABEL_MARKS[1]),
                      c = _mm_set1_epi16(LABEL_MARKS[2]);
        for (; i + 8 <= to; i += 8) {
            __m128i chunk = _mm_loadu_si128((const __m128i *)(units + i));
            __m128i marks = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi16(chunk, a), _mm_cmpeq_epi16(chunk, b)),
                                         _mm_cmpeq_epi16(chunk, c));
            if (_mm_movemask_epi8(marks)) return 1;
        }
    }
#endif
    for (; i < to; i++)
        if (in_class(char_at(t, i), LABEL_MARK)) return 1;
    return 0;
}

/* (first, end) of text[from:to] without the whitespace at both ends (str.strip). */
TEXT_FN void strip(const Text *t, Py_ssize_t *from, Py_ssize_t *to) {
    while (*from < *to && is_space(char_at(t, *from))) (*from)++;
    while (*to > *from && is_space(char_at(t, *to - 1))) (*to)--;
}

/* len(text[from:to].split()) */
TEXT_FN Py_ssize_t word_count(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t words = 0;
    int inside = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        int space = is_space(char_at(t, i));
        if (!space && !inside) words++;
        inside = !space;
    }
    return words;
}

/* --------------------------------------------------------------- records.py's line tests */

/* Numbers of records.py (passed in once by records_module_setup). */
static Py_ssize_t MAX_FIELD_LINE_CHARS = 160, MAX_UNLABELED_CHARS = 60, MAX_UNLABELED_WORDS = 8;
static Py_ssize_t MAX_LABEL_CHARS = 40, MAX_LABEL_WORDS = 4, BOUNDARY_MAX_CHARS = 80;
static Py_ssize_t MAX_UNLABELED_BLOCK_LINES = 12;

/* _FIELD_LINE: at most MAX_FIELD_LINE_CHARS, and a ":", "=" or TAB, or one short value
 * (after a YAML "- ") with whitespace around it. */
TEXT_FN int is_field_line(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    if (to - from > MAX_FIELD_LINE_CHARS) return 0;
    if (holds_label_mark(t, from, to)) return 1;
    Py_ssize_t first = from, end = to;
    strip(t, &first, &end);
    if (first == end) return 0;
    Py_ssize_t last = end - 1;
    if (last - first <= MAX_UNLABELED_CHARS - 1) return 1;
    if (end - first >= 2 && char_at(t, first) == '-' && char_at(t, first + 1) == ' ') {
        Py_ssize_t value = first + 2;
        while (value < end && is_space(char_at(t, value))) value++;
        return value < end && last - value <= MAX_UNLABELED_CHARS - 1;
    }
    return 0;
}

static int is_letter_ignoring_case(Py_UCS4 c, char upper) {
    if (c < 128) return c == (Py_UCS4)upper || c == (Py_UCS4)(upper + 32);
    if (upper == 'I') return c == 0x130 || c == 0x131; /* re.IGNORECASE's extra foldings */
    if (upper == 'S') return c == 0x17f;
    return 0;
}

/* _VCARD_FRAME on a stripped line: BEGIN:, END: or VERSION: in any case. */
TEXT_FN int is_vcard_frame(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    static const char *frames[] = {"BEGIN:", "END:", "VERSION:"};
    static const Py_ssize_t lengths[] = {6, 4, 8}; /* (not strlen a line: every line of a piece is asked) */
    for (int f = 0; f < 3; f++) {
        const char *frame = frames[f];
        Py_ssize_t n = lengths[f], i;
        if (to - from < n) continue;
        for (i = 0; i < n - 1; i++)
            if (!is_letter_ignoring_case(char_at(t, from + i), frame[i])) break;
        if (i == n - 1 && char_at(t, from + n - 1) == ':') return 1;
    }
    return 0;
}

TEXT_FN int all_in(const Text *t, Py_ssize_t from, Py_ssize_t to, int class) {
    for (Py_ssize_t i = from; i < to; i++)
        if (!in_class(char_at(t, i), class)) return 0;
    return 1;
}

/* _is_boundary: blank, a rule, brackets alone, a vCard frame. */
TEXT_FN int is_boundary(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    while (from < to && is_space(char_at(t, from))) from++;
    if (from == to) return 1;
    Py_UCS4 first = char_at(t, from); /* (a rule, brackets or a frame's B, E or V: most lines are none) */
    if (!in_class(first, RULE | BRACKET) && !is_letter_ignoring_case(first, 'B') &&
        !is_letter_ignoring_case(first, 'E') && !is_letter_ignoring_case(first, 'V'))
        return 0;
    strip(t, &from, &to);
    if (to - from > BOUNDARY_MAX_CHARS) return 0;
    if (to - from >= 3 && all_in(t, from, to, RULE)) return 1;
    if (all_in(t, from, to, BRACKET)) return 1;
    return is_vcard_frame(t, from, to);
}

/* _label_of(piece) is not None: the stripped piece reads `label: value` or `label = value`
 * (_LABELED) with a label of at most MAX_LABEL_WORDS words; its bounds (stripped) in label_*. */
TEXT_FN int labeled_piece(const Text *t, Py_ssize_t from, Py_ssize_t to, Py_ssize_t *label_from, Py_ssize_t *label_to) {
    Py_ssize_t start = from;
    Py_UCS4 c = char_at(t, start);
    if (c == '"' || c == '\'') start++;
    if (start >= to || !is_word_letter(char_at(t, start))) return 0;
    Py_ssize_t stop = -1; /* the first of :=\t"' after the label's first character */
    for (Py_ssize_t i = start + 1; i < to; i++) {
        c = char_at(t, i);
        if (c == ':' || c == '=' || c == '\t' || c == '"' || c == '\'') {
            stop = i;
            break;
        }
    }
    if (stop < 0) return 0;
    Py_ssize_t label_end;
    c = char_at(t, stop);
    if (c == ':' || c == '=') {
        label_end = stop; /* the shortest label: whitespace before the separator is not its */
        while (label_end > start + 1 && is_space(char_at(t, label_end - 1))) label_end--;
        if (label_end - start > MAX_LABEL_CHARS) return 0;
    } else if (c == '\t') {
        label_end = stop; /* (\s* may take the TAB: the label ends before the whitespace) */
        while (label_end > start + 1 && is_space(char_at(t, label_end - 1))) label_end--;
        if (label_end - start > MAX_LABEL_CHARS) return 0;
        Py_ssize_t i = stop;
        while (i < to && is_space(char_at(t, i))) i++;
        if (i >= to || (char_at(t, i) != ':' && char_at(t, i) != '=')) return 0;
    } else { /* a closing quote, then whitespace and the separator */
        if (stop - start > MAX_LABEL_CHARS) return 0;
        label_end = stop;
        Py_ssize_t i = stop + 1;
        while (i < to && is_space(char_at(t, i))) i++;
        if (i >= to || (char_at(t, i) != ':' && char_at(t, i) != '=')) return 0;
    }
    Py_ssize_t label_start = start;
    strip(t, &label_start, &label_end);
    *label_from = label_start;
    *label_to = label_end;
    return word_count(t, label_start, label_end) <= MAX_LABEL_WORDS;
}

TEXT_FN int is_labeled_piece(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t label_from, label_to;
    return labeled_piece(t, from, to, &label_from, &label_to);
}

/* _tab_label: short, few words, no digits. */
TEXT_FN int is_tab_label(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    if (to - from > MAX_LABEL_CHARS || word_count(t, from, to) > MAX_LABEL_WORDS) return 0;
    for (Py_ssize_t i = from; i < to; i++)
        if (is_decimal(char_at(t, i))) return 0;
    return 1;
}

/* _one_value: short, few words, not words AND a run of four digits. */
TEXT_FN int is_one_value(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    if (to - from > MAX_UNLABELED_CHARS || word_count(t, from, to) > MAX_UNLABELED_WORDS) return 0;
    int digits = 0, letters = 0, long_digits = 0, word = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        Py_UCS4 c = char_at(t, i);
        digits = is_decimal(c) ? digits + 1 : 0;
        letters = is_word_letter(c) ? letters + 1 : 0;
        long_digits |= digits >= 4;
        word |= letters >= 2;
    }
    return !(long_digits && word);
}

/* _pieces' `stripped`: the line stripped, and after a "- " item start. */
TEXT_FN void item_content(const Text *t, Py_ssize_t *from, Py_ssize_t *to) {
    strip(t, from, to);
    if (*to - *from >= 2 && char_at(t, *from) == '-' && char_at(t, *from + 1) == ' ') {
        *from += 2;
        while (*from < *to && is_space(char_at(t, *from))) (*from)++;
    }
}

/* The next of _pieces(line)[1] in item_content's text[*at:to]: cut at a TAB or a run of 2+
 * spaces, stripped, empty ones skipped. 1 with its bounds in a, b (and *at past its gap), or 0
 * when none is left. */
TEXT_FN int next_piece(const Text *t, Py_ssize_t *at, Py_ssize_t to, Py_ssize_t *a, Py_ssize_t *b) {
    while (*at <= to) {
        Py_ssize_t i = *at, gap_end = to + 1; /* (the line's end: no piece after it) */
        for (; i < to; i++) {
            Py_UCS4 c = char_at(t, i);
            if (c == '\t') {
                gap_end = i + 1;
                break;
            }
            if (c == ' ' && i + 1 < to && char_at(t, i + 1) == ' ') {
                gap_end = i + 2;
                while (gap_end < to && char_at(t, gap_end) == ' ') gap_end++;
                break;
            }
        }
        *a = *at;
        *b = i;
        *at = gap_end;
        strip(t, a, b);
        if (*a < *b) return 1;
    }
    return 0;
}

/* The number of _pieces(line)[1], the bounds of the first two, and (when `labels`) whether
 * one of them is labeled (is_labeled_piece). */
TEXT_FN Py_ssize_t line_pieces(const Text *t, Py_ssize_t from, Py_ssize_t to, Py_ssize_t bounds[2][2], int labels,
                              int *labeled) {
    item_content(t, &from, &to);
    Py_ssize_t count = 0, at = from, a, b;
    *labeled = 0;
    while (next_piece(t, &at, to, &a, &b)) {
        if (count < 2) {
            bounds[count][0] = a;
            bounds[count][1] = b;
        }
        count++;
        if (labels && !*labeled) *labeled = is_labeled_piece(t, a, b);
    }
    return count;
}

/* text[from:to].casefold() (ASCII: lowered here). */
static PyObject *casefolded(PyObject *text, Py_ssize_t from, Py_ssize_t to) {
    PyObject *piece = PyUnicode_Substring(text, from, to);
    if (!piece || !PyUnicode_IS_ASCII(piece)) {
        PyObject *folded = piece ? PyObject_CallMethod(piece, "casefold", NULL) : NULL;
        Py_XDECREF(piece);
        return folded;
    }
    const Py_UCS1 *chars = PyUnicode_1BYTE_DATA(piece);
    Py_ssize_t length = PyUnicode_GET_LENGTH(piece), i = 0;
    while (i < length && !(chars[i] >= 'A' && chars[i] <= 'Z')) i++;
    if (i == length) return piece;
    PyObject *folded = PyUnicode_New(length, 127); /* (a new str: a short piece may be shared) */
    if (folded) {
        Py_UCS1 *out = PyUnicode_1BYTE_DATA(folded);
        for (i = 0; i < length; i++) out[i] = (chars[i] >= 'A' && chars[i] <= 'Z') ? chars[i] + 32 : chars[i];
    }
    Py_DECREF(piece);
    return folded;
}

static int append_folded(PyObject *list, PyObject *text, Py_ssize_t from, Py_ssize_t to) {
    PyObject *label = casefolded(text, from, to);
    if (!label) return -1;
    int failed = PyList_Append(list, label);
    Py_DECREF(label);
    return failed;
}

/* Appends _line_labels(line) to `labels`: each labeled piece's label, or the first of two
 * TAB-separated pieces when it reads as a label and is none (then the only label), casefolded. */
TEXT_FN int append_line_labels(const Text *t, PyObject *text, Py_ssize_t from, Py_ssize_t to, PyObject *labels) {
    Py_ssize_t line_from = from, line_to = to;
    item_content(t, &from, &to);
    Py_ssize_t count = 0, at = from, a, b, first[2] = {0, 0}, start = PyList_GET_SIZE(labels);
    int first_labeled = 0;
    while (next_piece(t, &at, to, &a, &b)) {
        Py_ssize_t label_from, label_to;
        int labeled = labeled_piece(t, a, b, &label_from, &label_to);
        if (count++ == 0) {
            first[0] = a;
            first[1] = b;
            first_labeled = labeled;
        }
        if (labeled && append_folded(labels, text, label_from, label_to) < 0) return -1;
    }
    if (count == 2 && !first_labeled && find_char(t, '\t', line_from, line_to) >= 0 &&
        is_tab_label(t, first[0], first[1])) {
        if (PyList_SetSlice(labels, start, PyList_GET_SIZE(labels), NULL) < 0) return -1;
        return append_folded(labels, text, first[0], first[1]);
    }
    return 0;
}

/* The line's test in _may_be_fields: it holds labels (_line_labels), or is one value. */
TEXT_FN int is_field_material(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t bounds[2][2];
    int labels = holds_label_mark(t, from, to), labeled;
    Py_ssize_t count = line_pieces(t, from, to, bounds, labels, &labeled);
    if (labeled) return 1;
    if (labels && count == 2 && find_char(t, '\t', from, to) >= 0 && is_tab_label(t, bounds[0][0], bounds[0][1]))
        return 1;
    return count == 1 && is_one_value(t, bounds[0][0], bounds[0][1]);
}

/* _may_be_fields(text, from, to) is not None. */
TEXT_FN int may_be_fields(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t newlines = 0; /* (counted up to MAX_UNLABELED_BLOCK_LINES: all the tests ask) */
    for (Py_ssize_t i = from; newlines < MAX_UNLABELED_BLOCK_LINES && (i = find_char(t, '\n', i, to)) >= 0; i++)
        newlines++;
    if (newlines == 0) return 0;
    if (newlines >= MAX_UNLABELED_BLOCK_LINES && !holds_label_mark(t, from, to)) return 0;
    /* Every line is a field line (_FIELD_LINES_ONLY) and field material: both asked of each
     * line in turn, so that a block stops at its first line that is not both. */
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(t, line, to);
        if (!is_field_line(t, line, end) || !is_field_material(t, line, end)) return 0;
        if (end >= to) break;
        line = end + 1;
    }
    return 1;
}

/* (first, last, labels) of a block that passed may_be_fields: the labels of its lines that
 * hold ":", "=" or TAB, in order (what _may_be_fields returns). */
TEXT_FN PyObject *field_block(const Text *t, PyObject *text, Py_ssize_t from, Py_ssize_t to) {
    PyObject *labels = PyList_New(0);
    if (!labels) return NULL;
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(t, line, to);
        if (holds_label_mark(t, line, end) && append_line_labels(t, text, line, end, labels) < 0) {
            Py_DECREF(labels);
            return NULL;
        }
        if (end >= to) break;
        line = end + 1;
    }
    return Py_BuildValue("(nnN)", from, to, labels);
}

static int append_new(PyObject *list, PyObject *item) {
    if (!item) return -1;
    int failed = PyList_Append(list, item);
    Py_DECREF(item);
    return failed;
}

/* _two_field_lines_in: two field lines one after the other in the piece. */
TEXT_FN int two_field_lines_in(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    int previous = 0;
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(t, line, to);
        int field = is_field_line(t, line, end);
        if (field && previous) return 1;
        previous = field;
        if (end >= to) return 0;
        line = end + 1;
    }
}

/* _FOUR_DIGITS (ASCII digits, each after at most one of "-./ ") or an "@" in the piece. The
 * run from a digit is read on only there (digits are few); a run that falls short is skipped
 * whole (a start inside it reaches no further). */
TEXT_FN int holds_record_value(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    for (Py_ssize_t i = from; i < to; i++) {
        if ((i = next_in_range(t, i, to, '0', '@')) >= to) break; /* (the others are passed over) */
        Py_UCS4 c = char_at(t, i);
        if (c == '@') return 1;
        if (c > '9') continue;
        Py_ssize_t digits = 1, j = i + 1;
        for (; digits < 4 && j < to; digits++) {
            Py_UCS4 next = char_at(t, j);
            if (next >= '0' && next <= '9')
                j++;
            else if ((next == '-' || next == '.' || next == '/' || next == ' ') && j + 1 < to &&
                     char_at(t, j + 1) >= '0' && char_at(t, j + 1) <= '9')
                j += 2;
            else
                break;
        }
        if (digits >= 4) return 1;
        i = j - 1;
    }
    return 0;
}

/* Where the line after the newline at text[at] ends, when it is blank (spaces and TABs only,
 * then a newline): that newline's index; else -1. */
TEXT_FN Py_ssize_t blank_line_after(const Text *t, Py_ssize_t at) {
    Py_ssize_t j = at + 1;
    while (j < t->length && (char_at(t, j) == ' ' || char_at(t, j) == '\t')) j++;
    return j < t->length && char_at(t, j) == '\n' ? j : -1;
}

/* The first newline at or after from that a blank line follows (blank_line_after), or -1. The
 * newlines of 16 bytes are found at once where SSE2 is (every line of a text is asked: a
 * memchr call a line was about a quarter of this pass on real text, by perf). */
TEXT_FN Py_ssize_t next_blank_line(const Text *t, Py_ssize_t from) {
    Py_ssize_t i = from;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *units = t->data;
        const __m128i newline = _mm_set1_epi8('\n');
        for (; i + 16 <= t->length; i += 16) {
            unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(units + i)), newline));
            for (; found; found &= found - 1) {
                Py_ssize_t at = i + __builtin_ctz(found);
                if (blank_line_after(t, at) >= 0) return at;
            }
        }
    } else if (t->kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *units = t->data;
        const __m128i newline = _mm_set1_epi16('\n');
        for (; i + 8 <= t->length; i += 8) {
            unsigned found = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(units + i)), newline));
            for (; found; found &= found - 1, found &= found - 1) { /* (two bits a unit, cleared together) */
                Py_ssize_t at = i + __builtin_ctz(found) / 2;
                if (blank_line_after(t, at) >= 0) return at;
            }
        }
    }
#endif
    for (; i < t->length; i++)
        if (char_at(t, i) == '\n' && blank_line_after(t, i) >= 0) return i;
    return -1;
}

/* The next match of _BLANK_LINES (a newline, then blank lines of spaces and TABs each ending
 * in a newline) at or after from: its (start, end), or start -1. */
TEXT_FN void next_blank_lines(const Text *t, Py_ssize_t from, Py_ssize_t *start, Py_ssize_t *end) {
    Py_ssize_t i = next_blank_line(t, from), blank_end;
    *start = *end = i;
    if (i < 0) return;
    while ((blank_end = blank_line_after(t, *end)) >= 0) *end = blank_end;
    (*end)++;
}

static int append_pair(PyObject *list, Py_ssize_t a, Py_ssize_t b) {
    PyObject *pair = Py_BuildValue("(nn)", a, b);
    if (!pair) return -1;
    int failed = PyList_Append(list, pair);
    Py_DECREF(pair);
    return failed;
}

/* The piece's blocks (_blocks: runs of non-boundary lines) that pass _may_be_fields, with
 * their labels. */
TEXT_FN PyObject *field_blocks(const Text *t, PyObject *text, Py_ssize_t from, Py_ssize_t to) {
    PyObject *blocks = PyList_New(0);
    if (!blocks) return NULL;
    Py_ssize_t run = from;
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(t, line, to);
        if (is_boundary(t, line, end)) {
            if (run < line && may_be_fields(t, run, line - 1) &&
                append_new(blocks, field_block(t, text, run, line - 1)) < 0)
                goto fail;
            run = end + 1;
        }
        if (end >= to) break;
        line = end + 1;
    }
    if (run < to && may_be_fields(t, run, to) && append_new(blocks, field_block(t, text, run, to)) < 0) goto fail;
    return blocks;
fail:
    Py_DECREF(blocks);
    return NULL;
}

TEXT_FN PyObject *record_blocks_in(const Text *text, PyObject *text_object) {
    const Text t = *text;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t piece = 0;
    for (;;) {
        Py_ssize_t blank_start, blank_end;
        next_blank_lines(&t, piece, &blank_start, &blank_end);
        Py_ssize_t piece_end = blank_start < 0 ? t.length : blank_start;
        if (holds_record_value(&t, piece, piece_end) && find_char(&t, '\n', piece, piece_end) >= 0 &&
            two_field_lines_in(&t, piece, piece_end)) {
            PyObject *blocks = field_blocks(&t, text_object, piece, piece_end);
            if (!blocks) goto fail;
            if (PyList_GET_SIZE(blocks)) {
                PyObject *entry = Py_BuildValue("(nnN)", piece, piece_end, blocks);
                if (!entry || PyList_Append(out, entry) < 0) {
                    Py_XDECREF(entry);
                    goto fail;
                }
                Py_DECREF(entry);
            } else
                Py_DECREF(blocks);
        }
        if (blank_start < 0) break;
        piece = blank_end;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *record_blocks(PyObject *self, PyObject *arg) {
    Text t;
    if (text_of(arg, &t) < 0) return NULL;
    BY_KIND(t, record_blocks_in(&kind_text, arg))
}

static PyObject *configure_records(PyObject *self, PyObject *args) {
    if (!PyArg_ParseTuple(args, "nnnnnnn", &MAX_FIELD_LINE_CHARS, &MAX_UNLABELED_CHARS, &MAX_UNLABELED_WORDS,
                          &MAX_LABEL_CHARS, &MAX_LABEL_WORDS, &BOUNDARY_MAX_CHARS, &MAX_UNLABELED_BLOCK_LINES))
        return NULL;
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------- tables.py's fixed-width blocks */

/* _INNER_GAPS_ROW in the line: a non-space, 2+ spaces, then gutters - 1 times a cell (a
 * character neither space nor newline, then anything) and 2+ spaces, and a non-space. The
 * leftmost gap and the earliest gap after each cell decide (a later one leaves less room). */
TEXT_FN int has_inner_gaps(const Text *t, Py_ssize_t from, Py_ssize_t to, Py_ssize_t gutters) {
    Py_ssize_t i = from + 1;
    for (; i + 1 < to; i++)
        if (char_at(t, i) == ' ' && char_at(t, i + 1) == ' ' && !is_space(char_at(t, i - 1))) break;
    if (i + 1 >= to) return 0;
    while (i < to && char_at(t, i) == ' ') i++;
    if (gutters == 1) return i < to && !is_space(char_at(t, i));
    for (Py_ssize_t cell = 1; cell < gutters; cell++) {
        if (i >= to) return 0;
        i++; /* the cell's first character (not a space: the run of spaces ended) */
        int last = cell == gutters - 1;
        for (;; i++) {
            if (i + 1 >= to) return 0;
            if (char_at(t, i) != ' ' || char_at(t, i + 1) != ' ') continue;
            Py_ssize_t after = i + 2;
            while (after < to && char_at(t, after) == ' ') after++;
            if (after < to && (!last || !is_space(char_at(t, after)))) {
                i = after;
                break;
            }
            i = after - 1; /* (the loop's i++ lands on the run's end) */
        }
        if (last) return 1;
    }
    return 1;
}

/* text.count("  ", from, to): runs of spaces, two spaces a count. */
TEXT_FN Py_ssize_t double_spaces(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t count = 0, run = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        if (char_at(t, i) == ' ') run++;
        else {
            count += run / 2;
            run = 0;
        }
    }
    return count + run / 2;
}

/* The start of the first line at or after `line` (a line's start) that holds a non-space
 * followed by two spaces, the start of has_inner_gaps' pattern, or -1 when none does: the
 * lines before it have no inner gaps. */
TEXT_FN Py_ssize_t next_gapped_line(const Text *t, Py_ssize_t line) {
    Py_ssize_t at = line + 1; /* (has_inner_gaps looks from a line's second character on) */
    for (;;) {
        if ((at = next_double_space(t, at, t->length)) < 0) return -1;
        if (!is_space(char_at(t, at - 1))) break; /* (then text[at - 1] is on the line of `at`) */
        while (at < t->length && char_at(t, at) == ' ') at++; /* indentation, or after a TAB */
    }
    while (at > line && char_at(t, at - 1) != '\n') at--;
    return at;
}

TEXT_FN PyObject *fixed_width_runs_in(const Text *text, Py_ssize_t min_lines, Py_ssize_t gutters) {
    const Text t = *text;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    for (Py_ssize_t line = 0; line < t.length;) {
        if ((line = next_gapped_line(&t, line)) < 0) break; /* (the lines before it have no inner gaps) */
        Py_ssize_t end = line_end(&t, line, t.length);
        if (!has_inner_gaps(&t, line, end, gutters)) {
            line = end + 1;
            continue;
        }
        /* _gapped_run_around: the gapped lines before and after it */
        Py_ssize_t start = line, lines = 1;
        while (start > 0) {
            Py_ssize_t previous = start - 1;
            while (previous > 0 && char_at(&t, previous - 1) != '\n') previous--;
            if (double_spaces(&t, previous, start - 1) < gutters) break;
            start = previous;
            lines++;
        }
        while (end < t.length) {
            Py_ssize_t following = line_end(&t, end + 1, t.length);
            if (double_spaces(&t, end + 1, following) < gutters) break;
            end = following;
            lines++;
        }
        if (lines >= min_lines && append_pair(out, start, end) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        line = end + 1;
    }
    return out;
}

static PyObject *fixed_width_runs(PyObject *self, PyObject *args) {
    PyObject *object;
    Py_ssize_t min_lines, gutters;
    Text t;
    if (!PyArg_ParseTuple(args, "Unn", &object, &min_lines, &gutters) || text_of(object, &t) < 0) return NULL;
    if (gutters < 1) {
        PyErr_SetString(PyExc_ValueError, "gutters must be at least 1");
        return NULL;
    }
    BY_KIND(t, fixed_width_runs_in(&kind_text, min_lines, gutters))
}

/* _RULE_LINE: only whitespace and -=_+*| (and not empty). */
TEXT_FN int is_rule_line(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    if (from >= to) return 0;
    for (Py_ssize_t i = from; i < to; i++) {
        Py_UCS4 c = char_at(t, i);
        if (!is_space(c) && !in_class(c, TABLE_RULE)) return 0;
    }
    return 1;
}

TEXT_FN int is_content_line(const Text *t, Py_ssize_t from, Py_ssize_t to) {
    Py_ssize_t a = from, b = to;
    strip(t, &a, &b);
    return a < b && !is_rule_line(t, from, to);
}

/* Bit c of word w: columns c and c + 1 both set (of the count words). */
static inline uint64_t pairs_of(const uint64_t *words, Py_ssize_t count, Py_ssize_t w) {
    uint64_t next_low = w + 1 < count ? (words[w + 1] & 1) : 0;
    return words[w] & ((words[w] >> 1) | (next_low << 63));
}

/* The runs of 2+ set bits of the count words that start in words [lo, hi). */
static Py_ssize_t gap_starts(const uint64_t *words, Py_ssize_t count, Py_ssize_t lo, Py_ssize_t hi) {
    Py_ssize_t gaps = 0;
    uint64_t previous_pairs_top = lo > 0 ? pairs_of(words, count, lo - 1) >> 63 : 0;
    for (Py_ssize_t w = lo; w < hi; w++) {
        uint64_t pairs = pairs_of(words, count, w);
        gaps += __builtin_popcountll(pairs & ~((pairs << 1) | previous_pairs_top));
        previous_pairs_top = pairs >> 63;
    }
    return gaps;
}

/* The first `words` words of the line's blank columns (bit c: column c is a space, or past
 * the line's `length` and before `width`: the line padded to width). */
TEXT_FN void blank_columns(const Text *t, Py_ssize_t line, Py_ssize_t length, Py_ssize_t width, uint64_t *blank,
                           Py_ssize_t words) {
    memset(blank, 0, sizeof(uint64_t) * (size_t)words);
    for (Py_ssize_t c = 0; c < length; c++)
        if (char_at(t, line + c) == ' ') blank[c >> 6] |= 1ULL << (c & 63);
    Py_ssize_t padded_to = words * 64 < width ? words * 64 : width;
    for (Py_ssize_t c = length; c < padded_to; c++) {
        if ((c & 63) == 0 && c + 64 <= padded_to) {
            blank[c >> 6] = ~0ULL;
            c += 63;
        } else
            blank[c >> 6] |= 1ULL << (c & 63);
    }
}

/* _common_gutters of text[from:to].split("\n"): the column ranges of 2+ spaces blank in
 * every content line, inside it; [] when fewer than `gutters` gaps run through the first
 * lines (given up as Python gives up). */
static PyObject *common_gutters(PyObject *self, PyObject *args) {
    PyObject *object;
    Py_ssize_t from, to, gutters;
    Text t;
    if (!PyArg_ParseTuple(args, "Unnn", &object, &from, &to, &gutters) || text_of(object, &t) < 0) return NULL;
    if (from < 0 || to > t.length || from > to) {
        PyErr_SetString(PyExc_ValueError, "bounds out of the text");
        return NULL;
    }
    Py_ssize_t width = 0, contents = 0;
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(&t, line, to);
        if (is_content_line(&t, line, end)) {
            contents++;
            if (end - line > width) width = end - line;
        }
        if (end >= to) break;
        line = end + 1;
    }
    PyObject *out = PyList_New(0);
    if (!out || !contents) return out;
    Py_ssize_t count = (width + 63) / 64;
    uint64_t *common = PyMem_Malloc(sizeof(uint64_t) * (size_t)count * 2);
    if (!common) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    uint64_t *blank = common + count;
    int first = 1;
    Py_ssize_t gaps = 0; /* the runs of 2+ set bits of common */
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(&t, line, to);
        if (is_content_line(&t, line, end)) {
            Py_ssize_t length = end - line;
            if (first) {
                blank_columns(&t, line, length, width, common, count);
                gaps = gap_starts(common, count, 0, count);
                first = 0;
            } else {
                /* Past the words holding the line its padded columns are all blank: common stays
                 * as it is there, and only the runs starting up to the word after them change
                 * (one long line over many short ones costs the short ones' length, not its). */
                Py_ssize_t touched = (length + 63) / 64, affected = touched < count ? touched + 1 : count;
                blank_columns(&t, line, length, width, blank, touched);
                gaps -= gap_starts(common, count, 0, affected);
                for (Py_ssize_t w = 0; w < touched; w++) common[w] &= blank[w];
                gaps += gap_starts(common, count, 0, affected);
                if (gaps < gutters) {
                    PyMem_Free(common);
                    return out;
                }
            }
        }
        if (end >= to) break;
        line = end + 1;
    }
    for (Py_ssize_t c = 0; c < width;) {
        if (!((common[c >> 6] >> (c & 63)) & 1)) {
            c++;
            continue;
        }
        Py_ssize_t run_end = c;
        while (run_end < width && ((common[run_end >> 6] >> (run_end & 63)) & 1)) run_end++;
        if (run_end - c >= 2 && c > 0 && run_end < width && append_pair(out, c, run_end) < 0) {
            PyMem_Free(common);
            Py_DECREF(out);
            return NULL;
        }
        c = run_end;
    }
    PyMem_Free(common);
    return out;
}

/* A span's bound in a line of `size` characters, as the slice line[start:end] reads it: past
 * the end is the end, and a negative one counts from the end (tables._cells slices; gutters
 * are columns, never negative, but a bound read as given would reach before the line). */
static inline Py_ssize_t slice_bound(Py_ssize_t bound, Py_ssize_t size) {
    if (bound < 0) return bound + size < 0 ? 0 : bound + size;
    return bound < size ? bound : size;
}

/* The run's lines but rule lines, each cut at the spans between gutters, its cells stripped
 * and TAB-separated without trailing empty cells, the lines joined by newlines (tables._cells
 * and its join): written when `out` is given, else only measured (length, largest character:
 * a str is made of the kind its largest character needs). When the spans start `ordered`
 * (at columns from 0 up), a line's cells end at the first span starting past it: the rest
 * are empty, and a short line under one long line of many gutters costs its own length. */
TEXT_FN void write_cells(const Text *t, Py_ssize_t from, Py_ssize_t to, const Py_ssize_t *spans, Py_ssize_t count,
                         int ordered, PyObject *out, Py_ssize_t *length, Py_UCS4 *largest) {
    int out_kind = out ? PyUnicode_KIND(out) : 0;
    void *out_data = out ? PyUnicode_DATA(out) : NULL;
    Py_ssize_t at = 0, written_lines = 0;
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = line_end(t, line, to), size = end - line;
        if (!is_rule_line(t, line, end)) {
            if (written_lines++) {
                if (out) PyUnicode_WRITE(out_kind, out_data, at, '\n');
                at++;
            }
            Py_ssize_t last = -1; /* the last cell that is not empty: no TABs after it */
            for (Py_ssize_t c = 0; c < count && !(ordered && spans[2 * c] >= size); c++) {
                Py_ssize_t a = line + slice_bound(spans[2 * c], size);
                Py_ssize_t b = line + slice_bound(spans[2 * c + 1], size);
                if (b < a) b = a;
                strip(t, &a, &b);
                if (a < b) last = c;
            }
            for (Py_ssize_t c = 0; c <= last; c++) {
                Py_ssize_t a = line + slice_bound(spans[2 * c], size);
                Py_ssize_t b = line + slice_bound(spans[2 * c + 1], size);
                if (b < a) b = a;
                strip(t, &a, &b);
                if (c) {
                    if (out) PyUnicode_WRITE(out_kind, out_data, at, '\t');
                    at++;
                }
                for (Py_ssize_t i = a; i < b; i++) {
                    Py_UCS4 ch = char_at(t, i);
                    if (out) PyUnicode_WRITE(out_kind, out_data, at, ch);
                    else if (ch > *largest) *largest = ch;
                    at++;
                }
            }
        }
        if (end >= to) break;
        line = end + 1;
    }
    *length = at;
}

TEXT_FN PyObject *fixed_width_cells_in(const Text *text, Py_ssize_t from, Py_ssize_t to, const Py_ssize_t *spans,
                                       Py_ssize_t count, int ordered) {
    const Text t = *text;
    Py_ssize_t length = 0;
    Py_UCS4 largest = 0;
    write_cells(&t, from, to, spans, count, ordered, NULL, &length, &largest);
    PyObject *out = PyUnicode_New(length, largest);
    if (!out) return NULL;
    write_cells(&t, from, to, spans, count, ordered, out, &length, &largest);
    return out;
}

static PyObject *fixed_width_cells(PyObject *self, PyObject *args) {
    PyObject *object, *gutters;
    Py_ssize_t from, to;
    Text t;
    if (!PyArg_ParseTuple(args, "UnnO!", &object, &from, &to, &PyList_Type, &gutters) || text_of(object, &t) < 0)
        return NULL;
    if (from < 0 || to > t.length || from > to) {
        PyErr_SetString(PyExc_ValueError, "bounds out of the text");
        return NULL;
    }
    Py_ssize_t width = 0; /* the longest line's length: the last span's end */
    for (Py_ssize_t line = from;;) {
        Py_ssize_t end = find_char(&t, '\n', line, to);
        end = end < 0 ? to : end;
        if (end - line > width) width = end - line;
        if (end >= to) break;
        line = end + 1;
    }
    /* A copy of the list: reading a bound may run Python code (an int subclass's __index__),
     * which must not shrink or free what is read. */
    PyObject *pairs = PyList_AsTuple(gutters);
    if (!pairs) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(pairs) + 1;
    Py_ssize_t *spans = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * (size_t)count);
    if (!spans) {
        Py_DECREF(pairs);
        return PyErr_NoMemory();
    }
    Py_ssize_t position = 0;
    for (Py_ssize_t g = 0; g < count - 1; g++) { /* tables._spans */
        Py_ssize_t start, end;
        PyObject *pair = PyTuple_GET_ITEM(pairs, g);
        if (!PyTuple_Check(pair)) {
            PyErr_SetString(PyExc_TypeError, "a gutter is a (start, end) tuple");
            pair = NULL;
        }
        if (!pair || !PyArg_ParseTuple(pair, "nn", &start, &end)) {
            PyMem_Free(spans);
            Py_DECREF(pairs);
            return NULL;
        }
        spans[2 * g] = position;
        spans[2 * g + 1] = start;
        position = end;
    }
    Py_DECREF(pairs);
    spans[2 * (count - 1)] = position;
    spans[2 * (count - 1) + 1] = width;
    int ordered = spans[0] >= 0; /* (common_gutters' gutters are) */
    for (Py_ssize_t c = 1; c < count; c++) ordered &= spans[2 * c] >= spans[2 * (c - 1)];
    PyObject *out = NULL;
    switch (t.kind) {
    case PyUnicode_1BYTE_KIND: {
        const Text kind_text = {PyUnicode_1BYTE_KIND, t.data, t.length};
        out = fixed_width_cells_in(&kind_text, from, to, spans, count, ordered);
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        const Text kind_text = {PyUnicode_2BYTE_KIND, t.data, t.length};
        out = fixed_width_cells_in(&kind_text, from, to, spans, count, ordered);
        break;
    }
    default: {
        const Text kind_text = {PyUnicode_4BYTE_KIND, t.data, t.length};
        out = fixed_width_cells_in(&kind_text, from, to, spans, count, ordered);
    }
    }
    PyMem_Free(spans);
    return out;
}

/* --------------------------------------------------------- tabular.py's delimiter sniffing */

/* The number of fields of each row csv.reader(lines, delimiter=delimiter) reads (the excel
 * dialect: '"' quotes, doubled inside, no escape character, not strict), without making the
 * rows: its parser's states, each field counted where it saves one. A quoted field left open
 * at a line's end goes on in the next line (one row of several lines), and at the end of the
 * lines is saved as it is. Lines hold no line breaks (tabular passes splitlines' lines). */
enum { START_RECORD, START_FIELD, IN_FIELD, IN_QUOTED_FIELD, QUOTE_IN_QUOTED_FIELD };

/* csv.reader's parser between lines: its state, and the fields of the row being read. */
typedef struct {
    int state;
    Py_ssize_t fields;
} CsvRows;

/* Reads the line text[from:to] into the rows (csv.reader's states, the excel dialect: '"'
 * quotes, doubled inside, no escape character, not strict; each field counted where the
 * parser saves one), appending to `widths` the width of the row it ends (none when a quoted
 * field goes on into the next line). -1 on an error, a ValueError when the line holds a line
 * break or NUL (csv.reader's own reading then decides). */
TEXT_FN int csv_read_line(const Text *t, Py_ssize_t from, Py_ssize_t to, Py_UCS4 delimiter, CsvRows *rows,
                          PyObject *widths) {
    int state = rows->state;
    Py_ssize_t fields = rows->fields;
    for (Py_ssize_t i = from; i <= to; i++) {
        int end = i == to; /* the parser's end-of-line mark */
        Py_UCS4 c = end ? 0 : char_at(t, i);
        if (!end && (c == '\n' || c == '\r' || c == 0)) {
            PyErr_SetString(PyExc_ValueError, "a line holds a line break or NUL");
            return -1;
        }
        switch (state) {
        case START_RECORD:
            if (end) break; /* an empty line: a row of no fields */
            state = START_FIELD;
            /* fallthrough */
        case START_FIELD:
            if (end) {
                fields++;
                state = START_RECORD;
            } else if (c == '"')
                state = IN_QUOTED_FIELD;
            else if (c == delimiter)
                fields++;
            else
                state = IN_FIELD;
            break;
        case IN_FIELD:
            if (end) {
                fields++;
                state = START_RECORD;
            } else if (c == delimiter) {
                fields++;
                state = START_FIELD;
            }
            break;
        case IN_QUOTED_FIELD:
            if (!end && c == '"') state = QUOTE_IN_QUOTED_FIELD;
            break;
        default: /* QUOTE_IN_QUOTED_FIELD */
            if (end) {
                fields++;
                state = START_RECORD;
            } else if (c == '"')
                state = IN_QUOTED_FIELD;
            else if (c == delimiter) {
                fields++;
                state = START_FIELD;
            } else
                state = IN_FIELD;
        }
    }
    if (state == START_RECORD) {
        if (append_new(widths, PyLong_FromSsize_t(fields)) < 0) return -1;
        fields = 0;
    }
    rows->state = state;
    rows->fields = fields;
    return 0;
}

/* The lines ended: a quoted field left open is saved as it is. */
static int csv_end(const CsvRows *rows, PyObject *widths) {
    return rows->state == IN_QUOTED_FIELD ? append_new(widths, PyLong_FromSsize_t(rows->fields + 1)) : 0;
}

/* The number of fields of each row csv.reader(lines, delimiter=delimiter) reads, without
 * making the rows (csv_read_line). A quoted field left open at a line's end goes on in the
 * next line (one row of several lines). Lines hold no line breaks (tabular passes splitlines'
 * lines). */
static PyObject *csv_row_widths(PyObject *self, PyObject *args) {
    PyObject *lines, *delimiter_object;
    if (!PyArg_ParseTuple(args, "O!U", &PyList_Type, &lines, &delimiter_object)) return NULL;
    if (PyUnicode_GET_LENGTH(delimiter_object) != 1) {
        PyErr_SetString(PyExc_ValueError, "the delimiter is one character");
        return NULL;
    }
    Py_UCS4 delimiter = PyUnicode_READ_CHAR(delimiter_object, 0);
    PyObject *widths = PyList_New(0);
    if (!widths) return NULL;
    CsvRows rows = {START_RECORD, 0};
    for (Py_ssize_t n = 0; n < PyList_GET_SIZE(lines); n++) {
        Text t;
        if (text_of(PyList_GET_ITEM(lines, n), &t) < 0) goto fail;
        int failed;
        switch (t.kind) { /* (BY_KIND returns: the loop goes on) */
        case PyUnicode_1BYTE_KIND: {
            const Text kind_text = {PyUnicode_1BYTE_KIND, t.data, t.length};
            failed = csv_read_line(&kind_text, 0, t.length, delimiter, &rows, widths);
            break;
        }
        case PyUnicode_2BYTE_KIND: {
            const Text kind_text = {PyUnicode_2BYTE_KIND, t.data, t.length};
            failed = csv_read_line(&kind_text, 0, t.length, delimiter, &rows, widths);
            break;
        }
        default: {
            const Text kind_text = {PyUnicode_4BYTE_KIND, t.data, t.length};
            failed = csv_read_line(&kind_text, 0, t.length, delimiter, &rows, widths);
        }
        }
        if (failed < 0) goto fail;
    }
    if (csv_end(&rows, widths) < 0) goto fail;
    return widths;
fail:
    Py_DECREF(widths);
    return NULL;
}

/* What tabular.sniff_delimiter weighs, read in the text itself (no line made a str). The
 * sample: tabular._first_lines' lines (the head up to its max_lines-th newline or max_chars
 * characters, cut as str.splitlines cuts it: at any line break, "\r\n" as one; its first
 * max_lines lines) but the empty and all-whitespace ones (str.isspace). For each of
 * `delimiters`: None when tabular._may_reach stops it (no sample line holds it; or, no line
 * holding '"', fewer than min_consistency of them do), else the sample's row widths
 * (csv_read_line over its lines). Gives (sample lines, (widths or None, ...)), or None when a
 * sample line holds a NUL (csv.reader's own reading decides then). */
TEXT_FN PyObject *sniff_widths_in(const Text *text, Py_ssize_t max_chars, Py_ssize_t max_lines, const Text *delimiters,
                                  double min_consistency) {
    const Text t = *text;
    Py_ssize_t limit = t.length < max_chars ? t.length : max_chars, end = limit, newlines = 0;
    for (Py_ssize_t i = 0; newlines < max_lines && (i = find_char(&t, '\n', i, limit)) >= 0; i++)
        if (++newlines == max_lines) end = i + 1;
    /* Each line's ASCII delimiters as bits, set as its characters are read (bit d: delimiter d). */
    uint8_t delimiter_bits[128] = {0};
    for (Py_ssize_t d = 0; d < delimiters->length; d++)
        if (char_at(delimiters, d) < 128) delimiter_bits[char_at(delimiters, d)] |= (uint8_t)(1u << d);
    Py_ssize_t(*spans)[2] = PyMem_Malloc(sizeof(*spans) * (size_t)(max_lines > 0 ? max_lines : 1));
    uint8_t *holds = PyMem_Malloc((size_t)(max_lines > 0 ? max_lines : 1));
    if (!spans || !holds) {
        PyMem_Free(spans);
        PyMem_Free(holds);
        return PyErr_NoMemory();
    }
    Py_ssize_t lines = 0, sample = 0;
    int quoted = 0, nul = 0; /* (a blank line holds neither: whatever lines hold is the sample's) */
    for (Py_ssize_t i = 0; i < end && lines < max_lines;) {
        Py_ssize_t j = i;
        int blank = 1;
        uint8_t held = 0;
        for (; j < end; j++) {
            Py_UCS4 c = char_at(&t, j);
            if (c < 128) {
                if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) break;
                held |= delimiter_bits[c];
                quoted |= c == '"';
                nul |= c == 0;
                if (blank && !(ascii_class[c] & SPACE)) blank = 0;
            } else {
                if (Py_UNICODE_ISLINEBREAK(c)) break;
                if (blank && !Py_UNICODE_ISSPACE(c)) blank = 0;
            }
        }
        lines++;
        if (!blank) {
            spans[sample][0] = i;
            spans[sample][1] = j;
            holds[sample] = held;
            sample++;
        }
        i = (j + 1 < end && char_at(&t, j) == '\r' && char_at(&t, j + 1) == '\n') ? j + 2 : j + 1;
    }
    PyObject *out = NULL, *all = NULL;
    if (nul) {
        out = Py_None;
        Py_INCREF(out);
        goto done;
    }
    all = PyTuple_New(delimiters->length);
    if (!all) goto done;
    for (Py_ssize_t d = 0; d < delimiters->length; d++) {
        Py_UCS4 delimiter = char_at(delimiters, d);
        Py_ssize_t holding = 0;
        for (Py_ssize_t n = 0; n < sample; n++)
            holding += delimiter < 128 ? (holds[n] >> d) & 1 : find_char(&t, delimiter, spans[n][0], spans[n][1]) >= 0;
        if (!holding || (!quoted && (double)holding < min_consistency * (double)sample)) {
            Py_INCREF(Py_None);
            PyTuple_SET_ITEM(all, d, Py_None);
            continue;
        }
        PyObject *widths = PyList_New(0);
        if (!widths) goto done;
        PyTuple_SET_ITEM(all, d, widths);
        CsvRows rows = {START_RECORD, 0};
        for (Py_ssize_t n = 0; n < sample; n++)
            if (csv_read_line(&t, spans[n][0], spans[n][1], delimiter, &rows, widths) < 0) goto done;
        if (csv_end(&rows, widths) < 0) goto done;
    }
    out = Py_BuildValue("(nO)", sample, all);
done:
    Py_XDECREF(all);
    PyMem_Free(spans);
    PyMem_Free(holds);
    return out;
}

static PyObject *sniff_widths(PyObject *self, PyObject *args) {
    PyObject *object, *delimiter_object;
    Py_ssize_t max_chars, max_lines;
    double min_consistency;
    Text t, delimiters;
    if (!PyArg_ParseTuple(args, "UnnUd", &object, &max_chars, &max_lines, &delimiter_object, &min_consistency) ||
        text_of(object, &t) < 0 || text_of(delimiter_object, &delimiters) < 0)
        return NULL;
    if (delimiters.length > 8) {
        PyErr_SetString(PyExc_ValueError, "at most 8 delimiters");
        return NULL;
    }
    BY_KIND(t, sniff_widths_in(&kind_text, max_chars, max_lines, &delimiters, min_consistency))
}

/* ------------------------------------------------------------ tables.py's Markdown hint */

/* Whether text holds a match of tables._MARKDOWN_HINT: a pipe, spaces and TABs, an optional CR,
 * a newline, spaces and TABs, a pipe (the regex engine searched the whole text for it; here
 * each pipe is found by find_char, at memory speed in Latin-1 text, and most text has few). */
TEXT_FN int holds_markdown_hint(const Text *t) {
    for (Py_ssize_t at = 0; (at = find_char(t, '|', at, t->length)) >= 0;) {
        Py_ssize_t i = at + 1;
        while (i < t->length && (char_at(t, i) == ' ' || char_at(t, i) == '\t')) i++;
        if (i < t->length && char_at(t, i) == '\r') i++;
        if (i < t->length && char_at(t, i) == '\n') {
            i++;
            while (i < t->length && (char_at(t, i) == ' ' || char_at(t, i) == '\t')) i++;
            if (i < t->length && char_at(t, i) == '|') return 1;
        }
        at++; /* (the pipe a try ended at, if any, is tried as a start of its own) */
    }
    return 0;
}

static PyObject *markdown_hint(PyObject *self, PyObject *arg) {
    Text t;
    if (text_of(arg, &t) < 0) return NULL;
    int found;
    switch (t.kind) {
    case PyUnicode_1BYTE_KIND: {
        const Text kind_text = {PyUnicode_1BYTE_KIND, t.data, t.length};
        found = holds_markdown_hint(&kind_text);
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        const Text kind_text = {PyUnicode_2BYTE_KIND, t.data, t.length};
        found = holds_markdown_hint(&kind_text);
        break;
    }
    default: {
        const Text kind_text = {PyUnicode_4BYTE_KIND, t.data, t.length};
        found = holds_markdown_hint(&kind_text);
    }
    }
    return PyBool_FromLong(found);
}

/* ---------------------------------------------------------- textcodec.py's control characters */

/* The characters of text[:end] that are one of `controls` (ASCII): textcodec._control_share's
 * count of control bytes in the head's UTF-8 (a character below 128 is its one byte there, and
 * no other character has a byte below 128). Latin-1 text is read 16 bytes at a time: only the
 * bytes below 32 and DEL (a line's newline, mostly) are looked up. */
TEXT_FN Py_ssize_t control_chars_in(const Text *t, Py_ssize_t end, const uint8_t *is_control) {
    Py_ssize_t count = 0, i = 0;
#if defined(__SSE2__)
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *units = t->data;
        const __m128i low = _mm_set1_epi8(31), del = _mm_set1_epi8(127), zero = _mm_setzero_si128();
        for (; i + 16 <= end; i += 16) {
            __m128i chunk = _mm_loadu_si128((const __m128i *)(units + i));
            __m128i below = _mm_cmpeq_epi8(_mm_subs_epu8(chunk, low), zero); /* (<= 31) */
            unsigned found = (unsigned)_mm_movemask_epi8(_mm_or_si128(below, _mm_cmpeq_epi8(chunk, del)));
            for (; found; found &= found - 1) count += is_control[units[i + __builtin_ctz(found)]];
        }
    }
#endif
    for (; i < end; i++) {
        Py_UCS4 c = char_at(t, i);
        count += c < 128 && is_control[c];
    }
    return count;
}

static PyObject *control_chars(PyObject *self, PyObject *args) {
    PyObject *object;
    Py_ssize_t end;
    const char *controls;
    Py_ssize_t control_count;
    Text t;
    if (!PyArg_ParseTuple(args, "Uny#", &object, &end, &controls, &control_count) || text_of(object, &t) < 0)
        return NULL;
    uint8_t is_control[128] = {0};
    for (Py_ssize_t i = 0; i < control_count; i++) {
        if ((unsigned char)controls[i] >= 128) {
            PyErr_SetString(PyExc_ValueError, "controls must be ASCII");
            return NULL;
        }
        is_control[(unsigned char)controls[i]] = 1;
    }
    if (end < 0) end = 0;
    if (end > t.length) end = t.length;
    Py_ssize_t count;
    switch (t.kind) {
    case PyUnicode_1BYTE_KIND: {
        const Text kind_text = {PyUnicode_1BYTE_KIND, t.data, t.length};
        count = control_chars_in(&kind_text, end, is_control);
        break;
    }
    case PyUnicode_2BYTE_KIND: {
        const Text kind_text = {PyUnicode_2BYTE_KIND, t.data, t.length};
        count = control_chars_in(&kind_text, end, is_control);
        break;
    }
    default: {
        const Text kind_text = {PyUnicode_4BYTE_KIND, t.data, t.length};
        count = control_chars_in(&kind_text, end, is_control);
    }
    }
    return PyLong_FromSsize_t(count);
}

/* ------------------------------------------------------------ base64text.py's long stretches */

/* Each stretch is found from one letter in every min_chars (a stretch that long holds one):
 * from there back to its start and on to its end; most text is read a word in min_chars. */
TEXT_FN PyObject *base64_stretches_in(const Text *text, Py_ssize_t min_chars) {
    const Text t = *text;
    PyObject *out = PyList_New(0);
    if (!out || min_chars < 1) return out;
    Py_ssize_t boundary = 0; /* no stretch starts before it: a non-letter, or a stretch's end, is at boundary - 1 */
    for (Py_ssize_t probe = min_chars - 1; probe < t.length;) {
        if (!in_class(char_at(&t, probe), BASE64)) {
            boundary = probe + 1;
            probe = boundary + min_chars - 1;
            continue;
        }
        Py_ssize_t start = probe, end = probe + 1;
        while (start > boundary && in_class(char_at(&t, start - 1), BASE64)) start--;
        while (end < t.length && in_class(char_at(&t, end), BASE64)) end++;
        if (end - start >= min_chars) {
            PyObject *found = PyLong_FromSsize_t(start);
            if (!found || PyList_Append(out, found) < 0) {
                Py_XDECREF(found);
                Py_DECREF(out);
                return NULL;
            }
            Py_DECREF(found);
        }
        boundary = end + 1; /* (end is a non-letter or the text's end) */
        probe = boundary + min_chars - 1;
    }
    return out;
}

static PyObject *base64_stretches(PyObject *self, PyObject *args) {
    PyObject *object;
    Py_ssize_t min_chars;
    Text t;
    if (!PyArg_ParseTuple(args, "Un", &object, &min_chars) || text_of(object, &t) < 0) return NULL;
    BY_KIND(t, base64_stretches_in(&kind_text, min_chars))
}

static PyMethodDef module_methods[] = {
    {"record_blocks", record_blocks, METH_O,
     "record_blocks(text) -> [(start, end, [(first, last, labels), ...])]: the pieces of text\n"
     "between blank lines that hold a record's kind of value and two field lines one after the\n"
     "other, each with its blocks that may hold fields and their labels (records.py's\n"
     "_pieces_with_record_values, _two_field_lines_in, _blocks and _may_be_fields); pieces\n"
     "without such a block left out."},
    {"configure_records", configure_records, METH_VARARGS,
     "configure_records(max_field_line_chars, max_unlabeled_chars, max_unlabeled_words,\n"
     "max_label_chars, max_label_words, boundary_max_chars, max_unlabeled_block_lines):\n"
     "records.py's limits, given once."},
    {"fixed_width_runs", fixed_width_runs, METH_VARARGS,
     "fixed_width_runs(text, min_lines, gutters) -> [(start, end)]: the runs of gapped lines\n"
     "around each row with inner gaps, of at least min_lines lines (tables.py)."},
    {"common_gutters", common_gutters, METH_VARARGS,
     "common_gutters(text, start, end, gutters) -> [(start, end)]: tables._common_gutters of\n"
     "the lines of text[start:end]."},
    {"fixed_width_cells", fixed_width_cells, METH_VARARGS,
     "fixed_width_cells(text, start, end, gutters) -> str: the lines of text[start:end] but rule\n"
     "lines cut at the gutters, TAB-separated ('\\n'.join(tables._cells(...)))."},
    {"csv_row_widths", csv_row_widths, METH_VARARGS,
     "csv_row_widths(lines, delimiter) -> [int]: the fields of each row csv.reader(lines,\n"
     "delimiter=delimiter) reads (tabular._shape_score), without making the rows."},
    {"sniff_widths", sniff_widths, METH_VARARGS,
     "sniff_widths(text, max_chars, max_lines, delimiters, min_consistency) -> (sample lines,\n"
     "(row widths or None, ...)), or None: the delimiter sniffer's sample (tabular._first_lines but\n"
     "the blank ones) and, for each delimiter _may_reach lets through, csv.reader's row widths of\n"
     "it (tabular._sample_widths); None when a sample line holds a NUL."},
    {"markdown_hint", markdown_hint, METH_O,
     "markdown_hint(text) -> bool: whether text holds a match of tables._MARKDOWN_HINT (a pipe at\n"
     "a line's end and another at the next line's start)."},
    {"control_chars", control_chars, METH_VARARGS,
     "control_chars(text, end, controls) -> int: the characters of text[:end] that are one of the\n"
     "ASCII bytes controls (textcodec._control_share's count)."},
    {"base64_stretches", base64_stretches, METH_VARARGS,
     "base64_stretches(text, min_chars) -> [start]: where the stretches of at least min_chars\n"
     "base64 letters (A-Z, a-z, 0-9, +, /) begin (base64text._long_run_starts)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_textshape",
    "Plain text's record-block and fixed-width line tests, compiled (see records.py, tables.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__textshape(void) {
    init_classes();
    return PyModule_Create(&module);
}
