"""What the app keeps and shows about its models: training recipes, model versions,
the user's samples, training events, evaluation and its metrics.
"""
