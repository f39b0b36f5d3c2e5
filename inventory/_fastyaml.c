/* The values of one plain YAML document, built straight from libyaml's events.
 *
 * PyYAML's CSafeLoader runs libyaml's parser in C, but then makes a Python event object and a
 * Python node object for every event, and calls Python resolver hooks for every node, before the
 * values are built (see inventory/documents.py). On a large inventory that is most of the YAML
 * time. ``load`` below reads the parser's events directly and builds the same values: dicts,
 * lists and strings itself, and every plain scalar that may be something other than a string
 * (its first character is one an implicit resolver of PyYAML's safe loader starts with) through
 * the Python callable it is given, which resolves and constructs it as PyYAML does.
 *
 * It takes on only the common case. An anchor, an alias, an explicit tag (``!`` included), a
 * directive, a second document (``load``; ``load_all`` reads a stream of them), a key that is not
 * a scalar, a value under more collections than the caller's ``max_depth`` (at most MAX_DEPTH), a
 * parse error, or any exception from the callable makes it return the ``unusual`` object it was
 * given, and the caller reads the text the way it did before: the result, or the error, is then
 * PyYAML's own. Nothing here raises for the document's sake.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <yaml.h>

#define MAX_DEPTH 256

typedef struct {
    PyObject *container;  /* dict or list */
    PyObject *key;        /* a mapping's pending key (a new reference), or NULL */
} Frame;

/* 1 for bytes that start a plain scalar some implicit resolver may claim */
static unsigned char flagged[256];
static int configured = 0;
/* plain scalars the callable gave back as strings: no need to ask again (bounded) */
static PyObject *known_strings = NULL;
#define KNOWN_MAX 100000
#define KNOWN_LENGTH 64

static PyObject *
configure(PyObject *self, PyObject *args)
{
    PyObject *first;
    if (!PyArg_ParseTuple(args, "U", &first))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(first);
    memset(flagged, 0, sizeof flagged);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(first, i);
        if (c >= 128) {
            PyErr_SetString(PyExc_ValueError, "only ASCII first characters are taken");
            return NULL;
        }
        flagged[c] = 1;
    }
    if (known_strings == NULL) {
        known_strings = PySet_New(NULL);
        if (known_strings == NULL)
            return NULL;
    }
    else if (PySet_Clear(known_strings) < 0)
        return NULL;
    configured = 1;
    Py_RETURN_NONE;
}

/* The value of a scalar event (a new reference), or NULL for "unusual" (no exception set). */
static PyObject *
scalar_value(yaml_event_t *event, PyObject *plain)
{
    const char *text = (const char *)event->data.scalar.value;
    Py_ssize_t length = (Py_ssize_t)event->data.scalar.length;
    PyObject *value = PyUnicode_DecodeUTF8(text, length, "strict");
    if (value == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (!event->data.scalar.plain_implicit)
        return value;  /* quoted or block: a string, as PyYAML resolves it */
    if (length > 0 && !flagged[(unsigned char)text[0]])
        return value;
    if (length > 0 && length <= KNOWN_LENGTH) {
        int known = PySet_Contains(known_strings, value);
        if (known > 0)
            return value;
        if (known < 0) {
            PyErr_Clear();
            Py_DECREF(value);
            return NULL;
        }
    }
    PyObject *result = PyObject_CallOneArg(plain, value);
    if (result == NULL) {
        PyErr_Clear();
        Py_DECREF(value);
        return NULL;
    }
    if (result == value && length > 0 && length <= KNOWN_LENGTH
            && PySet_GET_SIZE(known_strings) < KNOWN_MAX) {
        if (PySet_Add(known_strings, value) < 0)
            PyErr_Clear();
    }
    Py_DECREF(value);
    return result;
}

/* Put ``value`` (a new reference, stolen) into the innermost container; -1 for "unusual". */
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

/* The value of every document of ``text`` (a list of them when ``multi``, else the one value, a
 * second document being unusual), or a new reference to ``unusual``. ``max_depth``: a value under
 * more collections than this (the document's own counted) is unusual too, so that the caller's
 * depth limit is applied by the reading that raises its error. */
static PyObject *
build(PyObject *text, PyObject *plain, PyObject *unusual, int multi, int max_depth)
{
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    if (utf8 == NULL) {  /* a lone surrogate: PyYAML decides */
        PyErr_Clear();
        return Py_NewRef(unusual);
    }
    PyObject *documents = NULL;
    if (multi && (documents = PyList_New(0)) == NULL)
        return NULL;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        Py_XDECREF(documents);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)utf8, (size_t)size);

    Frame stack[MAX_DEPTH];
    int depth = 0;
    PyObject *root = NULL;
    int count = 0, ok = 0, done = 0;
    if (max_depth > MAX_DEPTH)
        max_depth = MAX_DEPTH;
    yaml_event_t event;

    while (!done) {
        if (!yaml_parser_parse(&parser, &event))
            break;  /* a parse error: PyYAML's own message comes from its own reading */
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
            PyObject *value = scalar_value(&event, plain);
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
        if (fail) {
            PyErr_Clear();
            break;
        }
    }
    while (depth > 0) {
        depth--;
        Py_DECREF(stack[depth].container);
        Py_CLEAR(stack[depth].key);
    }
    yaml_parser_delete(&parser);
    if (!ok) {
        Py_XDECREF(root);
        Py_XDECREF(documents);
        return Py_NewRef(unusual);
    }
    if (multi) {
        Py_XDECREF(root);
        return documents;
    }
    if (root == NULL)
        Py_RETURN_NONE;  /* no document: PyYAML gives None */
    return root;
}

static PyObject *
load(PyObject *self, PyObject *args)
{
    PyObject *text, *plain, *unusual;
    int max_depth = MAX_DEPTH;
    if (!PyArg_ParseTuple(args, "UOO|i", &text, &plain, &unusual, &max_depth))
        return NULL;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    return build(text, plain, unusual, 0, max_depth);
}

static PyObject *
load_all(PyObject *self, PyObject *args)
{
    PyObject *text, *plain, *unusual;
    int max_depth = MAX_DEPTH;
    if (!PyArg_ParseTuple(args, "UOO|i", &text, &plain, &unusual, &max_depth))
        return NULL;
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return NULL;
    }
    return build(text, plain, unusual, 1, max_depth);
}

static PyObject *
libyaml_version(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(yaml_get_version_string());
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(first_characters): the first characters of plain scalars to hand to the callable."},
    {"load", load, METH_VARARGS,
     "load(text, plain, unusual, max_depth=256): the value of one YAML document, or ``unusual``."},
    {"load_all", load_all, METH_VARARGS,
     "load_all(text, plain, unusual, max_depth=256): the values of every document, or ``unusual``."},
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
