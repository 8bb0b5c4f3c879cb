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

/* ---- entry facts for verify ---------------------------------------------------------------- */

/* scan_entries() reads, for each entry of a bundle, what verify's index checks need: its ledger
 * time and the idempotency key its data carries. It vouches only for entries in a strict subset
 * of what orjson accepts (integers of at most 18 digits, no fractions or exponents, no \u
 * surrogates, at most MAX_DEPTH levels, canonical times, member names that matter without
 * escapes); for any other entry it vouches for nothing, and the caller decodes the whole
 * bundle in Python, which gives the exact result or error. So whatever this returns is what
 * the Python path would have found. */

#define MAX_DEPTH 64

typedef struct {
    const unsigned char *key; /* the idempotency key's UTF-8 bytes, NULL if none */
    Py_ssize_t key_len;
    int64_t at_us;
} entry_facts;

static const unsigned char *
skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One UTF-8 sequence starting at p (*p >= 0x80); its length, or 0 if invalid (overlong,
 * surrogate, above U+10FFFF or truncated), as Python's and orjson's decoders judge it. */
static int
utf8_length(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    Py_ssize_t left = end - p;
    if (c >= 0xC2 && c <= 0xDF)
        return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return left >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return left >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 &&
                       (p[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* How many plain bytes (0x20 to 0x7F, not '"' or '\') start p, looking at 16 bytes only. */
static int
plain_prefix(const unsigned char *p)
{
    __m128i w = _mm_loadu_si128((const __m128i *)p);
    /* Signed bytes below 0x20 are the control characters and 0x80 and above. */
    __m128i special = _mm_or_si128(
        _mm_cmplt_epi8(w, _mm_set1_epi8(0x20)),
        _mm_or_si128(_mm_cmpeq_epi8(w, _mm_set1_epi8('"')), _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))));
    int mask = _mm_movemask_epi8(special);
    return mask ? __builtin_ctz((unsigned)mask) : 16;
}
#define PLAIN_STEP 16
#else
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* The same, eight bytes at a time. Each test can flag bytes above the first true hit (a
 * borrow runs upwards), never below it, so the lowest flag is exact. */
static int
plain_prefix(const unsigned char *p)
{
    uint64_t w, quote, slash, special;
    int n = 0;
    memcpy(&w, p, 8);
    quote = w ^ (ONES * '"');
    slash = w ^ (ONES * '\\');
    special = (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) | ((slash - ONES) & ~slash) |
               w) &
              HIGHS;
    if (!special)
        return 8;
    for (; n < 8; n++) {
        unsigned char c = p[n];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            break;
    }
    return n;
}
#define PLAIN_STEP 8
#endif

/* A string whose opening quote is at p[-1]; returns the byte after the closing quote, or NULL.
 * *escaped is set when the string holds an escape (its bytes are then not its value). */
static const unsigned char *
scan_string(const unsigned char *p, const unsigned char *end, int *escaped)
{
    *escaped = 0;
    for (;;) {
        while (end - p >= PLAIN_STEP) {
            int n = plain_prefix(p);
            p += n;
            if (n < PLAIN_STEP)
                break;
        }
        if (p >= end)
            return NULL;
        unsigned char c = *p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            *escaped = 1;
            if (end - p < 2)
                return NULL;
            c = p[1];
            if (c == 'u') {
                if (end - p < 6)
                    return NULL;
                int a = hex_value(p[2]), b = hex_value(p[3]), d = hex_value(p[4]),
                    e = hex_value(p[5]);
                if ((a | b | d | e) < 0 || (a == 0xD && b >= 8)) /* surrogates: Python decides */
                    return NULL;
                p += 6;
            }
            else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                     c == 'r' || c == 't')
                p += 2;
            else
                return NULL;
        }
        else if (c >= 0x80) {
            int n = utf8_length(p, end);
            if (n == 0)
                return NULL;
            p += n;
        }
        else
            p++;
    }
}

/* An integer of 1 to 18 digits (no fraction, no exponent); the byte after it, or NULL. */
static const unsigned char *
scan_integer(const unsigned char *p, const unsigned char *end)
{
    if (p < end && *p == '-')
        p++;
    const unsigned char *digits = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    Py_ssize_t n = p - digits;
    if (n == 0 || n > 18 || (n > 1 && digits[0] == '0'))
        return NULL;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    return p;
}

static const unsigned char *scan_value(const unsigned char *p, const unsigned char *end,
                                       int depth);

/* The members of an object whose '{' is at p[-1], none of whose names matter. */
static const unsigned char *
scan_object(const unsigned char *p, const unsigned char *end, int depth)
{
    int escaped;
    p = skip_ws(p, end);
    if (p < end && *p == '}')
        return p + 1;
    for (;;) {
        if (p >= end || *p != '"' || (p = scan_string(p + 1, end, &escaped)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return NULL;
        if ((p = scan_value(skip_ws(p + 1, end), end, depth)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return p + 1;
        if (p >= end || *p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const unsigned char *
scan_array(const unsigned char *p, const unsigned char *end, int depth)
{
    p = skip_ws(p, end);
    if (p < end && *p == ']')
        return p + 1;
    for (;;) {
        if ((p = scan_value(p, end, depth)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == ']')
            return p + 1;
        if (p >= end || *p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const unsigned char *
scan_literal(const unsigned char *p, const unsigned char *end, const char *word, size_t len)
{
    return (size_t)(end - p) >= len && memcmp(p, word, len) == 0 ? p + len : NULL;
}

/* Any JSON value at p (leading whitespace already skipped); the byte after it, or NULL.
 * depth counts the containers around it. */
static const unsigned char *
scan_value(const unsigned char *p, const unsigned char *end, int depth)
{
    int escaped;
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
        return scan_string(p + 1, end, &escaped);
    case '{':
        return depth >= MAX_DEPTH ? NULL : scan_object(p + 1, end, depth + 1);
    case '[':
        return depth >= MAX_DEPTH ? NULL : scan_array(p + 1, end, depth + 1);
    case 't':
        return scan_literal(p, end, "true", 4);
    case 'f':
        return scan_literal(p, end, "false", 5);
    case 'n':
        return scan_literal(p, end, "null", 4);
    default:
        return scan_integer(p, end);
    }
}

static int
is_name(const unsigned char *start, const unsigned char *stop, const char *name)
{
    size_t len = strlen(name);
    return (size_t)(stop - start) == len + 1 && memcmp(start, name, len) == 0;
}

/* The entry's data object, whose '{' is at p[-1]: the idempotency key it carries, if any. */
static const unsigned char *
scan_data(const unsigned char *p, const unsigned char *end, entry_facts *facts)
{
    int escaped, seen_key = 0;
    p = skip_ws(p, end);
    if (p < end && *p == '}')
        return p + 1;
    for (;;) {
        if (p >= end || *p != '"')
            return NULL;
        const unsigned char *name = p + 1;
        if ((p = scan_string(name, end, &escaped)) == NULL || escaped)
            return NULL;
        int is_key = is_name(name, p, "idempotency_key");
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return NULL;
        p = skip_ws(p + 1, end);
        if (is_key) {
            if (seen_key++)
                return NULL; /* a repeated member: the last one counts; Python decides */
            if (p < end && *p == '"') {
                const unsigned char *value = p + 1;
                if ((p = scan_string(value, end, &escaped)) == NULL || escaped)
                    return NULL;
                facts->key = value;
                facts->key_len = p - 1 - value;
            }
            else if ((p = scan_literal(p, end, "null", 4)) == NULL)
                return NULL; /* a key that is not text: an error Python reports */
        }
        else if ((p = scan_value(p, end, 2)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p < end && *p == '}')
            return p + 1;
        if (p >= end || *p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static int
two_digits(const unsigned char *p)
{
    return (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9')
               ? (p[0] - '0') * 10 + (p[1] - '0')
               : -1;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A canonical ledger time, "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", to microseconds since the epoch;
 * 0 for any other text (which Python's parse_time then judges). */
static int
parse_canonical_time(const unsigned char *p, Py_ssize_t len, int64_t *out)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if ((len != 20 && len != 27) || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
        p[16] != ':' || p[len - 1] != 'Z')
        return 0;
    int c = two_digits(p), yy = two_digits(p + 2), m = two_digits(p + 5), d = two_digits(p + 8);
    int hh = two_digits(p + 11), mm = two_digits(p + 14), ss = two_digits(p + 17);
    if (c < 0 || yy < 0 || m < 1 || m > 12 || d < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 59)
        return 0;
    int year = c * 100 + yy;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1 || d > month_days[m - 1] + (m == 2 && leap))
        return 0;
    int64_t micros = 0;
    if (len == 27) {
        if (p[19] != '.')
            return 0;
        for (int i = 20; i < 26; i++) {
            if (p[i] < '0' || p[i] > '9')
                return 0;
            micros = micros * 10 + (p[i] - '0');
        }
    }
    int64_t seconds = days_from_civil(year, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    *out = seconds * 1000000 + micros;
    return 1;
}

enum { HAS_AT = 1, HAS_DATA = 2, HAS_TYPE = 4, HAS_V = 8, HAS_ALL = 15 };

/* One entry: 1 and its facts if it is an object with "at" (a canonical time), "data" (an
 * object), "type" (text) and "v" (an integer), within the subset described above; else 0. */
static int
scan_entry(const unsigned char *p, const unsigned char *end, entry_facts *facts)
{
    int escaped, seen = 0;
    facts->key = NULL;
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return 0;
    p = skip_ws(p + 1, end);
    while (p < end && *p == '"') {
        const unsigned char *name = p + 1;
        if ((p = scan_string(name, end, &escaped)) == NULL || escaped)
            return 0;
        int member = is_name(name, p, "at")     ? HAS_AT
                     : is_name(name, p, "data") ? HAS_DATA
                     : is_name(name, p, "type") ? HAS_TYPE
                     : is_name(name, p, "v")    ? HAS_V
                                                : 0;
        if (seen & member)
            return 0; /* a repeated member: Python decides which one counts */
        seen |= member;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return 0;
        p = skip_ws(p + 1, end);
        if (p >= end)
            return 0;
        if (member == HAS_AT) {
            const unsigned char *text = p + 1;
            if (*p != '"' || (p = scan_string(text, end, &escaped)) == NULL || escaped ||
                !parse_canonical_time(text, p - 1 - text, &facts->at_us))
                return 0;
        }
        else if (member == HAS_DATA) {
            if (*p != '{' || (p = scan_data(p + 1, end, facts)) == NULL)
                return 0;
        }
        else if (member == HAS_TYPE) {
            if (*p != '"' || (p = scan_string(p + 1, end, &escaped)) == NULL)
                return 0;
        }
        else if (member == HAS_V) {
            if ((p = scan_integer(p, end)) == NULL)
                return 0;
        }
        else if ((p = scan_value(p, end, 1)) == NULL)
            return 0;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            if (p >= end || *p != '"')
                return 0;
        }
        else
            break;
    }
    if (p >= end || *p != '}')
        return 0;
    return skip_ws(p + 1, end) == end && seen == HAS_ALL;
}

/* What one pass over a bundle found; the buffers grow without the GIL. */
typedef struct {
    unsigned char *leaves; /* count leaf hashes */
    entry_facts *facts;    /* count facts, while vouched */
    Py_ssize_t count, capacity;
    int vouched; /* every entry so far vouched for, their times never decreasing */
} bundle_pass;

static int
grow_pass(bundle_pass *b)
{
    Py_ssize_t capacity = b->capacity ? 2 * b->capacity : 256;
    unsigned char *leaves = PyMem_RawRealloc(b->leaves, (size_t)capacity * HASH);
    if (leaves == NULL)
        return 0;
    b->leaves = leaves;
    entry_facts *facts = PyMem_RawRealloc(b->facts, (size_t)capacity * sizeof(entry_facts));
    if (facts == NULL)
        return 0;
    b->facts = facts;
    b->capacity = capacity;
    return 1;
}

/* Hashes each entry and, while it is in cache, scans it. 1 on success; 0 if the bundle is
 * malformed, -1 out of memory, -2 if hashing failed. Needs no GIL. */
static int
walk_bundle(hasher *h, const unsigned char *p, Py_ssize_t len, bundle_pass *b)
{
    Py_ssize_t pos = 0;
    while (pos < len) {
        if (len - pos < 4)
            return 0;
        uint32_t size = get_be32(p + pos);
        if ((uint64_t)size > (uint64_t)(len - pos - 4))
            return 0;
        if (b->count == b->capacity && !grow_pass(b))
            return -1;
        const unsigned char *entry = p + pos + 4;
        Py_ssize_t i = b->count++;
        if (!digest(h, 0x00, entry, size, NULL, 0, b->leaves + i * HASH))
            return -2;
        if (b->vouched)
            b->vouched = scan_entry(entry, entry + size, &b->facts[i]) &&
                         (i == 0 || b->facts[i].at_us >= b->facts[i - 1].at_us);
        pos += 4 + (Py_ssize_t)size;
    }
    return 1;
}

/* (first time, last time, [(offset, key), ...], times) from vouched-for facts. */
static PyObject *
facts_result(const entry_facts *facts, Py_ssize_t count)
{
    PyObject *keys = PyList_New(0), *times = NULL;
    if (keys == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (facts[i].key == NULL)
            continue;
        PyObject *pair = Py_BuildValue("(ns#)", i, (const char *)facts[i].key, facts[i].key_len);
        if (pair == NULL || PyList_Append(keys, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(keys);
            return NULL;
        }
        Py_DECREF(pair);
    }
    if ((times = PyBytes_FromStringAndSize(NULL, count * 8)) == NULL) {
        Py_DECREF(keys);
        return NULL;
    }
    int64_t *out = (int64_t *)PyBytes_AS_STRING(times);
    for (Py_ssize_t i = 0; i < count; i++)
        out[i] = facts[i].at_us;
    return Py_BuildValue("(LLNN)", (long long)facts[0].at_us, (long long)facts[count - 1].at_us,
                         keys, times);
}

static PyObject *
verify_bundle(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    scan_error err = {0, 0, 0, 0};
    hasher h;
    bundle_pass b = {NULL, NULL, 0, 0, 1};
    unsigned char root[HASH], *scratch = NULL;
    PyObject *leaves = NULL, *facts = NULL, *result = NULL;
    int status, ok = 1;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (!hasher_open(&h)) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    status = walk_bundle(&h, view.buf, view.len, &b);
    if (status == 1 && b.count > 1) {
        scratch = PyMem_RawMalloc((size_t)((b.count + 1) / 2) * HASH);
        if (scratch == NULL)
            status = -1;
        else if ((ok = fold_root(&h, b.leaves, b.count, scratch)))
            memcpy(root, scratch, HASH);
    }
    else if (status == 1 && b.count == 1)
        memcpy(root, b.leaves, HASH);
    Py_END_ALLOW_THREADS
    hasher_close(&h);
    if (status == 0) {
        /* The same error as unpack_bundle() and bundle_leaf_hashes() give. */
        if (scan_bundle(view.buf, view.len, &err) < 0)
            scan_failed(&err);
        else /* a bytearray written to while the GIL was released */
            PyErr_SetString(PyExc_RuntimeError, "the bundle changed while being hashed");
        goto done;
    }
    if (status == -1) {
        PyErr_NoMemory();
        goto done;
    }
    if (status == -2 || !ok) {
        hash_failed();
        goto done;
    }
    if ((leaves = PyBytes_FromStringAndSize((const char *)b.leaves, b.count * HASH)) == NULL)
        goto done;
    facts = b.vouched && b.count ? facts_result(b.facts, b.count) : Py_NewRef(Py_None);
    if (facts == NULL) {
        Py_DECREF(leaves);
        goto done;
    }
    if (b.count)
        result = Py_BuildValue("(Nny#N)", leaves, b.count, (const char *)root, (Py_ssize_t)HASH,
                               facts);
    else
        result = Py_BuildValue("(NnON)", leaves, b.count, Py_None, facts);
done:
    PyMem_RawFree(scratch);
    PyMem_RawFree(b.leaves);
    PyMem_RawFree(b.facts);
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
    {"verify_bundle", verify_bundle, METH_O,
     "verify_bundle(bundle) -> (leaf hashes, count, subtree root or None, facts or None), facts "
     "being (first time, last time, [(offset, idempotency key)], times) of its entries."},
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
