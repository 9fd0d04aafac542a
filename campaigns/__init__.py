"""Outbound wellness-call campaigns: who to call, when, how often, and what happened.

Nothing here imports ``agent``: the agent package composes these parts with the phone. The
durable call-attempts table (``store.attempts``) is the source of truth; APScheduler only wakes
the :mod:`campaigns.runner` up.
"""
