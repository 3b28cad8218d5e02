"""Getting files, as ``keras.utils.get_file``, offline-safe.

A file is looked for in ember's cache (``$EMBER_HOME``, default ``~/.ember``), then in Keras's
cache (``$KERAS_HOME``, default ``~/.keras``), then in the system's dataset folder
(``/usr/share/datasets/<name>/``, where Debian's dataset packages put files), and only then
downloaded. A local file is accepted when its container hash or its content digest matches;
a download is verified before it is moved into place, so the cache never holds a partial or
corrupt file. Set ``EMBER_OFFLINE=1`` to never download.
"""

import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from ember.backend import np

# Where Debian's dataset packages install files; EMBER_SYSTEM_DATASETS overrides it.
SYSTEM_DATASETS_DIR = "/usr/share/datasets"
DOWNLOAD_ATTEMPTS = 3
RETRY_BACKOFF_S = 1.0  # doubled after each failed attempt
DOWNLOAD_TIMEOUT_S = 30.0
CHUNK_SIZE = 1 << 16
_MEMO_NAME = ".verified.json"
_USER_AGENT = "ember (python urllib)"


class DownloadError(OSError):
    """A file is neither available locally nor downloadable; the message says where it looked."""

    def __init__(self, message, looked=(), attempts=()):
        super().__init__(message)
        self.looked = list(looked)
        self.attempts = list(attempts)


class IntegrityError(ValueError):
    """A file's hash or content digest is not the expected one."""


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the extraction folder."""


# ----------------------------------------------------------------------------- places


def ember_home():
    """ember's cache folder: ``$EMBER_HOME``, else ``~/.ember``."""
    return os.path.expanduser(os.environ.get("EMBER_HOME") or os.path.join("~", ".ember"))


def keras_home():
    """Keras's cache folder: ``$KERAS_HOME``, else ``~/.keras``."""
    return os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))


def system_datasets_dir():
    """The system's dataset folder: ``$EMBER_SYSTEM_DATASETS``, else ``/usr/share/datasets``."""
    return os.environ.get("EMBER_SYSTEM_DATASETS") or SYSTEM_DATASETS_DIR


def offline():
    """Whether downloads are disabled (``EMBER_OFFLINE=1``)."""
    return os.environ.get("EMBER_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def cache_base(cache_dir=None):
    """The writable cache folder: ``cache_dir`` or ember's home, else a temporary one (as Keras)."""
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir else ember_home()
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if os.path.isdir(base) and os.access(base, os.W_OK):
        return base
    fallback = os.path.join(tempfile.gettempdir(), ".ember")
    os.makedirs(fallback, exist_ok=True)
    return fallback


def _system_dirs(fname, cache_subdir):
    root = system_datasets_dir()
    parts = [p for p in cache_subdir.replace("\\", "/").split("/") if p]
    if parts and parts[-1] != "datasets":
        return [os.path.join(root, parts[-1])]
    # A file directly in 'datasets' (mnist.npz) lives in a folder named after it.
    stem = fname.split(".", 1)[0]
    return [os.path.join(root, stem), root]


def search_paths(fname, cache_subdir="datasets", cache_dir=None, aliases=()):
    """Every ``(place, path)`` looked at for ``fname``, in order."""
    names = [fname, *[a for a in aliases if a != fname]]
    base = cache_base(cache_dir)
    dirs = [("ember cache", os.path.join(base, cache_subdir))]
    if not os.path.isabs(cache_subdir):
        dirs.append(("Keras cache", os.path.join(keras_home(), cache_subdir)))
        dirs += [("system datasets", d) for d in _system_dirs(fname, cache_subdir)]
    seen, out = set(), []
    for place, folder in dirs:
        for name in names:
            path = os.path.join(folder, name)
            if path not in seen:
                seen.add(path)
                out.append((place, path))
    return out


# ----------------------------------------------------------------------------- hashing


def resolve_hasher(algorithm, file_hash=None):
    """A hashlib object for ``algorithm`` ('sha256', 'md5' or 'auto': MD5 for 32 hex digits)."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "md5":
        return hashlib.md5()
    if algorithm == "auto":
        if file_hash is not None and len(file_hash) == 32:
            return hashlib.md5()
        return hashlib.sha256()
    raise ValueError(f"Unknown hash algorithm {algorithm!r}; use 'sha256', 'md5' or 'auto'.")


def _algorithm_name(algorithm, file_hash):
    return resolve_hasher(algorithm, file_hash).name


def hash_file(fpath, algorithm="sha256", chunk_size=CHUNK_SIZE):
    """The hex digest of a file (``algorithm``: 'sha256', 'md5' or 'auto')."""
    hasher = resolve_hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=CHUNK_SIZE):
    """Whether the file's hash equals ``file_hash`` (SHA-256, or MD5 for 32 hex digits)."""
    hasher = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher.name, chunk_size) == str(file_hash).lower()


def array_digest(arrays):
    """SHA-256 over named arrays: sorted keys, each key, dtype (little-endian), shape and bytes.

    It ignores how the arrays were stored (zip compression, time stamps, npy header padding), so a
    re-saved ``.npz`` with the same arrays has the same digest.
    """
    hasher = hashlib.sha256()
    for key in sorted(arrays):
        a = np.asarray(arrays[key])
        if a.dtype.hasobject:
            raise ValueError(f"No content digest for object array {key!r}.")
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        hasher.update(f"{key}\0{a.dtype.str}\0{','.join(map(str, a.shape))}\0".encode())
        hasher.update(memoryview(a).cast("B"))
    return hasher.hexdigest()


def content_digest(fpath, kind=None):
    """SHA-256 of what a file holds, independent of its container.

    ``.gz`` (not ``.tar.gz``): the decompressed bytes. ``.npz``: :func:`array_digest` of its
    arrays. Anything else: the file's own bytes. ``kind`` ('gz', 'npz', 'raw') overrides the
    guess from the name.
    """
    kind = kind or _content_kind(os.fspath(fpath))
    if kind == "gz":
        hasher = hashlib.sha256()
        with gzip.open(fpath, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                hasher.update(chunk)
        return hasher.hexdigest()
    if kind == "npz":
        with np.load(fpath, allow_pickle=False) as f:
            return array_digest({k: f[k] for k in f.files})
    return hash_file(fpath, "sha256")


def _content_kind(name):
    name = name.lower()
    if name.endswith(".gz") and not name.endswith((".tar.gz", ".tgz")):
        return "gz"
    if name.endswith(".npz"):
        return "npz"
    return "raw"


class _Memo:
    """Files already verified, by real path, size and mtime, so a second load costs no hash."""

    def __init__(self, base):
        self.path = os.path.join(base, _MEMO_NAME)
        try:
            with open(self.path, encoding="utf-8") as f:
                self.files = json.load(f).get("files", {})
            if not isinstance(self.files, dict):
                self.files = {}
        except (OSError, ValueError, AttributeError):
            self.files = {}

    @staticmethod
    def _key(fpath):
        real = os.path.realpath(fpath)
        st = os.stat(real)
        return real, st.st_size, st.st_mtime_ns

    def knows(self, fpath, digests):
        try:
            real, size, mtime = self._key(fpath)
        except OSError:
            return False
        entry = self.files.get(real)
        if not entry or entry.get("size") != size or entry.get("mtime_ns") != mtime:
            return False
        return any(d and d.lower() in entry.get("digests", ()) for d in digests)

    def remember(self, fpath, digest):
        try:
            real, size, mtime = self._key(fpath)
        except OSError:
            return
        entry = self.files.get(real)
        if not entry or entry.get("size") != size or entry.get("mtime_ns") != mtime:
            entry = {"size": size, "mtime_ns": mtime, "digests": []}
        if digest.lower() not in entry["digests"]:
            entry["digests"].append(digest.lower())
        self.files[real] = entry
        # Atomic write; a cache that cannot be written only costs a hash next time.
        try:
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".verified.")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "files": self.files}, f, indent=0, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass


def _check(fpath, file_hash, content_hash, algorithm, memo, kind=None):
    """``None`` when the file is accepted, else why it is refused (with both digests)."""
    if file_hash is None and content_hash is None:
        return None
    if memo is not None and memo.knows(fpath, (file_hash, content_hash)):
        return None
    reasons = []
    if file_hash is not None:
        name = _algorithm_name(algorithm, file_hash)
        actual = hash_file(fpath, name)
        if actual == file_hash.lower():
            if memo is not None:
                memo.remember(fpath, file_hash)
            return None
        reasons.append(f"file {name} {actual}, expected {file_hash.lower()}")
    if content_hash is not None:
        try:
            actual = content_digest(fpath, kind)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            reasons.append(f"content unreadable ({e}), expected content sha256 {content_hash}")
        else:
            if actual == content_hash.lower():
                if memo is not None:
                    memo.remember(fpath, content_hash)
                return None
            reasons.append(f"content sha256 {actual}, expected {content_hash.lower()}")
    return "; ".join(reasons)


def locate(fname, cache_subdir="datasets", cache_dir=None, file_hash=None, content_hash=None,
           hash_algorithm="auto", aliases=()):
    """The first local copy of ``fname`` that passes the checks, and what was seen where.

    Returns ``(path or None, looked)``, ``looked`` a list of ``"path (status)"`` lines.
    """
    memo = _Memo(cache_base(cache_dir))
    kind = _content_kind(fname)
    looked = []
    for place, path in search_paths(fname, cache_subdir, cache_dir, aliases):
        if not os.path.isfile(path):
            looked.append(f"{path} ({place}: missing)")
            continue
        refused = _check(path, file_hash, content_hash, hash_algorithm, memo, kind)
        if refused is None:
            return path, looked
        looked.append(f"{path} ({place}: refused: {refused})")
    return None, looked


# ----------------------------------------------------------------------------- download


class _Progress:
    """A one-line progress bar (bytes, rate, ETA) on a terminal; silent otherwise."""

    def __init__(self, name, total, stream=None):
        self.name, self.total = name, total
        self.stream = sys.stdout if stream is None else stream
        try:
            self.enabled = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.enabled = False
        self.start = self.last = time.monotonic()
        self.done = 0

    def update(self, n, force=False):
        self.done += n
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.1):
            return
        self.last = now
        rate = self.done / max(now - self.start, 1e-6)
        line = f"{self.name}: {_fmt_bytes(self.done)}"
        if self.total:
            eta = (self.total - self.done) / rate if rate > 0 else 0
            pct = 100.0 * self.done / self.total
            line += f" / {_fmt_bytes(self.total)} ({pct:3.0f}%)  {_fmt_bytes(rate)}/s"
            line += f"  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        else:
            line += f"  {_fmt_bytes(rate)}/s"
        self.stream.write("\r" + line.ljust(79))
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.update(0, force=True)
            self.stream.write("\n")
            self.stream.flush()


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0


class _ShortBody(Exception):
    pass


def _transient(error):
    """Whether a failed attempt is worth retrying: resets, timeouts, cut bodies, 5xx."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500 or error.code in (408, 429)
    if isinstance(error, urllib.error.URLError):
        error = error.reason
    if isinstance(error, (_ShortBody, http.client.IncompleteRead, TimeoutError, socket.timeout)):
        return True
    # A failing name lookup or a refused connection means offline; retrying only delays.
    return isinstance(error, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError))


def _describe(error):
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"{type(error.reason).__name__}: {error.reason}"
    return f"{type(error).__name__}: {error}"


def _download_once(url, target, name, file_hash, content_hash, algorithm, kind):
    folder = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(
            request, timeout=DOWNLOAD_TIMEOUT_S
        ) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            hasher = resolve_hasher(algorithm, file_hash) if file_hash else None
            progress = _Progress(name, total)
            received = 0
            try:
                for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                    out.write(chunk)
                    received += len(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    progress.update(len(chunk))
            finally:
                progress.close()
            # http.client returns a short body without error when the peer closes early.
            if total is not None and received != total:
                raise _ShortBody(f"connection closed after {received} of {total} bytes")
        refused, verified = None, file_hash
        if hasher is not None and hasher.hexdigest() != file_hash.lower():
            verified = content_hash
            refused = f"file {hasher.name} {hasher.hexdigest()}, expected {file_hash.lower()}"
            if content_hash is not None:
                # A mirror may re-pack the same content (another gzip header): accept that.
                other = _check(tmp, None, content_hash, algorithm, None, kind)
                refused = other and f"{refused}; {other}"
        elif hasher is None and content_hash is not None:
            refused, verified = _check(tmp, None, content_hash, algorithm, None, kind), content_hash
        if refused:
            raise IntegrityError(
                f"Downloaded {name} from {url} but it is not the expected file: {refused}. "
                "Nothing was kept; the origin may have changed or the transfer was tampered with."
            )
        os.replace(tmp, target)
        tmp = None
        return verified
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def download(url, target, file_hash=None, content_hash=None, hash_algorithm="auto"):
    """Download ``url`` to ``target``: verified, then atomically renamed; retried when transient.

    Raises ``IntegrityError`` on a hash mismatch, ``DownloadError`` otherwise; ``target`` is only
    ever the complete, verified file.
    """
    _download(url, target, file_hash, content_hash, hash_algorithm)
    return target


def _download(url, target, file_hash, content_hash, hash_algorithm):
    """Like :func:`download`; returns the digest the file matched (None without hashes)."""
    name = os.path.basename(target)
    kind = _content_kind(name)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    errors = []
    for attempt in range(DOWNLOAD_ATTEMPTS):
        try:
            return _download_once(url, target, name, file_hash, content_hash, hash_algorithm,
                                  kind)
        except IntegrityError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException, _ShortBody) as e:
            errors.append(_describe(e))
            if not _transient(e) or attempt == DOWNLOAD_ATTEMPTS - 1:
                break
            time.sleep(RETRY_BACKOFF_S * 2**attempt)
    tries = f" after {len(errors)} attempts" if len(errors) > 1 else ""
    raise DownloadError(f"{url}: {errors[-1]}{tries}", attempts=[(url, errors[-1])])


def _not_found(fname, origins, looked, attempts, target, relative, reason=None):
    lines = [f"Could not get {fname!r}: no usable local copy and no download."]
    lines.append("Looked in:")
    lines += [f"  {entry}" for entry in looked]
    if reason:
        lines.append(f"Download from {', '.join(origins)}: {reason}")
    for url, error in attempts:
        lines.append(f"Download from {url} failed: {error}")
    lines.append(
        f"To provide it, fetch {origins[0] if origins else fname} on a machine with network "
        f"access and copy it to {target} (or to Keras's cache, or point EMBER_HOME at a folder "
        f"holding {relative})."
    )
    return "\n".join(lines)


def fetch(fname, origins, file_hash=None, content_hash=None, hash_algorithm="auto",
          cache_subdir="datasets", cache_dir=None, aliases=(), force_download=False):
    """The path of a verified ``fname``: found locally (see :func:`locate`) or downloaded.

    ``origins`` are tried in order. Raises ``DownloadError`` listing every place and URL tried.
    """
    origins = (origins,) if isinstance(origins, str) else tuple(origins)
    datadir = os.path.join(cache_base(cache_dir), cache_subdir)
    target = os.path.join(datadir, fname)
    looked = []
    if not force_download:
        path, looked = locate(fname, cache_subdir, cache_dir, file_hash, content_hash,
                              hash_algorithm, aliases)
        if path is not None:
            return path
    relative = os.path.join(cache_subdir, fname)
    if offline():
        reason = "disabled (EMBER_OFFLINE is set)"
        message = _not_found(fname, origins, looked, [], target, relative, reason)
        raise DownloadError(message, looked)
    os.makedirs(datadir, exist_ok=True)
    attempts, wrong = [], None
    for url in origins:
        try:
            verified = _download(url, target, file_hash, content_hash, hash_algorithm)
        except DownloadError as e:
            attempts += e.attempts
            continue
        except IntegrityError as e:
            attempts.append((url, str(e)))
            wrong = wrong or e
            continue
        for entry in looked:
            if entry.startswith(f"{target} (") and "refused" in entry:
                warnings.warn(f"Replaced {entry}, which did not match, by a fresh download.")
        if verified:
            _Memo(cache_base(cache_dir)).remember(target, verified)
        return target
    if wrong is not None and len(origins) == 1:
        raise wrong
    message = _not_found(fname, origins, looked, attempts, target, relative)
    if wrong is not None:
        # A served file that is not the expected one matters more than an unreachable mirror.
        raise IntegrityError(message)
    raise DownloadError(message, looked, attempts)


# ----------------------------------------------------------------------------- archives


def _inside(base, path):
    try:
        return os.path.commonpath([base, path]) == base
    except ValueError:
        return False


def _check_member(base, name, archive):
    name = name.replace("\\", "/")
    if name.startswith("/") or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} has an absolute path."
        )
    dest = os.path.normpath(os.path.join(base, name))
    if not _inside(base, dest):
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: member {name!r} would land outside {base}."
        )
    return dest


def _check_tar(tar, base, archive):
    members = tar.getmembers()
    for m in members:
        dest = _check_member(base, m.name, archive)
        if m.issym():
            target = os.path.normpath(os.path.join(os.path.dirname(dest), m.linkname))
            if os.path.isabs(m.linkname) or not _inside(base, target):
                raise UnsafeArchiveError(
                    f"Refusing to extract {archive}: symlink {m.name!r} -> {m.linkname!r} "
                    f"points outside {base}."
                )
        elif m.islnk():
            target = os.path.normpath(os.path.join(base, m.linkname))
            if os.path.isabs(m.linkname) or not _inside(base, target):
                raise UnsafeArchiveError(
                    f"Refusing to extract {archive}: hard link {m.name!r} -> {m.linkname!r} "
                    f"points outside {base}."
                )
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(
                f"Refusing to extract {archive}: member {m.name!r} is a device or pipe."
            )
    return members


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (.tar, .tar.gz, .tar.bz2, .tar.xz) or zip archive into ``path``.

    Every member is checked first: none may land outside ``path`` (``../``, absolute paths) and
    no link may point outside it; otherwise ``UnsafeArchiveError`` is raised and nothing is
    extracted. Returns True when the file was an archive of an accepted format.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    base = os.path.realpath(path)
    for kind in archive_format:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as tar:
                members = _check_tar(tar, base, file_path)
                os.makedirs(base, exist_ok=True)
                # The 'data' filter (3.11.4+) also drops modes and ownership that are unsafe.
                extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(base, members=members, **extra)
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for info in archive.infolist():
                    _check_member(base, info.filename, file_path)
                os.makedirs(base, exist_ok=True)
                archive.extractall(base)
            return True
        if kind not in ("tar", "zip"):
            raise ValueError(f"Unknown archive format {kind!r}; use 'tar', 'zip' or 'auto'.")
    return False


def _extract_cached(archive, extraction_dir, archive_format):
    """Extract once: a marker keyed by the archive's path, size and mtime skips a second time."""
    marker = os.path.join(extraction_dir, ".ember-extracted.json")
    st = os.stat(archive)
    stamp = {"archive": os.path.realpath(archive), "size": st.st_size,
             "mtime_ns": st.st_mtime_ns}
    try:
        with open(marker, encoding="utf-8") as f:
            if json.load(f) == stamp:
                return True
    except (OSError, ValueError):
        pass
    parent = os.path.dirname(os.path.abspath(extraction_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(extraction_dir)}.")
    try:
        if not extract_archive(archive, tmp, archive_format):
            return False
        with open(os.path.join(tmp, ".ember-extracted.json"), "w", encoding="utf-8") as f:
            json.dump(stamp, f)
        if os.path.isdir(extraction_dir):
            shutil.rmtree(extraction_dir)
        os.replace(tmp, extraction_dir)
        tmp = None
        return True
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- get_file


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False, content_hash=None):
    """Return the path of ``fname``, downloading it from ``origin`` if no local copy is usable.

    As ``keras.utils.get_file``: files live in ``<cache_dir>/<cache_subdir>/`` (``cache_dir``
    defaults to ``$EMBER_HOME`` or ``~/.ember``); ``file_hash`` (SHA-256, or MD5 for 32 hex
    digits) is checked; ``extract=True`` extracts a tar or zip archive and returns the folder.
    Before downloading, Keras's cache and ``/usr/share/datasets/`` are searched too.
    ``content_hash``: SHA-256 of the decompressed ``.gz`` bytes or of a ``.npz``'s arrays; a
    file whose container differs but whose content matches is accepted.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    provided = fname is not None
    fname = os.fspath(fname) if provided else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: {origin!r}. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname or "/" in fname:
        raise ValueError(
            "Paths are not accepted as the `fname` argument; use `cache_dir` or `cache_subdir` "
            f"for the folder. Received: fname={fname!r}"
        )
    extract = extract or untar
    archive_name = fname
    extraction_dir = None
    if extract:
        datadir = os.path.join(cache_base(cache_dir), cache_subdir)
        if provided and "." in fname:
            extraction_dir = os.path.join(datadir, fname.split(".", 1)[0] + "_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            archive_name = f"{fname}_archive"
    path = fetch(archive_name, (origin,), file_hash=file_hash, content_hash=content_hash,
                 hash_algorithm=hash_algorithm, cache_subdir=cache_subdir, cache_dir=cache_dir,
                 force_download=force_download)
    if extract:
        if not _extract_cached(path, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract {path}: not a tar or zip archive.")
        return extraction_dir
    return path
