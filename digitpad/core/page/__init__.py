"""Grey pixels -> ink: paper level, polarity, margins, rules, frames, hairlines,
specks; and the MNIST fit of a piece of ink or a drawing to the 28x28 field.

Imports io and raster only: it knows nothing of models.
"""
