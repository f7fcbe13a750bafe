/* Single-pass character scans for the screening engine's per-post pre-checks.
 *
 * Each function is an exact equivalent of one regular expression in scan.py (the
 * pure-Python fallback, which is the specification): the same answer for every str,
 * with the character classes ``re`` uses for str patterns (\w is Py_UNICODE_ISALNUM
 * or "_", \d is Py_UNICODE_ISDECIMAL, \s is Py_UNICODE_ISSPACE). ``re`` tries such a
 * pattern at every position of the post through its generic matcher; a plain loop over
 * the characters does the same work many times faster. Built by
 * tools/build_screening.py; tests/test_scan.py checks every function against its
 * regex on generated text. See docs/decisions/0044-native-scans.md.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
    int ascii; /* every character < 128 */
} Text;

static int
text_of(PyObject *arg, Text *t)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return -1;
    }
    if (PyUnicode_READY(arg) < 0)
        return -1;
    t->kind = PyUnicode_KIND(arg);
    t->data = PyUnicode_DATA(arg);
    t->n = PyUnicode_GET_LENGTH(arg);
    t->ascii = PyUnicode_IS_ASCII(arg);
    return 0;
}

#define AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

/* [^\W_]: a letter or digit in re's sense (Py_UNICODE_ISALNUM). */
static inline int
is_alnum(Py_UCS4 c)
{
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return Py_UNICODE_ISALNUM(c);
}

/* \w */
static inline int
is_word(Py_UCS4 c)
{
    return c == '_' || is_alnum(c);
}

/* \d */
static inline int
is_decimal(Py_UCS4 c)
{
    if (c < 128)
        return c >= '0' && c <= '9';
    return Py_UNICODE_ISDECIMAL(c);
}

/* \s */
static inline int
is_space(Py_UCS4 c)
{
    return Py_UNICODE_ISSPACE(c);
}

/* [^\W\d_]: a letter (a word character that is not a decimal digit). */
static inline int
is_letter(Py_UCS4 c)
{
    return is_alnum(c) && !is_decimal(c);
}

static inline int
is_ascii_lower(Py_UCS4 c)
{
    return c >= 'a' && c <= 'z';
}

/* [0-9@$!|] */
static inline int
is_leet_symbol(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || c == '@' || c == '$' || c == '!' || c == '|';
}

static inline int
is_separator(Py_UCS4 c)
{
    return c == ' ' || c == '.' || c == '-';
}

/* Append a new reference to a list (a NULL item is an error already set). */
static int
append_new(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int result = PyList_Append(list, item);
    Py_DECREF(item);
    return result;
}

static Py_UCS4
at_or_zero(const Text *t, Py_ssize_t i)
{
    return (i >= 0 && i < t->n) ? AT(t, i) : 0;
}

/* re.compile(r"([^\W_]+)").split(s): [gap, word, gap, word, ..., gap] */
static PyObject *
split_words(PyObject *self, PyObject *arg)
{
    Text t;
    if (text_of(arg, &t) < 0)
        return NULL;
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    Py_ssize_t gap_start = 0, i = 0;
    while (i < t.n) {
        if (!is_alnum(AT(&t, i))) {
            i++;
            continue;
        }
        Py_ssize_t word_start = i;
        while (i < t.n && is_alnum(AT(&t, i)))
            i++;
        if (append_new(parts, PyUnicode_Substring(arg, gap_start, word_start)) < 0 ||
            append_new(parts, PyUnicode_Substring(arg, word_start, i)) < 0) {
            Py_DECREF(parts);
            return NULL;
        }
        gap_start = i;
    }
    if (append_new(parts, PyUnicode_Substring(arg, gap_start, t.n)) < 0) {
        Py_DECREF(parts);
        return NULL;
    }
    return parts;
}

/* [^\x00-\x7f] positions: [i for i, c in enumerate(s) if ord(c) > 127] */
static PyObject *
non_ascii_positions(PyObject *self, PyObject *arg)
{
    Text t;
    if (text_of(arg, &t) < 0)
        return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    if (t.ascii)
        return out;
    for (Py_ssize_t i = 0; i < t.n; i++) {
        if (AT(&t, i) < 128)
            continue;
        if (append_new(out, PyLong_FromSsize_t(i)) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* [^\W\x00-\x7f]: a non-ASCII word character */
static int
has_non_ascii_word(const Text *t)
{
    if (t->ascii)
        return 0;
    for (Py_ssize_t i = 0; i < t->n; i++) {
        Py_UCS4 c = AT(t, i);
        if (c >= 128 && is_word(c))
            return 1;
    }
    return 0;
}

/* [ .\-][^\W\d_][ .\-][^\W\d_](?!\w) */
static int
maybe_spaced(const Text *t)
{
    for (Py_ssize_t i = 0; i + 4 <= t->n; i++) {
        if (!is_separator(AT(t, i)) || !is_letter(AT(t, i + 1)) ||
            !is_separator(AT(t, i + 2)) || !is_letter(AT(t, i + 3)))
            continue;
        if (i + 4 == t->n || !is_word(AT(t, i + 4)))
            return 1;
    }
    return 0;
}

/* [a-z][0-9@$!|]+[a-z] | (?<![\w@$!|])[0-9@$|][a-z]{2}
 * (scan.py writes it with the character class first; the same matches) */
static int
has_leet(const Text *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++) {
        Py_UCS4 c = AT(t, i);
        if (!is_leet_symbol(c))
            continue;
        Py_UCS4 before = at_or_zero(t, i - 1);
        if (i > 0 && is_ascii_lower(before)) {
            Py_ssize_t j = i + 1;
            while (j < t->n && is_leet_symbol(AT(t, j)))
                j++;
            if (j < t->n && is_ascii_lower(AT(t, j)))
                return 1;
        }
        if (c != '!' && !(i > 0 && (is_word(before) || is_leet_symbol(before))) &&
            i + 2 < t->n && is_ascii_lower(AT(t, i + 1)) && is_ascii_lower(AT(t, i + 2)))
            return 1;
    }
    return 0;
}

/* \d */
static int
has_digit(const Text *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++)
        if (is_decimal(AT(t, i)))
            return 1;
    return 0;
}

static inline int
decimals_at(const Text *t, Py_ssize_t i, int count)
{
    if (i < 0 || i + count > t->n)
        return 0;
    for (int k = 0; k < count; k++)
        if (!is_decimal(AT(t, i + k)))
            return 0;
    return 1;
}

/* \d{3}[ -]?\d{3} */
static int
maybe_ten_digits(const Text *t)
{
    for (Py_ssize_t i = 0; i + 6 <= t->n; i++) {
        if (!decimals_at(t, i, 3))
            continue;
        Py_ssize_t j = i + 3;
        Py_UCS4 c = AT(t, j);
        if (c == ' ' || c == '-')
            j++;
        if (decimals_at(t, j, 3))
            return 1;
    }
    return 0;
}

/* \d\d\s?\d\d */
static int
maybe_nino(const Text *t)
{
    for (Py_ssize_t i = 0; i + 4 <= t->n; i++) {
        if (!decimals_at(t, i, 2))
            continue;
        Py_ssize_t j = i + 2;
        if (is_space(AT(t, j)))
            j++;
        if (decimals_at(t, j, 2))
            return 1;
    }
    return 0;
}

/* d\.?\s?o|birth|born */
static int
maybe_dob(const Text *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++) {
        Py_UCS4 c = AT(t, i);
        if (c == 'd') {
            Py_ssize_t j = i + 1;
            if (at_or_zero(t, j) == '.')
                j++;
            if (j < t->n && is_space(AT(t, j)))
                j++;
            if (at_or_zero(t, j) == 'o')
                return 1;
        }
        else if (c == 'b') {
            Py_UCS4 c1 = at_or_zero(t, i + 1), c2 = at_or_zero(t, i + 2);
            Py_UCS4 c3 = at_or_zero(t, i + 3), c4 = at_or_zero(t, i + 4);
            if (c1 == 'i' && c2 == 'r' && c3 == 't' && c4 == 'h')
                return 1;
            if (c1 == 'o' && c2 == 'r' && c3 == 'n')
                return 1;
        }
    }
    return 0;
}

/* 0\d|\+ */
static int
maybe_phone(const Text *t)
{
    for (Py_ssize_t i = 0; i < t->n; i++) {
        Py_UCS4 c = AT(t, i);
        if (c == '+')
            return 1;
        if (c == '0' && i + 1 < t->n && is_decimal(AT(t, i + 1)))
            return 1;
    }
    return 0;
}

/* \d[0-9a-z]?\s?\d[a-z][a-z] : every way through the two optional characters */
static int
maybe_postcode(const Text *t)
{
    for (Py_ssize_t i = 0; i + 4 <= t->n; i++) {
        if (!is_decimal(AT(t, i)))
            continue;
        for (int middle = 1; middle >= 0; middle--) {
            Py_ssize_t j = i + 1;
            if (middle) {
                Py_UCS4 m = at_or_zero(t, j);
                if (!((m >= '0' && m <= '9') || is_ascii_lower(m)))
                    continue;
                j++;
            }
            for (int space = 1; space >= 0; space--) {
                Py_ssize_t k = j;
                if (space) {
                    if (!(k < t->n && is_space(AT(t, k))))
                        continue;
                    k++;
                }
                if (k + 3 <= t->n && is_decimal(AT(t, k)) && is_ascii_lower(AT(t, k + 1)) &&
                    is_ascii_lower(AT(t, k + 2)))
                    return 1;
            }
        }
    }
    return 0;
}

/* Aho-Corasick as a dense table (automaton.py builds it): dfa_scan(tables, text) walks
 * the text once and returns [end, state, end, state, ...] for every position where the
 * state has words ending there (``final``). tables = (delta, nclasses, ascii_classes,
 * wide_codes, wide_classes, final): delta is int32 [state * nclasses + class];
 * ascii_classes is 128 bytes; wide_codes/wide_classes are sorted int32 arrays for the
 * other characters of the words (any other character is class 0); final is one byte per
 * state. */
static int
buffer_of(PyObject *obj, const char **data, Py_ssize_t *size)
{
    if (!PyBytes_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "dfa tables must be bytes");
        return -1;
    }
    *data = PyBytes_AS_STRING(obj);
    *size = PyBytes_GET_SIZE(obj);
    return 0;
}

static PyObject *
dfa_scan(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[0]) || PyTuple_GET_SIZE(args[0]) != 6) {
        PyErr_SetString(PyExc_TypeError, "dfa_scan(tables, text)");
        return NULL;
    }
    PyObject *tables = args[0];
    const char *delta_raw, *ascii, *codes_raw, *classes_raw, *final;
    Py_ssize_t delta_size, ascii_size, codes_size, classes_size, final_size;
    if (buffer_of(PyTuple_GET_ITEM(tables, 0), &delta_raw, &delta_size) < 0 ||
        buffer_of(PyTuple_GET_ITEM(tables, 2), &ascii, &ascii_size) < 0 ||
        buffer_of(PyTuple_GET_ITEM(tables, 3), &codes_raw, &codes_size) < 0 ||
        buffer_of(PyTuple_GET_ITEM(tables, 4), &classes_raw, &classes_size) < 0 ||
        buffer_of(PyTuple_GET_ITEM(tables, 5), &final, &final_size) < 0)
        return NULL;
    Py_ssize_t nclasses = PyLong_AsSsize_t(PyTuple_GET_ITEM(tables, 1));
    if (nclasses == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t nstates = final_size;
    Py_ssize_t nwide = codes_size / 4;
    if (nclasses < 1 || ascii_size != 128 || codes_size != classes_size || codes_size % 4 ||
        delta_size != nstates * nclasses * 4 || nstates < 1) {
        PyErr_SetString(PyExc_ValueError, "inconsistent dfa tables");
        return NULL;
    }
    const int32_t *delta = (const int32_t *)delta_raw;
    const int32_t *codes = (const int32_t *)codes_raw;
    const int32_t *wide_classes = (const int32_t *)classes_raw;
    Text t;
    if (text_of(args[1], &t) < 0)
        return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    int32_t state = 0;
    for (Py_ssize_t i = 0; i < t.n; i++) {
        Py_UCS4 c = AT(&t, i);
        Py_ssize_t cls = 0;
        if (c < 128) {
            cls = (unsigned char)ascii[c];
        }
        else if (nwide) {
            Py_ssize_t lo = 0, hi = nwide;
            while (lo < hi) {
                Py_ssize_t mid = (lo + hi) / 2;
                if ((Py_UCS4)codes[mid] < c)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < nwide && (Py_UCS4)codes[lo] == c)
                cls = wide_classes[lo];
        }
        if (cls >= nclasses || cls < 0) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "character class out of range");
            return NULL;
        }
        state = delta[(Py_ssize_t)state * nclasses + cls];
        if (state < 0 || state >= nstates) {
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "state out of range");
            return NULL;
        }
        if (final[state]) {
            if (append_new(out, PyLong_FromSsize_t(i)) < 0 ||
                append_new(out, PyLong_FromLong(state)) < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
    }
    return out;
}

/* The Python functions: each predicate above as fn(str) -> bool. */
#define PREDICATE(name)                                                                    \
    static PyObject *py_##name(PyObject *self, PyObject *arg)                              \
    {                                                                                      \
        Text t;                                                                            \
        if (text_of(arg, &t) < 0)                                                          \
            return NULL;                                                                   \
        return PyBool_FromLong(name(&t));                                                  \
    }
PREDICATE(has_non_ascii_word)
PREDICATE(maybe_spaced)
PREDICATE(has_leet)
PREDICATE(has_digit)
PREDICATE(maybe_ten_digits)
PREDICATE(maybe_nino)
PREDICATE(maybe_dob)
PREDICATE(maybe_phone)
PREDICATE(maybe_postcode)

static PyMethodDef methods[] = {
    {"split_words", split_words, METH_O, "re.compile(r'([^\\W_]+)').split(s)"},
    {"non_ascii_positions", non_ascii_positions, METH_O, "offsets of the non-ASCII characters"},
    {"has_non_ascii_word", py_has_non_ascii_word, METH_O, "a non-ASCII word character"},
    {"maybe_spaced", py_maybe_spaced, METH_O, "spaced-out letters may be present"},
    {"has_leet", py_has_leet, METH_O, "leetspeak may be present"},
    {"has_digit", py_has_digit, METH_O, "a decimal digit"},
    {"maybe_ten_digits", py_maybe_ten_digits, METH_O, "two groups of three digits"},
    {"maybe_nino", py_maybe_nino, METH_O, "two pairs of digits"},
    {"maybe_dob", py_maybe_dob, METH_O, "a date-of-birth cue"},
    {"maybe_phone", py_maybe_phone, METH_O, "0 and a digit, or +"},
    {"maybe_postcode", py_maybe_postcode, METH_O, "the end of a full postcode"},
    {"dfa_scan", (PyCFunction)(void (*)(void))dfa_scan, METH_FASTCALL,
     "dfa_scan(tables, text) -> [end, state, ...] where words end (see automaton.py)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "Single-pass scans for the screening engine (see scan.py).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    return PyModule_Create(&module);
}
