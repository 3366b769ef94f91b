"""Data made in code, for training and the bench: synthetic scans and lines, non-digits,
pen-stroke variation. Never on the reading path.
"""
