"""Everything Twilio-shaped, independent of the rest of Anbu (it imports none of it).

- :mod:`telephony.signature`: request signatures and the FastAPI guards built on them.
- :mod:`telephony.twiml`: the TwiML documents Anbu answers with.
- :mod:`telephony.media`: Media Streams messages and the µ-law codec.
- :mod:`telephony.rest`: hanging up and redirecting live calls over Twilio's REST API.
- :mod:`telephony.lines`: which script answers which number.
- :mod:`telephony.webhooks`: the ``/twilio/*`` router, wired to the app through ``CallHooks``.
- :mod:`telephony.simulator`: a local phone that calls Anbu exactly as Twilio would.
"""
