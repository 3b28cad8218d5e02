/* Fused float32 loops for ember's hot paths (see kernels.py, which documents each one and
 * names its NumPy twin). Built at install time when a C compiler is present; without it,
 * ember runs the NumPy versions.
 *
 * Every loop does in one pass what NumPy does in several. Results equal NumPy's bit for bit:
 * the same float32 operations in the same order, built with -ffp-contract=off (no fused
 * multiply-add) and without fast-math. Arrays arrive through the buffer protocol, C-contiguous,
 * and the GIL is released inside the loops so that threads can share a batch.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Compile each hot loop for several instruction sets; the loader picks the best at run time. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* Get a C-contiguous buffer of `count` items of type `code` ('f' float32, 'B' uint8). */
static int get_buffer(const char *kernel, const char *name, PyObject *obj, Py_buffer *view,
                      char code, int writable, Py_ssize_t count) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: %s must be a C-contiguous%s array", kernel, name,
                     writable ? ", writable" : "");
        return -1;
    }
    Py_ssize_t itemsize = code == 'f' ? 4 : 1;
    const char *fmt = view->format ? view->format : "B";
    size_t len = strlen(fmt);
    int ok_fmt = len >= 1 && fmt[len - 1] == code && (len == 1 || fmt[0] == '<' ||
                                                      fmt[0] == '=' || fmt[0] == '@');
    if (!ok_fmt || view->itemsize != itemsize || view->len != count * itemsize) {
        PyErr_Format(PyExc_ValueError,
                     "%s: %s must hold %zd items of type '%c'; got %zd bytes of '%s'", kernel,
                     name, count, code, view->len, fmt);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int check_args(const char *kernel, Py_ssize_t nargs, Py_ssize_t want) {
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s takes %zd arguments (%zd given)", kernel, want, nargs);
        return -1;
    }
    return 0;
}

/* ---- Adam ---------------------------------------------------------------------------------- */
CLONES static void adam_loop(float *restrict p, const float *restrict g, float *restrict m,
                             float *restrict v, Py_ssize_t n, float c1, float c2, float eps,
                             float alpha) {
    for (Py_ssize_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * c1;
        float vi = v[i] + (gi * gi - v[i]) * c2;
        m[i] = mi;
        v[i] = vi;
        p[i] -= mi / (sqrtf(vi) + eps) * alpha;
    }
}

static PyObject *adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (check_args("adam", nargs, 8) < 0) return NULL;
    double s[4];
    for (int k = 0; k < 4; k++) {
        s[k] = PyFloat_AsDouble(args[4 + k]);
        if (s[k] == -1.0 && PyErr_Occurred()) return NULL;
    }
    Py_buffer p, g, m, v;
    Py_ssize_t n = PyObject_Length(args[0]);
    if (n < 0) return NULL;
    if (get_buffer("adam", "p", args[0], &p, 'f', 1, n) < 0) return NULL;
    n = p.len / 4;
    if (get_buffer("adam", "g", args[1], &g, 'f', 0, n) < 0) goto fail_p;
    if (get_buffer("adam", "m", args[2], &m, 'f', 1, n) < 0) goto fail_g;
    if (get_buffer("adam", "v", args[3], &v, 'f', 1, n) < 0) goto fail_m;
    Py_BEGIN_ALLOW_THREADS
    adam_loop(p.buf, g.buf, m.buf, v.buf, n, (float)s[0], (float)s[1], (float)s[2],
              (float)s[3]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v);
    PyBuffer_Release(&m);
    PyBuffer_Release(&g);
    PyBuffer_Release(&p);
    Py_RETURN_NONE;
fail_m:
    PyBuffer_Release(&m);
fail_g:
    PyBuffer_Release(&g);
fail_p:
    PyBuffer_Release(&p);
    return NULL;
}

/* ---- integer arguments --------------------------------------------------------------------- */
static int get_ints(const char *kernel, PyObject *const *args, Py_ssize_t first, int count,
                    Py_ssize_t *out) {
    for (int k = 0; k < count; k++) {
        out[k] = PyLong_AsSsize_t(args[first + k]);
        if (out[k] == -1 && PyErr_Occurred()) return -1;
        if (out[k] < 0) {
            PyErr_Format(PyExc_ValueError, "%s: argument %zd must be >= 0", kernel,
                         first + k);
            return -1;
        }
    }
    return 0;
}

/* ---- max pooling --------------------------------------------------------------------------- */
/* x (N, H, W, C) -> y (N, OH, OW, C); arg gets the window position i * pw + j of each window's
 * first maximum (TensorFlow's tie rule; a NaN wins, as in numpy.maximum). Rows of x are read
 * in order: for each output row, kernel row i, then the output columns. */
CLONES static void max_pool_loop(const float *x, float *y, uint8_t *arg, Py_ssize_t n_,
                                 Py_ssize_t h_, Py_ssize_t w_, Py_ssize_t c_, Py_ssize_t oh_,
                                 Py_ssize_t ow_, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t sh,
                                 Py_ssize_t sw) {
    for (Py_ssize_t n = 0; n < n_; n++)
        for (Py_ssize_t oh = 0; oh < oh_; oh++) {
            float *yrow = y + ((n * oh_ + oh) * ow_) * c_;
            uint8_t *arow = arg + ((n * oh_ + oh) * ow_) * c_;
            for (Py_ssize_t i = 0; i < ph; i++) {
                const float *xrow = x + ((n * h_ + oh * sh + i) * w_) * c_;
                for (Py_ssize_t ow = 0; ow < ow_; ow++) {
                    float *yo = yrow + ow * c_;
                    uint8_t *ao = arow + ow * c_;
                    for (Py_ssize_t j = 0; j < pw; j++) {
                        const float *xs = xrow + (ow * sw + j) * c_;
                        uint8_t k = (uint8_t)(i * pw + j);
                        if (k == 0) {
                            for (Py_ssize_t c = 0; c < c_; c++) {
                                yo[c] = xs[c];
                                ao[c] = 0;
                            }
                            continue;
                        }
                        for (Py_ssize_t c = 0; c < c_; c++) {
                            float v = xs[c], best = yo[c];
                            int take = (v > best) | ((v != v) & (best == best));
                            yo[c] = take ? v : best;
                            ao[c] = take ? k : ao[c];
                        }
                    }
                }
            }
        }
}

static PyObject *max_pool(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* x, y, arg, N, H, W, C, OH, OW, ph, pw, sh, sw */
    if (check_args("max_pool", nargs, 13) < 0) return NULL;
    Py_ssize_t d[10];
    if (get_ints("max_pool", args, 3, 10, d) < 0) return NULL;
    if (d[6] * d[7] > 256 || d[6] * d[7] < 1) {
        PyErr_SetString(PyExc_ValueError, "max_pool: the window must have 1 to 256 positions");
        return NULL;
    }
    if ((d[4] - 1) * d[8] + d[6] > d[1] || (d[5] - 1) * d[9] + d[7] > d[2]) {
        PyErr_SetString(PyExc_ValueError, "max_pool: the windows do not fit in the input");
        return NULL;
    }
    Py_buffer x, y, a;
    if (get_buffer("max_pool", "x", args[0], &x, 'f', 0, d[0] * d[1] * d[2] * d[3]) < 0)
        return NULL;
    Py_ssize_t out = d[0] * d[4] * d[5] * d[3];
    if (get_buffer("max_pool", "y", args[1], &y, 'f', 1, out) < 0) goto fail_x;
    if (get_buffer("max_pool", "arg", args[2], &a, 'B', 1, out) < 0) goto fail_y;
    Py_BEGIN_ALLOW_THREADS
    max_pool_loop(x.buf, y.buf, a.buf, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8],
                  d[9]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&a);
    PyBuffer_Release(&y);
    PyBuffer_Release(&x);
    Py_RETURN_NONE;
fail_y:
    PyBuffer_Release(&y);
fail_x:
    PyBuffer_Release(&x);
    return NULL;
}

/* The gradient of max_pool: each gy element goes to its window's arg position of g (N, H, W,
 * C). Disjoint windows write every position they cover (0 off the maximum); overlapping ones
 * add into g, which must start at zero. */
CLONES static void max_pool_grad_loop(const float *gy, const uint8_t *arg, float *g,
                                      Py_ssize_t n_, Py_ssize_t h_, Py_ssize_t w_,
                                      Py_ssize_t c_, Py_ssize_t oh_, Py_ssize_t ow_,
                                      Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t sh,
                                      Py_ssize_t sw, int disjoint) {
    for (Py_ssize_t n = 0; n < n_; n++)
        for (Py_ssize_t oh = 0; oh < oh_; oh++) {
            const float *gyrow = gy + ((n * oh_ + oh) * ow_) * c_;
            const uint8_t *arow = arg + ((n * oh_ + oh) * ow_) * c_;
            for (Py_ssize_t i = 0; i < ph; i++) {
                float *grow = g + ((n * h_ + oh * sh + i) * w_) * c_;
                for (Py_ssize_t ow = 0; ow < ow_; ow++) {
                    const float *go = gyrow + ow * c_;
                    const uint8_t *ao = arow + ow * c_;
                    for (Py_ssize_t j = 0; j < pw; j++) {
                        float *gs = grow + (ow * sw + j) * c_;
                        uint8_t k = (uint8_t)(i * pw + j);
                        if (disjoint) {
                            for (Py_ssize_t c = 0; c < c_; c++)
                                gs[c] = ao[c] == k ? go[c] : 0.0f;
                        } else {
                            for (Py_ssize_t c = 0; c < c_; c++)
                                gs[c] += ao[c] == k ? go[c] : 0.0f;
                        }
                    }
                }
            }
        }
}

static PyObject *max_pool_grad(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* gy, arg, g, N, H, W, C, OH, OW, ph, pw, sh, sw, disjoint */
    if (check_args("max_pool_grad", nargs, 14) < 0) return NULL;
    Py_ssize_t d[11];
    if (get_ints("max_pool_grad", args, 3, 11, d) < 0) return NULL;
    if ((d[4] - 1) * d[8] + d[6] > d[1] || (d[5] - 1) * d[9] + d[7] > d[2] ||
        d[6] * d[7] > 256) {
        PyErr_SetString(PyExc_ValueError, "max_pool_grad: the windows do not fit in g");
        return NULL;
    }
    Py_ssize_t out = d[0] * d[4] * d[5] * d[3];
    Py_buffer gy, a, g;
    if (get_buffer("max_pool_grad", "gy", args[0], &gy, 'f', 0, out) < 0) return NULL;
    if (get_buffer("max_pool_grad", "arg", args[1], &a, 'B', 0, out) < 0) goto fail_gy;
    if (get_buffer("max_pool_grad", "g", args[2], &g, 'f', 1, d[0] * d[1] * d[2] * d[3]) < 0)
        goto fail_a;
    Py_BEGIN_ALLOW_THREADS
    max_pool_grad_loop(gy.buf, a.buf, g.buf, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                       d[8], d[9], (int)d[10]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&g);
    PyBuffer_Release(&a);
    PyBuffer_Release(&gy);
    Py_RETURN_NONE;
fail_a:
    PyBuffer_Release(&a);
fail_gy:
    PyBuffer_Release(&gy);
    return NULL;
}

/* ---- col2im -------------------------------------------------------------------------------- */
/* Add each row of gcols (N, OH, OW, KH * KW * C) back over its window of g (N, H, W, C). */
CLONES static void col2im_loop(const float *gcols, float *g, Py_ssize_t n_, Py_ssize_t h_,
                               Py_ssize_t w_, Py_ssize_t c_, Py_ssize_t oh_, Py_ssize_t ow_,
                               Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sh, Py_ssize_t sw,
                               Py_ssize_t dh, Py_ssize_t dw) {
    Py_ssize_t k_ = kh * kw * c_;
    for (Py_ssize_t n = 0; n < n_; n++)
        for (Py_ssize_t oh = 0; oh < oh_; oh++)
            for (Py_ssize_t i = 0; i < kh; i++) {
                float *grow = g + ((n * h_ + oh * sh + i * dh) * w_) * c_;
                for (Py_ssize_t ow = 0; ow < ow_; ow++) {
                    const float *src = gcols + ((n * oh_ + oh) * ow_ + ow) * k_ + i * kw * c_;
                    for (Py_ssize_t j = 0; j < kw; j++) {
                        float *dst = grow + (ow * sw + j * dw) * c_;
                        const float *s = src + j * c_;
                        for (Py_ssize_t c = 0; c < c_; c++) dst[c] += s[c];
                    }
                }
            }
}

static PyObject *col2im(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* gcols, g, N, H, W, C, OH, OW, kh, kw, sh, sw, dh, dw */
    if (check_args("col2im", nargs, 14) < 0) return NULL;
    Py_ssize_t d[12];
    if (get_ints("col2im", args, 2, 12, d) < 0) return NULL;
    if ((d[4] - 1) * d[8] + (d[6] - 1) * d[10] + 1 > d[1] ||
        (d[5] - 1) * d[9] + (d[7] - 1) * d[11] + 1 > d[2]) {
        PyErr_SetString(PyExc_ValueError, "col2im: the windows do not fit in g");
        return NULL;
    }
    Py_buffer gc, g;
    if (get_buffer("col2im", "gcols", args[0], &gc, 'f', 0,
                   d[0] * d[4] * d[5] * d[6] * d[7] * d[3]) < 0)
        return NULL;
    if (get_buffer("col2im", "g", args[1], &g, 'f', 1, d[0] * d[1] * d[2] * d[3]) < 0) {
        PyBuffer_Release(&gc);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    col2im_loop(gc.buf, g.buf, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9],
                d[10], d[11]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&g);
    PyBuffer_Release(&gc);
    Py_RETURN_NONE;
}

/* ---- bias + ReLU --------------------------------------------------------------------------- */
CLONES static void bias_relu_loop(float *y, const float *b, Py_ssize_t rows, Py_ssize_t c_,
                                  int relu) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *row = y + r * c_;
        if (relu) {
            for (Py_ssize_t c = 0; c < c_; c++) {
                float v = row[c] + b[c];
                row[c] = (v > 0.0f) | (v != v) ? v : 0.0f; /* NaN stays, as numpy.maximum */
            }
        } else {
            for (Py_ssize_t c = 0; c < c_; c++) row[c] += b[c];
        }
    }
}

static PyObject *bias_relu(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* y, b, rows, C, relu */
    if (check_args("bias_relu", nargs, 5) < 0) return NULL;
    Py_ssize_t d[3];
    if (get_ints("bias_relu", args, 2, 3, d) < 0) return NULL;
    Py_buffer y, b;
    if (get_buffer("bias_relu", "y", args[0], &y, 'f', 1, d[0] * d[1]) < 0) return NULL;
    if (get_buffer("bias_relu", "b", args[1], &b, 'f', 0, d[1]) < 0) {
        PyBuffer_Release(&y);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    bias_relu_loop(y.buf, b.buf, d[0], d[1], (int)d[2]);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    PyBuffer_Release(&y);
    Py_RETURN_NONE;
}

/* ---- ReLU gradient and bias gradient ------------------------------------------------------- */
/* g = gy where y > 0 (everywhere without y) and 0 elsewhere, subnormal values flushed to 0;
 * sums gets the column sums of g: blocks of 32 rows in float32, the blocks' sums in double. */
CLONES static void relu_grad_sums_loop(const float *gy, const float *y, float *g, float *sums,
                                       double *total, float *block, Py_ssize_t rows,
                                       Py_ssize_t c_) {
    const float tiny = 1.17549435e-38f; /* the smallest normal float32 */
    for (Py_ssize_t c = 0; c < c_; c++) total[c] = 0.0;
    for (Py_ssize_t r0 = 0; r0 < rows; r0 += 32) {
        Py_ssize_t r1 = r0 + 32 < rows ? r0 + 32 : rows;
        for (Py_ssize_t c = 0; c < c_; c++) block[c] = 0.0f;
        for (Py_ssize_t r = r0; r < r1; r++) {
            const float *src = gy + r * c_;
            float *dst = g + r * c_;
            if (y) {
                const float *yr = y + r * c_;
                for (Py_ssize_t c = 0; c < c_; c++)
                    dst[c] = (fabsf(src[c]) >= tiny) & (yr[c] > 0.0f) ? src[c] : 0.0f;
            } else {
                for (Py_ssize_t c = 0; c < c_; c++)
                    dst[c] = fabsf(src[c]) >= tiny ? src[c] : 0.0f;
            }
            for (Py_ssize_t c = 0; c < c_; c++) block[c] += dst[c];
        }
        for (Py_ssize_t c = 0; c < c_; c++) total[c] += block[c];
    }
    for (Py_ssize_t c = 0; c < c_; c++) sums[c] = (float)total[c];
}

static PyObject *relu_grad_sums(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* gy, y or None, g, sums, rows, C */
    if (check_args("relu_grad_sums", nargs, 6) < 0) return NULL;
    Py_ssize_t d[2];
    if (get_ints("relu_grad_sums", args, 4, 2, d) < 0) return NULL;
    Py_ssize_t n = d[0] * d[1];
    int has_y = args[1] != Py_None;
    Py_buffer gy, y, g, s;
    if (get_buffer("relu_grad_sums", "gy", args[0], &gy, 'f', 0, n) < 0) return NULL;
    if (has_y && get_buffer("relu_grad_sums", "y", args[1], &y, 'f', 0, n) < 0) goto fail_gy;
    if (get_buffer("relu_grad_sums", "g", args[2], &g, 'f', 1, n) < 0) goto fail_y;
    if (get_buffer("relu_grad_sums", "sums", args[3], &s, 'f', 1, d[1]) < 0) goto fail_g;
    double *total = malloc(sizeof(double) * (d[1] + 1));
    float *block = malloc(sizeof(float) * (d[1] + 1));
    if (!total || !block) {
        free(total);
        free(block);
        PyErr_NoMemory();
        PyBuffer_Release(&s);
        goto fail_g;
    }
    Py_BEGIN_ALLOW_THREADS
    relu_grad_sums_loop(gy.buf, has_y ? y.buf : NULL, g.buf, s.buf, total, block, d[0], d[1]);
    Py_END_ALLOW_THREADS
    free(total);
    free(block);
    PyBuffer_Release(&s);
    PyBuffer_Release(&g);
    if (has_y) PyBuffer_Release(&y);
    PyBuffer_Release(&gy);
    Py_RETURN_NONE;
fail_g:
    PyBuffer_Release(&g);
fail_y:
    if (has_y) PyBuffer_Release(&y);
fail_gy:
    PyBuffer_Release(&gy);
    return NULL;
}

/* ---- softmax ------------------------------------------------------------------------------ */
/* exp(x) for x in [-87.5, 0] (softmax's shifted, clamped logits), in a form the compiler can
 * vectorize: x = n ln2 + r with |r| <= ln2 / 2 (Cody and Waite's two-part ln2), e^r by Cephes's
 * degree-6 polynomial, 2^n put in the exponent bits. Within 2 ulp of the exact value. */
static inline float exp_nonpositive(float x) {
    /* round to nearest: t <= 0, and truncation of t - 0.5 toward zero is ceil(t - 0.5) */
    int32_t k = (int32_t)(x * 1.44269504088896341f - 0.5f);
    float n = (float)k;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = (k + 127) << 23;
    return p * scale.f;
}

/* Softmax over the rows of y (rows, C), in place: exp(max(x - rowmax, low)) / rowsum, with
 * low >= -87 (it keeps probabilities out of the subnormal range; see ops/activations.py). */
CLONES static void softmax_loop(float *y, Py_ssize_t rows, Py_ssize_t c_, float low) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *row = y + r * c_;
        float m = row[0];
        for (Py_ssize_t c = 1; c < c_; c++) m = row[c] > m || row[c] != row[c] ? row[c] : m;
        if (m != m || m == INFINITY || m == -INFINITY) { /* NaN or inf rows: as NumPy */
            for (Py_ssize_t c = 0; c < c_; c++) row[c] = NAN;
            continue;
        }
        for (Py_ssize_t c = 0; c < c_; c++) { /* vectorizes */
            float v = row[c] - m;
            row[c] = exp_nonpositive(v < low ? low : v);
        }
        float s = 0.0f;
        for (Py_ssize_t c = 0; c < c_; c++) s += row[c]; /* in order, as written */
        for (Py_ssize_t c = 0; c < c_; c++) row[c] /= s;
    }
}

static PyObject *softmax(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* y, rows, C, low */
    if (check_args("softmax", nargs, 4) < 0) return NULL;
    Py_ssize_t d[2];
    if (get_ints("softmax", args, 1, 2, d) < 0) return NULL;
    double low = PyFloat_AsDouble(args[3]);
    if (low == -1.0 && PyErr_Occurred()) return NULL;
    if (d[1] < 1) {
        PyErr_SetString(PyExc_ValueError, "softmax: rows must have at least one element");
        return NULL;
    }
    if (!(low >= -87.0 && low <= 0.0)) {
        PyErr_SetString(PyExc_ValueError, "softmax: low must be in [-87, 0]");
        return NULL;
    }
    Py_buffer y;
    if (get_buffer("softmax", "y", args[0], &y, 'f', 1, d[0] * d[1]) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    softmax_loop(y.buf, d[0], d[1], (float)low);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&y);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"softmax", (PyCFunction)(void (*)(void))softmax, METH_FASTCALL,
     "softmax(y, rows, C, low)"},
    {"adam", (PyCFunction)(void (*)(void))adam, METH_FASTCALL,
     "adam(p, g, m, v, c1, c2, eps, alpha)"},
    {"max_pool", (PyCFunction)(void (*)(void))max_pool, METH_FASTCALL,
     "max_pool(x, y, arg, N, H, W, C, OH, OW, ph, pw, sh, sw)"},
    {"max_pool_grad", (PyCFunction)(void (*)(void))max_pool_grad, METH_FASTCALL,
     "max_pool_grad(gy, arg, g, N, H, W, C, OH, OW, ph, pw, sh, sw, disjoint)"},
    {"col2im", (PyCFunction)(void (*)(void))col2im, METH_FASTCALL,
     "col2im(gcols, g, N, H, W, C, OH, OW, kh, kw, sh, sw, dh, dw)"},
    {"bias_relu", (PyCFunction)(void (*)(void))bias_relu, METH_FASTCALL,
     "bias_relu(y, b, rows, C, relu)"},
    {"relu_grad_sums", (PyCFunction)(void (*)(void))relu_grad_sums, METH_FASTCALL,
     "relu_grad_sums(gy, y_or_None, g, sums, rows, C)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels",
                                    "ember's fused float32 loops (see kernels.py)", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
