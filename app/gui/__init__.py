"""The desktop window: Qt widgets and workers on top of the Qt-free core.

Everything Qt lives in this package; `inference/` and `documents/` never import it.
"""
