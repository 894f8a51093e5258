"""The reproduction book's shared library: data, training, run store, profiles, reports.

Modules are imported explicitly (``from lib import data, train``); nothing is re-exported here.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: data/, results/, figures/ live here
