"""``tf.errors``: TensorFlow's exception classes and error codes.

Each ``OpError`` subclass also derives from the Python exception that Keras-style code
catches for the same condition (``InvalidArgumentError`` is a ``ValueError``,
``NotFoundError`` a ``FileNotFoundError`` ...), so ``except ValueError`` keeps working.
"""

OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND = 0, 1, 2, 3, 4, 5
ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION = 6, 7, 8, 9
ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS = 10, 11, 12, 13, 14, 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """The base of TensorFlow's runtime errors: ``message``, ``error_code``, ``node_def``,
    ``op``."""

    error_code = UNKNOWN

    def __init__(self, node_def=None, op=None, message=None, *args, **kwargs):
        if message is None and op is None and isinstance(node_def, str):
            # ember raises these with just a message: OpError("what went wrong")
            node_def, message = None, node_def
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op

    def __str__(self):
        return str(self.message)


def _error(name, code, *bases, doc):
    cls = type(name, (OpError, *bases), {"error_code": code, "__doc__": doc})
    cls.__module__ = __name__
    return cls


CancelledError = _error("CancelledError", CANCELLED, doc="An operation was cancelled.")
UnknownError = _error("UnknownError", UNKNOWN, doc="An unknown error.")
InvalidArgumentError = _error("InvalidArgumentError", INVALID_ARGUMENT, ValueError,
                              doc="An op received an invalid argument (also a ValueError).")
DeadlineExceededError = _error("DeadlineExceededError", DEADLINE_EXCEEDED, TimeoutError,
                               doc="A deadline expired before the operation completed.")
NotFoundError = _error("NotFoundError", NOT_FOUND, FileNotFoundError,
                       doc="A requested entity (a file, say) was not found.")
AlreadyExistsError = _error("AlreadyExistsError", ALREADY_EXISTS, FileExistsError,
                            doc="An entity that was to be created already exists.")
PermissionDeniedError = _error("PermissionDeniedError", PERMISSION_DENIED, PermissionError,
                               doc="The caller may not run the operation.")
ResourceExhaustedError = _error("ResourceExhaustedError", RESOURCE_EXHAUSTED, MemoryError,
                                doc="Some resource (memory, say) was exhausted.")
FailedPreconditionError = _error("FailedPreconditionError", FAILED_PRECONDITION, RuntimeError,
                                 doc="The system is not in a state to run the operation "
                                     "(an uninitialized value, say).")
AbortedError = _error("AbortedError", ABORTED, RuntimeError, doc="The operation was aborted.")
OutOfRangeError = _error("OutOfRangeError", OUT_OF_RANGE, IndexError,
                         doc="An iterator or a range ran past its end.")
UnimplementedError = _error("UnimplementedError", UNIMPLEMENTED, NotImplementedError,
                            doc="The operation is not implemented.")
InternalError = _error("InternalError", INTERNAL, RuntimeError, doc="An internal error.")
UnavailableError = _error("UnavailableError", UNAVAILABLE, RuntimeError,
                          doc="The runtime is unavailable.")
DataLossError = _error("DataLossError", DATA_LOSS, OSError,
                       doc="Unrecoverable data loss or corruption.")
UnauthenticatedError = _error("UnauthenticatedError", UNAUTHENTICATED, PermissionError,
                              doc="The request has no valid credentials.")


class OperatorNotAllowedInGraphError(TypeError):
    """An operation that is not allowed while tracing a graph (iterating a symbolic tensor)."""
