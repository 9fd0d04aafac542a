"""Speech synthesis for calls: one shared Piper voice, sentence-level streaming and caching.

``tts.synthesizer.shared_synthesizer`` gives the process's synthesizer, ``tts.cache.PhraseCache``
replays fixed prompts, ``tts.tts_service`` wraps both as a per-call pipecat TTS service, and
``tts.frames.SpeakingRateFrame`` changes the speaking rate mid-call. Nothing is imported here so
that ``import tts`` stays cheap.
"""
