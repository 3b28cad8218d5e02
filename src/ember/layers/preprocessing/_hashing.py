"""The hash functions of Keras's hashing layers, as TensorFlow computes them (pure Python).

``Hashing`` and the lookup layers' OOV buckets use ``tf.strings.to_hash_bucket_fast`` (FarmHash
Fingerprint64 of the UTF-8 bytes; integers hashed as their decimal strings) or, with a ``salt``,
``tf.strings.to_hash_bucket_strong`` (SipHash-2-4 keyed by the two salt integers);
``HashedCrossing`` uses ``tf.sparse.cross_hashed`` (Fingerprint64 of strings, the integer itself
for integers, combined with FingerprintCat64). Each distinct value is hashed once.
"""

from ember.backend import xp

# -- FarmHash Fingerprint64 (farmhashna::Hash64), the hash of TF's to_hash_bucket_fast ---------
_M64 = (1 << 64) - 1
_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F
_CROSS_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key


def _fetch64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rotate(v, n):
    return ((v >> n) | (v << (64 - n))) & _M64 if n else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M64
    b ^= b >> 47
    return (b * mul) & _M64


def _hash_len0to16(s):
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M64
        b = _fetch64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & _M64
        d = ((_rotate(a, 25) + b) * mul) & _M64
        return _hash_len16(c, d, mul)
    if n >= 4:
        return _hash_len16((n + (_fetch32(s, 0) << 3)) & _M64, _fetch32(s, n - 4), _K2 + n * 2)
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _M64) * _K2) & _M64
    return _K2


def _hash_len17to32(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    return _hash_len16((_rotate((a + b) & _M64, 43) + _rotate(c, 30) + d) & _M64,
                       (a + _rotate((b + _K2) & _M64, 18) + c) & _M64, mul)


def _hash_len33to64(s):
    n = len(s)
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M64
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M64
    d = (_fetch64(s, n - 16) * _K2) & _M64
    y = (_rotate((a + b) & _M64, 43) + _rotate(c, 30) + d) & _M64
    z = _hash_len16(y, (a + _rotate((b + _K2) & _M64, 18) + c) & _M64, mul)
    e = (_fetch64(s, 16) * mul) & _M64
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M64
    h = ((z + _fetch64(s, n - 24)) * mul) & _M64
    return _hash_len16((_rotate((e + f) & _M64, 43) + _rotate(g, 30) + h) & _M64,
                       (e + _rotate((f + a) & _M64, 18) + g) & _M64, mul)


def _weak_hash32(s, i, a, b):
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _M64
    b = _rotate((b + a + z) & _M64, 21)
    c = a
    a = (a + x + y) & _M64
    b = (b + _rotate(a, 44)) & _M64
    return (a + z) & _M64, (b + c) & _M64


def _fingerprint64(s):
    """FarmHash Fingerprint64 of the bytes ``s`` (an int in [0, 2**64))."""
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s)
    if n <= 32:
        return _hash_len17to32(s)
    if n <= 64:
        return _hash_len33to64(s)
    seed = 81
    y = (seed * _K1 + 113) & _M64
    z = (_shift_mix((y * _K2 + 113) & _M64) * _K2) & _M64
    v0 = v1 = w0 = w1 = 0
    x = (seed * _K2 + _fetch64(s, 0)) & _M64
    end = ((n - 1) // 64) * 64
    i = 0
    while i != end:  # 64-byte blocks
        x = (_rotate((x + y + v0 + _fetch64(s, i + 8)) & _M64, 37) * _K1) & _M64
        y = (_rotate((y + v1 + _fetch64(s, i + 48)) & _M64, 42) * _K1) & _M64
        x ^= w1
        y = (y + v0 + _fetch64(s, i + 40)) & _M64
        z = (_rotate((z + w0) & _M64, 33) * _K1) & _M64
        v0, v1 = _weak_hash32(s, i, (v1 * _K1) & _M64, (x + w0) & _M64)
        w0, w1 = _weak_hash32(s, i + 32, (z + w1) & _M64, (y + _fetch64(s, i + 16)) & _M64)
        z, x = x, z
        i += 64
    mul = _K1 + ((z & 0xFF) << 1)
    i = end + ((n - 1) & 63) - 63  # the last 64 bytes
    w0 = (w0 + ((n - 1) & 63)) & _M64
    v0 = (v0 + w0) & _M64
    w0 = (w0 + v0) & _M64
    x = (_rotate((x + y + v0 + _fetch64(s, i + 8)) & _M64, 37) * mul) & _M64
    y = (_rotate((y + v1 + _fetch64(s, i + 48)) & _M64, 42) * mul) & _M64
    x ^= (w1 * 9) & _M64
    y = (y + v0 * 9 + _fetch64(s, i + 40)) & _M64
    z = (_rotate((z + w0) & _M64, 33) * mul) & _M64
    v0, v1 = _weak_hash32(s, i, (v1 * mul) & _M64, (x + w0) & _M64)
    w0, w1 = _weak_hash32(s, i + 32, (z + w1) & _M64, (y + _fetch64(s, i + 16)) & _M64)
    z, x = x, z
    return _hash_len16((_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z) & _M64,
                       (_hash_len16(v1, w1, mul) + x) & _M64, mul)


def _fingerprint_cat64(fp1, fp2):
    """Combine two fingerprints (TF's FingerprintCat64)."""
    kmul = 0xC6A4A7935BD1E995
    r = fp1 ^ kmul
    r ^= (_shift_mix((fp2 * kmul) & _M64) * kmul) & _M64
    r = (r * kmul) & _M64
    r = (_shift_mix(r) * kmul) & _M64
    return _shift_mix(r)


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _map_unique(values, fn):
    """``fn`` applied to each distinct value of ``values`` (once), as an array of its shape."""
    uniques, inverse = xp.unique(values, return_inverse=True)
    mapped = xp.asarray([fn(u.item() if hasattr(u, "item") else u) for u in uniques],
                        dtype=object)
    return mapped[inverse.reshape(-1)].reshape(values.shape)


def _siphash24(key, s):
    """SipHash-2-4 of the bytes ``s`` keyed by two 64-bit integers (TF's StrongKeyedHash)."""
    k0, k1 = key[0] & _M64, key[1] & _M64
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, n):
        for _ in range(n):
            v0 = (v0 + v1) & _M64
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _M64
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _M64
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _M64
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)
        return v0, v1, v2, v3

    n = len(s)
    end = n - n % 8
    for i in range(0, end, 8):
        m = _fetch64(s, i)
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    m = ((n & 0xFF) << 56) | int.from_bytes(s[end:], "little")
    v3 ^= m
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
    v0 ^= m
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def _rotl(v, n):
    return ((v << n) | (v >> (64 - n))) & _M64


def _hash_bucket(values, num_bins, salt=None):
    """TF's ``to_hash_bucket_fast`` (``to_hash_bucket_strong`` keyed by ``salt``, a pair of
    integers): integers hashed as their decimal strings (floats first truncated to integers),
    as Keras's Hashing layer."""
    if values.dtype.kind == "f":
        values = values.astype("int64")
    if salt is None:
        hashed = _map_unique(values, lambda v: _fingerprint64(_as_bytes(v)) % num_bins)
    else:
        key = (int(salt[0]), int(salt[1]))
        hashed = _map_unique(values, lambda v: _siphash24(key, _as_bytes(v)) % num_bins)
    return hashed.astype("int64")


def _column_fingerprints(values):
    """The per-value keys of ``tf.sparse.cross_hashed``: Fingerprint64 of strings, the
    integer itself (two's complement) for integers."""
    if values.dtype.kind in "iub":
        return values.astype("int64").astype("uint64").astype(object)
    return _map_unique(values, lambda v: _fingerprint64(_as_bytes(v)))




def _hashed_cross(columns, num_bins):
    """``tf.sparse.cross_hashed`` of same-shape integer or string arrays, element-wise."""
    keys = [_column_fingerprints(column).reshape(-1) for column in columns]
    cache = {}  # each distinct combination is hashed once
    out = []
    for combination in zip(*keys):
        if combination not in cache:
            h = _CROSS_HASH_KEY
            for key in combination:
                h = _fingerprint_cat64(h, int(key))
            cache[combination] = h % num_bins
        out.append(cache[combination])
    return xp.asarray(out, dtype="int64").reshape(columns[0].shape)
