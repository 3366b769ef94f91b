"""The networks, one module each: the Keras-file reader, the card network's forward
pass, the ensemble with its digit check and calibration, the line models and the graph
runner they share.

Imports io and raster only: it knows nothing of pages or segmentation; arrays in,
arrays out.
"""
