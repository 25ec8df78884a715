"""Where the GUI finds its bundled files: icons, the stylesheet and the sample documents.

Paths are resolved from this file so the app works from a checkout, an installed tree or a
frozen bundle that keeps the `resources/` folder beside the `app/` package.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parents[2] / "resources"
ICONS_DIR = RESOURCES_DIR / "icons"
STYLES_DIR = RESOURCES_DIR / "styles"
SAMPLES_DIR = RESOURCES_DIR / "samples"


def icon_path(name: str) -> Path:
    """The SVG icon called `name` (without extension)."""
    return ICONS_DIR / f"{name}.svg"


def stylesheet(name: str = "light") -> str:
    """The Qt stylesheet text, or an empty string when the file is missing (a plain look)."""
    path = STYLES_DIR / f"{name}.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
