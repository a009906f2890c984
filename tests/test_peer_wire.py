"""The frame the fan-out builds once for every client is a valid server text frame."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.live.peer import WIRE, text_message, wire


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 300_000])
def test_wire_is_one_unmasked_final_text_frame(size: int) -> None:
    payload = ("é" * size).encode()[:size]
    payload = payload.decode("utf-8", "ignore").encode()
    reader = StreamReader()
    reader.feed_data(wire(payload))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("frame incomplete")
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == payload


def test_text_message_carries_text_and_wire() -> None:
    message = text_message(b'{"type":"pong"}')
    assert message["type"] == "websocket.send"
    assert message["text"] == '{"type":"pong"}'
    assert message[WIRE].endswith(b'{"type":"pong"}')
