"""get_file against a real HTTP server on 127.0.0.1: hashes, retries, cut connections, archives."""

import gzip
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from ember.utils import file_utils
from ember.utils.file_utils import DownloadError, IntegrityError, UnsafeArchiveError, get_file

PAYLOAD = os.urandom(300_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    # path -> (behaviour, body); behaviours: ok, cut_once, cut_always, 500_once, 404.
    routes = {}
    hits = {}

    def do_GET(self):
        behaviour, body = self.routes.get(self.path, ("404", b""))
        n = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if behaviour == "404":
            self.send_error(404, "Not Found")
            return
        if behaviour == "500_once" and n == 1:
            self.send_error(503, "Service Unavailable")
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if behaviour == "cut_always" or (behaviour == "cut_once" and n == 1):
            # Promise the whole body, send half, close: what a dropped connection looks like.
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def serve(server):
    """``serve(path, body, behaviour='ok')`` -> URL; hits are counted in ``_Handler.hits``."""
    _Handler.routes.clear()
    _Handler.hits.clear()

    def add(path, body, behaviour="ok"):
        _Handler.routes[path] = (behaviour, body)
        return server + path

    return add


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolated caches: ember's home, Keras's home and the system folder all under tmp_path."""
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setenv("EMBER_SYSTEM_DATASETS", str(tmp_path / "system"))
    monkeypatch.setattr(file_utils, "RETRY_BACKOFF_S", 0.01)
    return tmp_path


def _leftovers(folder):
    return [p for p in os.listdir(folder) if p.endswith(".part")] if os.path.isdir(folder) else []


def test_good_download_lands_with_its_hash(env, serve):
    url = serve("/data.bin", PAYLOAD)
    path = get_file("data.bin", url, file_hash=SHA)
    assert path == str(env / "ember" / "datasets" / "data.bin")
    assert file_utils.hash_file(path) == SHA
    # Found in the cache the second time: no request.
    assert get_file("data.bin", url, file_hash=SHA) == path
    assert _Handler.hits["/data.bin"] == 1


def test_md5_hash_and_name_from_url(env, serve):
    url = serve("/named.bin", PAYLOAD)
    path = get_file(origin=url, file_hash=MD5, cache_subdir="other")
    assert path == str(env / "ember" / "other" / "named.bin")


def test_verified_download_is_remembered(env, serve, monkeypatch):
    url = serve("/data.bin", PAYLOAD)
    get_file("data.bin", url, file_hash=SHA)
    calls = []
    monkeypatch.setattr(file_utils, "hash_file", lambda *a, **k: calls.append(a))
    get_file("data.bin", url, file_hash=SHA)
    assert calls == [] and _Handler.hits["/data.bin"] == 1


def test_next_origin_when_one_fails(env, serve):
    missing = serve("/a/data.bin", b"", "404")
    good = serve("/b/data.bin", PAYLOAD)
    path = file_utils.fetch("data.bin", (missing, good), file_hash=SHA)
    assert file_utils.hash_file(path) == SHA
    assert _Handler.hits == {"/a/data.bin": 1, "/b/data.bin": 1}


def test_wrong_hash_raises_and_leaves_nothing(env, serve):
    url = serve("/data.bin", PAYLOAD)
    with pytest.raises(IntegrityError) as info:
        get_file("data.bin", url, file_hash="0" * 64)
    message = str(info.value)
    assert SHA in message and "0" * 64 in message and url in message
    folder = env / "ember" / "datasets"
    assert not (folder / "data.bin").exists()
    assert _leftovers(folder) == []


def test_connection_cut_mid_body_is_retried_and_leaves_no_partial(env, serve):
    url = serve("/cut.bin", PAYLOAD, "cut_once")
    path = get_file("cut.bin", url, file_hash=SHA)
    assert _Handler.hits["/cut.bin"] == 2
    assert file_utils.hash_file(path) == SHA
    assert _leftovers(env / "ember" / "datasets") == []


def test_connection_always_cut_gives_up_with_no_file(env, serve):
    url = serve("/cut.bin", PAYLOAD, "cut_always")
    with pytest.raises(DownloadError) as info:
        get_file("cut.bin", url, file_hash=SHA)
    assert _Handler.hits["/cut.bin"] == file_utils.DOWNLOAD_ATTEMPTS
    assert "closed after" in str(info.value) and url in str(info.value)
    folder = env / "ember" / "datasets"
    assert os.listdir(folder) == [] or not (folder / "cut.bin").exists()
    assert _leftovers(folder) == []


def test_server_error_is_retried(env, serve):
    url = serve("/flaky.bin", PAYLOAD, "500_once")
    get_file("flaky.bin", url, file_hash=SHA)
    assert _Handler.hits["/flaky.bin"] == 2


def test_404_is_a_clear_error_without_retry(env, serve):
    url = serve("/missing.bin", b"", "404")
    with pytest.raises(DownloadError) as info:
        get_file("missing.bin", url)
    message = str(info.value)
    assert "HTTP 404" in message and url in message
    # Every place looked in is named, and how to provide the file.
    assert str(env / "ember" / "datasets" / "missing.bin") in message
    assert str(env / "home" / ".keras" / "datasets" / "missing.bin") in message
    assert str(env / "system") in message
    assert "To provide it" in message
    assert _Handler.hits["/missing.bin"] == 1


def test_offline_lists_places_and_url_without_connecting(env, serve, monkeypatch):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    url = serve("/data.bin", PAYLOAD)
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", url, file_hash=SHA)
    assert "EMBER_OFFLINE" in str(info.value) and url in str(info.value)
    assert _Handler.hits == {}


def test_found_in_keras_cache_without_download(env, serve):
    keras = env / "home" / ".keras" / "datasets"
    keras.mkdir(parents=True)
    (keras / "data.bin").write_bytes(PAYLOAD)
    url = serve("/data.bin", PAYLOAD)
    assert get_file("data.bin", url, file_hash=SHA) == str(keras / "data.bin")
    assert _Handler.hits == {}


def test_found_in_system_folder_without_download(env, serve):
    system = env / "system" / "data"
    system.mkdir(parents=True)
    (system / "data.bin").write_bytes(PAYLOAD)
    url = serve("/data.bin", PAYLOAD)
    assert get_file("data.bin", url, file_hash=SHA) == str(system / "data.bin")
    assert _Handler.hits == {}


def test_corrupt_cached_file_is_replaced_by_a_download(env, serve):
    folder = env / "ember" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin").write_bytes(PAYLOAD[:-1] + b"!")
    url = serve("/data.bin", PAYLOAD)
    with pytest.warns(UserWarning, match="did not match"):
        path = get_file("data.bin", url, file_hash=SHA)
    assert file_utils.hash_file(path) == SHA


def test_content_hash_accepts_a_repacked_gzip(env, serve):
    content = os.urandom(5000)
    original = gzip.compress(content, mtime=1)
    repacked = gzip.compress(content, compresslevel=9, mtime=2)
    assert original != repacked
    url = serve("/x.gz", repacked)
    path = get_file(
        "x.gz", url, file_hash=hashlib.sha256(original).hexdigest(),
        content_hash=hashlib.sha256(content).hexdigest(),
    )
    assert gzip.decompress(open(path, "rb").read()) == content


def test_unwritable_home_falls_back_to_temp(env, monkeypatch, serve):
    blocker = env / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EMBER_HOME", str(blocker / "ember"))
    monkeypatch.setattr("tempfile.tempdir", str(env / "tmp"))
    (env / "tmp").mkdir()
    url = serve("/data.bin", PAYLOAD)
    assert get_file("data.bin", url) == str(env / "tmp" / ".ember" / "datasets" / "data.bin")


def test_progress_bar_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = file_utils._Progress("data.bin", 4 << 20, stream)
    bar.update(1 << 20, force=True)
    bar.close()
    text = stream.getvalue()
    assert "data.bin: 1.0 MiB / 4.0 MiB" in text and "/s" in text and "ETA" in text
    quiet = io.StringIO()
    bar = file_utils._Progress("data.bin", 10, quiet)
    bar.update(5, force=True)
    bar.close()
    assert quiet.getvalue() == ""


def test_download_is_quiet_off_a_terminal(env, serve, capsys):
    get_file("data.bin", serve("/data.bin", PAYLOAD), file_hash=SHA)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_fname_must_not_be_a_path(env):
    with pytest.raises(ValueError, match="Paths are not accepted"):
        get_file("a/b.bin", "http://127.0.0.1:9/b.bin")


# ----------------------------------------------------------------------------- archives


def _tar(path, members):
    """members: (name, bytes) files, or (name, ('sym'|'hard', target)) links."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "sym" else tarfile.LNKTYPE
                info.linkname = content[1]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))


def test_extract_tar_gz(env, serve, tmp_path):
    _tar(tmp_path / "a.tar.gz", [("top/a.txt", b"alpha"), ("top/link", ("sym", "a.txt"))])
    body = (tmp_path / "a.tar.gz").read_bytes()
    url = serve("/a.tar.gz", body)
    folder = get_file("thing", url, extract=True, file_hash=hashlib.sha256(body).hexdigest())
    assert folder == str(env / "ember" / "datasets" / "thing")
    assert open(os.path.join(folder, "top", "a.txt"), "rb").read() == b"alpha"
    assert os.path.islink(os.path.join(folder, "top", "link"))
    # A second call reuses the extraction.
    assert get_file("thing", url, extract=True) == folder
    assert _Handler.hits["/a.tar.gz"] == 1


def test_extract_zip(env, serve, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("d/b.txt", "beta")
    url = serve("/b.zip", buffer.getvalue())
    folder = get_file("b.zip", url, extract=True)
    assert folder == str(env / "ember" / "datasets" / "b_extracted")
    assert open(os.path.join(folder, "d", "b.txt")).read() == "beta"


@pytest.mark.parametrize(
    "members, what",
    [
        ([("ok.txt", b"x"), ("../evil.txt", b"x")], "outside"),
        ([("/etc/evil.txt", b"x")], "absolute"),
        ([("a/../../evil.txt", b"x")], "outside"),
        ([("link", ("sym", "../../outside"))], "symlink"),
        ([("link", ("sym", "/etc/passwd"))], "symlink"),
        ([("hard", ("hard", "../outside"))], "hard link"),
    ],
)
def test_extract_refuses_members_outside(env, tmp_path, members, what):
    archive = tmp_path / "evil.tar.gz"
    _tar(archive, members)
    target = tmp_path / "out" / "x"
    with pytest.raises(UnsafeArchiveError, match=what):
        file_utils.extract_archive(archive, target)
    assert not (tmp_path / "out" / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert not target.exists()


def test_extract_refuses_zip_traversal(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../evil.txt", "x")
    with pytest.raises(UnsafeArchiveError, match="outside"):
        file_utils.extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_get_file_with_unsafe_tar_leaves_no_folder(env, serve, tmp_path):
    _tar(tmp_path / "e.tar.gz", [("../evil.txt", b"x")])
    url = serve("/e.tar.gz", (tmp_path / "e.tar.gz").read_bytes())
    with pytest.raises(UnsafeArchiveError):
        get_file("e", url, extract=True)
    folder = env / "ember" / "datasets"
    assert not (folder / "e").exists()
    assert not (env / "ember" / "evil.txt").exists()
    assert [p for p in os.listdir(folder) if p.startswith(".e.")] == []
