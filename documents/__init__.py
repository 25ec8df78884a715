"""The document pipeline: extract, chunk, embed, index and retrieve passages.

Nothing here imports Qt or the chat model; it is a plain library under `inference/`.
"""
