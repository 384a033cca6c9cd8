"""Dramatiq workers. `dramatiq workers:setup` runs them (Procfile); importing builds nothing.

`setup` builds the broker from the environment, makes it dramatiq's global broker and
declares every actor on it (`workers.broker.setup_broker`); dramatiq's CLI calls it in each
worker process before it consumes anything.
"""


def setup() -> None:
    """Set up this process's broker and actors (dramatiq's CLI calls this by name)."""
    from workers.broker import setup_broker

    setup_broker()
