/* Build instances of a frozen, slotted dataclass (findings.Finding) by writing its slots.
 *
 * A frozen dataclass's __init__ goes through object.__setattr__ once per field, and
 * even the slot descriptors' __set__ cost a Python-level call each; the engine builds
 * several findings per post. ``slot_offsets(cls, names)`` reads, once, where each named
 * slot lives in an instance (from its member descriptor, checking that it is a plain
 * writable object slot); ``build(cls, offsets, defaults, *values)`` allocates an
 * instance and stores the values there, the trailing fields missing from ``values``
 * taken from the end of ``defaults``. The object is the one the dataclass would make
 * (findings.py compares them in its tests). Built by tools/build_screening.py; without
 * it findings.new_finding is used. See docs/decisions/0044-native-scans.md.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *
slot_offsets(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "slot_offsets(cls, names: tuple)");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    PyObject *names = args[1];
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    PyObject *out = PyTuple_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *descr = PyObject_GetAttr((PyObject *)cls, PyTuple_GET_ITEM(names, i));
        if (descr == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        if (!Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            Py_DECREF(descr);
            Py_DECREF(out);
            PyErr_Format(PyExc_TypeError, "%R is not a slot", PyTuple_GET_ITEM(names, i));
            return NULL;
        }
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        Py_ssize_t offset = member->offset;
        int plain = member->type == T_OBJECT_EX && !(member->flags & READONLY) &&
                    offset >= (Py_ssize_t)sizeof(PyObject) &&
                    offset + (Py_ssize_t)sizeof(PyObject *) <= cls->tp_basicsize;
        Py_DECREF(descr);
        if (!plain) {
            Py_DECREF(out);
            PyErr_Format(PyExc_TypeError, "%R is not a plain object slot",
                         PyTuple_GET_ITEM(names, i));
            return NULL;
        }
        PyObject *value = PyLong_FromSsize_t(offset);
        if (value == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, value);
    }
    return out;
}

static PyObject *
build(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || !PyType_Check(args[0]) || !PyTuple_Check(args[1]) ||
        !PyTuple_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "build(cls, offsets: tuple, defaults: tuple, *values)");
        return NULL;
    }
    PyTypeObject *cls = (PyTypeObject *)args[0];
    if (!(cls->tp_flags & Py_TPFLAGS_HEAPTYPE) || cls->tp_itemsize != 0) {
        PyErr_SetString(PyExc_TypeError, "build() makes instances of slotted Python classes");
        return NULL;
    }
    PyObject *offsets = args[1], *defaults = args[2];
    Py_ssize_t n = PyTuple_GET_SIZE(offsets), given = nargs - 3;
    Py_ssize_t missing = n - given, n_defaults = PyTuple_GET_SIZE(defaults);
    if (missing < 0 || missing > n_defaults) {
        PyErr_Format(PyExc_TypeError, "expected %zd to %zd values, got %zd", n - n_defaults, n,
                     given);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(offsets, i);
        Py_ssize_t offset = PyLong_Check(item) ? PyLong_AsSsize_t(item) : -1;
        if (offset < (Py_ssize_t)sizeof(PyObject) ||
            offset + (Py_ssize_t)sizeof(PyObject *) > cls->tp_basicsize) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "offset outside the instance");
            return NULL;
        }
    }
    PyObject *obj = cls->tp_alloc(cls, 0);
    if (obj == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t offset = PyLong_AsSsize_t(PyTuple_GET_ITEM(offsets, i));
        PyObject *value = i < given ? args[3 + i] : PyTuple_GET_ITEM(defaults, n_defaults - n + i);
        PyObject **slot = (PyObject **)((char *)obj + offset);
        PyObject *old = *slot;
        Py_INCREF(value);
        *slot = value;
        Py_XDECREF(old);
    }
    return obj;
}

static PyMethodDef methods[] = {
    {"slot_offsets", (PyCFunction)(void (*)(void))slot_offsets, METH_FASTCALL,
     "slot_offsets(cls, names) -> where each named slot lives in an instance"},
    {"build", (PyCFunction)(void (*)(void))build, METH_FASTCALL,
     "build(cls, offsets, defaults, *values) -> a new instance with its slots set"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_slots", "Build instances of a slotted class (see findings.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__slots(void)
{
    return PyModule_Create(&module);
}
