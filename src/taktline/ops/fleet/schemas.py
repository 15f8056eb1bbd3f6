"""JSON schemas of the VDA 5050 2.0.0 messages taktline sends and receives.

Written here from the VDA 5050 2.0 specification's field tables (draft 2020-12): the
header, and for each topic the required fields, their types and enumerations. Fields
the specification makes optional are allowed; unknown fields are allowed too (the
specification lets vendors add fields). :func:`validate` checks one message and raises
:class:`~taktline.errors.VdaMessageError` naming the topic, the field path and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from taktline.errors import VdaMessageError

__all__ = ["SCHEMAS", "TOPICS", "validate"]

TOPICS = ("order", "instantActions", "state", "connection", "visualization", "factsheet")

_STR = {"type": "string"}
_NUM = {"type": "number"}
_INT = {"type": "integer", "minimum": 0}
_BOOL = {"type": "boolean"}

_HEADER_PROPS: dict[str, Any] = {
    "headerId": _INT,
    "timestamp": {"type": "string",
                  "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
    "version": {"type": "string", "pattern": r"^2\.\d+\.\d+$"},
    "manufacturer": _STR,
    "serialNumber": {"type": "string", "pattern": r"^[A-Za-z0-9_.:-]+$"},
}
_HEADER_REQ = ["headerId", "timestamp", "version", "manufacturer", "serialNumber"]

_ACTION = {
    "type": "object",
    "required": ["actionType", "actionId", "blockingType"],
    "properties": {
        "actionType": _STR,
        "actionId": _STR,
        "actionDescription": _STR,
        "blockingType": {"enum": ["NONE", "SOFT", "HARD"]},
        "actionParameters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "value"],
                "properties": {"key": _STR,
                               "value": {"type": ["array", "boolean", "number", "string",
                                                  "object"]}},
            },
        },
    },
}

_NODE_POSITION = {
    "type": "object",
    "required": ["x", "y", "mapId"],
    "properties": {"x": _NUM, "y": _NUM, "theta": {"type": "number", "minimum": -3.15,
                                                   "maximum": 3.15},
                   "allowedDeviationXY": {"type": "number", "minimum": 0},
                   "allowedDeviationTheta": {"type": "number", "minimum": 0},
                   "mapId": _STR, "mapDescription": _STR},
}

_NODE = {
    "type": "object",
    "required": ["nodeId", "sequenceId", "released", "actions"],
    "properties": {"nodeId": _STR, "sequenceId": _INT, "nodeDescription": _STR,
                   "released": _BOOL, "nodePosition": _NODE_POSITION,
                   "actions": {"type": "array", "items": _ACTION}},
}

_EDGE = {
    "type": "object",
    "required": ["edgeId", "sequenceId", "released", "startNodeId", "endNodeId", "actions"],
    "properties": {"edgeId": _STR, "sequenceId": _INT, "edgeDescription": _STR,
                   "released": _BOOL, "startNodeId": _STR, "endNodeId": _STR,
                   "maxSpeed": {"type": "number", "minimum": 0}, "length": _NUM,
                   "actions": {"type": "array", "items": _ACTION}},
}

_ACTION_STATE = {
    "type": "object",
    "required": ["actionId", "actionStatus"],
    "properties": {"actionId": _STR, "actionType": _STR, "actionDescription": _STR,
                   "actionStatus": {"enum": ["WAITING", "INITIALIZING", "RUNNING", "PAUSED",
                                             "FINISHED", "FAILED"]},
                   "resultDescription": _STR},
}

_AGV_POSITION = {
    "type": "object",
    "required": ["x", "y", "theta", "mapId", "positionInitialized"],
    "properties": {"x": _NUM, "y": _NUM, "theta": _NUM, "mapId": _STR,
                   "positionInitialized": _BOOL,
                   "localizationScore": {"type": "number", "minimum": 0, "maximum": 1},
                   "deviationRange": _NUM},
}

_ERROR = {
    "type": "object",
    "required": ["errorType", "errorLevel"],
    "properties": {"errorType": _STR, "errorDescription": _STR,
                   "errorLevel": {"enum": ["WARNING", "FATAL"]},
                   "errorReferences": {"type": "array", "items": {
                       "type": "object", "required": ["referenceKey", "referenceValue"],
                       "properties": {"referenceKey": _STR, "referenceValue": _STR}}}},
}


def _message(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": _HEADER_REQ + required, "properties": {**_HEADER_PROPS, **props}}


SCHEMAS: dict[str, dict[str, Any]] = {
    "order": _message(
        {"orderId": _STR, "orderUpdateId": _INT, "zoneSetId": _STR,
         "nodes": {"type": "array", "minItems": 1, "items": _NODE},
         "edges": {"type": "array", "items": _EDGE}},
        ["orderId", "orderUpdateId", "nodes", "edges"]),
    "instantActions": _message(
        {"actions": {"type": "array", "items": _ACTION}}, ["actions"]),
    "state": _message(
        {"orderId": _STR, "orderUpdateId": _INT, "zoneSetId": _STR, "lastNodeId": _STR,
         "lastNodeSequenceId": _INT, "driving": _BOOL, "paused": _BOOL,
         "newBaseRequest": _BOOL, "distanceSinceLastNode": _NUM,
         "operatingMode": {"enum": ["AUTOMATIC", "SEMIAUTOMATIC", "MANUAL", "SERVICE",
                                    "TEACHIN"]},
         "nodeStates": {"type": "array", "items": {
             "type": "object", "required": ["nodeId", "sequenceId", "released"],
             "properties": {"nodeId": _STR, "sequenceId": _INT, "released": _BOOL,
                            "nodePosition": _NODE_POSITION}}},
         "edgeStates": {"type": "array", "items": {
             "type": "object", "required": ["edgeId", "sequenceId", "released"],
             "properties": {"edgeId": _STR, "sequenceId": _INT, "released": _BOOL}}},
         "agvPosition": _AGV_POSITION,
         "velocity": {"type": "object", "properties": {"vx": _NUM, "vy": _NUM, "omega": _NUM}},
         "loads": {"type": "array", "items": {"type": "object"}},
         "actionStates": {"type": "array", "items": _ACTION_STATE},
         "batteryState": {"type": "object", "required": ["batteryCharge", "charging"],
                          "properties": {"batteryCharge": _NUM, "batteryVoltage": _NUM,
                                         "batteryHealth": _NUM, "charging": _BOOL,
                                         "reach": _NUM}},
         "errors": {"type": "array", "items": _ERROR},
         "information": {"type": "array", "items": {"type": "object"}},
         "safetyState": {"type": "object", "required": ["eStop", "fieldViolation"],
                         "properties": {"eStop": {"enum": ["AUTOACK", "MANUAL", "REMOTE",
                                                           "NONE"]},
                                        "fieldViolation": _BOOL}}},
        ["orderId", "orderUpdateId", "lastNodeId", "lastNodeSequenceId", "nodeStates",
         "edgeStates", "driving", "actionStates", "batteryState", "operatingMode", "errors",
         "safetyState"]),
    "connection": _message(
        {"connectionState": {"enum": ["ONLINE", "OFFLINE", "CONNECTIONBROKEN"]}},
        ["connectionState"]),
    "visualization": _message(
        {"agvPosition": _AGV_POSITION,
         "velocity": {"type": "object", "properties": {"vx": _NUM, "vy": _NUM, "omega": _NUM}}},
        []),
    "factsheet": _message(
        {"typeSpecification": {"type": "object"}, "physicalParameters": {"type": "object"},
         "protocolLimits": {"type": "object"}, "protocolFeatures": {"type": "object"},
         "agvGeometry": {"type": "object"}, "loadSpecification": {"type": "object"}},
        ["typeSpecification", "physicalParameters", "protocolLimits", "protocolFeatures",
         "agvGeometry", "loadSpecification"]),
}


@cache
def _validator(topic: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[topic])


def validate(topic: str, message: Mapping[str, Any]) -> None:
    """Check ``message`` against the schema of ``topic``; raise ``VdaMessageError``."""
    if topic not in SCHEMAS:
        raise VdaMessageError(f"{topic}: not a VDA 5050 topic taktline handles")
    if not isinstance(message, Mapping):
        raise VdaMessageError(f"{topic}: a message must be a JSON object")
    errors = sorted(_validator(topic).iter_errors(message),
                    key=lambda e: [str(p) for p in e.path])
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(message)"
        raise VdaMessageError(f"{topic}: {where}: {err.message}")
