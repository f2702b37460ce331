"""From an article's text to its story decision and facts: the extractor interface (extractor), the story
classifier (classify) and the fact rules (facts/). Depends on tasks.models and tasks.errors only: no I/O, no storage.
"""
