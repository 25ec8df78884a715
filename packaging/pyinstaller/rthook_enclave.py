"""Runtime hook of the frozen app: make the bundled default model visible as provisioned.

The frozen app carries the default chat model and the embedder's ONNX export under
`<bundle>/models`.
Enclave looks for provisioned models in the user's models directory (which must stay
writable: an int8 export is written beside the plain one), so the first start links each
bundled file into it unless a file is already there. Nothing is downloaded.
"""

import sys
from pathlib import Path


def _link_bundled_models() -> None:
    bundle = Path(getattr(sys, "_MEIPASS", "")) / "models"
    if not bundle.is_dir():
        return
    from inference.paths import models_dir

    for model in [*bundle.glob("*.gguf"), *bundle.glob("embedder-exports/*/*.onnx")]:
        target = models_dir() / model.relative_to(bundle)
        target_dir = target.parent
        if target.exists() and not target.is_symlink():
            continue
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                if target.resolve() == model.resolve():
                    continue
                target.unlink()
            target.symlink_to(model)
        except OSError as error:  # A read-only home still lets the app start and explain.
            print(f"enclave: could not link the bundled model {model.name}: {error}",
                  file=sys.stderr)


_link_bundled_models()
