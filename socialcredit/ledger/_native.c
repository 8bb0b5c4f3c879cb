/*
 * socialcredit.ledger._native: RFC 6962 Merkle hashing over OpenSSL's SHA-256.
 *
 * The documented API is socialcredit/ledger/hashing.py, which falls back to hashlib when this
 * module is missing; both must give identical results and identical ValueError messages
 * (tests/test_hashing.py). Every loop over a contiguous buffer runs without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

/* The low-level SHA256_* calls are deprecated in OpenSSL 3 but are ~30% faster than EVP for the
 * 65-byte node messages (EVP re-initialises a provider context per digest). Builds of OpenSSL
 * without the deprecated API get the EVP path instead. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define HASH 32
#define CHUNK 1024 /* entries whose buffers are pinned per GIL-free hashing round */
#define MAX_ENTRY 0xFFFFFFFFu

#if defined(OPENSSL_NO_DEPRECATED_3_0)
#define SC_USE_EVP 1
static EVP_MD *sha256_md;
typedef struct {
    EVP_MD_CTX *ctx;
} hasher;

static int
hasher_open(hasher *h)
{
    h->ctx = EVP_MD_CTX_new();
    return h->ctx != NULL;
}

static void
hasher_close(hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
}

/* SHA256(prefix || a || b) into out; 1 on success. out may alias a or b. */
static int
digest(hasher *h, unsigned char prefix, const void *a, size_t alen, const void *b, size_t blen,
       unsigned char *out)
{
    return EVP_DigestInit_ex2(h->ctx, sha256_md, NULL) && EVP_DigestUpdate(h->ctx, &prefix, 1) &&
           EVP_DigestUpdate(h->ctx, a, alen) && (blen == 0 || EVP_DigestUpdate(h->ctx, b, blen)) &&
           EVP_DigestFinal_ex(h->ctx, out, NULL);
}
#else
typedef struct {
    char unused;
} hasher;

static int
hasher_open(hasher *h)
{
    (void)h;
    return 1;
}

static void
hasher_close(hasher *h)
{
    (void)h;
}

/* SHA256(prefix || a || b) into out; 1 on success. out may alias a or b.
 * Short messages are assembled on the stack: one SHA256_Update is cheaper than three. */
static int
digest(hasher *h, unsigned char prefix, const void *a, size_t alen, const void *b, size_t blen,
       unsigned char *out)
{
    SHA256_CTX c;
    unsigned char buf[256];
    (void)h;
    SHA256_Init(&c);
    if (alen + blen < sizeof(buf)) {
        buf[0] = prefix;
        memcpy(buf + 1, a, alen);
        if (blen)
            memcpy(buf + 1 + alen, b, blen);
        SHA256_Update(&c, buf, 1 + alen + blen);
    }
    else {
        SHA256_Update(&c, &prefix, 1);
        SHA256_Update(&c, a, alen);
        if (blen)
            SHA256_Update(&c, b, blen);
    }
    SHA256_Final(out, &c);
    return 1;
}
#endif

static PyObject *
hash_failed(void)
{
    PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
    return NULL;
}

/* ---- single hashes ------------------------------------------------------------------------ */

static PyObject *
leaf_hash(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    hasher h;
    unsigned char out[HASH];
    int ok;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (!hasher_open(&h)) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    if (view.len >= 65536) {
        Py_BEGIN_ALLOW_THREADS
        ok = digest(&h, 0x00, view.buf, (size_t)view.len, NULL, 0, out);
        Py_END_ALLOW_THREADS
    }
    else {
        ok = digest(&h, 0x00, view.buf, (size_t)view.len, NULL, 0, out);
    }
    hasher_close(&h);
    PyBuffer_Release(&view);
    if (!ok)
        return hash_failed();
    return PyBytes_FromStringAndSize((const char *)out, HASH);
}

/* Pins a 32-byte hash argument; on a wrong length raises ValueError naming it. */
static int
get_hash(PyObject *obj, Py_buffer *view, const char *name)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0)
        return -1;
    if (view->len != HASH) {
        PyErr_Format(PyExc_ValueError, "%s must be a 32-byte hash, got %zd bytes", name, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *
node_hash(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer left, right;
    hasher h;
    unsigned char out[HASH];
    int ok;
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "node_hash() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (get_hash(args[0], &left, "left") < 0)
        return NULL;
    if (get_hash(args[1], &right, "right") < 0) {
        PyBuffer_Release(&left);
        return NULL;
    }
    ok = hasher_open(&h);
    if (ok) {
        ok = digest(&h, 0x01, left.buf, HASH, right.buf, HASH, out);
        hasher_close(&h);
    }
    PyBuffer_Release(&left);
    PyBuffer_Release(&right);
    if (!ok)
        return hash_failed();
    return PyBytes_FromStringAndSize((const char *)out, HASH);
}

/* ---- sequences of entries ----------------------------------------------------------------- */

static void
release_views(Py_buffer *views, Py_ssize_t count)
{
    for (Py_ssize_t i = 0; i < count; i++)
        PyBuffer_Release(&views[i]);
}

/* Pins items [start, start + count) of a PySequence_Fast result; 0 on success. */
static int
pin_items(PyObject *seq, Py_ssize_t expected, Py_ssize_t start, Py_ssize_t count, Py_buffer *views)
{
    /* The GIL is dropped between rounds, so another thread may have resized a list. */
    if (PySequence_Fast_GET_SIZE(seq) != expected) {
        PyErr_SetString(PyExc_RuntimeError, "the sequence changed size during hashing");
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (PyObject_GetBuffer(items[start + i], &views[i], PyBUF_SIMPLE) < 0) {
            release_views(views, i);
            return -1;
        }
    }
    return 0;
}

static PyObject *
leaf_hashes(PyObject *module, PyObject *arg)
{
    PyObject *seq, *result = NULL;
    Py_buffer *views = NULL;
    hasher h;
    int ok = 1, pinned = 1;
    (void)module;
    seq = PySequence_Fast(arg, "leaf_hashes() expects a sequence of bytes-like objects");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > PY_SSIZE_T_MAX / HASH) {
        PyErr_NoMemory();
        goto done;
    }
    if ((result = PyBytes_FromStringAndSize(NULL, n * HASH)) == NULL)
        goto done;
    views = PyMem_New(Py_buffer, CHUNK);
    if (views == NULL || !hasher_open(&h)) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    for (Py_ssize_t start = 0; ok && start < n; start += CHUNK) {
        Py_ssize_t count = n - start < CHUNK ? n - start : CHUNK;
        if (pin_items(seq, n, start, count, views) < 0) {
            pinned = 0;
            break;
        }
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++)
            ok &= digest(&h, 0x00, views[i].buf, (size_t)views[i].len, NULL, 0,
                         out + (start + i) * HASH);
        Py_END_ALLOW_THREADS
        release_views(views, count);
    }
    hasher_close(&h);
    if (!pinned || !ok) {
        Py_CLEAR(result);
        if (pinned)
            hash_failed();
    }
done:
    PyMem_Free(views);
    Py_DECREF(seq);
    return result;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Total packed size of the bundle, or -1 with an exception set. */
static Py_ssize_t
bundle_size(PyObject *seq)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), total = 0;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_buffer view;
        if (PyObject_GetBuffer(items[i], &view, PyBUF_SIMPLE) < 0)
            return -1;
        Py_ssize_t len = view.len;
        PyBuffer_Release(&view);
        if ((size_t)len > MAX_ENTRY) {
            PyErr_Format(PyExc_ValueError,
                         "entry %zd is %zd bytes; a bundle entry must be shorter than 2**32 bytes",
                         i, len);
            return -1;
        }
        if (len > PY_SSIZE_T_MAX - 4 - total) {
            PyErr_SetString(PyExc_OverflowError, "the bundle would be too large");
            return -1;
        }
        total += 4 + len;
    }
    return total;
}

static PyObject *
pack_bundle(PyObject *module, PyObject *arg)
{
    PyObject *seq, *result = NULL;
    (void)module;
    seq = PySequence_Fast(arg, "pack_bundle() expects a sequence of bytes-like objects");
    if (seq == NULL)
        return NULL;
    Py_ssize_t total = bundle_size(seq);
    if (total < 0 || (result = PyBytes_FromStringAndSize(NULL, total)) == NULL)
        goto done;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), pos = 0;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_buffer view;
        if (PyObject_GetBuffer(items[i], &view, PyBUF_SIMPLE) < 0) {
            Py_CLEAR(result);
            goto done;
        }
        /* A buffer exporter could report a different length the second time. */
        if (view.len > total - pos - 4) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_RuntimeError, "an entry changed size while being packed");
            Py_CLEAR(result);
            goto done;
        }
        put_be32(out + pos, (uint32_t)view.len);
        memcpy(out + pos + 4, view.buf, (size_t)view.len);
        pos += 4 + view.len;
        PyBuffer_Release(&view);
    }
    if (pos != total) {
        PyErr_SetString(PyExc_RuntimeError, "an entry changed size while being packed");
        Py_CLEAR(result);
    }
done:
    Py_DECREF(seq);
    return result;
}

/* ---- packed bundles ----------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t offset;    /* where the bad length prefix starts */
    Py_ssize_t remaining; /* bytes left after the offset (or after the prefix) */
    uint32_t declared;    /* the entry length the prefix claims, if it was complete */
    int truncated_prefix; /* 1: fewer than 4 bytes left for a prefix */
} scan_error;

/* Counts the entries of a bundle; -1 and *err on malformed data. Needs no GIL. */
static Py_ssize_t
scan_bundle(const unsigned char *p, Py_ssize_t len, scan_error *err)
{
    Py_ssize_t pos = 0, count = 0;
    while (pos < len) {
        if (len - pos < 4) {
            err->offset = pos;
            err->remaining = len - pos;
            err->truncated_prefix = 1;
            return -1;
        }
        uint32_t size = get_be32(p + pos);
        if ((uint64_t)size > (uint64_t)(len - pos - 4)) {
            err->offset = pos;
            err->remaining = len - pos - 4;
            err->declared = size;
            err->truncated_prefix = 0;
            return -1;
        }
        pos += 4 + (Py_ssize_t)size;
        count++;
    }
    return count;
}

static PyObject *
scan_failed(const scan_error *err)
{
    if (err->truncated_prefix)
        return PyErr_Format(PyExc_ValueError,
                            "bundle is truncated at byte %zd: a length prefix needs 4 bytes, "
                            "only %zd remain",
                            err->offset, err->remaining);
    return PyErr_Format(PyExc_ValueError,
                        "bundle entry at byte %zd declares %lu bytes, only %zd remain",
                        err->offset, (unsigned long)err->declared, err->remaining);
}

static PyObject *
unpack_bundle(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    scan_error err;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *p = view.buf;
    Py_ssize_t count = scan_bundle(p, view.len, &err);
    PyObject *result = count < 0 ? scan_failed(&err) : PyList_New(count);
    Py_ssize_t pos = 0;
    for (Py_ssize_t i = 0; result != NULL && i < count; i++) {
        Py_ssize_t size = (Py_ssize_t)get_be32(p + pos);
        PyObject *entry = PyBytes_FromStringAndSize((const char *)p + pos + 4, size);
        if (entry == NULL)
            Py_CLEAR(result);
        else
            PyList_SET_ITEM(result, i, entry);
        pos += 4 + size;
    }
    PyBuffer_Release(&view);
    return result;
}

/* Leaf hashes of the count entries of a scanned bundle; 0 if the data changed, -1 on failure. */
static int
hash_bundle(hasher *h, const unsigned char *p, Py_ssize_t len, Py_ssize_t count,
            unsigned char *out)
{
    Py_ssize_t pos = 0;
    int ok = 1;
    for (Py_ssize_t i = 0; i < count; i++) {
        /* Re-checked because a bytearray may be written to while the GIL is released. */
        if (len - pos < 4)
            return 0;
        uint32_t size = get_be32(p + pos);
        if ((uint64_t)size > (uint64_t)(len - pos - 4))
            return 0;
        ok &= digest(h, 0x00, p + pos + 4, size, NULL, 0, out + i * HASH);
        pos += 4 + (Py_ssize_t)size;
    }
    return ok ? 1 : -1;
}

static PyObject *
bundle_leaf_hashes(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    scan_error err;
    hasher h;
    Py_ssize_t count;
    PyObject *hashes = NULL;
    int status;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    count = scan_bundle(view.buf, view.len, &err);
    Py_END_ALLOW_THREADS
    if (count < 0) {
        scan_failed(&err);
        goto done;
    }
    if (count > PY_SSIZE_T_MAX / HASH) {
        PyErr_NoMemory();
        goto done;
    }
    hashes = PyBytes_FromStringAndSize(NULL, count * HASH);
    if (hashes == NULL)
        goto done;
    if (!hasher_open(&h)) {
        Py_CLEAR(hashes);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    status = hash_bundle(&h, view.buf, view.len, count, (unsigned char *)PyBytes_AS_STRING(hashes));
    Py_END_ALLOW_THREADS
    hasher_close(&h);
    if (status != 1) {
        Py_CLEAR(hashes);
        if (status == 0)
            PyErr_SetString(PyExc_RuntimeError, "the bundle changed while being hashed");
        else
            hash_failed();
    }
done:
    PyBuffer_Release(&view);
    if (hashes == NULL)
        return NULL;
    return Py_BuildValue("(Nn)", hashes, count);
}

/* ---- tree levels -------------------------------------------------------------------------- */

/* out[i] = node(in[2i], in[2i+1]) for i < pairs; out may be in. 1 on success. */
static int
hash_pairs(hasher *h, const unsigned char *in, Py_ssize_t pairs, unsigned char *out)
{
    int ok = 1;
    for (Py_ssize_t i = 0; i < pairs; i++)
        ok &= digest(h, 0x01, in + 2 * i * HASH, 2 * HASH, NULL, 0, out + i * HASH);
    return ok;
}

static PyObject *
parent_level(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    hasher h;
    PyObject *result = NULL;
    int ok;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len % (2 * HASH) != 0) {
        PyErr_Format(PyExc_ValueError,
                     "parent_level() needs whole pairs of 32-byte hashes (a multiple of 64 "
                     "bytes), got %zd bytes",
                     view.len);
        goto done;
    }
    Py_ssize_t pairs = view.len / (2 * HASH);
    if ((result = PyBytes_FromStringAndSize(NULL, pairs * HASH)) == NULL)
        goto done;
    if (!hasher_open(&h)) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    ok = hash_pairs(&h, view.buf, pairs, (unsigned char *)PyBytes_AS_STRING(result));
    Py_END_ALLOW_THREADS
    hasher_close(&h);
    if (!ok) {
        Py_CLEAR(result);
        hash_failed();
    }
done:
    PyBuffer_Release(&view);
    return result;
}

/* MTH of n >= 2 hashes at in, via scratch (room for (n + 1) / 2 hashes); root left at scratch.
 * Pairing left to right and carrying an odd last node up unchanged builds exactly RFC 6962's
 * tree, whose split point is always the largest power of two below n. */
static int
fold_root(hasher *h, const unsigned char *in, Py_ssize_t n, unsigned char *scratch)
{
    int ok = hash_pairs(h, in, n / 2, scratch);
    if (n % 2)
        memcpy(scratch + (n / 2) * HASH, in + (n - 1) * HASH, HASH);
    for (n = (n + 1) / 2; n > 1; n = (n + 1) / 2) {
        ok &= hash_pairs(h, scratch, n / 2, scratch);
        if (n % 2)
            memmove(scratch + (n / 2) * HASH, scratch + (n - 1) * HASH, HASH);
    }
    return ok;
}

static PyObject *
subtree_root(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    hasher h;
    PyObject *result = NULL;
    unsigned char *scratch = NULL;
    int ok;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (view.len == 0 || view.len % HASH != 0) {
        PyErr_Format(PyExc_ValueError,
                     "subtree_root() needs one or more 32-byte hashes (a non-zero multiple of 32 "
                     "bytes), got %zd bytes",
                     view.len);
        goto done;
    }
    Py_ssize_t n = view.len / HASH;
    if (n == 1) {
        result = PyBytes_FromStringAndSize(view.buf, HASH);
        goto done;
    }
    scratch = PyMem_Malloc((size_t)((n + 1) / 2) * HASH);
    if (scratch == NULL || !hasher_open(&h)) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    ok = fold_root(&h, view.buf, n, scratch);
    Py_END_ALLOW_THREADS
    hasher_close(&h);
    if (ok)
        result = PyBytes_FromStringAndSize((const char *)scratch, HASH);
    else
        hash_failed();
done:
    PyMem_Free(scratch);
    PyBuffer_Release(&view);
    return result;
}

/* ---- module ------------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"leaf_hash", leaf_hash, METH_O, "leaf_hash(entry) -> SHA256(0x00 || entry)."},
    {"node_hash", (PyCFunction)(void (*)(void))node_hash, METH_FASTCALL,
     "node_hash(left, right) -> SHA256(0x01 || left || right); both must be 32 bytes."},
    {"leaf_hashes", leaf_hashes, METH_O,
     "leaf_hashes(entries) -> the concatenated leaf hashes of a sequence of entries."},
    {"pack_bundle", pack_bundle, METH_O,
     "pack_bundle(entries) -> each entry prefixed by its 4-byte big-endian length."},
    {"unpack_bundle", unpack_bundle, METH_O,
     "unpack_bundle(data) -> the entries of a packed bundle (ValueError if malformed)."},
    {"bundle_leaf_hashes", bundle_leaf_hashes, METH_O,
     "bundle_leaf_hashes(data) -> (concatenated leaf hashes, count) of a packed bundle."},
    {"parent_level", parent_level, METH_O,
     "parent_level(hashes) -> node_hash of each consecutive pair of 32-byte hashes."},
    {"subtree_root", subtree_root, METH_O,
     "subtree_root(hashes) -> the RFC 6962 Merkle tree hash of one or more leaf hashes."},
    {NULL, NULL, 0, NULL},
};

static int
module_exec(PyObject *module)
{
#ifdef SC_USE_EVP
    if (sha256_md == NULL && (sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
        PyErr_SetString(PyExc_ImportError, "OpenSSL provides no SHA-256");
        return -1;
    }
    if (PyModule_AddStringConstant(module, "BACKEND", "OpenSSL EVP") < 0)
        return -1;
#else
    if (PyModule_AddStringConstant(module, "BACKEND", "OpenSSL SHA256") < 0)
        return -1;
#endif
    return PyModule_AddStringConstant(module, "OPENSSL_VERSION", OpenSSL_version(OPENSSL_VERSION));
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, module_exec},
    {0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "socialcredit.ledger._native",
    .m_doc = "RFC 6962 Merkle hashing over OpenSSL SHA-256; see socialcredit.ledger.hashing.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModuleDef_Init(&native_module);
}
