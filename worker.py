"""The job worker's entry point: `huey_consumer worker.huey` (make worker, make run).

The jobs package knows no feature and does not import the app; this module, beside app.py, gives
it the app factory its jobs run in, and the queue with its tasks (jobs.queue).
"""

from app import create_app
from jobs import queue

queue.use_app_factory(create_app)
huey = queue.huey
