"""Write-back to Clay, the trigger: notice a job with a callback reaching a final state.

The gateway takes `callback_url`/`callback_token` out of an accepted body and keeps them in
Redis under the job id (`take_spec`; its accept script writes them), so the token is in no
message, retry, dead letter or debug log (a body sent to the first stage some other way is
treated the same by `Callbacks.before_process_message`). After a stage that left its job
final (known from the attempt's outcome, `workers.middleware.ends_job`: stages that hand on
cost no Redis read), `Callbacks` reads the job's status; when it is final (succeeded or
dead, again after a replay) it records a `callback_queued` event and sends `deliver_callback` (see
`workers.delivery`), which POSTs the outcome at a pace Clay accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
import orjson
from dramatiq.middleware import Middleware
from sqlalchemy import Engine

from pipeline import callbacks
from pipeline.store import dashboard, ops
from workers import names
from workers.middleware import ends_job, message_job_id

log = logging.getLogger("hq.callbacks")

#: The delivery actor's name (`workers.delivery` declares it; the stage its events are under).
ACTOR = names.DELIVER_CALLBACK.actor_name

#: How long a job's callback is kept, so a replay within this time still calls back.
SPEC_TTL_S = 30 * 24 * 3600

#: Body fields that describe the callback and are kept out of the message once read.
FIELDS = ("callback_url", "callback_token")

#: Attribute of the in-flight message holding the callback its own body named (if any).
SPEC_ATTRIBUTE = "hq_callback_spec"


def spec_key(namespace: str, job_id: str) -> str:
    """Where a job's callback is kept in Redis."""
    return f"{namespace}:callback:{job_id}"


def take_spec(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The body without its callback fields, and the callback they name (None if none)."""
    rest = {k: v for k, v in body.items() if k not in FIELDS}
    if not body.get("callback_url"):
        return rest, None
    spec = {
        "url": body["callback_url"],
        "token": body.get("callback_token"),
        "linkedin_url": body.get("linkedin_url"),
    }
    return rest, spec


def load_spec(client: Any, namespace: str, job_id: str) -> dict[str, Any] | None:
    """The callback a job's request named (`url`, `token`, `linkedin_url`), or None."""
    data = client.get(spec_key(namespace, job_id))
    return orjson.loads(data) if data else None


class Callbacks(Middleware):
    """Sends `deliver_callback` when a job that named a callback reaches a final state.

    Stages that record their own outcome commit it before `after_*` hooks run; for outcomes
    `Tracking` records (returned results, deaths) it is added before `Tracking`, so its
    `after_*` hooks run after Tracking has committed what it reads.
    """

    def __init__(self, *, engine_factory: Callable[[], Engine]) -> None:
        self.engine_factory = engine_factory

    @property
    def actor_options(self) -> set[str]:
        #: `callback_in_body=True`: the actor's message is its job's only one and comes
        #: straight from the request (a lookup), so a callback can only be in its body and
        #: none is read from Redis when the body names none (one Redis read less a job).
        return {"callback_in_body"}

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
        body = message.kwargs.get("body")
        if not job_id or not isinstance(body, dict):
            return
        message.kwargs["body"], spec = take_spec(body)
        setattr(message, SPEC_ATTRIBUTE, spec)
        if spec is not None:
            client: Any = broker.client  # type: ignore[attr-defined]
            key = spec_key(broker.namespace, job_id)  # type: ignore[attr-defined]
            client.set(key, orjson.dumps(spec), ex=SPEC_TTL_S)

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if ends_job(message, exception):  # no Redis read for stages that hand on
            self._notice(broker, message)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._notice(broker, message)

    def _notice(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = message_job_id(message)
        if job_id is None:
            return
        try:
            spec = self._spec(broker, message, job_id)
            if spec is not None:
                self._queue_if_final(broker, job_id, spec)
        except Exception as err:  # Redis or PostgreSQL down: the job itself is unaffected
            log.warning("could not queue the callback of job %s: %r", job_id, err)

    def _spec(self, broker: dramatiq.Broker, message: Any, job_id: str) -> dict[str, Any] | None:
        """The job's callback: from its own body when its actor says it can only be there."""
        if broker.get_actor(message.actor_name).options.get("callback_in_body"):
            spec: dict[str, Any] | None = getattr(message, SPEC_ATTRIBUTE, None)
            return spec
        return load_spec(broker.client, broker.namespace, job_id)  # type: ignore[attr-defined]

    def _queue_if_final(self, broker: dramatiq.Broker, job_id: str, spec: dict[str, Any]) -> None:
        """Record and send the delivery in one transaction, once the job is final."""
        with self.engine_factory().begin() as conn:
            status = dashboard.job_state(conn, job_id=job_id)
            if status not in ops.FINAL:
                return
            host = callbacks.host_of(spec["url"])
            ops.record_event(
                conn, job_id=job_id, stage=ACTOR, event=callbacks.QUEUED, detail=f"to {host}"
            )
            broker.get_actor(ACTOR).send(job=job_id, attempt=1)
