"""Task plugins: each module here defines one task (truth model, generator, scorer) and registers its
`schemas.tasks.TaskSpec`; one import line below loads it. `factory.prompts` imports this package, so
every stage that builds, splits, self-tests, trains on, scores or reports prompts sees the plugins
(README "Extending"). The seven built-in tasks are registered in schemas/tasks.py.
"""
from __future__ import annotations

# The generator base every plugin builds on; factory.prompts imports this package back at its end, so
# importing either one registers every task.
import factory.prompts  # noqa: F401

# One import line per plugin module, e.g.:
# from factory.tasks import rating  # noqa: F401
