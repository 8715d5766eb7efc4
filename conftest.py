"""The claims run as pytest items through repro's pytest plugin (repro/pytest_plugin.py).

An installed repro registers the plugin as the `pytest11` entry point `repro.pytest_plugin`; this
line loads it in a checkout that is only on the path (PYTHONPATH), and is a no-op when the entry
point already loaded it, so claims/*.py are collected exactly once either way.
"""
pytest_plugins = ["repro.pytest_plugin"]
