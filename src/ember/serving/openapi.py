"""The OpenAPI 3.1 description of the server, served at ``GET /openapi.json``.

It lies outside ``/v1/`` so that every ``/v1/`` path keeps TensorFlow Serving's meaning.
"""

import ember

_ERROR = {"$ref": "#/components/responses/Error"}


def _param(name, schema, description):
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def _json(ref):
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def openapi_document(manager=None):
    """The OpenAPI document; the ``name`` parameter lists the models ``manager`` serves."""
    names = sorted(manager.models) if manager is not None else []
    name_schema = {"type": "string", "pattern": "^[^/:]+$"}
    if names:
        name_schema["examples"] = names
    params = {
        "name": _param("name", name_schema, "The model name."),
        "version": _param("version", {"type": "integer", "minimum": 0, "format": "int64"},
                          "A model version (a number); the highest loaded when absent."),
        "label": _param("label", {"type": "string", "pattern": "^[^/:]+$"},
                        "A version label (configured with --version_label)."),
    }
    variants = {"": ["name"], "/versions/{version}": ["name", "version"],
                "/labels/{label}": ["name", "label"]}
    errors = {"400": _ERROR, "404": _ERROR, "413": _ERROR, "500": _ERROR}
    paths = {}
    for suffix, names_ in variants.items():
        parameters = [params[n] for n in names_]
        base = "/v1/models/{name}" + suffix
        paths[base] = {"get": {
            "summary": "Model status" + (" of one version" if suffix else " of every version"),
            "operationId": "status" + _op(suffix), "parameters": parameters,
            "responses": {"200": {"description": "Version states", **_json("StatusResponse")},
                          **errors}}}
        paths[base + "/metadata"] = {"get": {
            "summary": "Signature: input and output names, dtypes and shapes (-1: any size)",
            "operationId": "metadata" + _op(suffix), "parameters": parameters,
            "responses": {"200": {"description": "The serving_default signature",
                                  **_json("MetadataResponse")}, **errors}}}
        paths[base + ":predict"] = {"post": {
            "summary": "Predict: row format ('instances') or columnar format ('inputs')",
            "operationId": "predict" + _op(suffix), "parameters": parameters,
            "requestBody": {"required": True, **_json("PredictRequest")},
            "responses": {"200": {"description": "'predictions' for a row request, 'outputs' "
                                                 "for a columnar one",
                                  **_json("PredictResponse")},
                          **errors, "504": _ERROR}}}
    tensor = {"description": "A number, a nested list of numbers (rectangular), or for string "
                             "inputs a string or {\"b64\": ...}; NaN, Infinity and -Infinity "
                             "are accepted for float inputs."}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ember model server",
            "version": ember.__version__,
            "description": "TensorFlow Serving's REST API (status, metadata, predict). "
                           "classify and regress answer 400: ember models publish only a "
                           "predict signature. Errors are {\"error\": message}.",
        },
        "paths": paths,
        "components": {
            "responses": {"Error": {"description": "An error", **_json("Error")}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}}},
                "StatusResponse": {"type": "object", "properties": {
                    "model_version_status": {"type": "array", "items": {
                        "type": "object", "properties": {
                            "version": {"type": "string"},
                            "state": {"enum": ["UNKNOWN", "START", "LOADING", "AVAILABLE",
                                               "UNLOADING", "END"]},
                            "status": {"type": "object", "properties": {
                                "error_code": {"type": "string"},
                                "error_message": {"type": "string"}}}}}}}},
                "MetadataResponse": {"type": "object", "properties": {
                    "model_spec": {"type": "object", "properties": {
                        "name": {"type": "string"}, "signature_name": {"type": "string"},
                        "version": {"type": "string"}}},
                    "metadata": {"type": "object", "description":
                                 "{signature_def: {signature_def: {serving_default: {inputs, "
                                 "outputs, method_name, defaults}}}}"}}},
                "PredictRequest": {"type": "object", "properties": {
                    "signature_name": {"type": "string", "default": "serving_default"},
                    "instances": {"type": "array", "minItems": 1, "description":
                                  "One element per example: a tensor, or for several inputs "
                                  "an object {input_name: tensor}.", "items": tensor},
                    "inputs": {"description": "Whole tensors, batch axis first: a tensor, or "
                                              "{input_name: tensor} for several inputs."}},
                    "oneOf": [{"required": ["instances"]}, {"required": ["inputs"]}]},
                "PredictResponse": {"type": "object", "properties": {
                    "predictions": {"type": "array", "description":
                                    "One entry per example; objects {output_name: value} "
                                    "when the model has several outputs."},
                    "outputs": {"description": "Whole tensors; an object {output_name: "
                                               "tensor} when the model has several outputs."}}},
            },
        },
    }


def _op(suffix):
    return {"": "", "/versions/{version}": "ByVersion", "/labels/{label}": "ByLabel"}[suffix]
