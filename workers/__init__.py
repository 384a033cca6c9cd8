"""Dramatiq workers: `dramatiq workers` imports this, which sets up the broker, then the actors.

The broker comes first so that the actors bind to it (dramatiq's own layout). Setting it up
builds clients only; nothing connects to Redis or PostgreSQL until a message moves.
"""

from workers import broker as broker

broker.setup_broker()

from workers import delivery as delivery  # noqa: E402
from workers import leads as leads  # noqa: E402
from workers import lookups as lookups  # noqa: E402
from workers import reprocess as reprocess  # noqa: E402
from workers import stages as stages  # noqa: E402
from workers import workflows as workflows  # noqa: E402
