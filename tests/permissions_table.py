"""Who may call which route: the answer every role must get from every endpoint.

tests/test_permission_walker.py requests every rule in app.url_map as each role below and
compares the answer with EXPECTED. A route that is not in EXPECTED fails that test: read the
view, then add a line here saying who may call it. Set what the view *should* answer, never
just what it happens to answer today.

How a route is requested: GET when it accepts GET, otherwise POST with no data (CSRF is off
in the test configuration, tests/test_csrf.py covers it, so the empty form reaches the view).
URL parameters are filled from SAMPLES with real objects of mission A; when a parameter has
a mission B value too, the route is requested a second time with mission B's objects.

Roles: anonymous, learner (deployed in mission A), trainer, lead (mission lead of mission A
only), mission_trainer (mission trainer of mission A only, deployed there), hq and admin. Each
signed-in role holds only that role (and learner, which everyone is).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

ROLES = ("anonymous", "learner", "trainer", "lead", "mission_trainer", "hq", "admin")
SIGNED_IN = ROLES[1:]


@dataclass(frozen=True)
class Redirect:
    """A 302 to `location`; {name} in it is the request's URL parameter of that name."""

    location: str

    def expected_location(self, requested_url: str, values: dict) -> str:
        if self == LOGIN:
            return "/sign-in?next=" + quote(requested_url, safe="")
        return self.location.format(**values)

    def __str__(self) -> str:
        return "302 to sign-in" if self == LOGIN else f"302 to {self.location}"


LOGIN = Redirect("/sign-in?next=<this page>")  # login_required sends anonymous people here
HOME = Redirect("/")
Expect = int | Redirect  # an int is a status code (a bare 302 means any redirect)


@dataclass(frozen=True)
class PerMission:
    """Different answers for mission A's objects (`own`) and mission B's (`other`)."""

    own: dict[str, Expect]
    other: dict[str, Expect]


def everyone(expect: Expect) -> dict[str, Expect]:
    return dict.fromkeys(ROLES, expect)


def signed_in(expect: Expect) -> dict[str, Expect]:
    """Any signed-in person gets `expect`; anonymous people are sent to sign in."""
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, expect)}


def allowed_to(*roles: str, ok: Expect = 200, denied: Expect = 403) -> dict[str, Expect]:
    """Holders of `roles` (admin always) get `ok`, other signed-in people `denied`, anonymous -> sign in."""
    allowed = {*roles, "admin"}
    return {"anonymous": LOGIN, **{role: ok if role in allowed else denied for role in SIGNED_IN}}


def lead_refused(expected: dict[str, Expect], status: int = 403) -> dict[str, Expect]:
    """The same answers, except that the lead of mission A is refused mission B's objects."""
    return {**expected, "lead": status}


def mission_refused(expected: dict[str, Expect], status: int = 403) -> dict[str, Expect]:
    """The same answers, except that mission A's lead and mission trainer are refused mission B's objects."""
    return {**expected, "lead": status, "mission_trainer": status}


ADMIN_ONLY = allowed_to("admin")
ADMIN_AND_HQ = allowed_to("hq")
TO_PERSON = Redirect("/admin/people/{user_id}")
COURSE_AUTHORS = allowed_to("trainer")  # the sample courses are the trainer's own
HOLDER_AND_COURSE_AUTHORS = allowed_to("learner", "trainer")  # the sample certificate is the learner's


def owner_only(ok: Expect) -> dict[str, Expect]:
    """Only the learner, whose the sample attempt and certificate are: not even an admin."""
    return {"anonymous": LOGIN, **{role: ok if role == "learner" else 403 for role in SIGNED_IN}}


EXPECTED: dict[str, dict[str, Expect] | PerMission] = {
    # core
    "core.healthz": everyone(200),
    "core.home": everyone(200),  # welcome page when signed out, role cards when signed in
    "accounts.set_language": everyone(HOME),  # an empty choice changes nothing and goes home
    # accounts
    "accounts.sign_in": {"anonymous": 200, **dict.fromkeys(SIGNED_IN, HOME)},  # signed in: nothing to do here
    # the same URL's POST (its own view, which carries the sign-in limits): an empty form is the form again
    "accounts.sign_in_post": {"anonymous": 200, **dict.fromkeys(SIGNED_IN, HOME)},
    "accounts.sign_out": signed_in(Redirect("/sign-in")),  # the (CSRF-free here) empty form signs out
    "accounts.change_password": signed_in(200),
    "accounts.forgot_password": everyone(200),  # the same answer for everyone, whatever is typed
    # A live link works for whoever holds it (sample: the learner's); the learner's own sign-in
    # before the request voids it (accounts.services.sign_in), hence their 404.
    "accounts.reset_password": {**everyone(200), "learner": 404},
    # single sign-on (accounts/sso_views.py): 404 for everyone until OIDC_* is configured, as in this walk;
    # configured, anyone may start and come back (tests/browser/test_sso.py)
    "sso.start": everyone(404),
    "sso.callback": everyone(404),
    "accounts.profile": signed_in(200),
    "accounts.activate": {"anonymous": 200, **dict.fromkeys(SIGNED_IN, HOME)},  # people on the roster with a slip
    # admin screens (accounts/admin_views.py): admins only, whatever the mission
    "admin.missions": ADMIN_ONLY,
    "admin.mission_new": ADMIN_ONLY,
    "admin.mission": ADMIN_ONLY,
    "admin.mission_edit": ADMIN_ONLY,
    "admin.unit_new": ADMIN_ONLY,
    "admin.unit_edit": ADMIN_ONLY,
    "admin.people": ADMIN_ONLY,
    "admin.person_new": ADMIN_ONLY,
    "admin.person": ADMIN_ONLY,
    "admin.person_move": ADMIN_ONLY,  # empty form: the person page again, with the errors
    "admin.role_add": ADMIN_ONLY,  # empty form: the person page again, with the errors
    "admin.role_remove": allowed_to(ok=TO_PERSON),  # the empty (CSRF-free here) form removes the grant
    "admin.person_deactivate": allowed_to(ok=400),  # an empty form lacks the confirmation tick
    "admin.person_reactivate": allowed_to(ok=TO_PERSON),  # already active: nothing to do
    "admin.person_password": ADMIN_ONLY,  # empty form: the person page again, with the errors
    "admin.roster_import": ADMIN_ONLY,
    "admin.roster_apply": allowed_to(ok=400),  # no checked file to apply
    # audit log
    "audit.index": ADMIN_AND_HQ,  # HQ reads it; only admins export it
    "audit.export_csv": ADMIN_ONLY,
    # taking a quiz (quizzes/views.py)
    "quizzes.intro": signed_in(200),
    "quizzes.start": signed_in(302),  # the empty (CSRF-free here) form starts or resumes an attempt
    "quizzes.attempt": owner_only(Redirect("/quiz/attempts/{attempt_id}/q/1")),  # one question per page
    "quizzes.page": owner_only(200),
    "quizzes.finish": owner_only(200),
    "quizzes.result": owner_only(Redirect("/quiz/attempts/{attempt_id}")),  # not submitted yet
    # certificates (certificates/views.py)
    "certificates.mine": signed_in(200),
    "certificates.download_pdf": HOLDER_AND_COURSE_AUTHORS,
    "certificates.show_qr": HOLDER_AND_COURSE_AUTHORS,
    "certificates.download_badge": owner_only(200),  # a credential only its holder may carry
    "certificates.manage": COURSE_AUTHORS,
    "certificates.detail": COURSE_AUTHORS,  # the holder sees theirs on certificates.mine
    "certificates.revoke": allowed_to("trainer", ok=400),  # no reason given
    "certificates.unrevoke": allowed_to("trainer", ok=400),  # no reason given
    "certificates.mission_zip": PerMission(own=allowed_to("lead", "hq"), other=allowed_to("hq")),
    # the ZIP prepared as a background job: to the job's page (the test config runs it at once)
    "certificates.mission_zip_job": PerMission(own=allowed_to("lead", "hq", ok=302), other=allowed_to("hq", ok=302)),
    # public verification (certificates/verify_views.py): printed on paper, open to anyone
    "verify.certificate": everyone(200),
    "verify.certificate_json": everyone(200),
    "verify.check": everyone(200),
    "verify.public_keys": everyone(200),
    "verify.offline": everyone(200),
    # what a verifier fetches from the URLs inside an Open Badge (certificates/verify_views.py)
    "verify.public_key": everyone(200),
    "verify.badge_issuer": everyone(200),
    "verify.badge_achievement": everyone(200),
    "verify.badge_status_list": everyone(200),
    # writing quizzes (quizzes/author_views.py): the course's owner and co-authors, and admins. Any trainer
    # also reads the shipped course's bank and item analysis (tests/test_training_shipped_course.py); the
    # sample module here is in a course the trainer owns, so the answers below are the same.
    "quiz_author.bank": COURSE_AUTHORS,
    "quiz_author.question_new": COURSE_AUTHORS,
    "quiz_author.question_edit": COURSE_AUTHORS,
    "quiz_author.question_archive": allowed_to("trainer", ok=302),  # the empty form archives, back to the bank
    "quiz_author.settings": COURSE_AUTHORS,
    "quiz_author.gift_import": COURSE_AUTHORS,
    "quiz_author.gift_export": COURSE_AUTHORS,
    "quiz_author.item_analysis": COURSE_AUTHORS,
    # studying (training/views.py): any signed-in person may open any published course
    "training.my_training": signed_in(200),
    "training.course": signed_in(200),
    "training.module": signed_in(200),
    "training.lesson": signed_in(200),
    "training.lesson_done": signed_in(302),  # records the view, then on to the next lesson
    "training.module_print": signed_in(200),
    "training.media": signed_in(200),  # lesson images: no personal data, named by content hash
    # writing courses (training/author_views.py, lesson_views.py): the course's owner and co-authors, and admins.
    # The sample module has only a published version and no draft, and the sample lesson is published,
    # so the draft-only screens and buttons send authors back to the module page with a message.
    "training_author.author_index": COURSE_AUTHORS,
    "training_author.course_new": COURSE_AUTHORS,
    "training_author.course_overview": COURSE_AUTHORS,
    "training_author.course_edit": COURSE_AUTHORS,
    # Copy a course one may read (its authors; any trainer for the shipped course) into a new one they own:
    # the empty form has no code, so back to the course with the message, nothing created.
    "training_author.course_copy": allowed_to("trainer", ok=302),
    # course packages (coursepack/views.py): any trainer or admin may upload one (it imports as drafts they own,
    # or into a course they already write); the download is for those who may read the course
    "coursepack.upload_package": COURSE_AUTHORS,
    "coursepack.start_import": allowed_to("trainer", ok=400),  # no checked package named: nothing imported
    "coursepack.export_package": COURSE_AUTHORS,
    # who is offered an optional course: its authors choose (the shipped course's readers do not)
    "training_author.course_audience": COURSE_AUTHORS,
    "training_author.author_add": allowed_to("trainer", ok=302),  # empty form: back to the course with the errors
    "training_author.author_remove": allowed_to("trainer", ok=302),  # not a co-author: back to the course, nothing done
    "training_author.module_new": allowed_to("trainer", ok=302),  # empty form: back to the course with the errors
    "training_author.module_edit": COURSE_AUTHORS,
    "training_author.module_move": allowed_to("trainer", ok=302),
    "training_author.draft_start": allowed_to("trainer", ok=302),  # the empty form starts a draft
    "training_author.draft_discard": allowed_to("trainer", ok=302),  # no draft: nothing to discard
    "training_author.module_publish": allowed_to("trainer", ok=302),  # no draft: nothing to publish
    "training_author.module_archive": allowed_to("trainer", ok=302),  # the empty form archives it
    "training_author.module_delete": allowed_to("trainer", ok=302),  # published: refused, archive instead
    "training_author.module_details": allowed_to("trainer", ok=302),  # no draft: start one first
    "training_author.module_preview": allowed_to("trainer", ok=302),  # no lessons: nothing to preview
    "lesson_author.lesson_new": allowed_to("trainer", ok=302),  # no draft: start one first
    "lesson_author.lesson_edit": allowed_to("trainer", ok=302),  # published lesson: start a draft first
    "lesson_author.lesson_move": allowed_to("trainer", ok=302),
    "lesson_author.lesson_delete": allowed_to("trainer", ok=302),
    "lesson_author.lesson_image": allowed_to("trainer", ok=302),
    # required training (training/requirement_views.py): admins set kind-wide rules, leads their missions', HQ reads
    "requirements.requirements_index": allowed_to("lead", "hq"),
    "requirements.mission_requirements": PerMission(own=allowed_to("lead", "hq"), other=lead_refused(allowed_to("lead", "hq"))),
    "requirements.requirement_edit": PerMission(own=allowed_to("lead"), other=lead_refused(allowed_to("lead"))),
    "requirements.requirement_remove": PerMission(own=allowed_to("lead", ok=302),
                                              other=lead_refused(allowed_to("lead", ok=302))),
    # readiness reports (reports/views.py): a mission's leads (their own missions only), HQ and admins read;
    # only the mission's leads and admins send reminders (the empty form: back to the dashboard with a message)
    "reports.mission": PerMission(own=allowed_to("lead", "hq"), other=lead_refused(allowed_to("lead", "hq"))),
    "reports.mission_export": PerMission(own=allowed_to("lead", "hq"), other=lead_refused(allowed_to("lead", "hq"))),
    "reports.remind": PerMission(own=allowed_to("lead", ok=302), other=lead_refused(allowed_to("lead", ok=302))),
    "reports.dashboards": {**allowed_to("mission_lead"), "lead": 302},  # one mission: straight to it
    "reports.reminders_seen": signed_in(302),  # "Got it" on the reminder notice of My training
    "reports.hq": allowed_to("hq"),
    # activation slips (reports/slips_views.py): the mission's leads and admins; HQ reads, it does not issue.
    # The empty form says "choose whom" and goes back to the dashboard; the one-person slip needs no field.
    "slips.print_slips": PerMission(own=allowed_to("lead", ok=302), other=lead_refused(allowed_to("lead", ok=302))),
    "slips.person_slip": PerMission(own=allowed_to("lead"), other=lead_refused(allowed_to("lead"))),
    "slips.roster_slips": ADMIN_ONLY | {"admin": 400},  # no signed list of the people an import created
    "reports.hq_export": allowed_to("hq"),
    # recognised outside certificates (recognition/views.py): admins, and the leads of the person's mission now,
    # record, change and remove; HQ reads the list and the evidence; learners and trainers get nothing.
    # The empty forms: the new record and the CSV check show their form again; applying has no checked file (400).
    "recognition.mission_list": PerMission(own=allowed_to("lead", "hq"), other=lead_refused(allowed_to("lead", "hq"))),
    "recognition.record_new": PerMission(own=allowed_to("lead"), other=lead_refused(allowed_to("lead"))),
    "recognition.record_edit": PerMission(own=allowed_to("lead"), other=lead_refused(allowed_to("lead"))),
    "recognition.record_remove": PerMission(own=allowed_to("lead", ok=302),
                                            other=lead_refused(allowed_to("lead", ok=302))),
    "recognition.evidence": PerMission(own=allowed_to("lead", "hq"), other=lead_refused(allowed_to("lead", "hq"))),
    "recognition.import_check": PerMission(own=allowed_to("lead"), other=lead_refused(allowed_to("lead"))),
    "recognition.import_apply": PerMission(own=allowed_to("lead", ok=400),
                                           other=lead_refused(allowed_to("lead", ok=400))),
    # background jobs (jobs/views.py): a job is its starter's (the sample is the lead's) and the admins'
    "jobs.index": signed_in(200),  # each sees their own jobs; admins every job
    "jobs.show": allowed_to("lead"),
    "jobs.download": allowed_to("lead", ok=404),  # the sample job made no file
    "jobs.run_again": allowed_to("lead", ok=400),  # it finished: nothing to run again
    # offline study (offline/views.py)
    "offline.service_worker": everyone(200),  # a script with no personal data, at / for its scope
    "offline.unavailable": everyone(200),  # what the service worker shows for a page not saved
    "offline.course_manifest": signed_in(200),  # the URLs of a course anyone signed in may open
    # answers given offline, as JSON: only the attempt's owner (who sent no JSON here: 400); a fetch
    # from a signed-out page gets 401 rather than the sign-in page
    "offline.save_answers": {**owner_only(400), "anonymous": 401},
    # in-person sessions (inperson/views.py): trainers plan them in any mission and then read and record the
    # ones they ran, admins all, mission trainers their missions'; the mission's leads and HQ read. The sample
    # sessions are mission A's and mission B's, both planned by the trainer.
    "inperson.index": allowed_to("trainer", "lead", "mission_trainer", "hq"),
    "inperson.export": allowed_to("trainer", "lead", "mission_trainer", "hq"),
    "inperson.plan": allowed_to("trainer", "mission_trainer"),  # step one: choose the course and mission
    "inperson.show": PerMission(own=allowed_to("trainer", "lead", "mission_trainer", "hq"),
                                other=mission_refused(allowed_to("trainer", "lead", "mission_trainer", "hq"))),
    "inperson.sheet_pdf": PerMission(own=allowed_to("trainer", "lead", "mission_trainer", "hq"),
                                     other=mission_refused(allowed_to("trainer", "lead", "mission_trainer", "hq"))),
    "inperson.attendance": PerMission(own=allowed_to("trainer", "mission_trainer"),
                                      other=allowed_to("trainer")),
    # marks sent as JSON: the empty post is unreadable (400); a fetch from a signed-out page gets 401
    "inperson.sync": PerMission(own={**allowed_to("trainer", "mission_trainer", ok=400), "anonymous": 401},
                                other={**allowed_to("trainer", ok=400), "anonymous": 401}),
    # the empty form: back to the session with "choose a picture"
    "inperson.evidence_upload": PerMission(own=allowed_to("trainer", "mission_trainer", ok=302),
                                           other=allowed_to("trainer", ok=302)),
    # the sample hash is a lesson image's, not a scan of this session: 404 once allowed to read it
    "inperson.evidence": PerMission(own=allowed_to("trainer", "lead", "mission_trainer", "hq", ok=404),
                                    other=mission_refused(allowed_to("trainer", "lead", "mission_trainer", "hq",
                                                                     ok=404))),
}


# URL parameter -> (attribute path on the walker's world for mission A, for mission B or None);
# a value that is not a string is used as it is. The world (tests/test_permission_walker.py,
# class World) holds: mission_a, mission_b, unit_a, unit_b, the acting users (learner,
# trainer, lead, hq, admin), subject_a and subject_b (people deployed in A and B whom nobody
# acts as), their deployments deployment_a and deployment_b, a trainer grant for each
# (grant_a, grant_b) and, built when first asked for, quiz_module (in a course the trainer
# owns), quiz_question, learner_attempt and learner_certificate (in another course the trainer
# owns), outside_a and outside_b (recognised for subject_a and subject_b, with evidence). Add what
# new routes need there.
SAMPLES: dict[str, tuple[str | int, str | None]] = {
    "mission_id": ("mission_a.id", "mission_b.id"),
    "unit_id": ("unit_a.id", "unit_b.id"),
    "user_id": ("subject_a.id", "subject_b.id"),
    "person_id": ("subject_a.id", "subject_b.id"),
    "deployment_id": ("deployment_a.id", "deployment_b.id"),
    "grant_id": ("grant_a.id", "grant_b.id"),
    "module_id": ("quiz_module.id", None),
    "question_id": ("quiz_question.id", None),
    "attempt_id": ("learner_attempt.id", None),
    "number": (1, None),  # the first question of an attempt
    "certificate_id": ("learner_certificate.id", None),
    "code": ("learner_certificate.code", None),
    "course_id": ("quiz_module.course_id", None),  # a course the trainer owns
    "lesson_id": ("lesson.id", None),  # a lesson of a published version (authors cannot edit it in place)
    "requirement_id": ("requirement_a.id", "requirement_b.id"),
    "outside_id": ("outside_a.id", "outside_b.id"),  # an outside certificate recognised for subject_a / subject_b
    "sha256": ("lesson_image.sha256", None),
    "job_id": ("lead_job.id", None),
    "token": ("reset_token", None),  # a live password-reset link of the learner's
    "key_id": ("learner_certificate.key_id", None),
    "course_code": ("learner_certificate.course.code", None),
    "list_number": (1, None),  # certificate ids 0 .. 131,071
    "session_id": ("session_a.id", "session_b.id"),  # in-person sessions in mission A and mission B
}
