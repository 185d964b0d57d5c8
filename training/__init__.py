"""Courses, modules, versions, lessons, progress, requirements and readiness.

Importing the package installs the guard that keeps published module versions frozen
(training.guards), so no code path that loads the models can skip it.
"""

from training import guards  # noqa: F401  (registers the before_flush listener)
