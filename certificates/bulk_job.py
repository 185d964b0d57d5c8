"""The mission's certificates ZIP as a background job: written to a file, then offered on the job's page.

A mission of 5,000 people takes about 20-35 s to render; in a web request that is a timeout.
The job writes `<name>.zip.part` and renames it only when whole, so a worker killed half-way
leaves no file anyone could download, and running the job again starts over.
"""

from __future__ import annotations

import os
from datetime import datetime

from flask_babel import lazy_gettext as _l

from certificates import bulk
from jobs import registry, services
from jobs.models import Job

KIND = "mission_certificates_zip"


def build(job: Job, report: registry.Report) -> dict:
    params = job.params
    moment = datetime.fromisoformat(params["moment"])
    total = bulk.count_for_mission(params["mission_id"], moment)
    folder = params["folder"]
    target = services.files_dir() / str(job.id)
    target.mkdir(parents=True, exist_ok=True)
    part, final = target / f"{folder}.zip.part", target / f"{folder}.zip"
    report(0, total, "")
    done = 0
    with part.open("wb") as out:
        chunks = bulk.zip_chunks(lambda: bulk.rows_for_mission(params["mission_id"], moment), folder,
                                 params["base_url"], moment=moment)
        for chunk in chunks:
            out.write(chunk)
            if done < total:
                done += 1  # one chunk per certificate, then the index's
                report(done, total, "")
    os.replace(part, final)
    return {"file_name": final.name, "certificates": total, "bytes": final.stat().st_size}


def register() -> None:
    registry.register(KIND, _l("Certificates ZIP of a mission"), build, produces_file=True,
                      result_labels={"certificates": _l("Certificates"), "bytes": _l("Size in bytes")})
