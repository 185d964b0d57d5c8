"""Courses, modules, versions, lessons, progress and requirements.

What the packages above add to it (a quiz gate, the certificate on completion, readiness on My
training) comes through training.hooks, wired in create_app; so does the guard that keeps
published module versions frozen (training.guards.install).
"""
