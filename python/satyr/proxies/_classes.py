"""One proxy class per message type, made at import time from the native schema, so they always
match the compiled protos. ``_classes.pyi`` declares them for type checkers; regenerate it with
``python -m satyr.proxies._stubgen`` after changing the protos (a test checks it is current)."""

from satyr.proxies._build import build_classes, exported

_names = build_classes()
globals().update(_names)
#: What ``messages`` re-exports: everything but the bases of the hand-written classes.
__all__ = exported(_names)
