"""The legal clock of each case (受理, 承诺/法定办结, 环节, 特殊程序, 送达, 补正等待).

- ``model``: the clock inputs of a case and what they compute to;
- ``transitions``: how case events move the clocks (subscribed in app.capabilities);
- ``columns``: the indexed clock columns of a case and its open steps;
- ``bulk``: the daily sweep and calendar changes, set-based;
- ``read``: the clocks as the pages and the API show them.
"""

from app.services.clocks.bulk import recompute_open_clocks, refresh_lights
from app.services.clocks.columns import refresh_case
from app.services.clocks.model import LABELS
from app.services.clocks.read import case_clocks, task_clock, unconfirmed_open_cases
from app.services.clocks.transitions import subscribe

__all__ = [
    "LABELS",
    "case_clocks",
    "recompute_open_clocks",
    "refresh_case",
    "refresh_lights",
    "subscribe",
    "task_clock",
    "unconfirmed_open_cases",
]
