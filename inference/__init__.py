"""The answering core: load a local GGUF model, build prompts, stream answers with citations.

Nothing here imports Qt; the GUI, the CLI and the tests drive it the same way.
"""
