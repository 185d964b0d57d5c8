"""Long work as background jobs: a row per job with its progress, result and errors, run by Huey.

The web request records a Job and hands its id to the queue; a worker (`make worker`, started
by `make run`) runs it inside the app and reports progress on the row; the job's page shows it.
Features register what each kind of job does in `create_app` (jobs.registry), so this package
knows no feature.
"""
