"""The WSGI entry: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import gc

from inventory import create_app

app = create_app()
# What start-up built lives as long as the process: frozen out of the collector's full passes, which
# otherwise walk those ~180k objects in the request that triggers one (100–130 ms, seen at p95).
gc.freeze()
