"""The desktop app: the only package that imports PySide6.

Widgets live one per file; recognition runs in core, on a background thread
(see recognition.py). Start it with `digitpad` or `python -m digitpad`.
"""
