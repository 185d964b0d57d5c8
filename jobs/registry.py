"""What each kind of job does. Features register their kinds in create_app (one visible place)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jobs.models import Job

Report = Callable[[int, int, str], None]       # done, total, message
Handler = Callable[[Job, Report], dict]         # returns the job's result; raises JobFailed


class JobFailed(Exception):
    """The job's input is wrong: `errors` are shown on its page, by line where there is one."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = errors


@dataclass(frozen=True)
class Kind:
    name: str
    title: str          # shown on the job's page: a lazy translation, marked where it is registered
    handler: Handler
    produces_file: bool = False   # the handler's result names it as "file_name"
    # result key -> lazy translated label; when given, only these keys are shown
    result_labels: dict = field(default_factory=dict)
    next_step: NextStep | None = None  # a link offered once the job is done
    result_template: str | None = None  # a kind's own part of the job page, given `job`


NextStep = Callable[[Job], "tuple[str, str] | None"]    # (label, url)
KINDS: dict[str, Kind] = {}


def register(name: str, title, handler: Handler, *, produces_file: bool = False,
             result_labels: dict | None = None, next_step: NextStep | None = None,
             result_template: str | None = None) -> None:
    KINDS[name] = Kind(name, title, handler, produces_file, result_labels or {}, next_step, result_template)


def kind(name: str) -> Kind:
    return KINDS[name]
