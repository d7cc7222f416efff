"""gunicorn settings for the app, shared by the Procfile and the benchmark: `-c python:dashboard.gunicorn_config`.

Command-line flags override these (the benchmark passes its own -w, --threads and -b).
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one per CPU core: callbacks are CPU-bound
threads = 4
timeout = 60
# Keep idle connections longer than a reader pauses between clicks and longer than a load balancer's own
# idle timeout (often 60 s): otherwise the server may close a connection just as the client reuses it,
# and that request fails ("connection closed"), as the 50-user benchmark showed with gunicorn's 2 s.
keepalive = 75
