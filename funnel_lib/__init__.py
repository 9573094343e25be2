"""Small Yeses: design, check, simulate and measure micro-commitment funnels.

>>> from funnel_lib import Funnel, Step, simulate
>>> ladder = Funnel([Step("Watch a clip", "entry", ask=1, value=2), Step("Buy", "conversion", ask=6)])
>>> 0 < simulate(ladder).conversion < 1
True
"""

from funnel_lib.audience import AUDIENCES, Audience
from funnel_lib.catalog import ASK_CATALOG, CatalogEntry, catalog_frame
from funnel_lib.errors import FunnelError, FunnelIndexError, FunnelTypeError, FunnelValueError
from funnel_lib.events import funnel_from_events, time_to_convert
from funnel_lib.framework import Finding, Report, check
from funnel_lib.model import Funnel, Step
from funnel_lib.simulate import ModelParams, SimulationResult, big_ask_baseline, compare, simulate
from funnel_lib.stages import Stage
from funnel_lib.stats import compare_counts, compare_variants
from funnel_lib.thresholds import Thresholds
from funnel_lib.uncertainty import Robustness, robustness

__version__ = "0.1.0"

__all__ = [
    "ASK_CATALOG",
    "AUDIENCES",
    "Audience",
    "CatalogEntry",
    "Finding",
    "Funnel",
    "FunnelError",
    "FunnelIndexError",
    "FunnelTypeError",
    "FunnelValueError",
    "ModelParams",
    "Report",
    "Robustness",
    "SimulationResult",
    "Stage",
    "Step",
    "Thresholds",
    "__version__",
    "big_ask_baseline",
    "catalog_frame",
    "check",
    "compare",
    "compare_counts",
    "compare_variants",
    "funnel_from_events",
    "robustness",
    "simulate",
    "time_to_convert",
]
