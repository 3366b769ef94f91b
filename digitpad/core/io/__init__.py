"""Files in and out: images decoded safely (budgets, EXIF, modes), drawings, the MNIST
and pen-digit readers, atomic writes, the app's folders.

Imports nothing else of digitpad.core but raster: it knows no pages, models or readings.
"""
