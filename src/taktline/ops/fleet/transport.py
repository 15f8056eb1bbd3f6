"""VDA 5050 transports: MQTT (paho-mqtt 2.x) and an in-process bus with the same interface.

Topics are ``uagv/v2/<manufacturer>/<serialNumber>/<topic>``. Every message is checked
against its schema (:mod:`.schemas`) on the way out (a bad one raises
:class:`~taktline.errors.VdaMessageError` and is not sent) and on the way in (a bad one
is logged, counted in ``rejected`` and given to ``on_reject``; the handlers never see
it). ``connection`` is published with QoS 1 and retained, everything else with QoS 0
and not retained, as VDA 5050 2.0 says. A vehicle's transport sets the MQTT Will
(``connectionState: CONNECTIONBROKEN``, retained, QoS 1) before it connects.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from taktline.errors import FleetError, VdaMessageError
from taktline.ops.fleet.schemas import validate

__all__ = ["INTERFACE", "Handler", "InProcessTransport", "MqttTransport", "Transport",
           "parse_mqtt_url", "topic_of"]

log = logging.getLogger("taktline.ops.fleet")

INTERFACE = "uagv/v2"
Handler = Callable[[str, str, str, dict[str, Any]], None]
"""``handler(manufacturer, serialNumber, topic, message)``."""


def topic_of(manufacturer: str, serial: str, topic: str) -> str:
    """The MQTT topic of one vehicle's ``topic``."""
    for part in (manufacturer, serial):
        if any(c in part for c in "/+#$") or not part:
            raise FleetError(f"{part!r}: manufacturer and serial number must be non-empty "
                             "and free of '/', '+', '#', '$'")
    return f"{INTERFACE}/{manufacturer}/{serial}/{topic}"


def parse_mqtt_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` -> ``(host, port)``; port defaults to 1883."""
    parts = urlsplit(url)
    try:
        port = parts.port or 1883
    except ValueError:
        port = -1
    if parts.scheme != "mqtt" or not parts.hostname or port <= 0 or parts.path not in ("", "/"):
        raise FleetError(f"{url!r}: an MQTT broker URL is mqtt://host:port")
    return parts.hostname, port


class Transport(Protocol):
    """What the fleet manager and the vehicles need of a transport."""

    rejected: int

    def publish(self, manufacturer: str, serial: str, topic: str,
                message: dict[str, Any]) -> None: ...

    def subscribe(self, topic: str, handler: Handler, manufacturer: str = "+",
                  serial: str = "+") -> None: ...

    def close(self) -> None: ...


class _Checked:
    """Validation and handler bookkeeping shared by both transports."""

    def __init__(self, on_reject: Callable[[str, VdaMessageError], None] | None = None):
        self.rejected = 0
        self.on_reject = on_reject
        self._subs: list[tuple[str, str, str, Handler]] = []

    def _incoming(self, mqtt_topic: str, payload: bytes | str) -> None:
        parts = mqtt_topic.split("/")
        if len(parts) != 5 or "/".join(parts[:2]) != INTERFACE:
            return
        manufacturer, serial, topic = parts[2:]
        try:
            msg = json.loads(payload)
            validate(topic, msg)
        except (ValueError, VdaMessageError) as exc:
            err = exc if isinstance(exc, VdaMessageError) else VdaMessageError(
                f"{topic}: not JSON ({exc})")
            self.rejected += 1
            log.warning("rejected a message on %s: %s", mqtt_topic, err)
            if self.on_reject is not None:
                self.on_reject(mqtt_topic, err)
            return
        for m, s, t, handler in list(self._subs):
            if t == topic and m in ("+", manufacturer) and s in ("+", serial):
                try:
                    handler(manufacturer, serial, topic, msg)
                except Exception:  # one handler's bug must not stop the transport
                    log.exception("handler for %s failed", mqtt_topic)


class InProcessTransport(_Checked):
    """A bus in this process: messages are JSON-encoded, checked and delivered in order.

    Delivery is a trampoline: a handler that publishes does not recurse, its message is
    delivered after the current one. Retained messages go to later subscribers.
    """

    def __init__(self, on_reject: Callable[[str, VdaMessageError], None] | None = None):
        super().__init__(on_reject)
        self._queue: deque[tuple[str, str]] = deque()
        self._retained: dict[str, str] = {}
        self._delivering = False
        self.sent = 0

    def publish(self, manufacturer: str, serial: str, topic: str,
                message: dict[str, Any]) -> None:
        validate(topic, message)
        self.publish_raw(topic_of(manufacturer, serial, topic), json.dumps(message),
                         retain=topic == "connection")

    def publish_raw(self, mqtt_topic: str, payload: str, retain: bool = False) -> None:
        """Put an unchecked payload on the bus (tests of the receiving side)."""
        self.sent += 1
        if retain:
            self._retained[mqtt_topic] = payload
        self._queue.append((mqtt_topic, payload))
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._queue:
                self._incoming(*self._queue.popleft())
        finally:
            self._delivering = False

    def subscribe(self, topic: str, handler: Handler, manufacturer: str = "+",
                  serial: str = "+") -> None:
        self._subs.append((manufacturer, serial, topic, handler))
        for mqtt_topic, payload in list(self._retained.items()):
            parts = mqtt_topic.split("/")
            if parts[4] == topic and manufacturer in ("+", parts[2]) and serial in ("+", parts[3]):
                self._queue.append((mqtt_topic, payload))

    def close(self) -> None:
        self._subs.clear()


class MqttTransport(_Checked):
    """VDA 5050 over an MQTT broker (paho-mqtt 2.x, MQTT 3.1.1).

    ``will``: ``(manufacturer, serial, connection message)`` for a vehicle's client.
    ``call``: how handlers run (default: on paho's network thread; the service passes
    ``loop.call_soon_threadsafe`` so they run on its event loop).
    """

    def __init__(self, url: str, client_id: str, *,
                 will: tuple[str, str, dict[str, Any]] | None = None,
                 call: Callable[[Callable[[], None]], Any] | None = None,
                 on_reject: Callable[[str, VdaMessageError], None] | None = None,
                 timeout_s: float = 10.0) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        super().__init__(on_reject)
        host, port = parse_mqtt_url(url)
        self._call = call
        self._connected = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                   protocol=mqtt.MQTTv311)
        if will is not None:
            validate("connection", will[2])
            self._client.will_set(topic_of(will[0], will[1], "connection"),
                                  json.dumps(will[2]), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        try:
            self._client.connect(host, port, keepalive=10)
        except OSError as exc:
            raise FleetError(f"{url}: cannot reach the MQTT broker ({exc})") from exc
        self._client.loop_start()
        if not self._connected.wait(timeout_s):
            self.close()
            raise FleetError(f"{url}: the MQTT broker did not accept the connection")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    props: Any = None) -> None:
        for m, s, t, _ in self._subs:  # after a reconnect too
            client.subscribe(f"{INTERFACE}/{m}/{s}/{t}", qos=1 if t == "connection" else 0)
        self._connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        if self._call is None:
            self._incoming(msg.topic, msg.payload)
        else:
            self._call(lambda: self._incoming(msg.topic, msg.payload))

    def publish(self, manufacturer: str, serial: str, topic: str,
                message: dict[str, Any]) -> None:
        validate(topic, message)
        conn = topic == "connection"
        self._client.publish(topic_of(manufacturer, serial, topic), json.dumps(message),
                             qos=1 if conn else 0, retain=conn)

    def subscribe(self, topic: str, handler: Handler, manufacturer: str = "+",
                  serial: str = "+") -> None:
        self._subs.append((manufacturer, serial, topic, handler))
        self._client.subscribe(f"{INTERFACE}/{manufacturer}/{serial}/{topic}",
                               qos=1 if topic == "connection" else 0)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
