"""Evaluations of the product's own retrieval and answering on public benchmarks.

`python main.py eval retrieval` (BEIR datasets) and `python main.py eval docqa` (questions over
documents with gold answers) drive these modules; they use the same Library and Assistant as
the app, never a copy.
"""
