"""``ember.serving``: a model server speaking TensorFlow Serving's REST API (``ember serve``).

Needs the ``serve`` extra (``pip install 'ember[serve]'``: Starlette and uvicorn)::

    from ember.serving import ModelManager, ServerThread, create_app

    manager = ModelManager()
    manager.add_model("mnist", model)          # or manager.add(name, VersionDirectory(path))
    with ServerThread(create_app(manager), port=8501) as server:
        ...                                     # POST {server.url}/v1/models/mnist:predict

Modules: ``app`` (the Starlette application), ``routing`` (URL grammar), ``codec`` (JSON
decoding and validation, response encoding), ``batcher`` (request batching),
``model_registry`` (versions, polling, hot swap), ``signature``, ``openapi``, ``runner``.
"""

from ember.serving.app import DEFAULT_MAX_BODY_BYTES, create_app
from ember.serving.errors import ServingError
from ember.serving.model_registry import (
    LoadedVersion,
    ModelManager,
    ServedModel,
    SingleFile,
    VersionDirectory,
    default_loader,
)
from ember.serving.runner import ServerThread, run
from ember.serving.signature import Signature, TensorSpec, signature_of

__all__ = [
    "DEFAULT_MAX_BODY_BYTES", "create_app", "ServingError", "LoadedVersion", "ModelManager",
    "ServedModel", "SingleFile", "VersionDirectory", "default_loader", "ServerThread", "run",
    "Signature", "TensorSpec", "signature_of",
]
