"""The explorer (`/`): a map of England and charts for any selection, with the whole view in the URL.

Split along its seams: ids (every component id), view (which practices a view covers, and how a URL,
control or click changes it: pure), layout (the page), sync (URL, controls and stored view in step), maps,
charts, table and downloads (each part's callbacks). Importing the package registers the page and its
callbacks.
"""

from . import charts, downloads, layout, maps, sync, table  # noqa: F401  (registers the page and callbacks)
from .charts import chart_for, headline_for, trend_for  # noqa: F401
from .table import table_for  # noqa: F401
