"""Simulated learners and mission leads for bench/load/run_load.py (locust, headless, loopback only).

Learners sign in, read the lessons of their next module (page, then "mark as read"), take its
quiz one question per page (answering right nine times in ten, from the key the runner gave
them: they studied), submit and read the result. Every write the server acknowledges (a 302
to where it should go: a lesson read, an attempt started, an answer saved, an attempt
submitted) is appended to LOAD_ACKS for reconcile.py. Leads open their mission's
dashboard with filters and, now and then, export a table.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
ACKS = open(os.environ["LOAD_ACKS"], "a", buffering=1)
RIGHT = float(os.environ.get("LOAD_RIGHT_ANSWERS", "0.9"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
OPTION = re.compile(r'name="q(\d+)" value="([^"]+)"')
_learners = itertools.count()
_leads = itertools.count()


def ack(kind: str, **fields) -> None:
    ACKS.write(json.dumps({"kind": kind, **fields}) + "\n")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    return (match.group(1) or match.group(2)) if match else ""


class Learner(HttpUser):
    fixed_count = PLAN["learner_count"]
    wait_time = between(0.3, 1.5)

    def on_start(self) -> None:
        account = PLAN["learners"][next(_learners) % len(PLAN["learners"])]
        self.identifier, self.next_module = account["service_number"], account["start_module"]
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/sign-in", name="sign-in page")
        with self.client.post("/sign-in", data={"identifier": self.identifier, "password": PLAN["password"],
                                                "csrf_token": csrf_of(page.text)},
                              name="sign-in", allow_redirects=False, catch_response=True) as reply:
            if reply.status_code != 302:
                reply.failure(f"sign-in answered {reply.status_code}")

    @task
    def study_a_module(self) -> None:
        if self.next_module >= len(PLAN["modules"]):
            self.next_module = 0  # course done: revisit (the quiz refuses a second pass)
        module = PLAN["modules"][self.next_module]
        for lesson_id in module["lessons"]:
            page = self.client.get(f"/training/lessons/{lesson_id}", name="lesson page")
            self.wait()
            with self.client.post(f"/training/lessons/{lesson_id}/done", data={"csrf_token": csrf_of(page.text)},
                                  name="lesson done", allow_redirects=False, catch_response=True) as reply:
                if reply.status_code != 302 or "/sign-in" in reply.headers.get("Location", ""):
                    reply.failure(f"lesson done answered {reply.status_code}")
                    continue
            ack("lesson", person=self.identifier, lesson=lesson_id)
        self.take_quiz(module["id"])
        self.next_module += 1

    def take_quiz(self, module_id: int) -> None:
        intro = self.client.get(f"/quiz/module/{module_id}", name="quiz intro")
        if "/start" not in intro.text:
            return  # passed already, or no attempt left: nothing to take
        with self.client.post(f"/quiz/module/{module_id}/start", data={"csrf_token": csrf_of(intro.text)},
                              name="quiz start", allow_redirects=False, catch_response=True) as reply:
            match = re.search(r"/quiz/attempts/(\d+)", reply.headers.get("Location", ""))
            if reply.status_code != 302:
                reply.failure(f"start answered {reply.status_code}")
                return
            if match is None:  # refused (attempt limit, cooldown): back to the intro with a message
                return
        attempt_id = int(match.group(1))
        ack("start", attempt=attempt_id)
        number = 1
        while True:
            page = self.client.get(f"/quiz/attempts/{attempt_id}/q/{number}", name="question page")
            options = OPTION.findall(page.text)
            if page.status_code != 200 or not options:
                break
            question_id = int(options[0][0])
            chosen = self.choose(question_id, [value for _, value in options])
            self.wait()
            with self.client.post(f"/quiz/attempts/{attempt_id}/q/{number}",
                                  data={f"q{question_id}": chosen, "next": "y", "csrf_token": csrf_of(page.text)},
                                  name="answer save", allow_redirects=False, catch_response=True) as reply:
                location = reply.headers.get("Location", "")
                if reply.status_code != 302 or "/quiz/attempts/" not in location:
                    reply.failure(f"answer save answered {reply.status_code} {location}")
                    return
            ack("answer", attempt=attempt_id, question=question_id, response=chosen)
            if location.endswith("/finish"):
                break
            number += 1
        finish = self.client.get(f"/quiz/attempts/{attempt_id}/finish", name="finish page")
        with self.client.post(f"/quiz/attempts/{attempt_id}/finish", data={"submit": "y", "csrf_token": csrf_of(finish.text)},
                              name="quiz submit", allow_redirects=False, catch_response=True) as reply:
            if reply.status_code != 302 or not reply.headers.get("Location", "").endswith("/result"):
                reply.failure(f"submit answered {reply.status_code}")
                return
        ack("submit", attempt=attempt_id)
        self.client.get(f"/quiz/attempts/{attempt_id}/result", name="quiz result")

    def choose(self, question_id: int, shown: list[str]) -> list[str]:
        right = PLAN["keys"].get(str(question_id), [])
        if right and random.random() < RIGHT:
            return sorted(right)
        return [random.choice(shown)]


class Lead(HttpUser):
    fixed_count = PLAN["lead_count"]
    wait_time = between(1, 4)

    def on_start(self) -> None:
        account = PLAN["leads"][next(_leads) % len(PLAN["leads"])]
        self.mission_id = account["mission_id"]
        page = self.client.get("/sign-in", name="sign-in page")
        with self.client.post("/sign-in", data={"identifier": account["service_number"], "password": PLAN["password"],
                                                "csrf_token": csrf_of(page.text)},
                              name="sign-in", allow_redirects=False, catch_response=True) as reply:
            if reply.status_code != 302:
                reply.failure(f"sign-in answered {reply.status_code}")

    @task(6)
    def dashboard(self) -> None:
        if not PLAN["dashboard"]:
            return
        query = random.choice(["", "?category=military", "?category=police", "?unit=" + str(random.randint(1, 9))])
        self.client.get(PLAN["dashboard"].format(mission_id=self.mission_id) + query, name="lead dashboard")

    @task(1)
    def export(self) -> None:
        if not PLAN["dashboard_export"]:
            return
        table = random.choice(["headline", "units", "overdue"])
        self.client.get(PLAN["dashboard_export"].format(mission_id=self.mission_id) + f"?table={table}&format=csv",
                        name="lead export")
