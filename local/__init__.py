"""The embedded runtime: the whole application on one laptop, with AWS in memory.

`python -m local` expands `template.yaml`, creates what it declares inside moto, and serves the HttpApi
routes and triggers through the real handler functions. See docs/local-runtime.md.
"""
