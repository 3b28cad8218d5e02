"""The one table of dataset files: where each comes from and how it is recognised.

``file_hash`` is the hash of the canonical file as served by its first origin (Keras's own value
wherever Keras downloads the file: SHA-256, or MD5 when it has 32 hex digits). ``content_hash``
is the SHA-256 of what is used, independent of the container: the decompressed bytes of a
``.gz`` file, or ``ember.utils.file_utils.array_digest`` of an ``.npz`` (sorted keys; key,
little-endian dtype, shape and bytes of each array). A local file is accepted when either
matches, so Keras's ``mnist.npz``, a re-saved one with the same arrays, the original IDX ``.gz``
files and Debian's re-packed ones (other gzip header) all load.

Content digests were computed from the files described in ``shared/datasets/README.md`` (MNIST:
the original distribution, bit for bit; Fashion-MNIST: Debian's dataset-fashion-mnist, whose
compressed streams equal Zalando's). ``None``: not known without the file; the container hash
alone decides.
"""

from dataclasses import dataclass

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# The MNIST IDX files: LeCun's page (often refuses scripts), then the mirror torchvision uses.
MNIST_IDX_ORIGINS = (
    "https://yann.lecun.com/exdb/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
FASHION_ORIGINS = (
    KERAS_ORIGIN,
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
CIFAR_ORIGIN = "https://www.cs.toronto.edu/~kriz/"


@dataclass(frozen=True)
class Source:
    fname: str
    origins: tuple
    file_hash: str = None
    content_hash: str = None
    cache_subdir: str = "datasets"
    # Names the same file has in Keras's cache (Keras 3 and Keras 2 naming).
    aliases: tuple = ()

    def urls(self):
        return tuple(o + self.fname if o.endswith("/") else o for o in self.origins)


def _idx(folder, fname, origins, file_hash, content_hash):
    return Source(fname, origins, file_hash, content_hash, cache_subdir=f"datasets/{folder}")


def _key(source):
    # The path under the cache's 'datasets' folder: 'mnist.npz', 'mnist/t10k-labels-idx1-ubyte.gz'.
    folder = source.cache_subdir.removeprefix("datasets").strip("/")
    return f"{folder}/{source.fname}" if folder else source.fname


SOURCES = {
    _key(s): s
    for s in (
        # MNIST as Keras stores it. The re-saved copy in shared/datasets has other container
        # bytes (SHA-256 06af5dfe...) and the same arrays.
        Source(
            "mnist.npz", (KERAS_ORIGIN,),
            "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            "cce6d58ed0863532feaa8b7ffb17faa1b1830f8e95352eddf1bdac0458507fb5",
        ),
        # MNIST, the original IDX files (MD5 of the originals in shared/datasets/README.md).
        _idx("mnist", "train-images-idx3-ubyte.gz", MNIST_IDX_ORIGINS,
             "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
             "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        _idx("mnist", "train-labels-idx1-ubyte.gz", MNIST_IDX_ORIGINS,
             "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
             "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        _idx("mnist", "t10k-images-idx3-ubyte.gz", MNIST_IDX_ORIGINS,
             "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
             "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        _idx("mnist", "t10k-labels-idx1-ubyte.gz", MNIST_IDX_ORIGINS,
             "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
             "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        # Fashion-MNIST: Keras's hashes are Zalando's upstream files; Debian's differ only in
        # the gzip header, so their content digests are the same.
        _idx("fashion-mnist", "train-images-idx3-ubyte.gz", FASHION_ORIGINS,
             "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
             "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        _idx("fashion-mnist", "train-labels-idx1-ubyte.gz", FASHION_ORIGINS,
             "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
             "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        _idx("fashion-mnist", "t10k-images-idx3-ubyte.gz", FASHION_ORIGINS,
             "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
             "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        _idx("fashion-mnist", "t10k-labels-idx1-ubyte.gz", FASHION_ORIGINS,
             "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
             "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        # CIFAR, python version (what Keras downloads); read straight from the tarball.
        Source(
            "cifar-10-python.tar.gz", (CIFAR_ORIGIN,),
            "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            aliases=("cifar-10-batches-py_archive", "cifar-10-batches-py.tar.gz"),
        ),
        Source(
            "cifar-100-python.tar.gz", (CIFAR_ORIGIN,),
            "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
            aliases=("cifar-100-python-target_archive",),
        ),
        Source(
            "imdb.npz", (KERAS_ORIGIN,),
            "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        ),
        Source("imdb_word_index.json", (KERAS_ORIGIN,), "bfafd718b763782e994055a2d397834f"),
        Source(
            "boston_housing.npz", (KERAS_ORIGIN,),
            "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
        ),
        Source(
            "california_housing.npz", (KERAS_ORIGIN,),
            "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
        ),
    )
}
