"""``keras.utils.audio_dataset_from_directory``: a Dataset of WAV audio read from class folders,
decoded with the standard library's ``wave`` module (PCM, 8/16/32-bit)."""

import wave

from ember.backend import np
from ember.utils import dataset_utils

ALLOWED_FORMATS = (".wav",)
_FN = "audio_dataset_from_directory"
# PCM sample width (bytes) -> the stored dtype and the scale that maps it into [-1, 1)
_PCM = {1: ("uint8", 128.0), 2: ("<i2", 32768.0), 4: ("<i4", 2147483648.0)}


def read_wav(path, output_sequence_length=None):
    """A WAV file as float32 ``(samples, channels)`` in [-1, 1) (as ``tf.audio.decode_wav``),
    cut or zero-padded to ``output_sequence_length`` samples when given."""
    try:
        with wave.open(path, "rb") as f:
            width, channels = f.getsampwidth(), f.getnchannels()
            frames = f.readframes(f.getnframes())
    except (wave.Error, EOFError) as e:
        raise ValueError(f"{_FN}: cannot decode {path!r} as a PCM WAV file: {e}") from e
    if width not in _PCM:
        raise ValueError(f"{_FN}: {path!r} has {8 * width}-bit samples; only 8, 16 and 32-bit "
                         "PCM WAV files are supported")
    dtype, scale = _PCM[width]
    audio = np.frombuffer(frames, dtype=dtype).astype("float32")
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        audio -= 128.0
    audio = (audio / np.float32(scale)).reshape(-1, channels)
    if output_sequence_length is not None:
        out = np.zeros((output_sequence_length, channels), dtype="float32")
        n = min(output_sequence_length, len(audio))
        out[:n] = audio[:n]
        audio = out
    return audio


def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A Dataset of ``(audio, labels)`` batches from the ``.wav`` files in ``directory``, one
    subdirectory per class with ``labels='inferred'``.

    Audio is float32 ``(batch, samples, channels)``: cut/padded to ``output_sequence_length``,
    else zero-padded to the longest clip of each batch. Labels as in
    ``image_dataset_from_directory``; the dataset has ``class_names``. Not supported (Keras
    needs tensorflow-io / RaggedTensor for them): ``sampling_rate`` and ``ragged=True``."""
    if ragged and output_sequence_length is not None:
        raise ValueError(f"{_FN}: cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"{_FN}: `sampling_rate` should have an integer value. "
                             f"Received: sampling_rate={sampling_rate!r}")
        if sampling_rate <= 0:
            raise ValueError(f"{_FN}: `sampling_rate` should be higher than 0. "
                             f"Received: sampling_rate={sampling_rate}")
        raise ValueError(f"{_FN}: resampling (sampling_rate={sampling_rate}) is not supported "
                         "by ember (Keras needs tensorflow-io for it); leave sampling_rate=None")
    if ragged:
        raise ValueError(f"{_FN}: ember has no RaggedTensor; ragged=True is not supported "
                         "(batches are zero-padded to their longest clip instead)")
    if output_sequence_length is not None and (not isinstance(output_sequence_length, int)
                                               or output_sequence_length <= 0):
        raise ValueError(f"{_FN}: `output_sequence_length` must be a positive integer or None. "
                         f"Received: output_sequence_length={output_sequence_length!r}")

    def finish(ds, batch_size):
        from ember.tf.data import AUTOTUNE

        ds = ds.prefetch(AUTOTUNE)
        if batch_size is not None:
            ds = (ds.padded_batch(batch_size) if output_sequence_length is None
                  else ds.batch(batch_size))
        return ds

    return dataset_utils.dataset_from_directory(
        _FN, "audio", directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, ALLOWED_FORMATS,
        lambda path: read_wav(path, output_sequence_length), finish=finish)
