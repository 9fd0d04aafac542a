"""One phone call as a pipecat pipeline.

    Twilio media (8 kHz µ-law) → serializer (→ 16 kHz PCM) → Silero VAD → Whisper (shared)
      → call controller (dialog) → Piper (shared, cached) → serializer (→ 8 kHz µ-law) → Twilio

plus a stereo recorder (caller left, agent right). The pipeline's input stays at 16 kHz because
Whisper and Silero want it; its output is 8 kHz because that is all a phone line carries.
"""

from __future__ import annotations

import asyncio
import logging
import re
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import WebSocket
from loguru import logger
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor
from pipecat.processors.audio.vad_processor import VADProcessor
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)
from pipecat.workers.runner import WorkerRunner

from agent.controller import CallController, CallEnd, ControllerConfig
from agent.serializer import AnbuTwilioSerializer
from agent.session import CallSession
from agent.voice import PHONE_RATE, Voice
from asr.stt_service import AnbuSTTService
from asr.vad import SharedSileroVADAnalyzer
from tts.tts_service import AnbuTTSService

log = logging.getLogger(__name__)
PIPELINE_RATE = 16000

# What pipecat writes about speech: "Generating TTS [...]", "TTS request: <id> - ...", and every
# text frame's repr ("text: [...]"). The agent's sentences repeat callers' names and answers.
_SPOKEN_TEXT = re.compile(
    r"(?P<head>Generating TTS |text: )\[(?P<text>.*?)\](?=\)|$|,)|(?P<req>TTS request: \S+ - ).*",
    re.DOTALL,
)
_redacting: list[bool] = []


def _redact(match: re.Match[str]) -> str:
    if match.group("req"):
        return match.group("req") + "(redacted)"
    return f"{match.group('head')}[{len(match.group('text'))} chars]"


def _redact_pipecat_record(record: Any) -> None:
    if str(record["name"] or "").startswith("pipecat."):
        record["message"] = _SPOKEN_TEXT.sub(_redact, record["message"])


def keep_speech_out_of_logs() -> None:
    """Strip spoken text from pipecat's log records, for every loguru sink, at every level.

    Pipecat logs what the agent is about to say at DEBUG and text frames at TRACE; those
    sentences carry callers' names, times and answers. A loguru patcher applies before any
    sink, so whoever adds a DEBUG sink (an operator, a test) still gets no transcript text.
    """
    if not _redacting:
        logger.configure(patcher=_redact_pipecat_record)
        _redacting.append(True)


@dataclass
class PipelineOptions:
    """``vad_stop_secs``: the longest pause that ends the caller's turn. The VAD itself listens
    for pauses of ``vad_pause_secs``; a pause that short ends the turn only when the words so
    far answer the agent's question (see ``agent.turn_end``)."""

    vad_stop_secs: float = 0.4
    vad_pause_secs: float = 0.2
    vad_start_secs: float = 0.2
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    recordings_dir: Path | None = None


@dataclass
class CallResult:
    end: CallEnd | None
    recording: Path | None
    timings: list[dict[str, float | None]]
    greeting_s: float | None


async def run_call(
    websocket: WebSocket,
    *,
    stream_sid: str,
    session: CallSession,
    voice: Voice,
    options: PipelineOptions,
    on_end: Callable[[CallEnd], Awaitable[None]],
) -> CallResult:
    """Run the call until it ends or the socket drops; returns what happened."""
    keep_speech_out_of_logs()
    serializer = AnbuTwilioSerializer(stream_sid, session.call_sid)
    transport = FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
        ),
    )
    pause_secs = min(options.vad_pause_secs, options.vad_stop_secs)
    vad = VADProcessor(
        vad_analyzer=SharedSileroVADAnalyzer(
            sample_rate=PIPELINE_RATE,
            params=VADParams(start_secs=options.vad_start_secs, stop_secs=pause_secs),
        )
    )
    stt = AnbuSTTService(voice.recognizer)
    tts = AnbuTTSService(voice.synthesizer, cache=voice.cache, rate=session.speaking_rate)
    ended: list[CallEnd] = []
    worker_box: list[PipelineWorker] = []

    async def finish(end: CallEnd) -> None:
        ended.append(end)
        await on_end(end)
        if worker_box:
            await worker_box[0].cancel(reason="call ended")

    controller = CallController(
        session,
        stream_sid=stream_sid,
        on_end=finish,
        config=options.controller,
        vad_stop_secs=pause_secs,
        # A caller who resumes is only recognised ``vad_start_secs`` after they do.
        turn_end_secs=options.vad_stop_secs + options.vad_start_secs,
    )
    recorder = AudioBufferProcessor(num_channels=2) if options.recordings_dir else None
    stages = [transport.input(), vad, stt, controller, tts, transport.output()]
    if recorder is not None:
        stages.append(recorder)
    worker = PipelineWorker(
        Pipeline(stages),
        params=PipelineParams(
            audio_in_sample_rate=PIPELINE_RATE,
            audio_out_sample_rate=PHONE_RATE,
            enable_metrics=False,
        ),
        enable_rtvi=False,
        idle_timeout_secs=None,
        check_dangling_tasks=False,
    )
    worker_box.append(worker)
    recording: list[Path] = []

    if recorder is not None:
        assert options.recordings_dir is not None
        path = options.recordings_dir / f"{session.call_sid}.wav"

        @recorder.event_handler("on_audio_data")
        async def on_audio_data(_proc: object, audio: bytes, rate: int, channels: int) -> None:
            if audio:
                await asyncio.to_thread(_write_wav, path, audio, rate, channels)
                recording.append(path)

    @transport.event_handler("on_client_connected")
    async def on_connected(_transport: object, _ws: object) -> None:
        if recorder is not None:
            await recorder.start_recording()

    @transport.event_handler("on_client_disconnected")
    async def on_disconnected(_transport: object, _ws: object) -> None:
        if recorder is not None:
            await recorder.stop_recording()
        await worker.cancel(reason="caller disconnected")

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    try:
        await runner.run()
    finally:
        if recorder is not None and not recording:
            await recorder.stop_recording()
    return CallResult(
        end=ended[0] if ended else None,
        recording=recording[0] if recording else None,
        timings=[t.summary() for t in controller.timings],
        greeting_s=(
            None
            if controller.greeted_at is None or controller.started_at is None
            else controller.greeted_at - controller.started_at
        ),
    )


def _write_wav(path: Path, audio: bytes, rate: int, channels: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(audio)
