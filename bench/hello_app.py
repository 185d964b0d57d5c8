"""The bare Flask app bench_pages.py measures the product against: one route, no extension,
no database, served by the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
