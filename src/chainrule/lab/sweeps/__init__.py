"""Sweeps: one experiment over a grid of settings and seeds, on this machine's cores or a
Ray cluster. ``cr.lab.sweep`` (in ``lab/__init__.py``) is the entry point; here are its
parts: the jobs and their cache (``jobs``), where they run (``backends``), the sweep
itself (``run``), its table (``table``), figures (``figures``), progress bar
(``progress``) and the ``chainrule sweep`` command (``cli``)."""
