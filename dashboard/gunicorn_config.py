"""gunicorn settings for the app, shared by the Procfile and the benchmark: `-c python:dashboard.gunicorn_config`.

Command-line flags override these (the benchmark passes its own -w, --threads and -b).
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one per CPU core: callbacks are CPU-bound
# Slow clients (slowloris) must not hold the threads that serve everyone else: this worker drops a request
# not fully read within EQUITY_ATLAS_REQUEST_READ_SECONDS (5 s) and keeps many cheap threads for reading,
# while only EQUITY_ATLAS_APP_SLOTS (4) per worker run the app at once. See dashboard/gunicorn_worker.py.
worker_class = "dashboard.gunicorn_worker.SlowClientWorker"
threads = 32
timeout = 60
# Keep idle connections longer than a reader pauses between clicks and longer than a load balancer's own
# idle timeout (often 60 s): otherwise the server may close a connection just as the client reuses it,
# and that request fails ("connection closed"), as the 50-user benchmark showed with gunicorn's 2 s.
keepalive = 75
