"""The demo: a fresh ledger with the default policy published, the shipped sample of records
ingested, and the whole ledger verified and proved.

Until the synthetic city exists this is the system's main job end to end: create a store,
publish the default policy bundle, ingest ``sample_records.csv`` (which includes a few rows the
catalogue must refuse), verify the whole ledger, and check an inclusion proof offline.
"""

from ._city import (
    DISTRICTS,
    ORGANISATION_KINDS,
    PERSON_KINDS,
    build_city,
    city_people,
    city_records,
    month_end,
)
from ._credit_outcomes import OUTCOME_KINDS, PERFORMANCE_DAYS, CreditCity, credit_city
from ._run import DemoResult, run_demo, sample_records_path

__all__ = [
    "DISTRICTS",
    "ORGANISATION_KINDS",
    "OUTCOME_KINDS",
    "PERFORMANCE_DAYS",
    "PERSON_KINDS",
    "CreditCity",
    "DemoResult",
    "build_city",
    "city_people",
    "city_records",
    "credit_city",
    "month_end",
    "run_demo",
    "sample_records_path",
]
