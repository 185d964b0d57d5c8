"""gunicorn settings for the load tools and fault tests (bench/load/server.py reads the log line)."""

loglevel = "info"
accesslog = None


# No runtime control socket: it lives at one path per user, and several of these servers
# (a fault test, a load run) may be up at once.
control_socket_disable = True


def post_worker_init(worker):
    # Logged once the worker has imported and built the app, so a caller knows it can serve.
    worker.log.info("worker ready pid=%s", worker.pid)
