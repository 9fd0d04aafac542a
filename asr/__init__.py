"""Speech recognition for calls: one shared faster-whisper model, decoded off the event loop.

``asr.recognizer.shared_recognizer`` gives the process's recogniser; ``asr.stt_service``
wraps it as a per-call pipecat STT service; ``asr.frames`` holds the frames it adds
(``NoSpeechFrame``, ``AsrHintsFrame``, ``CallerTranscriptionFrame``). Nothing is imported here so
that ``import asr`` stays cheap.
"""
