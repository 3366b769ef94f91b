"""`digitpad bench`: measure the engine against its targets, so anyone can re-run them.

`run` reads the model on every set and prints each figure next to its target; each
family of figures is a module (handwriting, numbers, paper) that returns Figures.
"""
