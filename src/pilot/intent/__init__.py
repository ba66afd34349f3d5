"""The intent: what the province wants, vendor-neutral, checked against the topology."""

from pilot.intent.loader import load_intent
from pilot.intent.model import Intent, Segment

__all__ = ["Intent", "Segment", "load_intent"]
