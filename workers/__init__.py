"""Dramatiq workers: `dramatiq workers` imports this, which sets up the broker, then the actors.

The broker comes first so that the actors in `stages` bind to it (dramatiq's own layout).
"""

from workers import broker as broker

broker.setup_broker()

from workers import stages as stages  # noqa: E402
