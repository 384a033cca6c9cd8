"""Pure rules for a person seen by many sources: golden fields, work history, best e-mail.

- `golden`: each person field from the source with the best (lowest) coalesce priority,
  then the most recent observation (the person-profile chain is a source like any other).
- `combine_jobs`: a profile's experience rows plus the jobs workflows observed (find people,
  job changes, promotions, SalesNav), each job once; a job observed no later than the
  profile's own refresh is stale (the profile already knows better) and is left out; a job
  change or promotion ends the current rows it replaced.
- `best_email`: one e-mail per person by status (valid > catch-all/risky > unknown; invalid
  never), then recency, then provider priority, with the reason spelt out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipeline import identity, normalize
from schemas.records import ExperienceRecord, PartialDate

#: Rank of each e-mail status (lower is better); `invalid` is never chosen.
EMAIL_RANK = {"valid": 0, "catch_all": 1, "risky": 1, "unknown": 2}
#: Tie-break between e-mail providers when status and recency are equal (lower wins).
PROVIDER_PRIORITY = {"anymailfinder": 1, "leadmagic": 2, "icypeas": 3}


@dataclass(frozen=True)
class Observation:
    """One source's value of one field, with how it ranks."""

    field: str
    value: Any
    source: str
    observed_at: datetime
    priority: int


def golden(observations: Iterable[Observation]) -> dict[str, Observation]:
    """The winning observation of each field: lowest priority, then newest, then source."""
    best: dict[str, Observation] = {}
    for obs in observations:
        if obs.value is None or obs.value == "":
            continue
        held = best.get(obs.field)
        if held is None or _rank(obs) < _rank(held):
            best[obs.field] = obs
    return best


def _rank(obs: Observation) -> tuple[int, float, str]:
    return (obs.priority, -obs.observed_at.timestamp(), obs.source)


# --- work history -------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservedJob:
    """A job a workflow observed (a row of `core.person_jobs`)."""

    company_name: str | None
    company_domain: str | None
    company_linkedin_url: str | None
    title: str | None
    start: PartialDate | None
    supersedes: str | None
    observed_at: datetime
    is_current: bool = True


def job_key(company_domain: str | None, company_name: str | None, title: str | None) -> str:
    """The natural key of a job: company key and folded title (either may be blank)."""
    company = normalize.company_key(company_domain, company_name) or ""
    folded = (normalize.clean_text(title) or "").casefold()
    return f"{company}|{folded}"


def _same_company(row: ExperienceRecord, job: ObservedJob) -> bool:
    """One company: the same company key (domain, else name), or the same name key."""
    row_key = row.company_key or normalize.company_key(row.company_domain, row.company_name)
    job_key_ = normalize.company_key(job.company_domain, job.company_name)
    if row_key is not None and row_key == job_key_:
        return True
    row_name, job_name = identity.name_key(row.company_name), identity.name_key(job.company_name)
    return row_name is not None and row_name == job_name


def _same_job(row: ExperienceRecord, job: ObservedJob) -> bool:
    if not _same_company(row, job):
        return False
    if not job.title or not row.title:
        return True
    return row.title.casefold() == job.title.casefold()


def _started_before(row: ExperienceRecord, job: ObservedJob) -> bool:
    if row.start is None or job.start is None:
        return True
    return row.start.value <= job.start.value


def combine_jobs(
    experiences: Sequence[ExperienceRecord],
    jobs: Iterable[ObservedJob],
    *,
    refreshed_at: datetime | None,
) -> tuple[ExperienceRecord, ...]:
    """The profile's rows plus each observed job not already among them, oldest
    observation first; stale jobs (observed no later than `refreshed_at`) are left out."""
    rows = list(experiences)
    position = max((r.position for r in rows), default=-1) + 1
    for job in sorted(jobs, key=lambda j: j.observed_at):
        if refreshed_at is not None and job.observed_at <= refreshed_at:
            continue
        if any(_same_job(row, job) for row in rows):
            continue
        if not job.is_current and any(_same_company(row, job) for row in rows):
            continue  # a past employer the history already has
        if job.supersedes and job.is_current:
            rows = [_ended(row, job) for row in rows]
        rows.append(
            ExperienceRecord(
                position=position,
                title=job.title,
                company_name=job.company_name,
                company_domain=job.company_domain,
                company_key=normalize.company_key(job.company_domain, job.company_name),
                company_linkedin_url=job.company_linkedin_url,
                start=job.start,
                is_current=job.is_current,
            )
        )
        position += 1
    return tuple(rows)


def _ended(row: ExperienceRecord, job: ObservedJob) -> ExperienceRecord:
    """A current row the job replaced, ended when the job started."""
    if not row.is_current or not _started_before(row, job):
        return row
    same = _same_company(row, job)
    if (job.supersedes == "promotion") != same:
        return row
    return row.model_copy(update={"is_current": False, "end": row.end or job.start})


# --- e-mails ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailResult:
    """One provider's result for one address (a row of `core.person_emails`)."""

    email: str
    provider: str
    status: str
    source: str
    observed_at: datetime
    priority: int


def best_email(results: Sequence[EmailResult]) -> tuple[EmailResult, str] | None:
    """The person's best e-mail and why it won; None when every result is invalid."""
    usable = [r for r in results if r.status in EMAIL_RANK]
    if not usable:
        return None
    ranked = sorted(
        usable,
        key=lambda r: (EMAIL_RANK[r.status], -r.observed_at.timestamp(), r.priority, r.email),
    )
    winner = ranked[0]
    return winner, _reason(winner, ranked[1:], invalid=len(results) - len(usable))


def _reason(winner: EmailResult, others: Sequence[EmailResult], *, invalid: int) -> str:
    """Why `winner` beat the rest, in the order the rules were applied."""
    parts = [f"status {winner.status} from {winner.provider}"]
    worse = [r for r in others if EMAIL_RANK[r.status] > EMAIL_RANK[winner.status]]
    same = [r for r in others if EMAIL_RANK[r.status] == EMAIL_RANK[winner.status]]
    if worse:
        parts.append(f"beats {len(worse)} result(s) of a weaker status")
    older = [r for r in same if r.observed_at < winner.observed_at]
    tied = [r for r in same if r.observed_at == winner.observed_at]
    if older:
        parts.append(f"newest of {len(same) + 1} results of that status")
    if tied:
        parts.append("provider priority broke a tie")
    if invalid:
        parts.append(f"{invalid} invalid result(s) never chosen")
    return "; ".join(parts)


def email_summary(results: Sequence[EmailResult]) -> dict[str, Any] | None:
    """What `core.people.email_choice` keeps: the winner, its status, source and reason."""
    chosen = best_email(results)
    if chosen is None:
        return None
    winner, reason = chosen
    return {
        "email": winner.email,
        "status": winner.status,
        "provider": winner.provider,
        "source": winner.source,
        "observed_at": winner.observed_at.isoformat(),
        "reason": reason,
    }


def partial(value: date | None, precision: str | None) -> PartialDate | None:
    """A stored date column pair as a PartialDate."""
    if value is None:
        return None
    return PartialDate.model_validate({"value": value, "precision": precision or "unknown"})


def as_mapping(observed: Mapping[str, Observation]) -> dict[str, Any]:
    """Winning values by field."""
    return {field: obs.value for field, obs in observed.items()}
