"""chainrule's version, written once: the package, the CLI, the lab's results and the sweep
cache read it from here, and pyproject.toml reads it too (``[tool.setuptools.dynamic]``)."""
__version__ = "0.1.0"
