/* The values of plain YAML documents, built straight from libyaml's events.
 *
 * PyYAML's CSafeLoader runs libyaml's parser in C, but then makes a Python event object and a
 * Python node object for every event, and calls Python resolver hooks for every node, before the
 * values are built (see inventory/documents.py). On a large inventory that is most of the YAML
 * time. ``load`` below reads the parser's events directly and builds the same values: dicts,
 * lists and strings itself, and every plain scalar that may be something other than a string
 * (its first character is one an implicit resolver of PyYAML's safe loader starts with) through
 * the Python callable given to ``configure``, which resolves and constructs it as PyYAML does.
 *
 * It takes on only the common case. An anchor, an alias, an explicit tag (``!`` included), a
 * directive, a second document (``load``; ``load_all`` reads a stream of them), a key that is not
 * a scalar, a single-pair mapping in a flow sequence (``[a: 1]``, ``[? x]``: libyaml 0.2.5 reads
 * ``[?]]`` without the error later versions give), a value under more collections than the
 * caller's ``max_depth`` (at most MAX_DEPTH), a parse error, a text that is not exactly a str, or an
 * ordinary exception from the callable makes it return the ``unusual`` object it was given, and the
 * caller reads the text the way it did before: the result, or the error, is then PyYAML's own.
 * Only MemoryError and what is not an ordinary Exception (KeyboardInterrupt, SystemExit) are raised.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>

#define MAX_DEPTH 256

typedef struct {
    PyObject *container;  /* dict or list */
    PyObject *key;        /* a mapping's pending key (a new reference), or NULL */
    int flow_sequence;    /* a list written as [ ... ] */
} Frame;

/* 1 for bytes that start a plain scalar some implicit resolver may claim */
static unsigned char flagged[256];
/* the callable that resolves and constructs those, as PyYAML does (None until configured) */
static PyObject *plain = NULL;
/* plain scalars ``plain`` gave back as they were (strings): not asked about again (bounded) */
static PyObject *known_strings = NULL;
#define KNOWN_MAX 100000
#define KNOWN_LENGTH 64

static PyObject *
configure(PyObject *self, PyObject *args)
{
    PyObject *first, *callable;
    if (!PyArg_ParseTuple(args, "UO", &first, &callable))
        return NULL;
    if (!PyCallable_Check(callable)) {
        PyErr_SetString(PyExc_TypeError, "the second argument must be callable");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(first);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ_CHAR(first, i) >= 128) {
            PyErr_SetString(PyExc_ValueError, "only ASCII first characters are taken");
            return NULL;
        }
    }
    PyObject *known = PySet_New(NULL);
    if (known == NULL)
        return NULL;
    memset(flagged, 0, sizeof flagged);
    for (Py_ssize_t i = 0; i < n; i++)
        flagged[PyUnicode_READ_CHAR(first, i)] = 1;
    Py_XSETREF(known_strings, known);
    Py_XSETREF(plain, Py_NewRef(callable));
    Py_RETURN_NONE;
}

/* The value of a scalar event (a new reference); NULL with an exception from the callable, or
 * NULL without one for "unusual". */
static PyObject *
scalar_value(yaml_event_t *event)
{
    const char *text = (const char *)event->data.scalar.value;
    Py_ssize_t length = (Py_ssize_t)event->data.scalar.length;
    PyObject *value = PyUnicode_DecodeUTF8(text, length, "strict");
    if (value == NULL)
        return NULL;
    if (!event->data.scalar.plain_implicit)
        return value;  /* quoted or block: a string, as PyYAML resolves it */
    if (length > 0 && !flagged[(unsigned char)text[0]])
        return value;
    if (length > 0 && length <= KNOWN_LENGTH) {
        int known = PySet_Contains(known_strings, value);
        if (known != 0) {
            if (known < 0)
                Py_CLEAR(value);
            return value;
        }
    }
    PyObject *result = PyObject_CallOneArg(plain, value);
    if (result == value && length > 0 && length <= KNOWN_LENGTH
            && PySet_GET_SIZE(known_strings) < KNOWN_MAX && PySet_Add(known_strings, value) < 0)
        Py_CLEAR(result);
    Py_DECREF(value);
    return result;
}

/* Put ``value`` (a new reference, stolen) into the innermost container. -1 with an exception
 * set, or -1 without one for "unusual". */
static int
place(Frame *top, PyObject **root, PyObject *value, int is_scalar)
{
    if (top == NULL) {
        *root = value;
        return 0;
    }
    if (PyList_CheckExact(top->container)) {
        int rc = PyList_Append(top->container, value);
        Py_DECREF(value);
        return rc;
    }
    if (top->key == NULL) {
        if (!is_scalar) {  /* a key that is not a scalar: unhashable, PyYAML says so */
            Py_DECREF(value);
            return -1;
        }
        top->key = value;
        return 0;
    }
    int rc = PyDict_SetItem(top->container, top->key, value);
    Py_CLEAR(top->key);
    Py_DECREF(value);
    return rc;
}

/* Whether the pending exception, if any, goes to the caller: MemoryError, and what is not an
 * ordinary Exception (KeyboardInterrupt, SystemExit). Any other is cleared: the document is
 * "unusual", and PyYAML's own reading raises what it raises for it. */
static int
must_raise(void)
{
    if (!PyErr_Occurred())
        return 0;
    if (PyErr_ExceptionMatches(PyExc_MemoryError) || !PyErr_ExceptionMatches(PyExc_Exception))
        return 1;
    PyErr_Clear();
    return 0;
}

/* The value of every document of ``text`` (a list of them when ``multi``, else the one value, a
 * second document being unusual), or a new reference to ``unusual``; NULL with an exception for
 * what must_raise passes on. ``max_depth``: a value under more collections than this (the
 * document's own counted) is unusual too, so that the caller's depth limit is applied by the
 * reading that raises its error. */
static PyObject *
build(PyObject *text, PyObject *unusual, int multi, Py_ssize_t max_depth)
{
    if (plain == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    if (!PyUnicode_CheckExact(text))  /* PyYAML's loader takes a str exactly, or a stream */
        return Py_NewRef(unusual);
    /* ASCII text is its own UTF-8; other text is encoded into a bytes object dropped at the end,
     * as PyYAML does (PyUnicode_AsUTF8AndSize would keep a copy inside the str for its lifetime) */
    int ascii = PyUnicode_IS_ASCII(text);
    PyObject *encoded = NULL;
    const char *utf8;
    Py_ssize_t size;
    if (ascii) {
        utf8 = (const char *)PyUnicode_DATA(text);
        size = PyUnicode_GET_LENGTH(text);
    }
    else {
        encoded = PyUnicode_AsUTF8String(text);
        if (encoded == NULL)  /* a lone surrogate: PyYAML decides */
            return must_raise() ? NULL : Py_NewRef(unusual);
        utf8 = PyBytes_AS_STRING(encoded);
        size = PyBytes_GET_SIZE(encoded);
    }
    if (max_depth > MAX_DEPTH)
        max_depth = MAX_DEPTH;

    PyObject *documents = NULL;
    if (multi && (documents = PyList_New(0)) == NULL) {
        Py_XDECREF(encoded);
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        Py_XDECREF(documents);
        Py_XDECREF(encoded);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)utf8, (size_t)size);

    Frame stack[MAX_DEPTH];
    int depth = 0;
    PyObject *root = NULL;
    int count = 0, ok = 0, done = 0;
    yaml_event_t event;

    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            if (parser.error == YAML_MEMORY_ERROR)
                PyErr_NoMemory();
            break;  /* a parse error: PyYAML's own message comes from its own reading */
        }
        int fail = 0;
        Frame *top = depth ? &stack[depth - 1] : NULL;
        /* a value (not a key) placed now is under ``depth`` collections */
        int is_value = top == NULL || PyList_CheckExact(top->container) || top->key != NULL;
        switch (event.type) {
        case YAML_STREAM_START_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            done = ok = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if ((++count > 1 && !multi) || event.data.document_start.version_directive != NULL
                    || event.data.document_start.tag_directives.start
                       != event.data.document_start.tag_directives.end)
                fail = 1;
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (multi) {
                if (PyList_Append(documents, root ? root : Py_None) < 0)
                    fail = 1;
                Py_CLEAR(root);
            }
            break;
        case YAML_ALIAS_EVENT:
            fail = 1;
            break;
        case YAML_SCALAR_EVENT: {
            if (event.data.scalar.anchor != NULL || event.data.scalar.tag != NULL
                    || (is_value && depth > max_depth)) {
                fail = 1;
                break;
            }
            PyObject *value = scalar_value(&event);
            if (value == NULL || place(top, &root, value, 1) < 0)
                fail = 1;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            int mapping = event.type == YAML_MAPPING_START_EVENT;
            yaml_char_t *anchor = mapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
            yaml_char_t *tag = mapping ? event.data.mapping_start.tag : event.data.sequence_start.tag;
            if (anchor != NULL || tag != NULL || depth > max_depth || depth >= MAX_DEPTH) {
                fail = 1;
                break;
            }
            if (mapping && top != NULL && top->flow_sequence) {
                /* ``[{a: 1}]`` starts at its brace; a single pair (``[a: 1]``) at its key, which
                 * libyaml 0.2.5 misreads in ``[?]]``: left to PyYAML's libyaml. The mark counts
                 * characters, so only ASCII text is looked at. */
                size_t at = event.start_mark.index;
                if (!ascii || at >= (size_t)size || utf8[at] != '{') {
                    fail = 1;
                    break;
                }
            }
            PyObject *container = mapping ? PyDict_New() : PyList_New(0);
            if (container == NULL) {
                fail = 1;
                break;
            }
            /* placed first, filled after: the order PyYAML builds in */
            Py_INCREF(container);
            if (place(top, &root, container, 0) < 0) {
                Py_DECREF(container);
                fail = 1;
                break;
            }
            stack[depth].container = container;
            stack[depth].key = NULL;
            stack[depth].flow_sequence = !mapping && event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
            depth++;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth == 0) {  /* never from libyaml: kept from harm all the same */
                fail = 1;
                break;
            }
            depth--;
            Py_DECREF(stack[depth].container);
            Py_CLEAR(stack[depth].key);
            break;
        default:
            fail = 1;
        }
        yaml_event_delete(&event);
        if (fail)
            break;
    }
    while (depth > 0) {
        depth--;
        Py_DECREF(stack[depth].container);
        Py_CLEAR(stack[depth].key);
    }
    yaml_parser_delete(&parser);
    Py_XDECREF(encoded);
    if (!ok) {
        Py_XDECREF(root);
        Py_XDECREF(documents);
        return must_raise() ? NULL : Py_NewRef(unusual);
    }
    if (multi) {
        Py_XDECREF(root);
        return documents;
    }
    if (root == NULL)
        Py_RETURN_NONE;  /* no document: PyYAML gives None */
    return root;
}

/* (text, unusual, max_depth=MAX_DEPTH), the arguments of load and load_all, given to build */
static PyObject *
build_from(PyObject *args, int multi)
{
    PyObject *text, *unusual;
    Py_ssize_t max_depth = MAX_DEPTH;
    if (!PyArg_ParseTuple(args, "OO|n", &text, &unusual, &max_depth))
        return NULL;
    return build(text, unusual, multi, max_depth);
}

static PyObject *
load(PyObject *self, PyObject *args)
{
    return build_from(args, 0);
}

static PyObject *
load_all(PyObject *self, PyObject *args)
{
    return build_from(args, 1);
}

static PyObject *
libyaml_version(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(yaml_get_version_string());
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(first_characters, plain): plain scalars starting with one of those characters are "
     "handed to plain(text), which gives their value (or raises: the document is then unusual)."},
    {"load", load, METH_VARARGS,
     "load(text, unusual, max_depth=256): the value of one YAML document, or ``unusual``."},
    {"load_all", load_all, METH_VARARGS,
     "load_all(text, unusual, max_depth=256): the values of every document, or ``unusual``."},
    {"libyaml_version", libyaml_version, METH_NOARGS, "The version of the libyaml linked in."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "inventory._fastyaml",
    "YAML values built from libyaml's events (see inventory/documents.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__fastyaml(void)
{
    return PyModule_Create(&module);
}
